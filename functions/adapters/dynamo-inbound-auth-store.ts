/**
 * Inbound-key verifiers in DynamoDB: one item per dealer (`TABLES.inboundAuth`) holding the SHA-256
 * of each key a caller may present — webhook secret and Vehicle API key, each with its previous
 * value during a rotation. A verifier is all the webhook and Vehicle API need (they compare digests),
 * so no plaintext inbound key is stored in AWS, and a dealer needs no second Secrets Manager secret.
 * A fast hash is safe here only because every key is high-entropy (≥ 128 bits generated, ≥ 24
 * characters given): guessing such a key from its SHA-256 is as hard as guessing the key itself;
 * a short or human-chosen password would need a slow hash instead.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, PermanentError, RetryableError } from '../core/errors.js';
import { keyVerifier } from '../core/events/credentials.js';
import { TABLES } from '../core/deployment/tables.js';
import type { Clock, InboundAuth, InboundAuthStore, KeyVerifier } from '../ports.js';
import { DealerCache, type DealerCacheOptions } from './dealer-cache.js';
import { SecretsManagerInboundAuthStore } from './secrets-manager-secret-store.js';

/** A given key shorter than this is refused: below it, a fast hash no longer protects it. */
export const MIN_GIVEN_KEY_LENGTH = 24;
/** Random bytes of a generated key: 256 bits, well above the 128 bits the fast hash needs. */
const GENERATED_KEY_BYTES = 32;

type Field = keyof InboundAuth;
/** Every {@link InboundAuth} field; `satisfies` makes a field added to the port a compile error here. */
const FIELD_SET = {
  webhookSecret: true,
  previousWebhookSecret: true,
  dmsApiKey: true,
  previousDmsApiKey: true,
} as const satisfies Record<Field, true>;
const FIELDS = Object.keys(FIELD_SET) as Field[];

/** One item attribute per field: `<field><suffix>`. */
const attributesOf = <S extends string>(suffix: S) =>
  Object.fromEntries(FIELDS.map((field) => [field, `${field}${suffix}`])) as Record<Field, `${Field}${S}`>;
/** The verifier attributes (`webhookSecretSha256`, …). */
const ATTRIBUTES = attributesOf('Sha256');
/** When each verifier was set (ISO 8601), for `inbound-auth show`; never read by the functions. */
const SET_AT_ATTRIBUTES = attributesOf('SetAt');
const SHA256_HEX = /^[0-9a-f]{64}$/;

type Attribute = { S?: string; N?: string };
type Options = { readonly client: DynamoDBClient; readonly tableName: string };

/** A dealer has no verifier item, or an unreadable one: fixing it needs an operator. */
export class InboundAuthNotConfiguredError extends PermanentError {}

/** Someone else wrote the dealer's verifiers between this write's read and its put: nothing was written. */
export class InboundAuthWriteConflictError extends RetryableError {}

/** A fresh inbound key (base64url, 256 bits of entropy). */
export function generateInboundKey(): string {
  return randomBytes(GENERATED_KEY_BYTES).toString('base64url');
}

/** The verifier of a key the operator gives; throws {@link ConfigError} for one too short to hash fast. */
export function verifierOfGivenKey(key: string, what: string): KeyVerifier {
  if (key.length < MIN_GIVEN_KEY_LENGTH)
    throw new ConfigError(`${what} must be at least ${MIN_GIVEN_KEY_LENGTH} characters; generate one instead`);
  return keyVerifier(key);
}

export interface DynamoInboundAuthStoreOptions extends DealerCacheOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** The {@link InboundAuthStore} over the verifier table; reads only (GetItem), cached like secrets. */
export class DynamoInboundAuthStore implements InboundAuthStore {
  private readonly cache: DealerCache<InboundAuth>;

  constructor(private readonly options: DynamoInboundAuthStoreOptions) {
    this.cache = new DealerCache(async (dealerId) => {
      const stored = await readItem(options, dealerId, false);
      if (!stored)
        throw new InboundAuthNotConfiguredError(`dealer ${dealerId} has no inbound auth set`, {
          dealerId,
          table: options.tableName,
        });
      return stored.auth;
    }, options);
  }

  getInboundAuth(dealerId: string): Promise<InboundAuth> {
    return this.cache.get(dealerId);
  }
}

