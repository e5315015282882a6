/**
 * In-memory port fakes for the core's use cases: a snapshot store playing every role of the
 * snapshot table, and a Wayke that keeps ads in a map and fails the way the real adapter does —
 * with the core's port errors (`NotFoundError`, `AuthError`, `UnavailableError`), so the core's
 * recovery paths run against a fake exactly as against the real client.
 */
import { AuthError, NotFoundError, UnavailableError } from '../../functions/core/errors.js';
import type { Vehicle } from '../../functions/core/vehicle.js';
import type {
  AdStatus,
  DealerLease,
  ImportRunState,
  LeaseHolder,
  RemovalApprovals,
  RunStateStore,
  SnapshotEntry,
  SnapshotReader,
  Snapshots,
  UploadedFrame,
  UploadedImage,
  WaykeAd,
  WaykeApi,
} from '../../functions/ports.js';

/** Every role of the snapshot table in memory; `now` decides lease and approval expiry. */
export class MemorySnapshotStore implements Snapshots, SnapshotReader, RunStateStore, DealerLease, RemovalApprovals {
  readonly entriesByDealer = new Map<string, Map<string, SnapshotEntry>>();
  readonly runStates = new Map<string, ImportRunState>();
  readonly leases = new Map<string, LeaseHolder>();
  readonly approvals = new Map<string, number>();
  /** Calls of `put`, each with the plates it wrote. */
  readonly puts: string[][] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  private dealer(dealerId: string): Map<string, SnapshotEntry> {
    let entries = this.entriesByDealer.get(dealerId);
    if (!entries) this.entriesByDealer.set(dealerId, (entries = new Map()));
    return entries;
  }

  async load(dealerId: string): Promise<Map<string, SnapshotEntry>> {
    return new Map(this.dealer(dealerId));
  }

  async put(dealerId: string, entries: readonly SnapshotEntry[]): Promise<void> {
    this.puts.push(entries.map((entry) => entry.registrationNumber));
    for (const entry of entries) this.dealer(dealerId).set(entry.registrationNumber, entry);
  }

  async entry(dealerId: string, registrationNumber: string): Promise<SnapshotEntry | null> {
    return this.dealer(dealerId).get(registrationNumber) ?? null;
  }

  async entries(dealerId: string, page: { readonly after?: string; readonly limit: number }): Promise<SnapshotEntry[]> {
    return [...this.dealer(dealerId).values()]
      .filter((entry) => page.after === undefined || entry.registrationNumber > page.after)
      .sort((a, b) => (a.registrationNumber < b.registrationNumber ? -1 : 1))
      .slice(0, page.limit);
  }

  async getRunState(dealerId: string): Promise<ImportRunState | null> {
    return this.runStates.get(dealerId) ?? null;
  }

  async putRunState(dealerId: string, state: ImportRunState): Promise<void> {
    this.runStates.set(dealerId, state);
  }

  // A property typed by the port, so the lease's signature has one home (`DealerLease`).
  acquireLease: DealerLease['acquireLease'] = async (dealerId, holder, ttlMs, takeOverFrom) => {
    const current = this.leases.get(dealerId);
    const free =
      !current ||
      current.expiresAt.getTime() < this.now().getTime() ||
      current.owner === holder.owner ||
      (takeOverFrom !== undefined && current.owner === takeOverFrom);
    if (!free) return { acquired: false, holder: current };
    this.leases.set(dealerId, { ...holder, expiresAt: new Date(this.now().getTime() + ttlMs) });
    return { acquired: true };
  };

  async renewLease(dealerId: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = this.leases.get(dealerId);
    if (current?.owner !== owner) return false;
    this.leases.set(dealerId, { ...current, expiresAt: new Date(this.now().getTime() + ttlMs) });
    return true;
  }

  async releaseLease(dealerId: string, owner: string): Promise<void> {
    if (this.leases.get(dealerId)?.owner === owner) this.leases.delete(dealerId);
  }

  async approveMassRemoval(dealerId: string, _approvedBy: string, ttlMs: number): Promise<void> {
    this.approvals.set(dealerId, this.now().getTime() + ttlMs);
  }

  async consumeMassRemovalApproval(dealerId: string): Promise<boolean> {
    const until = this.approvals.get(dealerId);
    this.approvals.delete(dealerId);
    return until !== undefined && until > this.now().getTime();
  }
}

interface FakeAd {
  id: string;
  branchId: string;
  status: AdStatus;
  vehicle: Vehicle;
  mediaUrls: string[];
}

