import { Console } from 'node:console';
import { Logger } from '@aws-lambda-powertools/logger';
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

/** A Powertools Logger with the house defaults (JSON, redaction net). */
export function createLogger(options: LoggerOptions): Logger & Log {
  const logger = new Logger({
    serviceName: options.serviceName,
    ...(options.level ? { logLevel: options.level } : {}),
    jsonReplacerFn: redactingReplacer,
  });
  if (options.toStderr) {
    // Powertools prints through its own Console; point both streams at stderr.
    (logger as unknown as { console: Console }).console = new Console({
      stdout: process.stderr,
      stderr: process.stderr,
    });
  }
  return logger;
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
    this.lines.push({ level, message, ...(attributes.length ? { attributes: Object.assign({}, ...attributes) } : {}) });
  }
  /** Everything logged, as one string, for "never appears in a log" assertions. */
  text(): string {
    return this.lines.map((line) => JSON.stringify(line, redactingReplacer)).join('\n');
  }
}
