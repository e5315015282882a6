import { CreateTableCommand, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoInboundAuthStore,
  InboundAuthNotConfiguredError,
  InboundAuthWriteConflictError,
  readInboundAuthStatus,
  type VerifierUpdate,
  verifierOfGivenKey,
  writeVerifiers,
} from '../../functions/adapters/dynamo-inbound-auth-store.js';
import { DEFAULT_MAX_AGE_MS } from '../../functions/adapters/dealer-cache.js';
import { createTableInput } from '../../functions/core/deployment/tables.js';
import { ConfigError, RetryableError } from '../../functions/core/errors.js';
import { credentialsMatch, keyVerifier } from '../../functions/core/events/credentials.js';
import type { InboundAuth } from '../../functions/ports.js';
import { type Dynamo, startDynamo, TestClock } from '../support/engines.js';

const KEY_1 = 'first-webhook-secret-0123456789abcdef';
const KEY_2 = 'second-webhook-secret-0123456789abcdef';
const KEY_3 = 'third-webhook-secret-0123456789abcdef';
const API_1 = 'first-vehicle-api-key-0123456789abcdef';

let dynamo: Dynamo;
let tables = 0;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

async function freshTable(): Promise<string> {
  const name = `inbound-auth-${++tables}`;
  await dynamo.client.send(new CreateTableCommand(createTableInput('inboundAuth', name)));
  return name;
}

const AT = new Date('2026-12-01T10:00:00.000Z');
const update = (fields: Partial<VerifierUpdate>): VerifierUpdate => ({ keepPrevious: false, at: AT, ...fields });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
/** The keys a stored auth accepts, among the candidates: what the webhook would let in. */
const webhookAccepts = (auth: InboundAuth, key: string) =>
  credentialsMatch(bearer(key), [auth.webhookSecret, auth.previousWebhookSecret]);
const apiAccepts = (auth: InboundAuth, key: string) =>
  credentialsMatch(bearer(key), [auth.dmsApiKey, auth.previousDmsApiKey]);

async function setup() {
  const tableName = await freshTable();
  const options = { client: dynamo.client, tableName };
  const clock = new TestClock();
  return { tableName, options, clock, store: () => new DynamoInboundAuthStore({ ...options, clock }) };
}

describe('DynamoInboundAuthStore: reading', () => {
  it('reads the verifiers writeVerifiers stored, which accept the key and nothing else', async () => {
    const { options, store } = await setup();
    await writeVerifiers(
      options,
      'bilhallen',
      update({ webhookSecret: keyVerifier(KEY_1), dmsApiKey: keyVerifier(API_1) }),
    );
    const auth = await store().getInboundAuth('bilhallen');
    expect(auth).toEqual({ webhookSecret: keyVerifier(KEY_1), dmsApiKey: keyVerifier(API_1) });
    expect(webhookAccepts(auth, KEY_1)).toBe(true);
    expect(webhookAccepts(auth, KEY_2)).toBe(false);
    expect(apiAccepts(auth, API_1)).toBe(true);
    expect(webhookAccepts(auth, keyVerifier(KEY_1).sha256)).toBe(false);
  });

  it('stores no plaintext key: every attribute of the item is a digest, a time, the id or the revision', async () => {
    const { options } = await setup();
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_1) }));
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: options.tableName, Key: { dealerId: { S: 'bilhallen' } } }),
    );
    expect(JSON.stringify(Item)).not.toContain(KEY_1);
    expect(Item).toEqual({
      dealerId: { S: 'bilhallen' },
      revision: { N: '1' },
      webhookSecretSha256: { S: keyVerifier(KEY_1).sha256 },
      webhookSecretSetAt: { S: AT.toISOString() },
    });
  });

  it('a dealer without an item is not configured (a permanent error, not retried)', async () => {
    const { store } = await setup();
    const error = await store()
      .getInboundAuth('nobody')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InboundAuthNotConfiguredError);
    expect(error).not.toBeInstanceOf(RetryableError);
  });

  it('a missing table is not configured', async () => {
    const clock = new TestClock();
    const store = new DynamoInboundAuthStore({ client: dynamo.client, tableName: 'no-such-table', clock });
    await expect(store.getInboundAuth('bilhallen')).rejects.toBeInstanceOf(InboundAuthNotConfiguredError);
  });
});

