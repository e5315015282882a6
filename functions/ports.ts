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

// SnapshotStore, FeedSource, ReportSink and the lease live here too (import issue).

// ───────────────────────────── Webhooks → DMS ─────────────────────────────

// Queue, DedupeStore and DmsSink live here (webhook issue).

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