/** Which calls fail, and how: each rule is checked before the call does anything. */
export interface FakeWaykeFaults {
  /** Every call fails with `AuthError` (credentials refused). */
  auth?: boolean;
  /** These methods fail with `UnavailableError` (Wayke down, throttled past the client's patience). */
  unavailable?: ReadonlyArray<keyof WaykeApi>;
  /** `createAd` stores the ad and then fails with `UnavailableError` (commit then fail). */
  commitThenFail?: boolean;
}

/** A Wayke dealer API in memory. Unknown ad ids answer `NotFoundError`, as the real one's 404. */
export class FakeWayke implements WaykeApi {
  readonly ads = new Map<string, FakeAd>();
  readonly calls: string[] = [];
  faults: FakeWaykeFaults = {};
  private ids = 0;

  private enter(method: keyof WaykeApi): void {
    this.calls.push(method);
    if (this.faults.auth) throw new AuthError('Wayke refused the client credentials', { operation: method });
    if (this.faults.unavailable?.includes(method))
      throw new UnavailableError('Wayke is unavailable', { operation: method });
  }

  private ad(adId: string): FakeAd {
    const ad = this.ads.get(adId);
    if (!ad) throw new NotFoundError(`No ad ${adId}`, { operation: 'ad' });
    return ad;
  }

  /** The ads of a plate. */
  byPlate(registrationNumber: string): FakeAd[] {
    return [...this.ads.values()].filter((ad) => ad.vehicle.registrationNumber === registrationNumber);
  }

  private view(ad: FakeAd): WaykeAd {
    return { id: ad.id, branchId: ad.branchId, status: ad.status, vehicle: ad.vehicle, mediaUrls: [...ad.mediaUrls] };
  }

  async findAdByRegistrationNumber(branchId: string, registrationNumber: string): Promise<WaykeAd | null> {
    this.enter('findAdByRegistrationNumber');
    const ad = this.byPlate(registrationNumber).find((candidate) => candidate.branchId === branchId);
    return ad ? this.view(ad) : null;
  }

  async getAd(adId: string): Promise<WaykeAd> {
    this.enter('getAd');
    return this.view(this.ad(adId));
  }

  async createAd(input: Parameters<WaykeApi['createAd']>[0]): Promise<{ id: string }> {
    this.enter('createAd');
    const id = `ad-${++this.ids}`;
    const { branchId, vehicle, status } = input;
    this.ads.set(id, { id, branchId, vehicle, status, mediaUrls: [...(input.mediaUrls ?? [])] });
    if (this.faults.commitThenFail)
      throw new UnavailableError('Wayke timed out after storing', { operation: 'createAd' });
    return { id };
  }

  async patchAd(input: Parameters<WaykeApi['patchAd']>[0]): Promise<void> {
    this.enter('patchAd');
    const ad = this.ad(input.adId);
    const vehicle: Record<string, unknown> = { ...ad.vehicle };
    for (const [field, value] of Object.entries(input.fields)) {
      if (value === null) delete vehicle[field];
      else vehicle[field] = value;
    }
    ad.vehicle = vehicle as unknown as Vehicle;
    if (input.mediaUrls) ad.mediaUrls = [...input.mediaUrls];
  }

  async setStatus(adId: string, status: AdStatus): Promise<void> {
    this.enter('setStatus');
    this.ad(adId).status = status;
  }

  async setMedia(adId: string, mediaUrls: readonly string[]): Promise<void> {
    this.enter('setMedia');
    this.ad(adId).mediaUrls = [...mediaUrls];
  }

  async uploadImageByUrl(input: { url: string }): Promise<UploadedImage> {
    this.enter('uploadImageByUrl');
    const mediaId = `media-${++this.ids}`;
    return { mediaId, url: `https://media.example.test/${mediaId}?from=${encodeURIComponent(input.url)}` };
  }

  async uploadImageBytes(input: { fileName: string }): Promise<UploadedImage> {
    this.enter('uploadImageBytes');
    const mediaId = `media-${++this.ids}`;
    return { mediaId, url: `https://media.example.test/${mediaId}/${input.fileName}` };
  }

  async registerVideo(input: { url: string }): Promise<UploadedImage> {
    this.enter('registerVideo');
    return { mediaId: `media-${++this.ids}`, url: input.url };
  }

  async createPanorama(): Promise<{ containerId: string }> {
    this.enter('createPanorama');
    return { containerId: `container-${++this.ids}` };
  }

  async uploadPanoramaFrame(input: { containerId: string; sourceUrl: string }): Promise<UploadedFrame> {
    this.enter('uploadPanoramaFrame');
    return { imageId: `frame-${++this.ids}`, url: `https://media.example.test/${input.containerId}/${this.ids}` };
  }
}
