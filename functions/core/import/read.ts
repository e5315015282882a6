import type { FeedSource, ImportRunState, Log, PendingFeed, RunStateStore } from '../../ports.js';
import { feedSizeError, refusedFeed, type FeedReadResult, type readFeed } from '../feed/index.js';
import type { MappingProfile } from '../mapping-profile.js';
import { FeedTooLargeError } from './errors.js';
import type { FeedSummary, RejectedRow } from './report.js';

/**
 * The run's read step: which feed to import (the one given, the newest waiting, or — hourly, with
 * nothing new — the last run's archived feed to retry its failures), then read and validated. A
 * whole-file error, or a file with no usable vehicle, is a feed error: the run changes nothing.
 */

/** The feed reader's contract: `readFeed` of `core/feed`, injectable so a wiring may choose another. */
export type FeedReader = typeof readFeed;

export interface ChosenFeed {
  readonly feed: PendingFeed;
  /** Taken from the source (so the run settles it), not handed in by the caller. */
  readonly fromSource: boolean;
  /** The last run's archived feed, read again to retry what it left undone. */
  readonly retry: boolean;
  /** The last run's state, when the run looked it up. */
  readonly previous: ImportRunState | null;
}

export interface ChooseFeedInput {
  readonly dealerId: string;
  readonly trigger: 'schedule' | 'upload' | 'manual' | 'cli';
  readonly given?: PendingFeed;
  readonly source: FeedSource;
  readonly runState: RunStateStore;
  readonly log: Log;
}

/** The feed this run imports, or null when there is none to import. */
export async function chooseFeed(input: ChooseFeedInput): Promise<ChosenFeed | null> {
  if (input.given) return { feed: input.given, fromSource: false, retry: false, previous: null };
  const next = await input.source.next(input.dealerId);
  if (next) return { feed: next, fromSource: true, retry: false, previous: null };
  // Hourly (or an operator's manual run, e.g. to approve blocked removals): no new feed, so the
  // last run's failures and held-back removals are retried from the feed it archived.
  if (input.trigger !== 'schedule' && input.trigger !== 'manual') return null;
  return archivedRetry(input);
}

async function archivedRetry(input: ChooseFeedInput): Promise<ChosenFeed | null> {
  const previous = await input.runState.getRunState(input.dealerId);
  if (!previous?.archiveKey || (previous.failed.length === 0 && !previous.blocked)) return null;
  const feed = await input.source.archived(input.dealerId, previous.archiveKey);
  if (!feed) return null;
  input.log.info('No new feed; retrying the last run from its archived feed', {
    dealerId: input.dealerId,
    failed: previous.failed.length,
    blocked: Boolean(previous.blocked),
  });
  return { feed, fromSource: true, retry: true, previous };
}

/** A feed as read: its vehicles, its rejected rows, and the error that refuses it as a whole. */
export interface FeedReading {
  readonly read: FeedReadResult;
  /** Set when nothing from the file may be used. */
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly summary: FeedSummary;
  readonly rejected: readonly RejectedRow[];
}

export interface ReadSettings {
  readonly readFeed: FeedReader;
  readonly maxBytes: number;
  readonly now: Date;
  readonly mappingProfile?: MappingProfile;
}

/** Downloads and reads the feed; an oversized one is refused as a whole without reading it. */
export async function readChosenFeed(feed: PendingFeed, settings: ReadSettings): Promise<FeedReading> {
  const read = await loadAndRead(feed, settings);
  const error = read.error ?? noValidVehicles(read);
  return {
    read,
    error,
    summary: {
      format: read.format,
      encoding: read.encoding,
      vehicles: error ? 0 : read.vehicles.length,
      rejected: read.rejected.length,
      ...(error ? { error } : {}),
    },
    rejected: read.rejected,
  };
}

async function loadAndRead(feed: PendingFeed, settings: ReadSettings): Promise<FeedReadResult> {
  const tooLarge = feedSizeError(feed.size, settings.maxBytes);
  if (tooLarge) return refused(tooLarge.message);
  try {
    const bytes = await feed.load(settings.maxBytes);
    return settings.readFeed(bytes, {
      name: feed.name,
      ...(settings.mappingProfile ? { mapping: settings.mappingProfile } : {}),
      now: settings.now,
      maxBytes: settings.maxBytes,
    });
  } catch (error) {
    // The size on the listing can lie (a file replaced mid-read): the source checks while streaming too.
    if (!(error instanceof FeedTooLargeError)) throw error;
    return refused(error.message);
  }
}

function refused(message: string): FeedReadResult {
  return refusedFeed({ code: 'FEED_TOO_LARGE', message });
}

function noValidVehicles(read: FeedReadResult): FeedReading['error'] {
  if (read.vehicles.length > 0) return null;
  return {
    code: 'NO_VALID_VEHICLES',
    message: `Every one of the ${read.rejected.length} rows was rejected; nothing from the file was used`,
  };
}
