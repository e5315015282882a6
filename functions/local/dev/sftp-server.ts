/**
 * The local stand-in for AWS Transfer Family: an SFTP server (`ssh2`) on 127.0.0.1 whose users
 * are the dealers. Each user is chrooted to `feeds/<dealerId>/` of the feed bucket, as the
 * Transfer Family user's logical home directory is; files live in S3 (s3rver), so an upload is an
 * S3 PutObject and raises the same "Object Created" event as in AWS.
 *
 * Auth: the dealer's `sftpPassword` from `secrets.json`, or any key of the dealer's
 * `sftp.publicKeys`. Writes are accepted only under `inbound/` (the only folder an upload means
 * anything in), so a file put in the wrong place fails at once with a message instead of silently
 * never being imported.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, posix } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, Connection, ParsedKey, SFTPWrapper } from 'ssh2';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Log } from '../../ports.js';
import type { RunningServer } from './engines.js';
import {
  fileNameProblem,
  LOGIN_FAILURES_BEFORE_PAUSE,
  LOGIN_PAUSE_MS,
  LoginThrottle,
  MAX_FILE_NAME_BYTES,
  MAX_OPEN_HANDLES,
  MAX_UPLOAD_BYTES,
  UploadBuffer,
} from './sftp-limits.js';
import { copySource, DEALER_FOLDERS } from '../../core/feed-bucket.js';
import { ConfigError, PermanentError } from '../../core/errors.js';

const { Server, utils } = ssh2;
const STATUS = utils.sftp.STATUS_CODE;
const OPEN_MODE = utils.sftp.OPEN_MODE;

/** Folders every dealer home shows, even before anything was written to them. */
export { DEALER_FOLDERS } from '../../core/feed-bucket.js';
export { MAX_UPLOAD_BYTES };

export interface SftpUser {
  readonly dealerId: string;
  /** Plain password (local only); absent: password auth refused. */
  readonly password?: string;
  /** OpenSSH public key lines. */
  readonly publicKeys: readonly string[];
}

export interface LocalSftpServerOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Looked up on every login, so users follow config changes. */
  readonly users: () => readonly SftpUser[];
  /** Where the host key is kept (generated once). */
  readonly hostKeyPath: string;
  readonly port?: number;
  readonly log?: Log;
  /** Called after a file upload is stored (dealer, key, size). */
  readonly onUpload?: (upload: { dealerId: string; key: string; size: number }) => void;
  /** Clock of the failed-login pause (tests). */
  readonly now?: () => number;
}

export interface LocalSftpServer extends RunningServer {
  readonly port: number;
  /** SHA256 fingerprint of the host key, as `ssh` prints it. */
  readonly hostKeyFingerprint: string;
}

/** An SSH key pair in OpenSSH text form, as `utils.generateKeyPairSync` returns it. */
export interface HostKeyPair {
  readonly private: string;
  readonly public: string;
}

const generateEd25519 = (): HostKeyPair => utils.generateKeyPairSync('ed25519', { comment: 'wayke-dms local sftp' });

/**
 * Keys made before giving up. ssh2 1.17's ed25519 generator makes about 1 key in 200 that its own
 * parser refuses (a 31-byte public key; mscdex/ssh2 #1390, #1513, open), so a fresh key is made
 * again rather than written; ten bad ones in a row would be a different fault, said in words.
 */
const HOST_KEY_ATTEMPTS = 10;

/** A key pair whose private key ssh2 can read back, from `generate`. */
function readableKeyPair(generate: () => HostKeyPair): HostKeyPair {
  for (let attempt = 1; attempt <= HOST_KEY_ATTEMPTS; attempt++) {
    const pair = generate();
    if (parsedKey(pair.private)) return pair;
  }
  throw new PermanentError(
    `ssh2 made ${HOST_KEY_ATTEMPTS} SFTP host keys in a row that it cannot read back; check the installed ssh2 version`,
  );
}

/**
 * Reads the host key at `path`, generating an ed25519 key there the first time; only a key that
 * parses is written (`generate` is for tests).
 */
export function loadOrCreateHostKey(path: string, generate: () => HostKeyPair = generateEd25519): string {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const pair = readableKeyPair(generate);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, pair.private, { mode: 0o600 });
  writeFileSync(`${path}.pub`, `${pair.public}\n`);
  return pair.private;
}

