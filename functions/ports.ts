/**
 * The interfaces the core and the use cases need from the outside world. Each has one adapter per
 * technology in `adapters/` (AWS and local/embedded), so the same use case runs in Lambda and in
 * `npm start`. Owners of a section may refine it in place; keep one section per capability.
 */
import type { WorkMessage } from './core/import/work-message.js';
import type { Market } from './core/dealer-config.js';
import type { Vehicle } from './core/vehicle.js';

// ───────────────────────────── Clock ─────────────────────────────

/** Time, injected so the core stays pure and tests control it. */
export interface Clock {
  now(): Date;
}

// ───────────────────────────── Secrets ─────────────────────────────

/** One dealer's secrets, as stored in Secrets Manager (`<prefix><dealerId>`) or `secrets.json`. */
/** A dealer's outbound credentials: what this system presents to Wayke and to the dealer's DMS. */
export interface DealerSecrets {
  readonly waykeClientId: string;
  readonly waykeClientSecret: string;
  /** `whsec_<base64>`: the key of the Standard Webhooks signature on deliveries to the DMS. */
  readonly dmsSigningSecret: string;
  /** Credentials for the dealer's DMS API pull (sent as `Authorization: Bearer`), if any. */
  readonly dmsApiToken?: string;
}

/**
 * An inbound key as stored in AWS: its SHA-256 digest (hex) and nothing else. The keys are only
 * ever compared (digest against digest, `core/events/credentials.ts`), so the plaintext is never needed.
 */
export interface KeyVerifier {
  readonly sha256: string;
}

/** An accepted inbound key: the key itself (the local run's `secrets.json`, test fakes) or its verifier (AWS). */
export type AcceptedKey = string | KeyVerifier;

/** What callers into this system present for a dealer (Wayke's webhook calls, the DMS's Vehicle API calls). */
export interface InboundAuth {
  readonly webhookSecret: AcceptedKey;
  /** Accepted beside `webhookSecret` while a rotation is under way. */
  readonly previousWebhookSecret?: AcceptedKey;
  /** The DMS's bearer key for the Vehicle API; absent → the Vehicle API is off for the dealer. */
  readonly dmsApiKey?: AcceptedKey;
  /** Accepted beside `dmsApiKey` while a rotation is under way. */
  readonly previousDmsApiKey?: AcceptedKey;
}

/** The dealers' outbound credentials (import worker, DMS writer). */
export interface SecretStore {
  /** The dealer's secrets; cached by the adapter with a short max age so rotations take effect. */
  getDealerSecrets(dealerId: string): Promise<DealerSecrets>;
}

/**
 * The dealers' inbound-auth secrets, kept apart from {@link SecretStore} so the internet-facing
 * functions can read them without being able to read Wayke or DMS credentials.
 */
export interface InboundAuthStore {
  /** Cached by the adapter with a short max age so rotations take effect. */
  getInboundAuth(dealerId: string): Promise<InboundAuth>;
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
  /** What Wayke knows of the car beyond the feed (from the vehicle registry); only the fields Wayke returned. */
  readonly details?: WaykeVehicleDetails;
  /**
   * Where the ad stands in Wayke's online sale, as Wayke itself marks it: `reserved` while a buyer
   * holds it, `sold` once bought through it. Absent: no online sale holds the ad (a status `Sold`
   * the import set itself is not an online sale).
   */
  readonly onlineSale?: OnlineSaleState;
}

export type OnlineSaleState = 'reserved' | 'sold';

/** Canonical field → the JSON text of the value as Wayke holds it (its units and shapes). */
export type WaykeForm = Readonly<Record<string, string>>;

/** Facts Wayke adds to an ad from the vehicle registry, in the project's own names. */
export interface WaykeVehicleDetails {
  readonly make?: string;
  readonly model?: string;
  readonly variant?: string;
  /** ISO date `YYYY-MM-DD`. */
  readonly firstRegistration?: string;
  readonly fuel?: string;
  readonly gearbox?: string;
  readonly colour?: string;
  /** The VIN as the registry knows it (the ad's own `vin` field is what the dealer sent). */
  readonly vin?: string;
}

/** An image stored on Wayke's media storage, or a video link registered with it. */
export interface UploadedImage {
  readonly mediaId: string;
  readonly url: string;
}

/** One frame of a 360° set, uploaded into its container. */
export interface UploadedFrame {
  readonly imageId: string;
  readonly url: string;
}

