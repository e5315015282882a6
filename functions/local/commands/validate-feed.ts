/**
 * `wayke-dms validate-feed <file> [--mapping <profile.json>] [--json]`: checks a feed the way the
 * importer reads it, so a dealer or DMS vendor can fix a file before sending it.
 * Exit status: 0 every row valid, 1 some rows rejected, 2 the file refused as a whole (or the
 * command could not run: bad arguments, unreadable file or mapping profile).
 */
import { reasonSv } from '../../core/import/reasons-sv.js';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_FEED_BYTES, readFeed, refusedFeed, type FeedReadResult } from '../../core/feed/index.js';
import { loadMappingOption, UsageError } from '../cli-support.js';
import { readFeedFile } from '../feed-file.js';

export const help = `Usage: wayke-dms validate-feed <file> [--mapping <profile.json>] [--json]

Reads a dealer feed exactly as the importer does and reports what it would use.

Options:
  --mapping <file>   the dealer's mapping profile (JSON): column names, format, delimiter,
                     encoding, mileage unit
  --json             print one JSON object: format, encoding, vehicles (count), rejected rows,
                     warnings, error
  --max-mb <n>       size limit in MB (default ${DEFAULT_MAX_FEED_BYTES / 1024 / 1024})
  -h, --help         show this help

Exit status: 0 every row valid, 1 some rows rejected, 2 nothing checked: bad arguments, a file
that cannot be read, or the file rejected as a whole.`;

/** How CSV rows are numbered, said where the numbers are shown. */
const ROW_NUMBERS =
  'Rows as a spreadsheet shows them: the header is row 1. / Radnummer som i ett kalkylark: rubrikraden är rad 1.';

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The lines for one rejected row: its number and plate, then each reason in English and Swedish. */
function rejectedRowLines(row: FeedReadResult['rejected'][number]): string[] {
  const lines = [`  row ${row.row}${row.registrationNumber ? ` (${row.registrationNumber})` : ''}:`];
  for (const error of row.errors) {
    lines.push(`    ${error.field}${error.code ? ` [${error.code}]` : ''}: ${error.message}`);
    const sv = error.messageSv ?? reasonSv(error.message);
    if (sv !== error.message)
      lines.push(`    ${' '.repeat(error.field.length + (error.code ? error.code.length + 3 : 0))}  sv: ${sv}`);
  }
  return lines;
}

function rejectedSection(result: FeedReadResult): string[] {
  if (result.rejected.length === 0) return [];
  const lines = ['', 'Rejected rows (not imported) / Avvisade rader (importeras inte):'];
  if (result.format === 'csv') lines.push(`  ${ROW_NUMBERS}`);
  for (const row of result.rejected) lines.push(...rejectedRowLines(row));
  return lines;
}

function inDoubtSection(result: FeedReadResult): string[] {
  if (result.inDoubt.length === 0) return [];
  return [
    '',
    'Kept listed in Wayke as they are, since rows that could not be read may hold them:',
    'Ligger kvar hos Wayke som de är, eftersom rader som inte kunde läsas kan innehålla dem:',
    `  ${result.inDoubt.join(', ')}`,
  ];
}

function warningsSection(result: FeedReadResult): string[] {
  if (result.warnings.length === 0) return [];
  const lines = ['', 'Warnings (the rows are imported; what a warning names is left out, or moved where it says):'];
  for (const warning of result.warnings) {
    lines.push(`  ${warning.row === 0 ? 'file' : `row ${warning.row}`} ${warning.field}: ${warning.message}`);
  }
  return lines;
}

/** The human-readable report: counts, then each rejected row with its reasons, then warnings. */
export function formatReport(file: string, result: FeedReadResult): string {
  const what = [result.format?.toUpperCase(), result.encoding].filter(Boolean).join(', ');
  const lines = [`${file}${what ? ` (${what})` : ''}`];
  if (result.error) {
    lines.push(
      '',
      `REJECTED as a whole [${result.error.code}]: ${result.error.message}`,
      '',
      'Nothing from this file would be imported.',
    );
    return lines.join('\n');
  }
  const total = result.vehicles.length + result.rejected.length;
  lines.push(
    `  ${plural(total, 'vehicle row')}: ${result.vehicles.length} valid, ${result.rejected.length} rejected, ${plural(result.warnings.length, 'warning')}`,
    ...rejectedSection(result),
    ...inDoubtSection(result),
    ...warningsSection(result),
  );
  if (result.rejected.length === 0 && result.warnings.length === 0) lines.push('', 'Every row is valid.');
  return lines.join('\n');
}

/** Exit status: 2 the file refused as a whole, 1 some rows rejected, 0 every row valid. */
export function exitStatusOf(result: Pick<FeedReadResult, 'error' | 'rejected'>): 0 | 1 | 2 {
  return result.error ? 2 : result.rejected.length > 0 ? 1 : 0;
}

interface Options {
  readonly file: string;
  readonly json: boolean;
  readonly maxBytes: number;
  readonly mappingPath: string | undefined;
}

/** The `--max-mb` option in bytes. */
function maxBytesOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_FEED_BYTES;
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0) throw new UsageError(`--max-mb must be a positive number (got "${value}")`);
  return Math.floor(mb * 1024 * 1024);
}

/** The options; `onJson` learns of `--json` before any later option can fail, so the error is printed its way. */
function parseOptions(args: string[], onJson: (json: boolean) => void): Options {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { mapping: { type: 'string' }, json: { type: 'boolean', default: false }, 'max-mb': { type: 'string' } },
  });
  const json = values.json === true;
  onJson(json);
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? 'missing <file>' : `one file at a time (got ${positionals.length})`,
    );
  return { file: positionals[0]!, json, maxBytes: maxBytesOption(values['max-mb']), mappingPath: values.mapping };
}

/** Reads and checks the file as the importer would. */
function check(options: Options): FeedReadResult {
  const { file, maxBytes } = options;
  const mapping = options.mappingPath ? loadMappingOption(options.mappingPath) : undefined;
  const read = readFeedFile(file, maxBytes);
  if ('tooLarge' in read) return refusedFeed(read.tooLarge);
  return readFeed(read.bytes, { name: basename(file), now: new Date(), maxBytes, ...(mapping ? { mapping } : {}) });
}

function print(options: Options, result: FeedReadResult): void {
  if (options.json) {
    const { vehicles, ...rest } = result;
    process.stdout.write(
      `${JSON.stringify({ format: rest.format, encoding: rest.encoding, vehicles: vehicles.length, rejected: rest.rejected, warnings: rest.warnings, inDoubt: rest.inDoubt, error: rest.error })}\n`,
    );
  } else {
    process.stdout.write(`${formatReport(options.file, result)}\n`);
  }
}

/** A command line (or file, or profile) the user can correct, as opposed to a bug. */
const isUsageProblem = (error: unknown): error is Error =>
  error instanceof UsageError ||
  (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true);

export async function run(args: string[]): Promise<number> {
  let json = false;
  try {
    const options = parseOptions(args, (value) => {
      json = value;
    });
    const result = check(options);
    print(options, result);
    return exitStatusOf(result);
  } catch (error) {
    if (!isUsageProblem(error)) throw error;
    // The file was not checked, so there is no report for stdout, with or without --json.
    process.stderr.write(`wayke-dms validate-feed: ${error.message}\n${json ? '' : `\n${help}\n`}`);
    return 2;
  }
}
