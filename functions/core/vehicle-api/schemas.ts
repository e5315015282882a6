import * as z from 'zod';
import { VehicleSchema } from '../vehicle.js';

/**
 * The Vehicle API's wire shapes. The handlers parse and answer with these, and the OpenAPI
 * document is generated from them (`openapi.ts`), so the two cannot drift apart.
 */

export const VEHICLE_STATES = ['pending', 'applied', 'failed', 'removed', 'held'] as const;

/** Largest `PUT` body: one vehicle must fit an SQS message (256 KB) with room for the envelope. */
export const MAX_VEHICLE_BODY_BYTES = 128 * 1024;
/** Largest `validate` body: a synchronous Lambda invocation carries at most 6 MB, base64 inflates by 4/3. */
export const MAX_VALIDATE_BODY_BYTES = 4 * 1024 * 1024;
/** Page size of the vehicle list: default and largest. */
export const LIST_LIMIT = { default: 100, max: 500 } as const;
/** How long an `Idempotency-Key`'s first answer is replayed. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export const VehicleStatusSchema = z.object({
  registrationNumber: z.string(),
  waykeId: z.string().nullable().describe("The ad's id in Wayke, once it has one"),
  state: z
    .enum(VEHICLE_STATES)
    .describe(
      'pending: accepted, not applied yet; applied: Wayke holds it; failed: see lastError (retried); removed: taken down; held: a DELETE held by the safety valve',
    ),
  lastAppliedAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  fingerprint: z
    .string()
    .nullable()
    .describe('Hash of the vehicle as last accepted; equal fingerprints mean equal vehicles'),
  source: z.enum(['api', 'feed']).describe('Who set the vehicle last: this API or a feed file'),
});
export type VehicleStatus = z.output<typeof VehicleStatusSchema>;

export const VehicleStatusListSchema = z.object({
  items: z.array(VehicleStatusSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

export const ListQuerySchema = z.object({
  cursor: z.string().min(1).max(400).optional(),
  limit: z.coerce.number().int().min(1).max(LIST_LIMIT.max).default(LIST_LIMIT.default),
});

export const FieldErrorSchema = z.object({ field: z.string(), message: z.string() });

/** RFC 9457 problem details, with `errors` for a 422. */
export const ProblemSchema = z.object({
  type: z.string().describe('A URI naming the kind of problem'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(FieldErrorSchema).optional(),
});
export type Problem = z.output<typeof ProblemSchema>;

/** The canonical vehicle, as the JSON feed carries it: the `PUT` body. */
export const VehiclePutBodySchema = VehicleSchema.describe(
  "One vehicle in the canonical shape of the JSON feed (the feed reader's Swedish field names are accepted too)",
);

export const ValidationReportSchema = z
  .object({
    format: z.enum(['csv', 'xml', 'json']).nullable(),
    encoding: z.string().nullable(),
    vehicles: z.number().int().describe('Rows that would be imported'),
    rejected: z.array(
      z.object({ row: z.number().int(), registrationNumber: z.string().optional(), errors: z.array(FieldErrorSchema) }),
    ),
    warnings: z.array(z.object({ row: z.number().int(), field: z.string(), message: z.string() })),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .describe('The report of `wayke-dms validate-feed --json`');
export type ValidationReport = z.output<typeof ValidationReportSchema>;

export const ImportReportSchema = z
  .looseObject({
    dealer: z.string(),
    runId: z.string(),
    at: z.iso.datetime(),
    trigger: z.string(),
    created: z.number().int(),
    updated: z.number().int(),
    removed: z.number().int(),
    unchanged: z.number().int(),
  })
  .describe("The dealer's latest run report, as in reports/latest.json");

/** One change on the vehicle queue: group = dealer + plate, so a plate's changes apply in order. */
export const VehicleChangeMessageSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('put'),
    dealerId: z.string(),
    registrationNumber: z.string(),
    changeId: z.string(),
    acceptedAt: z.iso.datetime(),
    vehicle: VehicleSchema,
  }),
  z.object({
    op: z.literal('delete'),
    dealerId: z.string(),
    registrationNumber: z.string(),
    changeId: z.string(),
    acceptedAt: z.iso.datetime(),
  }),
]);
export type VehicleChangeMessage = z.output<typeof VehicleChangeMessageSchema>;

/** The named components of the OpenAPI document: responses in their output shape, the body in its input shape. */
export const responseComponents = z.registry<{ id: string }>();
responseComponents.add(VehicleStatusSchema, { id: 'VehicleStatus' });
responseComponents.add(VehicleStatusListSchema, { id: 'VehicleStatusList' });
responseComponents.add(FieldErrorSchema, { id: 'FieldError' });
responseComponents.add(ProblemSchema, { id: 'Problem' });
responseComponents.add(ValidationReportSchema, { id: 'ValidationReport' });
responseComponents.add(ImportReportSchema, { id: 'ImportReport' });
export const requestComponents = z.registry<{ id: string }>();
requestComponents.add(VehiclePutBodySchema, { id: 'Vehicle' });
