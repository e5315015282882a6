/**
 * s3rver's file store with room for S3's long keys. s3rver keeps each object as files named
 * `<last key segment>._S3rver_<resource>` inside one directory per earlier segment, so a segment
 * longer than {@link MAX_PLAIN_SEGMENT_BYTES} cannot be a file name (Linux allows 255 bytes), while
 * AWS takes keys of up to 1,024 bytes and Transfer Family file names of 255. This store keeps such
 * a segment on disk under a name made from its SHA-256, with the real segment in a sidecar file
 * next to it, and lists real keys in S3's order (UTF-8 bytes). Segments that fit keep s3rver's own
 * layout, so data written before this store existed reads as it did.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rmdir, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { reportTruncation } from './s3-list-paging.js';

const requireCjs = createRequire(import.meta.url);

/** Longest key S3 accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** The longest suffix s3rver adds to a segment; a plain segment must leave room for it. */
const LONGEST_SUFFIX = '._S3rver_metadata.json';

/** Longest key segment kept under its own name on disk (255-byte file names minus s3rver's suffix). */
export const MAX_PLAIN_SEGMENT_BYTES = 255 - LONGEST_SUFFIX.length;

/** Disk names of long segments start with this; s3rver's own files never do. */
const HASHED_PREFIX = '._S3rver_long_';
const HASHED_NAME = /^\._S3rver_long_[0-9a-f]{64}$/;
const NAME_SUFFIX = '._S3rver_name';
const OBJECT_SUFFIX = '._S3rver_object';

interface StoredObject {
  readonly bucket: string;
  readonly key: string;
}

interface ListOptions {
  readonly delimiter?: string;
  readonly startAfter?: string;
  readonly prefix?: string;
  readonly maxKeys?: number;
}

interface ListResult {
  readonly objects: unknown[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
}

/** The part of s3rver's FilesystemStore this store builds on (the class is plain JavaScript). */
interface FilesystemStoreBase {
  readonly rootDirectory: string;
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata?: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  putSubresource(bucket: string, key: string | undefined, resource: { type: string }): Promise<void>;
}

interface FilesystemStoreClass {
  new (rootDirectory: string): FilesystemStoreBase;
  encodeKeyPath(key: string): string;
  decodeKeyPath(keyPath: string): string;
}

const FilesystemStore = requireCjs('s3rver/lib/stores/filesystem.js') as FilesystemStoreClass;
const S3Object = requireCjs('s3rver/lib/models/object.js') as new (
  bucket: string,
  key: string,
  content: null,
  metadata: Record<string, unknown>,
) => unknown;

/** True when the key (the path after `/<bucket>/`, URL-encoded) is longer than S3 accepts. */
export function keyTooLong(requestPath: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return false;
  }
  const key = decoded.replace(/^\/[^/]*\/?/, '');
  return Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES;
}

