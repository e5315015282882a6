/** `wayke-dms simulate-wayke` as a user runs it: a child process, its printed URLs, Ctrl-C. */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startSimulatorCli } from '../../support/simulator-cli.js';

describe('wayke-dms simulate-wayke', () => {
  it('prints its URLs, serves the API with the given client and faults, and stops on SIGINT', async () => {
    const { child, urls } = await startSimulatorCli([
      '--client-id',
      'cli-client',
      '--client-secret',
      'cli-secret',
      '--faults',
      '{"latencyMs":1,"seed":9}',
      '--webhook-url',
      'http://127.0.0.1:9/hook',
    ]);
    try {
      expect(urls.authUrl).toBe(`${urls.url}/auth`);
      expect(urls.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const token = await fetch(`${urls.authUrl}/connect/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'cli-client',
          client_secret: 'cli-secret',
          scope: 'api-resource',
        }),
      });
      expect(token.status).toBe(200);
      const state = (await (await fetch(`${urls.url}/_admin/state`)).json()) as {
        faults: { latencyMs: number; seed: number };
        tokensIssued: number;
      };
      expect(state.faults).toMatchObject({ latencyMs: 1, seed: 9 });
      expect(state.tokensIssued).toBe(1);

      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses unknown faults with exit status 2', () => {
    const result = spawnSync(process.execPath, ['bin/wayke-dms.js', 'simulate-wayke', '--faults', '{"explode":1}'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown fault "explode"');
  });

  it('refuses a fault out of range with exit status 2, naming it', () => {
    const result = spawnSync(
      process.execPath,
      ['bin/wayke-dms.js', 'simulate-wayke', '--faults', '{"serverErrorRate":1.5}'],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--faults: serverErrorRate:');
  });
});
