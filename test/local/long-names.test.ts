/**
 * 255-byte file names in the local run, as AWS takes them (S3 keys up to 1,024 bytes, Transfer
 * Family file names up to 255): through the local S3 engine (put, get, list, copy, delete), the
 * S3 event bridge into an import, and the OpenSSH `sftp` client. s3rver stores a key's last
 * segment as a file name plus a suffix, so these names exercise the hashed-name store.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createLogger } from '../../functions/adapters/logger.js';
import { localS3Client, startLocalS3, type LocalS3 } from '../../functions/local/dev/engines.js';
import { MAX_KEY_BYTES } from '../../functions/local/dev/long-name-store.js';
import { startLocalSftpServer, type LocalSftpServer } from '../../functions/local/dev/sftp-server.js';
import { MAX_FILE_NAME_BYTES } from '../../functions/local/dev/sftp-limits.js';
import { startDevStack, type DevStack } from '../../functions/local/dev/stack.js';
import { hasOpenSshClient, runSftpBatch } from '../support/openssh.js';
import { inProcessStackOptions } from '../support/dev-stack.js';
import { tempDirs } from '../support/temp-dirs.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BUCKET = 'feeds-bucket';
/** 255 bytes of ASCII. */
const ASCII_255 = `${'a'.repeat(251)}.csv`;
/** 255 bytes of UTF-8: 83 three-byte `…`, a two-byte `ä` and `.csv` (88 characters). */
const UTF8_255 = `${'…'.repeat(83)}ä.csv`;
const LONG_NAMES = [
  ['ASCII', ASCII_255],
  ['UTF-8', UTF8_255],
] as const;

const tempDir = tempDirs('wayke-dms-long-');

