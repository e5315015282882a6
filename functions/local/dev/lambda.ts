/**
 * Invoking a Lambda handler in-process exactly as the Lambda runtime would: the same event
 * shapes, a Lambda-like context with a deadline, and the handler's module loaded once (its
 * module-scope clients built from the environment the local stack set before the import).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Context } from 'aws-lambda';
import { onErrorLog } from '../../adapters/logger.js';
import { LOCAL_REGION } from './engines.js';

export const LOCAL_ACCOUNT_ID = '123456789012';

/** A Lambda handler in its async form (middy handlers are). */
export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

/** One ERROR line a handler's logger printed during an invocation (Powertools' attributes). */
export type LogEntry = Readonly<Record<string, unknown>>;

/** What one invocation did: its result or the error it threw, and the ERROR lines it logged. */
export type InvocationOutcome<R> =
  | { readonly ok: true; readonly result: R; readonly errorLogs: readonly LogEntry[] }
  | { readonly ok: false; readonly error: Error; readonly errorLogs: readonly LogEntry[] };

export interface LambdaFunction<E = unknown, R = unknown> {
  readonly name: string;
  /** Timeout the context reports, as configured in the stack. */
  readonly timeoutMs: number;
  /** Invokes as Lambda does: resolves with the result, rejects with what the handler threw. */
  invoke(event: E): Promise<R>;
  /** Invokes and never rejects: the outcome says how it ended and which ERROR lines it logged. */
  run(event: E): Promise<InvocationOutcome<R>>;
}

/** A context as the Node.js runtime passes it; `getRemainingTimeInMillis` counts down from `timeoutMs`. */
export function lambdaContext(functionName: string, timeoutMs: number, memoryMb = 1024): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  const unsupported = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * The ERROR lines of the invocation running in this async context. Invocations run side by side
 * in this one process and share each handler module's logger (Lambda gives each its own
 * instance), so a line is tied to its invocation by async context, not by its log keys.
 */
const invocationLogs = new AsyncLocalStorage<LogEntry[]>();
let tapped = false;

function tapErrorLogs(): void {
  if (tapped) return;
  tapped = true;
  onErrorLog((entry) => invocationLogs.getStore()?.push({ ...entry.attributes, message: entry.message }));
}

/**
 * Marks what a handler writes: its Powertools logger prints JSON lines to stdout/stderr, which in
 * AWS go to CloudWatch. Locally they are told from the console's own lines by async context.
 */
const insideHandler = new AsyncLocalStorage<true>();

export interface HandlerOutputOptions {
  /** Every line a handler writes is appended here (the folder is created). */
  readonly logFile: string;
  /** Also let the lines through to the terminal (`dev --verbose`). */
  readonly echo: boolean;
}

type Write = NodeJS.WriteStream['write'];

function divertStream(stream: NodeJS.WriteStream, logFile: string, echo: boolean): () => void {
  // The stream's own `write`, if something set one (else the prototype's), to put back as it was.
  const own = Object.getOwnPropertyDescriptor(stream, 'write');
  const original = stream.write.bind(stream);
  const diverted = ((...args: Parameters<Write>): boolean => {
    if (!insideHandler.getStore()) return original(...args);
    const [chunk] = args;
    appendFileSync(logFile, typeof chunk === 'string' ? chunk : Buffer.from(chunk));
    if (echo) return original(...args);
    const callback = args.find((arg): arg is (error?: Error | null) => void => typeof arg === 'function');
    callback?.(null);
    return true;
  }) as Write;
  stream.write = diverted;
  return () => {
    if (stream.write !== diverted) return;
    if (own) Object.defineProperty(stream, 'write', own);
    else delete (stream as { write?: Write }).write;
  };
}

/**
 * Sends what handlers write on stdout/stderr to `logFile` instead of the terminal (and to both
 * with `echo`); the console's own lines are untouched. Returns the undo.
 */
export function routeHandlerOutput(options: HandlerOutputOptions): () => void {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const undo = [process.stdout, process.stderr].map((stream) => divertStream(stream, options.logFile, options.echo));
  return () => {
    for (const restore of undo) restore();
  };
}

/** Wraps a handler so each call gets a fresh context, as each Lambda invocation does. */
export function lambdaFunction<E, R>(
  name: string,
  handler: LambdaHandler<E, R>,
  timeoutMs: number,
): LambdaFunction<E, R> {
  tapErrorLogs();
  const invoke = (event: E) => insideHandler.run(true, () => handler(event, lambdaContext(name, timeoutMs)));
  return {
    name,
    timeoutMs,
    invoke,
    run(event) {
      const errorLogs: LogEntry[] = [];
      return invocationLogs.run(errorLogs, () =>
        invoke(event).then(
          (result): InvocationOutcome<R> => ({ ok: true, result, errorLogs }),
          (error: unknown): InvocationOutcome<R> => ({
            ok: false,
            error: error instanceof Error ? error : new Error(String(error)),
            errorLogs,
          }),
        ),
      );
    },
  };
}

/** Loads `export const handler` from a module path (imported once, like a warm Lambda). */
export async function loadHandler<E, R>(modulePath: string): Promise<LambdaHandler<E, R>> {
  const module = (await import(modulePath)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${modulePath} does not export a handler function`);
  return module.handler as LambdaHandler<E, R>;
}

/**
 * `Name: message` of the error a log entry carries (Powertools logs errors as `{ name, message,
 * stack, … }`), on one line and bounded; the stack and any other attribute stay in the log.
 */
export function errorSummaryOf(entry: LogEntry, maxLength = 300): string | null {
  const error = entry.error as { name?: unknown; message?: unknown } | string | undefined;
  const text =
    typeof error === 'string'
      ? error
      : error && typeof error === 'object'
        ? [typeof error.name === 'string' ? error.name : '', typeof error.message === 'string' ? error.message : '']
            .filter(Boolean)
            .join(': ')
        : '';
  const line = (text || (typeof entry.message === 'string' ? entry.message : '')).replace(/\s+/g, ' ').trim();
  if (!line) return null;
  return cutAt(line, maxLength);
}

/** `text` in at most `maxLength` code points, with `…` as the last when cut: never half an emoji. */
export function cutAt(text: string, maxLength: number): string {
  const points = Array.from(text);
  return points.length > maxLength ? `${points.slice(0, maxLength - 1).join('')}…` : text;
}
