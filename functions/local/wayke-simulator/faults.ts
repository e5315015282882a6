/**
 * Fault injection: which calls get a 429, a 500 or a commit-then-fail, from seeded rates and
 * deterministic counters, limited to the routes asked for.
 */
import * as z from 'zod';
import { sleep } from './http.js';
import type { WaykeSimulatorFaults } from './types.js';

export const DEFAULT_FAULTS: WaykeSimulatorFaults = {
  serverErrorRate: 0,
  throttleRate: 0,
  retryAfterSeconds: 1,
  retryAfterAsDate: false,
  latencyMs: 0,
  commitThenFailRate: 0,
  seed: 1,
  throttleNext: 0,
  serverErrorNext: 0,
  commitThenFailNext: 0,
  routes: [],
};

const share = z.number().min(0).max(1);
const count = z.number().int().min(0);

/**
 * A change to the faults in force (`POST /_admin/faults`, `simulate-wayke --faults`): only known
 * names with values in range, so a misspelt fault is refused instead of silently doing nothing.
 */
export const FaultsChangeSchema = z
  .object({
    serverErrorRate: share,
    throttleRate: share,
    retryAfterSeconds: count,
    retryAfterAsDate: z.boolean(),
    latencyMs: count,
    commitThenFailRate: share,
    seed: z.number().int(),
    throttleNext: count,
    serverErrorNext: count,
    commitThenFailNext: count,
    routes: z.array(
      z.string().regex(/^(GET|POST|PUT|PATCH|DELETE) \//, 'a route as in state().calls, e.g. "POST /vehicle"'),
    ),
  } satisfies Record<keyof WaykeSimulatorFaults, z.ZodType>)
  .partial()
  .strict();

/** A refused part of a faults change: its field, the reason, and both as one line for a terminal. */
export interface FaultsProblem {
  readonly field: string;
  readonly message: string;
  readonly text: string;
}

/** The problems of a faults change, one per field (`unknown fault "serverErrorRte" (known: …)`). */
export function faultsChangeProblems(error: z.ZodError): FaultsProblem[] {
  const known = Object.keys(DEFAULT_FAULTS).join(', ');
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => {
        const message = `unknown fault "${key}" (known: ${known})`;
        return { field: key, message, text: message };
      });
    const field = issue.path.join('.') || 'body';
    return [{ field, message: issue.message, text: `${field}: ${issue.message}` }];
  });
}

/** mulberry32: small, fast, good enough to make fault sequences (and test choices) repeatable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a route needs to be judged: its key (as in `state().calls`) and what the fault kinds apply to. */
export interface FaultTarget {
  readonly key: string;
  /** Subject to fault injection at all. */
  readonly faultable: boolean;
  /** Changes state (commit-then-fail applies). */
  readonly mutates: boolean;
}

/** The fault for one call: answer 429 or 500 before anything is applied, or apply and maybe fail after. */
export type FaultDecision =
  | { readonly kind: 'throttle'; readonly retryAfter: string }
  | { readonly kind: 'serverError' }
  | { readonly kind: 'none'; readonly commitThenFail: boolean };

const NO_FAULT: FaultDecision = { kind: 'none', commitThenFail: false };

const clone = <T>(value: T): T => structuredClone(value);

export class FaultInjector {
  private faults: WaykeSimulatorFaults;
  private random: () => number;

  constructor(initial: Partial<WaykeSimulatorFaults> = {}) {
    this.faults = { ...DEFAULT_FAULTS, ...initial };
    this.random = prng(this.faults.seed);
  }

  /** The faults in force (a copy). */
  get current(): WaykeSimulatorFaults {
    return clone(this.faults);
  }

  /** Merges into the faults in force; a new `seed` restarts the PRNG. Returns the result. */
  set(partial: Partial<WaykeSimulatorFaults>): WaykeSimulatorFaults {
    this.faults = { ...this.faults, ...partial };
    if (partial.seed !== undefined) this.random = prng(partial.seed);
    return clone(this.faults);
  }

  appliesTo(route: FaultTarget): boolean {
    return route.faultable && (this.faults.routes.length === 0 || this.faults.routes.includes(route.key));
  }

  /** Draws the call's fault as it arrives, and answers it after the configured latency. */
  async inject(route: FaultTarget): Promise<FaultDecision> {
    if (!this.appliesTo(route)) return NO_FAULT;
    // Always the same number of randoms per faultable call, so a seed repeats whatever the outcome.
    const draws = [this.random(), this.random(), this.random()] as const;
    // Decided as the call arrives, then slept: a call still sleeping when the faults change
    // never uses up a counter set for the calls after it.
    const latencyMs = this.faults.latencyMs;
    const decision = this.decide(route, draws);
    if (latencyMs > 0) await sleep(latencyMs);
    return decision;
  }

  /** Counters first, then the rates; a counter that fires is used up. */
  decide(route: FaultTarget, [rThrottle, rError, rCommit]: readonly [number, number, number]): FaultDecision {
    const f = this.faults;
    if (f.throttleNext > 0 || rThrottle < f.throttleRate) {
      if (f.throttleNext > 0) this.faults = { ...f, throttleNext: f.throttleNext - 1 };
      return { kind: 'throttle', retryAfter: this.retryAfter() };
    }
    if (f.serverErrorNext > 0 || rError < f.serverErrorRate) {
      if (f.serverErrorNext > 0) this.faults = { ...f, serverErrorNext: f.serverErrorNext - 1 };
      return { kind: 'serverError' };
    }
    return {
      kind: 'none',
      commitThenFail: route.mutates && (f.commitThenFailNext > 0 || rCommit < f.commitThenFailRate),
    };
  }

  /** A commit-then-fail was answered: uses up one of `commitThenFailNext` (one that never fired is kept). */
  commitThenFailSpent(): void {
    if (this.faults.commitThenFailNext > 0)
      this.faults = { ...this.faults, commitThenFailNext: this.faults.commitThenFailNext - 1 };
  }

  private retryAfter(): string {
    return this.faults.retryAfterAsDate
      ? new Date(Date.now() + this.faults.retryAfterSeconds * 1000).toUTCString()
      : String(this.faults.retryAfterSeconds);
  }
}
