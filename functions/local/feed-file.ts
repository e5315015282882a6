/**
 * The one reader of a feed file named on the command line (`validate-feed`, `plan`, `import`).
 * Anything that is not a regular file the user may read is refused as a usage error,
 * `<file> cannot be read: …` (exit 2), before a byte is read: a directory, a named pipe or device,
 * a missing file, no permission, a symbolic link loop.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { feedSizeError } from '../core/feed/index.js';
import { FeedTooLargeError } from '../core/import/errors.js';
import type { PendingFeed } from '../ports.js';
import { UsageError } from './cli-support.js';

/** What the common errno codes mean, in the words a user reads them. */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'a symbolic link loop',
  ENAMETOOLONG: 'the name is too long',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'a directory, not a file',
};

const cannotRead = (path: string, why: string) => new UsageError(`${path} cannot be read: ${why}`);

function errnoProblem(path: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (!code) return cannotRead(path, (error as Error).message);
  const words = ERRNO_WORDS[code];
  return cannotRead(path, words ? `${code} (${words})` : code);
}

/** Why an opened path is not a feed file, or null for a regular file. */
function kindProblem(stats: Stats): string | null {
  if (stats.isFile()) return null;
  if (stats.isDirectory()) return `EISDIR (${ERRNO_WORDS.EISDIR})`;
  if (stats.isFIFO()) return 'a named pipe (FIFO), not a regular file';
  if (stats.isSocket()) return 'a socket, not a regular file';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device, not a regular file';
  return 'not a regular file';
}

/**
 * Runs `use` on the open file once it is known to be a regular file. Opened non-blocking: a
 * named pipe opened plainly waits for a writer, so the command would hang instead of refusing it.
 */
function withFeedFile<T>(path: string, use: (fd: number, stats: Stats) => T): T {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw errnoProblem(path, error);
  }
  try {
    const stats = fstatSync(fd);
    const problem = kindProblem(stats);
    if (problem) throw cannotRead(path, problem);
    return use(fd, stats);
  } finally {
    closeSync(fd);
  }
}

function readAll(path: string, fd: number, size: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(size);
  let offset = 0;
  try {
    while (offset < size) {
      const read = readSync(fd, bytes, offset, size - offset, offset);
      if (read === 0) break;
      offset += read;
    }
  } catch (error) {
    throw errnoProblem(path, error);
  }
  return bytes.subarray(0, offset);
}

export type FeedFileRead = { bytes: Uint8Array } | { tooLarge: NonNullable<ReturnType<typeof feedSizeError>> };

/** The file's bytes, unless its size alone refuses it (checked before reading it all). */
export function readFeedFile(path: string, maxBytes: number): FeedFileRead {
  return withFeedFile(path, (fd, { size }) => {
    const tooLarge = feedSizeError(size, maxBytes);
    return tooLarge ? { tooLarge } : { bytes: readAll(path, fd, size) };
  });
}

/**
 * The file as the import use case's {@link PendingFeed}: checked now, so a path that is no feed
 * file is a usage error before any state is opened; read when the use case loads it.
 */
export function feedFile(path: string): PendingFeed {
  const { size, mtime } = withFeedFile(path, (_fd, stats) => stats);
  return {
    name: path,
    size,
    lastModified: mtime,
    async load(maxBytes: number) {
      const read = readFeedFile(path, maxBytes);
      if ('tooLarge' in read) throw new FeedTooLargeError(read.tooLarge.message, { file: path });
      return read.bytes;
    },
  };
}
