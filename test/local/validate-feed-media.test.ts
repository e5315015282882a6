import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'validate-feed-media-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the real CLI (`node bin/wayke-dms.js`) and collects its streams and exit status. */
const cli = (...args: string[]) => spawnCli(args, { ...process.env, LOG_LEVEL: 'SILENT' });

/** A dealer's export as Excel writes it on Windows: Windows-1252, CRLF, semicolons. */
function windowsCsv(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1'));
  return path;
}

describe('wayke-dms validate-feed with video and 360 columns', () => {
  it('reports the junk link of a Film column and the youtu.be link among the images, and keeps every row', async () => {
    const file = windowsCsv('lager.csv', [
      'Regnr;Pris;Miltal;Bilder;Film;360',
      'ABC123;189 900;4 410;https://bilder.example.se/1.jpg|https://youtu.be/dQw4w9WgXcQ;https://vimeo.com/76979871|https://www.youtube.com/watch?v=a1|se vår film!;https://bilder.example.se/360/01.jpg|http://localhost/360/02.jpg',
      'DEF456;99 000;12 000;https://bilder.example.se/2.jpg;;',
    ]);
    const { status, stdout } = await cli('validate-feed', file, '--json');
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as { vehicles: number; encoding: string; warnings: unknown[] };
    expect(report).toMatchObject({ encoding: 'windows-1252', vehicles: 2, rejected: [] });
    expect(report.warnings).toEqual([
      { row: 2, field: 'videos', message: 'left out an item: "se vår film!" (must be an http(s) URL)' },
      {
        row: 2,
        field: 'panorama',
        message: 'left out an item: "http://localhost/360/02.jpg" (must point to a public host name)',
      },
      {
        row: 2,
        field: 'images',
        message: 'moved a video link to the videos (a video is not an image): "https://youtu.be/dQw4w9WgXcQ"',
      },
    ]);
  });

  it('prints the same warnings in the readable report', async () => {
    const file = windowsCsv('film.csv', [
      'Regnr;Pris;Miltal;Film',
      'ABC123;189 900;4 410;https://youtu.be/a|ftp://film.example.se/a.mp4',
    ]);
    const { status, stdout } = await cli('validate-feed', file);
    expect(status).toBe(0);
    expect(stdout).toContain('1 vehicle row: 1 valid, 0 rejected, 1 warning');
    expect(stdout).toContain('row 2 videos: left out an item: "ftp://film.example.se/a.mp4" (must be an http(s) URL)');
  });
});
