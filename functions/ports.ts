/**
 * The interfaces the core and the use cases need from the outside world. Each has one adapter per
 * technology in `adapters/` (AWS and local/embedded), so the same use case runs in Lambda and in
 * `npm start`. Owners of a section may refine it in place; keep one section per capability.
 */
import type { Vehicle } from './core/vehicle.js';

// ───────────────────────────── Clock ─────────────────────────────

/** Time, injected so the core stays pure and tests control it. */
export interface Clock {
  now(): Date;
}

// ───────────────────────────── Secrets ─────────────────────────────

/** One dealer's secrets, as stored in Secrets Manager (`<prefix><dealerId>`) or `secrets.json`. */
export interface DealerSecrets {
  readonly waykeClientId: string;
  readonly waykeClientSecret: string;
  readonly webhookSecret: string;
  /** Accepted beside `webhookSecret` while a rotation is under way. */
  readonly previousWebhookSecret?: string;
  /** `whsec_<base64>`: the key of the Standard Webhooks signature on deliveries to the DMS. */
  readonly dmsSigningSecret: string;
  /** Credentials for the dealer's DMS API pull (sent as `Authorization: Bearer`), if any. */
  readonly dmsApiToken?: string;
}

export interface SecretStore {
  /** The dealer's secrets; cached by the adapter with a short max age so rotations take effect. */
  getDealerSecrets(dealerId: string): Promise<DealerSecrets>;
}

// ───────────────────────────── Wayke ─────────────────────────────

export type AdStatus = 'Published' | 'Unpublished' | 'Sold' | 'Deleted';

/** An ad as read back from Wayke, mapped to the canonical vehicle by the one mapping module. */
export interface WaykeAd {
  readonly id: string;
  readonly branchId?: string;
  readonly status: AdStatus;
  readonly vehicle: Vehicle;
  /** Wayke media URLs in the ad's order. */
  readonly mediaUrls: readonly string[];
}

/** An image stored on Wayke's media storage. */
export interface UploadedImage {
  readonly mediaId: string;
  readonly url: string;
}

/**
 * Wayke's dealer and media API for one branch's credentials. Every field name Wayke calls
 * something else lives in the adapter's mapping module; callers speak the canonical vehicle.
 * Errors: see `adapters/wayke-errors` (validation, not-found, auth, retryable).
 */
export interface WaykeApi {
  findAdByRegistrationNumber(branchId: string, registrationNumber: string): Promise<WaykeAd | null>;
  getAd(adId: string): Promise<WaykeAd>;
  /** Creates an ad; `mediaUrls` are Wayke media URLs already uploaded. */
  createAd(input: { branchId: string; vehicle: Vehicle; status: AdStatus; mediaUrls?: readonly string[] }): Promise<{ id: string }>;
  /**
   * Changes only the given fields (`null` clears an optional field). `mediaUrls`, when given,
   * replaces the media in the same call.
   */
  patchAd(input: {
    adId: string;
    branchId: string;
    registrationNumber: string;
    fields: { readonly [K in keyof Vehicle]?: Vehicle[K] | null };
    mediaUrls?: readonly string[];
  }): Promise<void>;
  setStatus(adId: string, status: AdStatus, registrationNumber?: string): Promise<void>;
  setMedia(adId: string, mediaUrls: readonly string[], registrationNumber?: string): Promise<void>;
  uploadImageByUrl(input: { branchId: string; url: string; sortOrder: number; registrationNumber?: string }): Promise<UploadedImage>;
  uploadImageBytes(input: { branchId: string; bytes: Uint8Array; fileName: string; contentType: string; sortOrder: number; registrationNumber?: string }): Promise<UploadedImage>;
}

/** Builds a client for one dealer's Wayke credentials (clients cache tokens per client id). */
export type WaykeApiFactory = (credentials: { clientId: string; clientSecret: string }) => WaykeApi;

// ───────────────────────────── Import: feeds, snapshots, reports ─────────────────────────────

