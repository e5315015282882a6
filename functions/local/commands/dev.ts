/**
 * `wayke-dms dev` (= `npm start`): the whole system on this machine — the same Lambda handlers
 * and adapters as in AWS, on embedded engines that speak the same protocols. See
 * `functions/local/dev/stack.ts` for what runs.
 */
import { parseRetrySchedule } from '../../core/events/retry-schedule.js';
import { parseArgs } from 'node:util';
import { createLogger } from '../../adapters/logger.js';
import { ConfigError } from '../../core/errors.js';
import {
  consoleListener,
  createStdoutWriter,
  plateText,
  reportLines,
  startupLines,
  useColor,
  webhookCurlLine,
} from '../dev/console.js';
import { startDevStack, type DevStack } from '../dev/stack.js';
import { DevStartError } from '../dev/start-failure.js';

export const help = `Usage: wayke-dms dev [options]        (npm start)

Runs the whole system on this machine without an AWS account or Wayke credentials: S3, DynamoDB,
SQS and Secrets Manager stand-ins in this process, an SFTP server, the hourly and on-upload
imports, the webhook endpoint, the Wayke simulator and a demo DMS. The Lambda handlers run
unchanged; they reach the engines through AWS_ENDPOINT_URL_* like any AWS SDK client.

Options:
  --config <file>     Dealer config (default config/dealers.example.json)
  --port <n>          Webhook endpoint and /health port (default 3000; 0 = any free port)
  --sftp-port <n>     SFTP port (default 2222; 0 = any free port)
  --no-sftp           Do not start the SFTP server
  --wayke-port <n>    Wayke simulator port (default 4010; 0 = any free port)
  --dms-port <n>      Demo DMS port (default 4020; 0 = any free port)
  --data <dir>        All local state (default ./.wayke-dms): S3 objects, DynamoDB tables,
                      secrets.json, the SFTP host key, messages still queued at Ctrl-C
  --once              Start, import every dealer once, print the reports, stop — for scripts
                      and CI (exit 0; 1 when a dealer's import failed or did not finish)
  --timeout <s>       With --once: give up waiting for reports after this long (default 120)
  --no-demo           Do not simulate a purchase after the first import
  --dms-retry-schedule <delays>
                      Delays after each failed DMS delivery, e.g. 1s,1s,1s,5s (units s, m, h;
                      default 5s,30s,2m,5m,30m,1h,2h,5h,10h,10h as deployed)
  --verbose           Handler and runtime logs at INFO (default WARN); the handlers' JSON log
                      lines always go to <data>/logs/lambda.log, with --verbose also here
  -h, --help          This text

Environment:
  WAYKE_AUTH_URL, WAYKE_DEALER_API_URL, WAYKE_MEDIA_API_URL
                      Use this Wayke (test or production) instead of the simulator, with each
                      dealer's waykeClientId/waykeClientSecret from <data>/secrets.json. Sample
                      feeds are then not imported automatically.

For scripts: GET http://127.0.0.1:<port>/health answers 503 while starting and 200 with every
service's address once all are up (also written to <data>/endpoints.json).`;

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`${flag} must be a port number (0–65535), got "${value}"`);
  return port;
}

function retryScheduleOption(value: string): number[] {
  try {
    return parseRetrySchedule(value);
  } catch (error) {
    throw new ConfigError(`--dms-retry-schedule: ${(error as Error).message}`);
  }
}

function realWayke(): { authUrl: string; dealerApiUrl: string; mediaApiUrl: string } | undefined {
  const authUrl = process.env.WAYKE_AUTH_URL;
  const dealerApiUrl = process.env.WAYKE_DEALER_API_URL;
  const mediaApiUrl = process.env.WAYKE_MEDIA_API_URL;
  const set = [authUrl, dealerApiUrl, mediaApiUrl].filter(Boolean).length;
  if (set === 0) return undefined;
  if (set < 3)
    throw new ConfigError(
      'Set all three of WAYKE_AUTH_URL, WAYKE_DEALER_API_URL and WAYKE_MEDIA_API_URL to use a real Wayke, or none to use the simulator',
    );
  return { authUrl: authUrl!, dealerApiUrl: dealerApiUrl!, mediaApiUrl: mediaApiUrl! };
}