function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

const bytesAsMegabytes = (bytes: number) => bytes / 1024 / 1024;

/**
 * Shown by OpenSSH's sftp before the login. Its client prints only "Permission denied" or
 * "Failure" for a refused command (graphical clients show the reason), so the rules and the
 * limits of `sftp-limits.ts` go here too.
 */
export const SFTP_BANNER =
  'wayke-dms local SFTP: upload feeds directly into inbound/ (no subfolders). ' +
  `Limits: file names up to ${MAX_FILE_NAME_BYTES} bytes, files up to ${bytesAsMegabytes(MAX_UPLOAD_BYTES)} MB ` +
  `(each byte written once), ${MAX_OPEN_HANDLES} open files per session; ` +
  `after ${LOGIN_FAILURES_BEFORE_PAUSE} failed logins from one address, its logins are refused for ${LOGIN_PAUSE_MS / 1000} s.\n`;

const SUBFOLDER_REFUSAL = 'Subfolders of inbound/ are not imported: put the feed directly into inbound/';

class SftpFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/**
 * The mode a client shows for a path in the home (`''`, `inbound`, `archive/x.csv`): what the
 * dealer may do there. `inbound/` takes uploads and removals and `outbox/` removals (write on a
 * folder); a file in `inbound/` may be overwritten; everything else is read-only, as refused.
 */
function modeOf(kind: 'dir' | 'file', relative: string): number {
  if (kind === 'dir') return S_IFDIR | (relative === 'inbound' || relative === 'outbox' ? 0o755 : 0o555);
  return S_IFREG | (relative.startsWith('inbound/') ? 0o644 : 0o444);
}

function attrs(kind: 'dir' | 'file', relative: string, size = 0, mtime = new Date()): Attributes {
  const seconds = Math.floor(mtime.getTime() / 1000);
  return { mode: modeOf(kind, relative), uid: 1000, gid: 1000, size, atime: seconds, mtime: seconds };
}

/** `drwxr-xr-x` and the like, from the mode bits. */
function permissionText(mode: number): string {
  const bits = [...'rwxrwxrwx'].map((letter, index) => (mode & (0o400 >> index) ? letter : '-')).join('');
  return `${(mode & S_IFDIR) === S_IFDIR ? 'd' : '-'}${bits}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function longname(name: string, a: Attributes): string {
  const date = new Date(a.mtime * 1000);
  const perms = permissionText(a.mode);
  const when = `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  return `${perms} 1 dealer dealer ${String(a.size).padStart(10, ' ')} ${when} ${name}`;
}

interface DirectoryEntry {
  filename: string;
  longname: string;
  attrs: Attributes;
}

/** A folder's sub-folders and files, as gathered page by page. */
interface Listing {
  /** The folder listed, relative to the home ('' for the home). */
  readonly relative: string;
  readonly dirs: Set<string>;
  readonly files: Map<string, Attributes>;
}

/** `.` and `..`, then the folders, then the files, each sorted by name. */
function directoryEntries({ relative, dirs, files }: Listing): DirectoryEntry[] {
  const inside = (name: string) => (relative === '' ? name : `${relative}/${name}`);
  const entries = [
    { filename: '.', attrs: attrs('dir', relative) },
    { filename: '..', attrs: attrs('dir', posix.dirname(`/${relative}`).slice(1)) },
    ...[...dirs].sort().map((filename) => ({ filename, attrs: attrs('dir', inside(filename)) })),
    ...[...files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([filename, a]) => ({ filename, attrs: a })),
  ];
  return entries.map((entry) => ({ ...entry, longname: longname(entry.filename, entry.attrs) }));
}

type Handle =
  | { kind: 'read'; key: string; data: Buffer; mtime: Date }
  | { kind: 'write'; key: string; relative: string; buffer: UploadBuffer; failed?: string }
  | { kind: 'dir'; entries: DirectoryEntry[]; sent: boolean };

