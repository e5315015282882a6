import type { AdStatus, Log, SnapshotEntry, WaykeAd, WaykeApi } from '../../ports.js';
import { AuthError, NotFoundError } from '../errors.js';
import type { Vehicle, VehicleField } from '../vehicle.js';
import { changedFields, fingerprint, type VehicleFingerprint } from './fingerprint.js';
import type { CreateStep, ImportPlan, PlanStep, RemoveStep, UpdateStep } from './plan.js';
import type { FailedVehicle } from './report.js';

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
}

export interface ApplyResult {
  readonly created: number;
  readonly updated: number;
  readonly removed: number;
  readonly republished: number;
  /** Creates that found an ad for the plate already in Wayke and adopted it. */
  readonly adopted: number;
  readonly failed: FailedVehicle[];
}

/** Steps in the order they are applied: republish and update first (cheap), then create, then remove. */
export function orderedSteps(plan: ImportPlan): PlanStep[] {
  return [...plan.republish, ...plan.update, ...plan.create, ...(plan.blocked ? [] : plan.remove)];
}

const isNotFound = (error: unknown): boolean => error instanceof NotFoundError;
const isAuth = (error: unknown): boolean => error instanceof AuthError;
function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** The patch body for `fields`: the vehicle's value, or `null` to clear a field the feed dropped. */
function patchFields(vehicle: Vehicle, fields: readonly VehicleField[]): { [K in keyof Vehicle]?: Vehicle[K] | null } {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = vehicle[field] === undefined ? null : vehicle[field];
  return out;
}

function entryOf(
  plate: string,
  adId: string,
  print: VehicleFingerprint,
  media: Record<string, string>,
  status: AdStatus,
  at: Date,
): SnapshotEntry {
  return {
    registrationNumber: plate,
    adId,
    hash: print.hash,
    groups: print.groups,
    fields: print.fields,
    media,
    status,
    lastSeen: at.toISOString(),
  };
}