async function demoPurchase(stack: DevStack, write: (text: string) => void): Promise<void> {
  const simulator = stack.simulator;
  if (!simulator) return;
  const ads = Object.values(simulator.state().ads);
  const dealer =
    stack.dealers.find(
      (entry) =>
        entry.delivery.kind === 'demo' && ads.some((ad) => ad.branch === entry.branchId && ad.status === 'Published'),
    ) ?? stack.dealers.find((entry) => ads.some((ad) => ad.branch === entry.branchId));
  if (!dealer) return;
  const ad =
    ads.find((entry) => entry.branch === dealer.branchId && entry.status === 'Published') ??
    ads.find((entry) => entry.branch === dealer.branchId)!;
  const plate = plateText(ad.vehicle.registrationNumber);
  write('');
  write(`Simulating a purchase in Wayke: ${dealer.id} signs the purchase contract (Inköpsavtal) for ${plate}`);
  write('  webhook → SQS FIFO → DMS writer (ad fetched from Wayke) → signed delivery to the DMS');
  write(
    `  again: curl -X POST ${simulator.url}/_admin/ads/${ad.id}/process -H 'content-type: application/json' -d '{"processName":"Inköpsavtal","stepName":"Inköpsavtal","state":"completed"}'`,
  );
  const secret = stack.secrets.secrets[dealer.id];
  if (secret)
    write(
      `  a vehicle-updated webhook for it:\n${webhookCurlLine(stack.urls.api, dealer.id, secret.webhookSecret, { id: ad.id, registrationNumber: plate })}`,
    );
  await simulator.triggerProcessEvent(ad.id, {
    processName: 'Inköpsavtal',
    stepName: 'Inköpsavtal',
    state: 'completed',
    executedBy: 'Kontrakt',
  });
}

/**
 * Powertools Metrics warns on stderr after every invocation that added no metric (most webhook
 * calls). Locally, with metrics off, that line says nothing and drowns the console; drop it only.
 */
function muteEmptyMetricsWarning(): void {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('No application metrics to publish.')) return true;
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  };
}

/** Of `--once`'s `--timeout`, what is kept for draining the queues and stopping the engines. */
const ONCE_STOP_RESERVE_MS = 5000;

/**
 * `--once` is for scripts and CI: whatever happens (an engine that never answers, a stop that
 * hangs), the process ends within `--timeout` with exit status 1. Returns the deadline.
 */
function startOnceWatchdog(timeoutSeconds: number): number {
  const deadline = Date.now() + timeoutSeconds * 1000;
  setTimeout(() => {
    process.stderr.write(`wayke-dms dev --once: not finished within --timeout ${timeoutSeconds} s; stopping.\n`);
    process.exit(1);
  }, timeoutSeconds * 1000).unref();
  return deadline;
}

const DEV_OPTIONS = {
  config: { type: 'string', default: 'config/dealers.example.json' },
  port: { type: 'string', default: '3000' },
  'sftp-port': { type: 'string', default: '2222' },
  sftp: { type: 'boolean', default: true },
  'wayke-port': { type: 'string', default: '4010' },
  'dms-port': { type: 'string', default: '4020' },
  data: { type: 'string', default: '.wayke-dms' },
  once: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '120' },
  demo: { type: 'boolean', default: true },
  verbose: { type: 'boolean', default: false },
  'dms-retry-schedule': { type: 'string' },
} as const;

const parseDevArgs = (args: string[]) => parseArgs({ args, allowNegative: true, options: DEV_OPTIONS }).values;
type DevValues = ReturnType<typeof parseDevArgs>;
type Writer = ReturnType<typeof createStdoutWriter>;
type Log = ReturnType<typeof createLogger>;
type Listener = ReturnType<typeof consoleListener>;

