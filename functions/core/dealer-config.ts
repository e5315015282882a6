import * as z from 'zod';
import { MappingProfileSchema } from './mapping-profile.js';

/**
 * The dealer configuration shared by the CDK app (at synth), the Lambdas (at cold start) and the
 * local run. Unknown keys are errors so that a typo never silently turns a setting off.
 */

/**
 * Name prefix of the per-dealer Secrets Manager secrets (`<prefix><dealerId>`): the stack's default
 * (`-c secretPrefix=`) and the name the local run serves them under, so one command works on both.
 */
export const DEFAULT_SECRET_PREFIX = 'wayke-dms/dealer/';

/**
 * A dealer id is embedded in a Transfer Family user name (3–100 characters of `\w`, `@`, `.`, `-`,
 * starting with a word character), a Secrets Manager name, an S3 key, a CloudWatch dimension and
 * CDK logical ids: 3–40 of a-z, 0-9 and `-`, starting and ending with a letter or digit, fits all.
 */
export const DEALER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;

/** How {@link DEALER_ID_PATTERN} reads in an error message. */
export const DEALER_ID_RULE = '3–40 of a-z, 0-9 and -, starting and ending with a letter or digit';

/** Kinds of event delivered to a dealer's DMS. */
export const DMS_EVENT_KINDS = [
  'vehicle.purchased',
  'vehicle.updated',
  'vehicle.reserved',
  'vehicle.sold',
  'process.step',
  'order.created',
  'lead.created',
  'message.created',
  'wayke.event',
] as const;
export type DmsEventKind = (typeof DMS_EVENT_KINDS)[number];

export const REMOVAL_STATUSES = ['Unpublished', 'Sold', 'Deleted'] as const;

/**
 * The Wayke market a dealer sells in. It decides the `marketCode` an ad is created with and the
 * odometer unit Wayke is sent (see the Wayke mapping); inside the project mileage is always km.
 */
export const MARKETS = ['SE', 'NO', 'FI'] as const;
export type Market = (typeof MARKETS)[number];

/**
 * Who wins when a field was changed by hand in Wayke's own interface since the import last sent
 * it: `feed-wins` sends the feed's value again, `wayke-wins` keeps Wayke's value until the feed's
 * value changes again.
 */
export const HAND_EDIT_POLICIES = ['feed-wins', 'wayke-wins'] as const;
export type HandEditPolicy = (typeof HAND_EDIT_POLICIES)[number];

const FeedSettingsSchema = z
  .object({
    /** Path to a mapping profile JSON, relative to the working directory or the config file. */
    mapping: z.string().min(1).optional(),
    /** Status a vehicle gets in Wayke when it leaves the feed. */
    removalStatus: z.enum(REMOVAL_STATUSES).default('Unpublished'),
    /** Share of live ads one run may remove before the safety valve blocks removals. */
    maxRemovalShare: z.number().min(0).max(1).default(0.25),
    /** Removals always allowed per run, whatever the share. */
    minRemovalLimit: z.number().int().min(0).default(3),
    /** What a field changed by hand in Wayke becomes at the next run (see {@link HAND_EDIT_POLICIES}). */
    handEdits: z.enum(HAND_EDIT_POLICIES).default('feed-wins'),
  })
  .strict();

/** The feed settings of a dealer whose config gives none. */
export const DEFAULT_FEED_SETTINGS: Readonly<z.output<typeof FeedSettingsSchema>> = FeedSettingsSchema.parse({});

const SftpSettingsSchema = z
  .object({
    publicKeys: z
      .array(
        z
          .string()
          .regex(
            /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/,
            'must be an OpenSSH public key line',
          ),
      )
      .default([]),
  })
  .strict();

const DmsApiSettingsSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    /** Dotted path to the array of vehicles in each page (absent: the body is the array). */
    listPath: z.string().min(1).optional(),
    /** Dotted path to the next page's URL (link pagination). */
    nextPath: z.string().min(1).optional(),
    /** Query parameter for page-number pagination, used when `nextPath` is absent. */
    pageParam: z.string().min(1).optional(),
    /** Upper bound on pages fetched in one run. */
    maxPages: z.number().int().positive().default(1000),
  })
  .strict();

/** Where a dealer's stock comes from: files (and DMS API pulls), Vehicle API pushes, or both. */
export const STOCK_SOURCES = ['feed', 'api', 'both'] as const;
export type StockSource = (typeof STOCK_SOURCES)[number];

