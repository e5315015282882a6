import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3OutboxDmsSink, keyTimestamp, outboxKey } from '../../functions/adapters/s3-outbox-dms-sink.js';
import { DealerSchema } from '../../functions/core/dealer-config.js';
import { RetryableError } from '../../functions/core/errors.js';
import { OUTBOX_TAG, taggingHeader } from '../../functions/core/storage-tags.js';
import { buildDmsEnvelope } from '../../functions/core/events/envelope.js';
import { localS3Client, startLocalS3 } from '../support/webhooks.js';

let server: { url: string; stop(): Promise<void> };
let s3: S3Client;
const dealer = DealerSchema.parse({
  id: 'motorcentrum',
  name: 'M',
  branchId: '7c1e9b2a-3d4f-4e5a-8b6c-0d1e2f3a4b5c',
  dms: { type: 'outbox' },
});
const envelope = (id: string, occurredAt: string) =>
  buildDmsEnvelope({
    id: id.repeat(64),
    type: 'vehicle.updated',
    dealer: 'motorcentrum',
    occurredAt,
    wayke: { id: 'x' },
  });

beforeAll(async () => {
  server = await startLocalS3({ directory: mkdtempSync(join(tmpdir(), 'outbox-s3-')) });
  s3 = localS3Client(server.url);
  await s3.send(new CreateBucketCommand({ Bucket: 'feeds' }));
});
afterAll(async () => {
  s3.destroy();
  await server.stop();
});

/** The `x-amz-tagging` header of every PutObject `act` sends, by key. */
async function tagHeaderOf(act: () => Promise<unknown>): Promise<Map<string, string | undefined>> {
  const sent = new Map<string, string | undefined>();
  const name = 'captureTagging';
  s3.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { path?: string; headers?: Record<string, string> };
      sent.set(decodeURIComponent(request.path ?? '').replace(/^\/feeds\//, ''), request.headers?.['x-amz-tagging']);
      return next(args);
    },
    { step: 'finalizeRequest', name },
  );
  try {
    await act();
  } finally {
    s3.middlewareStack.remove(name);
  }
  return sent;
}

describe('S3OutboxDmsSink (s3rver)', () => {
  it('one JSON file per event under feeds/<dealer>/outbox/, ordered by name, a repeat overwriting its own file', async () => {
    const sink = new S3OutboxDmsSink({ client: s3, bucket: 'feeds' });
    const later = envelope('b', '2026-10-03T14:02:39.142Z');
    const earlier = envelope('a', '2026-10-02T08:11:25.975Z');
    await sink.deliver({ dealer, envelope: later });
    await sink.deliver({ dealer, envelope: earlier });
    await sink.deliver({ dealer, envelope: later });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'feeds', Prefix: 'feeds/motorcentrum/outbox/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([outboxKey(earlier), outboxKey(later)]);
    expect(outboxKey(later)).toBe(
      `feeds/motorcentrum/outbox/20261003T140239142Z-vehicle.updated-${'b'.repeat(64)}.json`,
    );
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: 'feeds', Key: outboxKey(later) }))
    ).Body!.transformToString();
    expect(JSON.parse(body)).toEqual(later);
  });

  it('tags each file for the outbox lifecycle rule (orders and leads carry personal data)', async () => {
    const sink = new S3OutboxDmsSink({ client: s3, bucket: 'feeds' });
    const event = envelope('c', '2026-10-04T09:00:00.000Z');
    // s3rver stores objects but ignores x-amz-tagging on PutObject (S3 applies it): assert the
    // header that goes over the wire.
    const sent = await tagHeaderOf(() => sink.deliver({ dealer, envelope: event }));
    expect(sent.get(outboxKey(event))).toBe(taggingHeader(OUTBOX_TAG));
  });

  it('a failed write is retryable', async () => {
    const sink = new S3OutboxDmsSink({ client: s3, bucket: 'no-such-bucket' });
    await expect(sink.deliver({ dealer, envelope: envelope('c', '2026-10-02T08:11:25.975Z') })).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(keyTimestamp(new Date('2026-01-02T03:04:05.006Z'))).toBe('20260102T030405006Z');
  });
});
