import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { RateDecision, RateLimiter } from '../ports.js';

/**
 * A token bucket per key shared by every Lambda instance, as GCRA (the "theoretical arrival time"
 * form of a token bucket) on one DynamoDB item: `pk = rate#<key>`, `tat` (epoch ms), `expiresAt`
 * (TTL, s). A request costs one conditional UpdateItem when allowed — no read first — and one
 * GetItem more when refused, to tell the client how long to wait. In-memory buckets would let
 * each warm instance grant the whole burst again.
 */

export interface DynamoRateLimiterOptions {
  readonly client: DynamoDBClient;
  /** Table with string partition key `pk` and TTL attribute `expiresAt` (the dedupe table). */
  readonly tableName: string;
  readonly now?: () => number;
}

export class DynamoRateLimiter implements RateLimiter {
  private readonly now: () => number;
  /** Keys whose bucket was busy at the last request here: their busy-case write is tried first. */
  private readonly busy = new Set<string>();

  constructor(private readonly options: DynamoRateLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  async take(
    key: string,
    limit: { readonly requestsPerSecond: number; readonly burst: number },
  ): Promise<RateDecision> {
    const interval = 1000 / limit.requestsPerSecond;
    // A request is allowed while the arrival time it would push to lies within `burst` intervals.
    const tolerance = interval * limit.burst;
    const itemKey = { pk: { S: `rate#${key}` } };
    // Two races (the item changed between the two writes) are worth a second look, not a refusal.
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      const expiresAt = { N: String(Math.ceil((now + tolerance) / 1000) + 60) };
      // Idle bucket (first request, or the last one long ago): start afresh from now.
      const idle = () =>
        this.update(itemKey, 'SET tat = :next, expiresAt = :exp', 'attribute_not_exists(tat) OR tat < :now', {
          ':next': { N: String(now + interval) },
          ':now': { N: String(now) },
          ':exp': expiresAt,
        });
      // Busy bucket: push the arrival time on by one interval, while it stays within the burst.
      const busy = () =>
        this.update(itemKey, 'SET tat = tat + :interval, expiresAt = :exp', 'tat >= :now AND tat <= :latest', {
          ':interval': { N: String(interval) },
          ':now': { N: String(now) },
          ':latest': { N: String(now + tolerance - interval) },
          ':exp': expiresAt,
        });
      // Under load the busy case is the likely one: one write instead of a failed one first.
      const order = this.busy.has(key) ? [busy, idle] : [idle, busy];
      for (const [index, attempt] of order.entries()) {
        if (await attempt()) {
          if (order[index] === busy) this.busy.add(key);
          else this.busy.delete(key);
          return { allowed: true };
        }
      }
      const current = await this.options.client.send(
        new GetItemCommand({ TableName: this.options.tableName, Key: itemKey, ConsistentRead: true }),
      );
      const tat = Number(current.Item?.tat?.N ?? Number.NaN);
      if (Number.isFinite(tat) && tat > now + tolerance - interval) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((tat - (now + tolerance - interval)) / 1000)),
        };
      }
    }
    return { allowed: false, retryAfterSeconds: 1 };
  }

  private async update(
    key: Record<string, { S: string }>,
    expression: string,
    condition: string,
    values: Record<string, { N: string }>,
  ): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