/**
 * An ad's media beyond its gallery images, as Wayke URLs: each goes into the ad's media list with
 * the images whenever the images are sent (`mediaUrls`), as its own media item.
 */
export interface ExtraMedia {
  /** The frames of one 360° container, in order: one media item. */
  readonly panoramaUrls?: readonly string[];
  /** Registered video links, one media item each. */
  readonly videoUrls?: readonly string[];
}

/**
 * Wayke's dealer and media API for one branch's credentials. Every field name Wayke calls
 * something else lives in the adapter's mapping module; callers speak the canonical vehicle.
 * Errors are the core's port errors (`core/errors.ts`), which the adapter's own errors extend:
 * `NotFoundError` (no such ad), `AuthError` (credentials refused), `RejectedError` (the input was
 * refused), `UnavailableError` (try again later).
 */
export interface WaykeApi {
  findAdByRegistrationNumber(branchId: string, registrationNumber: string): Promise<WaykeAd | null>;
  getAd(adId: string): Promise<WaykeAd>;
  /** Creates an ad; `mediaUrls` are the gallery's Wayke image URLs already uploaded (with `extra` media). */
  createAd(input: {
    branchId: string;
    vehicle: Vehicle;
    status: AdStatus;
    mediaUrls?: readonly string[];
    extraMedia?: ExtraMedia;
  }): Promise<{ id: string }>;
  /**
   * Changes only the given fields (`null` clears an optional field). `mediaUrls` (gallery images),
   * when given, replaces the whole media list (with `extraMedia`) in the same call.
   */
  patchAd(input: {
    adId: string;
    branchId: string;
    registrationNumber: string;
    fields: { readonly [K in keyof Vehicle]?: Vehicle[K] | null };
    mediaUrls?: readonly string[];
    extraMedia?: ExtraMedia;
  }): Promise<void>;
  setStatus(adId: string, status: AdStatus, registrationNumber?: string): Promise<void>;
  /** Replaces the ad's whole media list: the gallery images `mediaUrls`, then `extra`. */
  setMedia(adId: string, mediaUrls: readonly string[], registrationNumber?: string, extra?: ExtraMedia): Promise<void>;
  uploadImageByUrl(input: {
    branchId: string;
    url: string;
    sortOrder: number;
    registrationNumber?: string;
  }): Promise<UploadedImage>;
  uploadImageBytes(input: {
    branchId: string;
    bytes: Uint8Array;
    fileName: string;
    contentType: string;
    sortOrder: number;
    registrationNumber?: string;
  }): Promise<UploadedImage>;
  /** Registers a video link (YouTube, Vimeo, direct .mp4); the answer's `url` goes in the media list. */
  registerVideo(input: {
    branchId: string;
    url: string;
    sortOrder: number;
    registrationNumber?: string;
  }): Promise<UploadedImage>;
  /** Creates the container of one 360° set; its frames are uploaded into it. */
  createPanorama(input: { branchId: string; sortOrder: number; registrationNumber?: string }): Promise<{
    containerId: string;
  }>;
  /**
   * Downloads one frame from the feed's URL (the adapter refuses non-public hosts, non-images and
   * oversized files: `RejectedError`; a host that does not answer: `UnavailableError`) and uploads
   * its bytes into the container.
   */
  uploadPanoramaFrame(input: {
    branchId: string;
    containerId: string;
    sourceUrl: string;
    sortOrder: number;
    registrationNumber?: string;
  }): Promise<UploadedFrame>;
  /**
   * How Wayke holds values (a description, not a call: wrappers that count or fault calls leave
   * it alone). Absent: Wayke holds the canonical values as they are.
   */
  readonly representation?: WaykeRepresentation;
}

/** How Wayke holds the sent fields, so what was sent and what is read back compare in one form. */
export interface WaykeRepresentation {
  /** The sent fields of `vehicle` for a dealer in `market` (mileage in its unit, rounded as Wayke stores it). */
  form(vehicle: Vehicle, market: Market): WaykeForm;
}

/**
 * Builds a client for one dealer's Wayke credentials (clients cache tokens per client id) and
 * market. The market is bound to the client, not passed per call: a Wayke branch sells in one
 * market, as a client acts with one branch's credentials, so no call can pair a branch with the
 * wrong market, and the use cases (import, enrichment, Vehicle API) keep speaking canonical km
 * whatever the market. Absent: the dealer config's default market.
 */
