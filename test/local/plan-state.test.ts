/**
 * `plan` (and `import`) against a state directory that is not the one meant says so in words and
 * exits 1, instead of planning every vehicle as new: a `--state` path that does not exist, a
 * `--dealer` the local run that used the directory does not know. A default state directory that
 * does not exist yet is a first run: the plan is against an empty snapshot, said in one line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDealerConfig } from '../../functions/adapters/dealer-config-file.js';
import { stateLayout } from '../../functions/local/state-dir.js';
import { runImportInProcess, unreachableWaykeEnv } from '../support/cli-run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FEED = join(ROOT, 'examples/feeds/bilhallen.csv');
const CONFIG = join(ROOT, 'config/dealers.example.json');
const dir = mkdtempSync(join(tmpdir(), 'plan-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Wayke settings `import` checks first; nothing is reached, as the state check refuses before. */
const env = unreachableWaykeEnv();
const cli = (...args: string[]) => runImportInProcess(args, env);

/** A state directory a local run of the example config used: its dealers.json lists the dealers. */
function localRunState(name: string): string {
  const state = join(dir, name);
  mkdirSync(state, { recursive: true });
  writeFileSync(stateLayout(state).dealers, `${JSON.stringify(loadDealerConfig(CONFIG, ROOT), null, 2)}\n`);
  return state;
}

describe('plan against a state directory', () => {
  it('named by --state but missing: exit 1, naming it, and creates nothing', async () => {
    const state = join(dir, 'nonexist');
    const result = await cli('plan', FEED, '--dealer', 'bilhallen', '--state', state);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`wayke-dms plan: the state directory ${state} does not exist; check --state`);
    expect(result.stdout).toBe('');
    expect(existsSync(state)).toBe(false);
  });

  it('named by --state, existing but empty: the plan is against an empty snapshot, said in one line', async () => {
    const state = join(dir, 'empty');
    mkdirSync(state);
    const result = await cli('plan', FEED, '--dealer', 'bilhallen', '--state', state);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(`wayke-dms plan: no snapshot yet in ${state}: every vehicle would be created\n`);
    expect(result.stdout).toContain('create 46 · update 0 · remove 0 · republish 0 · unchanged 0');
    expect(readdirSync(state)).toEqual([]);
  });

  it.each(['plan', 'import'])(
    '%s for a dealer the local run does not know: exit 1, naming the dealers it has',
    async (mode) => {
      const state = localRunState(`typo-${mode}`);
      const result = await cli(mode, FEED, '--dealer', 'bilhalen', '--state', state);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        `wayke-dms ${mode}: dealer "bilhalen" is not one of the local run's dealers in ${join(state, 'dealers.json')} (bilhallen, motorcentrum, autohuset)`,
      );
      expect(result.stdout).toBe('');
      expect(readdirSync(state)).toEqual(['dealers.json']);
    },
  );

  it('for a dealer the local run knows: plans as usual', async () => {
    const state = localRunState('known');
    const result = await cli('plan', FEED, '--dealer', 'bilhallen', '--state', state, '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).create).toHaveLength(46);
  });

  it('with --config, the config says which dealers exist, not the local run', async () => {
    const state = join(dir, 'other-config');
    mkdirSync(state);
    writeFileSync(stateLayout(state).dealers, JSON.stringify({ dealers: [{ id: 'motorcentrum' }] }));
    const result = await cli('plan', FEED, '--dealer', 'bilhallen', '--state', state, '--config', CONFIG, '--json');
    expect(result.stderr).not.toContain('is not one of');
    expect(result.status).toBe(0);
  });

  it('by default (./.wayke-dms), not there yet: plans against an empty snapshot, said in one line', () => {
    const cwd = join(dir, 'fresh-checkout');
    mkdirSync(cwd);
    const result = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/wayke-dms.js'), 'plan', FEED, '--dealer', 'bilhallen'],
      {
        cwd,
        env: { ...env, NODE_NO_WARNINGS: '1' },
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      `wayke-dms plan: no snapshot yet in ${join(cwd, '.wayke-dms')}: every vehicle would be created\n`,
    );
    expect(result.stdout).toContain('create 46');
    expect(existsSync(join(cwd, '.wayke-dms'))).toBe(false);
  });
});