/** The console's listener, also noting which dealers' imports failed (for `--once`'s summary). */
function failureTrackingListener(consoleEvents: Listener, failedImports: Set<string>): Listener {
  return {
    ...consoleEvents,
    importFailed(input) {
      failedImports.add(input.dealerId);
      consoleEvents.importFailed?.(input);
    },
  };
}

function timeoutOption(value: string): number {
  const timeoutSeconds = Number(value);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new ConfigError(`--timeout must be a positive number of seconds, got "${value}"`);
  return timeoutSeconds;
}

/** The stack's settings from the command line and the environment. */
function stackOptions(values: DevValues, log: Log, listener: Listener): Parameters<typeof startDevStack>[0] {
  return {
    configPath: values.config,
    dataDir: values.data,
    cwd: process.cwd(),
    port: parsePort(values.port, '--port'),
    sftpPort: values.sftp ? parsePort(values['sftp-port'], '--sftp-port') : null,
    simulatorPort: parsePort(values['wayke-port'], '--wayke-port'),
    dmsPort: parsePort(values['dms-port'], '--dms-port'),
    wayke: realWayke(),
    seedExamples: true,
    schedule: !values.once,
    handlerLogLevel: values.verbose ? 'INFO' : undefined,
    ...(values['dms-retry-schedule'] !== undefined
      ? { dmsRetrySchedule: retryScheduleOption(values['dms-retry-schedule']) }
      : {}),
    log,
    // --once prints the reports together at the end.
    events: values.once
      ? { ...listener, report: () => undefined, importStarted: () => undefined, importSkipped: () => undefined }
      : listener,
  };
}