export type WaykeApiFactory = (client: {
  clientId: string;
  clientSecret: string;
  market?: import('./core/dealer-config.js').Market;
}) => WaykeApi;

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
  /** Hash per field group: everything but media; the media (images, 360 set, videos, in order); the status. */
  readonly groups: { readonly data: string; readonly images: string; readonly status: string };
  /** Short hash per present vehicle field (images excluded), so an update names what changed. */
  readonly fields: Readonly<Record<string, string>>;
  /**
   * What was uploaded, source → Wayke: a source image URL → its Wayke URL; `video:<link>` → the
   * registered link; `panorama:<hash of the frame list>` → the container's frame URLs, space-separated
   * (`core/import/media.ts` reads and writes these keys, and `layout:` marking the one-item-per-entry
   * layout; entries from before videos hold images only).
   */
  readonly media: Readonly<Record<string, string>>;
  readonly status: AdStatus;
  /** ISO time of the run that last saw the plate in the feed (or removed it). */
  readonly lastSeen: string;
  /**
   * Who set the vehicle last: absent or `feed` for a file import, `api` for a Vehicle API push. A
   * `both` dealer's file never removes an `api` vehicle (only a `DELETE` does).
   */
  readonly setBy?: 'feed' | 'api';
  /** The dealer's own stock number for the car, as the feed gave it (absent: the feed gave none). */
  readonly externalId?: string;
  /**
   * Short hash per sent field of the value as Wayke holds it after the last write (see
   * {@link WaykeRepresentation}): a read ad whose value hashes differently was edited in Wayke.
   * Absent on entries written before hand edits were tracked (their first check records it).
   */
  readonly sent?: Readonly<Record<string, string>>;
  /**
   * `wayke-wins` only: fields whose hand-edited Wayke value is kept, each with the hash of the
   * feed's value when the edit was found ({@link SnapshotEntry.fields}' form). The feed's value is
   * sent again once it differs from this.
   */
  readonly kept?: Readonly<Record<string, string>>;
  /** Set when Wayke reported a change the import did not make: the next run reads the ad. */
  readonly check?: boolean;
  /** Wayke's online sale holds the ad: the import leaves it alone (see {@link OnlineSaleState}). */
  readonly held?: OnlineSaleState;
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

/** Who holds a dealer's run lease (see {@link DealerLease}). */
export interface LeaseHolder {
  readonly owner: string;
  /** Host and pid of the holder, so the CLI can take over from a process that died. */
  readonly host?: string;
  readonly pid?: number;
  /** When that process started (opaque; Linux: its start time in clock ticks), so a reused pid is not taken for the holder. */
  readonly processStart?: string;
  readonly expiresAt: Date;
}

export type LeaseResult =
  | { readonly acquired: true }
  | { readonly acquired: false; readonly holder: LeaseHolder | null };

/** What Wayke holds for each plate of a dealer, as the last successful apply left it. */
export interface Snapshots {
  /** Every entry of the dealer, keyed by plate. */
  load(dealerId: string): Promise<Map<string, SnapshotEntry>>;
  /** Stores entries (replacing those of the same plates); resolves once every one is stored. */
  put(dealerId: string, entries: readonly SnapshotEntry[]): Promise<void>;
}

/** The outcome of each dealer's last run, for the hourly retry. */
export interface RunStateStore {
  getRunState(dealerId: string): Promise<ImportRunState | null>;
  putRunState(dealerId: string, state: ImportRunState): Promise<void>;
}

