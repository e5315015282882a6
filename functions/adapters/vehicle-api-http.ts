import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ResolvedDealer } from '../core/dealer-config.js';
import { credentialsMatch } from '../core/events/credentials.js';
import { isRetryable } from '../core/errors.js';
import { readVehicleObject } from '../core/feed/one-vehicle.js';
import { normaliseRegistrationNumber } from '../core/vehicle.js';
import { makeAcceptChange, type AcceptDeps, type AcceptOutcome } from '../core/vehicle-api/accept.js';
import { IdempotencyConflictError, IdempotencyInProgressError } from '../core/vehicle-api/errors.js';
import { MAX_VALIDATE_BODY_BYTES, MAX_VEHICLE_BODY_BYTES, ListQuerySchema } from '../core/vehicle-api/schemas.js';
import { mergeStatusPage, statusDocument } from '../core/vehicle-api/status.js';
import { validateBody } from '../core/vehicle-api/validate.js';
import type { IdempotencyGuard, Log, RateLimiter, ReportReader, InboundAuthStore, StoredResponse } from '../ports.js';
import { jsonResponse, problem } from './http-problem.js';

/**
 * The Vehicle API at the edge: API Gateway v2 events in, answers out. Every dealer route runs
 * dealer → key → rate limit → (Idempotency-Key) → the route; only here do outcomes and errors
 * become HTTP codes (RFC 9457 problems). Nothing from a request body reaches a log line.
 */

export const VEHICLE_API_ROUTES = {
  put: 'PUT /dealers/{dealerId}/vehicles/{registrationNumber}',
  delete: 'DELETE /dealers/{dealerId}/vehicles/{registrationNumber}',
  get: 'GET /dealers/{dealerId}/vehicles/{registrationNumber}',
  list: 'GET /dealers/{dealerId}/vehicles',
  validate: 'POST /dealers/{dealerId}/validate',
  latestRun: 'GET /dealers/{dealerId}/runs/latest',
  openapi: 'GET /openapi.json',
} as const;

export interface VehicleApiHttpDeps extends AcceptDeps {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly secrets: InboundAuthStore;
  readonly rateLimiter: RateLimiter;
  readonly idempotency: IdempotencyGuard;
  readonly reportReader: ReportReader;
  /** The OpenAPI document, served as it is. */
  readonly openapi: unknown;
  readonly log: Log;
}

type Result = APIGatewayProxyStructuredResultV2;
interface Request {
  readonly route: string;
  readonly dealer: ResolvedDealer;
  readonly plate: string | null;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly path: string;
}

const isJson = (contentType: string | undefined) =>
  /^application\/(json|[a-z0-9.+-]+\+json)\s*(;|$)/i.test(contentType ?? '');
const encodeCursor = (plate: string) => Buffer.from(plate, 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

/** Builds the edge: one function from an API Gateway v2 event to its answer. */
export function makeVehicleApiHttp(deps: VehicleApiHttpDeps): (event: APIGatewayProxyEventV2) => Promise<Result> {
  const routes = new VehicleApiRoutes(deps);
  return (event) => routes.handle(event);
}

const INVALID_PLATE = Symbol('invalid plate');
const NO_DEALER = 'No dealer with this id has the Vehicle API.';

function requestOf(
  event: APIGatewayProxyEventV2,
  dealer: ResolvedDealer,
  plate: string | null,
  headers: Request['headers'],
): Request {
  const raw = event.body ?? '';
  return {
    route: event.routeKey,
    dealer,
    plate,
    headers,
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
    query: event.queryStringParameters ?? {},
    path: event.rawPath,
  };
}

/** The path's registration number, normalised as the feed reader does; null when the route has none. */
function plateOf(raw: string | undefined): string | null | typeof INVALID_PLATE {
  if (!raw) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return INVALID_PLATE;
  }
  const plate = normaliseRegistrationNumber(decoded);
  return /^[A-Z0-9]{2,7}$/.test(plate) ? plate : INVALID_PLATE;
}

/** One method per step and per route, so each stays short and reads on its own. */
class VehicleApiRoutes {
  private readonly accept: ReturnType<typeof makeAcceptChange>;

  constructor(private readonly deps: VehicleApiHttpDeps) {
    this.accept = makeAcceptChange(deps);
  }

