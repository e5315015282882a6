/**
 * HTTP plumbing every part shares: the answer a handler returns (`HttpAnswer`), the problem bodies
 * Wayke answers with, and reading, draining and sending on Node's request and response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldProblem } from './contract.js';
import type { MutableAd } from './types.js';

/** What a handler answers; `send` turns it into the response (a Buffer body is sent as is, else JSON). */
export class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export const badRequest = (problems: FieldProblem[]): HttpAnswer =>
  new HttpAnswer(400, {
    title: 'One or more validation errors occurred.',
    status: 400,
    message: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
    field: problems[0]?.field,
    errors: Object.fromEntries(problems.map((p) => [p.field, [p.message]])),
  });

export const notFound = (what: string): HttpAnswer =>
  new HttpAnswer(404, { title: 'Not Found', status: 404, message: `${what} not found` });

export const forbiddenBranch = (): HttpAnswer =>
  new HttpAnswer(403, { title: 'Forbidden', status: 403, message: 'client may not act for this branch' });

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The whole body, or null when it exceeds `limit` bytes (read to the end either way, so the connection stays usable). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? null : Buffer.concat(chunks);
}

/** Reads and drops the body of a request answered without it, so keep-alive can reuse the connection. */
export async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req as AsyncIterable<Buffer>) {
    // discard
  }
}

export function send(res: ServerResponse, answer: HttpAnswer): void {
  if (res.destroyed || res.writableEnded) return;
  const headers: Record<string, string> = { ...answer.headers };
  let payload: Buffer | undefined;
  if (Buffer.isBuffer(answer.body)) payload = answer.body;
  else if (answer.body !== undefined) {
    payload = Buffer.from(JSON.stringify(answer.body));
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  if (payload) headers['content-length'] = String(payload.length);
  res.writeHead(answer.status, headers);
  res.end(payload);
}

/** A handler's answer and, when it changed an ad, that ad (its webhook is sent after the answer is built). */
export interface Outcome {
  readonly answer: HttpAnswer;
  readonly changed?: MutableAd;
}
