/**
 * The queues of a local run as `npm start` leaves them for the CLI: a real local SQS with the
 * work and events FIFO pairs, and a state directory whose `endpoints.json` names them beside a
 * `/health` that answers 200 — what `redrive --data <dir>` looks for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalResources } from '../../functions/local/dev/engines.js';
import { createFifoPair, sqsClient, startLocalSqs } from './webhooks.js';

export interface LocalRunQueues {
  readonly sqs: SQSClient;
  readonly sqsUrl: string;
  /** The local run's resources (its tables and bucket by their local names). */
  readonly resources: LocalResources;
  /** The state directory holding `endpoints.json`. */
  readonly data: string;
  stop(): Promise<void>;
}

export async function startLocalRunQueues(): Promise<LocalRunQueues> {
  const server = await startLocalSqs();
  const sqs = sqsClient(server.url);
  const events = await createFifoPair(sqs, 'local-run-events');
  const work = await createFifoPair(sqs, 'local-run-work');
  const health = createServer((_req, res) => res.writeHead(200).end('{}'));
  await new Promise<void>((done) => health.listen(0, '127.0.0.1', () => done()));
  const api = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
  const data = mkdtempSync(join(tmpdir(), 'local-run-queues-'));
  writeFileSync(
    join(data, 'endpoints.json'),
    JSON.stringify({
      services: { api, health: `${api}/health`, dynamodb: api, sqs: server.url },
      queues: { work: work.queueUrl, workDlq: work.dlqUrl, events: events.queueUrl, eventsDlq: events.dlqUrl },
    }),
  );
  const resources: LocalResources = {
    bucket: 'wayke-dms-feeds',
    snapshotTable: 'wayke-dms-snapshots',
    dedupeTable: 'wayke-dms-dedupe',
    workQueueUrl: work.queueUrl,
    workDlqUrl: work.dlqUrl,
    eventsQueueUrl: events.queueUrl,
    eventsDlqUrl: events.dlqUrl,
    vehicleQueueUrl: work.queueUrl,
    vehicleDlqUrl: work.dlqUrl,
  };
  return {
    sqs,
    sqsUrl: server.url,
    resources,
    data,
    stop: async () => {
      health.close();
      sqs.destroy();
      await server.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}