const text = async (s3: S3Client, key: string) =>
  (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();

/**
 * Every key and common prefix, page by page. Pages are asked for with ListObjects (v1) and a
 * marker: s3rver builds ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 no
 * longer offers, so a truncated V2 page fails there whatever the key.
 */
async function listAll(s3: S3Client, input: { Prefix?: string; Delimiter?: string; MaxKeys?: number }) {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let marker: string | undefined;
  do {
    const page = await s3.send(new ListObjectsCommand({ Bucket: BUCKET, ...input, Marker: marker }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    prefixes.push(...(page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix!));
    marker = page.IsTruncated ? (page.NextMarker ?? keys.at(-1)) : undefined;
  } while (marker);
  return { keys, prefixes };
}

describe('the local S3 engine with long key segments', () => {
  let dir: string;
  let engine: LocalS3;
  let s3: S3Client;

  beforeAll(async () => {
    dir = tempDir('s3');
    engine = await startLocalS3({ directory: dir });
    s3 = localS3Client(engine.url);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(async () => {
    s3.destroy();
    await engine.stop();
  });

  it.each(LONG_NAMES)(
    'round-trips a 255-byte %s name: put, get, list, copy to archive/, delete',
    async (_label, name) => {
      // Prepare
      const inbound = `feeds/bilhallen/inbound/${name}`;
      const archived = `feeds/bilhallen/archive/20260101T000000000Z-${name}`;
      // Act
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: inbound, Body: `body of ${name}` }));
      await s3.send(
        new CopyObjectCommand({
          Bucket: BUCKET,
          Key: archived,
          CopySource: `${BUCKET}/${encodeURIComponent(inbound)}`,
        }),
      );
      const listed = await listAll(s3, { Prefix: 'feeds/bilhallen/' });
      const copied = await text(s3, archived);
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: inbound }));
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: archived }));
      // Assess
      expect(listed.keys).toEqual([archived, inbound]);
      expect(copied).toBe(`body of ${name}`);
      expect((await listAll(s3, { Prefix: 'feeds/bilhallen/' })).keys).toEqual([]);
      await expect(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: inbound }))).rejects.toMatchObject({
        name: 'NoSuchKey',
      });
      // Nothing is left on disk once both are gone (no stray name files or folders).
      expect(readdirSync(join(dir, BUCKET))).toEqual([]);
    },
  );

  it('lists long and short keys in S3 order (UTF-8 bytes), with prefixes, delimiters and paging', async () => {
    // Prepare: a long folder segment too, and a character above U+FFFF that UTF-16 order misplaces
    const longFolder = 'm'.repeat(300);
    const keys = [
      `list/${ASCII_255}`,
      `list/${UTF8_255}`,
      'list/b.csv',
      'list/\u{1F697}.csv',
      'list/\uFF5E.csv',
      `list/${longFolder}/inner.csv`,
      `list/${longFolder}/${UTF8_255}`,
    ];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    // Act
    const all = await listAll(s3, { Prefix: 'list/', MaxKeys: 2 });
    const top = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/' }));
    const inFolder = await listAll(s3, { Prefix: `list/${longFolder}/` });
    // Assess
    expect(all.keys).toEqual(byBytes);
    expect(top.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual([`list/${longFolder}/`]);
    expect(top.Contents?.map((object) => object.Key)).toEqual(
      byBytes.filter((key) => !key.startsWith(`list/${longFolder}/`)),
    );
    expect(inFolder.keys).toEqual([`list/${longFolder}/inner.csv`, `list/${longFolder}/${UTF8_255}`]);
    expect(await text(s3, `list/${longFolder}/${UTF8_255}`)).toBe(`list/${longFolder}/${UTF8_255}`);
  });

  it('takes a 1,024-byte key and refuses a longer one with KeyTooLongError, then serves on', async () => {
    // Prepare
    const longest = `k/${'x'.repeat(MAX_KEY_BYTES - 2)}`;
    // Act
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: longest, Body: 'longest' }));
    const refused = s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${longest}y`, Body: 'x' }));
    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'KeyTooLongError' });
    expect(await text(s3, longest)).toBe('longest');
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: longest }));
  });
});

describe('data written by plain s3rver before the long-name store', () => {
  it('is still read, listed and deleted', async () => {
    // Prepare: plain s3rver, as the local run stored objects before
    const dir = tempDir('old');
    const S3rver = createRequire(import.meta.url)('s3rver') as new (
      options: Record<string, unknown>,
    ) => {
      run(): Promise<AddressInfo>;
      close(): Promise<void>;
    };
    const old = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, vhostBuckets: false });
    const oldClient = localS3Client(`http://127.0.0.1:${(await old.run()).port}`);
    const oldKey = `feeds/bilhallen/archive/${'å'.repeat(100)}.csv`;
    await oldClient.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await oldClient.send(new PutObjectCommand({ Bucket: BUCKET, Key: oldKey, Body: 'kept' }));
    oldClient.destroy();
    await old.close();
    // Act
    const engine = await startLocalS3({ directory: dir });
    const s3 = localS3Client(engine.url);
    try {
      const listed = await listAll(s3, { Prefix: 'feeds/' });
      const body = await text(s3, oldKey);
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: oldKey }));
      // Assess
      expect(listed.keys).toEqual([oldKey]);
      expect(body).toBe('kept');
      expect((await listAll(s3, { Prefix: 'feeds/' })).keys).toEqual([]);
    } finally {
      s3.destroy();
      await engine.stop();
    }
  });
});

describe('the local run imports a feed with a 255-byte name', { timeout: 120_000 }, () => {
  let stack: DevStack;
  let s3: S3Client;

  beforeAll(async () => {
    stack = await startDevStack(
      inProcessStackOptions({
        configPath: 'config/dealers.example.json',
        dataDir: tempDir('stack'),
        cwd: ROOT,
        log: createLogger({ serviceName: 'long-names-test', toStderr: true, level: 'ERROR' }),
      }),
    );
    s3 = localS3Client(stack.urls.s3);
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await stack?.stop();
  });

  it.each(LONG_NAMES)(
    'a 255-byte %s upload to inbound/ is imported through the S3 event and archived under its name',
    async (_label, name) => {
      // Prepare
      const since = new Date();
      const feed = readFileSync(join(ROOT, 'examples/feeds/bilhallen.csv'));
      // Act
      await s3.send(
        new PutObjectCommand({ Bucket: stack.resources.bucket, Key: `feeds/bilhallen/inbound/${name}`, Body: feed }),
      );
      const reports = await stack.waitForReports(since, 60_000);
      // Assess
      const report = reports.get('bilhallen');
      expect(report?.source).toBe(`feeds/bilhallen/inbound/${name}`);
      expect(report?.feed.error ?? null).toBeNull();
      expect(report?.movedTo).toMatch(/^feeds\/bilhallen\/archive\/.+/);
      expect(report?.movedTo?.endsWith(`-${name}`)).toBe(true);
      const archived = await s3.send(new GetObjectCommand({ Bucket: stack.resources.bucket, Key: report!.movedTo! }));
      expect(Buffer.from(await archived.Body!.transformToByteArray())).toEqual(feed);
      const inbound = await s3.send(
        new ListObjectsV2Command({ Bucket: stack.resources.bucket, Prefix: 'feeds/bilhallen/inbound/' }),
      );
      expect(inbound.Contents ?? []).toEqual([]);
    },
  );
});

