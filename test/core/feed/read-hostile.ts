/**
 * Child process of the memory tests and the hostile-feed benchmark: builds each generated
 * hostile feed at the size asked for (or reads it from a folder `generate.ts` wrote, so the peak
 * RSS is the reader's alone), reads it, and prints one JSON line per feed with the error code,
 * the kept and rejected counts and the process's peak RSS.
 * Usage: `node --max-old-space-size=512 --import tsx read-hostile.ts <megabytes | folder> [name …]`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFeed } from '../../../functions/core/feed/index.js';
import { HOSTILE_FEEDS } from '../../fixtures/feeds/hostile/generate.js';

const source = process.argv[2] ?? '4';
const megabytes = Number(source);
const names = process.argv.slice(3);

/** Reads one feed; its bytes go out of scope with the call, before the line is printed. */
function readOne(feed: (typeof HOSTILE_FEEDS)[number]) {
  const bytes = Number.isNaN(megabytes)
    ? readFileSync(join(source, feed.name))
    : feed.build(Math.floor(megabytes * 1024 * 1024));
  const started = performance.now();
  const result = readFeed(bytes, { name: feed.name, now: new Date('2026-06-01T00:00:00Z') });
  return { size: bytes.length, ms: performance.now() - started, result };
}
for (const feed of HOSTILE_FEEDS) {
  if (names.length > 0 && !names.includes(feed.name)) continue;
  const { size, ms, result } = readOne(feed);
  process.stdout.write(
    `${JSON.stringify({
      name: feed.name,
      bytes: size,
      ms: Math.round(ms),
      error: result.error?.code ?? null,
      message: result.error?.message ?? null,
      kept: result.vehicles.map((v) => v.vehicle.registrationNumber),
      rejected: result.rejected.map((r) => ({ row: r.row, code: r.errors[0]?.code ?? r.errors[0]?.field })),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
}