export async function applyPlan(plan: ImportPlan, ctx: ApplyContext): Promise<ApplyResult> {
  const { wayke, branchId } = ctx;
  const steps = orderedSteps(plan);
  const counts = { created: 0, updated: 0, removed: 0, republished: 0, adopted: 0 };
  const failed: FailedVehicle[] = [];
  let done = 0;
  let abort: string | null = null;

  /** Uploads the images not uploaded before (in parallel; the client bounds concurrency). */
  async function uploadImages(
    plate: string,
    images: readonly string[],
    known: Readonly<Record<string, string>>,
  ): Promise<{ media: Record<string, string>; ordered: string[] }> {
    const media: Record<string, string> = {};
    await Promise.all(
      images.map(async (url, index) => {
        const have = known[url];
        if (have) {
          media[url] = have;
          return;
        }
        if (media[url]) return; // the same source twice in one list
        const uploaded = await wayke.uploadImageByUrl({ branchId, url, sortOrder: index, registrationNumber: plate });
        media[url] = uploaded.url;
      }),
    );
    return { media, ordered: images.map((url) => media[url] as string) };
  }

  /** Makes an ad found in Wayke match the vehicle: patch what differs, media, status. */
  async function adopt(existing: WaykeAd, vehicle: Vehicle, print: VehicleFingerprint): Promise<SnapshotEntry> {
    const plate = vehicle.registrationNumber;
    const held = fingerprint(existing.vehicle, existing.status);
    const fields = changedFields(held.fields, print.fields);
    const images = vehicle.images ?? [];
    // Which Wayke media came from which source URL is unknown here: upload the list again unless
    // both sides are empty. Only recovery runs (lost snapshot, crash, commit-then-fail) come here.
    const { media, ordered } = images.length > 0 ? await uploadImages(plate, images, {}) : { media: {}, ordered: [] };
    const mediaChanged = ordered.length > 0 || existing.mediaUrls.length > 0;
    if (fields.length > 0) {
      await wayke.patchAd({
        adId: existing.id,
        branchId,
        registrationNumber: plate,
        fields: patchFields(vehicle, fields),
        ...(mediaChanged ? { mediaUrls: ordered } : {}),
      });
    } else if (mediaChanged) {
      await wayke.setMedia(existing.id, ordered, plate);
    }
    if (existing.status !== 'Published') await wayke.setStatus(existing.id, 'Published', plate);
    return entryOf(plate, existing.id, print, media, 'Published', ctx.now());
  }

  async function create(
    step: Pick<CreateStep, 'registrationNumber' | 'vehicle' | 'fingerprint'>,
  ): Promise<{ entry: SnapshotEntry; adopted: boolean }> {
    const plate = step.registrationNumber;
    const existing = await wayke.findAdByRegistrationNumber(branchId, plate);
    if (existing) return { entry: await adopt(existing, step.vehicle, step.fingerprint), adopted: true };
    const { media, ordered } = await uploadImages(plate, step.vehicle.images ?? [], {});
    let id: string;
    try {
      ({ id } = await wayke.createAd({
        branchId,
        vehicle: step.vehicle,
        status: 'Published',
        ...(ordered.length ? { mediaUrls: ordered } : {}),
      }));
    } catch (error) {
      // "Commit then fail": Wayke may have stored the ad and still answered with an error. Look
      // once more before giving up, so the snapshot learns the ad id now rather than next run.
      if (isAuth(error)) throw error;
      const committed = await wayke.findAdByRegistrationNumber(branchId, plate).catch(() => null);
      if (!committed) throw error;
      ctx.log.info('Create answered with an error but the ad exists; adopting it', {
        registrationNumber: plate,
        adId: committed.id,
      });
      return { entry: await adopt(committed, step.vehicle, step.fingerprint), adopted: true };
    }
    return { entry: entryOf(plate, id, step.fingerprint, media, 'Published', ctx.now()), adopted: false };
  }

  async function update(step: UpdateStep): Promise<SnapshotEntry> {
    const { entry, vehicle } = step;
    const plate = step.registrationNumber;
    try {
      let media: Record<string, string> = { ...entry.media };
      let ordered: string[] | undefined;
      if (step.images) {
        ({ media, ordered } = await uploadImages(plate, vehicle.images ?? [], entry.media));
      }
      if (step.fields.length > 0) {
        await wayke.patchAd({
          adId: entry.adId,
          branchId,
          registrationNumber: plate,
          fields: patchFields(vehicle, step.fields),
          ...(ordered ? { mediaUrls: ordered } : {}),
        });
      } else if (ordered) {
        await wayke.setMedia(entry.adId, ordered, plate);
      }
      if (step.action === 'republish') await wayke.setStatus(entry.adId, 'Published', plate);
      return entryOf(plate, entry.adId, step.fingerprint, media, 'Published', ctx.now());
    } catch (error) {
      // The ad is gone from Wayke (deleted by hand, expired): list the vehicle again.
      if (!isNotFound(error)) throw error;
      ctx.log.warn('Ad in the snapshot no longer exists in Wayke; creating it again', {
        registrationNumber: plate,
        adId: entry.adId,
      });
      return (await create(step)).entry;
    }
  }

  async function remove(step: RemoveStep): Promise<SnapshotEntry> {
    try {
      await wayke.setStatus(step.entry.adId, ctx.removalStatus, step.registrationNumber);
    } catch (error) {
      if (!isNotFound(error)) throw error; // already gone: removed is what we wanted
    }
    return { ...step.entry, status: ctx.removalStatus, lastSeen: ctx.now().toISOString() };
  }

  async function run(step: PlanStep): Promise<void> {
    const stop = abort ?? ctx.shouldStop?.() ?? null;
    if (stop) {
      failed.push({
        registrationNumber: step.registrationNumber,
        action: step.action,
        error: `not attempted: ${stop}`,
      });
      return;
    }
    try {
      let entry: SnapshotEntry;
      if (step.action === 'create') {
        const result = await create(step);
        entry = result.entry;
        if (result.adopted) counts.adopted += 1;
      } else if (step.action === 'remove') {
        entry = await remove(step);
      } else {
        entry = await update(step);
      }
      await ctx.onApplied(entry, step);
      if (step.action === 'create') counts.created += 1;
      else if (step.action === 'update') counts.updated += 1;
      else if (step.action === 'republish') counts.republished += 1;
      else counts.removed += 1;
    } catch (error) {
      if (isAuth(error)) abort = `Wayke refused the credentials (${describe(error)})`;
      ctx.onFailed?.(step, error);
      ctx.log.warn('Vehicle failed', {
        registrationNumber: step.registrationNumber,
        action: step.action,
        error: describe(error),
        errorName: error instanceof Error ? error.name : typeof error,
      });
      failed.push({ registrationNumber: step.registrationNumber, action: step.action, error: describe(error) });
    } finally {
      done += 1;
      ctx.onProgress?.(done, steps.length);
    }
  }

  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(ctx.concurrency, steps.length)) }, async () => {
    while (next < steps.length) {
      const step = steps[next++] as PlanStep;
      await run(step);
    }
  });
  await Promise.all(workers);
  failed.sort((a, b) =>
    a.registrationNumber < b.registrationNumber ? -1 : a.registrationNumber > b.registrationNumber ? 1 : 0,
  );
  return { ...counts, failed };
}
