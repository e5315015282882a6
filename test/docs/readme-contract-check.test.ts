/** The README's contract-check section tells an operator what the command's own help says. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { help } from '../../functions/local/commands/contract-check.js';
import { EXIT } from '../../functions/local/contract-check/report.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(
  readme.indexOf('### Checking the Wayke contract'),
  readme.indexOf('## Feeds a dealer can send'),
);

describe('README: checking the Wayke contract', () => {
  it('says when to run it, with the exact command', () => {
    expect(section).toContain('run it once before the first deploy, and again after any Wayke release\nnote');
    expect(section).toContain('npx wayke-dms contract-check');
  });

  it('names every option of the command', () => {
    const options = [...help.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1] as string);
    expect(options.length).toBeGreaterThan(0);
    for (const option of options) expect(readme).toContain(option);
  });

  it('explains every exit status the command has', () => {
    for (const status of Object.values(EXIT)) expect(section).toContain(`Exit ${status}`);
  });
});
