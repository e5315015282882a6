/**
 * What a new user reads on the terminal: the start-up table (services, dealers, how to upload a
 * feed and fire a webhook), one progress line per import and its report, and each event the demo
 * DMS received. Secrets are printed only where the user needs them to act (the SFTP password and
 * the webhook secret of the sample commands); never in logs.
 */
import { relative } from 'node:path';
import { baseName } from '../../core/feed-bucket.js';
import { countOf, type ImportReport } from '../../core/import/report.js';
import type { DemoDmsDelivery } from './demo-dms.js';
import { stateLayout } from '../state-dir.js';
import type { DevStack, DevStackListener } from './stack.js';

export interface ConsoleWriter {
  line(text?: string): void;
}

const useColor = (stream: NodeJS.WriteStream) => stream.isTTY && !process.env.NO_COLOR;

export function createStdoutWriter(): ConsoleWriter {
  return { line: (text = '') => void process.stdout.write(`${text}\n`) };
}

function styles(enabled: boolean) {
  const wrap = (code: string) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: wrap('1'), dim: wrap('2'), green: wrap('32'), yellow: wrap('33'), red: wrap('31'), cyan: wrap('36') };
}

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    `${indent}${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]! + 2))).join('')}`.trimEnd(),
  );
}

const shortPath = (cwd: string, path: string) => {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
};

type Styles = ReturnType<typeof styles>;
type StartupInput = { cwd: string; elapsedMs: number; color?: boolean };

/** The start-up banner and table. */
export function startupLines(stack: DevStack, input: StartupInput): string[] {
  const s = styles(input.color ?? false);
  return [
    s.bold(`wayke-dms dev — the whole system on this machine, ready in ${(input.elapsedMs / 1000).toFixed(1)} s`),
    '',
    ...table(serviceRows(stack, input.cwd, s)),
    '',
    ...table(dealerRows(stack, input.cwd, s)),
    '',
    ...sampleCommandLines(stack, input.cwd, s),
    ...stateLines(stack, input.cwd, s),
  ];
}

function serviceRows(stack: DevStack, cwd: string, s: Styles): string[][] {
  const { urls } = stack;
  return [
    [s.dim('Service'), s.dim('Address'), s.dim('Stands in for')],
    ['Webhook endpoint', `${urls.api}/webhooks/wayke/{dealerId}`, 'API Gateway HTTP API + webhook Lambda'],
    ['Health', urls.health, ''],
    ['SFTP', urls.sftp ? `sftp://127.0.0.1:${stack.sftpPort}` : 'off (--no-sftp)', 'AWS Transfer Family'],
    ['S3 feed bucket', `${urls.s3}/${stack.resources.bucket}`, 'S3 (+ EventBridge notifications)'],
    ['DynamoDB', urls.dynamodb, 'DynamoDB (snapshots, dedupe)'],
    ['SQS', urls.sqs, 'SQS work queue, events FIFO queue, DLQs'],
    ['Secrets Manager', urls.secretsManager, `Secrets Manager (from ${shortPath(cwd, stack.secrets.path)})`],
    [
      'Wayke',
      urls.waykeSimulated ? `${urls.wayke} (simulator)` : `${urls.wayke} (WAYKE_* set)`,
      'Wayke dealer + media API',
    ],
    ['Demo DMS', urls.demoDms, "the dealers' DMS"],
  ];
}

/** Where a dealer's events go, in words. */
function deliveryText(delivery: DevStack['dealers'][number]['delivery']): string {
  if (delivery.kind === 'demo') return `demo DMS ${delivery.url}`;
  if (delivery.kind === 'webhook') return `DMS webhook ${delivery.url}`;
  if (delivery.kind === 'outbox') return 'outbox/ in its SFTP folder';
  return '—';
}

function dealerRows(stack: DevStack, cwd: string, s: Styles): string[][] {
  return [
    [s.dim('Dealer'), s.dim('Name'), s.dim('Sample feed'), s.dim('Events go to')],
    ...stack.dealers.map((dealer) => [
      dealer.id,
      dealer.name,
      dealer.exampleFeed ? shortPath(cwd, dealer.exampleFeed) : '—',
      deliveryText(dealer.delivery),
    ]),
  ];
}

