/**
 * The state file (`stateFile`: the ads, media, clients and the webhooks not yet delivered): loading
 * it at start (a file that cannot be used is moved aside and the simulator starts empty), and saving
 * it debounced after changes and once more at stop, as a temp file renamed over the old one so a
 * crash never leaves half a file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Log } from '../../ports.js';
import type { SimulatorState } from './state.js';
import type { MutableAd, PendingWebhook, SimulatedMedia, WaykeSimulatorClient } from './types.js';

/** The `stateFile` content (version 1). */
export interface PersistedState {
  readonly version: 1;
  readonly savedAt: string;
  readonly ads: readonly MutableAd[];
  readonly adsByPlate: Readonly<Record<string, readonly string[]>>;
  readonly media: ReadonlyArray<SimulatedMedia & { bytesBase64?: string }>;
  readonly clients: readonly WaykeSimulatorClient[];
  /** Webhooks not yet delivered at the save, oldest first (absent in files of older versions). */
  readonly pendingWebhooks?: readonly PendingWebhook[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isAd = (ad: unknown): boolean =>
  isRecord(ad) &&
  typeof ad.id === 'string' &&
  typeof ad.branch === 'string' &&
  isRecord(ad.vehicle) &&
  isRecord(ad.ad) &&
  typeof ad.version === 'number';

const isIdList = (ids: unknown): boolean => Array.isArray(ids) && ids.every((id) => typeof id === 'string');

const isMedia = (m: unknown): boolean =>
  isRecord(m) && typeof m.mediaId === 'string' && typeof m.fileId === 'string' && typeof m.url === 'string';

const isClient = (c: unknown): boolean =>
  isRecord(c) && typeof c.clientId === 'string' && typeof c.clientSecret === 'string';

const isPendingWebhook = (w: unknown): boolean =>
  isRecord(w) && (w.kind === 'vehicle-updated' || w.kind === 'process') && isAd(w.ad) && isRecord(w.payload);

const isListOf = (value: unknown, item: (entry: unknown) => boolean): boolean =>
  Array.isArray(value) && value.every(item);

/** The first part of a version 1 state that is malformed, as the reason text. */
function malformedPart(value: Record<string, unknown>): string | undefined {
  if (!isListOf(value.ads, isAd)) return 'ads are malformed';
  if (!isRecord(value.adsByPlate) || !Object.values(value.adsByPlate).every(isIdList)) return 'adsByPlate is malformed';
  if (!isListOf(value.media, isMedia)) return 'media are malformed';
  if (!isListOf(value.clients, isClient)) return 'clients are malformed';
  if (value.pendingWebhooks !== undefined && !isListOf(value.pendingWebhooks, isPendingWebhook))
    return 'pendingWebhooks are malformed';
  return undefined;
}

/** The parsed state file, or a reason it cannot be used. */
export function parsePersistedState(text: string): PersistedState | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  if (!isRecord(value) || value.version !== 1) return 'not a version 1 simulator state';
  return malformedPart(value) ?? (value as unknown as PersistedState);
}

function readStateFile(file: string): PersistedState | string {
  try {
    return parsePersistedState(readFileSync(file, 'utf8'));
  } catch (error) {
    return `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
}

/** Moves an unusable file aside (kept for a look, and out of the way of the next save) and warns. */
function setAside(file: string, reason: string, log: Log | undefined): void {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  let movedTo: string | null = aside;
  try {
    renameSync(file, aside);
  } catch {
    movedTo = null;
  }
  const message = `Wayke simulator state file ${file} is ${reason}; starting with an empty state`;
  if (log) log.warn(message, { stateFile: file, ...(movedTo ? { movedTo } : {}) });
  else process.emitWarning(`${message}${movedTo ? ` (the file was moved to ${movedTo})` : ''}`);
}

/** Puts a loaded state into `state`; plate index entries naming no kept ad are dropped. */
export function restoreState(state: SimulatorState, loaded: PersistedState): void {
  for (const ad of loaded.ads) state.ads.set(ad.id, structuredClone(ad));
  for (const [plate, ids] of Object.entries(loaded.adsByPlate)) {
    const known = ids.filter((id) => state.ads.has(id));
    if (known.length > 0) state.adsByPlate.set(plate, known);
  }
  for (const { bytesBase64, ...record } of loaded.media) {
    state.addMedia({ ...record, ...(bytesBase64 !== undefined ? { bytes: Buffer.from(bytesBase64, 'base64') } : {}) });
  }
  for (const pending of loaded.pendingWebhooks ?? []) state.pendingWebhooks.add(structuredClone(pending));
  // The clients given now win over kept ones with the same id (e.g. a changed secret).
  for (const client of loaded.clients)
    if (!state.clients.some((c) => c.clientId === client.clientId)) state.addClient(client);
}

/** Loads `file` into `state`; true when it was there and usable. */
export function loadStateFile(state: SimulatorState, file: string, log?: Log): boolean {
  if (!existsSync(file)) return false;
  const loaded = readStateFile(file);
  if (typeof loaded === 'string') {
    setAside(file, loaded, log);
    return false;
  }
  restoreState(state, loaded);
  return true;
}

export function persistedState(state: SimulatorState): PersistedState {
  return {
    version: 1,
    savedAt: new Date().toISOString(),
    ads: [...state.ads.values()],
    adsByPlate: Object.fromEntries(state.adsByPlate),
    media: [...state.media.values()].map(({ bytes, ...record }) => ({
      ...record,
      ...(bytes ? { bytesBase64: bytes.toString('base64') } : {}),
    })),
    clients: state.clients,
    pendingWebhooks: [...state.pendingWebhooks],
  };
}

/** Saves `state` to `file` (none: every call is a no-op), one save at a time. */
export class StateFile {
  private saveTail: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly state: SimulatorState,
    private readonly file: string | undefined,
    private readonly delayMs: number,
    private readonly log?: Log,
  ) {}

  /** Writes the state now; a scheduled save is folded into this one. */
  save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    this.cancelTimer();
    const run = this.saveTail.then(async () => {
      // Serialised when the save runs, so it holds every change made before it.
      const text = JSON.stringify(persistedState(this.state));
      mkdirSync(dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, text);
      await rename(temp, file);
    });
    this.saveTail = run.catch((error: Error) => {
      this.log?.warn('Wayke simulator state could not be saved', { stateFile: file, error: error.message });
    });
    return run;
  }

  /** Saves `delayMs` from now, unless a save is already scheduled (changes in between join it). */
  schedule(): void {
    if (!this.file || this.state.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.save().catch(() => undefined);
    }, this.delayMs);
    this.timer.unref();
  }

  /** The last save, at stop. */
  async close(): Promise<void> {
    if (!this.file) return;
    this.cancelTimer();
    await this.save();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
