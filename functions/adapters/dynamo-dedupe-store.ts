import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { RetryableError } from '../core/errors.js';
import type { Clock, DedupeStore, LastDelivery } from '../ports.js';

export interface DynamoDedupeStoreOptions {
  readonly client: DynamoDBClient;
  /** Table with string partition key `pk` and TTL attribute `expiresAt` (epoch seconds). */
  readonly tableName: string;
  /** How long an accepted event is remembered; default 14 days. */
  readonly ttlDays?: number;
  readonly clock: Clock;
}

const key = (eventId: string) => ({ pk: { S: `event#${eventId}` } });
const lastKey = (subject: string) => ({ pk: { S: `last#${subject}` } });

/**
 * The {@link DedupeStore} over DynamoDB: one item per accepted event, `pk = event#<id>`, and one
 * per subject for its last delivery, `pk = last#<subject>`, both expiring after `ttlDays`. Reads
 * are strongly consistent and ignore items past `expiresAt` (DynamoDB's TTL deletes lazily); the
 * event write is conditional so two racing deliveries record once.
 */
export class DynamoDedupeStore implements DedupeStore {
  private readonly ttlSeconds: number;

  constructor(private readonly options: DynamoDedupeStoreOptions) {
    this.ttlSeconds = Math.round((options.ttlDays ?? 14) * 86_400);
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
    for (let start = 0; start < unique.length; start += 100) {
      let keys: Array<Record<string, AttributeValue>> = unique.slice(start, start + 100).map(key);
      // DynamoDB may leave keys unprocessed under load: ask again for those, a few times.
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt === 5)
          throw new RetryableError('dedupe batch read left keys unprocessed', { operation: 'BatchGetItem' });
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        let result;
        try {
          result = await this.options.client.send(
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
        for (const item of result.Responses?.[this.options.tableName] ?? []) {
          const expiresAt = Number(item.expiresAt?.N ?? Number.NaN);
          const pk = item.pk?.S;
          if (pk?.startsWith('event#') && !(expiresAt <= now)) delivered.add(pk.slice('event#'.length));
        }
        keys = result.UnprocessedKeys?.[this.options.tableName]?.Keys ?? [];
      }
    }
    return delivered;
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
