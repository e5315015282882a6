/**
 * ListObjectsV2 paging for the local S3 engine. s3rver signs its continuation tokens with DES,
 * which Node's OpenSSL 3 no longer has, so every truncated V2 listing answered 500 (`aws s3 ls`
 * of a folder with more than 1,000 files, any SDK paginator). Here the store tells this module
 * that a page was cut instead of telling s3rver, and {@link listPagingMiddleware} writes S3's
 * paging fields with a token of its own: the page's last key, base64url, bound to the bucket.
 * Clients treat the token as opaque, as they must with S3's.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** What one V2 listing request learns from the store while s3rver answers it. */
interface PageState {
  lastKey?: string;
}

const pages = new AsyncLocalStorage<PageState>();
const TOKEN_PREFIX = 'wayke-dms-local:';

/** The part of Koa's context the middleware reads and writes. */
export interface ListingContext {
  readonly method: string;
  readonly path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}

/**
 * Called by the store when a page is cut after `lastKey`. Returns `true` when a V2 listing is in
 * flight and its paging fields will be written here, so the store reports the page as complete
 * to s3rver (which would otherwise try its DES token and fail).
 */
export function reportTruncation(lastKey: string): boolean {
  const state = pages.getStore();
  if (!state) return false;
  state.lastKey = lastKey;
  return true;
}

export const continuationToken = (bucket: string, lastKey: string): string =>
  Buffer.from(`${TOKEN_PREFIX}${bucket}/${lastKey}`, 'utf8').toString('base64url');

/** The key a token continues after, or `null` when it is not one of ours for this bucket. */
export function keyOfToken(bucket: string, token: string): string | null {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const head = `${TOKEN_PREFIX}${bucket}/`;
  return text.startsWith(head) && text.length > head.length ? text.slice(head.length) : null;
}

/** The bucket of a bucket-level request (`/<bucket>` or `/<bucket>/`), else `null`. */
function bucketOf(path: string): string | null {
  const match = /^\/([^/]+)\/?$/.exec(path);
  return match ? decodeURIComponent(match[1]!) : null;
}

function refuseToken(ctx: ListingContext): void {
  ctx.status = 400;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code>' +
    '<Message>The continuation token provided is incorrect</Message></Error>';
}

interface ListBucketResult {
  IsTruncated?: boolean;
  NextContinuationToken?: string;
  ContinuationToken?: string;
  StartAfter?: string;
}

/**
 * Koa middleware, placed just before s3rver's router (inside its XML encoder, so the answer is
 * still an object): turns our token into `start-after` on the way in, and writes `IsTruncated`,
 * `NextContinuationToken` and `ContinuationToken` on the way out.
 */
export function listPagingMiddleware(): (ctx: ListingContext, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    const bucket = bucketOf(ctx.path);
    if (ctx.method !== 'GET' || !bucket || ctx.query['list-type'] !== '2') return next();
    const token = typeof ctx.query['continuation-token'] === 'string' ? ctx.query['continuation-token'] : undefined;
    if (token !== undefined) {
      const after = keyOfToken(bucket, token);
      if (after === null) return refuseToken(ctx);
      const { 'continuation-token': _ignored, ...rest } = ctx.query;
      ctx.query = { ...rest, 'start-after': after };
    }
    const state: PageState = {};
    await pages.run(state, next);
    const result = (ctx.body as { ListBucketResult?: ListBucketResult } | null)?.ListBucketResult;
    if (!result) return;
    if (token !== undefined) {
      result.ContinuationToken = token;
      delete result.StartAfter;
    }
    if (state.lastKey !== undefined) {
      result.IsTruncated = true;
      result.NextContinuationToken = continuationToken(bucket, state.lastKey);
    }
  };
}
