import type { Log, OnlineSaleState, SnapshotEntry, WaykeAd, WaykeApi, WaykeForm } from '../../ports.js';
import type { HandEditPolicy, Market } from '../dealer-config.js';
import { NotFoundError, RejectedError } from '../errors.js';
import type { Vehicle, VehicleField } from '../vehicle.js';
import { dataFields, shortHash } from './fingerprint.js';
import type { CheckStep, ImportPlan, RemoveStep, UpdateStep } from './plan.js';
import type { DriftedVehicle, FailedVehicle, HeldVehicle } from './report.js';
import type { RunStop } from './run-stop.js';

/**
 * The check between plan and apply: every vehicle the run is about to change (update, republish,
 * remove) and every one Wayke reported changed (a check step) is read from Wayke first — one GET
 * each, a few at a time; unchanged vehicles cost nothing. An ad Wayke's online sale holds is left
 * alone (held); fields that differ from what the import last sent are hand edits (drift), which
 * the dealer's `feed.handEdits` policy either sends again or keeps. A create that finds an ad to
 * adopt is checked where it finds it, in the apply ({@link HeldInWaykeError}).
 */

export interface CheckContext {
  readonly wayke: WaykeApi;
  readonly market: Market;
  readonly handEdits: HandEditPolicy;
  readonly concurrency: number;
  readonly log: Log;
  /** The run's stop: a read refused for the credentials or a setting stops the other reads. */
  readonly stop?: RunStop;
}

/** The plan as the apply gets it, and what the check found on the way. */
export interface CheckedPlan {
  readonly plan: ImportPlan;
  readonly held: readonly HeldVehicle[];
  readonly drift: readonly DriftedVehicle[];
  /** Vehicles whose read failed (Wayke down): not applied this run, retried by the next. */
  readonly failed: readonly FailedVehicle[];
  /** Entries to store though nothing is applied: held marks, checks that found nothing to send. */
  readonly entries: readonly SnapshotEntry[];
}

/** An ad the apply found held by Wayke's online sale (a create about to adopt it). */
export class HeldInWaykeError extends RejectedError {
  constructor(
    readonly reason: OnlineSaleState,
    registrationNumber: string,
  ) {
    super(`Wayke's online sale holds the ad (${reason}); left alone`, { registrationNumber, operation: 'check' });
  }
}

/** Wayke refused a change because the ad's state conflicts (HTTP 409): a reservation won the race. */
const isConflict = (error: unknown): boolean => error instanceof RejectedError && error.context.status === 409;

/** Why an apply error means "held, not failed", or null for an ordinary failure. */
export function heldReasonOf(error: unknown): HeldVehicle['reason'] | null {
  if (error instanceof HeldInWaykeError) return error.reason;
  if (isConflict(error)) return 'refused';
  return null;
}

/** Each sent field as Wayke holds it; without the port's own form, the canonical values. */
export function formOf(wayke: WaykeApi, vehicle: Vehicle, market: Market): WaykeForm {
  if (wayke.representation) return wayke.representation.form(vehicle, market);
  const form: Record<string, string> = {};
  for (const field of dataFields(vehicle)) form[field] = JSON.stringify(vehicle[field]);
  return form;
}

/** Short hashes of a form, as {@link SnapshotEntry.sent} keeps them. */
export function formHashes(form: WaykeForm): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, json] of Object.entries(form)) out[field] = shortHash(json);
  return out;
}

/**
 * Whether Wayke's online sale holds the ad: Wayke's own mark, or a status `Sold` the import did not
 * set (the snapshot tells: an entry the import removed as `Sold` says so itself).
 */
export function heldBy(ad: WaykeAd, entry: SnapshotEntry): OnlineSaleState | null {
  if (ad.onlineSale) return ad.onlineSale;
  if (ad.status === 'Sold' && entry.status !== 'Sold') return 'sold';
  return null;
}

/**
 * Sent fields whose Wayke value is no longer what the import sent. The baseline is the entry's
 * `sent`; a check step's vehicle is what the entry holds, so without `sent` the feed's form stands in.
 */
function driftedFields(ctx: CheckContext, ad: WaykeAd, entry: SnapshotEntry, baseline?: Vehicle) {
  const sent = entry.sent ?? (baseline ? formHashes(formOf(ctx.wayke, baseline, ctx.market)) : null);
  const read = formHashes(formOf(ctx.wayke, ad.vehicle, ctx.market));
  if (!sent) return { fields: [] as VehicleField[], read };
  const fields = Object.keys(sent).filter((field) => read[field] !== sent[field]) as VehicleField[];
  return { fields: fields.sort(), read };
}

