/**
 * The HTTP server: routes `/_admin/` calls to the admin part and every other call through the API
 * pipeline — log and count it, inject faults, check the bearer, read the body within its limit,
 * let the route's part answer, then send the webhook, schedule a save, and maybe fail after commit.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Log } from '../../ports.js';
import { type AdminContext, answerAdmin } from './admin.js';
import { authenticate } from './auth.js';
import { answerContractDrift, CONTRACT_DRIFT_PATH } from './contract-drift.js';
import { badRequest, drain, HttpAnswer, notFound, readBody, send } from './http.js';
import { type ApiContext, matchRoute, type Route } from './routes.js';
import type { SimulatedRequest } from './types.js';

export interface ServerContext extends ApiContext, AdminContext {
  readonly log?: Log;
}

const tooManyRequests = (retryAfter: string): HttpAnswer =>
  new HttpAnswer(
    429,
    { title: 'Too Many Requests', status: 429, message: 'rate limit exceeded' },
    { 'retry-after': retryAfter },
  );

const simulatedServerError = (message: string): HttpAnswer =>
  new HttpAnswer(500, { title: 'Internal Server Error', status: 500, message });

const payloadTooLarge = (): HttpAnswer =>
  new HttpAnswer(413, { title: 'Payload Too Large', status: 413, message: 'body too large' });

/** The body a route's part gets, or the answer when it is too large or not the JSON the route expects. */
async function readInput(req: IncomingMessage, route: Route): Promise<{ raw: Buffer; body: unknown } | HttpAnswer> {
  const raw = await readBody(req, route.maxBodyBytes);
  if (raw === null) return payloadTooLarge();
  if (route.body !== 'json') return { raw, body: undefined };
  try {
    return { raw, body: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return badRequest([{ field: '(body)', message: 'must be valid JSON' }]);
  }
}

/** Runs a matched call through faults, auth, body and handler; `record` learns the fault injected. */
async function answerCall(
  ctx: ServerContext,
  req: IncomingMessage,
  route: Route,
  params: readonly string[],
  record: SimulatedRequest,
): Promise<HttpAnswer> {
  const fault = await ctx.state.faults.inject(route);
  if (fault.kind !== 'none') {
    record.fault = fault.kind;
    if (fault.kind === 'throttle') record.retryAfter = fault.retryAfter;
    await drain(req);
    return fault.kind === 'throttle'
      ? tooManyRequests(fault.retryAfter)
      : simulatedServerError('simulated server error');
  }
  const token = route.auth ? authenticate(ctx.state, req.headers.authorization) : undefined;
  if (token instanceof HttpAnswer) {
    await drain(req);
    return token;
  }
  const input = await readInput(req, route);
  if (input instanceof HttpAnswer) return input;
  const { answer, changed } = await route.handle(ctx, {
    token,
    params,
    ...input,
    contentType: req.headers['content-type'] ?? '',
  });
  if (changed) ctx.webhooks.vehicleUpdated(changed);
  const succeeded = answer.status < 300;
  if (route.mutates && succeeded) ctx.stateFile.schedule();
  if (!fault.commitThenFail || !succeeded) return answer;
  ctx.state.faults.commitThenFailSpent();
  record.fault = 'commitThenFail';
  return simulatedServerError('simulated failure after commit');
}

async function handleApi(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, method: string, path: string) {
  const match = matchRoute(method, path);
  const record = ctx.state.recordRequest(method, match.route?.key ?? 'unknown', path);
  let answer: HttpAnswer;
  if (match.route) answer = await answerCall(ctx, req, match.route, match.params, record);
  else
    answer = match.pathKnown
      ? new HttpAnswer(405, { message: 'Method not allowed' })
      : notFound(`Route ${method} ${path}`);
  record.status = answer.status;
  record.respondedAt = Date.now();
  ctx.log?.debug('Wayke simulator request', {
    method,
    route: record.route,
    status: answer.status,
    ...(record.fault ? { fault: record.fault } : {}),
  });
  send(res, answer);
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://simulator').pathname;
  if (path === CONTRACT_DRIFT_PATH) send(res, await answerContractDrift(ctx.state, req, method));
  else if (path.startsWith('/_admin/')) send(res, await answerAdmin(ctx, req, method, path));
  else await handleApi(ctx, req, res, method, path);
}

/** Listens on 127.0.0.1 (`port` 0: a free one) and resolves with the server and the port it got. */
export async function listen(ctx: ServerContext, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handle(ctx, req, res).catch(() => {
      if (!res.headersSent) send(res, new HttpAnswer(500, { message: 'simulator error' }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Closes the server, cutting open keep-alive connections rather than waiting them out. */
export function close(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