/** One dealer's view of the bucket: paths are `/`-rooted inside `feeds/<dealerId>/`. */
class DealerFileSystem {
  private readonly root: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    dealerId: string,
  ) {
    this.root = `feeds/${dealerId}/`;
  }

  /** Normalises a client path to `/a/b` form; `..` never leaves the home. */
  static normalize(path: string, cwd = '/'): string {
    const joined = posix.resolve('/', cwd, path || '.');
    return posix.normalize(joined);
  }

  /** The relative path inside the home (no leading slash; '' for the home itself). */
  relative(path: string): string {
    return DealerFileSystem.normalize(path).replace(/^\/+/, '');
  }

  keyOf(relative: string): string {
    return `${this.root}${relative}`;
  }

  relativeOfKey(key: string): string {
    return key.slice(this.root.length);
  }

  async stat(path: string): Promise<Attributes> {
    const relative = this.relative(path);
    if (relative === '' || (DEALER_FOLDERS as readonly string[]).includes(relative)) return attrs('dir', relative);
    const head = await this.head(this.keyOf(relative));
    if (head) return attrs('file', relative, head.size, head.mtime);
    if (await this.isDirectory(relative)) return attrs('dir', relative);
    throw new SftpFailure(STATUS.NO_SUCH_FILE, 'No such file');
  }

  async head(key: string): Promise<{ size: number; mtime: Date } | null> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0, mtime: out.LastModified ?? new Date() };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  async isDirectory(relative: string): Promise<boolean> {
    if (relative === '' || (DEALER_FOLDERS as readonly string[]).includes(relative)) return true;
    const out = await this.s3.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.keyOf(relative)}/`, MaxKeys: 1 }),
    );
    return (out.KeyCount ?? out.Contents?.length ?? 0) > 0;
  }

  async list(path: string): Promise<DirectoryEntry[]> {
    const relative = this.relative(path);
    if (!(await this.isDirectory(relative))) {
      const head = await this.head(this.keyOf(relative));
      throw new SftpFailure(
        head ? STATUS.FAILURE : STATUS.NO_SUCH_FILE,
        head ? 'Not a directory' : 'No such directory',
      );
    }
    const prefix = relative === '' ? this.root : `${this.keyOf(relative)}/`;
    const listing: Listing = {
      relative,
      dirs: new Set<string>(relative === '' ? DEALER_FOLDERS : []),
      files: new Map(),
    };
    let token: string | undefined;
    do {
      token = await this.listPage(prefix, token, listing);
    } while (token);
    return directoryEntries(listing);
  }

  /** Adds one page of the folder's listing; returns the next page's token, if any. */
  private async listPage(prefix: string, token: string | undefined, listing: Listing): Promise<string | undefined> {
    const out = await this.s3.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const common of out.CommonPrefixes ?? []) {
      const name = (common.Prefix ?? '').slice(prefix.length).replace(/\/$/, '');
      if (name) listing.dirs.add(name);
    }
    for (const object of out.Contents ?? []) {
      const name = (object.Key ?? '').slice(prefix.length);
      if (!name || name.endsWith('/')) continue; // the folder marker itself
      const path = listing.relative === '' ? name : `${listing.relative}/${name}`;
      listing.files.set(name, attrs('file', path, object.Size ?? 0, object.LastModified ?? new Date()));
    }
    return out.IsTruncated ? out.NextContinuationToken : undefined;
  }

  async read(path: string): Promise<{ key: string; data: Buffer; mtime: Date }> {
    const relative = this.relative(path);
    const key = this.keyOf(relative);
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const data = Buffer.from(await out.Body!.transformToByteArray());
      return { key, data, mtime: out.LastModified ?? new Date() };
    } catch (error) {
      if (
        (error as Error).name === 'NoSuchKey' ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      ) {
        if (await this.isDirectory(relative)) throw new SftpFailure(STATUS.FAILURE, 'Is a directory');
        throw new SftpFailure(STATUS.NO_SUCH_FILE, 'No such file');
      }
      throw error;
    }
  }

  /**
   * Only `inbound/<name>` may be written: the importer takes feeds from inbound/ itself, so a
   * file in a subfolder would never be imported (refused at once, in words, instead).
   */
  assertWritable(relative: string): void {
    if (!relative.startsWith('inbound/') || relative.endsWith('/') || relative === 'inbound/') {
      throw new SftpFailure(
        STATUS.PERMISSION_DENIED,
        'Upload feeds into inbound/ (cd inbound); other folders are read-only',
      );
    }
    if (relative.slice('inbound/'.length).includes('/'))
      throw new SftpFailure(STATUS.PERMISSION_DENIED, SUBFOLDER_REFUSAL);
    const tooLong = fileNameProblem(posix.basename(relative));
    if (tooLong) throw new SftpFailure(STATUS.FAILURE, tooLong);
  }

  async write(relative: string, data: Buffer): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(relative), Body: data }));
  }

  async remove(path: string): Promise<void> {
    const relative = this.relative(path);
    if (!relative.startsWith('inbound/') && !relative.startsWith('outbox/')) {
      throw new SftpFailure(STATUS.PERMISSION_DENIED, 'Only files in inbound/ and outbox/ can be removed');
    }
    if (!(await this.head(this.keyOf(relative)))) throw new SftpFailure(STATUS.NO_SUCH_FILE, 'No such file');
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(relative) }));
  }

  /** The home's folders are fixed; a subfolder of inbound/ would hide its files from the importer. */
  async mkdir(path: string): Promise<void> {
    const relative = this.relative(path);
    if (await this.isDirectory(relative)) throw new SftpFailure(STATUS.FAILURE, 'Directory exists');
    throw new SftpFailure(
      STATUS.PERMISSION_DENIED,
      relative.startsWith('inbound/')
        ? SUBFOLDER_REFUSAL
        : 'Folders cannot be created here; upload feeds into inbound/',
    );
  }

  async rmdir(path: string): Promise<void> {
    const relative = this.relative(path);
    if (!relative.startsWith('inbound/'))
      throw new SftpFailure(STATUS.PERMISSION_DENIED, 'Only folders under inbound/ can be removed');
    const out = await this.s3.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.keyOf(relative)}/`, MaxKeys: 2 }),
    );
    const keys = (out.Contents ?? []).map((object) => object.Key);
    if (keys.length === 0) throw new SftpFailure(STATUS.NO_SUCH_FILE, 'No such directory');
    if (keys.some((key) => key !== `${this.keyOf(relative)}/`))
      throw new SftpFailure(STATUS.FAILURE, 'Directory not empty');
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: `${this.keyOf(relative)}/` }));
  }

  /** Copy + delete, as S3 has no rename; clients that upload as `x.filepart` and rename rely on it. */
  async rename(from: string, to: string): Promise<void> {
    const source = this.relative(from);
    const target = this.relative(to);
    this.assertWritable(target);
    if (!source.startsWith('inbound/'))
      throw new SftpFailure(STATUS.PERMISSION_DENIED, 'Only files in inbound/ can be renamed');
    if (!(await this.head(this.keyOf(source)))) throw new SftpFailure(STATUS.NO_SUCH_FILE, 'No such file');
    if (await this.head(this.keyOf(target))) throw new SftpFailure(STATUS.FAILURE, 'Target exists');
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: this.keyOf(target),
        CopySource: copySource(this.bucket, this.keyOf(source)),
      }),
    );
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(source) }));
  }
}