/** A feed file (or DMS API pull) to import. */
export interface FeedFile {
  /** Where it came from: an object key, a path or a URL, for reports and error context. */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly lastModified: Date;
}

/**
 * A feed waiting to be imported. The bytes load lazily so a source can report the size first and
 * an oversized file is rejected without downloading it.
 */
export interface PendingFeed {
  /** Where it came from (object key, path or URL), for reports and error context. */
  readonly name: string;
  /** Size in bytes as the store reports it (S3 `ContentLength`), before any download. */
  readonly size: number;
  readonly lastModified: Date;
  /** Older waiting feeds this one supersedes: archived with it, never imported (names for the report). */
  readonly superseded?: readonly string[];
  /** Downloads the content; rejects with a `FeedTooLargeError`-style permanent error past `maxBytes`. */
  load(maxBytes: number): Promise<Uint8Array>;
}

/** Where one dealer's feeds come from (S3 inbound folder, DMS API pull, a local file). */
export interface FeedSource {
  /** The newest complete feed waiting for the dealer, or `null` when none is waiting. */
  next(dealerId: string): Promise<PendingFeed | null>;
  /**
   * The feed a previous run archived (`archiveKey` from {@link ImportRunState}), for the hourly
   * retry of failed vehicles; `null` when it is gone (expired) or the source keeps no archive.
   */
  archived(dealerId: string, archiveKey: string): Promise<PendingFeed | null>;
  /**
   * Marks a consumed feed done: moves it to `archive/` (`outcome: 'archived'`) or `rejected/`
   * and moves older waiting feeds it superseded to `archive/` too. Returns the new key, if any.
   */
  settle(dealerId: string, feed: PendingFeed, outcome: 'archived' | 'rejected', at: Date): Promise<string | null>;
  /**
   * Whether a feed is waiting now (one uploaded while a run was going). A source that always has
   * a fresh feed (a DMS API pull) leaves this out: the run that holds the lease checks it before
   * releasing, and imports what arrived.
   */
  waiting?(dealerId: string): Promise<boolean>;
}

/** What Wayke holds for one plate of one dealer, as the last successful apply left it. */
export interface SnapshotEntry {
  readonly registrationNumber: string;
  readonly adId: string;
  /** Hash of the whole canonical vehicle. */
  readonly hash: string;
  /** Hash per field group: everything but images; the ordered image list; the status. */
  readonly groups: { readonly data: string; readonly images: string; readonly status: string };
  /** Short hash per present vehicle field (images excluded), so an update names what changed. */
  readonly fields: Readonly<Record<string, string>>;
  /** Source image URL → the Wayke media URL it was uploaded as. */
  readonly media: Readonly<Record<string, string>>;
  readonly status: AdStatus;
  /** ISO time of the run that last saw the plate in the feed (or removed it). */
  readonly lastSeen: string;
}

/** The outcome of a dealer's last run, kept beside the snapshot for the hourly retry. */
export interface ImportRunState {
  readonly runId: string;
  readonly at: string;
  /** Archived key of the feed the run used (absent for a DMS API pull or a rejected feed). */
  readonly archiveKey?: string;
  /** Plates whose apply failed; the hourly run retries them from `archiveKey`. */
  readonly failed: readonly string[];
  /** Removals the safety valve held back, as `{ wouldRemove, limit }`. */
  readonly blocked?: { readonly wouldRemove: number; readonly limit: number } | null;
}

/** A per-dealer run lock held in the snapshot table: one import at a time per dealer. */
export interface LeaseHolder {
  readonly owner: string;
  /** Host and pid of the holder, so the CLI can take over from a process that died. */
  readonly host?: string;
  readonly pid?: number;
  readonly expiresAt: Date;
}

export type LeaseResult = { readonly acquired: true } | { readonly acquired: false; readonly holder: LeaseHolder | null };

