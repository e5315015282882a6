/**
 * `wayke-dms replay --dealer <id> --since <ISO> [--until <ISO>] [--vehicle <plate>] [--data <dir>]`:
 * re-delivers a dealer's delivered events from the archive (30 days) with their original
 * `webhook-id`. Against the local run (`wayke-dms dev`, found through `<data>/endpoints.json`)
 * without any AWS settings, or against AWS with `--archive-bucket` and `--config`.
 * Exit status: 0 all re-delivered, 1 some failed, 2 bad arguments or nothing to reach.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadDealerConfig, readResolvedDealerConfig } from '../../adapters/dealer-config-file.js';
import { createLogger } from '../../adapters/logger.js';
import { S3EventArchive } from '../../adapters/s3-event-archive.js';
import { S3OutboxDmsSink } from '../../adapters/s3-outbox-dms-sink.js';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store.js';
import { WebhookDmsSink } from '../../adapters/webhook-dms-sink.js';
import { ConfigError, WaykeDmsError } from '../../core/errors.js';
import { dealerIndex } from '../../core/events/ingest-webhook.js';
import { makeReplayEvents, type ReplayReport } from '../../core/events/replay-events.js';
import type { DealerSecrets, SecretStore } from '../../ports.js';
import { UsageError, awsSettingsProblem } from '../cli-support.js';
import { localS3Client } from '../dev/engines.js';
import { loadOrCreateSecrets, lambdaSecretOf } from '../dev/secrets.js';

export const help = `Usage: wayke-dms replay --dealer <id> --since <ISO time> [--until <ISO time>] [--vehicle <plate>]
                        [--data <dir>] [--json]
       wayke-dms replay --dealer <id> --since <ISO time> --archive-bucket <name> --config <dealers.json>
                        [--secret-prefix <prefix>] [--feed-bucket <name>] …

Re-delivers the events the dealer's DMS accepted in [since, until) — oldest first, so in order
per vehicle — exactly as first delivered: the same body and the same webhook-id, freshly signed.
A DMS that keys on webhook-id (as it should) is safe to receive them again. Events are kept 30
days. If an event of a vehicle fails, the later ones of that vehicle are skipped and reported.

Options:
  --dealer <id>            the dealer (required)
  --since <ISO time>       start of the window, e.g. 2026-10-03T00:00:00Z (required)
  --until <ISO time>       end of the window (default: now)
  --vehicle <plate>        only the events about this plate
  --data <dir>             the local run's state (default ./.wayke-dms); \`wayke-dms dev\` must run
  --archive-bucket <name>  AWS: the stack's EventArchiveBucketName output (standard AWS settings)
  --config <file>          AWS: the dealer config the stack was deployed with
  --secret-prefix <p>      AWS: the dealer secrets' name prefix (default wayke-dms/dealer/)
  --feed-bucket <name>     AWS: the FeedBucketName output, for outbox dealers
  --json                   print the report as JSON
  -h, --help               show this help`;

interface ReplayOptions {
  readonly dealer: string;
  readonly since: Date;
  readonly until: Date;
  readonly vehicle?: string;
  readonly data: string;
  readonly json: boolean;
  readonly aws?: {
    readonly archiveBucket: string;
    readonly config: string;
    readonly secretPrefix: string;
    readonly feedBucket?: string;
  };
}

function isoTime(value: string | undefined, flag: string): Date {
  const time = value === undefined ? Number.NaN : Date.parse(value);
  if (!value || !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(time)) {
    throw new UsageError(`${flag} must be an ISO-8601 time such as 2026-10-03T00:00:00Z, got "${value ?? ''}"`);
  }
  return new Date(time);
}

function parse(args: string[]): ReplayOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        dealer: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        vehicle: { type: 'string' },
        data: { type: 'string', default: '.wayke-dms' },
        json: { type: 'boolean', default: false },
        'archive-bucket': { type: 'string' },
        config: { type: 'string' },
        'secret-prefix': { type: 'string', default: 'wayke-dms/dealer/' },
        'feed-bucket': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values.dealer) throw new UsageError('--dealer is required');
  const since = isoTime(values.since, '--since');
  const until = values.until === undefined ? new Date() : isoTime(values.until, '--until');
  if (until <= since) throw new UsageError('--until must be later than --since');
  if (values['archive-bucket'] && !values.config)
    throw new UsageError('--archive-bucket needs --config (the dealer config the stack was deployed with)');
  return {
    dealer: values.dealer,
    since,
    until,
    ...(values.vehicle ? { vehicle: values.vehicle } : {}),
    data: values.data,
    json: values.json,
    ...(values['archive-bucket']
      ? {
          aws: {
            archiveBucket: values['archive-bucket'],
            config: values.config!,
            secretPrefix: values['secret-prefix'],
            ...(values['feed-bucket'] ? { feedBucket: values['feed-bucket'] } : {}),
          },
        }
      : {}),
  };
}

/** The ports for the local run: its S3 engine and files under the data directory. */
function localRuntime(dataDir: string) {
  const endpointsFile = join(dataDir, 'endpoints.json');
  if (!existsSync(endpointsFile))
    throw new UsageError(
      `${endpointsFile} not found: start the local run (\`wayke-dms dev --data ${dataDir}\`) or give --archive-bucket for AWS`,
    );
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as { services?: { s3?: string }; bucket?: string };
  if (!endpoints.services?.s3 || !endpoints.bucket)
    throw new UsageError(`${endpointsFile} names no S3 endpoint: restart \`wayke-dms dev\``);
  const s3 = localS3Client(endpoints.services.s3);
  const dealers = readResolvedDealerConfig(join(dataDir, 'dealers.json')).dealers;
  const secretsFile = join(dataDir, 'secrets.json');
  if (!existsSync(secretsFile))
    throw new UsageError(`${secretsFile} not found: start the local run once (\`wayke-dms dev --data ${dataDir}\`)`);
  // Read only: with no dealer ids to add, an existing file is never rewritten.
  const local = loadOrCreateSecrets(secretsFile, []).secrets;
  const secrets: SecretStore = {
    getDealerSecrets: async (dealerId): Promise<DealerSecrets> => {
      const entry = local[dealerId];
      if (!entry) throw new ConfigError(`no secrets for dealer ${dealerId} in ${dataDir}/secrets.json`);
      return lambdaSecretOf(entry);
    },
  };
  return { s3, bucket: endpoints.bucket, feedBucket: endpoints.bucket, dealers, secrets };
}

