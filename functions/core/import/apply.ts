import type { AdStatus, Log, SnapshotEntry, WaykeAd, WaykeApi } from '../../ports.js';
import { errorText, NotFoundError } from '../errors.js';
import type { Vehicle, VehicleField } from '../vehicle.js';
import { changedFields, fingerprint, type VehicleFingerprint } from './fingerprint.js';
import { sendMedia, type SentMedia } from './media.js';
import type { CreateStep, ImportPlan, PlanStep, RemoveStep, UpdateStep } from './plan.js';
import type { FailedVehicle, HeldVehicle } from './report.js';
import { RunStop, stopsTheRun } from './run-stop.js';
import { heldReasonOf, HeldInWaykeError } from './wayke-check.js';

/**
 * Applies a plan to Wayke, vehicle by vehicle, with bounded concurrency. Each vehicle that
 * succeeds yields its new snapshot entry at once (`onApplied`), so a crash loses at most the
 * entries not yet written — and those converge on the next run: creates adopt the ad found by
 * plate, updates and status changes are idempotent. A vehicle that fails keeps its old entry.
 */

export interface ApplyContext {
  readonly wayke: WaykeApi;
  readonly branchId: string;
  readonly removalStatus: Exclude<AdStatus, 'Published'>;
  readonly concurrency: number;
  readonly now: () => Date;
  readonly log: Log;
  /** Called after each vehicle succeeds, before the step counts as done (the snapshot write). */
  readonly onApplied: (entry: SnapshotEntry, step: PlanStep) => Promise<void>;
  readonly onProgress?: (done: number, total: number) => void;
  /** Reason to stop launching steps (lease lost, interrupted); checked before each step. */
  readonly shouldStop?: () => string | null;
  /** Told of each failed step with its error, so a caller can tell retryable from permanent. */
  readonly onFailed?: (step: PlanStep, error: unknown) => void;
  /** Told of each step Wayke's online sale held (written before the step counts as held). */
  readonly onHeld?: (step: PlanStep, held: HeldVehicle) => Promise<void>;
  /** The run's stop, when the caller shares it with the check (default: the apply's own). */
  readonly stop?: RunStop;
}

export interface ApplyResult {
  readonly created: number;
  readonly updated: number;
  readonly removed: number;
  readonly republished: number;
  /** Creates that found an ad for the plate already in Wayke and adopted it. */
  readonly adopted: number;
  readonly failed: FailedVehicle[];
  /** Steps Wayke refused because its online sale holds the ad: left alone, not failed. */
  readonly held: HeldVehicle[];
}

/** Steps in the order they are applied: republish and update first (cheap), then create, then remove. */
export function orderedSteps(plan: ImportPlan): PlanStep[] {
  return [...plan.republish, ...plan.update, ...plan.create, ...(plan.blocked ? [] : plan.remove)];
}

const isNotFound = (error: unknown): boolean => error instanceof NotFoundError;

/** The patch body for `fields`: the vehicle's value, or `null` to clear a field the feed dropped. */
function patchFields(vehicle: Vehicle, fields: readonly VehicleField[]): { [K in keyof Vehicle]?: Vehicle[K] | null } {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = vehicle[field] === undefined ? null : vehicle[field];
  return out;
}

function entryOf(
  vehicle: Vehicle,
  adId: string,
  print: VehicleFingerprint,
  media: Record<string, string>,
  at: Date,
): SnapshotEntry {
  return {
    registrationNumber: vehicle.registrationNumber,
    adId,
    hash: print.hash,
    groups: print.groups,
    fields: print.fields,
    media,
    status: 'Published',
    lastSeen: at.toISOString(),
    ...(vehicle.externalId ? { externalId: vehicle.externalId } : {}),
  };
}

/** Sends changed fields (with the media, when they changed too) or only the media. */
async function sendChanges(
  ctx: ApplyContext,
  ad: { readonly adId: string; readonly vehicle: Vehicle },
  fields: readonly VehicleField[],
  media: SentMedia | undefined,
): Promise<void> {
  const plate = ad.vehicle.registrationNumber;
  if (fields.length > 0) {
    await ctx.wayke.patchAd({
      adId: ad.adId,
      branchId: ctx.branchId,
      registrationNumber: plate,
      fields: patchFields(ad.vehicle, fields),
      ...(media ? { mediaUrls: media.imageUrls, extraMedia: media.extra } : {}),
    });
  } else if (media) {
    await ctx.wayke.setMedia(ad.adId, media.imageUrls, plate, media.extra);
  }
}

