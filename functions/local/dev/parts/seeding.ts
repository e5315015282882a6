/**
 * The seeding part of the local run: before uploads are forwarded, each dealer without a file in
 * `inbound/` gets one, so the start-up schedule imports it — its last archived feed again after a
 * snapshot reset, else its example feed (`examples/feeds/<dealerId>.*`) on a first start.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { CopyObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  baseName,
  copySource,
  dealerPrefix,
  folderPrefix,
  inboundPrefix,
  keyTimestamp,
} from '../../../core/feed-bucket.js';
import { REPO_ROOT } from '../../runtime-paths.js';

/** Where `npm start` takes the sample feeds from: `<dealerId>.<ext>`. */
export const EXAMPLE_FEEDS_DIR = join(REPO_ROOT, 'examples', 'feeds');

export function exampleFeedFor(dealerId: string): string | null {
  if (!existsSync(EXAMPLE_FEEDS_DIR)) return null;
  const file = readdirSync(EXAMPLE_FEEDS_DIR).find((name) => basename(name, extname(name)) === dealerId);
  return file ? join(EXAMPLE_FEEDS_DIR, file) : null;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of out.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** The file name an archived feed had when it was uploaded (`archive/<timestamp>-<name>`). */
function uploadedName(archivedKey: string): string {
  return baseName(archivedKey).slice(`${keyTimestamp(new Date(0))}-`.length);
}

export interface SeedInput {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly dealerIds: readonly string[];
  readonly examples: ReadonlyMap<string, string | null>;
  /** The snapshot was reset: import each dealer's last archived feed again. */
  readonly snapshotReset: boolean;
}

async function seedDealer(input: SeedInput, dealerId: string): Promise<boolean> {
  const { s3, bucket } = input;
  const existing = await listKeys(s3, bucket, dealerPrefix(dealerId));
  if (existing.some((key) => key.startsWith(inboundPrefix(dealerId)) && !key.endsWith('/'))) return false;
  const latest = existing
    .filter((key) => key.startsWith(folderPrefix(dealerId, 'archive')))
    .sort()
    .at(-1);
  if (latest && input.snapshotReset) {
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: `${inboundPrefix(dealerId)}${uploadedName(latest)}`,
        CopySource: copySource(bucket, latest),
      }),
    );
    return true;
  }
  const example = input.examples.get(dealerId);
  if (!example || existing.length > 0) return false;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${inboundPrefix(dealerId)}${basename(example)}`,
      Body: readFileSync(example),
    }),
  );
  return true;
}

/** Seeds every dealer that needs it; returns the dealers seeded. */
export async function seedFeeds(input: SeedInput): Promise<string[]> {
  const seeded: string[] = [];
  for (const dealerId of input.dealerIds) if (await seedDealer(input, dealerId)) seeded.push(dealerId);
  return seeded;
}
