import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsWorkQueue } from '../../functions/adapters/sqs-work-queue.js';
import { WorkMessageSchema } from '../../functions/core/import/index.js';
import { startLocalSqs, type RunningServer } from '../../functions/local/dev/engines.js';
import { CREDENTIALS, REGION } from '../support/engines.js';

let server: RunningServer;
let client: SQSClient;
beforeAll(async () => {
  server = await startLocalSqs();
  client = new SQSClient({
    endpoint: server.url,
    region: REGION,
    credentials: CREDENTIALS,
  });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

describe('SqsWorkQueue (local-aws-sqs)', () => {
  it('sends every message in batches of ten, bodies matching the work-message schema', async () => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'work' }));
    const queue = new SqsWorkQueue({ client, queueUrl: QueueUrl! });
    const messages = Array.from({ length: 23 }, (_, i) => ({ dealerId: `dealer-${i}`, trigger: 'schedule' as const }));
    await queue.send([...messages, { dealerId: 'bilhallen', trigger: 'upload', key: 'feeds/bilhallen/inbound/a.csv' }]);
    const received: unknown[] = [];
    for (let i = 0; i < 10 && received.length < 24; i++) {
      const answer = await client.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      received.push(...(answer.Messages ?? []).map((m) => JSON.parse(m.Body!)));
    }
    expect(received).toHaveLength(24);
    for (const body of received) expect(WorkMessageSchema.safeParse(body).success).toBe(true);
    expect(received).toContainEqual({ dealerId: 'bilhallen', trigger: 'upload', key: 'feeds/bilhallen/inbound/a.csv' });
  });
});
