import { PermanentError, RetryableError, type ErrorContext } from '../core/errors.js';
import { FeedTooLargeError } from '../core/import/errors.js';
import type { Dealer } from '../core/dealer-config.js';
import { DEFAULT_MAX_FEED_BYTES, FEED_LIMITS } from '../core/feed/index.js';
import type { FeedSource, Log, PendingFeed } from '../ports.js';
import { fullJitterDelayMs, parseRetryAfterMs } from './wayke-retry.js';

/**
 * A dealer's DMS API as a feed: each run pulls the JSON vehicle list (all pages) and hands it to
 * the feed reader as one JSON array, so the same validation, plan and safety valve apply as to an
 * uploaded file. Pagination by a next-page link in the body (`nextPath`) or by a page-number
 * query parameter (`pageParam`); auth by `Authorization: Bearer <dmsApiToken>` from the dealer's
 * secret. Nothing is archived: the next pull is the next truth.
 */

export type DmsApiSettings = NonNullable<Dealer['dmsApi']>;

export interface DmsApiFeedSourceOptions {
  readonly settings: DmsApiSettings;
  /** The dealer's `dmsApiToken`, read per pull so a rotation takes effect (undefined: no auth). */
  readonly token: () => Promise<string | undefined>;
  /** Per-page timeout (default 15 s). */
  readonly timeoutMs?: number;
  /** Attempts per page for 5xx, 429, timeouts and connection failures (default 3). */
  readonly maxAttempts?: number;
  /** Bytes pulled before the feed counts as too large (default 50 MB, the file limit), enforced while streaming. */
  readonly maxBytes?: number;
  /** Vehicles pulled in all before the pull stops with an error (default `FEED_LIMITS.rows`). */
  readonly maxItems?: number;
  readonly log?: Log;
  readonly now?: () => Date;
}

/** The DMS API refused us or answered something that is not a vehicle list: fix config or secret. */
export class DmsApiError extends PermanentError {}
/** The DMS API was unreachable or failing: the next hourly pull tries again. */
export class DmsApiUnavailableError extends RetryableError {}

const PULL_BACKOFF = { baseMs: 400, maxMs: 5_000 };
const RETRY_AFTER_CAP_MS = 30_000;

