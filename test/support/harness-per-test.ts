import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { WaykeSimulatorFaults } from '../../functions/local/wayke-simulator/index.js';
import { startDynamo, type Dynamo } from './engines.js';
import { startHarness, type Harness } from './import-harness.js';

/**
 * Registers a suite's hooks for one dynalite shared by the file and a fresh import harness (its own
 * simulator) per test, stopped after it. Read `current` inside a test or a hook that runs after these.
 */
export function harnessPerTest(faults: Partial<WaykeSimulatorFaults> = {}): { readonly current: Harness } {
  let dynamo: Dynamo | undefined;
  let harness: Harness | undefined;
  beforeAll(async () => {
    dynamo = await startDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
  beforeEach(async () => {
    harness = await startHarness(dynamo as Dynamo, faults);
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  return {
    get current(): Harness {
      if (!harness) throw new Error('no harness outside a test');
      return harness;
    },
  };
}
