/**
 * What `contract-check` prints: a table `field · sent · read back · ok` and the verdict, or one
 * JSON document; and the exit status. Values are Wayke's and the sample's, never a credential.
 */
import type { CheckRow } from './compare.js';
import type { ContractCheckResult } from './run.js';

/** Exit statuses: every name round-trips; a name does not (or the check could not finish); usage or config. */
export const EXIT = { ok: 0, mismatch: 1, usage: 2 } as const;

const failedRows = (result: ContractCheckResult): CheckRow[] => result.rows.filter((row) => !row.ok && !row.skipped);
const skippedRows = (result: ContractCheckResult): CheckRow[] => result.rows.filter((row) => row.skipped);

/** The exit status of a finished check. */
export function exitStatusOf(result: ContractCheckResult): number {
  if (result.failure?.kind === 'auth' || result.failure?.kind === 'plate-in-use') return EXIT.usage;
  if (result.failure || failedRows(result).length > 0 || result.removal?.removed === false) return EXIT.mismatch;
  return EXIT.ok;
}

/** A row's name with the project's field name beside it, as the table and the verdict show it. */
const label = (row: CheckRow): string => (row.field ? `${row.name} (${row.field})` : row.name);

const MAX_CELL = 40;
function cell(value: unknown, present = true): string {
  if (!present) return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

const okCell = (row: CheckRow): string => (row.skipped ? 'skipped' : row.ok ? 'ok' : 'FAIL');

function table(rows: readonly CheckRow[]): string[] {
  const lines = [
    ['field', 'sent', 'read back', 'ok'],
    ...rows.map((r) => [label(r), cell(r.sent), cell(r.readBack, r.present), okCell(r)]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...lines.map((line) => (line[i] as string).length)));
  return lines.map((line) =>
    line
      .map((text, i) => (i < 3 ? text.padEnd(widths[i] as number) : text))
      .join(' · ')
      .trimEnd(),
  );
}

function verdict(result: ContractCheckResult): string[] {
  const failed = failedRows(result);
  const lines: string[] = [];
  if (result.failure) lines.push(`The check stopped at "${result.failure.step}": ${result.failure.message}`);
  if (result.failure?.kind === 'auth')
    lines.push('Check WAYKE_CLIENT_ID and WAYKE_CLIENT_SECRET, and that the client may act for WAYKE_BRANCH_ID.');
  if (failed.length > 0) {
    lines.push(`FAILED: ${failed.length} name${failed.length === 1 ? '' : 's'} did not round-trip:`);
    lines.push(...failed.map((row) => `  ${label(row)}: ${row.note ?? 'read back differs'}`));
    if (result.unsentNames.length > 0)
      lines.push(`Read back but not sent (a renamed field may be among them): ${result.unsentNames.join(', ')}`);
  } else if (!result.failure) {
    lines.push(`Every name round-trips (${result.rows.filter((row) => row.ok).length} checked).`);
  }
  for (const row of skippedRows(result)) lines.push(`Not checked: ${label(row)}: ${row.note ?? ''}`);
  return lines;
}

function removalLine(result: ContractCheckResult): string[] {
  if (!result.removal) return [];
  return [result.removal.removed ? `Removed the throwaway ad ${result.adId}.` : `WARNING: ${result.removal.message}`];
}

/** The text report. */
export function textReport(result: ContractCheckResult): string {
  const head = `Contract check: throwaway ad ${result.registrationNumber} in branch ${result.branchId}${result.adId ? ` (ad ${result.adId})` : ''}`;
  return [
    head,
    '',
    ...(result.rows.length > 0 ? [...table(result.rows), ''] : []),
    ...verdict(result),
    ...removalLine(result),
  ].join('\n');
}

/** The `--json` document. */
export function jsonReport(result: ContractCheckResult) {
  const exitStatus = exitStatusOf(result);
  return {
    ok: exitStatus === EXIT.ok,
    exitStatus,
    registrationNumber: result.registrationNumber,
    branchId: result.branchId,
    ...(result.adId !== undefined ? { adId: result.adId } : {}),
    rows: result.rows,
    failed: failedRows(result).map((row) => row.name),
    skipped: skippedRows(result).map((row) => row.name),
    unsentNames: result.unsentNames,
    ...(result.failure ? { failure: result.failure } : {}),
    ...(result.removal ? { removal: result.removal } : {}),
  };
}
