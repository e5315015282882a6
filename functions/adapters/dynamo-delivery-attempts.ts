import { DeleteItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RetryableError } from '../core/errors.js';
import type { Clock, DeliveryAttempts } from '../ports.js';

export interface DynamoDeliveryAttemptsOptions {
  readonly client: DynamoDBClient;
  /** The dedupe table (string partition key `pk`, TTL attribute `expiresAt`). */
  readonly tableName: string;
  /** How long a count is kept after its last failure; default 3 days (beyond any retry schedule). */
  readonly ttlDays?: number;
  readonly clock: Clock;
}

/**
 * {@link DeliveryAttempts} in the dedupe table: `attempts#<eventId>` counts an event's failed
 * attempts (so its retry schedule runs by its own failures, not by how often SQS handed it over
 * behind another message of its group), `endpoint#<dealerId>` holds since when the dealer's DMS
 * fails. Both are single atomic updates; the endpoint item is deleted on the next success.
 */
export class DynamoDeliveryAttempts implements DeliveryAttempts {
  private readonly ttlSeconds: number;

  constructor(private readonly options: DynamoDeliveryAttemptsOptions) {
    this.ttlSeconds = Math.round((options.ttlDays ?? 3) * 86_400);
  }

  async recordFailure(
    eventId: string,
    info: { readonly dealerId: string; readonly endpoint: boolean },
  ): Promise<{ failures: number; endpointFailingSince?: Date }> {
    const now = this.options.clock.now();
    const expiresAt = { N: String(Math.floor(now.getTime() / 1000) + this.ttlSeconds) };
    try {
      const counted = await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: `attempts#${eventId}` } },
          UpdateExpression: 'ADD failures :one SET expiresAt = :expiresAt',
          ExpressionAttributeValues: { ':one': { N: '1' }, ':expiresAt': expiresAt },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const failures = Number(counted.Attributes?.failures?.N ?? '1');
      if (!info.endpoint) return { failures };
      const endpoint = await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: `endpoint#${info.dealerId}` } },
          UpdateExpression: 'SET failingSince = if_not_exists(failingSince, :now), expiresAt = :expiresAt',
          ExpressionAttributeValues: { ':now': { S: now.toISOString() }, ':expiresAt': expiresAt },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const since = endpoint.Attributes?.failingSince?.S;
      return { failures, ...(since ? { endpointFailingSince: new Date(since) } : {}) };
    } catch (error) {
      throw new RetryableError(
        `attempt count write failed: ${(error as Error).name}`,
        { operation: 'UpdateItem attempts', eventId },
        { cause: error },
      );
    }
  }

  async recordEndpointSuccess(dealerId: string): Promise<void> {
    try {
      await this.options.client.send(
        new DeleteItemCommand({ TableName: this.options.tableName, Key: { pk: { S: `endpoint#${dealerId}` } } }),
      );
    } catch (error) {
      throw new RetryableError(
        `endpoint state write failed: ${(error as Error).name}`,
        { operation: 'DeleteItem endpoint', dealerId },
        { cause: error },
      );
    }
  }
}