function awsRuntime(aws: NonNullable<ReplayOptions['aws']>) {
  const s3 = new S3Client({});
  const clock = { now: () => new Date() };
  const secrets = new SecretsManagerSecretStore({
    client: new SecretsManagerClient({}),
    prefix: aws.secretPrefix,
    maxAgeMs: 60_000,
    clock,
  });
  return {
    s3,
    bucket: aws.archiveBucket,
    feedBucket: aws.feedBucket ?? '',
    dealers: loadDealerConfig(aws.config).dealers,
    secrets,
  };
}

function print(report: ReplayReport, options: ReplayOptions): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const window = `${options.since.toISOString()} – ${options.until.toISOString()}`;
  process.stdout.write(
    `${options.dealer}: ${report.events.length} archived event(s) in ${window}${options.vehicle ? ` for ${options.vehicle}` : ''}\n`,
  );
  for (const event of report.events) {
    const mark = event.outcome === 'delivered' ? '✓' : event.outcome === 'failed' ? '✗' : '–';
    process.stdout.write(
      `  ${mark} ${event.deliveredAt} ${event.type}${event.registrationNumber ? ` ${event.registrationNumber}` : ''} (webhook-id ${event.id})${event.reason ? `: ${event.reason}` : ''}\n`,
    );
  }
  process.stdout.write(`${report.delivered} re-delivered, ${report.failed} failed, ${report.skipped} skipped\n`);
}

export async function run(args: string[]): Promise<number> {
  let options: ReplayOptions | undefined;
  try {
    options = parse(args);
    const runtime = options.aws ? awsRuntime(options.aws) : localRuntime(resolve(options.data));
    const unknown = unknownDealer(options, runtime.dealers);
    if (unknown) {
      process.stderr.write(`wayke-dms replay: ${unknown}\n`);
      return 2;
    }
    const clock = { now: () => new Date() };
    const replay = makeReplayEvents({
      dealers: dealerIndex(runtime.dealers),
      archive: new S3EventArchive({ client: runtime.s3, bucket: runtime.bucket }),
      sinks: {
        webhook: new WebhookDmsSink({ secrets: runtime.secrets, clock }),
        outbox: new S3OutboxDmsSink({ client: runtime.s3, bucket: runtime.feedBucket }),
      },
      log: createLogger({ serviceName: 'wayke-dms-replay', toStderr: true, level: 'WARN' }),
    });
    const report = await replay({
      dealerId: options.dealer,
      since: options.since,
      until: options.until,
      ...(options.vehicle ? { vehicle: options.vehicle } : {}),
    });
    print(report, options);
    return report.failed > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`wayke-dms replay: ${error.message}\n\n${help}\n`);
      return 2;
    }
    if (error instanceof WaykeDmsError) {
      process.stderr.write(`wayke-dms replay: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`wayke-dms replay: ${archiveFailure(error, options)}\n`);
    return 2;
  }
}

/** Why `--dealer` names no dealer of the config replayed from, naming the ones it has; else undefined. */
function unknownDealer(options: ReplayOptions, dealers: readonly { readonly id: string }[]): string | undefined {
  if (dealers.some((dealer) => dealer.id === options.dealer)) return undefined;
  const source = options.aws ? options.aws.config : `the local run of ${options.data}`;
  const known = dealers.map((dealer) => dealer.id).join(', ') || 'none';
  return `no dealer "${options.dealer}" in ${source} (its dealers: ${known})`;
}

/** Why the archive could not be read, and what to do: AWS settings to fix, or which archive failed. */
function archiveFailure(error: unknown, options: ReplayOptions | undefined): string {
  const reason = `${(error as Error).name}: ${(error as Error).message}`;
  if (options?.aws)
    return awsSettingsProblem(error) ?? `could not read the archive s3://${options.aws.archiveBucket} (${reason})`;
  return `could not read the archive (${reason}) — is \`wayke-dms dev\` running?`;
}
