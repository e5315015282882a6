import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  NoSuchKey,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  copySource,
  inboundPrefix,
  isInboundFeedKey,
  keyTimestamp,
  reportKey,
  settledKey,
} from '../core/feed-bucket.js';
import { FeedTooLargeError } from '../core/import/errors.js';
import type { FeedSource, Log, PendingFeed, ReportSink } from '../ports.js';
import { ARCHIVED_TAG, REPORT_TAG, taggingHeader } from '../core/storage-tags.js';

/**
 * Feeds from the feed bucket: dealers upload by SFTP into `feeds/<dealerId>/inbound/`; the newest
 * complete file is the truth. After a run the file moves to `archive/<timestamp>-<name>` (or
 * `rejected/…`), tagged `wayke-dms:archived=true` so the lifecycle rule expires it; older files it
 * superseded go to `archive/` too, so they never get imported after a newer one.
 */

export { ARCHIVED_TAG } from '../core/storage-tags.js';

export { FeedTooLargeError };

interface S3PendingFeed extends PendingFeed {
  readonly key: string;
  /** Older complete files in `inbound/` when this one was chosen, with the ETag listed. */
  readonly superseded: readonly string[];
  readonly supersededEtags: ReadonlyMap<string, string | undefined>;
  /** The ETag of the bytes the run read (of the HEAD until it read them). */
  etag(): string | undefined;
}

/** A file whose key now holds another upload than the one the run read: it is not settled. */
class ReplacedDuringRun extends Error {}

export interface S3FeedSourceOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly log?: Log;
}

export class S3FeedSource implements FeedSource {
  constructor(private readonly options: S3FeedSourceOptions) {}

