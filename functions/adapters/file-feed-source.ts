import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FeedTooLargeError } from '../core/import/errors.js';
import type { PendingFeed, ReportSink } from '../ports.js';
import { keyTimestamp } from '../core/feed-bucket.js';

/**
 * Local variants for the CLI: a feed from a file on disk (size from `stat`, checked before the
 * file is read) or from bytes in memory, and run reports written to a folder.
 */

/** A file on disk as a {@link PendingFeed}. Throws (ENOENT …) if it cannot be stat'ed. */
export async function fileFeed(path: string): Promise<PendingFeed> {
  const info = await stat(path);
  return {
    name: path,
    size: info.size,
    lastModified: info.mtime,
    async load(maxBytes: number) {
      const handle = await open(path, 'r');
      try {
        const size = (await handle.stat()).size;
        if (size > maxBytes)
          throw new FeedTooLargeError(`The file is ${size} bytes; the limit is ${maxBytes} bytes`, { file: path });
        const buffer = Buffer.alloc(size);
        let offset = 0;
        while (offset < size) {
          const { bytesRead } = await handle.read(buffer, offset, size - offset, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
        }
        return buffer.subarray(0, offset);
      } finally {
        await handle.close();
      }
    },
  };
}

/** Bytes in memory as a {@link PendingFeed} (tests, benchmarks, a DMS API pull). */
export function bytesFeed(name: string, bytes: Uint8Array, lastModified: Date = new Date(0)): PendingFeed {
  return {
    name,
    size: bytes.byteLength,
    lastModified,
    async load(maxBytes: number) {
      if (bytes.byteLength > maxBytes)
        throw new FeedTooLargeError(`The feed is ${bytes.byteLength} bytes; the limit is ${maxBytes} bytes`, {
          file: name,
        });
      return bytes;
    },
  };
}

/** Reports under `<directory>/<dealerId>/`: `<timestamp>.json`, `latest.json`, `latest.txt`. */
export class FileReportSink implements ReportSink {
  constructor(private readonly directory: string) {}
  async write(dealerId: string, report: { at: Date; json: unknown; text: string }): Promise<void> {
    const folder = join(this.directory, dealerId);
    await mkdir(folder, { recursive: true });
    const json = `${JSON.stringify(report.json, null, 2)}\n`;
    await writeFile(join(folder, `${keyTimestamp(report.at)}.json`), json);
    await writeFile(join(folder, 'latest.json'), json);
    await writeFile(join(folder, 'latest.txt'), report.text);
  }
}