/** One run at a time per dealer: a lease that expires unless renewed, so a crashed holder frees it. */
export interface DealerLease {
  /**
   * Takes the dealer's lease for `ttlMs` if it is free, expired or already `owner`'s — or, with
   * `takeOverFrom`, if its current owner is exactly that one (a holder known to be dead).
   */
  acquireLease(
    dealerId: string,
    holder: Omit<LeaseHolder, 'expiresAt'>,
    ttlMs: number,
    takeOverFrom?: string,
  ): Promise<LeaseResult>;
  /** Extends a held lease; false when it was lost (expired and taken by another run). */
  renewLease(dealerId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease if `owner` still holds it; a lease someone else holds now is left alone. */
  releaseLease(dealerId: string, owner: string): Promise<void>;
}

/** An operator's one-shot permission for a dealer's next mass removal. */
export interface RemovalApprovals {
  /** Records a one-shot approval for the dealer's next mass removal (valid for `ttlMs`). */
  approveMassRemoval(dealerId: string, approvedBy: string, ttlMs: number): Promise<void>;
  /** Consumes the approval if one is pending and unexpired; true when one was consumed. */
  consumeMassRemovalApproval(dealerId: string): Promise<boolean>;
}

/**
 * Every role the snapshot table plays at once, for wirings that hand one store to several use
 * cases; a use case names only the roles it uses.
 */
export type SnapshotStore = Snapshots & RunStateStore & DealerLease & RemovalApprovals;

/** The webhook path's one write to the snapshot: a mark that sends a vehicle to the next run's check. */
export interface CheckMarks {
  /**
   * Marks the plate's entry for a check, unless the import wrote it after `unlessWrittenAfter`
   * (the webhook then most likely reports the import's own change). False when not marked (no
   * such entry, or written since).
   */
  markForCheck(dealerId: string, registrationNumber: string, unlessWrittenAfter: Date): Promise<boolean>;
}

/** Reads of single entries and pages of them, in plate order (the Vehicle API's status reads). */
export interface SnapshotReader {
  entry(dealerId: string, registrationNumber: string): Promise<SnapshotEntry | null>;
  /** Up to `limit` entries with a plate after `after` (all from the first when absent). */
  entries(dealerId: string, page: { readonly after?: string; readonly limit: number }): Promise<SnapshotEntry[]>;
}

/** The latest run report of a dealer (`reports/latest.json`), or null before the first run. */
export interface ReportReader {
  latest(dealerId: string): Promise<unknown>;
}

/** Where run reports go: `feeds/<dealerId>/reports/` in S3, or a local folder. */
export interface ReportSink {
  /** Writes `<timestamp>.json`, `latest.json` and the human `latest.txt`. */
  write(dealerId: string, report: { readonly at: Date; readonly json: unknown; readonly text: string }): Promise<void>;
}

/** One message on the import work queue: one dealer per message (declared with its schema). */
export type { WorkMessage } from './core/import/work-message.js';

/** The import fan-out queue (SQS in AWS). */
export interface WorkQueue {
  /** `delaySeconds` holds the messages back (at most 900, SQS's limit). */
  send(messages: readonly WorkMessage[], options?: { readonly delaySeconds?: number }): Promise<void>;
}

// ───────────────────────────── Webhooks → DMS ─────────────────────────────

/**
 * Runs the records of one FIFO batch in order. Once a record of a message group throws, the
 * group's later records are not run (they would overtake it); other groups go on. Resolves with
 * the ids of the records that threw or were not run, in batch order — never rejects for a record.
 */
export type FifoBatchRunner = <R extends { readonly messageId: string; readonly groupId?: string }>(
  records: readonly R[],
  handle: (record: R) => Promise<void>,
) => Promise<readonly string[]>;

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
  /**
   * Records an accepted delivery (conditional write); false when it was recorded already. With
   * `last`, also records it as the last delivery about its subject (see {@link LastDelivery}).
   */
  markDelivered(
    eventId: string,
    info: { readonly dealerId: string; readonly type: string; readonly last?: LastDelivery },
  ): Promise<boolean>;
  /** The last delivery accepted about a subject (a vehicle, else the order/lead/conversation). */
  lastDelivery(subject: string): Promise<LastDelivery | null>;
}

/**
 * What an event is compared with to tell a re-send from a repeat: the last delivery about the same
 * subject (the FIFO group: dealer + vehicle, or dealer + entity).
 */
export interface LastDelivery {
  readonly subject: string;
  readonly eventId: string;
  /** SHA-256 of dealer + the webhook body. */
  readonly bodyHash: string;
  /** SHA-256 of what the DMS received apart from id and time: type, vehicle as read from Wayke, payload. */
  readonly contentHash: string;
}

/** Failed delivery attempts, for the retry schedule and the "DMS endpoint failing" alarm metric. */
export interface DeliveryAttempts {
  /**
   * Counts one failed attempt of the event and returns the count so far. With `endpoint` (the DMS
   * itself failed, not Wayke), also returns since when the dealer's DMS endpoint has been failing.
   */
  recordFailure(
    eventId: string,
    info: { readonly dealerId: string; readonly endpoint: boolean },
  ): Promise<{ failures: number; endpointFailingSince?: Date }>;
  /** The dealer's DMS accepted an event: its endpoint is no longer failing. */
  recordEndpointSuccess(dealerId: string): Promise<void>;
}

/** Hides a received queue message until its next attempt (`ChangeMessageVisibility`). */
export interface RetryScheduler {
  retryAfter(receiptHandle: string, delaySeconds: number): Promise<void>;
}

