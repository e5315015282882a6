/**
 * The launcher `bin/wayke-dms.js` in a scratch copy of the layout it expects: it runs the prebuilt
 * bundle when the bundle is at least as new as every source it was built from, and says why not
 * (then falls back to the sources) when one is newer or gone. A scratch copy, so no other test
 * sees a source with a moved mtime.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../../bin/wayke-dms.js', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A layout with one source, built at `builtAt`, whose bundle prints `bundle ran` and the
 * arguments it got, and exits 0; `manifest` adds to its build.json.
 */
function layout(builtAt: Date, manifest: Record<string, unknown> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'cli-launcher-'));
  dirs.push(root);
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist/cli/local'), { recursive: true });
  mkdirSync(join(root, 'src'));
  copyFileSync(LAUNCHER, join(root, 'bin/wayke-dms.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  writeFileSync(join(root, 'src/a.ts'), 'export {};\n');
  utimesSync(join(root, 'src/a.ts'), new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
  writeFileSync(
    join(root, 'dist/cli/build.json'),
    JSON.stringify({ builtAt: builtAt.toISOString(), inputs: ['src/a.ts'], ...manifest }),
  );
  writeFileSync(
    join(root, 'dist/cli/local/cli.js'),
    "export async function main(args) { process.stdout.write(`bundle ran ${args.join(' ')}\\n`); return 0; }\n",
  );
  return root;
}

const run = (root: string, args: string[] = ['--help']) =>
  spawnSync(process.execPath, [join(root, 'bin/wayke-dms.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, WAYKE_DMS_FROM_SOURCE: '' },
  });

describe('the CLI launcher', () => {
  it('runs the bundle, silently, when it is newer than every source', () => {
    const result = run(layout(new Date('2026-06-01T00:00:00Z')));
    expect(result.stdout).toBe('bundle ran --help\n');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('says which source is newer than the bundle, and does not run the stale bundle', () => {
    const result = run(layout(new Date('2025-06-01T00:00:00Z')));
    expect(result.stderr).toContain('the prebuilt CLI (dist/cli) is older than src/a.ts');
    expect(result.stdout).not.toContain('bundle ran');
  });

  it('says which source is gone', () => {
    const root = layout(new Date('2026-06-01T00:00:00Z'));
    rmSync(join(root, 'src/a.ts'));
    const result = run(root);
    expect(result.stderr).toContain('was built from src/a.ts, which is gone');
    expect(result.stdout).not.toContain('bundle ran');
  });

  describe('with the command list in the manifest', () => {
    const listed = { usage: 'Usage: wayke-dms <command>', helpWords: ['--help', '-h', 'help'] };

    it('prints it for a help word without loading the bundle, exit 0', () => {
      for (const word of ['--help', '-h', 'help']) {
        const result = run(layout(new Date('2026-06-01T00:00:00Z'), listed), [word]);
        expect(result.stdout).toBe('Usage: wayke-dms <command>\n');
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
      }
    });

    it('prints it with exit 2 when no command is given, as the CLI does', () => {
      const result = run(layout(new Date('2026-06-01T00:00:00Z'), listed), []);
      expect(result.stdout).toBe('Usage: wayke-dms <command>\n');
      expect(result.status).toBe(2);
    });

    it("hands a command's own --help to the bundle", () => {
      const result = run(layout(new Date('2026-06-01T00:00:00Z'), listed), ['plan', '--help']);
      expect(result.stdout).toBe('bundle ran plan --help\n');
    });

    it("hands help <command> to the bundle: only the CLI has a command's help", () => {
      const result = run(layout(new Date('2026-06-01T00:00:00Z'), listed), ['help', 'plan']);
      expect(result.stdout).toBe('bundle ran help plan\n');
    });

    it("is the CLI's own list in the real build (the test run builds dist/cli first)", async () => {
      const { usage, HELP_WORDS } = await import('../../functions/local/cli.js');
      const built = JSON.parse(
        readFileSync(fileURLToPath(new URL('../../dist/cli/build.json', import.meta.url)), 'utf8'),
      );
      expect(built.usage).toBe(usage());
      expect(built.helpWords).toEqual(HELP_WORDS);
    });

    it('prints the version for --version and -v without loading the bundle, exit 0', () => {
      for (const word of ['--version', '-v']) {
        const manifest = { ...listed, version: '9.8.7', versionWords: ['--version', '-v'] };
        const result = run(layout(new Date('2026-06-01T00:00:00Z'), manifest), [word]);
        expect(result.stdout).toBe('9.8.7\n');
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
      }
    });

    it('hands --version to the bundle when the manifest has no version (an older build)', () => {
      const result = run(layout(new Date('2026-06-01T00:00:00Z'), listed), ['--version']);
      expect(result.stdout).toBe('bundle ran --version\n');
    });

    it('does not print the list of a stale build', () => {
      const result = run(layout(new Date('2025-06-01T00:00:00Z'), listed));
      expect(result.stderr).toContain('the prebuilt CLI (dist/cli) is older than src/a.ts');
      expect(result.stdout).not.toContain('Usage: wayke-dms <command>');
    });
  });
});