/**
 * What an operator sets: a new verifier per key it changes; `keepPrevious` keeps the replaced one
 * accepted. An explicit previous verifier (importing a secret that is mid-rotation) wins over it.
 */
export interface VerifierUpdate {
  readonly webhookSecret?: KeyVerifier;
  readonly previousWebhookSecret?: KeyVerifier;
  readonly dmsApiKey?: KeyVerifier;
  readonly previousDmsApiKey?: KeyVerifier;
  readonly keepPrevious: boolean;
  /** Stop accepting the previous value of each key this update does not change (the end of a rotation). */
  readonly dropPrevious?: boolean;
  /** When the change is made: recorded per verifier it sets. */
  readonly at: Date;
}

/** A stored verifier and when it was set. */
interface Entry {
  readonly verifier: KeyVerifier;
  readonly setAt?: string;
}
type Entries = Partial<Record<Field, Entry>>;

/** Which keys a dealer has and when each was set, without the verifiers (`inbound-auth show`). */
export interface InboundAuthStatus {
  readonly revision: number;
  readonly keys: Partial<Record<Field, { readonly setAt?: string }>>;
}

/**
 * Writes a dealer's verifiers (the operator path, `wayke-dms inbound-auth set`; no Lambda may).
 * A changed key's old verifier becomes the previous one with `keepPrevious`, else is dropped; a
 * key not changed keeps its verifiers. Reads consistently and writes only if nobody wrote between
 * ({@link InboundAuthWriteConflictError} otherwise). Returns which keys are set now.
 */
