/**
 * Where the local runtime finds the repository and the Lambda handlers, both when it runs from
 * the TypeScript sources (tests, tsx) and from the prebuilt CLI bundle in `dist/cli/`
 * (`scripts/build-cli.mjs`), whose chunks sit at other depths than the sources.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Defined as `true` by the bundle build; absent when the sources run. */
declare const WAYKE_DMS_BUNDLED: boolean | undefined;

/** True in the prebuilt CLI bundle. */
export const BUNDLED = typeof WAYKE_DMS_BUNDLED === 'boolean' && WAYKE_DMS_BUNDLED;

/** The nearest directory upwards holding this project's package.json. */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'wayke-dms')
      return dir;
    if (dirname(dir) === dir) throw new Error(`no wayke-dms package.json above ${from}`);
  }
}

export const REPO_ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));

/** The module URL of a Lambda handler (`import-worker`, `webhook`, …) as this build holds it. */
export function handlerModuleUrl(name: string): string {
  return pathToFileURL(
    BUNDLED
      ? join(REPO_ROOT, 'dist', 'cli', 'handlers', `${name}.js`)
      : join(REPO_ROOT, 'functions', 'handlers', `${name}.ts`),
  ).href;
}
