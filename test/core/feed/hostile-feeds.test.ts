import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readFeed } from '../../../functions/core/feed/index.js';
import { exitStatusOf, formatReport } from '../../../functions/local/commands/validate-feed.js';
import { HOSTILE_FEEDS } from '../../fixtures/feeds/hostile/generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '../../fixtures/feeds/hostile');
const now = new Date('2026-06-01T00:00:00Z');

interface Expected {
  exit: 0 | 1 | 2;
  error: string | null;
  kept: string[];
  rejected: Array<[number, string]>;
  inDoubt: string[];
}
const expected = JSON.parse(readFileSync(join(corpus, 'expected.json'), 'utf8')) as Record<string, Expected>;
const read = (name: string) => readFeed(readFileSync(join(corpus, name)), { name, now });

describe('the hostile feed corpus (test/fixtures/feeds/hostile/expected.json)', () => {
  it.each(Object.entries(expected))(
    '%s: exit status, error code, kept and rejected rows, plates in doubt',
    (name, want) => {
      const result = read(name);
      expect(exitStatusOf(result)).toBe(want.exit);
      expect(result.error?.code ?? null).toBe(want.error);
      expect(result.vehicles.map((v) => v.vehicle.registrationNumber)).toEqual(want.kept);
      expect(result.rejected.map((r) => [r.row, r.errors[0]!.code ?? r.errors[0]!.field])).toEqual(want.rejected);
      expect(result.inDoubt).toEqual(want.inDoubt);
    },
  );

  it('names the lines a stray quote swallowed by their line in the file, in English and Swedish, on the spreadsheet row it opened in', () => {
    const report = formatReport('stray-quote.csv', read('stray-quote.csv'));
    expect(report).toContain('Rows as a spreadsheet shows them: the header is row 1.');
    expect(report).toContain('row 4:');
    expect(report).toContain(
      'opened in column 4 of this row (line 4 of the file) is closed on line 7, so lines 5–7 were read into that one cell, not as vehicles',
    );
    expect(report).toContain(
      'sv: ett citattecken (") som öppnas i kolumn 4 på den här raden (rad 4 i filen) stängs först på rad 7 i filen, så raderna 5–7 lästes in i den cellen',
    );
    expect(report).toContain('CCC333, DDD444, EEE555, FFF666');
  });

  it('names a ragged row and the plate it holds, in English and Swedish', () => {
    const report = formatReport('ragged-thousands.csv', read('ragged-thousands.csv'));
    expect(report).toMatch(
      /row 3 \(DEF456\):\n\s+row \[RAGGED_ROW\]: row has 4 fields but the header has 3 — a field with a comma in it must be quoted/,
    );
    expect(report).toContain('sv: raden har 4 fält men rubrikraden har 3');
    expect(report).toContain('DEF456 stays listed in Wayke as it is');
  });

  it('drops private, local and credential-carrying image URLs with a warning that repeats no password', () => {
    const result = read('private-image-urls.csv');
    expect(result.vehicles[0]!.vehicle.images).toEqual(['https://img.example.com/ok.jpg']);
    const warning = result.warnings.find((w) => w.field === 'images')!.message;
    expect(warning).toContain('left out 6 items');
    expect(warning).not.toContain('user:pass');
    expect(warning).toContain('https://***@img.example.com/a.jpg');
  });

  it('a contact option named constructor is an unknown option, not Object.prototype', () => {
    const result = read('contact-constructor.csv');
    expect(result.vehicles[0]!.vehicle.contactOptions).toEqual(['email']);
    expect(JSON.stringify(result.warnings)).not.toContain('function');
  });
});

describe('generated hostile feeds under a 512 MB heap (child process)', () => {
  it('refuses or reads each one with its code, without running out of memory', () => {
    // Prepare: small versions (a few MB) for a fast suite; `npm run bench` runs them at the size limit.
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=512', '--import', 'tsx', join(here, 'read-hostile.ts'), '3'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    // Assess
    expect(child.status, child.stderr).toBe(0);
    const lines = child.stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            name: string;
            error: string | null;
            kept: string[];
            rejected: Array<{ row: number; code: string }>;
          },
      );
    expect(lines.map((line) => line.name)).toEqual(HOSTILE_FEEDS.map((feed) => feed.name));
    for (const feed of HOSTILE_FEEDS) {
      const line = lines.find((l) => l.name === feed.name)!;
      expect(line.error, feed.name).toBe(feed.error);
      if (feed.kept) expect(line.kept, feed.name).toEqual(feed.kept);
      if (feed.rejected) expect(line.rejected, feed.name).toEqual(feed.rejected);
    }
  });
});