/** Archive of delivered DMS events, read by `wayke-dms replay` (30 days). */
export interface DeliveredEventArchive {
  /** Keeps the envelope exactly as delivered (the same bytes re-deliver with the same `webhook-id`). */
  put(entry: {
    readonly dealerId: string;
    readonly deliveredAt: Date;
    readonly subject: string;
    readonly envelope: import('./core/events/envelope.js').DmsEnvelope;
  }): Promise<void>;
  /** Envelopes of a dealer delivered in `[since, until)`, oldest first. */
  list(query: { readonly dealerId: string; readonly since: Date; readonly until: Date }): Promise<ArchivedEvent[]>;
}

export interface ArchivedEvent {
  readonly deliveredAt: string;
  readonly subject: string;
  readonly envelope: import('./core/events/envelope.js').DmsEnvelope;
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

// ───────────────────────────── Vehicle API (DMS pushes) ─────────────────────────────

/** The state of one vehicle as the Vehicle API reports it. */
export type VehicleState = 'pending' | 'applied' | 'failed' | 'removed' | 'held';

/** What the Vehicle API remembers of a plate it was told about (beside the snapshot entry). */
export interface VehicleStatusRecord {
  readonly registrationNumber: string;
  readonly state: VehicleState;
  /** Id of the latest accepted change; only that change's outcome may set `state`. */
  readonly changeId: string;
  readonly acceptedAt: string;
  /** Snapshot hash of the latest accepted vehicle (absent for a `DELETE`). */
  readonly fingerprint?: string;
  readonly waykeId?: string;
  readonly lastAppliedAt?: string;
  readonly lastError?: string;
  /** ISO time a `DELETE` was applied: the safety valve counts these per hour. */
  readonly removedAt?: string;
}

/** One page of status records, in plate order. */
export interface VehicleStatusPage {
  readonly items: readonly VehicleStatusRecord[];
  /** The last plate of the page when more may follow; absent on the last page. */
  readonly cursor?: string;
}

/** The Vehicle API's per-plate state (in the snapshot table, beside the dealer's entries). */
export interface VehicleStatusStore {
  get(dealerId: string, registrationNumber: string): Promise<VehicleStatusRecord | null>;
  /** Records with a plate after `cursor` (a plate), in plate order. */
  list(dealerId: string, page: { readonly limit: number; readonly cursor?: string }): Promise<VehicleStatusPage>;
  /**
   * Records an accepted change: `state: pending` (or `held`) and the new `changeId`; keeps the
   * last outcome's `waykeId` and `lastAppliedAt`. Returns the record as stored.
   */
  accepted(dealerId: string, record: VehicleStatusRecord): Promise<VehicleStatusRecord>;
  /**
   * Records a change's outcome. `state` and `lastError` are set only while `changeId` is still the
   * latest accepted one (a newer change is pending); `waykeId`, `lastAppliedAt`, `removedAt` always.
   */
  settled(
    dealerId: string,
    changeId: string,
    outcome: Omit<VehicleStatusRecord, 'changeId' | 'acceptedAt' | 'fingerprint'>,
  ): Promise<void>;
  /** `DELETE`s applied since `since` (the safety valve's hourly count). */
  removalsSince(dealerId: string, since: Date): Promise<number>;
}

/** The answer to a rate-limited request. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** A per-key token bucket shared by every Lambda instance (DynamoDB in AWS and locally). */
export interface RateLimiter {
  take(key: string, limit: { readonly requestsPerSecond: number; readonly burst: number }): Promise<RateDecision>;
}

/** A stored HTTP answer, replayed for a repeated `Idempotency-Key`. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Runs a request once per key for the store's lifetime (the Vehicle API's `IDEMPOTENCY_TTL_SECONDS`):
 * a repeat gets the first answer.
 * Throws {@link import('./core/vehicle-api/errors.js').IdempotencyConflictError} when the key is
 * reused for a different request, {@link import('./core/vehicle-api/errors.js').IdempotencyInProgressError}
 * while the first is still running. A run that throws stores nothing (the client may retry).
 */
export interface IdempotencyGuard {
  once(key: string, fingerprint: string, run: () => Promise<StoredResponse>): Promise<StoredResponse>;
}

// ───────────────────────────── Logging and metrics ─────────────────────────────

/** Counters the use cases publish (Powertools Metrics, as CloudWatch EMF, in Lambda). */
export interface MetricsSink {
  /** Adds `value` to the named count of this invocation. */
  count(name: string, value: number): void;
}

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
