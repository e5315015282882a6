/**
 * The admin routes under `/_admin/` (no token; for tests, the local run and curl): the state view,
 * faults, webhook targets, process events, token revocation, clients and branch markets. Never
 * faulted or logged.
 */
import type { IncomingMessage } from 'node:http';
import * as z from 'zod';
import { patchAd } from './ads.js';
import { revokeTokens } from './auth.js';
import { check, SIM_MARKETS, type SimMarket } from './contract.js';
import { FaultsChangeSchema, faultsChangeProblems } from './faults.js';
import { badRequest, HttpAnswer, notFound, readBody } from './http.js';
import type { StateFile } from './persistence.js';
import type { SimulatorState } from './state.js';
import type {
  MutableAd,
  ProcessEventInput,
  Token,
  WaykeSimulatorClient,
  WaykeSimulatorWebhookTarget,
} from './types.js';
import type { WebhookSender } from './webhooks.js';

const MAX_ADMIN_BODY_BYTES = 1024 * 1024;

export interface AdminContext {
  readonly state: SimulatorState;
  readonly webhooks: WebhookSender;
  readonly stateFile: StateFile;
}

/** The request body as JSON (an empty body is `{}`); throws on invalid JSON, which the caller answers 400. */
type JsonBody = () => unknown;

interface AdminRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handle: (ctx: AdminContext, json: JsonBody, params: readonly string[]) => HttpAnswer | Promise<HttpAnswer>;
}

function setWebhook({ state }: AdminContext, json: JsonBody): HttpAnswer {
  const target = json() as WaykeSimulatorWebhookTarget | null;
  if (target !== null && (typeof target !== 'object' || typeof target.url !== 'string'))
    return badRequest([{ field: 'url', message: 'is required' }]);
  state.setWebhook(target);
  return new HttpAnswer(204);
}

function addClient({ state, stateFile }: AdminContext, json: JsonBody): HttpAnswer {
  const client = json() as WaykeSimulatorClient | null;
  if (typeof client?.clientId !== 'string' || typeof client.clientSecret !== 'string')
    return badRequest([{ field: 'clientId', message: 'clientId and clientSecret are required' }]);
  state.addClient(client);
  stateFile.schedule();
  return new HttpAnswer(201);
}

function setBranchMarket({ state }: AdminContext, json: JsonBody, [escapedId]: readonly string[]): HttpAnswer {
  const market = (json() as { market?: unknown } | null)?.market;
  if (!(SIM_MARKETS as readonly unknown[]).includes(market))
    return badRequest([{ field: 'market', message: `must be one of ${SIM_MARKETS.join(', ')}` }]);
  state.branchMarkets.set(decodeURIComponent(escapedId ?? ''), market as SimMarket);
  return new HttpAnswer(204);
}

const isProcessEvent = (event: ProcessEventInput | null): boolean =>
  typeof event?.processName === 'string' && typeof event.stepName === 'string' && typeof event.state === 'string';

async function processEvent(
  { state, webhooks }: AdminContext,
  json: JsonBody,
  [escapedId]: readonly string[],
): Promise<HttpAnswer> {
  const adId = decodeURIComponent(escapedId ?? '');
  if (!state.ads.has(adId)) return notFound(`Vehicle ${adId}`);
  const event = json() as ProcessEventInput | null;
  if (!isProcessEvent(event))
    return badRequest([{ field: 'processName', message: 'processName, stepName and state are required strings' }]);
  return new HttpAnswer(200, { deliveries: await webhooks.processEvent(adId, event as ProcessEventInput) });
}

/** What an online sale does to an ad: a buyer reserves it, buys it, or the reservation ends. */
const OnlineSaleBodySchema = z.object({ state: z.enum(['reserved', 'sold', 'released']) }).strict();

/** A change that bumps the ad and fires the `vehicle-updated` webhook Wayke would send. */
function changed(ctx: AdminContext, ad: MutableAd): void {
  ad.updatedAt = new Date().toISOString();
  ad.version += 1;
  ctx.stateFile.schedule();
  ctx.webhooks.vehicleUpdated(ad);
}

