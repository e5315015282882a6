/**
 * Contract drift: makes the simulator behave like a Wayke whose names differ from the ones the
 * project assumed, so `wayke-dms contract-check` can be shown to catch it. A **renamed** field is
 * accepted under the assumed name (the body passes the strict contract as before) but stored, and
 * read back, under another name; an **ignored** field is accepted and dropped. That is what a
 * real Wayke does with a name it does not know and does not validate: no error, no data.
 *
 * It applies to the two calls that carry an ad body, create and patch, as a wrapper around their
 * handlers (`routes.ts`); the drift in force is per simulator, set by the `contractDrift` option,
 * `setContractDrift()` or `POST /_admin/contract-drift`.
 */
import type { IncomingMessage } from 'node:http';
import * as z from 'zod';
import { badRequest, HttpAnswer, notFound, type Outcome, readBody } from './http.js';
import type { ApiCall, ApiContext } from './routes.js';
import type { SimulatorState } from './state.js';

/** The admin route that shows (`GET`) and sets (`POST`, `null` clears) the drift in force. */
export const CONTRACT_DRIFT_PATH = '/_admin/contract-drift';

const MAX_DRIFT_BODY_BYTES = 64 * 1024;

/** A body path: a top-level key or `section.key` (e.g. `ad.campaignPrice`), identifiers only. */
const BodyPath = z.string().regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/, 'must be a dotted field path');

export const ContractDriftSchema = z
  .object({
    /** Assumed name → the name it is stored and read back under. */
    renamed: z.record(BodyPath, BodyPath).default({}),
    /** Assumed names that are accepted and dropped. */
    ignored: z.array(BodyPath).default([]),
  })
  .strict()
  .refine((drift) => Object.entries(drift.renamed).every(([from, to]) => from !== to), {
    message: 'a field cannot be renamed to itself',
  });

/** A drift as given (both parts optional). */
export type WaykeContractDrift = z.input<typeof ContractDriftSchema>;
type Drift = z.output<typeof ContractDriftSchema>;

/** The drift in force per simulator; kept beside its state so the state's own module stays unaware of it. */
const driftByState = new WeakMap<SimulatorState, Drift>();

/** Sets the drift in force (`null` or an empty drift: none); throws a ZodError on a malformed one. */
export function setContractDrift(state: SimulatorState, drift: WaykeContractDrift | null): void {
  const parsed = drift === null ? { renamed: {}, ignored: [] } : ContractDriftSchema.parse(drift);
  if (Object.keys(parsed.renamed).length === 0 && parsed.ignored.length === 0) driftByState.delete(state);
  else driftByState.set(state, parsed);
}

/** The drift in force (empty parts when there is none). */
export function contractDriftOf(state: SimulatorState): Drift {
  const drift = driftByState.get(state);
  return drift ? structuredClone(drift) : { renamed: {}, ignored: [] };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Removes the value at `path` from `root` and says whether it was there (and what it was). */
function take(root: Json, path: string): { found: boolean; value?: unknown } {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let parent: unknown = root;
  for (const key of keys) parent = isObject(parent) ? parent[key] : undefined;
  if (!isObject(parent) || !Object.hasOwn(parent, last)) return { found: false };
  const value = parent[last];
  delete parent[last];
  return { found: true, value };
}

/** Sets (or, for `null`, removes) the value at `path`, creating sections on the way. */
function put(root: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let parent = root;
  for (const key of keys) {
    if (!isObject(parent[key])) parent[key] = {};
    parent = parent[key] as Json;
  }
  if (value === null) delete parent[last];
  else parent[last] = structuredClone(value);
}

/** The body without the drifted fields, and the renamed values to store once the call succeeded. */
function strip(drift: Drift, body: unknown): { body: unknown; carried: Array<[string, unknown]> } {
  if (!isObject(body)) return { body, carried: [] };
  const copy = structuredClone(body);
  for (const path of drift.ignored) take(copy, path);
  const carried: Array<[string, unknown]> = [];
  for (const [from, to] of Object.entries(drift.renamed)) {
    const taken = take(copy, from);
    if (taken.found) carried.push([to, taken.value]);
  }
  return { body: copy, carried };
}

/** The ad a successful create or patch acted on: the changed one, else the one the path names. */
function adActedOn(state: SimulatorState, call: ApiCall, outcome: Outcome) {
  if (outcome.changed) return outcome.changed;
  const id = call.params[0];
  return id === undefined ? undefined : state.ads.get(decodeURIComponent(id));
}

/**
 * Wraps the handler of a call with an ad body: with drift in force, the drifted fields are taken
 * out before the handler sees the body (so the contract still accepts the assumed names), and a
 * renamed value is written into the stored ad under its new name once the handler succeeded.
 */
export function withContractDrift(
  handle: (ctx: ApiContext, call: ApiCall) => Outcome,
): (ctx: ApiContext, call: ApiCall) => Outcome {
  return (ctx, call) => {
    const drift = driftByState.get(ctx.state);
    if (!drift) return handle(ctx, call);
    const { body, carried } = strip(drift, call.body);
    const outcome = handle(ctx, { ...call, body });
    if (outcome.answer.status >= 300 || carried.length === 0) return outcome;
    const ad = adActedOn(ctx.state, call, outcome);
    if (ad) for (const [path, value] of carried) put(ad as unknown as Json, path, value);
    return outcome;
  };
}

/** `GET` / `POST /_admin/contract-drift`. */
export async function answerContractDrift(
  state: SimulatorState,
  req: IncomingMessage,
  method: string,
): Promise<HttpAnswer> {
  const raw = await readBody(req, MAX_DRIFT_BODY_BYTES);
  if (method === 'GET') return new HttpAnswer(200, contractDriftOf(state));
  if (method !== 'POST') return notFound(`Admin route ${method} ${CONTRACT_DRIFT_PATH}`);
  if (raw === null) return new HttpAnswer(413, { message: 'body too large' });
  let body: unknown;
  try {
    body = raw.length === 0 ? null : JSON.parse(raw.toString('utf8'));
  } catch {
    return badRequest([{ field: '(body)', message: 'must be valid JSON' }]);
  }
  const parsed = body === null ? null : ContractDriftSchema.safeParse(body);
  if (parsed && !parsed.success)
    return badRequest(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
  setContractDrift(state, parsed ? parsed.data : null);
  return new HttpAnswer(200, contractDriftOf(state));
}
