import * as z from 'zod';
import { DEALER_ID_PATTERN, DEFAULT_VEHICLE_API_RATE_LIMIT } from '../dealer-config.js';
import {
  IDEMPOTENCY_TTL_SECONDS,
  LIST_LIMIT,
  MAX_VALIDATE_BODY_BYTES,
  MAX_VEHICLE_BODY_BYTES,
  requestComponents,
  responseComponents,
} from './schemas.js';

/**
 * The OpenAPI 3.1 document of the Vehicle API, generated from the zod schemas the handler parses
 * and answers with (zod's JSON Schema, draft 2020-12 = OpenAPI 3.1's dialect). No hand-written copy.
 */

type Json = Record<string, unknown>;

/** zod's components, without the per-schema `$schema`/`$id` (the document names its dialect once). */
function components(registry: typeof responseComponents, io: 'input' | 'output'): Record<string, Json> {
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as Json;
      return [id, rest];
    }),
  );
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string) => ({ 'application/json': { schema: ref(id) } });
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

const COMMON_ERRORS = {
  '401': problemResponse('Missing or wrong key (`WWW-Authenticate: Bearer`)'),
  '404': problemResponse('Unknown dealer, the API is off for the dealer, or unknown vehicle'),
  '429': {
    ...problemResponse("Over the dealer's rate limit"),
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
  },
  '503': problemResponse('A service behind the API is unavailable; retry'),
};
const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: `Any string up to 255 characters; a repeat within ${IDEMPOTENCY_TTL_SECONDS / 3600} h returns the first answer. Reused with a different request: 422.`,
  schema: { type: 'string', maxLength: 255 },
};
const DEALER = {
  name: 'dealerId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: DEALER_ID_PATTERN.source },
};
const PLATE = {
  name: 'registrationNumber',
  in: 'path',
  required: true,
  description: 'Upper or lower case; spaces and hyphens are ignored',
  schema: { type: 'string', minLength: 2, maxLength: 12 },
};

function paths(): Json {
  const vehicle = {
    parameters: [DEALER, PLATE],
    put: {
      operationId: 'putVehicle',
      summary: 'Create or replace one vehicle',
      description: `Answers 202 once the change is durably queued; it is applied to Wayke within seconds. The same body again makes no Wayke call. Body at most ${MAX_VEHICLE_BODY_BYTES / 1024} KB.`,
      parameters: [IDEMPOTENCY_HEADER],
      requestBody: { required: true, content: json('Vehicle') },
      responses: {
        '202': { description: 'Accepted; the status document', content: json('VehicleStatus') },
        '400': problemResponse('The body is not JSON'),
        '403': problemResponse('The dealer takes its stock from files only (source: feed)'),
        '409': problemResponse(
          "The plate in the path differs from the body's, or the same Idempotency-Key is in flight",
        ),
        '413': problemResponse('Body too large'),
        '415': problemResponse('Not application/json'),
        '422': problemResponse('Invalid vehicle (`errors`: one entry per field), or a reused Idempotency-Key'),
        ...COMMON_ERRORS,
      },
    },
    delete: {
      operationId: 'deleteVehicle',
      summary: "The vehicle left the stock: the dealer's removal status is applied",
      description:
        'More removals within an hour than the dealer\'s safety-valve limit are held (`state: "held"`) until an operator approves them.',
      parameters: [IDEMPOTENCY_HEADER],
      responses: {
        '202': { description: 'Accepted (or held); the status document', content: json('VehicleStatus') },
        '403': problemResponse('source: feed'),
        ...COMMON_ERRORS,
      },
    },
    get: {
      operationId: 'getVehicle',
      summary: "The vehicle's status document",
      responses: { '200': { description: 'The status', content: json('VehicleStatus') }, ...COMMON_ERRORS },
    },
  };
  return {
    '/dealers/{dealerId}/vehicles/{registrationNumber}': vehicle,
    '/dealers/{dealerId}/vehicles': {
      parameters: [DEALER],
      get: {
        operationId: 'listVehicles',
        summary: "Every vehicle's status document, paged in plate order",
        parameters: [
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: LIST_LIMIT.max, default: LIST_LIMIT.default },
          },
        ],
        responses: {
          '200': { description: 'One page', content: json('VehicleStatusList') },
          '400': problemResponse('Bad cursor or limit'),
          ...COMMON_ERRORS,
        },
      },
    },
    '/dealers/{dealerId}/validate': {
      parameters: [DEALER],
      post: {
        operationId: 'validateFeed',
        summary: 'Validate a feed file (CSV, XML or JSON, any encoding) or one vehicle; stores and sends nothing',
        requestBody: {
          required: true,
          description: `At most ${MAX_VALIDATE_BODY_BYTES / 1024 / 1024} MB. Send a file that is not UTF-8 as application/octet-stream: API Gateway passes text/* bodies on as UTF-8 text.`,
          content: {
            'application/json': { schema: {} },
            'text/csv': { schema: { type: 'string' } },
            'application/xml': { schema: { type: 'string' } },
            'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
          },
        },
        responses: {
          '200': {
            description: 'The report (also for a file that is rejected as a whole: see `error`)',
            content: json('ValidationReport'),
          },
          '413': problemResponse('Body too large'),
          ...COMMON_ERRORS,
        },
      },
    },
    '/dealers/{dealerId}/runs/latest': {
      parameters: [DEALER],
      get: {
        operationId: 'latestRun',
        summary: 'The latest import report',
        responses: { '200': { description: 'The report', content: json('ImportReport') }, ...COMMON_ERRORS },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        security: [],
        responses: {
          '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
    },
  };
}

/** Builds the document; `serverUrl` is where the API answers (the stack's URL, or the local one). */
export function vehicleApiDocument(serverUrl?: string): Json {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'wayke-dms Vehicle API',
      version: '1.0.0',
      description: `Push a dealer's vehicles to Wayke in real time. Auth: \`Authorization: Bearer <dmsApiKey>\` per dealer. Rate limit per dealer: ${DEFAULT_VEHICLE_API_RATE_LIMIT.requestsPerSecond} requests/s, burst ${DEFAULT_VEHICLE_API_RATE_LIMIT.burst} (configurable per dealer). Errors are RFC 9457 problem details.`,
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ dmsApiKey: [] }],
    paths: paths(),
    components: {
      securitySchemes: { dmsApiKey: { type: 'http', scheme: 'bearer', description: "The dealer's dmsApiKey" } },
      schemas: { ...components(responseComponents, 'output'), ...components(requestComponents, 'input') },
    },
  };
}
