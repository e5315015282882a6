/**
 * The media host and an ad's media list: uploads by URL (recorded, never fetched; served as a tiny
 * PNG) and by multipart bytes, embedded video links, 360 containers and their frames, the files
 * they are served as, `PUT /vehicle/{id}/media`, and the rules for a media list in an ad body:
 * every URL must come from this simulator, and one entry is one media item — one image, one video
 * or the frames of one 360 container — as Wayke's read side shows each entry as one item.
 */
import { randomUUID } from 'node:crypto';
import { mayActFor } from './auth.js';
import {
  check,
  EmbeddedVideoBodySchema,
  type FieldProblem,
  ImageUrlBodySchema,
  isEmbeddableVideo,
  MediaBodySchema,
} from './contract.js';
import { badRequest, forbiddenBranch, HttpAnswer, notFound, type Outcome } from './http.js';
import type { SimulatorState } from './state.js';
import type { MutableAd, SimMediaType, StoredMedia, Token } from './types.js';

/** A 1×1 PNG, served for every media uploaded by URL. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** The `fileId` Wayke answers for an embedded video (documented: no file is stored). */
const NO_FILE_ID = '00000000-0000-0000-0000-000000000000';

export type MediaList = ReadonlyArray<{ fileUrls: readonly string[] }>;

const typeOf = (record: StoredMedia): SimMediaType => record.type ?? 'image';
/** The media item a file belongs to: its container for a 360 frame, else itself. */
const itemOf = (record: StoredMedia): string => record.containerId ?? record.mediaId;

function recordOf(state: SimulatorState, url: string): StoredMedia | undefined {
  const id = state.mediaByUrl.get(url);
  return id === undefined ? undefined : state.media.get(id);
}

/** What is wrong with one entry whose URLs are all ours: a container URL, or files of several items. */
function entryProblem(records: readonly StoredMedia[], field: string): FieldProblem | null {
  if (records.some((r) => r.container))
    return { field, message: 'names a 360 container; list the frames uploaded into it' };
  const items = new Set(records.map(itemOf));
  if (items.size <= 1) return null;
  const kinds = [...new Set(records.map(typeOf))].join(', ');
  return {
    field,
    message: `mixes ${items.size} media items (${kinds}): one entry is one image, one video or the frames of one 360 set`,
  };
}

/** Every url in a media list must come from this simulator's upload, and each entry must be one item. */
export function checkMedia(state: SimulatorState, list: MediaList | null | undefined, prefix: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  (list ?? []).forEach((entry, i) => {
    const records: StoredMedia[] = [];
    entry.fileUrls.forEach((url, j) => {
      const record = recordOf(state, url);
      if (record) records.push(record);
      else
        problems.push({
          field: `${prefix}[${i}].fileUrls[${j}]`,
          message: 'is not a Wayke media URL (upload the image first)',
        });
    });
    const problem = records.length === entry.fileUrls.length ? entryProblem(records, `${prefix}[${i}]`) : null;
    if (problem) problems.push(problem);
  });
  return problems;
}

/** An ad's media list as a read shows it: each entry with the `type` of its item. */
export function typedMediaList(state: SimulatorState, list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((entry: { fileUrls?: unknown }) => {
    const first = Array.isArray(entry?.fileUrls) ? (entry.fileUrls[0] as unknown) : undefined;
    const record = typeof first === 'string' ? recordOf(state, first) : undefined;
    return record ? { type: typeOf(record), ...entry } : entry;
  });
}

/** A read ad (a copy) with its media list typed. */
export function readableAd(state: SimulatorState, ad: MutableAd): MutableAd {
  const copy = structuredClone(ad);
  if (copy.ad.media !== undefined) copy.ad.media = typedMediaList(state, copy.ad.media);
  return copy;
}

interface MediaInput {
  readonly branchId: string;
  readonly sortOrder: number;
  readonly containerId?: string;
  readonly sourceUrl?: string;
  readonly fileName?: string;
  readonly contentType: string;
  readonly bytes?: Buffer;
}

const extensionOf = (contentType: string): string =>
  contentType === 'image/png' ? 'png' : contentType === 'image/webp' ? 'webp' : 'jpg';

/** Stores an uploaded file (an image, or a 360 frame with `containerId`); returns its record. */
function storeFile(state: SimulatorState, input: MediaInput): StoredMedia {
  const mediaId = randomUUID();
  const fileId = randomUUID();
  const url = `${state.baseUrl}/media/files/${fileId}.${extensionOf(input.contentType)}`;
  const record: StoredMedia = {
    mediaId,
    fileId,
    url,
    branchId: input.branchId,
    sortOrder: input.sortOrder,
    type: input.containerId ? 'threesixty' : 'image',
    ...(input.containerId ? { containerId: input.containerId } : {}),
    ...(input.sourceUrl !== undefined ? { sourceUrl: input.sourceUrl } : {}),
    ...(input.fileName !== undefined ? { fileName: input.fileName } : {}),
    contentType: input.contentType,
    size: input.bytes?.length ?? TINY_PNG.length,
    ...(input.bytes ? { bytes: input.bytes } : {}),
  };
  state.addMedia(record);
  return record;
}