/** Makes an ad found in Wayke match the vehicle: patch what differs, media, status. */
async function adopt(
  ctx: ApplyContext,
  existing: WaykeAd,
  vehicle: Vehicle,
  print: VehicleFingerprint,
): Promise<SnapshotEntry> {
  const plate = vehicle.registrationNumber;
  if (existing.onlineSale) throw new HeldInWaykeError(existing.onlineSale, plate);
  const held = fingerprint(existing.vehicle, existing.status);
  // Which Wayke media came from which source URL is unknown here: upload it all again unless
  // both sides are empty. Only recovery runs (lost snapshot, crash, commit-then-fail) come here.
  const media = await sendMedia(ctx, vehicle, {});
  const mediaChanged = !media.empty || existing.mediaUrls.length > 0;
  await sendChanges(
    ctx,
    { adId: existing.id, vehicle },
    changedFields(held.fields, print.fields),
    mediaChanged ? media : undefined,
  );
  if (existing.status !== 'Published') await ctx.wayke.setStatus(existing.id, 'Published', plate);
  return entryOf(vehicle, existing.id, print, media.memory, ctx.now());
}

type Creatable = Pick<CreateStep, 'registrationNumber' | 'vehicle' | 'fingerprint'>;

async function create(ctx: ApplyContext, step: Creatable): Promise<{ entry: SnapshotEntry; adopted: boolean }> {
  const plate = step.registrationNumber;
  const existing = await ctx.wayke.findAdByRegistrationNumber(ctx.branchId, plate);
  if (existing) return { entry: await adopt(ctx, existing, step.vehicle, step.fingerprint), adopted: true };
  const media = await sendMedia(ctx, step.vehicle, {});
  try {
    const { id } = await ctx.wayke.createAd({
      branchId: ctx.branchId,
      vehicle: step.vehicle,
      status: 'Published',
      ...(media.empty ? {} : { mediaUrls: media.imageUrls, extraMedia: media.extra }),
    });
    return { entry: entryOf(step.vehicle, id, step.fingerprint, media.memory, ctx.now()), adopted: false };
  } catch (error) {
    return { entry: await adoptCommitted(ctx, step, error), adopted: true };
  }
}

/**
 * "Commit then fail": Wayke may have stored the ad and still answered with an error. Look once
 * more before giving up, so the snapshot learns the ad id now rather than next run.
 */
async function adoptCommitted(ctx: ApplyContext, step: Creatable, error: unknown): Promise<SnapshotEntry> {
  if (stopsTheRun(error)) throw error;
  const plate = step.registrationNumber;
  const committed = await ctx.wayke.findAdByRegistrationNumber(ctx.branchId, plate).catch(() => null);
  if (!committed) throw error;
  ctx.log.info('Create answered with an error but the ad exists; adopting it', {
    registrationNumber: plate,
    adId: committed.id,
  });
  return adopt(ctx, committed, step.vehicle, step.fingerprint);
}

async function update(ctx: ApplyContext, step: UpdateStep): Promise<SnapshotEntry> {
  const { entry, vehicle } = step;
  const plate = step.registrationNumber;
  try {
    const media = step.media ? await sendMedia(ctx, vehicle, entry.media) : undefined;
    await sendChanges(ctx, { adId: entry.adId, vehicle }, step.fields, media);
    if (step.action === 'republish') await ctx.wayke.setStatus(entry.adId, 'Published', plate);
    return entryOf(vehicle, entry.adId, step.fingerprint, media?.memory ?? { ...entry.media }, ctx.now());
  } catch (error) {
    // The ad is gone from Wayke (deleted by hand, expired): list the vehicle again.
    if (!isNotFound(error)) throw error;
    ctx.log.warn('Ad in the snapshot no longer exists in Wayke; creating it again', {
      registrationNumber: plate,
      adId: entry.adId,
    });
    return (await create(ctx, step)).entry;
  }
}