/** S3 orders keys by their UTF-8 bytes (JavaScript's `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isLong(segment: string): boolean {
  return Buffer.byteLength(segment, 'utf8') > MAX_PLAIN_SEGMENT_BYTES;
}

/** The name a key segment has on disk. */
export function diskSegment(segment: string): string {
  if (!isLong(segment)) return segment;
  return HASHED_PREFIX + createHash('sha256').update(segment, 'utf8').digest('hex');
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Removes `<name>._S3rver_name` once nothing else in `directory` goes by `name`. */
async function dropNameIfUnused(directory: string, name: string): Promise<void> {
  if (!HASHED_NAME.test(name)) return;
  const entries = await readdir(directory).catch((error: unknown) => {
    ignoreMissing(error);
    return [] as string[];
  });
  const sidecar = name + NAME_SUFFIX;
  const used = entries.some((entry) => entry !== sidecar && (entry === name || entry.startsWith(`${name}._S3rver_`)));
  if (!used) await unlink(join(directory, sidecar)).catch(ignoreMissing);
}

export class LongNameStore extends FilesystemStore {
  override getResourcePath(bucket: string, key = '', resource: string): string {
    const parts = FilesystemStore.encodeKeyPath(key).split('/');
    const last = parts.pop() ?? '';
    return join(this.rootDirectory, bucket, ...parts.map(diskSegment), `${diskSegment(last)}._S3rver_${resource}`);
  }

  /** Writes the sidecar with the real name of every long segment of `key`. */
  private async recordNames(bucket: string, key: string): Promise<void> {
    const parts = FilesystemStore.encodeKeyPath(key).split('/');
    let directory = this.getBucketPath(bucket);
    for (const part of parts) {
      const onDisk = diskSegment(part);
      if (onDisk !== part) {
        await mkdir(directory, { recursive: true });
        await writeFile(join(directory, onDisk + NAME_SUFFIX), part);
      }
      directory = join(directory, onDisk);
    }
  }

  override async putObject(object: StoredObject): Promise<{ size: number; md5: string }> {
    await this.recordNames(object.bucket, object.key);
    return super.putObject(object);
  }

  override async copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata?: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    await this.recordNames(destBucket, destKey);
    return super.copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata);
  }

  override async putSubresource(bucket: string, key: string | undefined, resource: { type: string }): Promise<void> {
    if (key) await this.recordNames(bucket, key);
    return super.putSubresource(bucket, key, resource);
  }

  /** As s3rver's, but empty directories and unused sidecars are found by their disk names. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    const files = ['object', 'object.md5', 'metadata.json'].map((resource) =>
      this.getResourcePath(bucket, key, resource),
    );
    await Promise.all(files.map((file) => unlink(file).catch(ignoreMissing)));
    const parts = FilesystemStore.encodeKeyPath(key).split('/').map(diskSegment);
    const bucketPath = this.getBucketPath(bucket);
    await dropNameIfUnused(join(bucketPath, ...parts.slice(0, -1)), parts.at(-1) ?? '');
    for (let depth = parts.length - 1; depth > 0; depth -= 1) {
      const directory = join(bucketPath, ...parts.slice(0, depth));
      const entries = await readdir(directory).catch(() => ['(unreadable)']);
      if (entries.length > 0) return;
      await rmdir(directory);
      await dropNameIfUnused(join(bucketPath, ...parts.slice(0, depth - 1)), parts[depth - 1] ?? '');
    }
  }

  /** The real segment behind a disk name in `directory`. */
  private async realSegment(directory: string, name: string): Promise<string> {
    if (!HASHED_NAME.test(name)) return FilesystemStore.decodeKeyPath(name);
    try {
      return FilesystemStore.decodeKeyPath(await readFile(join(directory, name + NAME_SUFFIX), 'utf8'));
    } catch (error) {
      ignoreMissing(error);
      return name;
    }
  }

  /** Every stored key under `directory` (whose keys start with `keyPrefix`) that can match `prefix`. */
  private async collectKeys(directory: string, keyPrefix: string, prefix: string, into: string[]): Promise<void> {
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.isDirectory()) {
        const below = `${keyPrefix}${await this.realSegment(directory, entry.name)}/`;
        if (below.startsWith(prefix) || prefix.startsWith(below))
          await this.collectKeys(join(directory, entry.name), below, prefix, into);
      } else if (entry.name.endsWith(OBJECT_SUFFIX)) {
        const key = keyPrefix + (await this.realSegment(directory, entry.name.slice(0, -OBJECT_SUFFIX.length)));
        if (key.startsWith(prefix)) into.push(key);
      }
    }
  }

  /** As s3rver's listing (same options and result), over real keys in S3's order. */
  async listObjects(bucket: string, options: ListOptions): Promise<ListResult> {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Number.POSITIVE_INFINITY } = options;
    const found: string[] = [];
    await this.collectKeys(this.getBucketPath(bucket), '', prefix, found);
    const sorted = found.filter((key) => compareKeys(key, startAfter) > 0).sort(compareKeys);
    const commonPrefixes = new Set<string>();
    const keys: string[] = [];
    let isTruncated = false;
    for (const key of sorted) {
      const index = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
      if (index !== -1) {
        commonPrefixes.add(key.slice(0, prefix.length + index + delimiter.length));
      } else if (keys.length < maxKeys) {
        keys.push(key);
      } else {
        isTruncated = true;
        break;
      }
    }
    // A V2 page is continued by our own token (s3-list-paging.ts): s3rver must not make its DES one.
    const last = [keys.at(-1), [...commonPrefixes].sort(compareKeys).at(-1)]
      .filter((k) => k !== undefined)
      .sort(compareKeys)
      .at(-1);
    if (isTruncated && last !== undefined && reportTruncation(last)) isTruncated = false;
    const objects = await Promise.all(
      keys.map(async (key) => {
        try {
          return new S3Object(bucket, key, null, await this.getMetadata(bucket, key));
        } catch (error) {
          ignoreMissing(error);
          return undefined;
        }
      }),
    );
    return {
      objects: objects.filter((object) => object !== undefined),
      commonPrefixes: [...commonPrefixes].sort(compareKeys),
      isTruncated,
    };
  }
}
