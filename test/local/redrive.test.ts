import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../functions/local/commands/redrive.js';
import {
  createFifoPair,
  drainQueue,
  sqsClient,
  startLocalSqs,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
} from '../support/webhooks.js';
import { spawnCli } from '../support/cli-run.js';

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
  sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: dedupe,
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'DMS refused the event with HTTP 400' } },
    }),
  );

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
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"n":4}',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'e4',
      }),
    );
    await drainQueue(sqs, queueUrl);
    await deadLetter('{"n":4}', 'g', 'e4');
    expect((await cli(['--queue', dlqUrl, '--fresh-dedupe-ids'])).status).toBe(0);
    const moved = await drainQueue(sqs, queueUrl);
    expect(moved.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([['{"n":4}', 'g']]);
    expect(moved[0]!.Attributes?.MessageDeduplicationId).not.toBe('e4');
  });

  it('bad arguments exit 2', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect((await cli([])).status).toBe(2);
      expect((await cli(['--queue', dlqUrl, '--max', '0'])).status).toBe(2);
      expect((await cli(['--queue', dlqUrl, '--bogus'])).status).toBe(2);
    } finally {
      stderr.mockRestore();
    }
  });

  it('without --queue finds the local run from --data/endpoints.json and redrives its events DLQ', async () => {
    // Prepare: a state directory as `npm start` leaves it, with a /health that answers 200
    const data = mkdtempSync(join(tmpdir(), 'redrive-data-'));
    const health = createServer((_req, res) => res.writeHead(200).end('{}'));
    await new Promise<void>((done) => health.listen(0, '127.0.0.1', () => done()));
    const api = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
    writeFileSync(
      join(data, 'endpoints.json'),
      JSON.stringify({
        services: { api, health: `${api}/health`, dynamodb: api, sqs: server.url },
        queues: { work: queueUrl, workDlq: dlqUrl, events: queueUrl, eventsDlq: dlqUrl },
      }),
    );
    await deadLetter('{"n":5}', 'd5:ad-5', 'e5');
    // the SDK must not need the process's AWS settings for this
    const saved = { ...process.env };
    for (const name of ['AWS_ENDPOINT_URL_SQS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'])
      delete process.env[name];
    try {
      // Act
      const result = await cli(['--data', data, '--json']);
      // Assess
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ moved: 1, from: dlqUrl, to: queueUrl });
      expect((await drainQueue(sqs, queueUrl)).map((m) => m.Body)).toEqual(['{"n":5}']);
    } finally {
      Object.assign(process.env, saved);
      health.close();
    }
  });

  it('says in words when no local run used --data, or it is not running (exit 2)', async () => {
    // Prepare
    const empty = mkdtempSync(join(tmpdir(), 'redrive-empty-'));
    const stopped = mkdtempSync(join(tmpdir(), 'redrive-stopped-'));
    writeFileSync(
      join(stopped, 'endpoints.json'),
      JSON.stringify({
        services: {
          api: 'http://127.0.0.1:9',
          health: 'http://127.0.0.1:9/health',
          dynamodb: 'http://127.0.0.1:9',
          sqs: 'http://127.0.0.1:9',
        },
        queues: { work: queueUrl, workDlq: dlqUrl, events: queueUrl, eventsDlq: dlqUrl },
      }),
    );
    const errors: string[] = [];
    const stderr = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation(((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write);
    try {
      // Act
      const none = await cli(['--data', empty]);
      const down = await cli(['--data', stopped]);
      // Assess
      expect(none.status).toBe(2);
      expect(down.status).toBe(2);
      expect(errors.join('')).toContain('no local run has used');
      expect(errors.join('')).toContain('is not running');
    } finally {
      stderr.mockRestore();
    }
  });

  it('without credentials prints only the line saying what to set: no logged error, no stack (exit 1)', () => {
    const child = spawnSync(
      process.execPath,
      ['bin/wayke-dms.js', 'redrive', '--queue', 'http://127.0.0.1:9/000000000000/x-dlq'],
      {
        env: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'redrive-home-')) },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(child.stderr).toBe(
      'wayke-dms redrive: stopped after 0 message(s): no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`)\n',
    );
    expect(child.status).toBe(1);
  });

  it('takes a local queue URL as its endpoint: no SDK warning that the QueueUrl differs from the endpoint', async () => {
    await deadLetter('{"n":"local"}', 'd9:ad-9', 'e-local');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: mkdtempSync(join(tmpdir(), 'redrive-home-')),
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };
    // Spawned, not spawnSync: the local SQS answers from this process
    const child = await spawnCli(['redrive', '--queue', dlqUrl, '--to', queueUrl], env);
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toBe(`Moved 1 message(s) from ${dlqUrl} to ${queueUrl}\n`);
    expect((await drainQueue(sqs, queueUrl)).map((m) => m.Body)).toEqual(['{"n":"local"}']);
  });

  it('never asks the instance metadata service for credentials, and logs no warning about its own keys', async () => {
    // Prepare: no credentials anywhere a CLI user keeps them; a metadata service that counts calls
    let metadataCalls = 0;
    const metadata = createServer((_req, res) => {
      metadataCalls += 1;
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => metadata.listen(0, '127.0.0.1', () => done()));
    const home = mkdtempSync(join(tmpdir(), 'redrive-home-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ENDPOINT_URL_SQS: server.url,
      AWS_REGION: LOCAL_REGION,
    };
    env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `http://127.0.0.1:${(metadata.address() as AddressInfo).port}`;
    try {
      // Act
      const child = spawnSync(process.execPath, ['bin/wayke-dms.js', 'redrive', '--queue', dlqUrl], {
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      // Assess
      expect(child.status, child.stderr).toBe(1);
      expect(child.stderr).toContain('no AWS credentials');
      expect(child.stderr).not.toContain('reserved key');
      expect(child.stderr).not.toContain('Warning');
      expect(metadataCalls).toBe(0);
    } finally {
      metadata.close();
    }
  });
});
