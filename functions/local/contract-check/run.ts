/**
 * The contract check's steps against one Wayke: one throwaway ad with every field the project
 * sends, read back raw and compared by Wayke's name; an image (bytes) and a video link; every
 * status; and the ad removed at the end whatever happened before. Every call goes through the
 * client's own transport (auth, token refresh, retries, limits) and its endpoints, so what is
 * checked is what an import sends.
 */
import * as endpoints from '../../adapters/wayke-endpoints.js';
import { WaykeSettingError } from '../../adapters/wayke-auth.js';
import { WaykeAuthError, WaykeNotFoundError, WaykeValidationError } from '../../adapters/wayke-errors.js';
import { AD_STATUSES, toWaykeBody, type VehicleFields } from '../../adapters/wayke-mapping.js';
import { WaykeTransport, type WaykeClientOptions } from '../../adapters/wayke-transport.js';
import { MANDATORY_FIELDS, type Vehicle } from '../../core/vehicle.js';
import type { AdStatus } from '../../ports.js';
import { type CheckRow, compareBody, leaves, unsentNames, valueAt } from './compare.js';
import { SAMPLE_FIELDS, SAMPLE_IMAGE, SAMPLE_VIDEO_URL, sampleVehicle, type SentField } from './sample.js';
import type { Market } from '../../core/dealer-config.js';
import { createMediaDownloader } from '../../adapters/media-download.js';
import { defaultMediaDownload } from '../../adapters/wayke-http-client.js';

export interface ContractCheckInput {
  /** The Wayke to check and the credentials, as `import` builds its client. */
  readonly client: WaykeClientOptions;
  readonly branchId: string;
  readonly registrationNumber: string;
  /** The market of the branch: its market code and odometer unit are what is checked. */
  readonly market: Market;
}

/** Why the check could not complete: refused credentials, a plate in use, or a Wayke call that failed. */
export interface CheckFailure {
  readonly kind: 'auth' | 'plate-in-use' | 'wayke';
  readonly step: string;
  readonly message: string;
}

export interface ContractCheckResult {
  readonly registrationNumber: string;
  readonly branchId: string;
  /** The throwaway ad, once created. */
  adId?: string;
  readonly rows: CheckRow[];
  /** Names in the read ad that were not sent (where a renamed field may have gone). */
  unsentNames: string[];
  failure?: CheckFailure;
  /** Whether the throwaway ad was removed (absent: none was created); `message` says what to do if not. */
  removal?: { readonly removed: boolean; readonly message?: string };
}

/** The status an ad is created with; the check sets every other one after it. */
const CREATED_STATUS: AdStatus = 'Published';
/** Wayke's removal: there is no delete call, an ad leaves by this status. */
const REMOVED_STATUS: AdStatus = 'Deleted';

interface Context {
  readonly transport: WaykeTransport;
  readonly deps: endpoints.EndpointDeps;
  readonly input: ContractCheckInput;
  readonly vehicle: Vehicle;
  readonly result: ContractCheckResult;
  /** The step running now, named in a failure. */
  step: string;
}

const plateOf = (ctx: Context) => ctx.input.registrationNumber;

/** `GET /vehicle/{id}/ad` as Wayke answers it, before any mapping reads it. */
async function readRawAd(ctx: Context, adId: string): Promise<unknown> {
  const result = await ctx.transport.call({
    operation: 'contractCheck.readAd',
    method: 'GET',
    host: 'dealer',
    path: `/vehicle/${encodeURIComponent(adId)}/ad`,
    branchKey: ctx.input.branchId,
    context: { adId, registrationNumber: plateOf(ctx) },
  });
  return result.body;
}

/** A live ad under the plate would be touched by the check: refuse it before anything is sent. */
async function refuseLivePlate(ctx: Context): Promise<boolean> {
  ctx.step = 'find by plate';
  const existing = await endpoints.findAdByRegistrationNumber(ctx.deps)(ctx.input.branchId, plateOf(ctx));
  if (!existing || existing.status === REMOVED_STATUS) return true;
  ctx.result.failure = {
    kind: 'plate-in-use',
    step: ctx.step,
    message: `${plateOf(ctx)} already has an ad (${existing.status}) in branch ${ctx.input.branchId}; pick an unused plate with --registration-number`,
  };
  return false;
}