/** Reads `a.b.c` from a parsed JSON body. */
export function jsonPath(body: unknown, path: string | undefined): unknown {
  if (!path) return body;
  let value: unknown = body;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Array.isArray(value) && /^\d+$/.test(part) ? value[Number(part)] : (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Appends one by one: `push(...list)` throws a RangeError past ~100,000 items. */
function appendAll(target: unknown[], items: readonly unknown[]): void {
  for (const item of items) target.push(item);
}

/**
 * The body as text, or null as soon as it passes `maxBytes`: the size is enforced while the
 * answer streams in, so a huge answer is never held whole.
 */
async function readLimited(response: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    return null;
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** `origin + path` of a URL: what messages and logs may show (no query string, no credentials). */
const safeUrl = (url: URL) => `${url.origin}${url.pathname}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DmsApiFeedSource implements FeedSource {
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxBytes: number;
  private readonly maxItems: number;

  constructor(private readonly options: DmsApiFeedSourceOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_FEED_BYTES;
    this.maxItems = options.maxItems ?? FEED_LIMITS.rows;
  }

  async next(dealerId: string): Promise<PendingFeed | null> {
    const { settings } = this.options;
    const token = await this.options.token();
    const items: unknown[] = [];
    const paging = { bytes: 0, previousPage: null as string | null };
    let url: URL | null = new URL(settings.url);
    for (let page = 1; url && page <= settings.maxPages; page++) {
      const pageUrl = this.pageUrl(dealerId, url, page);
      const fetched = await this.fetchPage(dealerId, pageUrl, token, this.maxBytes - paging.bytes);
      if (fetched === 'too-large') return this.tooLarge(settings.url, this.maxBytes + 1);
      paging.bytes += fetched.text.length;
      const list = this.listOf(dealerId, fetched.body, pageUrl, items.length);
      if (settings.nextPath) {
        appendAll(items, list);
        const next = jsonPath(fetched.body, settings.nextPath);
        url = typeof next === 'string' && next.length > 0 ? new URL(next, pageUrl) : null;
      } else if (settings.pageParam) {
        const signature = JSON.stringify(list);
        // An empty page ends the list; so does an API that ignores the page parameter.
        if (list.length === 0 || signature === paging.previousPage) break;
        paging.previousPage = signature;
        appendAll(items, list);
      } else {
        appendAll(items, list);
        url = null;
      }
    }
    return this.pulled(dealerId, items);
  }

  /** The URL of page `page`; the token goes to the configured origin (scheme, host and port) only, never where a page points. */
  private pageUrl(dealerId: string, url: URL, page: number): URL {
    const { settings } = this.options;
    const origin = new URL(settings.url).origin;
    const pageUrl = new URL(url);
    if (!settings.nextPath && settings.pageParam) pageUrl.searchParams.set(settings.pageParam, String(page));
    if (pageUrl.origin !== origin) {
      throw new DmsApiError(
        `The DMS API page ${page - 1} links to ${pageUrl.origin}, not the configured ${origin}; the pull stops so the token is not sent there`,
        { dealerId, operation: 'dmsApi.pull' },
      );
    }
    return pageUrl;
  }

  /** The page's vehicle list; throws when there is none, or when the pull would exceed the vehicle limit. */
  private listOf(dealerId: string, body: unknown, pageUrl: URL, listedSoFar: number): unknown[] {
    const { listPath } = this.options.settings;
    const list = jsonPath(body, listPath);
    if (!Array.isArray(list)) {
      throw new DmsApiError(
        `The DMS API answer at ${safeUrl(pageUrl)} has no vehicle list${listPath ? ` at "${listPath}"` : ''}`,
        { dealerId, operation: 'dmsApi.pull' },
      );
    }
    if (listedSoFar + list.length > this.maxItems) {
      throw new DmsApiError(
        `The DMS API lists more than ${this.maxItems} vehicles; no dealer has that many — check the API's paging`,
        { dealerId, operation: 'dmsApi.pull' },
      );
    }
    return list;
  }

  private pulled(dealerId: string, items: unknown[]): PendingFeed {
    const content = Buffer.from(JSON.stringify(items));
    this.options.log?.info('Pulled the DMS API feed', { dealerId, vehicles: items.length, bytes: content.length });
    return {
      name: safeUrl(new URL(this.options.settings.url)),
      size: content.length,
      lastModified: this.options.now?.() ?? new Date(),
      load: async () => content,
    };
  }

  async archived(): Promise<PendingFeed | null> {
    return null;
  }

  async settle(): Promise<string | null> {
    return null;
  }

  private tooLarge(url: string, size: number): PendingFeed {
    return {
      name: safeUrl(new URL(url)),
      size,
      lastModified: this.options.now?.() ?? new Date(),
      load: async () => {
        throw new FeedTooLargeError(`The DMS API list is over ${this.maxBytes} bytes`, { operation: 'dmsApi.pull' });
      },
    };
  }

  private async fetchPage(
    dealerId: string,
    url: URL,
    token: string | undefined,
    byteBudget: number,
  ): Promise<PageBody | 'too-large'> {
    const context = { dealerId, operation: 'dmsApi.pull', url: safeUrl(url) };
    for (let attempt = 1; ; attempt++) {
      const answer = await this.attemptPage(url, token, byteBudget, { ...context, attempts: attempt });
      if (answer === 'too-large' || !('failure' in answer)) return answer;
      if (attempt >= this.maxAttempts) throw answer.failure;
      this.options.log?.warn('DMS API page failed; retrying', {
        dealerId,
        url: safeUrl(url),
        attempt,
        error: answer.failure.message,
      });
      // The DMS's own Retry-After when it gives one (capped: the run has a deadline), else full jitter.
      await sleep(Math.min(RETRY_AFTER_CAP_MS, answer.retryAfterMs ?? fullJitterDelayMs(attempt, PULL_BACKOFF)));
    }
  }

  /** One request for a page: its body, or a failure worth retrying; throws a failure that is not. */
  private async attemptPage(
    url: URL,
    token: string | undefined,
    byteBudget: number,
    context: { readonly dealerId: string; readonly operation: string; readonly url: string; readonly attempts: number },
  ): Promise<PageBody | 'too-large' | { failure: Error; retryAfterMs?: number }> {
    const { attempts: _attempts, ...permanentContext } = context;
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await readLimited(response, byteBudget);
      if (text === null) return 'too-large';
      if (response.ok) return parsePage(text, url, { ...permanentContext, status: response.status });
      if (response.status !== 429 && response.status < 500) {
        throw new DmsApiError(
          `The DMS API at ${safeUrl(url)} answered ${response.status}${response.status === 401 || response.status === 403 ? " (check the dealer's dmsApiToken)" : ''}`,
          { ...permanentContext, status: response.status },
        );
      }
      const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), Date.now());
      const failure = new DmsApiUnavailableError(`The DMS API at ${safeUrl(url)} answered ${response.status}`, {
        ...context,
        status: response.status,
      });
      return retryAfterMs === undefined ? { failure } : { failure, retryAfterMs };
    } catch (error) {
      if (error instanceof DmsApiError) throw error;
      const timedOut = (error as Error).name === 'TimeoutError';
      const failure = new DmsApiUnavailableError(
        `The DMS API at ${safeUrl(url)} ${timedOut ? `did not answer within ${this.timeoutMs} ms` : 'could not be reached'}`,
        context,
        { cause: error },
      );
      return { failure };
    }
  }
}

interface PageBody {
  readonly text: string;
  readonly body: unknown;
}

function parsePage(text: string, url: URL, context: ErrorContext): PageBody {
  try {
    return { text, body: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (error) {
    throw new DmsApiError(`The DMS API at ${safeUrl(url)} did not answer JSON`, context, { cause: error });
  }
}