describe('DynamoInboundAuthStore: caching', () => {
  it('serves a read for up to 60 s, then reads again and sees a rotation', async () => {
    const { options, clock, store: makeStore } = await setup();
    const store = makeStore();
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_1) }));
    expect(webhookAccepts(await store.getInboundAuth('bilhallen'), KEY_1)).toBe(true);
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_2) }));
    clock.advance(DEFAULT_MAX_AGE_MS - 1);
    expect(webhookAccepts(await store.getInboundAuth('bilhallen'), KEY_1)).toBe(true);
    clock.advance(1);
    const fresh = await store.getInboundAuth('bilhallen');
    expect(webhookAccepts(fresh, KEY_2)).toBe(true);
    expect(webhookAccepts(fresh, KEY_1)).toBe(false);
    expect(DEFAULT_MAX_AGE_MS).toBeLessThanOrEqual(60_000);
  });

  it('does not remember a dealer that was not configured yet', async () => {
    const { options, store: makeStore } = await setup();
    const store = makeStore();
    await expect(store.getInboundAuth('bilhallen')).rejects.toBeInstanceOf(InboundAuthNotConfiguredError);
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_1) }));
    expect(webhookAccepts(await store.getInboundAuth('bilhallen'), KEY_1)).toBe(true);
  });
});

describe('writeVerifiers: rotation', () => {
  it('keeps the replaced key accepted with keepPrevious, and drops it on the next change without', async () => {
    const { options, store } = await setup();
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_1) }));
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_2), keepPrevious: true }));
    const during = await store().getInboundAuth('bilhallen');
    expect([KEY_1, KEY_2, KEY_3].map((key) => webhookAccepts(during, key))).toEqual([true, true, false]);
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_3) }));
    const after = await store().getInboundAuth('bilhallen');
    expect([KEY_1, KEY_2, KEY_3].map((key) => webhookAccepts(after, key))).toEqual([false, false, true]);
  });

  it('dropPrevious ends a rotation of both keys without changing either current key', async () => {
    const { options, store } = await setup();
    await writeVerifiers(
      options,
      'bilhallen',
      update({ webhookSecret: keyVerifier(KEY_1), dmsApiKey: keyVerifier(API_1) }),
    );
    await writeVerifiers(
      options,
      'bilhallen',
      update({ webhookSecret: keyVerifier(KEY_2), dmsApiKey: keyVerifier(KEY_3), keepPrevious: true }),
    );
    await writeVerifiers(options, 'bilhallen', update({ dropPrevious: true }));
    const auth = await store().getInboundAuth('bilhallen');
    expect(auth).toEqual({ webhookSecret: keyVerifier(KEY_2), dmsApiKey: keyVerifier(KEY_3) });
  });

  it('replacing without keepPrevious refuses the old key at once', async () => {
    const { options, store } = await setup();
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_1) }));
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_2) }));
    const auth = await store().getInboundAuth('bilhallen');
    expect(webhookAccepts(auth, KEY_1)).toBe(false);
    expect(auth.previousWebhookSecret).toBeUndefined();
  });

  it('changing one key leaves the other key and its previous value as they were', async () => {
    const { options, store } = await setup();
    await writeVerifiers(
      options,
      'bilhallen',
      update({ webhookSecret: keyVerifier(KEY_1), dmsApiKey: keyVerifier(API_1) }),
    );
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_2), keepPrevious: true }));
    await writeVerifiers(options, 'bilhallen', update({ dmsApiKey: keyVerifier(KEY_3) }));
    const auth = await store().getInboundAuth('bilhallen');
    expect(webhookAccepts(auth, KEY_1)).toBe(true);
    expect(webhookAccepts(auth, KEY_2)).toBe(true);
    expect(apiAccepts(auth, API_1)).toBe(false);
    expect(apiAccepts(auth, KEY_3)).toBe(true);
  });

  it('an explicit previous verifier (an imported mid-rotation secret) is stored as given', async () => {
    const { options, store } = await setup();
    await writeVerifiers(
      options,
      'bilhallen',
      update({ webhookSecret: keyVerifier(KEY_2), previousWebhookSecret: keyVerifier(KEY_1) }),
    );
    const auth = await store().getInboundAuth('bilhallen');
    expect(webhookAccepts(auth, KEY_1)).toBe(true);
    expect(webhookAccepts(auth, KEY_2)).toBe(true);
  });

  it('refuses a first write without a webhook secret (ConfigError), writing nothing', async () => {
    const { options } = await setup();
    await expect(
      writeVerifiers(options, 'bilhallen', update({ dmsApiKey: keyVerifier(API_1) })),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(await readInboundAuthStatus(options, 'bilhallen')).toBeUndefined();
  });

  it('reports which keys are set and when, without any verifier', async () => {
    const { options } = await setup();
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_1) }));
    const later = new Date('2026-12-02T08:00:00.000Z');
    await writeVerifiers(
      options,
      'bilhallen',
      update({ webhookSecret: keyVerifier(KEY_2), keepPrevious: true, at: later }),
    );
    const status = await readInboundAuthStatus(options, 'bilhallen');
    expect(status).toEqual({
      revision: 2,
      keys: { webhookSecret: { setAt: later.toISOString() }, previousWebhookSecret: { setAt: AT.toISOString() } },
    });
    expect(JSON.stringify(status)).not.toContain(keyVerifier(KEY_2).sha256);
  });
});

