import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ensureLocalResources,
  localS3Client,
  startLocalDynamo,
  startLocalS3,
  startLocalSqs,
  type LocalS3,
  type RunningServer,
  type S3ObjectEvent,
} from '../../functions/local/dev/engines.js';
import { hasOpenSshClient, runSftpBatch } from '../support/openssh.js';
import { SFTP_BANNER, startLocalSftpServer, type LocalSftpServer } from '../../functions/local/dev/sftp-server.js';
import {
  LOGIN_FAILURES_BEFORE_PAUSE,
  LOGIN_PAUSE_MS,
  MAX_FILE_NAME_BYTES,
  MAX_OPEN_HANDLES,
  MAX_UPLOAD_BYTES,
  UploadBuffer,
} from '../../functions/local/dev/sftp-limits.js';
import { ConfigError } from '../../functions/core/errors.js';

const { Client, utils } = ssh2;
const clientKey = utils.generateKeyPairSync('ed25519');
const otherKey = utils.generateKeyPairSync('ed25519');

let dir: string;
let s3: LocalS3;
let dynamo: RunningServer;
let sqs: RunningServer;
let sftpServer: LocalSftpServer;
let bucket: string;
const events: S3ObjectEvent[] = [];
const uploads: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dev-sftp-'));
  [s3, dynamo, sqs] = await Promise.all([
    startLocalS3({ directory: join(dir, 's3') }),
    startLocalDynamo(),
    startLocalSqs(),
  ]);
  s3.events.on('object', (event: S3ObjectEvent) => events.push(event));
  ({ bucket } = await ensureLocalResources({ s3: s3.url, dynamodb: dynamo.url, sqs: sqs.url }));
  sftpServer = await startLocalSftpServer({
    s3: localS3Client(s3.url),
    bucket,
    hostKeyPath: join(dir, 'ssh_host_ed25519_key'),
    users: () => [
      { dealerId: 'bilhallen', password: 'correct-horse-battery', publicKeys: [] },
      { dealerId: 'motorcentrum', publicKeys: [clientKey.public] },
    ],
    onUpload: (upload) => uploads.push(upload.key),
  });
});

afterAll(async () => {
  await sftpServer?.stop();
  await Promise.all([s3?.stop(), dynamo?.stop(), sqs?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function connect(auth: {
  username: string;
  password?: string;
  privateKey?: string;
}): Promise<{ sftp: SFTPWrapper; end: () => void }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.sftp((error, sftp) => (error ? reject(error) : resolve({ sftp, end: () => client.end() })));
      })
      .on('error', reject)
      .connect({ host: '127.0.0.1', port: sftpServer.port, ...auth, tryKeyboard: false });
  });
}

