import { DEALER_ID_PATTERN } from './dealer-config.js';

/**
 * The feed bucket's layout, in one place for the CDK rule, the adapters, the local run and the
 * tests: everything of a dealer under `feeds/<dealerId>/`, in the folders below. Any file name a
 * dealer's SFTP client writes works (`+`, `%`, spaces, unicode, 255 characters, a line break):
 * keys are never built or matched with patterns that stop at such a character, and the one pair
 * of functions here encodes and decodes keys where S3 and EventBridge carry them encoded.
 */

export const FEED_ROOT = 'feeds/';

/** A dealer's folders: uploads, consumed feeds, refused feeds, run reports, webhook files. */
export const DEALER_FOLDERS = ['inbound', 'archive', 'rejected', 'reports', 'outbox'] as const;
export type DealerFolder = (typeof DEALER_FOLDERS)[number];

/** `feeds/<dealerId>/`. */
export const dealerPrefix = (dealerId: string): string => `${FEED_ROOT}${dealerId}/`;
/** `feeds/<dealerId>/<folder>/`. */
export const folderPrefix = (dealerId: string, folder: DealerFolder): string => `${dealerPrefix(dealerId)}${folder}/`;
export const inboundPrefix = (dealerId: string): string => folderPrefix(dealerId, 'inbound');

/** The EventBridge wildcard for uploads (`*` matches any characters, `/` included). */
export const INBOUND_KEY_PATTERN = `${FEED_ROOT}*/inbound/*`;

/** `YYYYMMDDTHHMMSSmmmZ`, the timestamp in every key this project writes. */
export function keyTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

/** The last path segment of a key: the file's own name. */
export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** The parts of a key under the layout: its dealer, folder and the rest (the file name), or null. */
export function parseFeedKey(key: string): { dealerId: string; folder: DealerFolder; name: string } | null {
  if (!key.startsWith(FEED_ROOT)) return null;
  const dealerEnd = key.indexOf('/', FEED_ROOT.length);
  if (dealerEnd === -1) return null;
  const dealerId = key.slice(FEED_ROOT.length, dealerEnd);
  const folderEnd = key.indexOf('/', dealerEnd + 1);
  if (folderEnd === -1 || !DEALER_ID_PATTERN.test(dealerId)) return null;
  const folder = key.slice(dealerEnd + 1, folderEnd) as DealerFolder;
  if (!DEALER_FOLDERS.includes(folder)) return null;
  return { dealerId, folder, name: key.slice(folderEnd + 1) };
}

/** Names an SFTP client uses while a transfer is still running, and hidden files. */
const INCOMPLETE = /(^\.|\.(tmp|temp|part|partial|filepart|crdownload|uploading|lock)$|~$)/i;

/** A finished upload's own name: a file (not a sub-folder), and not one of a transfer still running. */
const isUploadName = (name: string): boolean => name.length > 0 && !name.includes('/') && !INCOMPLETE.test(name);

/**
 * The inbound-key rule: a finished upload is a file directly in a dealer's `inbound/` folder
 * (`feeds/<dealerId>/inbound/<name>`, not in a sub-folder) whose name is not one an SFTP client
 * gives a transfer still running. Returns its dealer and file name, or null for any other key.
 */
export function parseInboundFeedKey(key: string): { dealerId: string; name: string } | null {
  const parts = parseFeedKey(key);
  if (!parts || parts.folder !== 'inbound' || !isUploadName(parts.name)) return null;
  return { dealerId: parts.dealerId, name: parts.name };
}

/** Whether `key` is a finished upload (see {@link parseInboundFeedKey}), of `dealerId` when given. */
export function isInboundFeedKey(key: string, dealerId?: string): boolean {
  if (dealerId === undefined) return parseInboundFeedKey(key) !== null;
  const prefix = inboundPrefix(dealerId);
  return key.startsWith(prefix) && isUploadName(key.slice(prefix.length));
}

/**
 * Where a consumed feed goes: `archive/<timestamp>-<name>` (`superseded-` for older files never
 * imported) or `rejected/<timestamp>-<name>`.
 */
export function settledKey(
  dealerId: string,
  outcome: 'archived' | 'rejected' | 'superseded',
  at: Date,
  key: string,
): string {
  const folder = outcome === 'rejected' ? 'rejected' : 'archive';
  return `${folderPrefix(dealerId, folder)}${keyTimestamp(at)}-${outcome === 'superseded' ? 'superseded-' : ''}${baseName(key)}`;
}

/** `feeds/<dealerId>/reports/<name>`. */
export const reportKey = (dealerId: string, name: string): string => `${folderPrefix(dealerId, 'reports')}${name}`;

/**
 * A key as S3 event notifications and EventBridge carry it: URL-encoded, a space as `+`, `/`
 * kept (`lager 100%+ny.csv` → `lager+100%25%2Bny.csv`).
 */
export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

/**
 * The key an event carries, decoded. Never throws: a `%` not followed by two hex digits (which
 * S3 itself never writes) is kept as it is, so no file name can stop a dealer's trigger.
 */
export function decodeEventKey(encoded: string): string {
  return encoded.replace(/\+/g, ' ').replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    const text = bytes.toString('utf8');
    // Bytes that are no UTF-8 stay as they were written.
    return Buffer.from(text, 'utf8').equals(bytes) ? text : run;
  });
}

/** The `CopySource` of a CopyObject for `key` (bucket and key, each segment URL-encoded). */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