async function remove(ctx: ApplyContext, step: RemoveStep): Promise<SnapshotEntry> {
  try {
    await ctx.wayke.setStatus(step.entry.adId, ctx.removalStatus, step.registrationNumber);
  } catch (error) {
    if (!isNotFound(error)) throw error; // already gone: removed is what we wanted
  }
  return { ...step.entry, status: ctx.removalStatus, lastSeen: ctx.now().toISOString() };
}

/** One step against Wayke: the entry it leaves, and whether a create adopted an existing ad. */
async function applyStep(ctx: ApplyContext, step: PlanStep): Promise<{ entry: SnapshotEntry; adopted: boolean }> {
  if (step.action === 'create') return create(ctx, step);
  if (step.action === 'remove') return { entry: await remove(ctx, step), adopted: false };
  return { entry: await update(ctx, step), adopted: false };
}

/** What the steps of one apply add up to, as they finish. */
class ApplyTally {
  readonly counts = { created: 0, updated: 0, removed: 0, republished: 0, adopted: 0 };
  readonly failed: FailedVehicle[] = [];
  readonly held: HeldVehicle[] = [];

  /** The run's stop: once Wayke refused the credentials or a setting is wrong, no later step is started. */
  constructor(readonly stop: RunStop) {}

  succeeded(step: PlanStep, adopted: boolean): void {
    if (adopted) this.counts.adopted += 1;
    const key = ({ create: 'created', update: 'updated', republish: 'republished', remove: 'removed' } as const)[
      step.action
    ];
    this.counts[key] += 1;
  }

  fail(step: PlanStep, error: string): void {
    this.failed.push({ registrationNumber: step.registrationNumber, action: step.action, error });
  }

  result(): ApplyResult {
    const byPlate = (a: { registrationNumber: string }, b: { registrationNumber: string }) =>
      a.registrationNumber < b.registrationNumber ? -1 : a.registrationNumber > b.registrationNumber ? 1 : 0;
    return { ...this.counts, failed: [...this.failed].sort(byPlate), held: [...this.held].sort(byPlate) };
  }
}

/** A step Wayke's online sale holds (a 409 after the check, an ad found reserved) is held, not failed. */
async function heldInstead(ctx: ApplyContext, tally: ApplyTally, step: PlanStep, error: unknown): Promise<boolean> {
  const reason = heldReasonOf(error);
  if (!reason) return false;
  const held = { registrationNumber: step.registrationNumber, reason };
  ctx.log.info('Vehicle held by Wayke', { ...held, action: step.action });
  await ctx.onHeld?.(step, held);
  tally.held.push(held);
  return true;
}

/** Runs one step; a failure is recorded, never thrown, so the other vehicles go on. */
async function runStep(ctx: ApplyContext, tally: ApplyTally, step: PlanStep): Promise<void> {
  const stop = tally.stop.notAttempted(step.registrationNumber) ?? ctx.shouldStop?.() ?? null;
  if (stop) {
    tally.fail(step, `not attempted: ${stop}`);
    return;
  }
  try {
    const { entry, adopted } = await applyStep(ctx, step);
    await ctx.onApplied(entry, step);
    tally.succeeded(step, adopted);
  } catch (error) {
    if (await heldInstead(ctx, tally, step, error)) return;
    ctx.onFailed?.(step, error);
    // A stop is logged once by the run, not once per vehicle in flight.
    if (!tally.stop.stopsAt(error, step.registrationNumber))
      ctx.log.warn('Vehicle failed', {
        registrationNumber: step.registrationNumber,
        action: step.action,
        error: errorText(error),
        errorName: error instanceof Error ? error.name : typeof error,
      });
    tally.fail(step, errorText(error));
  }
}

export async function applyPlan(plan: ImportPlan, ctx: ApplyContext): Promise<ApplyResult> {
  const steps = orderedSteps(plan);
  const tally = new ApplyTally(ctx.stop ?? new RunStop());
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < steps.length) {
      await runStep(ctx, tally, steps[next++] as PlanStep);
      done += 1;
      ctx.onProgress?.(done, steps.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.concurrency, steps.length)) }, worker));
  return tally.result();
}