const call = <T>(fn: (cb: (error: Error | null | undefined, value: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));

describe('local SFTP server', () => {
  it('refuses a wrong password, an unknown user and a key that is not configured', async () => {
    await expect(connect({ username: 'bilhallen', password: 'wrong-password' })).rejects.toThrow(/authentication/i);
    await expect(connect({ username: 'nobody', password: 'correct-horse-battery' })).rejects.toThrow(/authentication/i);
    await expect(connect({ username: 'motorcentrum', privateKey: otherKey.private })).rejects.toThrow(
      /authentication/i,
    );
    // bilhallen has no keys configured, motorcentrum no password
    await expect(connect({ username: 'motorcentrum', password: 'correct-horse-battery' })).rejects.toThrow(
      /authentication/i,
    );
  });

  it('uploads into inbound/ with password auth, stored in the dealer prefix, raising an S3 event', async () => {
    const { sftp, end } = await connect({ username: 'bilhallen', password: 'correct-horse-battery' });
    try {
      expect(await call<string>((cb) => sftp.realpath('.', cb))).toBe('/');
      const root = await call<Array<{ filename: string; longname: string }>>((cb) => sftp.readdir('/', cb));
      expect(root.map((entry) => entry.filename)).toEqual(
        expect.arrayContaining(['inbound', 'reports', 'outbox', 'archive', 'rejected']),
      );
      const content = Buffer.from('Regnr;Pris\nABC123;100 000\n'.repeat(4000), 'latin1');
      await new Promise<void>((resolve, reject) => {
        const stream = sftp.createWriteStream('/inbound/feed.csv');
        stream.on('close', () => resolve()).on('error', reject);
        stream.end(content);
      });
      const stored = await localS3Client(s3.url).send(
        new GetObjectCommand({ Bucket: bucket, Key: 'feeds/bilhallen/inbound/feed.csv' }),
      );
      expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(content)).toBe(true);
      expect(
        events.some(
          (event) => event.key === 'feeds/bilhallen/inbound/feed.csv' && event.eventName.startsWith('ObjectCreated:'),
        ),
      ).toBe(true);
      expect(uploads).toContain('feeds/bilhallen/inbound/feed.csv');
      const stat = await call<{ size: number; isFile(): boolean }>((cb) => sftp.stat('/inbound/feed.csv', cb));
      expect(stat.size).toBe(content.length);
      expect(stat.isFile()).toBe(true);
      const inbound = await call<Array<{ filename: string }>>((cb) => sftp.readdir('inbound', cb));
      expect(inbound.map((entry) => entry.filename)).toContain('feed.csv');
    } finally {
      end();
    }
  });

  it('keeps each dealer inside its own prefix, even with ../', async () => {
    await localS3Client(s3.url).send(
      new PutObjectCommand({ Bucket: bucket, Key: 'feeds/bilhallen/reports/latest.txt', Body: 'bilhallen report' }),
    );
    const { sftp, end } = await connect({ username: 'motorcentrum', privateKey: clientKey.private });
    try {
      expect(await call<string>((cb) => sftp.realpath('../../..', cb))).toBe('/');
      await expect(call((cb) => sftp.stat('../bilhallen/reports/latest.txt', cb))).rejects.toThrow(/No such file/);
      const listing = await call<Array<{ filename: string }>>((cb) => sftp.readdir('/inbound', cb));
      expect(listing.map((entry) => entry.filename)).not.toContain('feed.csv');
    } finally {
      end();
    }
  });

  it('downloads reports, refuses writes outside inbound/, supports rename, setstat and remove', async () => {
    await localS3Client(s3.url).send(
      new PutObjectCommand({ Bucket: bucket, Key: 'feeds/bilhallen/reports/latest.json', Body: '{"created":3}' }),
    );
    const { sftp, end } = await connect({ username: 'bilhallen', password: 'correct-horse-battery' });
    try {
      const report = await new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        sftp
          .createReadStream('/reports/latest.json')
          .on('data', (chunk: Buffer) => chunks.push(chunk))
          .on('end', () => resolve(Buffer.concat(chunks).toString()))
          .on('error', reject);
      });
      expect(JSON.parse(report)).toEqual({ created: 3 });
      await expect(call((cb) => sftp.open('/reports/evil.json', 'w', cb))).rejects.toThrow(/inbound/);
      await expect(call((cb) => sftp.open('/top.csv', 'w', cb))).rejects.toThrow(/inbound/);
      await expect(call((cb) => sftp.open('/inbound/missing.csv', 'r', cb))).rejects.toThrow(/No such file/);

      // Subfolders of inbound/ would never be imported: refused in words, at mkdir and at upload.
      await expect(call((cb) => sftp.mkdir('/inbound/2026', (error) => cb(error, undefined)))).rejects.toThrow(
        /Subfolders of inbound\/ are not imported/,
      );
      await expect(call((cb) => sftp.open('/inbound/2026/lager.csv', 'w', cb))).rejects.toThrow(
        /Subfolders of inbound\/ are not imported/,
      );
      await expect(call((cb) => sftp.open(`/inbound/${'ä'.repeat(126)}.csv`, 'w', cb))).rejects.toThrow(
        /File name is 256 bytes; at most \d+ bytes are accepted here/,
      );

      // WinSCP style: upload as .filepart, set times, rename to the final name
      const handle = await call<Buffer>((cb) => sftp.open('/inbound/upload.csv.filepart', 'w', cb));
      const part = Buffer.from('Regnr;Pris\nXYZ999;5\n');
      await call((cb) => sftp.write(handle, part, 0, part.length, 0, (error) => cb(error, undefined)));
      await call((cb) => sftp.close(handle, (error) => cb(error, undefined)));
      await call((cb) =>
        sftp.setstat('/inbound/upload.csv.filepart', { mtime: 1_700_000_000, atime: 1_700_000_000 }, (error) =>
          cb(error, undefined),
        ),
      );
      await call((cb) =>
        sftp.rename('/inbound/upload.csv.filepart', '/inbound/upload.csv', (error) => cb(error, undefined)),
      );
      const keys = (
        await localS3Client(s3.url).send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: 'feeds/bilhallen/inbound/' }),
        )
      ).Contents?.map((object) => object.Key);
      expect(keys).toContain('feeds/bilhallen/inbound/upload.csv');
      expect(keys).not.toContain('feeds/bilhallen/inbound/upload.csv.filepart');

      await call((cb) => sftp.unlink('/inbound/upload.csv', (error) => cb(error, undefined)));
      await expect(call((cb) => sftp.stat('/inbound/upload.csv', cb))).rejects.toThrow(/No such file/);
      await expect(call((cb) => sftp.unlink('/reports/latest.json', (error) => cb(error, undefined)))).rejects.toThrow(
        /inbound/,
      );
    } finally {
      end();
    }
  });

  // OpenSSH's own client, when the machine has one: the commands a dealer's script runs.
  it.skipIf(!hasOpenSshClient())(
    'works with the OpenSSH sftp client in batch mode (key auth), which exits 0',
    async () => {
      const keyFile = join(dir, 'id_ed25519');
      writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
      writeFileSync(join(dir, 'feed.csv'), 'Regnr;Pris\nABC123;100 000\n');
      const { stdout: output } = await runSftpBatch({
        port: sftpServer.port,
        keyFile,
        user: 'motorcentrum',
        knownHosts: join(dir, 'known_hosts'),
        batchFile: join(dir, 'batch'),
        lines: [
          'pwd',
          'ls -l',
          'cd inbound',
          `put ${join(dir, 'feed.csv')} openssh.csv`,
          'ls',
          `get openssh.csv ${join(dir, 'back.csv')}`,
        ],
      });
      expect(output).toContain('Remote working directory: /');
      expect(output).toMatch(/drwxr-xr-x .* inbound/);
      expect(readFileSync(join(dir, 'back.csv'), 'utf8')).toBe('Regnr;Pris\nABC123;100 000\n');
      expect(uploads).toContain('feeds/motorcentrum/inbound/openssh.csv');
    },
  );

  it.skipIf(!hasOpenSshClient())(
    'shows in `ls -l` what the dealer may do: inbound/ and outbox/ writable, archive/, rejected/, reports/ and their files read-only',
    async () => {
      const keyFile = join(dir, 'id_ed25519_modes');
      writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
      const s3Client = localS3Client(s3.url);
      for (const key of ['archive/old.csv', 'inbound/waiting.csv', 'outbox/event.json'])
        await s3Client.send(new PutObjectCommand({ Bucket: bucket, Key: `feeds/motorcentrum/${key}`, Body: 'x' }));
      const { stdout: output } = await runSftpBatch({
        port: sftpServer.port,
        keyFile,
        user: 'motorcentrum',
        knownHosts: join(dir, 'known_hosts'),
        batchFile: join(dir, 'batch-modes'),
        lines: ['ls -l', 'ls -l archive', 'ls -l inbound', 'ls -l outbox', '-put /dev/null archive/x.csv'],
      });
      for (const folder of ['inbound', 'outbox']) expect(output).toMatch(new RegExp(`drwxr-xr-x .* ${folder}\\n`));
      for (const folder of ['archive', 'rejected', 'reports'])
        expect(output).toMatch(new RegExp(`dr-xr-xr-x .* ${folder}\\n`));
      expect(output).toMatch(/-r--r--r-- .* old\.csv/);
      expect(output).toMatch(/-rw-r--r-- .* waiting\.csv/);
      expect(output).toMatch(/-r--r--r-- .* event\.json/);
    },
  );

  it('keeps the same host key across restarts', async () => {
    const again = await startLocalSftpServer({
      s3: localS3Client(s3.url),
      bucket,
      hostKeyPath: join(dir, 'ssh_host_ed25519_key'),
      users: () => [],
    });
    try {
      expect(again.hostKeyFingerprint).toBe(sftpServer.hostKeyFingerprint);
    } finally {
      await again.stop();
    }
  });

  it.skipIf(!hasOpenSshClient())(
    'tells the OpenSSH client why a subfolder or an overlong name is refused, and keeps serving',
    async () => {
      // Prepare
      const keyFile = join(dir, 'id_ed25519_limits');
      writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
      writeFileSync(join(dir, 'small.csv'), 'Regnr;Pris\nABC123;100 000\n');
      const longest = 'å'.repeat(Math.floor(MAX_FILE_NAME_BYTES / 2) - 2) + '.csv';
      const tooLong = 'ä'.repeat(126) + '.csv';
      // `-` before a command: the batch goes on after it fails, as a dealer's script would check the output
      // Act
      const result = await runSftpBatch({
        port: sftpServer.port,
        keyFile,
        user: 'motorcentrum',
        knownHosts: join(dir, 'known_hosts'),
        batchFile: join(dir, 'batch-limits'),
        lines: [
          'cd inbound',
          '-mkdir sub',
          `-put ${join(dir, 'small.csv')} sub/lager.csv`,
          `-put ${join(dir, 'small.csv')} ${tooLong}`,
          `put ${join(dir, 'small.csv')} ${longest}`,
          'ls',
        ],
      });
      // Assess
      // OpenSSH prints only the status for a refused command; the rules are in the banner it shows
      expect(result.stderr).toContain(SFTP_BANNER.trim());
      expect(result.stderr).toContain('remote mkdir "/inbound/sub": Permission denied');
      expect(result.stderr).toContain('dest open "/inbound/sub/lager.csv": Permission denied');
      // (OpenSSH escapes the non-ASCII name without a UTF-8 locale)
      expect(result.stderr).toMatch(/dest open "\/inbound\/[^\n]*: Failure/);
      expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
      expect(result.stdout).toContain(longest);
      expect(uploads).toContain(`feeds/motorcentrum/inbound/${longest}`);
    },
  );

  it('refuses an S3 key longer than 1,024 bytes instead of crashing, and serves on', async () => {
    // Prepare
    const client = localS3Client(s3.url);
    // Act
    const refused = client.send(
      new PutObjectCommand({ Bucket: bucket, Key: `feeds/bilhallen/inbound/${'x'.repeat(1_100)}.csv`, Body: 'x' }),
    );
    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'KeyTooLongError' });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'feeds/bilhallen/inbound/after.csv', Body: 'x' }));
  });

  it('refuses overlapping writes, so rewriting offset 0 cannot grow the server, and caps open handles', async () => {
    const { sftp, end } = await connect({ username: 'bilhallen', password: 'correct-horse-battery' });
    try {
      // Prepare
      const handle = await call<Buffer>((cb) => sftp.open('/inbound/overlap.csv', 'w', cb));
      const part = Buffer.alloc(64 * 1024, 0x41);
      await call((cb) => sftp.write(handle, part, 0, part.length, 0, (error) => cb(error, undefined)));
      // Act
      const again = call((cb) => sftp.write(handle, part, 0, part.length, 1024, (error) => cb(error, undefined)));
      // Assess
      await expect(again).rejects.toThrow(/Overlapping write at offset 1024/);
      await expect(call((cb) => sftp.close(handle, (error) => cb(error, undefined)))).rejects.toThrow(
        /Overlapping write/,
      );
      const opened: Buffer[] = [];
      for (let i = 0; i < MAX_OPEN_HANDLES; i++) opened.push(await call<Buffer>((cb) => sftp.opendir('/inbound', cb)));
      await expect(call((cb) => sftp.opendir('/inbound', cb))).rejects.toThrow(
        new RegExp(`At most ${MAX_OPEN_HANDLES} files`),
      );
      for (const each of opened) await call((cb) => sftp.close(each, (error) => cb(error, undefined)));
      expect(await call<Buffer>((cb) => sftp.opendir('/inbound', cb))).toBeInstanceOf(Buffer);
    } finally {
      end();
    }
  });

  it('pauses logins from an address after 5 failures, the right password too, for a minute', async () => {
    // Prepare: its own server and clock, so the pause does not reach the other tests
    let now = 1_000_000;
    const guarded = await startLocalSftpServer({
      s3: localS3Client(s3.url),
      bucket,
      hostKeyPath: join(dir, 'ssh_host_ed25519_key'),
      users: () => [{ dealerId: 'bilhallen', password: 'correct-horse-battery', publicKeys: [] }],
      now: () => now,
    });
    const login = (password: string) =>
      new Promise<void>((resolve, reject) => {
        const client = new Client();
        client
          .on('ready', () => (client.end(), resolve()))
          .on('error', reject)
          .connect({ host: '127.0.0.1', port: guarded.port, username: 'bilhallen', password, tryKeyboard: false });
      });
    try {
      // Act
      for (let i = 0; i < 5; i++) await expect(login('guess-' + i)).rejects.toThrow(/authentication/i);
      const paused = login('correct-horse-battery');
      // Assess
      await expect(paused).rejects.toThrow(/authentication/i);
      now += 61_000;
      await expect(login('correct-horse-battery')).resolves.toBeUndefined();
    } finally {
      await guarded.stop();
    }
  });
});

