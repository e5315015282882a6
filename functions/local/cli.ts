/**
 * The `wayke-dms` command line: one sub-command per module in `./commands/`. Each module exports
 * `summary` (one line for the command list), `help` (its full usage) and `run(args)` returning the
 * exit status. Modules load lazily so `wayke-dms --help` stays fast.
 */
export interface Command {
  readonly summary: string;
  readonly help: string;
  run(args: string[]): Promise<number>;
}

const COMMAND_NAMES = ['validate-feed', 'plan', 'import', 'simulate-wayke', 'redrive', 'replay', 'dev'] as const;

const COMMANDS: Record<string, () => Promise<Command>> = Object.fromEntries(
  COMMAND_NAMES.map((name) => [name, () => import(`./commands/${name}.ts`) as Promise<Command>]),
);

async function usage(): Promise<string> {
  const lines = ['Usage: wayke-dms <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const summary = await load().then((command) => command.summary, () => '(not available in this build)');
    lines.push(`  ${name.padEnd(16)}${summary}`);
  }
  lines.push('', 'Run `wayke-dms <command> --help` for a command\'s options.');
  return lines.join('\n');
}

/** Runs the CLI with the given arguments and returns the process exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${await usage()}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`wayke-dms: unknown command "${name}"\n\n${await usage()}\n`);
    return 2;
  }
  const command = await load();
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  return command.run(args);
}
