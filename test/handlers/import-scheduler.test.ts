import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../../functions/adapters/env.js';
import { MemoryLog } from '../../functions/adapters/logger.js';
import type { ImportTriggerEvent } from '../../functions/core/import/scheduler.js';
import { build, ImportSchedulerEnvSchema } from '../../functions/handlers/wiring/import-scheduler.js';
import { startLocalSqs, type RunningServer } from '../../functions/local/dev/engines.js';
import { CREDENTIALS, REGION } from '../support/engines.js';
import { scheduledEvent } from '../../functions/local/dev/events.js';

let server: RunningServer;
let sqs: SQSClient;
let queueUrl: string;
let schedule: (event: ImportTriggerEvent) => Promise<{ sent: number }>;

beforeAll(async () => {
  server = await startLocalSqs();
  sqs = new SQSClient({ endpoint: server.url, region: REGION, credentials: CREDENTIALS });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'work' }))).QueueUrl!;
  const dealersFile = join(mkdtempSync(join(tmpdir(), 'scheduler-')), 'dealers.json');
  const branchId = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
  const dealers = Array.from({ length: 25 }, (_, i) => ({ id: `dealer-${i}`, name: `Dealer ${i}`, branchId }));
  writeFileSync(dealersFile, JSON.stringify({ dealers }));
  schedule = build(readEnv(ImportSchedulerEnvSchema, { WORK_QUEUE_URL: queueUrl, DEALERS_FILE: dealersFile }), {
    sqs,
    log: new MemoryLog(),
  });
});
afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

async function drain(): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const answer = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!answer.Messages?.length) return bodies;
    for (const message of answer.Messages) {
      bodies.push(JSON.parse(message.Body!));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
}

const uploadEvent = (key: string) => ({
  version: '0',
  id: 'e',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '1',
  time: '2026-11-29T01:00:00Z',
  region: REGION,
  resources: [],
  detail: { bucket: { name: 'feeds' }, object: { key, size: 10 } },
});

describe('import scheduler (local-aws-sqs)', () => {
  it('the hourly event queues one schedule message per dealer', async () => {
    const hourly = scheduledEvent(new Date('2026-11-29T01:00:00Z'));
    const result = await schedule(hourly);
    expect(result.sent).toBe(25);
    const bodies = await drain();
    expect(bodies).toHaveLength(25);
    expect(bodies).toContainEqual({ dealerId: 'dealer-24', trigger: 'schedule' });
  });

  it('an upload queues that dealer at once; unknown dealers, partial uploads and other folders queue nothing', async () => {
    expect((await schedule(uploadEvent('feeds/dealer-3/inbound/lager+2026.csv'))).sent).toBe(1);
    expect(await drain()).toEqual([
      { dealerId: 'dealer-3', trigger: 'upload', key: 'feeds/dealer-3/inbound/lager 2026.csv' },
    ]);
    for (const key of [
      'feeds/nobody/inbound/a.csv',
      'feeds/dealer-3/inbound/a.csv.filepart',
      'feeds/dealer-3/archive/a.csv',
      'feeds/dealer-3/reports/latest.json',
    ]) {
      expect((await schedule(uploadEvent(key))).sent).toBe(0);
    }
    expect(await drain()).toEqual([]);
  });
});
