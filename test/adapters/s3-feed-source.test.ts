import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { FeedTooLargeError, S3FeedSource, S3ReportSink } from '../../functions/adapters/s3-feed-source.js';
import { keyTimestamp } from '../../functions/core/feed-bucket.js';
import { startS3, type S3 } from '../support/engines.js';
import { REPORT_TAG, taggingHeader } from '../../functions/core/storage-tags.js';

let s3: S3;
const commands: string[] = [];
beforeAll(async () => {
  s3 = await startS3();
  s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
});
afterAll(async () => {
  await s3?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function put(bucket: string, key: string, body: string, waitAfter = false) {
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  if (waitAfter) await sleep(1100); // S3 LastModified has second precision: keep upload order visible
}
async function keys(bucket: string, prefix: string) {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key).sort();
}

describe('S3FeedSource (s3rver)', () => {
  it('picks the newest complete file, archives it tagged, and archives the files it superseded', async () => {
    const bucket = await s3.bucket();
    const source = new S3FeedSource({ client: s3.client, bucket });
    expect(await source.next('bilhallen')).toBeNull();
    await put(bucket, 'feeds/bilhallen/inbound/old.csv', 'old', true);
    await put(bucket, 'feeds/bilhallen/inbound/new.csv', 'regnr;pris\nABC123;1');
    await put(bucket, 'feeds/bilhallen/inbound/newer.csv.filepart', 'half');
    await put(bucket, 'feeds/bilhallen/inbound/sub/x.csv', 'nested');
    await put(bucket, 'feeds/other/inbound/z.csv', 'other dealer');

    const feed = await source.next('bilhallen');
    expect(feed).toMatchObject({ name: 'feeds/bilhallen/inbound/new.csv', size: 19 });
    expect(Buffer.from(await feed!.load(1000)).toString()).toBe('regnr;pris\nABC123;1');

    const at = new Date('2026-11-29T01:02:03.456Z');
    const moved = await source.settle('bilhallen', feed!, 'archived', at);
    expect(moved).toBe('feeds/bilhallen/archive/20261129T010203456Z-new.csv');
    expect(await keys(bucket, 'feeds/bilhallen/')).toEqual([
      'feeds/bilhallen/archive/20261129T010203456Z-new.csv',
      'feeds/bilhallen/archive/20261129T010203456Z-superseded-old.csv',
      'feeds/bilhallen/inbound/newer.csv.filepart',
      'feeds/bilhallen/inbound/sub/x.csv',
    ]);
    const tags = await s3.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: moved! }));
    expect(tags.TagSet).toEqual([{ Key: 'wayke-dms:archived', Value: 'true' }]);
    expect(await source.next('bilhallen')).toBeNull();
    expect(await keys(bucket, 'feeds/other/')).toEqual(['feeds/other/inbound/z.csv']);

    const again = await source.archived('bilhallen', moved!);
    expect(Buffer.from(await again!.load(1000)).toString()).toBe('regnr;pris\nABC123;1');
    expect(await source.archived('bilhallen', 'feeds/bilhallen/archive/gone.csv')).toBeNull();
  });

  it('leaves a file uploaded again under the same name during the run waiting, and archives nothing of it', async () => {
    const bucket = await s3.bucket();
    const source = new S3FeedSource({ client: s3.client, bucket });
    await put(bucket, 'feeds/bilhallen/inbound/old.csv', 'old', true);
    await put(bucket, 'feeds/bilhallen/inbound/lager.csv', 'regnr;pris\nABC123;2');
    const feed = await source.next('bilhallen');
    expect(Buffer.from(await feed!.load(1000)).toString()).toBe('regnr;pris\nABC123;2');
    // While the run imports v2, the old file is uploaded again, then v3 of lager.csv (the newest).
    await put(bucket, 'feeds/bilhallen/inbound/old.csv', 'old, again', true);
    await put(bucket, 'feeds/bilhallen/inbound/lager.csv', 'regnr;pris\nABC123;3');

    const moved = await source.settle('bilhallen', feed!, 'archived', new Date('2026-11-29T01:02:03.456Z'));

    expect(moved).toBeNull();
    expect(await keys(bucket, 'feeds/bilhallen/')).toEqual([
      'feeds/bilhallen/inbound/lager.csv',
      'feeds/bilhallen/inbound/old.csv',
    ]);
    const next = await source.next('bilhallen');
    expect(next?.name).toBe('feeds/bilhallen/inbound/lager.csv');
    expect(Buffer.from(await next!.load(1000)).toString()).toBe('regnr;pris\nABC123;3');
  });

  it('checks the size on HEAD and never downloads a file over the limit', async () => {
    const bucket = await s3.bucket();
    const source = new S3FeedSource({ client: s3.client, bucket });
    await put(bucket, 'feeds/d/inbound/huge.csv', 'x'.repeat(5000));
    const feed = await source.next('d');
    expect(feed?.size).toBe(5000);
    commands.length = 0;
    await expect(feed!.load(4096)).rejects.toBeInstanceOf(FeedTooLargeError);
    expect(commands).not.toContain('GetObjectCommand');
    const moved = await source.settle('d', feed!, 'rejected', new Date('2026-11-29T01:00:00.000Z'));
    expect(moved).toBe('feeds/d/rejected/20261129T010000000Z-huge.csv');
    expect(await keys(bucket, 'feeds/d/')).toEqual(['feeds/d/rejected/20261129T010000000Z-huge.csv']);
  });

  it('writes the reports into the dealer folder', async () => {
    const bucket = await s3.bucket();
    const sink = new S3ReportSink({ client: s3.client, bucket });
    await sink.write('d', {
      at: new Date('2026-11-29T01:00:00.000Z'),
      json: { dealer: 'd', created: 1 },
      text: 'Nya 1\n\nCreated 1\n',
    });
    expect(await keys(bucket, 'feeds/d/reports/')).toEqual([
      'feeds/d/reports/20261129T010000000Z.json',
      'feeds/d/reports/latest.json',
      'feeds/d/reports/latest.txt',
    ]);
    const latest = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'feeds/d/reports/latest.txt' }));
    expect(await latest.Body!.transformToString()).toBe('Nya 1\n\nCreated 1\n');
  });

  it('tags the timestamped report to expire and leaves latest.* untagged (kept)', async () => {
    const bucket = await s3.bucket();
    // s3rver ignores x-amz-tagging on PutObject (S3 applies it): assert the header on the wire.
    const sent = new Map<string, string | undefined>();
    s3.client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: string; headers?: Record<string, string> };
        sent.set(
          decodeURIComponent(request.path ?? '')
            .split('/')
            .slice(2)
            .join('/'),
          request.headers?.['x-amz-tagging'],
        );
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureTagging' },
    );
    try {
      await new S3ReportSink({ client: s3.client, bucket }).write('d', {
        at: new Date('2026-11-29T02:00:00.000Z'),
        json: {},
        text: 'x\n',
      });
    } finally {
      s3.client.middlewareStack.remove('captureTagging');
    }
    expect(sent.get('feeds/d/reports/20261129T020000000Z.json')).toBe(taggingHeader(REPORT_TAG));
    expect(sent.get('feeds/d/reports/latest.json')).toBeUndefined();
    expect(sent.get('feeds/d/reports/latest.txt')).toBeUndefined();
    expect(sent.size).toBe(3);
  });

  it('knows key timestamps', () => {
    expect(keyTimestamp(new Date('2026-01-02T03:04:05.006Z'))).toBe('20260102T030405006Z');
  });
});
