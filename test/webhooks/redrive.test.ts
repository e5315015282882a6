import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../functions/local/commands/redrive.js';
import { createFifoPair, drainQueue, sqsClient, startLocalSqs, LOCAL_CREDENTIALS, LOCAL_REGION } from './support.js';

let server: { url: string; stop(): Promise<void> };
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;

beforeAll(async () => {
  server = await startLocalSqs();
  sqs = sqsClient(server.url);
  ({ queueUrl, dlqUrl } = await createFifoPair(sqs, 'redrive-events'));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SQS: server.url,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    LOG_LEVEL: 'ERROR',
  });
});
afterAll(async () => {
  sqs.destroy();
  await server.stop();
});

async function cli(args: string[]): Promise<{ status: number; stdout: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
  try {
    return { status: await run(args), stdout: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

const deadLetter = (body: string, group: string, dedupe: string) =>
  sqs.send(new SendMessageCommand({
    QueueUrl: dlqUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedupe,
    MessageAttributes: { reason: { DataType: 'String', StringValue: 'DMS refused the event with HTTP 400' } },
  }));

describe('wayke-dms redrive', () => {
  it('moves DLQ messages back in order, keeping group and dedupe ids; --max limits; the target defaults to the source queue', async () => {
    await deadLetter('{"n":1}', 'd1:ad-1', 'e1');
    await deadLetter('{"n":2}', 'd1:ad-1', 'e2');
    await deadLetter('{"n":3}', 'd1:ad-2', 'e3');

    const first = await cli(['--queue', dlqUrl, '--to', queueUrl, '--max', '2', '--json']);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ moved: 2, from: dlqUrl, to: queueUrl });
    const second = await cli(['--queue', dlqUrl]);
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(`Moved 1 message(s) from ${dlqUrl} to ${queueUrl}\n`);

    const moved = await drainQueue(sqs, queueUrl);
    expect(moved.map((m) => [m.Body, m.Attributes?.MessageGroupId, m.Attributes?.MessageDeduplicationId])).toEqual([
      ['{"n":1}', 'd1:ad-1', 'e1'],
      ['{"n":2}', 'd1:ad-1', 'e2'],
      ['{"n":3}', 'd1:ad-2', 'e3'],
    ]);
    expect(moved.every((m) => m.MessageAttributes?.reason === undefined)).toBe(true);
    expect(await drainQueue(sqs, dlqUrl)).toHaveLength(0);
  });

  it('--fresh-dedupe-ids gets a message through that FIFO would drop within its 5-minute window', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"n":4}', MessageGroupId: 'g', MessageDeduplicationId: 'e4' }));
    await drainQueue(sqs, queueUrl);
    await deadLetter('{"n":4}', 'g', 'e4');
    expect((await cli(['--queue', dlqUrl, '--fresh-dedupe-ids'])).status).toBe(0);
    const moved = await drainQueue(sqs, queueUrl);
    expect(moved.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([['{"n":4}', 'g']]);
    expect(moved[0]!.Attributes?.MessageDeduplicationId).not.toBe('e4');
  });

  it('bad arguments exit 2', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((() => true) as typeof process.stderr.write);
    try {
      expect((await cli([])).status).toBe(2);
      expect((await cli(['--queue', dlqUrl, '--max', '0'])).status).toBe(2);
      expect((await cli(['--queue', dlqUrl, '--bogus'])).status).toBe(2);
    } finally {
      stderr.mockRestore();
    }
  });
});
