import type { DealerLease, LeaseHolder, Log } from '../../ports.js';

/**
 * The run's first step: hold the dealer's lease, so one import at a time changes a dealer's ads.
 * The lease is renewed every third of its lifetime while the run lasts; a renewal that finds it
 * taken marks it lost, and the run stops starting vehicles.
 */

export interface LeaseSettings {
  /** Lease lifetime (default {@link DEFAULT_LEASE_TTL_MS}). */
  readonly ttlMs?: number;
  /** Identifies this process for a later takeover (the CLI passes host and pid). */
  readonly host?: string;
  readonly pid?: number;
  /** The process's start time as the platform reports it (guards a takeover against a reused pid). */
  readonly processStart?: string;
  /** Decides whether a holder may be taken over (the CLI: same host, process gone). */
  readonly canTakeOver?: (holder: LeaseHolder) => boolean;
}

/** Long enough that a renewal every third of it survives a slow call; short enough that a crashed run frees the dealer soon. */
export const DEFAULT_LEASE_TTL_MS = 60_000;
/** Renewals never come closer together than this, whatever the lifetime. */
const MIN_RENEW_INTERVAL_MS = 1000;

/** A lease this run holds. */
export interface HeldLease {
  /** True once a renewal found the lease taken by another run. */
  lost(): boolean;
  /** Stops renewing and frees the lease; a failure only logs (the lease expires by itself). */
  release(): Promise<void>;
}

export type LeaseAttempt =
  | { readonly held: true; readonly lease: HeldLease }
  | { readonly held: false; readonly holder: LeaseHolder | null };

export interface LeaseDeps {
  readonly lease: DealerLease;
  readonly log: Log;
  readonly settings?: LeaseSettings;
}

function holderOf(runId: string, settings: LeaseSettings): Omit<LeaseHolder, 'expiresAt'> {
  return {
    owner: runId,
    ...(settings.host ? { host: settings.host } : {}),
    ...(settings.pid !== undefined ? { pid: settings.pid } : {}),
    ...(settings.processStart ? { processStart: settings.processStart } : {}),
  };
}

/** Takes the dealer's lease for run `runId`, taking it over from a holder known to be gone. */
export async function acquireDealerLease(deps: LeaseDeps, dealerId: string, runId: string): Promise<LeaseAttempt> {
  const settings = deps.settings ?? {};
  const ttlMs = settings.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const holder = holderOf(runId, settings);
  let result = await deps.lease.acquireLease(dealerId, holder, ttlMs);
  if (!result.acquired && result.holder && settings.canTakeOver?.(result.holder)) {
    deps.log.warn('Taking over the lease of a run that is gone', {
      dealerId,
      previousOwner: result.holder.owner,
      previousPid: result.holder.pid,
    });
    result = await deps.lease.acquireLease(dealerId, holder, ttlMs, result.holder.owner);
  }
  if (!result.acquired) return { held: false, holder: result.holder };
  return { held: true, lease: keepRenewed(deps, dealerId, runId, ttlMs) };
}

function keepRenewed(deps: LeaseDeps, dealerId: string, runId: string, ttlMs: number): HeldLease {
  let lost = false;
  const renew = (): void => {
    deps.lease.renewLease(dealerId, runId, ttlMs).then(
      (kept) => {
        if (kept) return;
        lost = true;
        deps.log.error('Lost the dealer lease; stopping', { dealerId, runId });
      },
      (error: unknown) =>
        deps.log.warn('Lease renewal failed; will try again', { dealerId, error: (error as Error).message }),
    );
  };
  const timer = setInterval(renew, Math.max(MIN_RENEW_INTERVAL_MS, Math.floor(ttlMs / 3)));
  // A run that ends without releasing (a crash) must not keep the process alive.
  timer.unref();
  return {
    lost: () => lost,
    async release() {
      clearInterval(timer);
      await deps.lease.releaseLease(dealerId, runId).catch((error: unknown) =>
        deps.log.warn('Could not release the lease; it expires by itself', {
          dealerId,
          error: (error as Error).message,
        }),
      );
    },
  };
}

/** A dry run holds no lease: nothing it does can conflict with a run that does. */
export const NO_LEASE: HeldLease = { lost: () => false, release: async () => {} };
