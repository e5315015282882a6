import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FeedTooLargeError } from '../core/import/errors.js';
import type { PendingFeed, ReportSink } from '../ports.js';
import { keyTimestamp } from '../core/feed-bucket.js';

/**
 * Local variants for the CLI: a feed from bytes in memory (a file on disk is read by
 * `local/feed-file.ts`), and run reports written to a folder.
 */

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