/** How to upload a feed and fire a webhook as the first dealer (nothing without dealers). */
function sampleCommandLines(stack: DevStack, cwd: string, s: Styles): string[] {
  const first = stack.dealers[0];
  if (!first) return [];
  const secret = stack.secrets.secrets[first.id]!;
  const lines: string[] = [];
  if (stack.sftpPort !== null) {
    lines.push(s.bold('Upload a feed') + s.dim(' (imported within seconds; the report lands in reports/)'));
    lines.push(
      `  sftp -P ${stack.sftpPort} ${first.id}@127.0.0.1        password: ${secret.sftpPassword ?? '(key only)'}`,
    );
    lines.push(`  sftp> put ${first.exampleFeed ? shortPath(cwd, first.exampleFeed) : 'my-feed.csv'} inbound/`);
    lines.push(
      s.dim(`  host key ${stack.sftpFingerprint}; every dealer's password is in ${shortPath(cwd, stack.secrets.path)}`),
    );
    lines.push('');
  }
  lines.push(s.bold('Fire a webhook') + s.dim(' (as Wayke does; answered 200 once queued)'));
  const ad = adOf(stack, first.branchId);
  lines.push(
    ad
      ? webhookCurlLine(stack.urls.api, first.id, secret.webhookSecret, ad)
      : s.dim(`  (a curl line naming one of ${first.id}'s ads is printed once the first import has created them)`),
  );
  lines.push('');
  return lines;
}

/** Where the state is kept, and what this start found or changed there. */
function stateLines(stack: DevStack, cwd: string, s: Styles): string[] {
  const secretsPath = shortPath(cwd, stack.secrets.path);
  const lines = [
    s.dim(
      `State: ${shortPath(cwd, stack.dataDir)}/ (kept across restarts) · secrets: ${secretsPath}${stack.secrets.created ? ' (created now)' : ''} · Ctrl-C stops`,
    ),
    s.dim(
      `Lambda logs (JSON, as CloudWatch would hold them): ${shortPath(cwd, stateLayout(stack.dataDir).handlerLog)} · --verbose shows them here too`,
    ),
  ];
  if (!stack.urls.waykeSimulated) {
    lines.push(
      s.yellow(
        `Using the Wayke at ${stack.urls.wayke} (WAYKE_* set): sample feeds are not imported automatically, and each dealer's waykeClientId/waykeClientSecret in ${secretsPath} must be real.`,
      ),
    );
  }
  if (stack.secrets.added.length)
    lines.push(s.dim(`New random secrets were added to ${secretsPath} for ${stack.secrets.added.join(', ')}.`));
  if (stack.restoredMessages > 0)
    lines.push(
      s.dim(`${stack.restoredMessages} queued message(s) kept at the last stop were put back in their queues.`),
    );
  lines.push(...simulatorStateLines(stack, cwd, s));
  return lines;
}

function simulatorStateLines(stack: DevStack, cwd: string, s: Styles): string[] {
  if (stack.snapshotReset)
    return [
      s.dim(
        "The Wayke simulator had no saved state: the local Wayke snapshot was reset and each dealer's last feed is imported again.",
      ),
    ];
  if (stack.simulatorState?.restored)
    return [
      s.dim(
        `The Wayke simulator continues from ${shortPath(cwd, stack.simulatorState.file)} (${stack.simulatorState.ads} ads); feeds it has imported are not imported again.`,
      ),
    ];
  return [];
}

/** A simulated ad's plate as text (the simulator keeps what the client sent, which may be no string). */
export function plateText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** A published ad of the branch in the simulator (else any of its ads), to name in a curl line. */
export function adOf(
  stack: Pick<DevStack, 'simulator'>,
  branchId: string,
): { id: string; registrationNumber: string } | undefined {
  const ads = Object.values(stack.simulator?.state().ads ?? {}).filter((ad) => ad.branch === branchId);
  const ad = ads.find((entry) => entry.status === 'Published') ?? ads[0];
  return ad ? { id: ad.id, registrationNumber: plateText(ad.vehicle.registrationNumber) } : undefined;
}

/** The curl line that fires a vehicle-updated webhook for an ad that exists, so the DMS gets the car. */
export function webhookCurlLine(
  apiUrl: string,
  dealerId: string,
  webhookSecret: string,
  ad: { id: string; registrationNumber: string },
): string {
  const body = JSON.stringify({ id: ad.id, registrationNumber: ad.registrationNumber, status: 'Published' });
  return `  curl -i -X POST ${apiUrl}/webhooks/wayke/${dealerId} -H 'authorization: Bearer ${webhookSecret}' -H 'content-type: application/json' --data '${body}'`;
}

