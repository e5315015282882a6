/**
 * The media host and an ad's media list: uploads by URL (recorded, never fetched; served as a tiny
 * PNG) and by multipart bytes, the files they are served as, `PUT /vehicle/{id}/media`, and the rule
 * that every URL in an ad body must come from this simulator's upload.
 */
import { randomUUID } from 'node:crypto';
import { mayActFor } from './auth.js';
import { check, type FieldProblem, ImageUrlBodySchema, MediaBodySchema } from './contract.js';
import { badRequest, forbiddenBranch, HttpAnswer, notFound, type Outcome } from './http.js';
import type { SimulatorState } from './state.js';
import type { MutableAd, Token } from './types.js';

/** A 1×1 PNG, served for every media uploaded by URL. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export type MediaList = ReadonlyArray<{ fileUrls: readonly string[] }>;

/** Every url in a media list must come from this simulator's upload. */
export function checkMedia(state: SimulatorState, list: MediaList | null | undefined, prefix: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  (list ?? []).forEach((entry, i) =>
    entry.fileUrls.forEach((url, j) => {
      if (!state.mediaByUrl.has(url))
        problems.push({
          field: `${prefix}[${i}].fileUrls[${j}]`,
          message: 'is not a Wayke media URL (upload the image first)',
        });
    }),
  );
  return problems;
}

interface MediaInput {
  readonly branchId: string;
  readonly sortOrder: number;
  readonly sourceUrl?: string;
  readonly fileName?: string;
  readonly contentType: string;
  readonly bytes?: Buffer;
}

const extensionOf = (contentType: string): string =>
  contentType === 'image/png' ? 'png' : contentType === 'image/webp' ? 'webp' : 'jpg';

export function storeMedia(state: SimulatorState, input: MediaInput): HttpAnswer {
  const mediaId = randomUUID();
  const fileId = randomUUID();
  const url = `${state.baseUrl}/media/files/${fileId}.${extensionOf(input.contentType)}`;
  state.addMedia({
    mediaId,
    fileId,
    url,
    branchId: input.branchId,
    sortOrder: input.sortOrder,
    ...(input.sourceUrl !== undefined ? { sourceUrl: input.sourceUrl } : {}),
    ...(input.fileName !== undefined ? { fileName: input.fileName } : {}),
    contentType: input.contentType,
    size: input.bytes?.length ?? TINY_PNG.length,
    ...(input.bytes ? { bytes: input.bytes } : {}),
  });
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

/** The form's problems, and what it carries when there are none. */
function checkUploadForm(form: FormData): {
  problems: FieldProblem[];
  file: File;
  branchId: string;
  sortOrder: number;
} {
  const file = form.get('File');
  const problems: FieldProblem[] = [];
  if (!(file instanceof Blob) || file.size === 0)
    problems.push({ field: 'File', message: 'is required (a non-empty image file)' });
  else if (!file.type.startsWith('image/')) problems.push({ field: 'File', message: 'must be an image' });
  const purpose = form.get('Metadata.Purpose');
  if (purpose !== null && purpose !== 'Vehicle')
    problems.push({ field: 'Metadata.Purpose', message: 'must be "Vehicle"' });
  const branchId = form.get('Metadata.BranchId');
  if (typeof branchId !== 'string' || branchId === '')
    problems.push({ field: 'Metadata.BranchId', message: 'is required' });
  const sortOrderRaw = form.get('Metadata.SortOrder');
  const sortOrder = sortOrderRaw === null ? 0 : Number(sortOrderRaw);
  if (!Number.isInteger(sortOrder) || sortOrder < 0)
    problems.push({ field: 'Metadata.SortOrder', message: 'must be an integer, 0 or more' });
  return { problems, file: file as File, branchId: branchId as string, sortOrder };
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

/** `GET /files/{fileId}`: the uploaded bytes, or the tiny PNG for an upload by URL. */
export function serveFile(state: SimulatorState, fileName: string): HttpAnswer {
  const fileId = decodeURIComponent(fileName).replace(/\.[a-z]+$/i, '');
  const record = [...state.media.values()].find((m) => m.fileId === fileId);
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
