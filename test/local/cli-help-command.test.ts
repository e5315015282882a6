/**
 * `wayke-dms help <command>` is that command's `--help`, through the real launcher and bundle (the
 * test run builds dist/cli first); `help <unknown>` is refused as an unknown command is.
 */
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli-run.js';

const env = { ...process.env, WAYKE_DMS_FROM_SOURCE: '' };

describe('wayke-dms help <command>', () => {
  it('prints exactly what <command> --help prints, exit 0', async () => {
    const [viaHelp, viaFlag] = await Promise.all([spawnCli(['help', 'plan'], env), spawnCli(['plan', '--help'], env)]);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: wayke-dms plan /);
    expect(viaHelp.stderr).toBe('');
    expect(viaHelp.status).toBe(0);
  });

  it('refuses an unknown command as running it does: the message and exit 2', async () => {
    const [viaHelp, asCommand] = await Promise.all([spawnCli(['help', 'nosuch'], env), spawnCli(['nosuch'], env)]);
    expect(viaHelp.stderr).toMatch(/^wayke-dms: unknown command "nosuch"\n/);
    expect(viaHelp.stderr).toBe(asCommand.stderr);
    expect(viaHelp.stdout).toBe('');
    expect(viaHelp.status).toBe(2);
  });

  it('prints the command list for help alone, or help help, exit 0', async () => {
    const [alone, twice, list] = await Promise.all([
      spawnCli(['help'], env),
      spawnCli(['help', 'help'], env),
      spawnCli(['--help'], env),
    ]);
    expect(alone.stdout).toMatch(/^Usage: wayke-dms <command>/);
    expect(twice.stdout).toBe(alone.stdout);
    expect(list.stdout).toBe(alone.stdout);
    expect([alone.status, twice.status]).toEqual([0, 0]);
  });
});
