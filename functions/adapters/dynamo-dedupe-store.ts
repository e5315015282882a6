import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { RetryableError } from '../core/errors.js';
import type { Clock, DedupeStore, LastDelivery } from '../ports.js';

export interface DynamoDedupeStoreOptions {
  readonly client: DynamoDBClient;
  /** Table with string partition key `pk` and TTL attribute `expiresAt` (epoch seconds). */
  readonly tableName: string;
  /** How long an accepted event is remembered, in days (default {@link DEFAULT_DEDUPE_TTL_DAYS}). */
  readonly ttlDays?: number;
  readonly clock: Clock;
}

/** Days an accepted event is remembered beyond the FIFO queue's 5-minute window. */
export const DEFAULT_DEDUPE_TTL_DAYS = 14;
/** BatchGetItem's most keys per call. */
const BATCH_GET_LIMIT = 100;
/** Calls per page before keys DynamoDB keeps leaving unprocessed count as an outage. */
const BATCH_GET_ATTEMPTS = 5;

const key = (eventId: string) => ({ pk: { S: `event#${eventId}` } });
const lastKey = (subject: string) => ({ pk: { S: `last#${subject}` } });

/** The `pk`s of event items not past `expiresAt` (DynamoDB's TTL deletes lazily). */
function unexpiredEventPks(items: ReadonlyArray<Record<string, AttributeValue>>, now: number): string[] {
  return items.flatMap((item) => {
    const pk = item.pk?.S;
    const expiresAt = Number(item.expiresAt?.N ?? Number.NaN);
    return pk?.startsWith('event#') && !(expiresAt <= now) ? [pk] : [];
  });
}

/*
 * Why not Powertools idempotency: it caches one response per identical request, so a second
 * identical webhook body would always be answered from the cache. A re-send here is the same body
 * AND the same content (as read from Wayke) as the last delivery about that vehicle, with nothing
 * between — a key per vehicle compared on delivery, which its record-per-payload model cannot say.
 */

/**
 * The {@link DedupeStore} over DynamoDB: one item per accepted event, `pk = event#<id>`, and one
 * per subject for its last delivery, `pk = last#<subject>`, both expiring after `ttlDays`. Reads
 * are strongly consistent and ignore items past `expiresAt` (DynamoDB's TTL deletes lazily); the
 * event write is conditional so two racing deliveries record once.
 */
export class DynamoDedupeStore implements DedupeStore {
  private readonly ttlSeconds: number;

  constructor(private readonly options: DynamoDedupeStoreOptions) {
    this.ttlSeconds = Math.round((options.ttlDays ?? DEFAULT_DEDUPE_TTL_DAYS) * 86_400);
  }

  private nowSeconds(): number {
    return Math.floor(this.options.clock.now().getTime() / 1000);
  }

  async wasDelivered(eventId: string): Promise<boolean> {
    try {
      const result = await this.options.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: key(eventId),
          ConsistentRead: true,
          ProjectionExpression: 'expiresAt',
        }),
      );
      const expiresAt = Number(result.Item?.expiresAt?.N ?? Number.NaN);
      return result.Item !== undefined && !(expiresAt <= this.nowSeconds());
    } catch (error) {
      throw new RetryableError(
        `dedupe read failed: ${(error as Error).name}`,
        { operation: 'GetItem', eventId },
        { cause: error },
      );
    }
  }

  async deliveredAmong(eventIds: readonly string[]): Promise<ReadonlySet<string>> {
    const unique = [...new Set(eventIds)];
    const delivered = new Set<string>();
    const now = this.nowSeconds();
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      for (const pk of await this.readPage(unique.slice(start, start + BATCH_GET_LIMIT).map(key), now))
        delivered.add(pk.slice('event#'.length));
    }
    return delivered;
  }

  /** One BatchGetItem page: the `pk`s of the unexpired event items among `keys`. */
  private async readPage(keys: Array<Record<string, AttributeValue>>, now: number): Promise<string[]> {
    const found: string[] = [];
    let pending = keys;
    // DynamoDB may leave keys unprocessed under load: ask again for those, a few times.
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === BATCH_GET_ATTEMPTS)
        throw new RetryableError('dedupe batch read left keys unprocessed', { operation: 'BatchGetItem' });
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const result = await this.batchGet(pending);
      found.push(...unexpiredEventPks(result.Responses?.[this.options.tableName] ?? [], now));
      pending = result.UnprocessedKeys?.[this.options.tableName]?.Keys ?? [];
    }
    return found;
  }

  private async batchGet(keys: Array<Record<string, AttributeValue>>): Promise<BatchGetItemCommandOutput> {
    try {
      return await this.options.client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.options.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'pk, expiresAt' },
          },
        }),
      );
    } catch (error) {
      throw new RetryableError(
        `dedupe batch read failed: ${(error as Error).name}`,
        { operation: 'BatchGetItem' },
        { cause: error },
      );
    }
  }

  async markDelivered(
    eventId: string,
    info: { readonly dealerId: string; readonly type: string; readonly last?: LastDelivery },
  ): Promise<boolean> {
    const now = this.nowSeconds();
    const expiresAt = { N: String(now + this.ttlSeconds) };
    // The subject's last delivery first: should the event write then fail, the retry finds the
    // same body and content as last delivered and acknowledges it — never a lost record.
    if (info.last) {
      const last = info.last;
      await this.put(
        {
          ...lastKey(last.subject),
          eventId: { S: last.eventId },
          bodyHash: { S: last.bodyHash },
          contentHash: { S: last.contentHash },
          deliveredAt: { S: new Date(now * 1000).toISOString() },
          expiresAt,
        },
        'PutItem last',
        eventId,
      );
    }
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            ...key(eventId),
            dealerId: { S: info.dealerId },
            type: { S: info.type },
            deliveredAt: { S: new Date(now * 1000).toISOString() },
            expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      )
        return false;
      throw new RetryableError(
        `dedupe write failed: ${(error as Error).name}`,
        { operation: 'PutItem', eventId },
        { cause: error },
      );
    }
  }

  async lastDelivery(subject: string): Promise<LastDelivery | null> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      item = (
        await this.options.client.send(
          new GetItemCommand({ TableName: this.options.tableName, Key: lastKey(subject), ConsistentRead: true }),
        )
      ).Item;
    } catch (error) {
      throw new RetryableError(
        `dedupe read failed: ${(error as Error).name}`,
        { operation: 'GetItem last' },
        { cause: error },
      );
    }
    const expiresAt = Number(item?.expiresAt?.N ?? Number.NaN);
    if (!item || expiresAt <= this.nowSeconds()) return null;
    const [eventId, bodyHash, contentHash] = [item.eventId?.S, item.bodyHash?.S, item.contentHash?.S];
    if (!eventId || !bodyHash || !contentHash) return null;
    return { subject, eventId, bodyHash, contentHash };
  }

  private async put(item: Record<string, AttributeValue>, operation: string, eventId: string): Promise<void> {
    try {
      await this.options.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: item }));
    } catch (error) {
      throw new RetryableError(
        `dedupe write failed: ${(error as Error).name}`,
        { operation, eventId },
        { cause: error },
      );
    }
  }
}
