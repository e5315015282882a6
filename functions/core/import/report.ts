import type { Market } from '../dealer-config.js';
import { parseFeedKey } from '../feed-bucket.js';
import type { MileageUnit } from '../feed/fields.js';
import type { RejectedRow } from '../feed/index.js';
import type { Blocked } from './plan.js';
import { feedErrorSv, fieldSv, reasonSv } from './reasons-sv.js';
import type { StoppedRun } from './run-stop.js';

/**
 * The run report: what the CLI prints with `--json`, what lands in the dealer's `reports/` folder
 * (with the run's identity added), and its short human text in Swedish and English.
 */

export interface FailedVehicle {
  readonly registrationNumber: string;
  readonly action: 'create' | 'update' | 'remove' | 'republish';
  readonly error: string;
}

/**
 * A vehicle left alone because Wayke's online sale holds it: `reserved` or `sold` as Wayke shows
 * it, `refused` when Wayke answered a change with a conflict (a reservation won the race).
 */
export interface HeldVehicle {
  readonly registrationNumber: string;
  readonly reason: 'reserved' | 'sold' | 'refused';
}

/** Fields whose value in Wayke differs from what the import last sent: edited by hand in Wayke. */
export interface DriftedVehicle {
  readonly registrationNumber: string;
  readonly fields: readonly string[];
}

/** A row the feed reader refused, as the report lists it (declared by the reader). */
export type { RejectedRow } from '../feed/index.js';

