import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyUnknownError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { UnavailableError } from '../core/errors.js';
import { IdempotencyConflictError, IdempotencyInProgressError } from '../core/vehicle-api/errors.js';
import type { IdempotencyGuard, StoredResponse } from '../ports.js';

export interface PowertoolsIdempotencyGuardOptions {
  readonly client: DynamoDBClient;
  /** Table with string partition key `pk` and TTL attribute `expiresAt` (the dedupe table). */
  readonly tableName: string;
  readonly expiresAfterSeconds: number;
}

/**
 * The {@link IdempotencyGuard} on Powertools idempotency: records `pk = vehicle-api#<hash of key>`
 * in the dedupe table, the first answer replayed until `expiresAt`. The key's request fingerprint
 * is Powertools' payload validation, so a reused key with another body is refused, not replayed.
 */
export class PowertoolsIdempotencyGuard implements IdempotencyGuard {
  private readonly config: IdempotencyConfig;
  private readonly run: (
    input: { key: string; fingerprint: string },
    work: () => Promise<StoredResponse>,
  ) => Promise<StoredResponse>;

  constructor(options: PowertoolsIdempotencyGuardOptions) {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      keyAttr: 'pk',
      expiryAttr: 'expiresAt',
      awsSdkV3Client: options.client,
    });
    this.config = new IdempotencyConfig({
      eventKeyJmesPath: 'key',
      payloadValidationJmesPath: 'fingerprint',
      expiresAfterSeconds: options.expiresAfterSeconds,
      throwOnNoIdempotencyKey: true,
    });
    this.run = makeIdempotent(
      async (_input: { key: string; fingerprint: string }, work: () => Promise<StoredResponse>) => work(),
      {
        persistenceStore,
        config: this.config,
        keyPrefix: 'vehicle-api',
        dataIndexArgument: 0,
      },
    );
  }

  /** With the invocation's context, a record left in progress by a crash expires with the invocation. */
  registerLambdaContext(context: Context): void {
    this.config.registerLambdaContext(context);
  }

  async once(key: string, fingerprint: string, work: () => Promise<StoredResponse>): Promise<StoredResponse> {
    try {
      return await this.run({ key, fingerprint }, work);
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        throw new IdempotencyConflictError('this Idempotency-Key was used for a different request', {
          operation: 'idempotency',
        });
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new IdempotencyInProgressError('the first request with this Idempotency-Key is still being processed', {
          operation: 'idempotency',
        });
      }
      // Powertools' own failures (its store unreachable, a record in an odd state) are all
      // subclasses of this one; the request's own errors pass through as they were thrown.
      if (error instanceof IdempotencyUnknownError) {
        throw new UnavailableError('the idempotency store failed', { operation: 'idempotency' }, { cause: error });
      }
      throw error;
    }
  }
}
