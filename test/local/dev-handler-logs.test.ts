/**
 * What the local run's terminal shows of a handler: its Powertools JSON lines (CloudWatch's part
 * in AWS) go to `<data>/logs/lambda.log`, the console's own lines stay, `--verbose` shows both;
 * and a line the console cuts is cut between code points.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/adapters/logger.js';
import { cutAt, errorSummaryOf, lambdaFunction, routeHandlerOutput } from '../../functions/local/dev/lambda.js';

/** A handler as the import worker behaves against a failing Wayke: WARN lines per retry, then a throw. */
const logger = createLogger({ serviceName: 'wayke-dms-import-worker', level: 'WARN' });
const failingWorker = lambdaFunction(
  'wayke-dms-import-worker',
  async () => {
    for (let attempt = 1; attempt <= 3; attempt += 1) logger.warn('Wayke call failed, retrying', { attempt });
    logger.error('Import failed', { error: new Error('Wayke answered 503') });
    throw new Error('Wayke answered 503');
  },
  5000,
);

let dir: string;
let terminal: string[];
let restoreTerminal: () => void;

/** Records what reaches the terminal (under the diversion, as the real streams sit under it). */
function captureTerminal(): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams)
    stream.write = (chunk: string | Uint8Array) => {
      terminal.push(String(chunk));
      return true;
    };
  return () => streams.forEach((stream, index) => (stream.write = originals[index]!));
}

const jsonLines = (lines: string[]) =>
  lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.trim().startsWith('{'));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wayke-dms-handler-logs-'));
  terminal = [];
  restoreTerminal = captureTerminal();
});
afterEach(() => {
  restoreTerminal();
  rmSync(dir, { recursive: true, force: true });
});

describe('handler log lines in the local run', () => {
  it('at the default level no raw JSON line reaches the terminal; the log file holds them all', async () => {
    const logFile = join(dir, 'logs', 'lambda.log');
    const undo = routeHandlerOutput({ logFile, echo: false });
    const outcome = await failingWorker.run({});
    process.stdout.write('✗ bilhallen: import failed, it will be retried: Wayke answered 503\n');
    undo();
    expect(outcome.ok).toBe(false);
    expect(jsonLines(terminal)).toEqual([]);
    expect(terminal.join('')).toContain('✗ bilhallen: import failed');
    const logged = readFileSync(logFile, 'utf8').trim().split('\n');
    expect(logged.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual([
      'WARN',
      'WARN',
      'WARN',
      'ERROR',
    ]);
    // The console still gets the reason from the ERROR line, as one readable line.
    expect(outcome.errorLogs.map((entry) => errorSummaryOf(entry))).toEqual(['Error: Wayke answered 503']);
  });

  it('with the verbose option the JSON lines show on the terminal too', async () => {
    const logFile = join(dir, 'logs', 'lambda.log');
    const undo = routeHandlerOutput({ logFile, echo: true });
    await failingWorker.run({});
    undo();
    expect(jsonLines(terminal)).toHaveLength(4);
    expect(readFileSync(logFile, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('after the undo, handler lines reach the terminal as before (nothing diverted is left behind)', async () => {
    const undo = routeHandlerOutput({ logFile: join(dir, 'logs', 'lambda.log'), echo: false });
    undo();
    await failingWorker.run({});
    expect(jsonLines(terminal)).toHaveLength(4);
  });
});

describe('cutting a console line', () => {
  it('cuts between code points, so an emoji at the cut is kept whole or left out, never split', () => {
    const text = `${'a'.repeat(8)}🚗🚗 and more`;
    const cut = cutAt(text, 10);
    expect(cut).toBe(`${'a'.repeat(8)}🚗…`);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(errorSummaryOf({ message: `${'a'.repeat(8)}🚗🚗🚗` }, 10)).toBe(`${'a'.repeat(8)}🚗…`);
    expect(cutAt('short 🚗', 10)).toBe('short 🚗');
  });
});