/** One session's open files and folders, by the 4-byte handle the client holds. */
class HandleTable {
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;

  open(handle: Handle): Buffer {
    if (this.handles.size >= MAX_OPEN_HANDLES)
      throw new SftpFailure(STATUS.FAILURE, `At most ${MAX_OPEN_HANDLES} files may be open at once; close some first`);
    const id = this.nextHandle++;
    this.handles.set(id, handle);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(id);
    return buffer;
  }

  lookup(buffer: Buffer): [number, Handle] | null {
    if (buffer.length !== 4) return null;
    const id = buffer.readUInt32BE(0);
    const handle = this.handles.get(id);
    return handle ? [id, handle] : null;
  }

  close(id: number): void {
    this.handles.delete(id);
  }
}

/** What the request handlers of one SFTP session share. */
interface Session {
  readonly sftp: SFTPWrapper;
  readonly fs: DealerFileSystem;
  readonly handles: HandleTable;
  readonly dealerId: string;
  readonly options: LocalSftpServerOptions;
  /** Runs an async request; an SftpFailure is answered as such, anything else as a storage error. */
  readonly run: (reqId: number, work: () => Promise<void>) => void;
}

function createSession(
  sftp: SFTPWrapper,
  fs: DealerFileSystem,
  dealerId: string,
  options: LocalSftpServerOptions,
): Session {
  const fail = (reqId: number, error: unknown) => {
    if (error instanceof SftpFailure) {
      sftp.status(reqId, error.code, error.message);
      return;
    }
    options.log?.warn('SFTP operation failed', { dealerId, error: (error as Error).message });
    sftp.status(reqId, STATUS.FAILURE, 'Storage error');
  };
  return {
    sftp,
    fs,
    handles: new HandleTable(),
    dealerId,
    options,
    run: (reqId, work) => {
      work().catch((error: unknown) => fail(reqId, error));
    },
  };
}

