/**
 * The local stand-in for the HTTP API (API Gateway v2): turns requests into payload-format-2.0
 * events for the webhook Lambda and its result back into the response, as API Gateway does
 * (a bare string or object result becomes a 200 JSON body). Also serves `GET /health`: 503 until
 * every service of the local stack is up, then 200 with their addresses.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Log } from '../../ports.js';
import type { RunningServer } from './engines.js';
import { LOCAL_ACCOUNT_ID } from './lambda.js';

/** API Gateway's payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface HttpRoute {
  readonly method: string;
  /** `/webhooks/wayke/{dealerId}` style template. */
  readonly path: string;
  readonly handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;
}

export interface LocalHttpApi extends RunningServer {
  readonly port: number;
  /** Flips `/health` to 200 with this body. */
  setHealthy(details: Record<string, unknown>): void;
  setUnhealthy(reason: string): void;
}

function matchRoute(template: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  const match = pattern.exec(path);
  if (!match) return null;
  try {
    return Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1]!)]));
  } catch {
    // A malformed `%` escape names no resource: API Gateway answers 404, not a failed integration.
    return null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isUtf8 = (body: Buffer): boolean => {
  try {
    utf8.decode(body);
    return true;
  } catch {
    return false;
  }
};

const TEXT_TYPES = /^(text\/|application\/(json|.*\+json|xml|.*\+xml|x-www-form-urlencoded|javascript))/i;

/** Repeated headers joined with commas, as API Gateway does; cookies apart, one per entry. */
function collectHeaders(rawHeaders: readonly string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = headers[name] !== undefined ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

/** Repeated query parameters joined with commas, as API Gateway does. */
function collectQuery(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = query[name] !== undefined ? `${query[name]},${value}` : value;
  return query;
}

function requestContextOf(
  req: IncomingMessage,
  url: URL,
  headers: Record<string, string>,
  input: { routeKey: string; port: number },
): APIGatewayProxyEventV2['requestContext'] {
  const now = new Date();
  return {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: 'local',
    domainName: headers.host ?? `127.0.0.1:${input.port}`,
    domainPrefix: (headers.host ?? '127').split('.')[0]!,
    http: {
      method: req.method ?? 'GET',
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: randomUUID(),
    routeKey: input.routeKey,
    stage: '$default',
    time: now.toUTCString(),
    timeEpoch: now.getTime(),
  };
}

/** Builds the event API Gateway HTTP API sends for one request. */
export function toApiGatewayEvent(input: {
  req: IncomingMessage;
  body: Buffer;
  routeKey: string;
  pathParameters: Record<string, string>;
  port: number;
}): APIGatewayProxyEventV2 {
  const { req, body } = input;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const { headers, cookies } = collectHeaders(req.rawHeaders);
  const query = collectQuery(url);
  const contentType = headers['content-type'] ?? '';
  // A text body that is not UTF-8 goes as base64 (the raw bytes), so the handler can refuse it
  // instead of seeing U+FFFD where the bytes were.
  const isText = body.length === 0 || (TEXT_TYPES.test(contentType) && isUtf8(body));
  return {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: requestContextOf(req, url, headers, input),
    pathParameters: input.pathParameters,
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

/** Writes a handler result the way API Gateway maps payload format 2.0 responses. */
export function writeApiGatewayResult(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  const structured: APIGatewayProxyStructuredResultV2 =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? result
      : {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: typeof result === 'string' ? result : JSON.stringify(result),
        };
  const body =
    structured.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  headers['content-length'] = String(body.length);
  res.writeHead(structured.statusCode ?? 200, headers);
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts the HTTP API on 127.0.0.1 (port 3000 in `npm start`). */
export async function startLocalHttpApi(options: {
  routes: readonly HttpRoute[];
  port?: number;
  log?: Log;
}): Promise<LocalHttpApi> {
  let health: { ok: true; details: Record<string, unknown> } | { ok: false; reason: string } = {
    ok: false,
    reason: 'starting',
  };
  let port = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method === 'GET' && path === '/health') {
        if (health.ok) sendJson(res, 200, { status: 'ok', ...health.details });
        else sendJson(res, 503, { status: health.reason });
        return;
      }
      for (const route of options.routes) {
        const params = matchRoute(route.path, path);
        if (!params) continue;
        if (req.method !== route.method) continue;
        if (!health.ok) {
          sendJson(res, 503, { message: 'Service Unavailable' });
          return;
        }
        const body = await readBody(req);
        if (body === null) {
          sendJson(res, 413, { message: 'Request Entity Too Large' });
          return;
        }
        const routeKey = `${route.method} ${route.path}`;
        try {
          const result = await route.handler(toApiGatewayEvent({ req, body, routeKey, pathParameters: params, port }));
          writeApiGatewayResult(res, result);
        } catch (error) {
          // What API Gateway answers when the integration fails.
          options.log?.error('Webhook handler failed', { routeKey, error: (error as Error).message });
          sendJson(res, 500, { message: 'Internal Server Error' });
        }
        return;
      }
      sendJson(res, 404, { message: 'Not Found' });
    })().catch(() => {
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setHealthy(details) {
      health = { ok: true, details };
    },
    setUnhealthy(reason) {
      health = { ok: false, reason };
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
