/**
 * The Wayke operations, one small function each: path, method, body and how to read the answer.
 * Everything else (auth, retries, limits, error mapping) is the {@link WaykeTransport}'s, so a new
 * endpoint is one more function here and one line in `createWaykeClient`. Field names are
 * `wayke-mapping.ts`'s.
 */
import type { Market } from '../core/dealer-config.js';
import type * as z from 'zod';
import type { AdStatus, UploadedImage, WaykeAd, WaykeApi } from '../ports.js';
import type { DownloadedImage } from './media-download.js';
import { describeCall, type CallContext } from './wayke-answer.js';
import { WaykeNotFoundError, WaykeValidationError } from './wayke-errors.js';
import {
  fromWaykeAd,
  MEDIA_PURPOSE,
  PANORAMA_FRAME_FIELDS,
  toEmbeddedVideoBody,
  toPanoramaContainerForm,
  toWaykeBody,
  toWaykeMediaBody,
  toWaykeStatusBody,
  WaykeCreateResponseSchema,
  WaykeImageResponseSchema,
  WaykePanoramaContainerResponseSchema,
  WaykePanoramaFrameResponseSchema,
  WaykeResponseShapeError,
  withWaykeMedia,
  withOnlineSale,
} from './wayke-mapping.js';
import type { WaykeTransport } from './wayke-transport.js';

/** How many ads' branches a client remembers; the oldest is forgotten first. */
const MAX_KNOWN_ADS = 10_000;
const UNKNOWN_BRANCH = '(unknown branch)';

/** Branch of ads a client has seen, so calls by ad id share their branch's concurrency limit. */
export class AdBranches {
  private readonly branches = new Map<string, string>();

  remember(adId: string, branchId: string | undefined): void {
    if (!branchId) return;
    // Delete first so the ad moves to the newest end of the insertion order.
    this.branches.delete(adId);
    this.branches.set(adId, branchId);
    if (this.branches.size > MAX_KNOWN_ADS) this.branches.delete(this.branches.keys().next().value as string);
  }

  of(adId: string): string {
    return this.branches.get(adId) ?? UNKNOWN_BRANCH;
  }
}

/**
 * What every endpoint is built from: the transport, the client's memory of ad branches and the
 * market of the client's branch (absent: the config's default), which the mapping needs both ways.
 */
export interface EndpointDeps {
  readonly transport: WaykeTransport;
  readonly branches: AdBranches;
  readonly market?: Market;
  /** Fetches an image a feed names, for uploads Wayke takes only as bytes (360 frames). */
  readonly download: (url: string) => Promise<DownloadedImage>;
}

const seg = (value: string): string => encodeURIComponent(value);
const withPlate = (registrationNumber: string | undefined) => (registrationNumber ? { registrationNumber } : {});

function unexpectedAnswer(operation: string, context: CallContext, status: number, cause?: WaykeResponseShapeError) {
  return new WaykeValidationError(
    `${describeCall(operation, context)}: unexpected answer from Wayke`,
    { operation, status, ...context },
    cause ? { waykeMessage: cause.message } : {},
    cause ? { cause } : undefined,
  );
}

function readAd(deps: EndpointDeps, operation: string, body: unknown, context: CallContext): WaykeAd {
  try {
    const ad = withOnlineSale(fromWaykeAd(body, deps.market), body);
    deps.branches.remember(ad.id, ad.branchId);
    return ad;
  } catch (error) {
    if (error instanceof WaykeResponseShapeError) throw unexpectedAnswer(operation, context, 200, error);
    throw error;
  }
}

function readImage(operation: string, body: unknown, context: CallContext): UploadedImage {
  const { mediaId, url } = readAnswer(WaykeImageResponseSchema, operation, body, context);
  return { mediaId, url };
}

function readAnswer<S extends z.ZodType>(
  schema: S,
  operation: string,
  body: unknown,
  context: CallContext,
): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw unexpectedAnswer(operation, context, 200);
  return parsed.data;
}

