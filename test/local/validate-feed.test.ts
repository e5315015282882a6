import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli-run.js';

const feeds = 'test/fixtures/feeds';

/** Runs the real CLI (`node bin/wayke-dms.js`) and collects its streams and exit status. */
const cli = (...args: string[]) => spawnCli(args, { ...process.env, LOG_LEVEL: 'SILENT' });

describe('wayke-dms validate-feed', () => {
  it('exits 0 with a readable report when every row is valid', async () => {
    const { status, stdout } = await cli('validate-feed', `${feeds}/motorcentrum.xml`);
    expect(status).toBe(0);
    expect(stdout).toContain('motorcentrum.xml (XML, utf-8)');
    expect(stdout).toContain('2 vehicle rows: 2 valid, 0 rejected, 0 warnings');
    expect(stdout).toContain('Every row is valid.');
  });

  it('exits 1 and prints exactly one JSON object with --json when rows are rejected', async () => {
    const { status, stdout } = await cli('validate-feed', `${feeds}/canonical.csv`, '--json');
    expect(status).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      format: 'csv',
      encoding: 'utf-8',
      vehicles: 2,
      rejected: [
        {
          row: 3,
          registrationNumber: 'TLN27D',
          errors: [
            {
              field: 'row',
              code: 'RAGGED_ROW',
              message: expect.stringContaining('row has 22 fields but the header has 20'),
              messageSv: expect.stringContaining('raden har 22 fält'),
            },
          ],
        },
      ],
      warnings: [],
      inDoubt: ['TLN27D'],
      error: null,
    });
  });

  it('lists rejected rows with their reasons and the warnings in the readable report', async () => {
    const { status, stdout } = await cli('validate-feed', `${feeds}/ugly-latin1.xml`);
    expect(status).toBe(1);
    expect(stdout).toContain('1 valid, 1 rejected');
    expect(stdout).toMatch(/row 2 \(PQR678\):\n\s+price: "ring för pris" is not an amount in kronor/);
  });

  it('exits 2 on a file refused as a whole, with the code', async () => {
    const [json, text] = await Promise.all([
      cli('validate-feed', `${feeds}/unsafe-xxe.xml`, '--json'),
      cli('validate-feed', `${feeds}/unclosed-quote.csv`),
    ]);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ vehicles: 0, rejected: [], error: { code: 'UNSAFE_XML' } });
    expect(text.status).toBe(2);
    expect(text.stdout).toContain('REJECTED as a whole [MALFORMED_FEED]: A quote (") opened on line 3 is never closed');
  });

  it('uses a mapping profile and refuses a file over --max-mb before reading it', async () => {
    const [mapped, large] = await Promise.all([
      cli('validate-feed', `${feeds}/custom-columns.csv`, '--mapping', `${feeds}/mapping-example.json`, '--json'),
      cli('validate-feed', `${feeds}/canonical.csv`, '--max-mb', '0.0001', '--json'),
    ]);
    expect(mapped.status).toBe(0);
    expect(JSON.parse(mapped.stdout)).toMatchObject({
      format: 'csv',
      encoding: 'windows-1252',
      vehicles: 2,
      error: null,
    });
    expect(large.status).toBe(2);
    expect(JSON.parse(large.stdout)).toMatchObject({ vehicles: 0, error: { code: 'FEED_TOO_LARGE' } });
  });

  it('prints its help, and exits 2 on a missing file', async () => {
    const [help, missing] = await Promise.all([
      cli('validate-feed', '--help'),
      cli('validate-feed', 'no/such/file.csv'),
    ]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: wayke-dms validate-feed <file> [--mapping <profile.json>] [--json]');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no/such/file.csv cannot be read: ENOENT');
  });
});