/** The snapshot table: entries per dealer and plate, the last run's state, the lease, approvals. */
export interface SnapshotStore {
  /** Every entry of the dealer (one paged Query). */
  load(dealerId: string): Promise<Map<string, SnapshotEntry>>;
  /** Writes entries (batched, retried until every item is stored). */
  put(dealerId: string, entries: readonly SnapshotEntry[]): Promise<void>;
  getRunState(dealerId: string): Promise<ImportRunState | null>;
  putRunState(dealerId: string, state: ImportRunState): Promise<void>;
  /**
   * Takes the dealer's lease for `ttlMs` if it is free, expired or already `owner`'s — or, with
   * `takeOverFrom`, if its current owner is exactly that one (a holder known to be dead).
   */
  acquireLease(dealerId: string, holder: { owner: string; host?: string; pid?: number }, ttlMs: number, takeOverFrom?: string): Promise<LeaseResult>;
  /** Extends a held lease; false when it was lost (expired and taken by another run). */
  renewLease(dealerId: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(dealerId: string, owner: string): Promise<void>;
  /** Records a one-shot approval for the dealer's next mass removal (valid for `ttlMs`). */
  approveMassRemoval(dealerId: string, approvedBy: string, ttlMs: number): Promise<void>;
  /** Consumes the approval if one is pending and unexpired; true when one was consumed. */
  consumeMassRemovalApproval(dealerId: string): Promise<boolean>;
}

/** Where run reports go: `feeds/<dealerId>/reports/` in S3, or a local folder. */
export interface ReportSink {
  /** Writes `<timestamp>.json`, `latest.json` and the human `latest.txt`. */
  write(dealerId: string, report: { readonly at: Date; readonly json: unknown; readonly text: string }): Promise<void>;
}

/** One message on the import work queue (see TEAM.md: one dealer per message). */
export interface WorkMessage {
  readonly dealerId: string;
  readonly trigger: 'schedule' | 'upload' | 'manual';
  readonly key?: string;
  readonly allowMassRemoval?: boolean;
  /** How often this trigger already came back because the dealer's lease was held. */
  readonly attempt?: number;
}

/** The import fan-out queue (SQS in AWS). */
export interface WorkQueue {
  /** `delaySeconds` holds the messages back (at most 900, SQS's limit). */
  send(messages: readonly WorkMessage[], options?: { readonly delaySeconds?: number }): Promise<void>;
}

// ───────────────────────────── Webhooks → DMS ─────────────────────────────

/** A message for a FIFO queue: ordered per `groupId`, deduplicated by `deduplicationId` for 5 minutes. */
export interface EventQueueMessage {
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
  /** String attributes carried beside the body (e.g. the reason an event was dead-lettered). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** A FIFO queue (the events queue, its DLQ). `send` resolves once the queue holds the message. */
export interface EventQueue {
  send(message: EventQueueMessage): Promise<void>;
}

/**
 * Remembers which events the DMS accepted, beyond the FIFO queue's 5-minute window (a TTL of days).
 * Written only after the DMS accepted an event, so a failed delivery is never marked done.
 */
export interface DedupeStore {
  /** True when the event was delivered and accepted before. */
  wasDelivered(eventId: string): Promise<boolean>;
  /** The ids among these that were delivered and accepted before (one round trip per 100 ids). */
  deliveredAmong(eventIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** Records an accepted delivery (conditional write); false when it was recorded already. */
  markDelivered(eventId: string, info: { readonly dealerId: string; readonly type: string }): Promise<boolean>;
}

/**
 * Delivers one DMS event (`core/events/envelope`) to a dealer's DMS. Resolves when the DMS
 * accepted it; throws a `PermanentError` when the DMS refused it for good (retrying cannot help)
 * and a `RetryableError` otherwise.
 */
export interface DmsSink {
  deliver(input: {
    readonly dealer: import('./core/dealer-config.js').ResolvedDealer;
    readonly envelope: import('./core/events/envelope.js').DmsEnvelope;
  }): Promise<void>;
}

// ───────────────────────────── Logging ─────────────────────────────

/**
 * What the use cases and adapters log through. Powertools Logger satisfies it in Lambda and the
 * CLI; tests pass a capturing one. Attributes carry identifiers only — never personal data.
 */
export interface Log {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}
