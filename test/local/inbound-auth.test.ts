import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoInboundAuthStore } from '../../functions/adapters/dynamo-inbound-auth-store.js';
import { createTableInput } from '../../functions/core/deployment/tables.js';
import { credentialsMatch } from '../../functions/core/events/credentials.js';
import { main } from '../../functions/local/cli.js';
import { run } from '../../functions/local/commands/inbound-auth.js';
import { CREDENTIALS, type Dynamo, REGION, startDynamo, TestClock } from '../support/engines.js';

const GIVEN = 'a-webhook-secret-the-operator-chose-0123';
const SHORT = 'only-23-characters-long';

// No local Secrets Manager engine serves the CLI's own client; --from-secret reads through this mock.
const secrets = mockClient(SecretsManagerClient);
let dynamo: Dynamo;
let tables = 0;
let table: string;

beforeAll(async () => {
  dynamo = await startDynamo();
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  });
});
afterAll(async () => {
  secrets.restore();
  await dynamo.stop();
});
beforeEach(async () => {
  secrets.reset();
  table = `inbound-cli-${++tables}`;
  await dynamo.client.send(new CreateTableCommand(createTableInput('inboundAuth', table)));
});

/** Runs the command in-process, capturing what it writes to stdout and stderr. */
async function cli(args: string[], entry: (argv: string[]) => Promise<number> = run) {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (into: string[]) =>
    ((chunk: string) => {
      into.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err));
  try {
    return { status: await entry(args), stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

const set = (...args: string[]) =>
  cli(['set', '--table', table, '--dealer', 'bilhallen', '--endpoint', dynamo.url, ...args]);
const show = (dealer = 'bilhallen') => cli(['show', '--table', table, '--dealer', dealer, '--endpoint', dynamo.url]);
const printed = (stdout: string, field: string) => new RegExp(`^${field}=(\\S+)$`, 'm').exec(stdout)?.[1];
/** What the webhook would do with a call carrying `key`, reading the table as it does in AWS. */
async function webhookAccepts(key: string): Promise<boolean> {
  const store = new DynamoInboundAuthStore({ client: dynamo.client, tableName: table, clock: new TestClock() });
  const auth = await store.getInboundAuth('bilhallen');
  return credentialsMatch({ authorization: `Bearer ${key}` }, [auth.webhookSecret, auth.previousWebhookSecret]);
}
async function vehicleApiAccepts(key: string): Promise<boolean> {
  const store = new DynamoInboundAuthStore({ client: dynamo.client, tableName: table, clock: new TestClock() });
  const auth = await store.getInboundAuth('bilhallen');
  return credentialsMatch({ 'x-api-key': key }, [auth.dmsApiKey, auth.previousDmsApiKey]);
}
const item = async () =>
  (await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { dealerId: { S: 'bilhallen' } } }))).Item;

describe('inbound-auth set', () => {
  it('generates a webhook secret, prints it once, and a webhook call with it is accepted', async () => {
    const result = await set('--generate-webhook-secret');
    expect(result.status).toBe(0);
    const key = printed(result.stdout, 'webhookSecret');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.stdout.split(key!).length).toBe(2);
    expect(result.stderr).toBe('');
    expect(await webhookAccepts(key!)).toBe(true);
    expect(await webhookAccepts(GIVEN)).toBe(false);
    expect(JSON.stringify(await item())).not.toContain(key);
  });

  it('generates a Vehicle API key beside a given webhook secret', async () => {
    const result = await set('--webhook-secret', GIVEN, '--generate-dms-api-key');
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain(GIVEN);
    const apiKey = printed(result.stdout, 'dmsApiKey');
    expect(await vehicleApiAccepts(apiKey!)).toBe(true);
    expect(await webhookAccepts(GIVEN)).toBe(true);
  });

  it('--keep-previous keeps the old webhook secret accepted; the next set without it drops it', async () => {
    const first = printed((await set('--generate-webhook-secret')).stdout, 'webhookSecret')!;
    expect((await set('--webhook-secret', GIVEN, '--keep-previous')).status).toBe(0);
    expect(await webhookAccepts(first)).toBe(true);
    expect(await webhookAccepts(GIVEN)).toBe(true);
    const third = printed((await set('--generate-webhook-secret')).stdout, 'webhookSecret')!;
    expect(await webhookAccepts(first)).toBe(false);
    expect(await webhookAccepts(GIVEN)).toBe(false);
    expect(await webhookAccepts(third)).toBe(true);
  });

  it('--drop-previous ends the rotation: the old secret is refused, the new one still accepted', async () => {
    const first = printed((await set('--generate-webhook-secret')).stdout, 'webhookSecret')!;
    await set('--webhook-secret', GIVEN, '--keep-previous');
    const result = await set('--drop-previous');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/previous webhook secret\s+not set/);
    expect(await webhookAccepts(first)).toBe(false);
    expect(await webhookAccepts(GIVEN)).toBe(true);
  });

  it('refuses a given key under 24 characters with exit 1, never echoing it, and writes nothing', async () => {
    const result = await set('--webhook-secret', SHORT);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('at least 24 characters');
    expect(result.stderr + result.stdout).not.toContain(SHORT);
    expect(await item()).toBeUndefined();
  });

  it('a short Vehicle API key beside a good webhook secret writes neither', async () => {
    const result = await set('--webhook-secret', GIVEN, '--dms-api-key', SHORT);
    expect(result.status).toBe(1);
    expect(result.stderr + result.stdout).not.toContain(SHORT);
    expect(await item()).toBeUndefined();
  });

  it('refuses a Vehicle API key alone for a dealer without a webhook secret (exit 1)', async () => {
    const result = await set('--generate-dms-api-key');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no webhook secret');
    expect(await item()).toBeUndefined();
  });

  it('a table that does not exist fails with exit 1 and a message', async () => {
    const result = await cli([
      'set',
      '--table',
      'no-such-table',
      '--dealer',
      'bilhallen',
      '--endpoint',
      dynamo.url,
      '--webhook-secret',
      GIVEN,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cannot be read: ResourceNotFoundException');
    expect(result.stderr).not.toContain(GIVEN);
  });
});