async function uploadImage(ctx: Context): Promise<string> {
  ctx.step = 'upload image';
  const image = await endpoints.uploadImageBytes(ctx.deps)({
    branchId: ctx.input.branchId,
    ...SAMPLE_IMAGE,
    sortOrder: 0,
    registrationNumber: plateOf(ctx),
  });
  return image.url;
}

/**
 * Registers the video link through the client's own embedded-video call (route and body as
 * Wayke's embedded-media guide spells them). A Wayke without that route (404) fails the row: the
 * import registers every video link a feed gives, so those would all fail.
 */
async function registerVideo(ctx: Context): Promise<string | undefined> {
  ctx.step = 'register video';
  const row = { step: 'video', name: 'POST /media/v2/embedded-video', sent: SAMPLE_VIDEO_URL } as const;
  try {
    const { url } = await endpoints.registerVideo(ctx.deps)({
      branchId: ctx.input.branchId,
      url: SAMPLE_VIDEO_URL,
      sortOrder: 1,
      registrationNumber: plateOf(ctx),
    });
    ctx.result.rows.push({ ...row, present: true, readBack: url, ok: true });
    return url;
  } catch (error) {
    if (!(error instanceof WaykeNotFoundError)) throw error;
    const note = 'this Wayke has no embedded-video route (404): video links from feeds would fail';
    ctx.result.rows.push({ ...row, present: false, ok: false, note });
    return undefined;
  }
}

/** Creates the ad with every field and the media, reads it back raw and compares every name. */
async function createAndCompare(ctx: Context, mediaUrls: readonly string[]): Promise<void> {
  ctx.step = 'create';
  const { branchId } = ctx.input;
  const sent = toWaykeBody({
    branchId,
    fields: ctx.vehicle,
    status: CREATED_STATUS,
    mediaUrls,
    create: true,
    market: ctx.input.market,
  });
  const find = endpoints.findAdByRegistrationNumber(ctx.deps);
  const { id } = await endpoints.createAd(
    ctx.deps,
    find,
  )({
    branchId,
    vehicle: ctx.vehicle,
    status: CREATED_STATUS,
    mediaUrls,
  });
  ctx.result.adId = id;
  ctx.step = 'read back';
  const read = await readRawAd(ctx, id);
  ctx.result.rows.push(...compareBody('create', sent, read));
  ctx.result.unsentNames = unsentNames(sent, read);
}

/** `PUT /vehicle/{id}/media` with an empty list: the ad's media are gone (empty or absent). */
async function clearMedia(ctx: Context, adId: string): Promise<void> {
  ctx.step = 'PUT media';
  await endpoints.setMedia(ctx.deps)(adId, [], plateOf(ctx));
  const name = 'PUT /vehicle/{id}/media';
  const media = valueAt(await readRawAd(ctx, adId), mediaName(ctx)).value;
  const ok = media === undefined || (Array.isArray(media) && media.length === 0);
  ctx.result.rows.push({
    step: 'PUT media',
    name,
    sent: [],
    present: media !== undefined,
    ...(media !== undefined ? { readBack: media } : {}),
    ok,
    ...(ok ? {} : { note: 'the media list was not replaced' }),
  });
}

/** Where the mapping puts the media list: the one leaf of a body built with media only (besides the branch). */
function mediaName(ctx: Context): string {
  const body = toWaykeBody({ branchId: ctx.input.branchId, fields: {}, mediaUrls: [], market: ctx.input.market });
  const [leaf] = leaves(body).filter(([name]) => name !== 'branch');
  if (!leaf) throw new Error('the mapping put no media list in a body built with media');
  return leaf[0];
}

const OPTIONAL_FIELDS = (Object.keys(SAMPLE_FIELDS) as SentField[]).filter(
  (field) => !(MANDATORY_FIELDS as readonly string[]).includes(field),
);

/** A patch with every optional field `null` (how an import clears a field the feed dropped): all are gone. */
async function clearOptionalFields(ctx: Context, adId: string): Promise<void> {
  ctx.step = 'PATCH null';
  const fields: VehicleFields = Object.fromEntries(OPTIONAL_FIELDS.map((field) => [field, null]));
  await endpoints.patchAd(ctx.deps)({ adId, branchId: ctx.input.branchId, registrationNumber: plateOf(ctx), fields });
  const read = await readRawAd(ctx, adId);
  // The names as the mapping's patch body spells them: its leaves below the sections.
  const sent = toWaykeBody({ branchId: ctx.input.branchId, fields, market: ctx.input.market });
  const names = [...leaves(sent.vehicle ?? {}, 'vehicle'), ...leaves(sent.ad ?? {}, 'ad')].map(([name]) => name);
  const left = names.filter((name) => valueAt(read, name).present);
  ctx.result.rows.push({
    step: 'PATCH null',
    name: 'null clears a field',
    sent: names,
    present: left.length > 0,
    ...(left.length > 0 ? { readBack: left } : {}),
    ok: left.length === 0,
    ...(left.length > 0 ? { note: `still set after the patch: ${left.join(', ')}` } : {}),
  });
}

