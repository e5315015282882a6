/** Fault injection alone: which routes it picks, counters before rates, and the seeded sequence. */
import { describe, expect, it } from 'vitest';
import { FaultInjector, type FaultTarget } from '../../../functions/local/wayke-simulator/faults.js';
import { ROUTES } from '../../../functions/local/wayke-simulator/routes.js';

const route = (key: string): FaultTarget => {
  const found = ROUTES.find((r) => r.key === key);
  if (!found) throw new Error(`no route ${key}`);
  return found;
};
const CREATE = route('POST /vehicle');
const READ = route('GET /vehicle/{id}/ad');
const FILE = route('GET /files/{fileId}');
const NO_DRAW = [0.99, 0.99, 0.99] as const;

describe('Wayke simulator faults', () => {
  it('with no routes named, applies to every faultable route but never to media file GETs', () => {
    const faults = new FaultInjector();
    expect(ROUTES.filter((r) => faults.appliesTo(r)).map((r) => r.key)).toEqual(
      ROUTES.filter((r) => r.key !== 'GET /files/{fileId}').map((r) => r.key),
    );
    expect(faults.appliesTo(FILE)).toBe(false);
  });

  it('with routes named, applies to those only', () => {
    const faults = new FaultInjector({ routes: ['POST /vehicle'] });
    expect(ROUTES.filter((r) => faults.appliesTo(r)).map((r) => r.key)).toEqual(['POST /vehicle']);
  });

  it('a route not picked gets no fault and draws no random, so the picked routes keep their sequence', async () => {
    const settings = { throttleRate: 0.5, seed: 11, routes: ['POST /vehicle'] };
    const alone = new FaultInjector(settings);
    const mixed = new FaultInjector(settings);
    const expected: string[] = [];
    const seen: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      expected.push((await alone.inject(CREATE)).kind);
      expect(await mixed.inject(READ)).toEqual({ kind: 'none', commitThenFail: false });
      seen.push((await mixed.inject(CREATE)).kind);
    }
    expect(seen).toEqual(expected);
    expect(new Set(expected)).toEqual(new Set(['throttle', 'none']));
  });

  it('a call still sleeping when the faults change never uses up a counter set for the calls after it', async () => {
    for (const routes of [['POST /vehicle'], []]) {
      const faults = new FaultInjector({ latencyMs: 30, routes: ['GET /vehicle/{id}/ad'] });
      const slept = faults.inject(READ);
      faults.set({ latencyMs: 0, serverErrorNext: 1, routes });
      expect(await slept).toEqual({ kind: 'none', commitThenFail: false });
      expect((await faults.inject(CREATE)).kind).toBe('serverError');
    }
  });

  it('counters fire before rates and are used up one per call: throttle, then server error', () => {
    const faults = new FaultInjector({ throttleNext: 1, serverErrorNext: 1, retryAfterSeconds: 7 });
    expect(faults.decide(READ, NO_DRAW)).toEqual({ kind: 'throttle', retryAfter: '7' });
    expect(faults.decide(READ, NO_DRAW)).toEqual({ kind: 'serverError' });
    expect(faults.decide(READ, NO_DRAW)).toEqual({ kind: 'none', commitThenFail: false });
    expect(faults.current).toMatchObject({ throttleNext: 0, serverErrorNext: 0 });
  });

  it('rates compare with the draws: below the rate is a fault', () => {
    const faults = new FaultInjector({ throttleRate: 0.2, serverErrorRate: 0.2 });
    expect(faults.decide(READ, [0.1, 0.99, 0.99]).kind).toBe('throttle');
    expect(faults.decide(READ, [0.3, 0.1, 0.99]).kind).toBe('serverError');
    expect(faults.decide(READ, [0.2, 0.2, 0.99]).kind).toBe('none');
  });

  it('commit-then-fail applies to changing routes only, and its counter is spent only when answered', () => {
    const faults = new FaultInjector({ commitThenFailNext: 1 });
    expect(faults.decide(READ, NO_DRAW)).toEqual({ kind: 'none', commitThenFail: false });
    expect(faults.decide(CREATE, NO_DRAW)).toEqual({ kind: 'none', commitThenFail: true });
    // Not spent by deciding (the call may still fail validation): the next change gets it too.
    expect(faults.decide(CREATE, NO_DRAW)).toEqual({ kind: 'none', commitThenFail: true });
    faults.commitThenFailSpent();
    expect(faults.decide(CREATE, NO_DRAW)).toEqual({ kind: 'none', commitThenFail: false });
    faults.commitThenFailSpent();
    expect(faults.current.commitThenFailNext).toBe(0);
  });

  it('sends Retry-After as an HTTP date when asked', () => {
    const faults = new FaultInjector({ throttleNext: 1, retryAfterAsDate: true, retryAfterSeconds: 30 });
    const decision = faults.decide(READ, NO_DRAW);
    expect(decision.kind).toBe('throttle');
    const retryAfter = (decision as { retryAfter: string }).retryAfter;
    expect(retryAfter).toMatch(/GMT$/);
    expect(Number.isNaN(Date.parse(retryAfter))).toBe(false);
  });

  it('a new seed restarts the sequence; merging other settings keeps it going', async () => {
    const a = new FaultInjector({ throttleRate: 0.5, seed: 3 });
    const first = [];
    for (let i = 0; i < 10; i += 1) first.push((await a.inject(READ)).kind);
    a.set({ seed: 3 });
    const again = [];
    for (let i = 0; i < 10; i += 1) again.push((await a.inject(READ)).kind);
    expect(again).toEqual(first);
    expect(a.set({ latencyMs: 0 })).toMatchObject({ seed: 3, throttleRate: 0.5 });
  });

  it('hands out copies: changing one does not change the faults in force', () => {
    const faults = new FaultInjector({ routes: ['POST /vehicle'] });
    (faults.current.routes as string[]).push('GET /vehicle/{id}/ad');
    expect(faults.appliesTo(READ)).toBe(false);
  });
});
