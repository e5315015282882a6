/**
 * The CLI where packages are missing, as after `npm install --omit=dev`: a command whose module
 * cannot load names the package and `npm install` and exits 1 (no stack trace).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('wayke-dms without its dev dependencies', () => {
  it('dev exits 1 naming the missing engine and npm install', () => {
    // A loader that refuses local-aws-sqs, the way a missing package fails to resolve.
    const hook = `data:text/javascript,${encodeURIComponent(
      "export async function resolve(s, c, next) { if (s === 'local-aws-sqs') { const e = new Error(\"Cannot find package 'local-aws-sqs' imported from x\"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }",
    )}`;
    const register = `data:text/javascript,${encodeURIComponent(
      `import { register } from 'node:module'; register(${JSON.stringify(hook)});`,
    )}`;
    const run = spawnSync(process.execPath, ['--import', register, 'bin/wayke-dms.js', 'dev', '--once'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WAYKE_DMS_FROM_SOURCE: '1' },
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('needs local-aws-sqs, which is not installed');
    expect(run.stderr).toContain('npm install');
    expect(run.stderr).not.toContain('    at ');
  });
});