/** One line per dealer report (plus the rows it rejected and the ads that failed). */
export function reportLines(report: ImportReport, color = false): string[] {
  const s = styles(color);
  const source = report.source ? report.source.replace(/^feeds\/[^/]+\//, '') : 'no new file';
  const { error } = report.feed;
  if (error)
    return [
      ...supersededLines(report, s),
      `${s.red('✗')} ${report.dealer}: ${source} rejected as a whole (${error.code}): ${error.message} — nothing changed in Wayke`,
    ];
  const lines = [...supersededLines(report, s), reportSummaryLine(report, source, s)];
  if (report.stopped)
    lines.push(
      `    stopped: ${report.stopped.reason} (${countOf(report.stopped.vehicles, 'vehicle')} not changed; retried next run)`,
    );
  if (report.blocked)
    lines.push(
      `    removals blocked: the feed would remove ${report.blocked.wouldRemove} ads, the limit is ${report.blocked.limit}`,
    );
  lines.push(...reportDetailLines(report, s));
  return lines;
}

const appliedCount = (report: ImportReport) => report.created + report.updated + report.removed + report.republished;

/**
 * A run that applied nothing it tried: every change it sent failed, or no vehicle was read because
 * every row was rejected. Such a run did not do its job, whatever else it counted.
 */
export function appliedNothing(report: ImportReport): boolean {
  if (report.failed.length > 0) return appliedCount(report) === 0;
  return report.feed.vehicles === 0 && report.rejected.length > 0;
}

/** What {@link appliedNothing} found, with the count. */
function nothingAppliedText(report: ImportReport): string {
  return report.failed.length > 0
    ? `nothing applied: all ${countOf(report.failed.length, 'change')} failed`
    : `nothing read: all ${countOf(report.rejected.length, 'row')} rejected`;
}

/** One line per older upload this run archived unread because a newer one was waiting. */
function supersededLines(report: ImportReport, s: Styles): string[] {
  const newer = report.source ? baseName(report.source) : 'a newer file';
  return (report.superseded ?? []).map((key) =>
    s.dim(`– ${report.dealer}: ${baseName(key)} superseded by ${newer}, archived without import`),
  );
}

/** ✗ a stopped run or one that applied nothing, ! removals blocked, a yellow ✓ done with problems, a green ✓ clean. */
function markOf(report: ImportReport, problems: boolean, s: Styles): string {
  if (report.stopped || appliedNothing(report)) return s.red('✗');
  if (report.blocked) return s.yellow('!');
  return problems ? s.yellow('✓') : s.green('✓');
}

function reportSummaryLine(report: ImportReport, source: string, s: Styles): string {
  const feed = report.feed;
  const format = feed.format ? `${feed.format}${feed.encoding ? `/${feed.encoding}` : ''}` : '';
  const counts = `${report.created} created, ${report.updated} updated, ${report.removed} removed, ${report.republished} republished, ${report.unchanged} unchanged`;
  const problems = [
    report.stopped ? 'stopped' : '',
    !report.stopped && appliedNothing(report) ? nothingAppliedText(report) : '',
    report.failed.length ? `${report.failed.length} failed (retried next run)` : '',
    report.rejected.length ? `${countOf(report.rejected.length, 'row')} rejected` : '',
    report.heldInWayke?.length ? `${report.heldInWayke.length} held in Wayke (online sale)` : '',
    report.drift?.length ? `${report.drift.length} changed by hand in Wayke` : '',
  ].filter(Boolean);
  const mark = markOf(report, problems.length > 0, s);
  return `${mark} ${report.dealer}: ${source}${format ? ` (${format})` : ''} — ${countOf(feed.vehicles, 'vehicle')}: ${counts}${problems.length ? ` · ${problems.join(', ')}` : ''}`;
}

/** The first five rejected rows and failed ads. */
function reportDetailLines(report: ImportReport, s: Styles): string[] {
  const lines: string[] = [];
  for (const row of report.rejected.slice(0, 5)) {
    lines.push(
      s.dim(
        `    row ${row.row}${row.registrationNumber ? ` (${row.registrationNumber})` : ''}: ${row.errors.map((error) => `${error.field}: ${error.message}`).join('; ')}`,
      ),
    );
  }
  if (report.rejected.length > 5) lines.push(s.dim(`    … ${report.rejected.length - 5} more in reports/latest.txt`));
  for (const failure of report.failed.slice(0, 5))
    lines.push(s.dim(`    ${failure.registrationNumber} (${failure.action}): ${failure.error}`));
  return lines;
}

/** Why an announced import of a dealer ended without a report, in words. */
function skippedBecause(trigger: string, behindRunningImport: boolean): string {
  if (!behindRunningImport)
    return 'nothing to import (no new feed since the last run, or another import of it is running)';
  return trigger === 'upload'
    ? 'the upload waits for the import of it that is running, which takes the newest upload before it ends'
    : 'an import of it is already running';
}

/** Wires the stack's events to console lines; vehicle.updated deliveries are summed per dealer. */
export function consoleListener(writer: ConsoleWriter, color = false): DevStackListener & { flush(): void } {
  const s = styles(color);
  const pendingUpdates = new Map<string, { count: number; last?: string; rejected: number }>();
  const pendingOutbox = new Map<string, { count: number; kinds: Map<string, number>; last: string }>();
  let timer: NodeJS.Timeout | null = null;
  const schedule = () => {
    if (!timer) timer = setTimeout(flush, 3000);
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    for (const [dealerId, entry] of pendingOutbox) {
      const kinds = [...entry.kinds].map(([kind, count]) => `${count} ${kind}`).join(', ');
      writer.line(
        `${s.cyan('→')} outbox ← ${dealerId}: ${kinds} event file${entry.count === 1 ? '' : 's'} written to outbox/ (visible over SFTP)`,
      );
    }
    pendingOutbox.clear();
    for (const [dealerId, entry] of pendingUpdates) {
      writer.line(
        `${s.cyan('→')} demo DMS ← ${dealerId}: ${entry.count} vehicle.updated event${entry.count === 1 ? '' : 's'}, signature verified${entry.last ? ` (last ${entry.last})` : ''}${entry.rejected ? s.red(` · ${entry.rejected} with a bad signature`) : ''}`,
      );
    }
    pendingUpdates.clear();
  };
  return {
    flush,
    importStarted({ dealerId, trigger, key }) {
      writer.line(s.dim(`… importing ${dealerId} (${trigger}${key ? `: ${key.replace(/^feeds\/[^/]+\//, '')}` : ''})`));
    },
    report(report: ImportReport) {
      for (const line of reportLines(report, color)) writer.line(line);
    },
    importSkipped({ dealerId, trigger, behindRunningImport }) {
      writer.line(s.dim(`– ${dealerId}: ${skippedBecause(trigger, behindRunningImport)}`));
    },
    importFailed({ dealerId, error }) {
      writer.line(`${s.red('✗')} ${dealerId}: import failed, it will be retried: ${error}`);
    },
    dmsEndpointFailing({ dealerId, since }) {
      writer.line(
        `${s.red('!')} ${dealerId}: the DMS endpoint has been failing since ${since} (DmsEndpointFailing; the stack's alarm would fire). Deliveries are retried by the schedule.`,
      );
    },
    deadLetters({ queue, count, redrive }) {
      const what =
        queue === 'events' ? 'webhook event(s) the DMS writer gave up on' : 'import job(s) that failed every attempt';
      writer.line(
        `${s.red('!')} ${count} ${what} in the ${queue} DLQ (the stack's alarm would fire). Once fixed, move them back with:`,
      );
      writer.line(s.dim(`    ${redrive}`));
    },
    upload({ dealerId, key, size }) {
      writer.line(`${s.cyan('↑')} SFTP upload by ${dealerId}: ${key.replace(/^feeds\/[^/]+\//, '')} (${size} bytes)`);
    },
    outbox({ dealerId, key }) {
      // outbox/<timestamp>-<kind>-<event id>.json; files arrive in bursts (one per ad at import)
      const name = key.replace(/^feeds\/[^/]+\//, '');
      const kind = /^outbox\/\d{8}T\d{9}Z-([a-z.]+)-/.exec(name)?.[1] ?? 'event';
      const entry = pendingOutbox.get(dealerId) ?? { count: 0, kinds: new Map<string, number>(), last: name };
      entry.count += 1;
      entry.kinds.set(kind, (entry.kinds.get(kind) ?? 0) + 1);
      entry.last = name;
      pendingOutbox.set(dealerId, entry);
      schedule();
    },
    delivery(delivery: DemoDmsDelivery) {
      if (delivery.type === 'vehicle.updated') {
        const entry = pendingUpdates.get(delivery.dealerId) ?? { count: 0, rejected: 0 };
        if (delivery.verified) entry.count += 1;
        else entry.rejected += 1;
        if (delivery.registrationNumber) entry.last = delivery.registrationNumber;
        pendingUpdates.set(delivery.dealerId, entry);
        schedule();
        return;
      }
      const what = `${delivery.type ?? 'event'}${delivery.registrationNumber ? ` ${delivery.registrationNumber}` : ''}`;
      if (!delivery.verified) {
        writer.line(`${s.red('✗')} demo DMS refused ${what} for ${delivery.dealerId}: ${delivery.problem}`);
        return;
      }
      writer.line(
        `${s.green('✓')} demo DMS ← ${delivery.dealerId}: ${what} (id ${delivery.webhookId}), signature verified${delivery.duplicate ? ' — a redelivery of an event already accepted' : ''}`,
      );
    },
  };
}

export { useColor };