/** `POST /_admin/ads/{id}/online-sale` `{ state }`: the buyer's side of Wayke's online sale. */
function onlineSale(ctx: AdminContext, json: JsonBody, [escapedId]: readonly string[]): HttpAnswer {
  const ad = ctx.state.ads.get(decodeURIComponent(escapedId ?? ''));
  if (!ad) return notFound(`Vehicle ${escapedId}`);
  const checked = check(OnlineSaleBodySchema, json());
  if (!checked.ok) return badRequest(checked.problems);
  const { state } = checked.value;
  // A sale completes the buyer's reservation: the flag stays set and the ad reads as sold.
  ad.ecommerce = { enabled: true, reserved: state !== 'released' };
  if (state === 'sold') ad.status = 'Sold';
  changed(ctx, ad);
  return new HttpAnswer(200, structuredClone(ad));
}

/** The dealer's own hands in Wayke's interface: not bound to a client's branch. */
const DEALER_INTERFACE: Token = { clientId: '(Wayke interface)', expiresAt: Number.POSITIVE_INFINITY };

/**
 * `POST /_admin/ads/{id}/edit` with a patch body (`{ vehicle?, ad? }`, the dealer API's own
 * contract): a hand edit in Wayke's interface, refused like the API refuses it.
 */
function handEdit(ctx: AdminContext, json: JsonBody, [escapedId]: readonly string[]): HttpAnswer {
  const { answer, changed: ad } = patchAd(ctx.state, DEALER_INTERFACE, escapedId ?? '', json());
  if (!ad) return answer; // refused, or nothing changed (204)
  ctx.stateFile.schedule();
  ctx.webhooks.vehicleUpdated(ad);
  return new HttpAnswer(200, structuredClone(ad));
}

const ADMIN_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', pattern: /^\/_admin\/state$/, handle: ({ state }) => new HttpAnswer(200, state.view()) },
  {
    method: 'POST',
    pattern: /^\/_admin\/faults$/,
    handle: ({ state }, json) => {
      const change = FaultsChangeSchema.safeParse(json());
      if (!change.success) return badRequest(faultsChangeProblems(change.error));
      return new HttpAnswer(200, state.faults.set(change.data));
    },
  },
  { method: 'POST', pattern: /^\/_admin\/webhook$/, handle: setWebhook },
  {
    method: 'POST',
    pattern: /^\/_admin\/tokens\/revoke$/,
    handle: ({ state }) => new HttpAnswer(200, { revoked: revokeTokens(state) }),
  },
  { method: 'POST', pattern: /^\/_admin\/clients$/, handle: addClient },
  { method: 'POST', pattern: /^\/_admin\/ads\/([^/]+)\/process$/, handle: processEvent },
  { method: 'POST', pattern: /^\/_admin\/branches\/([^/]+)\/market$/, handle: setBranchMarket },
  { method: 'POST', pattern: /^\/_admin\/ads\/([^/]+)\/online-sale$/, handle: onlineSale },
  { method: 'POST', pattern: /^\/_admin\/ads\/([^/]+)\/edit$/, handle: handEdit },
];

/** Answers an admin call whose body is `raw`. */
export async function handleAdmin(ctx: AdminContext, method: string, path: string, raw: Buffer): Promise<HttpAnswer> {
  const json: JsonBody = () => (raw.length === 0 ? {} : JSON.parse(raw.toString('utf8')));
  for (const route of ADMIN_ROUTES) {
    const match = route.method === method ? route.pattern.exec(path) : null;
    if (match) return route.handle(ctx, json, match.slice(1));
  }
  return notFound(`Admin route ${method} ${path}`);
}

/** Reads the body and answers; a body too large is a 413, anything thrown (bad JSON, a bad value) a 400. */
export async function answerAdmin(
  ctx: AdminContext,
  req: IncomingMessage,
  method: string,
  path: string,
): Promise<HttpAnswer> {
  const raw = await readBody(req, MAX_ADMIN_BODY_BYTES);
  if (raw === null) return new HttpAnswer(413, { message: 'body too large' });
  try {
    return await handleAdmin(ctx, method, path, raw);
  } catch {
    return badRequest([{ field: '(body)', message: 'must be valid JSON' }]);
  }
}