describe('writeVerifiers: concurrent writes', () => {
  /** A client whose first PutItem lets `meanwhile` write first, as a second operator would. */
  function interleaving(client: DynamoDBClient, meanwhile: () => Promise<unknown>): DynamoDBClient {
    let done = false;
    return {
      send: async (command: unknown) => {
        if (command instanceof PutItemCommand && !done) {
          done = true;
          await meanwhile();
        }
        return client.send(command as PutItemCommand);
      },
    } as unknown as DynamoDBClient;
  }

  it('refuses a write when another landed between its read and its put, keeping the other one', async () => {
    const { options, store } = await setup();
    await writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_1) }));
    const racing = {
      ...options,
      client: interleaving(dynamo.client, () =>
        writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_2) })),
      ),
    };
    const error = await writeVerifiers(racing, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_3) })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InboundAuthWriteConflictError);
    expect(error).toBeInstanceOf(RetryableError);
    const auth = await store().getInboundAuth('bilhallen');
    expect(webhookAccepts(auth, KEY_2)).toBe(true);
    expect(webhookAccepts(auth, KEY_3)).toBe(false);
    expect((await readInboundAuthStatus(options, 'bilhallen'))?.revision).toBe(2);
  });

  it('refuses the second of two first writes for a dealer', async () => {
    const { options, store } = await setup();
    const racing = {
      ...options,
      client: interleaving(dynamo.client, () =>
        writeVerifiers(options, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_1) })),
      ),
    };
    await expect(
      writeVerifiers(racing, 'bilhallen', update({ webhookSecret: keyVerifier(KEY_2) })),
    ).rejects.toBeInstanceOf(InboundAuthWriteConflictError);
    expect(webhookAccepts(await store().getInboundAuth('bilhallen'), KEY_1)).toBe(true);
  });
});

describe('DynamoInboundAuthStore: malformed items match nothing', () => {
  async function putRaw(tableName: string, attributes: Record<string, string>) {
    const item = Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { S: value }]));
    await dynamo.client.send(
      new PutItemCommand({ TableName: tableName, Item: { dealerId: { S: 'bilhallen' }, ...item } }),
    );
  }
  const valid = keyVerifier(KEY_1).sha256;

  it.each([
    ['the key itself in place of its verifier', { webhookSecretSha256: KEY_1 }],
    ['an upper-case digest', { webhookSecretSha256: valid.toUpperCase() }],
    ['a short digest', { webhookSecretSha256: valid.slice(0, 63) }],
    ['no webhook verifier at all', { dmsApiKeySha256: valid }],
    [
      'a valid webhook verifier beside a malformed API key verifier',
      { webhookSecretSha256: valid, dmsApiKeySha256: 'x' },
    ],
  ])('%s: refused whole, as not configured', async (_name, attributes) => {
    const { tableName, store } = await setup();
    await putRaw(tableName, attributes);
    const error = await store()
      .getInboundAuth('bilhallen')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InboundAuthNotConfiguredError);
    expect((error as Error).message).not.toContain(KEY_1);
    expect((error as Error).message).not.toContain(valid);
  });

  it('a revision that is not a whole number is refused', async () => {
    const { tableName, store } = await setup();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { dealerId: { S: 'bilhallen' }, webhookSecretSha256: { S: valid }, revision: { N: '1.5' } },
      }),
    );
    await expect(store().getInboundAuth('bilhallen')).rejects.toBeInstanceOf(InboundAuthNotConfiguredError);
  });
});

describe('verifierOfGivenKey', () => {
  it('refuses a key under 24 characters without quoting it', () => {
    const short = 'short-key-23-characters';
    expect(short).toHaveLength(23);
    let error: unknown;
    try {
      verifierOfGivenKey(short, 'the webhook secret');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('24 characters');
    expect((error as Error).message).not.toContain(short);
    expect(verifierOfGivenKey(`${short}x`, 'the webhook secret')).toEqual(keyVerifier(`${short}x`));
  });
});
