/**
 * The `wayke-dms` command line: one sub-command per module in `./commands/`. Each module exports
 * `help` (its full usage) and `run(args)` returning the exit status; its one-line summary lives
 * here, so `wayke-dms --help` lists every command without loading any of them, and a command
 * loads only the modules it uses.
 */
// Bundled into dist/cli by the build (esbuild inlines JSON), read from the checkout under tsx.
import packageJson from '../../package.json' with { type: 'json' };

export interface Command {
  readonly help: string;
  run(args: string[]): Promise<number>;
}

interface CommandEntry {
  /** One line for the command list. */
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

const COMMANDS: Record<string, CommandEntry> = {
  'validate-feed': {
    summary: 'Check a feed file (CSV, XML or JSON) and list every row that cannot be imported',
    load: () => import('./commands/validate-feed.ts'),
  },
  plan: {
    summary: 'Show what an import of a feed file would change in Wayke, without changing anything',
    load: () => import('./commands/plan.ts'),
  },
  import: {
    summary: 'Import a feed file for one dealer into Wayke (only what changed)',
    load: () => import('./commands/import.ts'),
  },
  'contract-check': {
    summary: 'Check the Wayke names the project assumed against a Wayke (its test environment): one throwaway ad',
    load: () => import('./commands/contract-check.ts'),
  },
  'simulate-wayke': {
    summary: 'Run a local Wayke simulator (token, dealer and media API, webhooks, faults)',
    load: () => import('./commands/simulate-wayke.ts'),
  },
  redrive: {
    summary: 'Move dead-lettered webhook events back to the events queue (keeps FIFO group and dedupe ids)',
    load: () => import('./commands/redrive.ts'),
  },
  replay: {
    summary: 'Re-deliver delivered webhook events of a time window to the DMS, with their original webhook-id',
    load: () => import('./commands/replay.ts'),
  },
  'inbound-auth': {
    summary: "Set or show a dealer's inbound keys (stored as SHA-256 verifiers)",
    load: () => import('./commands/inbound-auth.ts'),
  },
  dev: {
    summary: 'Run the whole system locally (npm start): SFTP, imports, webhooks, a Wayke simulator, a demo DMS',
    load: () => import('./commands/dev.ts'),
  },
};

/** The words that ask for the command list (as the first argument). */
export const HELP_WORDS: readonly string[] = ['--help', '-h', 'help'];

/** The words that ask for the version (as the first argument). */
export const VERSION_WORDS: readonly string[] = ['--version', '-v'];

/** The package's version, printed bare on one line as npm and git print theirs. The build writes it into build.json too. */
export const VERSION: string = packageJson.version;

/** The command list. The build writes it into dist/cli/build.json, so the launcher can print it without loading the CLI. */
export function usage(): string {
  const lines = ['Usage: wayke-dms <command> [options]', '', 'Commands:'];
  for (const [name, entry] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(16)}${entry.summary}`);
  lines.push(
    '',
    "Run `wayke-dms <command> --help` (or `wayke-dms help <command>`) for a command's options.",
    '`wayke-dms --version` (-v) prints the version.',
  );
  return lines.join('\n');
}

/**
 * The AWS SDK settings every command runs with, set before any SDK client exists (the SDK reads
 * them once): a CLI user's credentials come from the environment, a profile, SSO or a credential
 * process — never from the EC2/ECS metadata service, which on a laptop only means a slow
 * timeout and a misleading error. The SDK's Node-version notice (below Node 22) is turned off
 * the way the SDK documents; the Lambdas run Node 24, where it never shows.
 */
export function setCliSdkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_EC2_METADATA_DISABLED = 'true';
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * A command's module, or null (after saying why) when a package it needs is missing: `dev` needs
 * the local engines, which an install without devDependencies (`npm install --omit=dev`) leaves out.
 */
async function loadCommand(name: string, entry: CommandEntry): Promise<Command | null> {
  try {
    return await entry.load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    const missing = /['"]([^'"]+)['"]/.exec((error as Error).message)?.[1] ?? 'a package';
    process.stderr.write(
      `wayke-dms ${name}: needs ${missing}, which is not installed (an install without dev dependencies?). ` +
        'Run `npm install` in the project directory, then try again.\n',
    );
    return null;
  }
}

/** Runs the CLI with the given arguments and returns the process exit status. */
export async function main(argv: string[]): Promise<number> {
  setCliSdkEnvironment();
  const [name, ...args] = argv;
  if (name !== undefined && VERSION_WORDS.includes(name)) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!name) return printUsage(2);
  if (!HELP_WORDS.includes(name)) return runCommand(name, args);
  const [topic] = args;
  return topic === undefined || HELP_WORDS.includes(topic) ? printUsage(0) : runCommand(topic, ['--help']);
}

/** The command list on stdout; exit 2 when it stands in for a missing command. */
function printUsage(status: number): number {
  process.stdout.write(`${usage()}\n`);
  return status;
}

/** Runs one command; `help <command>` comes here as `<command> --help`, so both print the same. */
async function runCommand(name: string, args: string[]): Promise<number> {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`wayke-dms: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const command = await loadCommand(name, entry);
  if (!command) return 1;
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  return command.run(args);
}
