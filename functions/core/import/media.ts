import type { ExtraMedia, WaykeApi } from '../../ports.js';
import type { Vehicle } from '../vehicle.js';
import { strongHash } from './fingerprint.js';

/**
 * A vehicle's media on its way to Wayke: gallery images uploaded by URL, video links registered,
 * the 360 set uploaded frame by frame into a container. Each is sent once: the snapshot entry's
 * `media` remembers source → Wayke URL, and only what it does not know yet is uploaded. A changed
 * frame list is a new container (frames belong to the container they were uploaded into).
 *
 * The memory's keys: a source image URL (always `http(s)://…`, so no prefix below can collide),
 * `video:<link>`, and `panorama:<hash of the frame list>` whose value is the container's frame URLs
 * joined by spaces (URLs hold none), and `layout:`. Entries from before videos hold image keys only
 * and read as images with no video and no 360 set.
 */

const VIDEO_PREFIX = 'video:';
const PANORAMA_PREFIX = 'panorama:';
/**
 * Set in every memory written since media go out one item per entry. Ads imported before hold
 * their whole gallery in one entry (Wayke shows one picture of it), so an entry with media but
 * without this key has its media list sent once more — the same Wayke URLs, nothing uploaded.
 */
const LAYOUT_KEY = 'layout:';
const LAYOUT = 'item-per-entry';

/** A memory of media sent in the current layout, marked as such (an empty one needs no mark). */
export function withLayout(memory: Readonly<Record<string, string>>): Record<string, string> {
  return mediaLayoutOutdated(memory) ? { ...memory, [LAYOUT_KEY]: LAYOUT } : { ...memory };
}

/** True when the entry's media were sent in the old one-entry layout (see {@link LAYOUT_KEY}); O(1) for current entries. */
export function mediaLayoutOutdated(media: Readonly<Record<string, string>>): boolean {
  if (media[LAYOUT_KEY] !== undefined) return false;
  for (const _key in media) return true;
  return false;
}

const videoKey = (link: string): string => `${VIDEO_PREFIX}${link}`;
const panoramaKey = (frames: readonly string[]): string => `${PANORAMA_PREFIX}${strongHash(JSON.stringify(frames))}`;

export interface MediaContext {
  readonly wayke: WaykeApi;
  readonly branchId: string;
}

/** What a vehicle's media became in Wayke: what the ad's media list needs and what the snapshot keeps. */
export interface SentMedia {
  /** Source → Wayke, for the snapshot entry (only the vehicle's current media). */
  readonly memory: Record<string, string>;
  /** The gallery's Wayke URLs in the feed's order. */
  readonly imageUrls: string[];
  readonly extra: ExtraMedia;
  /** Nothing at all: no image, video or 360 set. */
  readonly empty: boolean;
}

/** Uploads the vehicle's images, videos and 360 set not in `known`, and reuses the rest. */
export async function sendMedia(
  ctx: MediaContext,
  vehicle: Vehicle,
  known: Readonly<Record<string, string>>,
): Promise<SentMedia> {
  const plate = vehicle.registrationNumber;
  const images = vehicle.images ?? [];
  const frames = vehicle.panorama ?? [];
  const memory: Record<string, string> = {};
  const [imageUrls, panoramaUrls, videoUrls] = await Promise.all([
    uploadImages(ctx, plate, images, known, memory),
    uploadPanorama(ctx, plate, { frames, sortOrder: images.length }, known, memory),
    registerVideos(ctx, plate, { links: vehicle.videos ?? [], sortOrder: images.length + 1 }, known, memory),
  ]);
  const extra: ExtraMedia = {
    ...(panoramaUrls.length > 0 ? { panoramaUrls } : {}),
    ...(videoUrls.length > 0 ? { videoUrls } : {}),
  };
  const empty = imageUrls.length + panoramaUrls.length + videoUrls.length === 0;
  return { memory: withLayout(memory), imageUrls, extra, empty };
}

/** Uploads the images not uploaded before (in parallel; the client bounds concurrency). */
async function uploadImages(
  ctx: MediaContext,
  plate: string,
  images: readonly string[],
  known: Readonly<Record<string, string>>,
  memory: Record<string, string>,
): Promise<string[]> {
  const uploads = new Map<string, Promise<string>>();
  const urlOf = (url: string, index: number): Promise<string> => {
    const have = known[url];
    if (have) return Promise.resolve(have);
    // The same source twice in one list is uploaded once.
    const pending =
      uploads.get(url) ??
      ctx.wayke
        .uploadImageByUrl({ branchId: ctx.branchId, url, sortOrder: index, registrationNumber: plate })
        .then((uploaded) => uploaded.url);
    uploads.set(url, pending);
    return pending;
  };
  const urls = await Promise.all(images.map(urlOf));
  images.forEach((source, i) => (memory[source] = urls[i] as string));
  return urls;
}

/** Registers the video links not registered before; each is one media item after the images and the 360 set. */
async function registerVideos(
  ctx: MediaContext,
  plate: string,
  input: { readonly links: readonly string[]; readonly sortOrder: number },
  known: Readonly<Record<string, string>>,
  memory: Record<string, string>,
): Promise<string[]> {
  const links = [...new Set(input.links)];
  const urls = await Promise.all(
    links.map(async (link, i) => {
      const have = known[videoKey(link)];
      if (have) return have;
      const registered = await ctx.wayke.registerVideo({
        branchId: ctx.branchId,
        url: link,
        sortOrder: input.sortOrder + i,
        registrationNumber: plate,
      });
      return registered.url;
    }),
  );
  links.forEach((link, i) => (memory[videoKey(link)] = urls[i] as string));
  return urls;
}

/**
 * The 360 set's frame URLs: the container uploaded for this very frame list before, or a new one
 * with every frame in order (one at a time: each is downloaded into memory first).
 */
async function uploadPanorama(
  ctx: MediaContext,
  plate: string,
  input: { readonly frames: readonly string[]; readonly sortOrder: number },
  known: Readonly<Record<string, string>>,
  memory: Record<string, string>,
): Promise<string[]> {
  if (input.frames.length === 0) return [];
  const key = panoramaKey(input.frames);
  const have = known[key];
  if (have) {
    memory[key] = have;
    return have.split(' ');
  }
  const { containerId } = await ctx.wayke.createPanorama({
    branchId: ctx.branchId,
    sortOrder: input.sortOrder,
    registrationNumber: plate,
  });
  const urls: string[] = [];
  for (const [sortOrder, sourceUrl] of input.frames.entries()) {
    const frame = await ctx.wayke.uploadPanoramaFrame({
      branchId: ctx.branchId,
      containerId,
      sourceUrl,
      sortOrder,
      registrationNumber: plate,
    });
    urls.push(frame.url);
  }
  memory[key] = urls.join(' ');
  return urls;
}
