/**
 * Every command's `--help` as a user reads it: no template left unexpanded (contract-check once
 * printed `(default ${DEFAULT_MARKET})`), no `undefined`, and a usage line naming the command.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const COMMANDS = join(import.meta.dirname, '../../functions/local/commands');
const commands = readdirSync(COMMANDS)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''));

describe('command help texts', () => {
  it('covers every command module', () => {
    expect(commands.length).toBeGreaterThanOrEqual(9);
  });

  it.each(commands)('%s --help reads as written', async (command) => {
    const { help } = (await import(join(COMMANDS, `${command}.ts`))) as { help: string };
    expect(help).toMatch(new RegExp(`^Usage: wayke-dms ${command}\\b`));
    expect(help).not.toMatch(/\$\{|\bundefined\b|\[object /);
  });
});
