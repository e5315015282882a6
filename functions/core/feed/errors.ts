import { PermanentError, type ErrorContext } from '../errors.js';

/**
 * Why a whole feed file was refused (nothing from it is used):
 * - `EMPTY_FEED`: no bytes, or a header and no vehicles;
 * - `UNSAFE_XML`: a `<!DOCTYPE` or `<!ENTITY` (DTDs and entity expansion are never processed);
 * - `MALFORMED_FEED`: XML or JSON that does not parse, an unclosed CSV quote (with its line);
 * - `UNKNOWN_FORMAT`: not CSV, XML or JSON (a spreadsheet, a PDF, a ZIP …);
 * - `MISSING_COLUMNS`: no column/element for a mandatory field;
 * - `WRONG_ENCODING`: read as Windows-1252 (no BOM, not UTF-8), but its header is in an older code
 *   page (CP850, Mac Roman): every å, ä, ö would reach Wayke garbled;
 * - `FEED_TOO_LARGE`: over the size limit;
 * - `FEED_TOO_COMPLEX`: more structure than any vehicle list has (see `FEED_LIMITS`): refused
 *   before it can exhaust memory, with the limit and where it was hit.
 */
export type FeedErrorCode =
  | 'EMPTY_FEED'
  | 'UNSAFE_XML'
  | 'MALFORMED_FEED'
  | 'UNKNOWN_FORMAT'
  | 'MISSING_COLUMNS'
  | 'WRONG_ENCODING'
  | 'FEED_TOO_LARGE'
  | 'FEED_TOO_COMPLEX';

export const FEED_ERROR_CODES: readonly FeedErrorCode[] = [
  'EMPTY_FEED',
  'UNSAFE_XML',
  'MALFORMED_FEED',
  'UNKNOWN_FORMAT',
  'MISSING_COLUMNS',
  'WRONG_ENCODING',
  'FEED_TOO_LARGE',
  'FEED_TOO_COMPLEX',
];

/**
 * A feed refused as a whole. Thrown inside the reader, where it stops the read at once; `readFeed`
 * catches it and reports it as the result's `error`, so callers never see it thrown.
 */
export class FeedError extends PermanentError {
  readonly code: FeedErrorCode;

  constructor(code: FeedErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.code = code;
  }
}
