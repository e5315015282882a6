/**
 * Frees, at start, the dealer leases an earlier run on this machine left behind when it was
 * killed (Ctrl-C twice, `kill -9`, a crash) in the middle of an import. Its lease would keep the
 * start-up import away for up to a minute, and the start-up run is a scheduled one, which does
 * not come back: the feed waiting in `inbound/` would wait for the hourly run. A lease is freed
 * only when its holder names this host and a process that is gone (as `import` takes one over);
 * a live holder, such as an `import` running on the same state directory, keeps its lease.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSnapshotStore } from '../../../adapters/dynamo-snapshot-store.js';
import type { DealerLease, LeaseHolder, Log } from '../../../ports.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local-aws.js';
import { processIsGone } from '../../process-liveness.js';

/** Long enough for the take-over and the release right after it. */
const PROBE_TTL_MS = 5000;

/** Whether `holder` is a process of this host that no longer runs. */
export function holderIsGone(holder: LeaseHolder, host: string = hostname()): boolean {
  return (
    holder.host === host &&
    typeof holder.pid === 'number' &&
    holder.pid !== process.pid &&
    processIsGone(holder.pid, holder.processStart)
  );
}

/** Frees each dealer's lease held by a gone process; returns the dealers whose lease was freed. */
export async function freeGoneLeases(
  lease: DealerLease,
  dealerIds: readonly string[],
  log: Log,
  isGone: (holder: LeaseHolder) => boolean = holderIsGone,
): Promise<string[]> {
  const freed: string[] = [];
  for (const dealerId of dealerIds) {
    const probe = { owner: `dev-start-${randomUUID()}`, host: hostname(), pid: process.pid };
    let result = await lease.acquireLease(dealerId, probe, PROBE_TTL_MS);
    const holder = result.acquired ? null : result.holder;
    if (holder && isGone(holder)) {
      result = await lease.acquireLease(dealerId, probe, PROBE_TTL_MS, holder.owner);
      if (result.acquired) {
        freed.push(dealerId);
        log.info('Freed the lease of an import whose process is gone', { dealerId, previousPid: holder.pid });
      }
    }
    if (result.acquired) await lease.releaseLease(dealerId, probe.owner);
  }
  return freed;
}

/** {@link freeGoneLeases} on the local run's snapshot table (where the leases live). */
export async function freeGoneLeasesOfLocalRun(
  dynamoUrl: string,
  tableName: string,
  dealerIds: readonly string[],
  log: Log,
): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint: dynamoUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    return await freeGoneLeases(new DynamoSnapshotStore({ client, tableName }), dealerIds, log);
  } finally {
    client.destroy();
  }
}