  async handle(event: APIGatewayProxyEventV2): Promise<Result> {
    const route = event.routeKey;
    if (route === VEHICLE_API_ROUTES.openapi)
      return jsonResponse(200, this.deps.openapi, { 'cache-control': 'public, max-age=300' });
    const dealerId = event.pathParameters?.dealerId ?? '';
    try {
      const dealer = this.deps.dealers.get(dealerId);
      if (!dealer) return problem(404, NO_DEALER);
      const headers = Object.fromEntries(
        Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
      );
      const refused = (await this.authenticate(dealer, headers)) ?? (await this.throttle(dealer));
      if (refused) return refused;
      const plate = plateOf(event.pathParameters?.registrationNumber);
      // Not a registration number: nothing is read or stored for it, and it is not echoed back.
      if (plate === INVALID_PLATE)
        return problem(
          404,
          'No vehicle with this registration number for this dealer (a registration number is 2–7 letters or digits).',
        );
      const request = requestOf(event, dealer, plate, headers);
      return await this.withIdempotency(request, () => this.dispatch(request));
    } catch (error) {
      return this.failure(error, dealerId, route);
    }
  }

  /** The dealer's Vehicle API key as a bearer token; null when it matches. */
  async authenticate(dealer: ResolvedDealer, headers: Request['headers']): Promise<Result | null> {
    const secrets = await this.deps.secrets.getInboundAuth(dealer.id);
    // No key configured: the API is off for the dealer, and answers as if the dealer were unknown.
    if (!secrets.dmsApiKey) return problem(404, NO_DEALER);
    const bearer = /^bearer\s/i.test(headers.authorization?.trim() ?? '')
      ? { authorization: headers.authorization }
      : {};
    if (credentialsMatch(bearer, [secrets.dmsApiKey, secrets.previousDmsApiKey])) return null;
    return problem(401, "Send the dealer's Vehicle API key as Authorization: Bearer <key>.", {
      headers: { 'www-authenticate': 'Bearer realm="wayke-dms"' },
    });
  }

  /** The dealer's request rate; null while within it. */
  async throttle(dealer: ResolvedDealer): Promise<Result | null> {
    const { rateLimit } = dealer.vehicleApi;
    const rate = await this.deps.rateLimiter.take(`vehicle-api#${dealer.id}`, rateLimit);
    if (rate.allowed) return null;
    return problem(
      429,
      `More than ${rateLimit.requestsPerSecond} requests per second (burst ${rateLimit.burst}); retry after ${rate.retryAfterSeconds} s.`,
      { headers: { 'retry-after': String(rate.retryAfterSeconds) } },
    );
  }

  /** `PUT`/`DELETE` with an `Idempotency-Key`: the first answer is replayed for 24 h. */
  async withIdempotency(request: Request, run: () => Promise<Result>): Promise<Result> {
    const key = request.headers['idempotency-key']?.trim();
    if (!key || (request.route !== VEHICLE_API_ROUTES.put && request.route !== VEHICLE_API_ROUTES.delete)) return run();
    if (key.length > 255) return problem(400, 'Idempotency-Key may be at most 255 characters.');
    const fingerprint = createHash('sha256')
      .update(`${request.route}\n${request.plate}\n`)
      .update(request.body)
      .digest('hex');
    const stored = await this.deps.idempotency.once(
      `${request.dealer.id}#${key}`,
      fingerprint,
      async (): Promise<StoredResponse> => {
        const result = await run();
        // A 5xx is not an answer to remember: throwing keeps the key free for the client's retry.
        if ((result.statusCode ?? 200) >= 500) throw new ReplayableFailure(result);
        return {
          statusCode: result.statusCode ?? 200,
          headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
          body: result.body ?? '',
        };
      },
    );
    return { statusCode: stored.statusCode, headers: { ...stored.headers }, body: stored.body };
  }

  async dispatch(request: Request): Promise<Result> {
    switch (request.route) {
      case VEHICLE_API_ROUTES.put:
        return this.putVehicle(request);
      case VEHICLE_API_ROUTES.delete:
        return this.deleteVehicle(request);
      case VEHICLE_API_ROUTES.get:
        return this.getVehicle(request);
      case VEHICLE_API_ROUTES.list:
        return this.listVehicles(request);
      case VEHICLE_API_ROUTES.validate:
        return this.validate(request);
      case VEHICLE_API_ROUTES.latestRun: {
        const report = await this.deps.reportReader.latest(request.dealer.id);
        return report ? jsonResponse(200, report) : problem(404, 'The dealer has no run report yet.');
      }
      default:
        return problem(404, `No route ${request.route}.`);
    }
  }

  refuseFeedOnly(request: Request): Result | null {
    if (request.dealer.source !== 'feed') return null;
    return problem(
      403,
      'This dealer takes its stock from feed files (source: feed); ask the operator to set source "api" or "both" to push vehicles.',
    );
  }