describe('inbound-auth set --from-secret', () => {
  const OLD = 'the-previous-webhook-secret-0123456789';
  const API = 'the-vehicle-api-key-from-the-secret-0123';

  it("imports an existing inbound secret's keys, previous values included", async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'wayke-dms/inbound/bilhallen' })
      .resolves({ SecretString: JSON.stringify({ webhookSecret: GIVEN, previousWebhookSecret: OLD, dmsApiKey: API }) });
    const result = await set('--from-secret', 'wayke-dms/inbound/bilhallen');
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain(GIVEN);
    expect(await webhookAccepts(GIVEN)).toBe(true);
    expect(await webhookAccepts(OLD)).toBe(true);
    expect(await vehicleApiAccepts(API)).toBe(true);
  });

  it('refuses a secret whose key is too short to keep as a fast hash, naming the field only', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ webhookSecret: SHORT }) });
    const result = await set('--from-secret', 'wayke-dms/inbound/bilhallen');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('webhook secret in wayke-dms/inbound/bilhallen');
    expect(result.stderr).not.toContain(SHORT);
    expect(await item()).toBeUndefined();
  });

  it('refuses a secret that is not an inbound secret, naming fields and not values', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ waykeClientSecret: GIVEN }) });
    const result = await set('--from-secret', 'wayke-dms/dealer/bilhallen');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid at: webhookSecret');
    expect(result.stderr).not.toContain(GIVEN);
  });

  it('a secret that does not exist fails with exit 1', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    const result = await set('--from-secret', 'wayke-dms/inbound/nobody');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ResourceNotFoundException');
  });
});

describe('inbound-auth show', () => {
  it('prints which keys are set and when, and no verifier', async () => {
    await set('--webhook-secret', GIVEN);
    const result = await show();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/webhook secret\s+set \d{4}-\d\d-\d\dT/);
    expect(result.stdout).toMatch(/Vehicle API key\s+not set/);
    const stored = (await item())!.webhookSecretSha256!.S!;
    expect(result.stdout).not.toContain(stored);
  });

  it('a dealer without keys: exit 1', async () => {
    const result = await show('nobody');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no inbound keys set');
  });
});

describe('inbound-auth usage', () => {
  it.each([
    ['no action', ['--table', 't', '--dealer', 'bilhallen']],
    ['no table', ['set', '--dealer', 'bilhallen', '--generate-webhook-secret']],
    [
      'a dealer id Transfer Family would refuse',
      ['set', '--table', 't', '--dealer', 'ab', '--generate-webhook-secret'],
    ],
    ['nothing to set', ['set', '--table', 't', '--dealer', 'bilhallen']],
    [
      'a key and --generate',
      ['set', '--table', 't', '--dealer', 'bilhallen', '--webhook-secret', GIVEN, '--generate-webhook-secret'],
    ],
    [
      '--from-secret with a key',
      ['set', '--table', 't', '--dealer', 'bilhallen', '--from-secret', 's', '--dms-api-key', GIVEN],
    ],
    [
      '--keep-previous with --drop-previous',
      [
        'set',
        '--table',
        't',
        '--dealer',
        'bilhallen',
        '--generate-webhook-secret',
        '--keep-previous',
        '--drop-previous',
      ],
    ],
    ['show with a key', ['show', '--table', 't', '--dealer', 'bilhallen', '--webhook-secret', GIVEN]],
    ['a mistyped option before a key', ['set', '--table', 't', '--dealer', 'bilhallen', '--webhook-secet', GIVEN]],
  ])('%s: exit 2 with the usage, never echoing a key', async (_name, args) => {
    const result = await cli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Usage: wayke-dms inbound-auth');
    expect(result.stderr + result.stdout).not.toContain(GIVEN);
  });

  it('is listed by `wayke-dms --help` and answers `--help`', async () => {
    expect((await cli(['--help'], main)).stdout).toContain('inbound-auth');
    const help = await cli(['inbound-auth', '--help'], main);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--generate-webhook-secret');
  });
});