  async next(dealerId: string): Promise<PendingFeed | null> {
    const objects = await this.waitingObjects(dealerId);
    if (objects.length === 0) return null;
    objects.sort(
      (a, b) => b.lastModified.getTime() - a.lastModified.getTime() || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0),
    );
    const [newest, ...older] = objects as [(typeof objects)[number], ...typeof objects];
    const feed = await this.pending(newest.key, new Map(older.map((o) => [o.key, o.etag])));
    if (!feed) return null; // deleted between list and head: nothing to do now
    return feed;
  }

  async waiting(dealerId: string): Promise<boolean> {
    return (await this.waitingObjects(dealerId, 1)).length > 0;
  }

  /** Complete uploads in the dealer's `inbound/` (stops after `enough` of them). */
  private async waitingObjects(
    dealerId: string,
    enough = Infinity,
  ): Promise<Array<{ key: string; lastModified: Date; etag?: string }>> {
    const { client, bucket } = this.options;
    const objects: Array<{ key: string; lastModified: Date; etag?: string }> = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: inboundPrefix(dealerId),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key && isInboundFeedKey(object.Key, dealerId))
          objects.push({ key: object.Key, lastModified: object.LastModified ?? new Date(0), etag: object.ETag });
      }
      token = page.IsTruncated && objects.length < enough ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  async archived(_dealerId: string, archiveKey: string): Promise<PendingFeed | null> {
    return this.pending(archiveKey, new Map());
  }

  async settle(
    dealerId: string,
    feed: PendingFeed,
    outcome: 'archived' | 'rejected',
    at: Date,
  ): Promise<string | null> {
    const s3Feed = feed as S3PendingFeed;
    if (!s3Feed.key) return null;
    let target: string | null;
    try {
      target = await this.move(s3Feed.key, settledKey(dealerId, outcome, at, s3Feed.key), s3Feed.etag());
    } catch (error) {
      if (!(error instanceof ReplacedDuringRun)) throw error;
      // The dealer uploaded the same name again during the run: that upload stays in inbound/
      // for the follow-up run; archiving it would file a feed that was never imported.
      this.options.log?.info('The feed was replaced during the run; the new upload stays waiting', {
        dealerId,
        key: s3Feed.key,
      });
      target = null;
    }
    for (const older of s3Feed.superseded) {
      await this.move(older, settledKey(dealerId, 'superseded', at, older), s3Feed.supersededEtags.get(older)).catch(
        (error: unknown) => {
          if (!isMissing(error) && !(error instanceof ReplacedDuringRun)) throw error;
        },
      );
    }
    return target;
  }

  private async pending(
    key: string,
    superseded: ReadonlyMap<string, string | undefined>,
  ): Promise<S3PendingFeed | null> {
    const { client, bucket } = this.options;
    let head;
    try {
      head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    const size = head.ContentLength ?? 0;
    let etag = head.ETag;
    return {
      name: key,
      key,
      size,
      superseded: [...superseded.keys()],
      supersededEtags: superseded,
      etag: () => etag,
      lastModified: head.LastModified ?? new Date(0),
      load: async (maxBytes: number) => {
        if (size > maxBytes)
          throw new FeedTooLargeError(`The file is ${size} bytes; the limit is ${maxBytes} bytes`, { file: key });
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        etag = answer.ETag ?? etag;
        const chunks: Uint8Array[] = [];
        let total = 0;
        for await (const chunk of answer.Body as AsyncIterable<Uint8Array>) {
          total += chunk.byteLength;
          if (total > maxBytes) {
            (answer.Body as { destroy?: () => void }).destroy?.();
            throw new FeedTooLargeError(`The file is over the limit of ${maxBytes} bytes`, { file: key });
          }
          chunks.push(chunk);
        }
        return Buffer.concat(chunks, total);
      },
    };
  }

  /**
   * Copy, tag, delete: S3 has no rename. A crash in between leaves the file in both places; the
   * rerun converges. With the ETag the run read, each step holds to that upload: a key that holds
   * another one now (HEAD first, then `If-Match` on the copy and the delete, which S3 enforces and
   * the local engine ignores) throws {@link ReplacedDuringRun} before anything of it is moved, and
   * a replacement between copy and delete is left in place.
   */
  private async move(from: string, to: string, etag?: string): Promise<string> {
    const { client, bucket } = this.options;
    if (etag) {
      const current = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: from }));
      if (current.ETag !== etag) throw new ReplacedDuringRun(from);
    }
    const ifMatch = etag ? { IfMatch: etag } : {};
    try {
      await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: to,
          CopySource: copySource(bucket, from),
          ...(etag ? { CopySourceIfMatch: etag } : {}),
        }),
      );
    } catch (error) {
      if (isPreconditionFailed(error)) throw new ReplacedDuringRun(from);
      throw error;
    }
    await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: to, Tagging: { TagSet: [ARCHIVED_TAG] } }));
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: from, ...ifMatch }));
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
    this.options.log?.debug('Feed moved', { from, to });
    return to;
  }
}

function isPreconditionFailed(error: unknown): boolean {
  return (
    (error as { name?: string }).name === 'PreconditionFailed' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412
  );
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof NotFound ||
    error instanceof NoSuchKey ||
    (error as { name?: string }).name === 'NotFound' ||
    (error as { name?: string }).name === 'NoSuchKey' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
  );
}

/**
 * Run reports in the dealer's own folder: `reports/<timestamp>.json` (tagged to expire after
 * `reportRetentionDays`), and `latest.json`, `latest.txt`, which are kept.
 */
export class S3ReportSink implements ReportSink {
  constructor(private readonly options: { client: S3Client; bucket: string }) {}

  async write(dealerId: string, report: { at: Date; json: unknown; text: string }): Promise<void> {
    const { client, bucket } = this.options;
    const json = `${JSON.stringify(report.json, null, 2)}\n`;
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: reportKey(dealerId, `${keyTimestamp(report.at)}.json`),
        Body: json,
        ContentType: 'application/json',
        Tagging: taggingHeader(REPORT_TAG),
      }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: reportKey(dealerId, 'latest.json'),
        Body: json,
        ContentType: 'application/json',
      }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: reportKey(dealerId, 'latest.txt'),
        Body: report.text,
        ContentType: 'text/plain; charset=utf-8',
      }),
    );
  }
}