type Checked = CheckStep | UpdateStep | RemoveStep;

/** What the check decided for one step. */
type Verdict =
  | { readonly kind: 'apply'; readonly step: UpdateStep | RemoveStep; readonly drift?: readonly VehicleField[] }
  | { readonly kind: 'store'; readonly entry: SnapshotEntry; readonly drift?: readonly VehicleField[] }
  | { readonly kind: 'held'; readonly reason: OnlineSaleState; readonly entry: SnapshotEntry }
  | { readonly kind: 'failed'; readonly error: string };

/**
 * The entry without its marks. One the run read unmarked is written with `check: false`, which
 * keeps a mark set since (see `markAfterRun` in `run-steps.ts`); a mark the run read goes.
 */
const withoutMark = ({ check, held: _held, ...entry }: SnapshotEntry): SnapshotEntry =>
  check === true ? entry : { ...entry, check: false };

/**
 * `wayke-wins`: the fields kept as Wayke has them. Earlier keeps last while the feed's value is
 * the one they were kept against; a new drift is kept unless the feed changed that field now.
 */
function keptFields(
  step: UpdateStep | CheckStep,
  drift: readonly VehicleField[],
  read: Readonly<Record<string, string>>,
): Record<string, { feed: string; wayke: string }> {
  const kept: Record<string, { feed: string; wayke: string }> = {};
  const feed = step.fingerprint.fields;
  const sent = step.entry.sent ?? {};
  for (const [field, hash] of Object.entries(step.entry.kept ?? {}))
    if (feed[field] === hash) kept[field] = { feed: hash, wayke: sent[field] ?? read[field] ?? '' };
  const changedNow = new Set<string>(step.action === 'check' ? [] : step.fields);
  for (const field of drift) {
    const feedHash = feed[field];
    if (feedHash !== undefined && !changedNow.has(field)) kept[field] = { feed: feedHash, wayke: read[field] ?? '' };
  }
  return kept;
}

/** An update (or a check that must send) after the policy: the fields to patch and the ones kept. */
function decideUpdate(
  ctx: CheckContext,
  step: UpdateStep | CheckStep,
  drift: readonly VehicleField[],
  read: Readonly<Record<string, string>>,
): Verdict {
  const drifted = drift.length > 0 ? { drift } : {};
  if (ctx.handEdits === 'feed-wins') {
    const base = step.action === 'check' ? [] : step.fields;
    const fields = [...new Set([...base, ...drift])].sort();
    if (step.action === 'check' && fields.length === 0) return { kind: 'store', entry: checkedEntry(ctx, step) };
    return { kind: 'apply', step: asUpdate(step, fields), ...drifted };
  }
  const kept = keptFields(step, drift, read);
  if (step.action === 'check') return { kind: 'store', entry: keptEntry(step.entry, kept), ...drifted };
  return { kind: 'apply', step: { ...step, kept }, ...drifted };
}

/** A check that found nothing to send: the mark goes, and the entry gets a baseline if it had none. */
function checkedEntry(ctx: CheckContext, step: CheckStep): SnapshotEntry {
  const sent = step.entry.sent ?? formHashes(formOf(ctx.wayke, step.vehicle, ctx.market));
  return { ...withoutMark(step.entry), sent };
}

function asUpdate(step: UpdateStep | CheckStep, fields: readonly VehicleField[]): UpdateStep {
  if (step.action !== 'check') return { ...step, fields };
  const { entry, vehicle, fingerprint, registrationNumber } = step;
  return { action: 'update', registrationNumber, vehicle, fingerprint, entry, fields, media: false };
}

/** A check step whose ad is gone: every field goes out, so the apply finds it gone and lists it again. */
const resend = (step: CheckStep): UpdateStep => asUpdate(step, Object.keys(step.fingerprint.fields) as VehicleField[]);

/** A check step's entry under `wayke-wins`: the kept fields' Wayke values become the baseline. */
function keptEntry(entry: SnapshotEntry, kept: Record<string, { feed: string; wayke: string }>): SnapshotEntry {
  const sent = { ...entry.sent };
  const keptFeed: Record<string, string> = {};
  for (const [field, { feed, wayke }] of Object.entries(kept)) {
    sent[field] = wayke;
    keptFeed[field] = feed;
  }
  const { kept: _old, ...rest } = withoutMark(entry);
  return { ...rest, sent, ...(Object.keys(keptFeed).length > 0 ? { kept: keptFeed } : {}) };
}

