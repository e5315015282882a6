import * as z from 'zod';
import { DEFAULT_SECRET_PREFIX } from '../functions/core/dealer-config.js';
import { ConfigError } from '../functions/core/errors.js';
import {
  DEFAULT_DMS_RETRY_SCHEDULE,
  RetryScheduleTextSchema,
  scheduleSpanSeconds,
} from '../functions/core/events/retry-schedule.js';

/** Wayke hosts per environment, as listed in docs/wayke-api.md. */
export const WAYKE_ENDPOINTS = {
  production: {
    authUrl: 'https://auth.wayke.se',
    dealerApiUrl: 'https://dealer-api.wayke.se',
    mediaApiUrl: 'https://api.wayke.se',
  },
  test: {
    authUrl: 'https://auth.wayketech.se',
    dealerApiUrl: 'https://dealer-api.wayketech.se',
    mediaApiUrl: 'https://api.wayketech.se',
  },
} as const;

export type WaykeEnvironment = keyof typeof WAYKE_ENDPOINTS;
export interface WaykeEndpoints {
  readonly authUrl: string;
  readonly dealerApiUrl: string;
  readonly mediaApiUrl: string;
}

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** `-c key=value` arrives as a string; cdk.json values keep their JSON type. */
const intFromContext = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z.number({ error: 'must be a whole number' }).int('must be a whole number').min(min).max(max),
  );

const hostName = z
  .string()
  .regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case host name');

const secretPrefix = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,200}$/, 'must hold only characters Secrets Manager allows in names');

/**
 * The CDK context keys the app reads (`cdk synth -c key=value` or `cdk.json` → `context`).
 * Unknown keys are ignored here because CDK itself keeps feature flags in the same map.
 */
export const AppContextSchema = z.object({
  /** Dealer config file, relative to the working directory. */
  config: z.string().min(1).default('config/dealers.example.json'),
  /** Name of the CloudFormation stack. */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and hold only letters, digits and -')
    .default('WaykeDms'),
  /** Which Wayke the Lambdas talk to; `test` unless production is asked for explicitly. */
  waykeEnvironment: z.enum(['production', 'test']).default('test'),
  /** E-mail subscribed to the alarm topic (optional; subscribe anything else to the topic output). */
  alarmEmail: z.email().optional(),
  /** Days an archived feed (tagged `wayke-dms:archived=true`) is kept. */
  archiveRetentionDays: intFromContext(1, 3650).default(90),
  /** Days a replaced or deleted object version is kept (bucket versioning). */
  noncurrentVersionRetentionDays: intFromContext(1, 3650).default(30),
  /** Retention of every Lambda, API and SFTP log group. */
  logRetentionDays: intFromContext(1, 3653)
    .refine(
      (days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days),
      `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    )
    .default(30),
  /** Days a timestamped run report (`reports/<ts>.json`) is kept; `reports/latest.*` stay. */
  reportRetentionDays: intFromContext(1, 3650).default(30),
  /** Days an outbox file (orders, leads: personal data) is kept if the dealer has not deleted it. */
  outboxRetentionDays: intFromContext(1, 3650).default(14),
  /** Name prefix of the per-dealer credential secrets (Wayke, DMS signing, DMS pull), read by the import worker and DMS writer. */
  secretPrefix: secretPrefix.default(DEFAULT_SECRET_PREFIX),
  /**
   * Name or ARN of a Secrets Manager secret holding the SFTP host's private key (OpenSSH), imported
   * as the server's host key, so a recreated server keeps the key dealers have pinned.
   */
  /** Custom domain of the webhook API (e.g. `hooks.dealer-group.se`), so the URL registered in Wayke survives a stack replacement. */
  apiDomain: hostName.optional(),
  /** ACM certificate (same region) covering `apiDomain`. */
  apiCertificateArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, 'must be an ACM certificate ARN')
    .optional(),
  /** `public`, or `vpc`: an internet-facing VPC endpoint with Elastic IPs dealers' firewalls can allow-list. */
  sftpEndpoint: z.enum(['public', 'vpc']).default('public'),
  /** With `sftpEndpoint=vpc`: comma-separated IPv4 CIDRs allowed to reach port 22. */
  sftpAllowedCidrs: z
    .preprocess(
      (value) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()) : value),
      z.array(z.cidrv4({ error: 'must be IPv4 CIDRs, comma-separated' })).min(1),
    )
    .default(['0.0.0.0/0']),
  /** Host name dealers use for SFTP (e.g. `sftp.dealer-group.se`). */
  sftpHostname: hostName.optional(),
  /** Route 53 hosted zone in which to create the `sftpHostname` CNAME (without it, create the record yourself). */
  sftpHostedZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id')
    .optional(),
  sftpHostKeySecret: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@:-]{1,2048}$/, 'must be a secret name or ARN')
    .optional(),
  /** Powertools log level of every Lambda. */
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Dealers imported at the same time (import-worker maxConcurrency). */
  importConcurrency: intFromContext(2, 1000).default(50),
  /**
   * Delays after each failed DMS delivery (`5s,30s,2m,…`, units s/m/h, each ≤ 11h55m); must span
   * at least 24 h so a day-long DMS outage loses nothing.
   */
  dmsRetrySchedule: RetryScheduleTextSchema.refine(
    (schedule) => scheduleSpanSeconds(schedule) >= 86_400,
    'must span at least 24 h (the sum of the delays)',
  ).default([...DEFAULT_DMS_RETRY_SCHEDULE]),
});

export type AppContext = z.output<typeof AppContextSchema>;

/** Context keys that only make sense together. */
const ConsistentContextSchema = AppContextSchema.superRefine((context, ctx) => {
  if (Boolean(context.apiDomain) !== Boolean(context.apiCertificateArn)) {
    ctx.addIssue({
      code: 'custom',
      path: [context.apiDomain ? 'apiCertificateArn' : 'apiDomain'],
      message: 'apiDomain and apiCertificateArn go together',
    });
  }
  if (context.sftpHostedZoneId && !context.sftpHostname) {
    ctx.addIssue({
      code: 'custom',
      path: ['sftpHostname'],
      message: 'sftpHostedZoneId needs sftpHostname (the record to create)',
    });
  }
});

export const CONTEXT_KEYS = Object.keys(AppContextSchema.shape) as Array<keyof AppContext>;

/**
 * Validates the app's context values. `lookup` is `(key) => app.node.tryGetContext(key)`.
 * Throws {@link ConfigError} naming the key, so `cdk synth` stops with a readable message.
 */
export function readAppContext(lookup: (key: string) => unknown): AppContext {
  const given = CONTEXT_KEYS.map((key): [string, unknown] => [key, lookup(key)]);
  const raw: Record<string, unknown> = Object.fromEntries(
    given.filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = ConsistentContextSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `context "${issue.path.map(String).join('.')}": ${issue.message}`);
    throw new ConfigError(`Invalid CDK context:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