export function storeMedia(state: SimulatorState, input: MediaInput): HttpAnswer {
  const { mediaId, fileId, url } = storeFile(state, input);
  return new HttpAnswer(201, { mediaId, fileId, url });
}

/** `POST /media/v2/image-url` */
export function uploadByUrl(state: SimulatorState, token: Token, body: unknown): HttpAnswer {
  const checked = check(ImageUrlBodySchema, body, ['url', 'branchId']);
  if (!checked.ok) return badRequest(checked.problems);
  if (!mayActFor(token, checked.value.branchId)) return forbiddenBranch();
  return storeMedia(state, {
    branchId: checked.value.branchId,
    sortOrder: checked.value.sortOrder ?? 0,
    sourceUrl: checked.value.url,
    contentType: 'image/png',
  });
}

async function parseForm(contentType: string, raw: Buffer): Promise<FormData | null> {
  try {
    return await new Request('http://simulator/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: raw,
    }).formData();
  } catch {
    return null;
  }
}

/** The `File` part of an upload form: a non-empty image, or its problems. */
function fileOf(form: FormData, problems: FieldProblem[]): File {
  const file = form.get('File');
  if (!(file instanceof Blob) || file.size === 0)
    problems.push({ field: 'File', message: 'is required (a non-empty image file)' });
  else if (!file.type.startsWith('image/')) problems.push({ field: 'File', message: 'must be an image' });
  return file as File;
}

/** A sort order field (absent: 0), or its problem. */
function sortOrderOf(form: FormData | URLSearchParams, field: string, problems: FieldProblem[]): number {
  const raw = form.get(field);
  const sortOrder = raw === null ? 0 : Number(raw);
  if (!Number.isInteger(sortOrder) || sortOrder < 0) problems.push({ field, message: 'must be an integer, 0 or more' });
  return sortOrder;
}

/** `Metadata.Purpose` and `Metadata.BranchId` of a form, or their problems. */
function metadataOf(form: FormData | URLSearchParams, problems: FieldProblem[]): string {
  const purpose = form.get('Metadata.Purpose');
  if (purpose !== null && purpose !== 'Vehicle')
    problems.push({ field: 'Metadata.Purpose', message: 'must be "Vehicle"' });
  const branchId = form.get('Metadata.BranchId');
  if (typeof branchId !== 'string' || branchId === '')
    problems.push({ field: 'Metadata.BranchId', message: 'is required' });
  return branchId as string;
}

/** The form's problems, and what it carries when there are none. */
function checkUploadForm(form: FormData): {
  problems: FieldProblem[];
  file: File;
  branchId: string;
  sortOrder: number;
} {
  const problems: FieldProblem[] = [];
  const file = fileOf(form, problems);
  const branchId = metadataOf(form, problems);
  const sortOrder = sortOrderOf(form, 'Metadata.SortOrder', problems);
  return { problems, file, branchId, sortOrder };
}

/** `POST /media/v2/image`: a multipart form with `File` and `Metadata.*`. */
export async function uploadBytes(
  state: SimulatorState,
  token: Token,
  contentType: string,
  raw: Buffer,
): Promise<HttpAnswer> {
  if (!contentType.startsWith('multipart/form-data'))
    return badRequest([{ field: '(body)', message: 'must be multipart/form-data' }]);
  const form = await parseForm(contentType, raw);
  if (!form) return badRequest([{ field: '(body)', message: 'is not valid multipart/form-data' }]);
  const { problems, file, branchId, sortOrder } = checkUploadForm(form);
  if (problems.length > 0) return badRequest(problems);
  if (!mayActFor(token, branchId)) return forbiddenBranch();
  return storeMedia(state, {
    branchId,
    sortOrder,
    ...(file.name ? { fileName: file.name } : {}),
    contentType: file.type,
    bytes: Buffer.from(await file.arrayBuffer()),
  });
}

