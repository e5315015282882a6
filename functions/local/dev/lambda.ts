/**
 * Invoking a Lambda handler in-process exactly as the Lambda runtime would: the same event
 * shapes, a Lambda-like context with a deadline, and the handler's module loaded once (its
 * module-scope clients built from the environment the local stack set before the import).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_REGION } from './engines.js';

export const LOCAL_ACCOUNT_ID = '123456789012';

/** A Lambda handler in its async form (middy handlers are). */
export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

export interface LambdaFunction<E = unknown, R = unknown> {
  readonly name: string;
  /** Timeout the context reports, as configured in the stack. */
  readonly timeoutMs: number;
  invoke(event: E): Promise<R>;
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

/** Wraps a handler so each call gets a fresh context, as each Lambda invocation does. */
export function lambdaFunction<E, R>(
  name: string,
  handler: LambdaHandler<E, R>,
  timeoutMs: number,
): LambdaFunction<E, R> {
  return {
    name,
    timeoutMs,
    invoke: (event) => handler(event, lambdaContext(name, timeoutMs)),
  };
}

/** Loads `export const handler` from a module path (imported once, like a warm Lambda). */
export async function loadHandler<E, R>(modulePath: string): Promise<LambdaHandler<E, R>> {
  const module = (await import(modulePath)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${modulePath} does not export a handler function`);
  return module.handler as LambdaHandler<E, R>;
}

/** One JSON line a handler's logger printed (Powertools' structured log attributes). */
export type LogEntry = Readonly<Record<string, unknown>>;

/**
 * Calls `onError` with every ERROR line that the handler module's exported Powertools `logger`
 * prints — what a subscription filter on the function's CloudWatch log group would see. The line
 * is still printed as before. Resolves false when the module exports no such logger.
 */
export async function watchErrorLogs(modulePath: string, onError: (entry: LogEntry) => void): Promise<boolean> {
  const module = (await import(modulePath)) as { logger?: { console?: { error?: (...args: unknown[]) => void } } };
  const target = module.logger?.console;
  if (!target || typeof target.error !== 'function') return false;
  const print = target.error.bind(target);
  target.error = (...args: unknown[]) => {
    print(...args);
    if (typeof args[0] !== 'string') return;
    try {
      const entry = JSON.parse(args[0]) as unknown;
      if (entry && typeof entry === 'object') onError(entry as LogEntry);
    } catch {
      // not a structured line
    }
  };
  return true;
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
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}