export const findAdByRegistrationNumber =
  (deps: EndpointDeps): WaykeApi['findAdByRegistrationNumber'] =>
  async (branchId, registrationNumber) => {
    const context = { branchId, registrationNumber };
    try {
      const result = await deps.transport.call({
        operation: 'findAdByRegistrationNumber',
        method: 'GET',
        host: 'dealer',
        path: `/vehicle/${seg(branchId)}/vehicle/by-registration-number/${seg(registrationNumber)}`,
        branchKey: branchId,
        context,
      });
      return readAd(deps, 'findAdByRegistrationNumber', result.body, context);
    } catch (error) {
      if (error instanceof WaykeNotFoundError) return null;
      throw error;
    }
  };

export const getAd =
  (deps: EndpointDeps): WaykeApi['getAd'] =>
  async (adId) => {
    const context = { adId };
    const result = await deps.transport.call({
      operation: 'getAd',
      method: 'GET',
      host: 'dealer',
      path: `/vehicle/${seg(adId)}/ad`,
      branchKey: deps.branches.of(adId),
      context,
    });
    return readAd(deps, 'getAd', result.body, context);
  };

export const createAd =
  (deps: EndpointDeps, find: WaykeApi['findAdByRegistrationNumber']): WaykeApi['createAd'] =>
  async ({ branchId, vehicle, status, mediaUrls, extraMedia }) => {
    const { registrationNumber } = vehicle;
    const context = { branchId, registrationNumber };
    const body = toWaykeBody({
      branchId,
      fields: vehicle,
      status,
      create: true,
      ...(deps.market ? { market: deps.market } : {}),
    });
    const result = await deps.transport.call({
      operation: 'createAd',
      method: 'POST',
      host: 'dealer',
      path: '/vehicle',
      json: mediaUrls !== undefined ? withWaykeMedia(body, mediaUrls, extraMedia) : body,
      branchKey: branchId,
      context,
      // The lost answer may hide a created ad: look before creating it again.
      recover: async () => {
        const existing = await find(branchId, registrationNumber);
        if (!existing) return undefined;
        deps.transport.log?.warn('Wayke createAd answer was lost but the ad exists; using it', {
          registrationNumber,
          adId: existing.id,
        });
        return { id: existing.id };
      },
    });
    if (result.recovered) return result.recovered as { id: string };
    const parsed = WaykeCreateResponseSchema.safeParse(result.body);
    if (!parsed.success) throw unexpectedAnswer('createAd', context, result.status);
    deps.branches.remember(parsed.data.id, branchId);
    return { id: parsed.data.id };
  };

export const patchAd =
  (deps: EndpointDeps): WaykeApi['patchAd'] =>
  async ({ adId, branchId, registrationNumber, fields, mediaUrls, extraMedia }) => {
    deps.branches.remember(adId, branchId);
    const fieldsBody = toWaykeBody({ branchId, fields, ...(deps.market ? { market: deps.market } : {}) });
    const body = mediaUrls !== undefined ? withWaykeMedia(fieldsBody, mediaUrls, extraMedia) : fieldsBody;
    // Nothing to change: no call at all.
    if (body.vehicle === undefined && body.ad === undefined && body.status === undefined) return;
    await deps.transport.call({
      operation: 'patchAd',
      method: 'PATCH',
      host: 'dealer',
      path: `/vehicle/${seg(adId)}`,
      json: body,
      branchKey: branchId,
      context: { adId, branchId, registrationNumber },
    });
  };

export const setStatus =
  (deps: EndpointDeps): WaykeApi['setStatus'] =>
  async (adId: string, status: AdStatus, registrationNumber?: string) => {
    await deps.transport.call({
      operation: 'setStatus',
      method: 'PUT',
      host: 'dealer',
      path: `/vehicle/${seg(adId)}/ad/status`,
      json: toWaykeStatusBody(status),
      branchKey: deps.branches.of(adId),
      context: { adId, ...withPlate(registrationNumber) },
    });
  };

