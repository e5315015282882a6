import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { folderPrefix, keyTimestamp } from '../core/feed-bucket.js';
import { OUTBOX_TAG, taggingHeader } from '../core/storage-tags.js';
import { RetryableError } from '../core/errors.js';
import type { DmsEnvelope } from '../core/events/envelope.js';
import type { ResolvedDealer } from '../core/dealer-config.js';
import type { DmsSink } from '../ports.js';

export interface S3OutboxDmsSinkOptions {
  readonly client: S3Client;
  /** The feed bucket (`feeds/<dealerId>/outbox/` is visible to the dealer over SFTP). */
  readonly bucket: string;
}

export { keyTimestamp };

/**
 * Where an event's file goes: `feeds/<dealerId>/outbox/<occurredAt>-<type>-<id>.json`. Named after
 * when it happened so a DMS polling the folder reads files in order by name, and after the event
 * id so a repeated delivery overwrites the same file instead of adding a second one.
 */
export function outboxKey(envelope: DmsEnvelope): string {
  return `${folderPrefix(envelope.dealer, 'outbox')}${keyTimestamp(new Date(envelope.occurredAt))}-${envelope.type}-${envelope.id}.json`;
}

/** The outbox {@link DmsSink}: one JSON file per event in the dealer's S3 prefix, for DMSs that poll files. */
export class S3OutboxDmsSink implements DmsSink {
  constructor(private readonly options: S3OutboxDmsSinkOptions) {}

  async deliver({ dealer, envelope }: { dealer: ResolvedDealer; envelope: DmsEnvelope }): Promise<void> {
    const key = outboxKey(envelope);
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: `${JSON.stringify(envelope, null, 2)}\n`,
          ContentType: 'application/json',
          // Expires after outboxRetentionDays: orders and leads carry personal data.
          Tagging: taggingHeader(OUTBOX_TAG),
        }),
      );
    } catch (error) {
      throw new RetryableError(
        `outbox write failed: ${(error as Error).name}`,
        { dealerId: dealer.id, eventId: envelope.id, operation: 'PutObject', file: key },
        { cause: error },
      );
    }
  }
}
