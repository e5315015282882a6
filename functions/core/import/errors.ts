import { PermanentError } from '../errors.js';

/**
 * A feed over the size limit, raised by a feed source that finds out while downloading (the size
 * it listed can be stale). The use case turns it into the whole-file error `FEED_TOO_LARGE`.
 */
export class FeedTooLargeError extends PermanentError {}
