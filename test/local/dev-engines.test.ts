/**
 * The local runtime's engine plumbing that the restart path relies on: resetting the snapshot
 * table on a dynalite that drops a deleted table only after it answered DeleteTable (as it does,
 * later still, on a busy disk), and the tap that gives the dev console an import's error.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DEFAULT_RESOURCE_NAMES,
  deleteTableAndWait,
  ensureLocalResources,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalS3,
  startLocalSqs,
  type LocalS3,
  type RunningServer,
} from '../../functions/local/dev/engines.js';
import { errorSummaryOf, lambdaFunction } from '../../functions/local/dev/lambda.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const TABLE = DEFAULT_RESOURCE_NAMES.snapshotTable;

describe('resetting the snapshot table', () => {
  let dynalite: Server;
  let s3: LocalS3;
  let sqs: RunningServer;
  let dynamo: DynamoDBClient;
  let endpoints: { s3: string; dynamodb: string; sqs: string };
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dev-engines-'));
    // A table stays listed as DELETING for 300 ms after DeleteTable answered, and a new one is
    // CREATING for 100 ms: the windows a loaded machine opens by chance, made certain here.
    dynalite = (require('dynalite') as (options: Record<string, unknown>) => Server)({
      createTableMs: 100,
      deleteTableMs: 300,
      updateTableMs: 0,
    });
    await new Promise<void>((done) => dynalite.listen(0, '127.0.0.1', () => done()));
    [s3, sqs] = await Promise.all([startLocalS3({ directory: join(dir, 's3') }), startLocalSqs()]);
    endpoints = { s3: s3.url, dynamodb: `http://127.0.0.1:${(dynalite.address() as AddressInfo).port}`, sqs: sqs.url };
    dynamo = new DynamoDBClient({ endpoint: endpoints.dynamodb, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    dynamo.destroy();
    await Promise.all([s3.stop(), sqs.stop(), new Promise((done) => dynalite.close(done))]);
    rmSync(dir, { recursive: true, force: true });
  });

  const put = (pk: string) =>
    dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: pk }, sk: { S: 'entry' } } }));
  const get = async (pk: string) =>
    (
      await dynamo.send(
        new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk }, sk: { S: 'entry' } }, ConsistentRead: true }),
      )
    ).Item;

  it('ensureLocalResources returns only once the new table is ACTIVE and takes writes', async () => {
    await ensureLocalResources(endpoints);
    expect((await dynamo.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableStatus).toBe('ACTIVE');
    await put('before');
    expect(await get('before')).toBeDefined();
  });

  it('deleteTableAndWait returns once the table is gone; a table created next is a new, usable one', async () => {
    expect(await deleteTableAndWait(dynamo, TABLE)).toBe(true);
    await expect(dynamo.send(new DescribeTableCommand({ TableName: TABLE }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await ensureLocalResources(endpoints);
    expect(await get('before')).toBeUndefined();
    await put('after');
    expect(await get('after')).toBeDefined();
    expect(await deleteTableAndWait(dynamo, 'no-such-table')).toBe(false);
  });

  it('ensureLocalResources right after a bare DeleteTable waits for the drop instead of keeping the dying table', async () => {
    await dynamo.send(new DeleteTableCommand({ TableName: TABLE }));
    expect((await dynamo.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableStatus).toBe('DELETING');
    // before the fix the DELETING table counted as existing (and vanished 300 ms later)
    await ensureLocalResources(endpoints);
    expect((await dynamo.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableStatus).toBe('ACTIVE');
    await put('kept');
    expect(await get('kept')).toBeDefined();
  });
});

describe("the import worker's error lines for the console", () => {
  it('errorSummaryOf gives name and message on one bounded line, else the log message', () => {
    expect(
      errorSummaryOf({
        message: 'Import failed',
        error: { name: 'ResourceNotFoundException', message: 'Requested resource not found', stack: 'at x' },
      }),
    ).toBe('ResourceNotFoundException: Requested resource not found');
    expect(errorSummaryOf({ message: 'Import failed', error: { name: 'Error', message: 'a\n  b' } })).toBe(
      'Error: a b',
    );
    expect(errorSummaryOf({ message: 'Work message is not valid; leaving it to the DLQ', messageId: 'm-1' })).toBe(
      'Work message is not valid; leaving it to the DLQ',
    );
    expect(errorSummaryOf({ error: { name: 'E', message: 'x'.repeat(500) } }, 50)).toHaveLength(50);
    expect(errorSummaryOf({})).toBeNull();
  });

  it("an invocation's outcome holds the ERROR lines it logged (not those of invocations beside it), and they are still printed", async () => {
    const module = await import('./fixtures/logging-handler.js');
    const printed = vi
      .spyOn(module.logger['console' as keyof typeof module.logger] as unknown as { error: () => void }, 'error')
      .mockImplementation(() => undefined);
    const fn = lambdaFunction(
      'logging-handler',
      (event: { dealerId: string; fail?: string }) => module.handler(event),
      1000,
    );
    const outcomes = await Promise.all([
      fn.run({ dealerId: 'a', fail: 'table gone' }),
      fn.run({ dealerId: 'b' }),
      fn.run({ dealerId: 'c', fail: 'throttled' }),
    ]);
    expect(outcomes.map((outcome) => outcome.errorLogs.map((line) => errorSummaryOf(line)))).toEqual([
      ['FixtureError: table gone second line'],
      [],
      ['FixtureError: throttled second line'],
    ]);
    expect(outcomes.map((outcome) => outcome.ok && outcome.result)).toEqual(['failed', 'ok', 'failed']);
    expect(printed).toHaveBeenCalledTimes(2);
    printed.mockRestore();
  });

  it('an invocation that throws is an outcome with its error, not a rejection', async () => {
    const fn = lambdaFunction('throwing-handler', () => Promise.reject(new RangeError('out of range')), 1000);
    const outcome = await fn.run({});
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(RangeError);
    await expect(fn.invoke({})).rejects.toThrow('out of range');
  });
});
