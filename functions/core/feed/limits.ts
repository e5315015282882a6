import { thousands } from '../format-number.js';
import { FeedError } from './errors.js';

/**
 * How much structure one feed may have. Each limit is far above anything a DMS writes (the
 * largest Swedish dealers list a few thousand cars with ~60 fields) and low enough that a file
 * at the size limit which hits it is refused before its parse tree can outgrow the worker's
 * memory: 4 million attributes on one XML element peaked at 3.2 GB, 4 million keys in one JSON
 * object or 4.7 million CSV columns at 1.4–1.5 GB.
 */
export const FEED_LIMITS = {
  /** Vehicle rows (records) in one file. */
  rows: 100_000,
  /** Columns in one CSV row, the header included. */
  columns: 2_000,
  /** Attributes on one XML element. */
  attributes: 500,
  /** Properties of one JSON object, child elements of one XML element below the vehicle list. */
  keys: 200_000,
  /** Items of one JSON array (the vehicle list included). */
  items: 200_000,
  /** Nesting of JSON values or XML elements. */
  depth: 64,
  /** Items of one list field (images, equipment, documents …) of one vehicle: more rejects that vehicle. */
  listItems: 1_000,
} as const;

export type FeedLimit = keyof typeof FEED_LIMITS;

const WHAT: Record<Exclude<FeedLimit, 'listItems'>, string> = {
  rows: 'vehicle rows',
  columns: 'columns in one row',
  attributes: 'attributes on one element',
  keys: 'properties in one object (or child elements in one element)',
  items: 'items in one list',
  depth: 'levels of nesting',
};

/** The whole-file `FEED_TOO_COMPLEX` error: which limit, and where it was hit. */
export function tooComplex(limit: Exclude<FeedLimit, 'listItems'>, where: string, line?: number): FeedError {
  return new FeedError(
    'FEED_TOO_COMPLEX',
    `The feed has more than ${thousands(FEED_LIMITS[limit], ',')} ${WHAT[limit]} (${where}); no vehicle list needs that many. Check the export in the DMS.`,
    { limit, ...(line !== undefined ? { line } : {}) },
  );
}