/**
 * The client sent EOF (`bye`, or a batch that stopped at an error): report exit status 0 as
 * sshd does when its sftp-server ends (scp in SFTP mode exits 1 without it), then close our
 * side, or OpenSSH's sftp waits forever for the channel to close. ssh2 1.17 exposes no public
 * call for a subsystem's exit status, hence the internal one.
 */
function endOnClientEof(sftp: SFTPWrapper): void {
  sftp.on('end', () => {
    const channel = sftp as unknown as {
      outgoing?: { id: number; state: string };
      _protocol?: { exitStatus(id: number, status: number): void };
    };
    if (channel.outgoing?.state === 'open') channel._protocol?.exitStatus(channel.outgoing.id, 0);
    sftp.end();
  });
}

/** Paths and attributes: REALPATH, (L/F)STAT, and the SETSTATs that S3 has no use for. */
function serveAttributes({ sftp, fs, handles, run }: Session): void {
  sftp.on('REALPATH', (reqId, path) => {
    const normalized = DealerFileSystem.normalize(path);
    sftp.name(reqId, [{ filename: normalized, longname: normalized, attrs: attrs('dir', fs.relative(normalized)) }]);
  });
  const statHandler = (reqId: number, path: string) => run(reqId, async () => sftp.attrs(reqId, await fs.stat(path)));
  sftp.on('STAT', statHandler);
  sftp.on('LSTAT', statHandler);
  sftp.on('FSTAT', (reqId, buffer) => {
    const found = handles.lookup(buffer);
    if (!found) return sftp.status(reqId, STATUS.FAILURE, 'Bad handle');
    const [, handle] = found;
    if (handle.kind === 'read')
      return sftp.attrs(reqId, attrs('file', fs.relativeOfKey(handle.key), handle.data.length, handle.mtime));
    if (handle.kind === 'write') return sftp.attrs(reqId, attrs('file', handle.relative, handle.buffer.size));
    return sftp.attrs(reqId, (handle.entries[0] as DirectoryEntry).attrs);
  });
  // Timestamps and modes have no meaning in S3; accepting them keeps `put -p` and WinSCP happy.
  sftp.on('SETSTAT', (reqId) => sftp.status(reqId, STATUS.OK));
  sftp.on('FSETSTAT', (reqId) => sftp.status(reqId, STATUS.OK));
}

/** Listing a folder: OPENDIR reads it whole, READDIR sends it once, then EOF. */
function serveListing({ sftp, fs, handles, run }: Session): void {
  sftp.on('OPENDIR', (reqId, path) =>
    run(reqId, async () => {
      const entries = await fs.list(path);
      sftp.handle(reqId, handles.open({ kind: 'dir', entries, sent: false }));
    }),
  );
  sftp.on('READDIR', (reqId, buffer) => {
    const found = handles.lookup(buffer);
    if (!found || found[1].kind !== 'dir') return sftp.status(reqId, STATUS.FAILURE, 'Bad handle');
    const handle = found[1];
    if (handle.sent || handle.entries.length === 0) return sftp.status(reqId, STATUS.EOF);
    handle.sent = true;
    sftp.name(reqId, handle.entries);
  });
}

/** Opens `filename` for writing (into inbound/ only), starting from its content unless truncated. */
async function openForWrite({ fs, handles }: Session, filename: string, flags: number): Promise<Buffer> {
  const relative = fs.relative(filename);
  fs.assertWritable(relative);
  if (flags & OPEN_MODE.EXCL && (await fs.head(fs.keyOf(relative))))
    throw new SftpFailure(STATUS.FAILURE, 'File exists');
  // Append or resume: start from the current content.
  const current =
    !(flags & OPEN_MODE.TRUNC) && (await fs.head(fs.keyOf(relative))) ? (await fs.read(filename)).data : undefined;
  return handles.open({ kind: 'write', key: fs.keyOf(relative), relative, buffer: new UploadBuffer(current) });
}