describe('UploadBuffer', () => {
  it('keeps parts written out of order and in flight, and refuses any byte written twice', () => {
    const buffer = new UploadBuffer();
    expect(buffer.write(4, Buffer.from('EFGH'))).toBeNull();
    expect(buffer.write(0, Buffer.from('ABCD'))).toBeNull();
    expect(buffer.write(12, Buffer.from('MN'))).toBeNull();
    expect(buffer.write(8, Buffer.from('IJKL'))).toBeNull();
    expect(buffer.write(3, Buffer.from('x'))).toMatch(/Overlapping/);
    expect(buffer.write(13, Buffer.from('xy'))).toMatch(/Overlapping/);
    expect(buffer.contents().toString()).toBe('ABCDEFGHIJKLMN');
    expect(buffer.write(MAX_UPLOAD_BYTES, Buffer.from('x'))).toMatch(/larger than/);
  });
});

describe('SFTP banner', () => {
  /** Each limit the server enforces, in the words the banner and the README give it. */
  const limits = [
    `file names up to ${MAX_FILE_NAME_BYTES} bytes`,
    `files up to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`,
    `${MAX_OPEN_HANDLES} open files per session`,
    `after ${LOGIN_FAILURES_BEFORE_PAUSE} failed logins from one address, its logins are refused for ${LOGIN_PAUSE_MS / 1000} s`,
  ];

  it('names each limit the server enforces, with its value', () => {
    for (const limit of limits) expect(SFTP_BANNER).toContain(limit);
  });

  it("matches the README's SFTP section, limit by limit", () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('### The local SFTP server'),
      readme.indexOf('### The state directory'),
    );
    for (const limit of limits) expect(section).toContain(limit);
  });
});

describe('SFTP host key', () => {
  it('refuses to start with a host key file it cannot parse, naming the file', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'sftp-bad-key-'));
    try {
      const hostKeyPath = join(keyDir, 'host_key');
      writeFileSync(hostKeyPath, 'not a key\n');
      const start = startLocalSftpServer({
        s3: localS3Client('http://127.0.0.1:1'),
        bucket: 'b',
        users: () => [],
        hostKeyPath,
      });
      await expect(start).rejects.toBeInstanceOf(ConfigError);
      await expect(start).rejects.toThrow(hostKeyPath);
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
  });
});