/** The Vehicle API's per-dealer rate limit, unless the dealer's `vehicleApi.rateLimit` says otherwise. */
export const DEFAULT_VEHICLE_API_RATE_LIMIT = { requestsPerSecond: 10, burst: 50 } as const;

const VehicleApiSettingsSchema = z
  .object({
    /** Token bucket per dealer: refilled at `requestsPerSecond`, holding at most `burst` requests. */
    rateLimit: z
      .object({
        requestsPerSecond: z.number().positive().max(1000).default(DEFAULT_VEHICLE_API_RATE_LIMIT.requestsPerSecond),
        burst: z.number().int().min(1).max(10_000).default(DEFAULT_VEHICLE_API_RATE_LIMIT.burst),
      })
      .strict()
      .default(DEFAULT_VEHICLE_API_RATE_LIMIT),
  })
  .strict();

const DmsTargetSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('webhook'),
      url: z.url({ protocol: /^https?$/ }),
      events: z.array(z.enum(DMS_EVENT_KINDS)).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('outbox'),
      events: z.array(z.enum(DMS_EVENT_KINDS)).optional(),
    })
    .strict(),
]);

export const DealerSchema = z
  .object({
    id: z.string().regex(DEALER_ID_PATTERN, `must be ${DEALER_ID_RULE}`),
    name: z.string().min(1),
    branchId: z.uuid(),
    /** The Wayke market the dealer sells in (see {@link MARKETS}). */
    market: z.enum(MARKETS).default('SE'),
    feed: FeedSettingsSchema.default(DEFAULT_FEED_SETTINGS),
    sftp: SftpSettingsSchema.optional(),
    dmsApi: DmsApiSettingsSchema.optional(),
    dms: DmsTargetSchema.optional(),
    /**
     * `feed` (default): files and DMS API pulls only. `api`: the Vehicle API only (files are left
     * unread). `both`: either; a vehicle last set through the API is removed only by a `DELETE`.
     */
    source: z.enum(STOCK_SOURCES).default('feed'),
    vehicleApi: VehicleApiSettingsSchema.default({ rateLimit: DEFAULT_VEHICLE_API_RATE_LIMIT }),
  })
  .strict();

export const DealerConfigSchema = z
  .object({ dealers: z.array(DealerSchema).min(1, 'must list at least one dealer') })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.dealers.forEach((dealer, index) => {
      if (seen.has(dealer.id))
        ctx.addIssue({ code: 'custom', path: ['dealers', index, 'id'], message: `duplicate dealer id "${dealer.id}"` });
      seen.add(dealer.id);
    });
  });

export type DealerConfig = z.output<typeof DealerConfigSchema>;
export type Dealer = z.output<typeof DealerSchema>;

/** A dealer with its mapping profile loaded: what the Lambdas and the local run work with. */
export const ResolvedDealerSchema = DealerSchema.extend({ mappingProfile: MappingProfileSchema.optional() });
export const ResolvedDealerConfigSchema = z.object({ dealers: z.array(ResolvedDealerSchema) }).strict();
export type ResolvedDealer = z.output<typeof ResolvedDealerSchema>;
export type ResolvedDealerConfig = z.output<typeof ResolvedDealerConfigSchema>;

/** Kinds delivered to this dealer's DMS (none without a `dms` target). */
export function deliveredKinds(dealer: Dealer): ReadonlySet<DmsEventKind> {
  if (!dealer.dms) return new Set();
  return new Set(dealer.dms.events ?? DMS_EVENT_KINDS);
}

/**
 * Formats zod issues on a dealer config as lines that name the dealer and the field, e.g.
 * `dealer "bilhallen" (dealers[0]): feed.maxRemovalShare: Too big: expected number to be <=1`.
 */
export function describeConfigIssues(input: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = [...issue.path];
    if (path[0] === 'dealers' && typeof path[1] === 'number') {
      const index = path[1];
      const raw = (input as { dealers?: Array<{ id?: unknown }> } | null)?.dealers?.[index];
      const id = typeof raw?.id === 'string' ? `dealer "${raw.id}"` : 'dealer';
      const field = path.slice(2).map(String).join('.') || '(the dealer entry)';
      return `${id} (dealers[${index}]): ${field}: ${issue.message}`;
    }
    return `${path.map(String).join('.') || '(top level)'}: ${issue.message}`;
  });
}
