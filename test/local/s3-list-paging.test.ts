import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { localS3Client, startLocalS3, type LocalS3 } from '../../functions/local/dev/engines.js';
import { continuationToken } from '../../functions/local/dev/s3-list-paging.js';

const BUCKET = 'paging';
let s3: LocalS3;
let client: S3Client;
// 23 archived feeds and 4 in a subfolder: enough for several pages of 5.
const KEYS = [
  ...Array.from({ length: 23 }, (_, i) => `feeds/bilhallen/archive/${String(i).padStart(3, '0')}-lager.csv`),
  ...Array.from({ length: 4 }, (_, i) => `feeds/bilhallen/reports/${i}.json`),
];

beforeAll(async () => {
  s3 = await startLocalS3({ directory: mkdtempSync(join(tmpdir(), 's3-paging-')) });
  client = localS3Client(s3.url);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const key of KEYS) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

async function allPages(input: { Prefix?: string; Delimiter?: string }, pageSize: number) {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2({ client, pageSize }, { Bucket: BUCKET, ...input })) {
    pages += 1;
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    prefixes.push(...(page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix!));
  }
  return { keys, prefixes, pages };
}

describe('the local S3 engine pages ListObjectsV2 (s3rver’s own DES tokens fail on OpenSSL 3)', () => {
  it('a truncated listing is answered, and the SDK paginator gets every key once, in order', async () => {
    const { keys, pages } = await allPages({ Prefix: 'feeds/bilhallen/' }, 5);
    expect(keys).toEqual([...KEYS].sort());
    expect(pages).toBe(6);
  });

  it('a first page says it is truncated and carries a token; the last page says it is not', async () => {
    const first = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 20 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.KeyCount).toBe(20);
    const last = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 20, ContinuationToken: first.NextContinuationToken }),
    );
    expect(last.IsTruncated).toBe(false);
    expect(last.NextContinuationToken).toBeUndefined();
    expect(last.ContinuationToken).toBe(first.NextContinuationToken);
    expect(last.Contents).toHaveLength(KEYS.length - 20);
  });

  it('answers a delimiter listing with its folders as common prefixes, paging on', async () => {
    const { keys, prefixes } = await allPages({ Prefix: 'feeds/bilhallen/', Delimiter: '/' }, 1);
    expect(keys).toEqual([]);
    expect(prefixes).toEqual(['feeds/bilhallen/archive/', 'feeds/bilhallen/reports/']);
  });

  it('refuses a token it did not issue, or one issued for another bucket, as S3 does', async () => {
    for (const token of ['bm90LW91cnM', continuationToken('another-bucket', 'feeds/x')]) {
      const refused = client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
      await expect(refused).rejects.toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    }
  });
});