/** Reading and writing files: OPEN, READ, WRITE, and CLOSE, which stores an upload. */
function serveFiles(session: Session): void {
  const { sftp, fs, handles, run } = session;
  sftp.on('OPEN', (reqId, filename, flags) =>
    run(reqId, async () => {
      if (flags & OPEN_MODE.WRITE || flags & OPEN_MODE.CREAT) {
        sftp.handle(reqId, await openForWrite(session, filename, flags));
        return;
      }
      const file = await fs.read(filename);
      sftp.handle(reqId, handles.open({ kind: 'read', ...file }));
    }),
  );
  sftp.on('READ', (reqId, buffer, offset, length) => {
    const found = handles.lookup(buffer);
    if (!found || found[1].kind !== 'read') return sftp.status(reqId, STATUS.FAILURE, 'Bad handle');
    const { data } = found[1];
    if (offset >= data.length) return sftp.status(reqId, STATUS.EOF);
    sftp.data(reqId, data.subarray(offset, Math.min(data.length, offset + length)));
  });
  sftp.on('WRITE', (reqId, buffer, offset, data) => {
    const found = handles.lookup(buffer);
    if (!found || found[1].kind !== 'write') return sftp.status(reqId, STATUS.FAILURE, 'Bad handle');
    const handle = found[1];
    // The buffer keeps a copy (ssh2 reuses its buffers). A refused part fails the whole upload.
    const refused = handle.failed ?? handle.buffer.write(offset, data);
    if (refused) {
      handle.failed = refused;
      return sftp.status(reqId, STATUS.FAILURE, refused);
    }
    sftp.status(reqId, STATUS.OK);
  });
  sftp.on('CLOSE', (reqId, buffer) => closeHandle(session, reqId, buffer));
}

function closeHandle({ sftp, fs, handles, dealerId, options, run }: Session, reqId: number, buffer: Buffer): void {
  const found = handles.lookup(buffer);
  if (!found) return sftp.status(reqId, STATUS.FAILURE, 'Bad handle');
  const [id, handle] = found;
  handles.close(id);
  if (handle.kind !== 'write') return sftp.status(reqId, STATUS.OK);
  if (handle.failed) return sftp.status(reqId, STATUS.FAILURE, handle.failed);
  run(reqId, async () => {
    const size = handle.buffer.size;
    await fs.write(handle.relative, handle.buffer.contents());
    options.log?.info('SFTP upload stored', { dealerId, key: handle.key, size });
    options.onUpload?.({ dealerId, key: handle.key, size });
    sftp.status(reqId, STATUS.OK);
  });
}

/** Changes to the tree (REMOVE, MKDIR, RMDIR, RENAME), and the link requests S3 cannot serve. */
function serveChanges({ sftp, fs, run }: Session): void {
  const answerOk = (reqId: number, change: () => Promise<void>) =>
    run(reqId, async () => {
      await change();
      sftp.status(reqId, STATUS.OK);
    });
  sftp.on('REMOVE', (reqId, path) => answerOk(reqId, () => fs.remove(path)));
  sftp.on('MKDIR', (reqId, path) => answerOk(reqId, () => fs.mkdir(path)));
  sftp.on('RMDIR', (reqId, path) => answerOk(reqId, () => fs.rmdir(path)));
  sftp.on('RENAME', (reqId, from, to) => answerOk(reqId, () => fs.rename(from, to)));
  sftp.on('READLINK', (reqId) => sftp.status(reqId, STATUS.OP_UNSUPPORTED, 'No links here'));
  sftp.on('SYMLINK', (reqId) => sftp.status(reqId, STATUS.OP_UNSUPPORTED, 'No links here'));
  sftp.on('EXTENDED', (reqId) => sftp.status(reqId, STATUS.OP_UNSUPPORTED));
}