describe.skipIf(!hasOpenSshClient())('OpenSSH sftp with 255-byte names', () => {
  const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
  let dir: string;
  let engine: LocalS3;
  let sftpServer: LocalSftpServer;

  beforeAll(async () => {
    dir = tempDir('sftp');
    engine = await startLocalS3({ directory: join(dir, 's3') });
    const s3 = localS3Client(engine.url);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3.destroy();
    sftpServer = await startLocalSftpServer({
      s3: localS3Client(engine.url),
      bucket: BUCKET,
      hostKeyPath: join(dir, 'ssh_host_ed25519_key'),
      users: () => [{ dealerId: 'motorcentrum', publicKeys: [clientKey.public] }],
    });
    writeFileSync(join(dir, 'id_ed25519'), clientKey.private, { mode: 0o600 });
  });

  afterAll(async () => {
    await sftpServer.stop();
    await engine.stop();
  });

  /** Runs an `sftp -b` batch as the dealer, in a UTF-8 locale so `ls` prints the names as they are. */
  const sftpBatch = (lines: string[]) =>
    runSftpBatch({
      port: sftpServer.port,
      keyFile: join(dir, 'id_ed25519'),
      user: 'motorcentrum',
      knownHosts: join(dir, 'known'),
      batchFile: join(dir, 'batch'),
      lines,
      utf8: true,
    });

  it.each(LONG_NAMES)(
    'a 255-byte %s name: put, ls shows the real name, get returns the bytes, rm removes it',
    async (_label, name) => {
      // Prepare
      const local = join(dir, 'upload.csv');
      const fetched = join(dir, 'fetched');
      rmSync(fetched, { recursive: true, force: true });
      writeFileSync(local, `Regnr;Pris\nABC123;${Buffer.byteLength(name)}\n`);
      // Act
      const put = await sftpBatch(['cd inbound', `put ${local} "${name}"`, 'ls -1']);
      await sftpBatch([`lcd ${dir}`, `-lmkdir fetched`, `lcd fetched`, `get "inbound/${name}"`]);
      const removed = await sftpBatch(['cd inbound', `rm "${name}"`, 'ls -1']);
      // Assess
      expect(put.stdout.split('\n')).toContain(name);
      expect(readFileSync(join(fetched, name), 'utf8')).toBe(readFileSync(local, 'utf8'));
      expect(removed.stdout.split('\n')).not.toContain(name);
    },
  );

  it('refuses a 256-byte name with an SFTP failure and keeps serving', async () => {
    // Prepare
    const local = join(dir, 'small.csv');
    writeFileSync(local, 'Regnr;Pris\nABC123;1\n');
    const tooLong = `${'b'.repeat(MAX_FILE_NAME_BYTES - 3)}.csv`;
    // Act
    const result = await sftpBatch(['cd inbound', `-put ${local} ${tooLong}`, `put ${local} after.csv`, 'ls -1']);
    // Assess
    expect(Buffer.byteLength(tooLong)).toBe(256);
    // (OpenSSH shortens the path in its message)
    expect(result.stderr).toMatch(/dest open "\/inbound\/b+[^\n]*: Failure/);
    expect(result.stdout.split('\n')).toContain('after.csv');
    expect(result.stdout.split('\n')).not.toContain(tooLong);
  });
});