async function checkOne(ctx: CheckContext, step: Checked): Promise<Verdict> {
  let ad: WaykeAd;
  try {
    ad = await ctx.wayke.getAd(step.entry.adId);
  } catch (error) {
    // Gone from Wayke: the apply's own recovery (create again, or removed already) handles it.
    if (error instanceof NotFoundError) return { kind: 'apply', step: step.action === 'check' ? resend(step) : step };
    ctx.stop?.stopsAt(error, step.registrationNumber);
    return { kind: 'failed', error: `reading the ad before changing it failed: ${(error as Error).message}` };
  }
  const reason = heldBy(ad, step.entry);
  if (reason) return { kind: 'held', reason, entry: { ...withoutMark(step.entry), held: reason } };
  if (step.action === 'remove') return { kind: 'apply', step };
  const { fields, read } = driftedFields(ctx, ad, step.entry, step.action === 'check' ? step.vehicle : undefined);
  return decideUpdate(ctx, step, fields, read);
}

/** A step's read, unless the run stopped: then it is left undone, with the stop's reason. */
function checkUnlessStopped(ctx: CheckContext, step: Checked): Promise<Verdict> {
  const stopped = ctx.stop?.notAttempted(step.registrationNumber);
  if (stopped) return Promise.resolve({ kind: 'failed', error: `not attempted: ${stopped}` });
  return checkOne(ctx, step);
}

/** The steps the check reads, in the apply's order. */
function checkedSteps(plan: ImportPlan): Checked[] {
  return [...plan.republish, ...plan.update, ...plan.check, ...(plan.blocked ? [] : plan.remove)];
}

/** Runs `work` over `items`, `concurrency` at a time, results in the items' order. */
async function bounded<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

/** What the verdicts add up to. */
class CheckTally {
  readonly update: UpdateStep[] = [];
  readonly republish: UpdateStep[] = [];
  readonly remove: RemoveStep[] = [];
  readonly held: HeldVehicle[] = [];
  readonly drift: DriftedVehicle[] = [];
  readonly failed: FailedVehicle[] = [];
  readonly entries: SnapshotEntry[] = [];
  /** Check steps that turned into updates: no longer unchanged. */
  sentFromChecks = 0;

  add(step: Checked, verdict: Verdict): void {
    const plate = step.registrationNumber;
    if (step.action === 'check' && verdict.kind === 'apply') this.sentFromChecks += 1;
    if (verdict.kind !== 'failed' && verdict.kind !== 'held' && verdict.drift)
      this.drift.push({ registrationNumber: plate, fields: [...verdict.drift] });
    if (verdict.kind === 'failed') {
      const action = step.action === 'check' ? 'update' : step.action;
      this.failed.push({ registrationNumber: plate, action, error: verdict.error });
    } else if (verdict.kind === 'held') {
      this.held.push({ registrationNumber: plate, reason: verdict.reason });
      this.entries.push(verdict.entry);
    } else if (verdict.kind === 'store') this.entries.push(verdict.entry);
    else if (verdict.step.action === 'remove') this.remove.push(verdict.step);
    else if (verdict.step.action === 'republish') this.republish.push(verdict.step);
    else this.update.push(verdict.step);
  }
}

const byPlate = (a: { registrationNumber: string }, b: { registrationNumber: string }) =>
  a.registrationNumber < b.registrationNumber ? -1 : a.registrationNumber > b.registrationNumber ? 1 : 0;

/** Reads every ad the plan would change and returns the plan the apply may run. */
export async function checkPlan(plan: ImportPlan, ctx: CheckContext): Promise<CheckedPlan> {
  const steps = checkedSteps(plan);
  const verdicts = await bounded(steps, ctx.concurrency, (step) => checkUnlessStopped(ctx, step));
  const tally = new CheckTally();
  steps.forEach((step, index) => tally.add(step, verdicts[index] as Verdict));
  for (const plate of plan.soldInWayke) tally.held.push({ registrationNumber: plate, reason: 'sold' });
  if (tally.held.length > 0 || tally.drift.length > 0)
    ctx.log.info('Checked the ads in Wayke before changing them', {
      checked: steps.length,
      held: tally.held.length,
      drifted: tally.drift.length,
      failed: tally.failed.length,
    });
  return {
    plan: {
      ...plan,
      update: tally.update,
      republish: tally.republish,
      remove: plan.blocked ? plan.remove : tally.remove,
      check: [],
      unchanged: plan.unchanged - tally.sentFromChecks,
    },
    held: tally.held.sort(byPlate),
    drift: tally.drift.sort(byPlate),
    failed: tally.failed.sort(byPlate),
    entries: tally.entries,
  };
}