  async putVehicle(request: Request): Promise<Result> {
    const refused = this.refuseFeedOnly(request);
    if (refused) return refused;
    if (!isJson(request.headers['content-type']))
      return problem(415, 'Send the vehicle as Content-Type: application/json.');
    if (request.body.length > MAX_VEHICLE_BODY_BYTES)
      return problem(413, `A vehicle may be at most ${MAX_VEHICLE_BODY_BYTES / 1024} KB of JSON.`);
    let document: unknown;
    try {
      document = JSON.parse(request.body.toString('utf8'));
    } catch {
      // Not the parser's message: it quotes the body.
      return problem(400, 'The body is not valid JSON.');
    }
    if (
      typeof document === 'object' &&
      document !== null &&
      !Array.isArray(document) &&
      !('registrationNumber' in document)
    ) {
      document = { ...document, registrationNumber: request.plate };
    }
    const read = readVehicleObject(document, {
      now: this.deps.clock.now(),
      ...(request.dealer.mappingProfile ? { mapping: request.dealer.mappingProfile } : {}),
    });
    if (!read.ok)
      return problem(
        422,
        `The vehicle has ${read.errors.length} invalid field${read.errors.length === 1 ? '' : 's'}.`,
        { errors: [...read.errors] },
      );
    if (read.vehicle.registrationNumber !== request.plate) {
      return problem(409, `The path names ${request.plate} but the body names ${read.vehicle.registrationNumber}.`);
    }
    return this.acceptedResponse(request, await this.accept.put(request.dealer, read.vehicle));
  }

  async deleteVehicle(request: Request): Promise<Result> {
    const refused = this.refuseFeedOnly(request);
    if (refused) return refused;
    return this.acceptedResponse(request, await this.accept.remove(request.dealer, request.plate!));
  }

  acceptedResponse(request: Request, outcome: AcceptOutcome): Result {
    if (outcome.outcome === 'notFound') return problem(404, `No vehicle ${request.plate} for this dealer.`);
    return jsonResponse(202, outcome.status, { location: request.path });
  }

  async getVehicle(request: Request): Promise<Result> {
    const plate = request.plate!;
    const [entry, record] = await Promise.all([
      this.deps.snapshots.entry(request.dealer.id, plate),
      this.deps.statuses.get(request.dealer.id, plate),
    ]);
    const status = statusDocument(plate, entry, record);
    return status ? jsonResponse(200, status) : problem(404, `No vehicle ${plate} for this dealer.`);
  }

  async listVehicles(request: Request): Promise<Result> {
    const query = ListQuerySchema.safeParse(request.query);
    if (!query.success)
      return problem(400, 'cursor must be a cursor from a previous page and limit 1–500.', {
        errors: query.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
      });
    const after = query.data.cursor ? decodeCursor(query.data.cursor) : undefined;
    const { limit } = query.data;
    const [entries, records] = await Promise.all([
      this.deps.snapshots.entries(request.dealer.id, { ...(after ? { after } : {}), limit }),
      this.deps.statuses.list(request.dealer.id, { limit, ...(after ? { cursor: after } : {}) }),
    ]);
    const page = mergeStatusPage({
      entries,
      records: records.items,
      limit,
      more: entries.length === limit || records.cursor !== undefined,
    });
    return jsonResponse(200, { items: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null });
  }

  validate(request: Request): Result {
    if (request.body.length > MAX_VALIDATE_BODY_BYTES)
      return problem(
        413,
        `A feed to validate may be at most ${MAX_VALIDATE_BODY_BYTES / 1024 / 1024} MB here; use wayke-dms validate-feed for larger files.`,
      );
    const report = validateBody(request.body, {
      now: this.deps.clock.now(),
      ...(request.dealer.mappingProfile ? { mapping: request.dealer.mappingProfile } : {}),
    });
    return jsonResponse(200, report);
  }

  failure(error: unknown, dealerId: string, route: string): Result {
    if (error instanceof ReplayableFailure) return error.result;
    if (error instanceof IdempotencyConflictError)
      return problem(422, 'This Idempotency-Key was already used for a different request.', {
        type: 'idempotency-key-reused',
      });
    if (error instanceof IdempotencyInProgressError)
      return problem(409, 'The first request with this Idempotency-Key is still being processed; retry shortly.', {
        type: 'idempotency-in-progress',
        headers: { 'retry-after': '1' },
      });
    const retryable = isRetryable(error);
    this.deps.log.error('Vehicle API request failed', {
      dealerId,
      route,
      errorName: error instanceof Error ? error.name : typeof error,
      retryable,
    });
    return retryable
      ? problem(503, 'A service behind the API is unavailable; retry later.', { headers: { 'retry-after': '5' } })
      : problem(500, 'The request failed; it was not accepted.');
  }
}

/** A 5xx answer carried out of the idempotency guard, so its record is dropped and the key stays usable. */
class ReplayableFailure extends Error {
  constructor(readonly result: APIGatewayProxyStructuredResultV2) {
    super('not stored');
  }
}