function serveSftp(sftp: SFTPWrapper, fs: DealerFileSystem, dealerId: string, options: LocalSftpServerOptions): void {
  const session = createSession(sftp, fs, dealerId, options);
  endOnClientEof(sftp);
  serveAttributes(session);
  serveListing(session);
  serveFiles(session);
  serveChanges(session);
}

/** `utils.parseKey` returns the key, or an Error for a line it cannot parse. */
function parsedKey(data: string): ParsedKey | null {
  const parsed = utils.parseKey(data);
  return parsed instanceof Error ? null : parsed;
}

function keyMatches(allowed: readonly string[], algo: string, data: Buffer): ParsedKey | null {
  for (const line of allowed) {
    const key = parsedKey(line);
    if (!key) continue;
    const publicSsh = key.getPublicSSH();
    if (key.type === algo && publicSsh.length === data.length && timingSafeEqual(publicSsh, data)) return key;
  }
  return null;
}

/** Starts the SFTP server on 127.0.0.1 (port 2222 in `npm start`, 0 in tests). */
export async function startLocalSftpServer(options: LocalSftpServerOptions): Promise<LocalSftpServer> {
  const hostKey = loadOrCreateHostKey(options.hostKeyPath);
  const hostPublic = parsedKey(hostKey);
  if (!hostPublic)
    throw new ConfigError(
      `The SFTP host key in ${options.hostKeyPath} cannot be read; delete it to have a new one made`,
    );
  const fingerprint = `SHA256:${createHash('sha256').update(hostPublic.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
  const connections = new Set<Connection>();
  const throttle = new LoginThrottle(options.now);

  const server = new Server(
    { hostKeys: [hostKey], ident: 'wayke-dms-local-sftp', banner: SFTP_BANNER },
    (client, info) => {
      connections.add(client);
      let user: SftpUser | null = null;
      const address = info.ip;
      client.on('authentication', (ctx) => {
        // Paused: every attempt is refused, the right password too, so guessing gains nothing.
        if (throttle.pausedFor(address) > 0) return ctx.reject(['password', 'publickey']);
        const refuse = () => {
          throttle.failed(address);
          if (throttle.pausedFor(address) > 0)
            options.log?.warn('SFTP logins from this address paused after repeated failures', {
              username: ctx.username,
            });
          return ctx.reject(['password', 'publickey']);
        };
        const candidate = options.users().find((entry) => entry.dealerId === ctx.username);
        // `none` is how clients ask which methods exist: not a failed attempt.
        if (ctx.method === 'none') return ctx.reject(['password', 'publickey']);
        if (!candidate) return refuse();
        if (ctx.method === 'password') {
          if (candidate.password && safeEqual(ctx.password, candidate.password)) {
            user = candidate;
            throttle.succeeded(address);
            return ctx.accept();
          }
          return refuse();
        }
        if (ctx.method === 'publickey') {
          const key = keyMatches(candidate.publicKeys, ctx.key.algo, ctx.key.data);
          // An unknown key is an offer, not a guess: clients offer every key they have.
          if (!key) return ctx.reject(['password', 'publickey']);
          // Without a signature the client only asks whether the key would do.
          if (!ctx.signature || !ctx.blob) return ctx.accept();
          if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return refuse();
          user = candidate;
          throttle.succeeded(address);
          return ctx.accept();
        }
        return ctx.reject(['password', 'publickey']);
      });
      client.on('ready', () => {
        client.on('session', (acceptSession) => {
          const session = acceptSession();
          session.on('sftp', (acceptSftp) => {
            const sftp = acceptSftp();
            if (!user) return;
            serveSftp(sftp, new DealerFileSystem(options.s3, options.bucket, user.dealerId), user.dealerId, options);
          });
          // No shell, no exec: SFTP only, as on Transfer Family.
          session.on('shell', (_accept, reject) => reject());
          session.on('exec', (_accept, reject) => reject());
          session.on('pty', (_accept, reject) => reject?.());
        });
      });
      client.on('error', (error: Error) => options.log?.debug('SFTP connection error', { error: error.message }));
      client.on('close', () => connections.delete(client));
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `sftp://127.0.0.1:${port}`,
    port,
    hostKeyFingerprint: fingerprint,
    stop: () =>
      new Promise((resolve) => {
        for (const connection of connections) connection.end();
        server.close(() => resolve());
      }),
  };
}
