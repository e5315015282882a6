import { createHash } from 'node:crypto';
import type { AdStatus } from '../../ports.js';
import { VehicleFieldSchemas, type Vehicle, type VehicleField } from '../vehicle.js';

/**
 * Hashes of a canonical vehicle, the unit of change detection. One hash for the whole vehicle is
 * the fast path (equal → unchanged); one per field group (data, media, status) decides which
 * calls an update needs; one short hash per field names the fields a PATCH must carry.
 *
 * Hashes are over a canonical JSON form (sorted keys), so key order in the feed never matters;
 * list order does (images are shown in order, equipment in the dealer's order).
 */
export interface VehicleFingerprint {
  readonly hash: string;
  /** `images` is the media group (images, 360 set and videos); the name is the one snapshots store. */
  readonly groups: { readonly data: string; readonly images: string; readonly status: string };
  readonly fields: Readonly<Record<string, string>>;
}

/** Fields that travel as Wayke media, not in the ad body: hashed together as the media group. */
const MEDIA_FIELDS: readonly VehicleField[] = ['images', 'videos', 'panorama'];

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** JSON of a field value: plain `JSON.stringify` where key order cannot matter (the hot path). */
function fieldJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null))
    return JSON.stringify(value);
  return canonicalJson(value);
}

/**
 * cyrb53: a fast 53-bit string hash. Used per field, where sha256 per field would cost more than
 * the rest of an unchanged run; a missed change needs a 2^-53 collision on that one field.
 */
function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A short field hash (about 10 characters). */
export function shortHash(text: string): string {
  return cyrb53(text).toString(36);
}

/** A 128-bit hash, base64url (22 characters). */
export function strongHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

/** Fields that travel in the data group: everything but the key and the media. */
export function dataFields(vehicle: Vehicle): VehicleField[] {
  return (Object.keys(vehicle) as VehicleField[]).filter(
    (field) => field !== 'registrationNumber' && !MEDIA_FIELDS.includes(field) && vehicle[field] !== undefined,
  );
}

/** Hash of an ordered image list (empty list and absent list are the same: no images). */
export function imagesHash(images: readonly string[] | undefined): string {
  return strongHash(JSON.stringify(images ?? []));
}

/**
 * Hash of the media group. Without videos or a 360 set it is {@link imagesHash} of the images, the
 * hash snapshots stored before videos existed, so those entries stay unchanged.
 */
export function mediaHash(vehicle: Pick<Vehicle, 'images' | 'videos' | 'panorama'>): string {
  const videos = vehicle.videos ?? [];
  const panorama = vehicle.panorama ?? [];
  if (videos.length === 0 && panorama.length === 0) return imagesHash(vehicle.images);
  return strongHash(JSON.stringify({ images: vehicle.images ?? [], panorama, videos }));
}

export function statusHash(status: AdStatus): string {
  return shortHash(status);
}

/** Every field in one fixed order, so the whole-vehicle hash never depends on the feed's column order. */
const FIELD_ORDER = Object.keys(VehicleFieldSchemas) as VehicleField[];

/**
 * The hash of the whole vehicle as it should stand in Wayke with `status`: one JSON string and one
 * sha256 per vehicle, the only work an unchanged vehicle costs.
 */
export function vehicleHash(vehicle: Vehicle, status: AdStatus = 'Published'): string {
  let text = status;
  for (const field of FIELD_ORDER) {
    const value = vehicle[field];
    if (value !== undefined) text += `\n${field}=${fieldJson(value)}`;
  }
  return strongHash(text);
}

/** The fingerprint of a vehicle as it should stand in Wayke with `status`. */
export function fingerprint(vehicle: Vehicle, status: AdStatus = 'Published'): VehicleFingerprint {
  const fields: Record<string, string> = {};
  const lines: string[] = [];
  for (const field of dataFields(vehicle).sort()) {
    const hash = shortHash(fieldJson(vehicle[field]));
    fields[field] = hash;
    lines.push(`${field}=${hash}`);
  }
  const data = strongHash(`${vehicle.registrationNumber}\n${lines.join('\n')}`);
  const images = mediaHash(vehicle);
  return { hash: vehicleHash(vehicle, status), groups: { data, images, status: statusHash(status) }, fields };
}

/** Fields whose hash differs between what Wayke holds and what the feed says (removed ones included). */
export function changedFields(
  held: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
): VehicleField[] {
  const changed = new Set<string>();
  for (const [field, hash] of Object.entries(wanted)) if (held[field] !== hash) changed.add(field);
  for (const field of Object.keys(held)) if (!(field in wanted)) changed.add(field);
  return [...changed].sort() as VehicleField[];
}
