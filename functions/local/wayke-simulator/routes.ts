/**
 * The API's routes: the three hosts under their path prefixes (`/auth`, `/dealer`, `/media`), what
 * each route needs (a bearer token, a body kind), what faults apply to it, and the part that answers.
 * Route keys are the names `state().calls` counts and `faults.routes` picks.
 */
import { createAd, findByPlate, ownAd, patchAd, readAd, setStatus } from './ads.js';
import { issueToken } from './auth.js';
import { withContractDrift } from './contract-drift.js';
import type { FaultTarget } from './faults.js';
import { HttpAnswer, type Outcome } from './http.js';
import {
  createPanoramaContainer,
  registerEmbeddedVideo,
  replaceMediaList,
  serveFile,
  uploadBytes,
  uploadByUrl,
  uploadPanoramaFrame,
} from './media.js';
import type { SimulatorState } from './state.js';
import type { MutableAd, Token } from './types.js';

const MAX_JSON_BYTES = 1024 * 1024;
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** What the route handlers need besides the call. */
export interface ApiContext {
  readonly state: SimulatorState;
  readonly tokenLifetimeSeconds: number;
}

/** One call as a handler sees it: path parameters still escaped, the body read (and parsed for `json`). */
export interface ApiCall {
  readonly token: Token | undefined;
  readonly params: readonly string[];
  readonly raw: Buffer;
  readonly body: unknown;
  readonly contentType: string;
}

export interface Route extends FaultTarget {
  readonly method: string;
  readonly pattern: RegExp;
  /** Needs a bearer token. */
  readonly auth: boolean;
  /** `json` bodies are parsed before the handler (invalid JSON is a 400); the others get the raw bytes. */
  readonly body: 'json' | 'raw';
  /** Bodies beyond this are answered 413. */
  readonly maxBodyBytes: number;
  readonly handle: (ctx: ApiContext, call: ApiCall) => Outcome | Promise<Outcome>;
}

/** The token of an authenticated route (the pipeline checked it before the handler runs). */
function tokenOf(call: ApiCall): Token {
  if (!call.token) throw new Error('an authenticated route ran without a token');
  return call.token;
}

const answered = (answer: HttpAnswer): Outcome => ({ answer });
const param = (call: ApiCall, i: number): string => call.params[i] ?? '';

/** A change to an ad the caller may see; others get the 404. */
const onOwnAd =
  (change: (state: SimulatorState, ad: MutableAd, body: unknown) => Outcome) =>
  ({ state }: ApiContext, call: ApiCall): Outcome => {
    const found = ownAd(state, tokenOf(call), param(call, 0));
    return found instanceof HttpAnswer ? answered(found) : change(state, found, call.body);
  };

const SEG = '([^/]+)';
const api = { auth: true, faultable: true, body: 'json', maxBodyBytes: MAX_JSON_BYTES } as const;

export const ROUTES: readonly Route[] = [
  {
    ...api,
    key: 'POST /connect/token',
    method: 'POST',
    pattern: /^\/auth\/connect\/token$/,
    auth: false,
    body: 'raw',
    mutates: false,
    handle: ({ state, tokenLifetimeSeconds }, call) =>
      answered(issueToken(state, call.raw.toString('utf8'), tokenLifetimeSeconds)),
  },
  {
    ...api,
    key: 'POST /vehicle',
    method: 'POST',
    pattern: /^\/dealer\/vehicle$/,
    mutates: true,
    handle: withContractDrift(({ state }, call) => createAd(state, tokenOf(call), call.body)),
  },
  {
    ...api,
    key: 'PATCH /vehicle/{id}',
    method: 'PATCH',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}$`),
    mutates: true,
    handle: withContractDrift(({ state }, call) => patchAd(state, tokenOf(call), param(call, 0), call.body)),
  },
  {
    ...api,
    key: 'GET /vehicle/{id}/ad',
    method: 'GET',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}/ad$`),
    body: 'raw',
    mutates: false,
    handle: ({ state }, call) => answered(readAd(state, tokenOf(call), param(call, 0))),
  },
  {
    ...api,
    key: 'GET /vehicle/{branchId}/vehicle/by-registration-number/{registrationNumber}',
    method: 'GET',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}/vehicle/by-registration-number/${SEG}$`),
    body: 'raw',
    mutates: false,
    handle: ({ state }, call) => answered(findByPlate(state, tokenOf(call), param(call, 0), param(call, 1))),
  },
  {
    ...api,
    key: 'PUT /vehicle/{id}/ad/status',
    method: 'PUT',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}/ad/status$`),
    mutates: true,
    handle: ({ state }, call) => setStatus(state, tokenOf(call), param(call, 0), call.body),
  },
  {
    ...api,
    key: 'PUT /vehicle/{id}/media',
    method: 'PUT',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}/media$`),
    mutates: true,
    handle: onOwnAd(replaceMediaList),
  },
  {
    ...api,
    key: 'POST /media/v2/image-url',
    method: 'POST',
    pattern: /^\/media\/media\/v2\/image-url$/,
    mutates: true,
    handle: ({ state }, call) => answered(uploadByUrl(state, tokenOf(call), call.body)),
  },
  {
    ...api,
    key: 'POST /media/v2/image',
    method: 'POST',
    pattern: /^\/media\/media\/v2\/image$/,
    body: 'raw',
    maxBodyBytes: MAX_IMAGE_BYTES,
    mutates: true,
    handle: async ({ state }, call) => answered(await uploadBytes(state, tokenOf(call), call.contentType, call.raw)),
  },
  {
    ...api,
    key: 'POST /media/v2/embedded-video',
    method: 'POST',
    pattern: /^\/media\/media\/v2\/embedded-video$/,
    mutates: true,
    handle: ({ state }, call) => answered(registerEmbeddedVideo(state, tokenOf(call), call.body)),
  },
  {
    ...api,
    key: 'POST /media/v2/panorama-image',
    method: 'POST',
    pattern: /^\/media\/media\/v2\/panorama-image$/,
    body: 'raw',
    mutates: true,
    handle: ({ state }, call) => answered(createPanoramaContainer(state, tokenOf(call), call.contentType, call.raw)),
  },
  {
    ...api,
    key: 'POST /media/v2/panorama-image/{containerId}',
    method: 'POST',
    pattern: new RegExp(`^/media/media/v2/panorama-image/${SEG}$`),
    body: 'raw',
    maxBodyBytes: MAX_IMAGE_BYTES,
    mutates: true,
    handle: async ({ state }, call) => answered(await uploadPanoramaFrame(state, tokenOf(call), param(call, 0), call)),
  },
  {
    ...api,
    key: 'GET /files/{fileId}',
    method: 'GET',
    pattern: new RegExp(`^/media/files/${SEG}$`),
    auth: false,
    faultable: false,
    body: 'raw',
    mutates: false,
    handle: ({ state }, call) => answered(serveFile(state, param(call, 0))),
  },
];

export type RouteMatch =
  | { readonly route: Route; readonly params: readonly string[] }
  | { readonly route: undefined; readonly pathKnown: boolean };

/** The route for a call; without one, whether the path is known under another method (405, not 404). */
export function matchRoute(method: string, path: string): RouteMatch {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match) return { route, params: match.slice(1) };
  }
  return { route: undefined, pathKnown: ROUTES.some((r) => r.pattern.test(path)) };
}
