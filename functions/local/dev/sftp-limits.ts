/**
 * What one dealer's SFTP session may cost the local run, so one client (a buggy DMS script, a
 * password guesser) cannot knock over everyone's: file names as long as Transfer Family takes,
 * an upload's memory bounded by the feed size limit (each byte of a file written once), a few
 * open handles per session, and a pause after repeated failed logins from one address — as AWS
 * Transfer Family throttles them.
 */
/** Largest file accepted over SFTP (the feed reader's limit). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** Longest file name in bytes (UTF-8), as AWS Transfer Family accepts (the local S3 stores longer key segments). */
export const MAX_FILE_NAME_BYTES = 255;

/** Files and directories open at once in one session (OpenSSH's sftp needs 2, parallel clients a few). */
export const MAX_OPEN_HANDLES = 16;

/** Failed logins from one address before it must wait, and how long. */
export const LOGIN_FAILURES_BEFORE_PAUSE = 5;
export const LOGIN_PAUSE_MS = 60_000;

/** Why a file name is refused, or null. */
export function fileNameProblem(name: string): string | null {
  const bytes = Buffer.byteLength(name, 'utf8');
  return bytes > MAX_FILE_NAME_BYTES
    ? `File name is ${bytes} bytes; at most ${MAX_FILE_NAME_BYTES} bytes are accepted here`
    : null;
}

/**
 * An upload being received: the parts the client wrote, each byte at most once, all below
 * {@link MAX_UPLOAD_BYTES}. Clients write in order with several requests in flight; a write over
 * bytes already written would only grow memory, so it is refused.
 */
export class UploadBuffer {
  private readonly parts: Array<{ offset: number; data: Buffer }> = [];
  /** Written ranges, sorted and merged: [start, end) pairs. */
  private readonly ranges: Array<[number, number]> = [];
  private end = 0;

  constructor(initial?: Buffer) {
    if (initial && initial.length > 0) this.write(0, initial);
  }

  get size(): number {
    return this.end;
  }

  /** Stores a part, or returns why not (too large, or over bytes already written). */
  write(offset: number, data: Buffer): string | null {
    const end = offset + data.length;
    if (end > MAX_UPLOAD_BYTES) return `File larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`;
    if (data.length === 0) return null;
    // First range that ends after this part starts; it overlaps if it also starts before this part ends.
    let low = 0;
    let high = this.ranges.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.ranges[middle]![1] <= offset) low = middle + 1;
      else high = middle;
    }
    const next = this.ranges[low];
    if (next && next[0] < end) return `Overlapping write at offset ${offset}: each part of a file may be written once`;
    this.parts.push({ offset, data: Buffer.from(data) });
    const before = this.ranges[low - 1];
    if (before && before[1] === offset) {
      before[1] = end;
      if (next && next[0] === end) {
        before[1] = next[1];
        this.ranges.splice(low, 1);
      }
    } else if (next && next[0] === end) {
      next[0] = offset;
    } else {
      this.ranges.splice(low, 0, [offset, end]);
    }
    this.end = Math.max(this.end, end);
    return null;
  }

  /** The file as written (gaps, as a sparse write leaves them, are zero bytes). */
  contents(): Buffer {
    const out = Buffer.alloc(this.end);
    for (const part of this.parts) part.data.copy(out, part.offset);
    return out;
  }
}

/** Failed logins per client address; an address with too many waits before it may try again. */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; pausedUntil: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds the address must still wait (0: it may try). */
  pausedFor(address: string): number {
    const entry = this.failures.get(address);
    if (!entry || entry.pausedUntil === 0) return 0;
    const left = entry.pausedUntil - this.now();
    if (left > 0) return left;
    this.failures.delete(address);
    return 0;
  }

  failed(address: string): void {
    const entry = this.failures.get(address) ?? { count: 0, pausedUntil: 0 };
    entry.count += 1;
    if (entry.count >= LOGIN_FAILURES_BEFORE_PAUSE) entry.pausedUntil = this.now() + LOGIN_PAUSE_MS;
    this.failures.set(address, entry);
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }
}