/** Sets a status and reads it back. */
async function statusRow(ctx: Context, adId: string, status: AdStatus): Promise<CheckRow> {
  await endpoints.setStatus(ctx.deps)(adId, status, plateOf(ctx));
  const back = valueAt(await readRawAd(ctx, adId), 'status');
  const ok = back.present && back.value === status;
  return {
    step: 'status',
    name: `status ${status}`,
    sent: status,
    present: back.present,
    ...(back.present ? { readBack: back.value } : {}),
    ok,
    ...(ok ? {} : { note: 'the status did not change' }),
  };
}

/** Every status but the removal one, ending where the ad started; the removal is the last step. */
async function cycleStatuses(ctx: Context, adId: string): Promise<void> {
  const others = AD_STATUSES.filter((status) => status !== CREATED_STATUS && status !== REMOVED_STATUS);
  for (const status of [...others, CREATED_STATUS]) {
    ctx.step = `status ${status}`;
    ctx.result.rows.push(await statusRow(ctx, adId, status));
  }
}

/** Removes the throwaway ad; when that fails, says which ad to remove by hand. */
async function removeAd(ctx: Context, adId: string): Promise<void> {
  try {
    ctx.result.rows.push(await statusRow(ctx, adId, REMOVED_STATUS));
    ctx.result.removal = { removed: true };
  } catch (error) {
    ctx.result.removal = {
      removed: false,
      message: `the throwaway ad ${adId} (${plateOf(ctx)}) could not be removed (${(error as Error).message}); remove it by hand: set its status to ${REMOVED_STATUS} in Wayke`,
    };
  }
}

/** Refused credentials and a token endpoint that is no token endpoint (even behind a retry) are settings. */
const isSettingError = (error: unknown): boolean =>
  error instanceof WaykeAuthError ||
  error instanceof WaykeSettingError ||
  (error instanceof Error && error.cause instanceof WaykeSettingError);

function failureOf(step: string, error: unknown): CheckFailure {
  if (isSettingError(error)) return { kind: 'auth', step, message: (error as Error).message };
  const detail = error instanceof WaykeValidationError && error.waykeMessage ? ` (Wayke: ${error.waykeMessage})` : '';
  return { kind: 'wayke', step, message: `${(error as Error).message}${detail}` };
}

/** The steps in order; after a failure the rest are not run. */
async function runSteps(ctx: Context): Promise<void> {
  if (!(await refuseLivePlate(ctx))) return;
  const imageUrl = await uploadImage(ctx);
  const videoUrl = await registerVideo(ctx);
  await createAndCompare(ctx, videoUrl === undefined ? [imageUrl] : [imageUrl, videoUrl]);
  const adId = ctx.result.adId as string;
  await clearMedia(ctx, adId);
  await clearOptionalFields(ctx, adId);
  await cycleStatuses(ctx, adId);
}

/** Runs the check; never throws for a Wayke failure (it is in `failure`), and removes the ad it created. */
export async function runContractCheck(input: ContractCheckInput): Promise<ContractCheckResult> {
  const transport = new WaykeTransport(input.client);
  const ctx: Context = {
    transport,
    deps: {
      transport,
      branches: new endpoints.AdBranches(),
      market: input.market,
      download: createMediaDownloader(defaultMediaDownload(input.client.mediaApiUrl)),
    },
    input,
    vehicle: sampleVehicle(input.registrationNumber),
    result: { registrationNumber: input.registrationNumber, branchId: input.branchId, rows: [], unsentNames: [] },
    step: 'start',
  };
  try {
    await runSteps(ctx);
  } catch (error) {
    ctx.result.failure = failureOf(ctx.step, error);
  } finally {
    if (ctx.result.adId !== undefined) await removeAd(ctx, ctx.result.adId);
  }
  return ctx.result;
}