export const setMedia =
  (deps: EndpointDeps): WaykeApi['setMedia'] =>
  async (adId, mediaUrls, registrationNumber, extra) => {
    await deps.transport.call({
      operation: 'setMedia',
      method: 'PUT',
      host: 'dealer',
      path: `/vehicle/${seg(adId)}/media`,
      json: toWaykeMediaBody(mediaUrls, extra),
      branchKey: deps.branches.of(adId),
      context: { adId, ...withPlate(registrationNumber) },
    });
  };

export const uploadImageByUrl =
  (deps: EndpointDeps): WaykeApi['uploadImageByUrl'] =>
  async ({ branchId, url, sortOrder, registrationNumber }) => {
    const context = { branchId, ...withPlate(registrationNumber) };
    const result = await deps.transport.call({
      operation: 'uploadImageByUrl',
      method: 'POST',
      host: 'media',
      path: '/media/v2/image-url',
      json: { url, branchId, purpose: MEDIA_PURPOSE, sortOrder },
      branchKey: branchId,
      context,
    });
    return readImage('uploadImageByUrl', result.body, context);
  };

export const uploadImageBytes =
  (deps: EndpointDeps): WaykeApi['uploadImageBytes'] =>
  async ({ branchId, bytes, fileName, contentType, sortOrder, registrationNumber }) => {
    const context = { branchId, ...withPlate(registrationNumber) };
    const form = new FormData();
    form.set('File', new Blob([bytes], { type: contentType }), fileName);
    form.set('Metadata.Purpose', MEDIA_PURPOSE);
    form.set('Metadata.BranchId', branchId);
    form.set('Metadata.SortOrder', String(sortOrder));
    const result = await deps.transport.call({
      operation: 'uploadImageBytes',
      method: 'POST',
      host: 'media',
      path: '/media/v2/image',
      form,
      branchKey: branchId,
      context,
    });
    return readImage('uploadImageBytes', result.body, context);
  };

export const registerVideo =
  (deps: EndpointDeps): WaykeApi['registerVideo'] =>
  async ({ branchId, url, sortOrder, registrationNumber }) => {
    const context = { branchId, ...withPlate(registrationNumber) };
    const result = await deps.transport.call({
      operation: 'registerVideo',
      method: 'POST',
      host: 'media',
      path: '/media/v2/embedded-video',
      json: toEmbeddedVideoBody({ branchId, url, sortOrder }),
      branchKey: branchId,
      context,
    });
    return readImage('registerVideo', result.body, context);
  };

export const createPanorama =
  (deps: EndpointDeps): WaykeApi['createPanorama'] =>
  async ({ branchId, sortOrder, registrationNumber }) => {
    const context = { branchId, ...withPlate(registrationNumber) };
    const result = await deps.transport.call({
      operation: 'createPanorama',
      method: 'POST',
      host: 'media',
      path: '/media/v2/panorama-image',
      form: toPanoramaContainerForm({ branchId, sortOrder }),
      branchKey: branchId,
      context,
    });
    return readAnswer(WaykePanoramaContainerResponseSchema, 'createPanorama', result.body, context);
  };

/** Downloads the frame (see `media-download.ts`), then uploads its bytes into the container. */
export const uploadPanoramaFrame =
  (deps: EndpointDeps): WaykeApi['uploadPanoramaFrame'] =>
  async ({ branchId, containerId, sourceUrl, sortOrder, registrationNumber }) => {
    const context = { branchId, ...withPlate(registrationNumber) };
    const frame = await deps.download(sourceUrl);
    const form = new FormData();
    form.set(PANORAMA_FRAME_FIELDS.file, new Blob([frame.bytes], { type: frame.contentType }), frame.fileName);
    form.set(PANORAMA_FRAME_FIELDS.sortOrder, String(sortOrder));
    const result = await deps.transport.call({
      operation: 'uploadPanoramaFrame',
      method: 'POST',
      host: 'media',
      path: `/media/v2/panorama-image/${seg(containerId)}`,
      form,
      branchKey: branchId,
      context,
    });
    const { imageId, url } = readAnswer(WaykePanoramaFrameResponseSchema, 'uploadPanoramaFrame', result.body, context);
    return { imageId, url };
  };
