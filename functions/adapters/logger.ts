import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { Log } from '../ports.js';

/**
 * Keys whose values never reach a log line, whatever a caller passes: personal data from orders
 * and leads, and credentials. A safety net behind the rule that attributes carry identifiers only.
 */
const REDACTED_KEYS = new Set(
  [
    'email',
    'phone',
    'phoneNumber',
    'telephone',
    'mobile',
    'personalNumber',
    'ssn',
    'firstName',
    'lastName',
    'givenName',
    'surname',
    'fullName',
    'street',
    'address',
    'postalCode',
    'ip',
    'customer',
    'contact',
    'password',
    'secret',
    'clientSecret',
    'client_secret',
    'accessToken',
    'access_token',
    'token',
    'authorization',
    'webhookSecret',
    'dmsSigningSecret',
    'waykeClientSecret',
    'apiKey',
    'x-api-key',
  ].map((key) => key.toLowerCase()),
);

/** JSON replacer that masks {@link REDACTED_KEYS}. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key && REDACTED_KEYS.has(key.toLowerCase()) && value !== undefined && value !== null && value !== '')
    return '[redacted]';
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export interface LoggerOptions {
  readonly serviceName: string;
  /** Defaults to `LOG_LEVEL`/`POWERTOOLS_LOG_LEVEL`, else INFO. */
  readonly level?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Write every line to stderr (the CLI keeps stdout for its own output). */
  readonly toStderr?: boolean;
}

/** An ERROR line as one of this process's loggers builds it, before it is printed. */
export interface ErrorLogEntry {
  readonly service: string;
  readonly message: string;
  /** The line's own attributes (`error` still the thrown value, not yet serialised). */
  readonly attributes: Readonly<Record<string, unknown>>;
}

const errorLogListeners = new Set<(entry: ErrorLogEntry) => void>();

/**
 * Calls `listener` with every ERROR (and CRITICAL) line any logger from {@link createLogger}
 * prints in this process — what a subscription filter on a function's log group sees in AWS. The
 * local run shows failure reasons this way; in Lambda nobody subscribes. Returns the unsubscribe.
 */
export function onErrorLog(listener: (entry: ErrorLogEntry) => void): () => void {
  errorLogListeners.add(listener);
  return () => {
    errorLogListeners.delete(listener);
  };
}

/**
 * Powertools' default record (the same keys, in the same order), built through the documented
 * custom-formatter hook so that ERROR lines can be observed without touching the logger itself.
 */
class ObservedLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    const item = new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: context?.coldStart,
        function_arn: context?.invokedFunctionArn,
        function_memory_size: context?.memoryLimitInMB,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
        tenant_id: context?.tenantId,
      },
    }).addAttributes(additional);
    if (errorLogListeners.size > 0 && (attributes.logLevel === 'ERROR' || attributes.logLevel === 'CRITICAL')) {
      const entry: ErrorLogEntry = {
        service: attributes.serviceName,
        message: attributes.message,
        attributes: { ...(additional as Record<string, unknown>) },
      };
      for (const listener of errorLogListeners) listener(entry);
    }
    return item;
  }
}

/**
 * A Logger whose every line goes to stderr (the CLI keeps stdout for its own output), through
 * Powertools' protected `printLog` hook; `createLogger` is the documented factory `createChild`
 * uses, so children print to stderr too.
 */
class StderrLogger extends Logger {
  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    process.stderr.write(`${JSON.stringify(log.getAttributes(), this.getJsonReplacer())}\n`);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new StderrLogger(options);
  }
}

/** A Powertools Logger with the house defaults (JSON, redaction net). */
export function createLogger(options: LoggerOptions): Logger & Log {
  const LoggerClass = options.toStderr ? StderrLogger : Logger;
  return new LoggerClass({
    serviceName: options.serviceName,
    ...(options.level ? { logLevel: options.level } : {}),
    jsonReplacerFn: redactingReplacer,
    logFormatter: new ObservedLogFormatter(),
  });
}

/** A Log that keeps every line in memory, for tests and for summaries. */
export class MemoryLog implements Log {
  readonly lines: Array<{ level: string; message: string; attributes?: Record<string, unknown> }> = [];
  debug(message: string, ...attributes: Record<string, unknown>[]): void {
    this.push('DEBUG', message, attributes);
  }
  info(message: string, ...attributes: Record<string, unknown>[]): void {
    this.push('INFO', message, attributes);
  }
  warn(message: string, ...attributes: Record<string, unknown>[]): void {
    this.push('WARN', message, attributes);
  }
  error(message: string, ...attributes: Record<string, unknown>[]): void {
    this.push('ERROR', message, attributes);
  }
  private push(level: string, message: string, attributes: Record<string, unknown>[]): void {
    this.lines.push({
      level,
      message,
      ...(attributes.length ? { attributes: Object.assign({}, ...attributes) as Record<string, unknown> } : {}),
    });
  }
  /** Everything logged, as one string, for "never appears in a log" assertions. */
  text(): string {
    return this.lines.map((line) => JSON.stringify(line, redactingReplacer)).join('\n');
  }
}