export interface FeedSummary {
  readonly format: 'csv' | 'xml' | 'json' | null;
  readonly encoding: string | null;
  readonly vehicles: number;
  readonly rejected: number;
  /** Set when the feed was rejected as a whole: nothing from it was used. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** The outcome of one import, exactly the shape of `wayke-dms import --json`. */
export interface ImportSummary {
  readonly dealer: string;
  readonly feed: FeedSummary;
  readonly created: number;
  readonly updated: number;
  readonly removed: number;
  readonly republished: number;
  readonly unchanged: number;
  readonly failed: readonly FailedVehicle[];
  readonly rejected: readonly RejectedRow[];
  readonly blocked: Blocked | null;
  /** Plates unreadable rows may hold (a ragged row, rows swallowed by a stray quote): kept listed. */
  readonly inDoubt?: readonly string[];
  /**
   * The unit the dealer reads mileage in (its market's), in which the report states every mileage
   * (`rejected` reasons included). Absent in reports written before units were per dealer.
   */
  readonly mileageUnit?: MileageUnit;
  /** The dealer's Wayke market, which decides {@link mileageUnit} (absent in older reports, as it). */
  readonly market?: Market;
  /** Vehicles Wayke's online sale holds, left alone (absent when none). */
  readonly heldInWayke?: readonly HeldVehicle[];
  /** Hand edits found in Wayke, per vehicle (absent when none). */
  readonly drift?: readonly DriftedVehicle[];
  /**
   * Set when the run stopped at a failure no vehicle gets past (refused credentials, a wrong
   * setting): the reason, once, and how many vehicles it left undone (retried by the next run).
   */
  readonly stopped?: StoppedRun;
}

/** What the report files hold: the summary plus where and when. */
export interface ImportReport extends ImportSummary {
  readonly runId: string;
  readonly at: string;
  readonly trigger: string;
  /** The feed's name (object key, URL or path). */
  readonly source: string | null;
  /** Where the feed went after the run (`archive/…`, `rejected/…`), if it moved. */
  readonly movedTo: string | null;
  /** The run retried only the vehicles that failed last time, from the archived feed. */
  readonly retry: boolean;
  /** Older files waiting with this one: archived as superseded, never imported. */
  readonly superseded?: readonly string[];
}

/**
 * Exit status of `import`/`plan`: 2 feed rejected or the run stopped (credentials, a setting), 3
 * removals blocked, 1 rows rejected or vehicles failed, else 0.
 */
export function exitStatus(
  summary: Pick<ImportSummary, 'feed' | 'failed' | 'rejected' | 'blocked' | 'stopped'>,
): 0 | 1 | 2 | 3 {
  if (summary.feed.error || summary.stopped) return 2;
  if (summary.blocked) return 3;
  if (summary.failed.length > 0 || summary.rejected.length > 0) return 1;
  return 0;
}

const MAX_LISTED = 20;

function list<T>(items: readonly T[], line: (item: T) => string, more: (n: number) => string): string[] {
  const lines = items.slice(0, MAX_LISTED).map((item) => `  - ${line(item)}`);
  if (items.length > MAX_LISTED) lines.push(`  ${more(items.length - MAX_LISTED)}`);
  return lines;
}

/** The dealer's market and the unit every mileage in the report is in (none in an older report). */
function unitLines(report: ImportReport): { sv: string[]; en: string[] } {
  if (!report.mileageUnit || !report.market) return { sv: [], en: [] };
  return {
    sv: [`Marknad ${report.market}: mätarställning anges i ${report.mileageUnit}`],
    en: [`Market ${report.market}: mileage is given in ${report.mileageUnit}`],
  };
}

const HELD_SV: Readonly<Record<HeldVehicle['reason'], string>> = {
  reserved: 'reserverad i Waykes onlineförsäljning',
  sold: 'såld i Waykes onlineförsäljning',
  refused: 'Wayke vägrade ändringen (reserverad eller såld just nu)',
};
const HELD_EN: Readonly<Record<HeldVehicle['reason'], string>> = {
  reserved: "reserved in Wayke's online sale",
  sold: "sold in Wayke's online sale",
  refused: 'Wayke refused the change (reserved or sold just now)',
};

/** The held and hand-edited vehicles, in both languages. */
function heldAndDriftLines(report: ImportReport, sv: string[], en: string[]): void {
  const held = report.heldInWayke ?? [];
  if (held.length > 0) {
    sv.push(
      'Lämnade orörda (Wayke håller dem):',
      ...list(
        held,
        (h) => `${h.registrationNumber}: ${HELD_SV[h.reason]}`,
        (n) => `… och ${n} till`,
      ),
    );
    en.push(
      'Left alone (Wayke holds them):',
      ...list(
        held,
        (h) => `${h.registrationNumber}: ${HELD_EN[h.reason]}`,
        (n) => `… and ${n} more`,
      ),
    );
  }
  const drift = report.drift ?? [];
  if (drift.length > 0) {
    sv.push(
      'Ändrade för hand i Wayke:',
      ...list(
        drift,
        (d) => `${d.registrationNumber}: ${d.fields.map(fieldSv).join(', ')}`,
        (n) => `… och ${n} till`,
      ),
    );
    en.push(
      'Changed by hand in Wayke:',
      ...list(
        drift,
        (d) => `${d.registrationNumber}: ${d.fields.join(', ')}`,
        (n) => `… and ${n} more`,
      ),
    );
  }
}

/** A stopped run, in both languages: the reason is the adapter's words (identifiers and settings only). */
function stoppedLines(stopped: StoppedRun, sv: string[], en: string[]): void {
  sv.push(
    `STOPPAT: körningen avbröts, inget fordon kommer förbi detta tills det är åtgärdat: ${stopped.reason}`,
    `${stopped.vehicles} fordon ändrades inte; nästa körning försöker igen.`,
  );
  en.push(
    `STOPPED: the run was stopped, no vehicle gets past this until it is fixed: ${stopped.reason}`,
    `${countOf(stopped.vehicles, 'vehicle')} ${stopped.vehicles === 1 ? 'was' : 'were'} not changed; the next run tries again.`,
  );
}

/** `1 row`, `2 rows`: an English count with its noun. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `1 rad avvisad`, `2 rader avvisade`. */
const rowsRejectedSv = (count: number) => (count === 1 ? '1 rad avvisad' : `${count} rader avvisade`);

/** A bucket key as the dealer's SFTP folder shows it (`archive/…`); any other name as it is. */
const dealerPath = (key: string) => {
  const parsed = parseFeedKey(key);
  return parsed ? `${parsed.folder}/${parsed.name}` : key;
};

/**
 * The file line: where the feed is now (`archive/…` or `rejected/…` once the run moved it, so the
 * dealer finds it there), and the name it was uploaded as.
 */
function fileLines(report: ImportReport): { sv: string; en: string } {
  if (!report.source) return { sv: 'Fil: —', en: 'File: —' };
  const source = dealerPath(report.source);
  if (!report.movedTo) return { sv: `Fil: ${source}`, en: `File: ${source}` };
  const now = dealerPath(report.movedTo);
  return { sv: `Fil: ${now} (inskickad som ${source})`, en: `File: ${now} (uploaded as ${source})` };
}

/** The short human report (`latest.txt`): Swedish first, then English. Plates and fields only. */
export function reportText(report: ImportReport): string {
  const when = report.at
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
    .replace(/Z$/, ' UTC');
  const feed = report.feed;
  const file = fileLines(report);
  const sv: string[] = [`Wayke-import för ${report.dealer}, ${when}`, file.sv];
  const en: string[] = [`Wayke import for ${report.dealer}, ${when}`, file.en];
  if (feed.error) {
    sv.push(
      `Filen avvisades i sin helhet (${feed.error.code}): ${feedErrorSv(feed.error.code, feed.error.message)}`,
      'Ingenting ändrades hos Wayke.',
    );
    en.push(
      `The file was rejected as a whole (${feed.error.code}): ${feed.error.message}`,
      'Nothing was changed in Wayke.',
    );
  } else {
    const fmt = `${feed.format ?? '?'}${feed.encoding ? `, ${feed.encoding}` : ''}`;
    sv.push(`Läst: ${feed.vehicles} fordon (${fmt}), ${rowsRejectedSv(feed.rejected)}`);
    en.push(`Read: ${countOf(feed.vehicles, 'vehicle')} (${fmt}), ${countOf(feed.rejected, 'row')} rejected`);
    const units = unitLines(report);
    sv.push(...units.sv);
    en.push(...units.en);
    sv.push(
      `Nya ${report.created} · uppdaterade ${report.updated} · borttagna ${report.removed} · återpublicerade ${report.republished} · oförändrade ${report.unchanged} · misslyckade ${report.failed.length}`,
    );
    en.push(
      `Created ${report.created} · updated ${report.updated} · removed ${report.removed} · republished ${report.republished} · unchanged ${report.unchanged} · failed ${report.failed.length}`,
    );
  }
  if (report.stopped) stoppedLines(report.stopped, sv, en);
  if (report.blocked) {
    sv.push(
      `STOPPAT: filen skulle ta bort ${report.blocked.wouldRemove} annonser, gränsen är ${report.blocked.limit}. Inga annonser togs bort.`,
      'Stämmer det? Kontakta oss för ett godkännande, annars skicka en komplett fil.',
    );
    en.push(
      `BLOCKED: the file would remove ${report.blocked.wouldRemove} ads, the limit is ${report.blocked.limit}. No ads were removed.`,
      'If that is intended, ask for an approval; otherwise send a complete file.',
    );
  }
  if (report.failed.length > 0) {
    sv.push(
      'Misslyckades (försöks igen nästa körning):',
      ...list(
        report.failed,
        (f) => `${f.registrationNumber} (${f.action}): ${f.error}`,
        (n) => `… och ${n} till`,
      ),
    );
    en.push(
      'Failed (retried on the next run):',
      ...list(
        report.failed,
        (f) => `${f.registrationNumber} (${f.action}): ${f.error}`,
        (n) => `… and ${n} more`,
      ),
    );
  }
  heldAndDriftLines(report, sv, en);
  if (report.superseded && report.superseded.length > 0) {
    const name = (key: string) => key.slice(key.lastIndexOf('/') + 1);
    sv.push(
      'Äldre filer som väntade ersattes av den här och arkiverades utan import:',
      ...list(report.superseded, name, (n) => `… och ${n} till`),
    );
    en.push(
      'Older waiting files were superseded by this one and archived without import:',
      ...list(report.superseded, name, (n) => `… and ${n} more`),
    );
  }
  if (report.inDoubt && report.inDoubt.length > 0) {
    sv.push(`Ligger kvar som de är (rader som inte kunde läsas kan innehålla dem): ${report.inDoubt.join(', ')}`);
    en.push(`Kept listed as they are (rows that could not be read may hold them): ${report.inDoubt.join(', ')}`);
  }
  if (report.rejected.length > 0) {
    const row = (r: RejectedRow, word: string, reason: (e: RejectedRow['errors'][number]) => string) =>
      `${word} ${r.row}${r.registrationNumber ? ` (${r.registrationNumber})` : ''}: ${r.errors.map(reason).join('; ')}`;
    // CSV rows carry the number a spreadsheet shows; say so where the numbers are.
    const csv = report.feed.format === 'csv';
    sv.push(
      `Avvisade rader${csv ? ' (radnummer som i ett kalkylark, rubrikraden är rad 1)' : ''}:`,
      ...list(
        report.rejected,
        (r) => row(r, 'rad', (e) => `${fieldSv(e.field)}: ${e.messageSv ?? reasonSv(e.message)}`),
        (n) => `… och ${n} till`,
      ),
    );
    en.push(
      `Rejected rows${csv ? ' (row numbers as a spreadsheet shows them, the header is row 1)' : ''}:`,
      ...list(
        report.rejected,
        (r) => row(r, 'row', (e) => `${e.field}: ${e.message}`),
        (n) => `… and ${n} more`,
      ),
    );
  }
  return `${sv.join('\n')}\n\n${en.join('\n')}\n`;
}
