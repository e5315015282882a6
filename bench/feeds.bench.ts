/**
 * Feed reader benchmark: a realistic 10,000-vehicle feed (descriptions of a few hundred
 * characters with Swedish letters, commas and line breaks, 10 image URLs, 20 equipment items,
 * Swedish number formats) as CSV and as XML. For each: median time of `readFeed` (decode, parse,
 * map, coerce, validate), the median of a bare csv-parse / fast-xml-parser parse of the same
 * bytes, their ratio, and peak RSS. Targets on the 2-core dev machine: ≤ 1 s per 10,000
 * vehicles, peak RSS < 300 MB, ratio ≤ 2.5.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { readFeed } from '../functions/core/feed/index.js';
import { csvFeed, row } from './generated-feed.js';

const VEHICLES = Number(process.env.BENCH_VEHICLES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const now = new Date('2026-06-01T00:00:00Z');

const esc = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function xmlFeed(): Buffer {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<annonser>\n'];
  for (let i = 0; i < VEHICLES; i++) {
    const r = row(i);
    parts.push(
      `  <annons>\n    <regnr>${r.regnr}</regnr>\n    <pris>${r.pris}</pris>\n    <kampanjpris>${esc(r.kampanjpris)}</kampanjpris>\n` +
        `    <miltal>${r.miltal}</miltal>\n    <arsmodell>${r.arsmodell}</arsmodell>\n    <rubrik>${esc(r.rubrik)}</rubrik>\n` +
        `    <beskrivning>${esc(r.beskrivning)}</beskrivning>\n` +
        `    <bilder>${r.bilder.map((url) => `<bild>${url}</bild>`).join('')}</bilder>\n` +
        `    <utrustning>${r.utrustning.map((item) => `<post>${esc(item)}</post>`).join('')}</utrustning>\n` +
        `    <momsbil>${r.momsbil}</momsbil>\n    <lagernummer>${r.lagernummer}</lagernummer>\n    <chassinummer>${r.chassinummer}</chassinummer>\n  </annons>\n`,
    );
  }
  parts.push('</annonser>\n');
  return Buffer.from(parts.join(''), 'utf8');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A full collection between measured reads, so one read's garbage does not count against the next. */
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** Wall-clock and CPU milliseconds of each run (CPU time is steadier on a busy machine). */
function time(fn: () => unknown): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    gc();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    fn();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu };
}

const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

/**
 * Measures one format in this process: the feed is generated, read once to check it is clean,
 * then timed. Peak RSS is this process's (generation included), so each format runs in its own.
 */
/** The generated feed must read without a rejected row or warning (checked once, not kept). */
function readsCleanly(format: string, bytes: Buffer): boolean {
  const check = readFeed(bytes, { now });
  if (check.error || check.vehicles.length !== VEHICLES || check.rejected.length > 0 || check.warnings.length > 0) {
    process.stdout.write(
      `${format}: the generated feed did not read cleanly: ${JSON.stringify({ error: check.error, vehicles: check.vehicles.length, rejected: check.rejected.slice(0, 3), warnings: check.warnings.slice(0, 3) })}\n`,
    );
    return false;
  }
  return true;
}

function bench(format: 'csv' | 'xml', file: string): boolean {
  const bytes = readFileSync(file);
  const rssBefore = peakRssMb();
  const xmlParser = new XMLParser();
  const bare =
    format === 'csv' ? () => parseCsv(bytes, { delimiter: ';' }) : () => xmlParser.parse(bytes.toString('utf8'));
  if (!readsCleanly(format, bytes)) return false;
  // Each side warmed up once so both are measured JIT-compiled; peak RSS is taken before the
  // bare parse runs (a whole-document fast-xml-parser tree is far bigger than readFeed's peak).
  gc();
  readFeed(bytes, { now });
  const oursRuns = time(() => readFeed(bytes, { now }));
  const rss = peakRssMb();
  gc();
  bare();
  const bareRuns = time(bare);
  const ours = median(oursRuns.wall);
  const baseline = median(bareRuns.wall);
  const ratio = ours / baseline;
  const cpuRatio = median(oursRuns.cpu) / median(bareRuns.cpu);
  const limit = (VEHICLES / 10_000) * 1000;
  const verdict = (ok: boolean): string => (ok ? 'ok' : 'OVER TARGET');
  const ms = (value: number): string => `${value.toFixed(0).padStart(6)} ms`;
  process.stdout.write(
    `${format} ${(bytes.length / 1024 / 1024).toFixed(1)} MB, ${VEHICLES} vehicles, median of ${RUNS} runs (wall / CPU)\n` +
      `  readFeed (read + validate)  ${ms(ours)} / ${ms(median(oursRuns.cpu))}  (target ≤ ${limit.toFixed(0)} ms: ${verdict(ours <= limit)})\n` +
      `  bare ${(format === 'csv' ? 'csv-parse' : 'fast-xml-parser').padEnd(22)} ${ms(baseline)} / ${ms(median(bareRuns.cpu))}\n` +
      `  ratio                       ${ratio.toFixed(2).padStart(6)}    / ${cpuRatio.toFixed(2).padStart(6)}     (target ≤ 2.5: ${verdict(ratio <= 2.5)})\n` +
      `  peak RSS (readFeed runs)    ${rss.toFixed(0).padStart(6)} MB  (target < 300 MB: ${verdict(rss < 300)}; ${rssBefore.toFixed(0)} MB before reading: Node, tsx, the file)\n` +
      `  load average                ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')} on ${availableParallelism()} cores\n`,
  );
  return ours <= limit && ratio <= 2.5 && rss < 300;
}

const format = process.env.BENCH_FORMAT;
if ((format === 'csv' || format === 'xml') && process.env.BENCH_FILE) {
  process.exit(bench(format, process.env.BENCH_FILE) ? 0 : 1);
} else {
  // The feeds are generated here and each format is measured in its own process, so peak RSS
  // is that format's reading alone (not the generator's garbage, not the other format's).
  const dir = mkdtempSync(join(tmpdir(), 'wayke-feeds-bench-'));
  let ok = true;
  try {
    for (const each of ['csv', 'xml'] as const) {
      const file = join(dir, `feed.${each}`);
      writeFileSync(file, each === 'csv' ? csvFeed(VEHICLES) : xmlFeed());
      if (process.env.BENCH_WRITE) writeFileSync(join(process.env.BENCH_WRITE, `feed.${each}`), readFileSync(file));
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
        stdio: 'inherit',
        env: { ...process.env, BENCH_FORMAT: each, BENCH_FILE: file },
      });
      ok &&= child.status === 0;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(ok ? 0 : 1);
}
