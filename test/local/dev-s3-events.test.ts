/**
 * The local S3 stand-in's Object Created events carry the key exactly as it was stored, for any
 * file name a dealer's SFTP client sends (a `+`, a `%`, spaces): the bridge to the scheduler must
 * not decode it a second time, or `lager+ny.csv` is looked for as `lager ny.csv` and the import fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { localS3Client, startLocalS3, type LocalS3, type S3ObjectEvent } from '../../functions/local/dev/engines.js';

const NAMES = ['lager+ny.csv', 'lager100%.csv', 'lager 100%+ny.csv', 'lager%2Bny.csv', 'bilar åäö.csv'];

describe('local S3 Object Created events', () => {
  let dir: string;
  let s3rver: LocalS3;
  let s3: S3Client;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wayke-dms-s3-events-'));
    s3rver = await startLocalS3({ directory: dir });
    s3 = localS3Client(s3rver.url);
    await s3.send(new CreateBucketCommand({ Bucket: 'feeds-bucket' }));
  });

  afterAll(async () => {
    s3.destroy();
    await s3rver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(NAMES)('name the stored key of %j, which GetObject then finds', async (name) => {
    // Prepare
    const key = `feeds/bilhallen/inbound/${name}`;
    const seen = new Promise<S3ObjectEvent>((resolve) => {
      const listener = (event: S3ObjectEvent) => {
        if (event.key.startsWith('feeds/bilhallen/inbound/') && event.bucket === 'feeds-bucket') {
          s3rver.events.off('object', listener);
          resolve(event);
        }
      };
      s3rver.events.on('object', listener);
    });
    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'feeds-bucket', Key: key, Body: 'registrationNumber;price\n' }));
    const event = await seen;
    // Assess
    expect(event.key).toBe(key);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'feeds-bucket', Key: event.key }))).resolves.toBeDefined();
  });
});