/** The exit status for a stack that did not start, after saying why. */
function startFailureStatus(error: unknown): number {
  if (error instanceof DevStartError) {
    process.stderr.write(`wayke-dms dev: ${error.message}\nNothing was left running.\n`);
    return 1;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`wayke-dms dev: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`wayke-dms dev: could not start: ${(error as Error).stack ?? String(error)}\n`);
  return 1;
}

function printStartup(stack: DevStack, writer: Writer, color: boolean): void {
  for (const line of startupLines(stack, {
    cwd: process.cwd(),
    elapsedMs:
      performance.now() /* since process start: includes loading Node, the CLI bundle (or tsx, from the sources) and the SDK */,
    color,
  }))
    writer.line(line);
  writer.line('');
  if (stack.seeded.length) writer.line(`Importing the sample feeds of ${stack.seeded.join(', ')} …`);
  else writer.line('Running the start-up import …');
}

interface OnceRun {
  readonly stack: DevStack;
  readonly firstRun: Promise<unknown>;
  readonly since: Date;
  readonly deadline: number;
  readonly listener: Listener;
  readonly failedImports: ReadonlySet<string>;
  readonly writer: Writer;
  readonly color: boolean;
}

/** `--once`: waits for the start-up import's reports and deliveries, stops, prints every dealer's outcome. */
async function finishOnce(run: OnceRun): Promise<number> {
  const { stack, writer } = run;
  await run.firstRun;
  const remaining = () => Math.max(0, run.deadline - Date.now());
  // Keep a few seconds of the --timeout for draining and stopping.
  const reports = await stack.waitForReports(run.since, Math.max(1000, remaining() - ONCE_STOP_RESERVE_MS));
  // Let the webhook deliveries the import caused finish too: SQS lives in memory here.
  const settled = await stack.drained(Math.min(30_000, Math.max(0, remaining() - ONCE_STOP_RESERVE_MS / 2)));
  await stack.stop();
  run.listener.flush();
  writer.line('');
  let failed = 0;
  for (const dealer of stack.dealers) {
    const report = reports.get(dealer.id);
    if (report) {
      for (const line of reportLines(report, run.color)) writer.line(line);
    } else if (run.failedImports.has(dealer.id) || !settled) {
      failed += 1;
      writer.line(
        `✗ ${dealer.id}: the import ${run.failedImports.has(dealer.id) ? 'failed' : 'did not finish in time'}; see the log above`,
      );
    } else {
      writer.line(`– ${dealer.id}: no new feed, nothing to import (upload one into inbound/ over SFTP)`);
    }
  }
  writer.line('');
  writer.line(
    `Done in ${(performance.now() / 1000).toFixed(1)} s${failed ? ` — ${failed} dealer import(s) failed` : ''}.`,
  );
  return failed ? 1 : 0;
}

/**
 * Stops the stack on SIGINT/SIGTERM (a second one forces); resolves with the exit status.
 * `isStopping` tells the start-up follow-up to keep quiet once a stop began.
 */
function stopOnSignal(stack: DevStack, listener: Listener, writer: Writer) {
  let stopping: Promise<number> | null = null;
  const done = new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      if (stopping) {
        process.stderr.write('Stopping anyway.\n');
        process.exit(130);
      }
      writer.line('');
      writer.line(
        `${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping; running imports and deliveries finish first (Ctrl-C again to force). State is kept in ${stack.dataDir}.`,
      );
      listener.flush();
      stopping = stack.stop().then(
        () => {
          writer.line('Stopped.');
          return 0;
        },
        (error: Error) => {
          process.stderr.write(`wayke-dms dev: stop failed: ${error.message}\n`);
          return 1;
        },
      );
      void stopping.then(resolve);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  return { done, isStopping: () => stopping !== null };
}

/** After the start-up import: the demo purchase (unless --no-demo), then "Ready". */
async function followStartUp(
  stack: DevStack,
  start: { firstRun: Promise<unknown>; since: Date; demo: boolean },
  writer: Writer,
  log: Log,
  isStopping: () => boolean,
): Promise<void> {
  await start.firstRun;
  await stack.waitForReports(start.since, 120_000);
  if (isStopping()) return;
  if (start.demo)
    await demoPurchase(stack, (text) => writer.line(text)).catch((error: Error) =>
      log.warn('demo purchase failed', { error: error.message }),
    );
  if (isStopping()) return;
  writer.line('');
  writer.line(`Ready. Upload a feed, fire a webhook, or watch the hourly import. Ctrl-C stops.`);
}

export async function run(args: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  muteEmptyMetricsWarning();
  let values: DevValues;
  try {
    values = parseDevArgs(args);
  } catch (error) {
    process.stderr.write(`wayke-dms dev: ${(error as Error).message}\n\n${help}\n`);
    return 2;
  }

  const writer = createStdoutWriter();
  const color = useColor(process.stdout);
  const log = createLogger({ serviceName: 'wayke-dms-dev', toStderr: true, level: values.verbose ? 'INFO' : 'WARN' });
  const failedImports = new Set<string>();
  const listener = failureTrackingListener(consoleListener(writer, color), failedImports);
  let stack: DevStack;
  let onceDeadline = Infinity;
  try {
    const timeoutSeconds = timeoutOption(values.timeout);
    if (values.once) onceDeadline = startOnceWatchdog(timeoutSeconds);
    writer.line(`Starting wayke-dms dev (state in ${values.data}/) …`);
    stack = await startDevStack(stackOptions(values, log, listener));
  } catch (error) {
    return startFailureStatus(error);
  }

  printStartup(stack, writer, color);
  const since = new Date();
  const firstRun = stack
    .runSchedule()
    .catch((error: Error) => log.error('start-up import could not be scheduled', { error: error.message }));

  if (values.once)
    return finishOnce({ stack, firstRun, since, deadline: onceDeadline, listener, failedImports, writer, color });

  const { done, isStopping } = stopOnSignal(stack, listener, writer);
  // Runs beside the signal handlers: whatever it meets (Ctrl-C included) is logged, never an
  // unhandled rejection that would end the process with 1 after a clean stop.
  void followStartUp(stack, { firstRun, since, demo: values.demo }, writer, log, isStopping).catch((error: Error) => {
    if (!isStopping()) log.error('start-up import could not be followed', { error: error.message });
  });
  return done;
}
