import { AuthError, ConfigError, errorText } from '../errors.js';

/** How deep a cause chain is followed (chains are a few links; a cycle must not loop). */
const MAX_CAUSES = 8;

/** The error or one of its causes is a {@link ConfigError}: a retryable error may carry the setting that caused it. */
function causedByConfig(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < MAX_CAUSES; depth += 1) {
    if (current instanceof ConfigError) return true;
    current = current.cause;
  }
  return false;
}

/**
 * A failure no vehicle of the run can get past: Wayke refused the credentials, or a setting is
 * wrong (the token endpoint's URL) — thrown as such, or as the cause of a retryable failure (a
 * token host that refused every connection). The first one stops the run: the vehicles already in
 * flight end, no other is started (the check's reads included), and the run reports the reason
 * once (`stopped`) instead of failing every car with it. The vehicles it left undone stay failed
 * in the run state, so the next run tries them again.
 */
export const stopsTheRun = (error: unknown): boolean => error instanceof AuthError || causedByConfig(error);

/** What a stopped run reports: why, once, and how many vehicles it left undone. */
export interface StoppedRun {
  readonly reason: string;
  readonly vehicles: number;
}

/** The run's stop, shared by the check and the apply: the first stopping error and the plates it left undone. */
export class RunStop {
  private first: { readonly reason: string; readonly auth: boolean } | null = null;
  private readonly plates = new Set<string>();

  /** Whether `error` stops the run; if so it is noted (the first one gives the reason) for `plate`. */
  stopsAt(error: unknown, plate: string): boolean {
    if (!stopsTheRun(error)) return false;
    this.first ??= { reason: errorText(error), auth: error instanceof AuthError };
    this.plates.add(plate);
    return true;
  }

  /**
   * Why a step is not started, once the run stopped (null before): the text its failure carries.
   * The plate is noted as left undone by the stop.
   */
  notAttempted(plate: string): string | null {
    if (!this.first) return null;
    this.plates.add(plate);
    return this.first.auth ? `Wayke refused the credentials (${this.first.reason})` : this.first.reason;
  }

  get stopped(): boolean {
    return this.first !== null;
  }

  /** Whether the stop left this plate undone (its failure is the stop's, reported once). */
  leftUndone(plate: string): boolean {
    return this.plates.has(plate);
  }

  /** The run's `stopped`, or null when nothing stopped it. */
  summary(): StoppedRun | null {
    return this.first ? { reason: this.first.reason, vehicles: this.plates.size } : null;
  }
}