export async function writeVerifiers(
  options: Options,
  dealerId: string,
  update: VerifierUpdate,
): Promise<InboundAuthStatus> {
  const stored = await readItem(options, dealerId, true);
  const next = nextEntries(stored?.entries ?? {}, update);
  if (!next.webhookSecret) throw new ConfigError(`dealer ${dealerId} has no webhook secret yet: give one`);
  const revision = stored?.revision ?? 0;
  try {
    await options.client.send(
      new PutItemCommand({
        TableName: options.tableName,
        Item: itemOf(dealerId, revision + 1, next),
        ConditionExpression: stored ? '#revision = :revision' : 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: stored ? { '#revision': 'revision' } : { '#pk': TABLES.inboundAuth.partitionKey },
        ...(stored ? { ExpressionAttributeValues: { ':revision': { N: String(revision) } } } : {}),
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    throw new InboundAuthWriteConflictError(
      `inbound auth of dealer ${dealerId} changed while it was written; nothing was written, run it again`,
      { dealerId, operation: 'PutItem', table: options.tableName },
      { cause: error },
    );
  }
  return statusOf(revision + 1, next);
}

/** Which keys a dealer has and when they were set, or undefined when it has none. */
export async function readInboundAuthStatus(
  options: Options,
  dealerId: string,
): Promise<InboundAuthStatus | undefined> {
  const stored = await readItem(options, dealerId, true);
  return stored && statusOf(stored.revision, stored.entries);
}

function statusOf(revision: number, entries: Entries): InboundAuthStatus {
  const keys: InboundAuthStatus['keys'] = {};
  for (const field of FIELDS) {
    const entry = entries[field];
    if (entry) keys[field] = entry.setAt === undefined ? {} : { setAt: entry.setAt };
  }
  return { revision, keys };
}

function itemOf(dealerId: string, revision: number, entries: Entries): Record<string, { S: string } | { N: string }> {
  const item: Record<string, { S: string } | { N: string }> = {
    [TABLES.inboundAuth.partitionKey]: { S: dealerId },
    revision: { N: String(revision) },
  };
  for (const field of FIELDS) {
    const entry = entries[field];
    if (!entry) continue;
    item[ATTRIBUTES[field]] = { S: entry.verifier.sha256 };
    if (entry.setAt) item[SET_AT_ATTRIBUTES[field]] = { S: entry.setAt };
  }
  return item;
}

/** One key's pair (current, previous) after an update that gives `current` and maybe `previous`. */
function rotate(
  stored: { now?: Entry; before?: Entry },
  given: { now?: KeyVerifier; before?: KeyVerifier },
  update: VerifierUpdate,
): { now?: Entry; before?: Entry } {
  const at = update.at.toISOString();
  if (!given.now) return update.dropPrevious ? { now: stored.now } : stored;
  const now = { verifier: given.now, setAt: at };
  if (given.before) return { now, before: { verifier: given.before, setAt: at } };
  return { now, before: update.keepPrevious ? stored.now : undefined };
}

function nextEntries(current: Entries, update: VerifierUpdate): Entries {
  const hook = rotate(
    { now: current.webhookSecret, before: current.previousWebhookSecret },
    { now: update.webhookSecret, before: update.previousWebhookSecret },
    update,
  );
  const api = rotate(
    { now: current.dmsApiKey, before: current.previousDmsApiKey },
    { now: update.dmsApiKey, before: update.previousDmsApiKey },
    update,
  );
  return {
    webhookSecret: hook.now,
    previousWebhookSecret: hook.before,
    dmsApiKey: api.now,
    previousDmsApiKey: api.before,
  };
}

/** The raw item, or undefined when the dealer has none; a failed read as a typed error. */
async function getItem(
  options: Options,
  dealerId: string,
  consistent: boolean,
): Promise<Record<string, Attribute> | undefined> {
  const context = { dealerId, operation: 'GetItem', table: options.tableName };
  try {
    const result = await options.client.send(
      new GetItemCommand({
        TableName: options.tableName,
        Key: { [TABLES.inboundAuth.partitionKey]: { S: dealerId } },
        ConsistentRead: consistent,
      }),
    );
    return result.Item;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'AccessDeniedException' || name === 'ResourceNotFoundException')
      throw new InboundAuthNotConfiguredError(`inbound-auth table cannot be read: ${name}`, context, { cause: error });
    throw new RetryableError(`reading inbound auth of dealer ${dealerId} failed: ${name}`, context, { cause: error });
  }
}

/**
 * The dealer's verifiers and the item's revision, or undefined when the dealer has no item. An
 * item with a verifier that is no SHA-256, or without a webhook secret, is refused whole: a
 * half-readable item must not let anyone in on the part that still parses.
 */
async function readItem(
  options: Options,
  dealerId: string,
  consistent: boolean,
): Promise<{ auth: InboundAuth; entries: Entries; revision: number } | undefined> {
  const item = await getItem(options, dealerId, consistent);
  if (!item) return undefined;
  const invalid = (attribute: string) =>
    new InboundAuthNotConfiguredError(`inbound auth of dealer ${dealerId} is invalid at: ${attribute}`, {
      dealerId,
      table: options.tableName,
    });
  const entries: Entries = {};
  for (const field of FIELDS) {
    const value = item[ATTRIBUTES[field]]?.S;
    if (value === undefined) continue;
    if (!SHA256_HEX.test(value)) throw invalid(ATTRIBUTES[field]);
    entries[field] = { verifier: { sha256: value }, setAt: item[SET_AT_ATTRIBUTES[field]]?.S };
  }
  const revision = Number(item.revision?.N ?? 0);
  if (!entries.webhookSecret) throw invalid(ATTRIBUTES.webhookSecret);
  if (!Number.isSafeInteger(revision)) throw invalid('revision');
  const auth = Object.fromEntries(
    FIELDS.flatMap((field) => (entries[field] ? [[field, entries[field].verifier]] : [])),
  );
  return { auth: auth as unknown as InboundAuth, entries, revision };
}

/**
 * The inbound-auth store of a handler: the verifier table when `INBOUND_AUTH_TABLE` is set (AWS),
 * else the inbound secrets under `INBOUND_SECRET_PREFIX` (the local run, whose `secrets.json`
 * holds the keys themselves).
 */
export function inboundAuthStore(
  env: {
    readonly INBOUND_AUTH_TABLE?: string;
    readonly INBOUND_SECRET_PREFIX: string;
    readonly SECRET_MAX_AGE_SECONDS: number;
  },
  clock: Clock,
  clients: { readonly dynamo?: DynamoDBClient; readonly secretsManager?: SecretsManagerClient } = {},
): InboundAuthStore {
  const maxAgeMs = env.SECRET_MAX_AGE_SECONDS * 1000;
  return env.INBOUND_AUTH_TABLE
    ? new DynamoInboundAuthStore({
        client: clients.dynamo ?? new DynamoDBClient({}),
        tableName: env.INBOUND_AUTH_TABLE,
        maxAgeMs,
        clock,
      })
    : new SecretsManagerInboundAuthStore({
        client: clients.secretsManager ?? new SecretsManagerClient({}),
        prefix: env.INBOUND_SECRET_PREFIX,
        maxAgeMs,
        clock,
      });
}