/** `POST /media/v2/embedded-video`: registers a YouTube, Vimeo or .mp4 link; nothing is stored but the link. */
export function registerEmbeddedVideo(state: SimulatorState, token: Token, body: unknown): HttpAnswer {
  const checked = check(EmbeddedVideoBodySchema, body, ['url', 'branchId']);
  if (!checked.ok) return badRequest(checked.problems);
  const { url, branchId, sortOrder } = checked.value;
  if (!isEmbeddableVideo(url))
    return badRequest([{ field: 'url', message: 'must be a YouTube, Vimeo or direct .mp4 URL' }]);
  if (!mayActFor(token, branchId)) return forbiddenBranch();
  const mediaId = randomUUID();
  state.addMedia({
    mediaId,
    fileId: NO_FILE_ID,
    url,
    branchId,
    sortOrder: sortOrder ?? 0,
    type: 'embedded',
    sourceUrl: url,
    contentType: 'text/uri-list',
    size: 0,
  });
  return new HttpAnswer(201, { mediaId, fileId: NO_FILE_ID, url });
}

/** `POST /media/v2/panorama-image`: a form-urlencoded `Metadata.*`; answers the new container's id. */
export function createPanoramaContainer(
  state: SimulatorState,
  token: Token,
  contentType: string,
  raw: Buffer,
): HttpAnswer {
  if (!contentType.startsWith('application/x-www-form-urlencoded'))
    return badRequest([{ field: '(body)', message: 'must be application/x-www-form-urlencoded' }]);
  const form = new URLSearchParams(raw.toString('utf8'));
  const problems: FieldProblem[] = [];
  const branchId = metadataOf(form, problems);
  const sortOrder = sortOrderOf(form, 'Metadata.SortOrder', problems);
  if (problems.length > 0) return badRequest(problems);
  if (!mayActFor(token, branchId)) return forbiddenBranch();
  const containerId = randomUUID();
  state.addMedia({
    mediaId: containerId,
    fileId: containerId,
    url: `${state.baseUrl}/media/panorama/${containerId}`,
    branchId,
    sortOrder,
    type: 'threesixty',
    container: true,
    contentType: 'application/x-container',
    size: 0,
  });
  // Documented as the bare container id; sent as a JSON string.
  return new HttpAnswer(201, containerId);
}

/** `POST /media/v2/panorama-image/{containerId}`: one frame, multipart `File` and `SortOrder`. */
export async function uploadPanoramaFrame(
  state: SimulatorState,
  token: Token,
  rawContainerId: string,
  call: { readonly contentType: string; readonly raw: Buffer },
): Promise<HttpAnswer> {
  const container = state.media.get(decodeURIComponent(rawContainerId));
  if (!container?.container || !mayActFor(token, container.branchId))
    return notFound(`Panorama container ${rawContainerId}`);
  if (!call.contentType.startsWith('multipart/form-data'))
    return badRequest([{ field: '(body)', message: 'must be multipart/form-data' }]);
  const form = await parseForm(call.contentType, call.raw);
  if (!form) return badRequest([{ field: '(body)', message: 'is not valid multipart/form-data' }]);
  const problems: FieldProblem[] = [];
  const file = fileOf(form, problems);
  const sortOrder = sortOrderOf(form, 'SortOrder', problems);
  if (problems.length > 0) return badRequest(problems);
  const frame = storeFile(state, {
    branchId: container.branchId,
    sortOrder,
    containerId: container.mediaId,
    ...(file.name ? { fileName: file.name } : {}),
    contentType: file.type,
    bytes: Buffer.from(await file.arrayBuffer()),
  });
  return new HttpAnswer(201, { imageId: frame.mediaId, url: frame.url });
}

/** `GET /files/{fileId}`: the uploaded bytes, or the tiny PNG for an upload by URL. */
export function serveFile(state: SimulatorState, fileName: string): HttpAnswer {
  const fileId = decodeURIComponent(fileName).replace(/\.[a-z]+$/i, '');
  const record = [...state.media.values()].find((m) => m.fileId === fileId && !m.container && m.type !== 'embedded');
  if (!record) return notFound(`File ${fileName}`);
  return new HttpAnswer(200, record.bytes ?? TINY_PNG, {
    'content-type': record.bytes ? record.contentType : 'image/png',
    'cache-control': 'public, max-age=31536000',
  });
}

/** `PUT /vehicle/{id}/media` on an ad the caller may see (`ad`); a list equal to the current one changes nothing. */
export function replaceMediaList(state: SimulatorState, ad: MutableAd, body: unknown): Outcome {
  const checked = check(MediaBodySchema, body);
  if (!checked.ok) return { answer: badRequest(checked.problems) };
  const problems = checkMedia(state, checked.value.media, 'media');
  if (problems.length > 0) return { answer: badRequest(problems) };
  const before = JSON.stringify(ad.ad.media ?? []);
  ad.ad.media = structuredClone(checked.value.media);
  if (JSON.stringify(ad.ad.media) === before) return { answer: new HttpAnswer(204) };
  ad.updatedAt = new Date().toISOString();
  ad.version += 1;
  return { answer: new HttpAnswer(204), changed: ad };
}
