/**
 * The Vehicle API's idempotency guard (Powertools idempotency) against dynalite: a repeat gets
 * the first answer, a reused key with another request is refused, and an unreachable store is
 * the core's retryable UnavailableError.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PowertoolsIdempotencyGuard } from '../../functions/adapters/powertools-idempotency-guard.js';
import { createTableInput } from '../../functions/core/deployment/tables.js';
import { UnavailableError } from '../../functions/core/errors.js';
import { IdempotencyConflictError } from '../../functions/core/vehicle-api/errors.js';
import { CREDENTIALS, REGION, startDynamo, type Dynamo } from '../support/engines.js';
import { lambdaContext } from '../support/lambda.js';

let dynamo: Dynamo;
let guard: PowertoolsIdempotencyGuard;
beforeAll(async () => {
  dynamo = await startDynamo();
  await dynamo.client.send(new CreateTableCommand(createTableInput('dedupe', 'dedupe-guard')));
  guard = new PowertoolsIdempotencyGuard({ client: dynamo.client, tableName: 'dedupe-guard', expiresAfterSeconds: 60 });
  guard.registerLambdaContext(lambdaContext('vehicle-api'));
});
afterAll(() => dynamo.stop());

const answer = (body: string) => ({ statusCode: 202, headers: { 'content-type': 'application/json' }, body });

describe('PowertoolsIdempotencyGuard', () => {
  it('runs the first request and replays its answer for a repeat without running it again', async () => {
    let runs = 0;
    const work = async () => answer(`run ${++runs}`);
    const first = await guard.once('dealer#key-1', 'fingerprint-a', work);
    const repeat = await guard.once('dealer#key-1', 'fingerprint-a', work);
    expect(repeat).toEqual(first);
    expect(runs).toBe(1);
  });

  it('refuses the key reused for another request with IdempotencyConflictError', async () => {
    await guard.once('dealer#key-2', 'fingerprint-a', async () => answer('first'));
    await expect(guard.once('dealer#key-2', 'fingerprint-b', async () => answer('second'))).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
  });

  it('stores nothing for a request that threw: the retry runs', async () => {
    await expect(
      guard.once('dealer#key-3', 'fingerprint-a', async () => {
        throw new Error('backend failed');
      }),
    ).rejects.toThrow('backend failed');
    await expect(guard.once('dealer#key-3', 'fingerprint-a', async () => answer('retried'))).resolves.toMatchObject({
      body: 'retried',
    });
  });

  it('an unreachable store is a retryable UnavailableError, and the request is not run', async () => {
    const closed = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    const offline = new PowertoolsIdempotencyGuard({
      client: closed,
      tableName: 'dedupe-guard',
      expiresAfterSeconds: 60,
    });
    offline.registerLambdaContext(lambdaContext('vehicle-api'));
    let ran = false;
    const error = await offline
      .once('dealer#key-4', 'fingerprint-a', async () => {
        ran = true;
        return answer('never');
      })
      .catch((e: unknown) => e);
    closed.destroy();
    expect(error).toBeInstanceOf(UnavailableError);
    expect(ran).toBe(false);
  });
});
