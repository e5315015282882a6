import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RetryableError } from '../core/errors.js';
import { DmsEnvelopeSchema, type DmsEnvelope } from '../core/events/envelope.js';
import type { ArchivedEvent, DeliveredEventArchive } from '../ports.js';

/** Days a delivered event is kept for replay; the archive bucket's lifecycle rule expires it then. */
export const EVENT_ARCHIVE_DAYS = 30;

/** Key prefix of one dealer's archived events (under `events/`, the writer's only grant); keys sort by delivery time. */
export const archivePrefix = (dealerId: string): string => `events/${dealerId}/`;

/**
 * The {@link DeliveredEventArchive} in S3: one object per delivered envelope,
 * `events/<dealer>/<deliveredAt ISO>_<id>.json`, holding `{ deliveredAt, subject, envelope }`.
 * Listing a window reads keys from `since` on (S3 lists in key order) and stops past `until`.
 */
export class S3EventArchive implements DeliveredEventArchive {
  constructor(private readonly options: { readonly client: S3Client; readonly bucket: string }) {}

  async put(entry: {
    readonly dealerId: string;
    readonly deliveredAt: Date;
    readonly subject: string;
    readonly envelope: DmsEnvelope;
  }): Promise<void> {
    const deliveredAt = entry.deliveredAt.toISOString();
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: `${archivePrefix(entry.dealerId)}${deliveredAt}_${entry.envelope.id}.json`,
          Body: JSON.stringify({ deliveredAt, subject: entry.subject, envelope: entry.envelope }),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw new RetryableError(
        `archive write failed: ${(error as Error).name}`,
        { operation: 'PutObject', eventId: entry.envelope.id },
        { cause: error },
      );
    }
  }

  async list(query: {
    readonly dealerId: string;
    readonly since: Date;
    readonly until: Date;
  }): Promise<ArchivedEvent[]> {
    const prefix = archivePrefix(query.dealerId);
    const until = `${prefix}${query.until.toISOString()}`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: prefix,
          StartAfter: `${prefix}${query.since.toISOString()}`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key && object.Key < until) keys.push(object.Key);
      const last = page.Contents?.at(-1)?.Key;
      token = page.IsTruncated && last !== undefined && last < until ? page.NextContinuationToken : undefined;
    } while (token);
    const events: ArchivedEvent[] = [];
    for (const key of keys.sort()) events.push(await this.read(key));
    return events;
  }

  private async read(key: string): Promise<ArchivedEvent> {
    const object = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
    const raw = JSON.parse(await object.Body!.transformToString('utf8')) as {
      deliveredAt: string;
      subject: string;
      envelope: unknown;
    };
    // Checked, but handed on as stored: the same keys in the same order as first delivered.
    DmsEnvelopeSchema.parse(raw.envelope);
    return { deliveredAt: raw.deliveredAt, subject: raw.subject, envelope: raw.envelope as DmsEnvelope };
  }
}
