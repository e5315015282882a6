/**
 * The local run's DLQ hint: the line it prints for the events DLQ is a command that works as
 * printed — `redrive --data <dir>` (no AWS settings; `--data` only when not the default) — run here
 * against a local SQS laid out as `npm start` leaves it, it moves the dead letter back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as redrive } from '../../functions/local/commands/redrive.js';
import type { LocalResources } from '../../functions/local/dev/engines.js';
import { eventsRedriveCommand, startDlqWatch } from '../../functions/local/dev/parts/dlq-watch.js';
import { createFifoPair, drainQueue, sqsClient, startLocalSqs } from '../support/webhooks.js';

let server: { url: string; stop(): Promise<void> };
let sqs: SQSClient;
let health: Server;
let data: string;
let resources: LocalResources;

beforeAll(async () => {
  server = await startLocalSqs();
  sqs = sqsClient(server.url);
  const events = await createFifoPair(sqs, 'hint-events');
  const work = await createFifoPair(sqs, 'hint-work');
  resources = {
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
  // A state directory as `npm start` leaves it, with a /health that answers 200.
  data = mkdtempSync(join(tmpdir(), 'dlq-hint-'));
  health = createServer((_req, res) => res.writeHead(200).end('{}'));
  await new Promise<void>((done) => health.listen(0, '127.0.0.1', () => done()));
  const api = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
  writeFileSync(
    join(data, 'endpoints.json'),
    JSON.stringify({
      services: { api, health: `${api}/health`, dynamodb: api, sqs: server.url },
      queues: { work: work.queueUrl, workDlq: work.dlqUrl, events: events.queueUrl, eventsDlq: events.dlqUrl },
    }),
  );
});
afterAll(async () => {
  health.close();
  sqs.destroy();
  await server.stop();
  rmSync(data, { recursive: true, force: true });
});

/** The words of a printed command line (the test paths hold no quotes or spaces). */
const words = (line: string) => line.trim().split(/\s+/);

describe('the DLQ hint of the local run', () => {
  it('names --data only when the state directory is not the default', () => {
    expect(eventsRedriveCommand('.wayke-dms', '/home/me/dms')).toBe('npx wayke-dms redrive');
    expect(eventsRedriveCommand('/home/me/dms/.wayke-dms', '/home/me/dms')).toBe('npx wayke-dms redrive');
    expect(eventsRedriveCommand('state/one', '/home/me/dms')).toBe('npx wayke-dms redrive --data state/one');
    expect(eventsRedriveCommand('/srv/my state', '/home/me/dms')).toBe("npx wayke-dms redrive --data '/srv/my state'");
  });

  it('prints for the events DLQ a redrive line with no AWS settings that, run as printed, moves the message back', async () => {
    // Arrange: a dead-lettered event, and the watch of a run whose state is in `data`
    const printed = new Promise<string>((done) => {
      const watch = startDlqWatch({
        sqs,
        sqsUrl: server.url,
        resources,
        dataDir: data,
        cwd: process.cwd(),
        listener: {
          deadLetters: ({ queue, redrive: line }) => {
            if (queue !== 'events') return;
            void watch.stop();
            done(line);
          },
        },
      });
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.eventsDlqUrl,
        MessageBody: '{"n":1}',
        MessageGroupId: 'bilhallen:ad-1',
        MessageDeduplicationId: 'e1',
      }),
    );
    const line = await printed;
    expect(line).toBe(`npx wayke-dms redrive --data ${data}`);
    expect(line).not.toMatch(/AWS_/);

    // Act: the printed command, with no AWS settings in the environment
    const [npx, bin, command, ...args] = words(line);
    expect([npx, bin, command]).toEqual(['npx', 'wayke-dms', 'redrive']);
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let status: number;
    try {
      status = await redrive(args);
    } finally {
      stdout.mockRestore();
      Object.assign(process.env, saved);
    }

    // Assert
    expect(status).toBe(0);
    expect((await drainQueue(sqs, resources.eventsQueueUrl)).map((message) => message.Body)).toEqual(['{"n":1}']);
  }, 30_000);
});
