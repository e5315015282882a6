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

/** The item attributes, one per {@link InboundAuth} field. */
const ATTRIBUTES = {
  webhookSecret: 'webhookSecretSha256',
  previousWebhookSecret: 'previousWebhookSecretSha256',
  dmsApiKey: 'dmsApiKeySha256',
  previousDmsApiKey: 'previousDmsApiKeySha256',
} as const satisfies Record<keyof InboundAuth, string>;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A dealer has no verifier item, or an unreadable one: fixing it needs an operator. */
export class InboundAuthNotConfiguredError extends PermanentError {}

/** A fresh inbound key (base64url, 256 bits of entropy). */
export function generateInboundKey(): string {
  return randomBytes(GENERATED_KEY_BYTES).toString('base64url');
}

/** The verifier of a key the operator gives; throws {@link ConfigError} for one too short to hash fast. */
export function verifierOfGivenKey(key: string, what: string): KeyVerifier {
  if (key.length < MIN_GIVEN_KEY_LENGTH)
    throw new ConfigError(`${what} must be at least ${MIN_GIVEN_KEY_LENGTH} characters (use --generate)`);
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

/** What an operator sets: a new verifier per key it changes; `keepPrevious` keeps the replaced one accepted. */
export interface VerifierUpdate {
  readonly webhookSecret?: KeyVerifier;
  readonly dmsApiKey?: KeyVerifier;
  readonly keepPrevious: boolean;
}

/**
 * Writes a dealer's verifiers (the operator path, `wayke-dms inbound-auth set`; no Lambda may).
 * A changed key's old verifier becomes the previous one with `keepPrevious`, else is dropped; a
 * key not changed keeps its verifiers. Reads consistently and writes only if nobody wrote between.
 */
export async function writeVerifiers(
  options: { readonly client: DynamoDBClient; readonly tableName: string },
  dealerId: string,
  update: VerifierUpdate,
): Promise<Partial<InboundAuth>> {
  const stored = await readItem(options, dealerId, true);
  const current = stored?.auth;
  const next = nextVerifiers(current, update);
  if (!next.webhookSecret) throw new ConfigError(`dealer ${dealerId} has no webhook secret yet: give one`);
  const revision = stored?.revision ?? 0;
  const item: Record<string, { S: string } | { N: string }> = {
    [TABLES.inboundAuth.partitionKey]: { S: dealerId },
    revision: { N: String(revision + 1) },
  };
  for (const [field, attribute] of Object.entries(ATTRIBUTES)) {
    const verifier = next[field as keyof InboundAuth] as KeyVerifier | undefined;
    if (verifier) item[attribute] = { S: verifier.sha256 };
  }
  await options.client.send(
    new PutItemCommand({
      TableName: options.tableName,
      Item: item,
      ConditionExpression: current ? 'revision = :revision' : 'attribute_not_exists(#pk)',
      ...(current
        ? { ExpressionAttributeValues: { ':revision': { N: String(revision) } } }
        : { ExpressionAttributeNames: { '#pk': TABLES.inboundAuth.partitionKey } }),
    }),
  );
  return next;
}

function nextVerifiers(current: InboundAuth | undefined, update: VerifierUpdate): Partial<InboundAuth> {
  const rotate = (now?: KeyVerifier, before?: KeyVerifier, given?: KeyVerifier) =>
    given ? { now: given, before: update.keepPrevious ? now : undefined } : { now, before };
  const hook = rotate(
    current?.webhookSecret as KeyVerifier | undefined,
    current?.previousWebhookSecret as KeyVerifier | undefined,
    update.webhookSecret,
  );
  const api = rotate(
    current?.dmsApiKey as KeyVerifier | undefined,
    current?.previousDmsApiKey as KeyVerifier | undefined,
    update.dmsApiKey,
  );
  return {
    webhookSecret: hook.now,
    previousWebhookSecret: hook.before,
    dmsApiKey: api.now,
    previousDmsApiKey: api.before,
  };
}

/** The dealer's verifiers and the item's revision, or undefined when the dealer has no item. */
async function readItem(
  options: { readonly client: DynamoDBClient; readonly tableName: string },
  dealerId: string,
  consistent: boolean,
): Promise<{ auth: InboundAuth; revision: number } | undefined> {
  const context = { dealerId, operation: 'GetItem', table: options.tableName };
  let item: Record<string, { S?: string; N?: string }> | undefined;
  try {
    const result = await options.client.send(
      new GetItemCommand({
        TableName: options.tableName,
        Key: { [TABLES.inboundAuth.partitionKey]: { S: dealerId } },
        ConsistentRead: consistent,
      }),
    );
    item = result.Item;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'AccessDeniedException' || name === 'ResourceNotFoundException')
      throw new InboundAuthNotConfiguredError(`inbound-auth table cannot be read: ${name}`, context, { cause: error });
    throw new RetryableError(`reading inbound auth of dealer ${dealerId} failed: ${name}`, context, { cause: error });
  }
  if (!item) return undefined;
  const verifiers: Record<string, KeyVerifier> = {};
  for (const [field, attribute] of Object.entries(ATTRIBUTES)) {
    const value = item[attribute]?.S;
    if (value === undefined) continue;
    if (!SHA256_HEX.test(value))
      throw new InboundAuthNotConfiguredError(
        `inbound auth of dealer ${dealerId} is invalid at: ${attribute}`,
        context,
      );
    verifiers[field] = { sha256: value };
  }
  if (!verifiers.webhookSecret)
    throw new InboundAuthNotConfiguredError(
      `inbound auth of dealer ${dealerId} is invalid at: webhookSecretSha256`,
      context,
    );
  return { auth: verifiers as unknown as InboundAuth, revision: Number(item.revision?.N ?? 0) };
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
