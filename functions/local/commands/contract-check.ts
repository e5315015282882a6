/**
 * `wayke-dms contract-check`: checks the Wayke names the project assumed against a real Wayke
 * (the test environment, a dealer's test branch), with the same `WAYKE_*` settings as `import`.
 * The steps are in `../contract-check/run.ts`, the output in `../contract-check/report.ts`.
 */
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { createLogger } from '../../adapters/logger.js';
import { WaykeUrlsEnvSchema, waykeUrlsFromEnv } from '../../adapters/wayke-http-client.js';
import { MARKETS, type Market } from '../../core/dealer-config.js';
import { DEFAULT_MARKET } from '../../core/market.js';
import { VehicleFieldSchemas } from '../../core/vehicle.js';
import { UsageError } from '../cli-support.js';
import { EXIT, exitStatusOf, jsonReport, textReport } from '../contract-check/report.js';
import { type ContractCheckInput, runContractCheck } from '../contract-check/run.js';
import { randomPlate } from '../contract-check/sample.js';
import { localRunDealer, localRunWayke, noWaykeUrls, type WaykeConnection } from '../local-run-target.js';
import { DEFAULT_STATE_DIR, localRunDealerIds, runningLocalRun, stateLayout } from '../state-dir.js';

export const help = `Usage: wayke-dms contract-check [--json] [--market SE|NO|FI] [--registration-number <plate>] [--data <dir>] [--dealer <id>]

Checks every Wayke name the project assumed against the Wayke in WAYKE_* (run it against
Wayke's test environment with a test branch): creates ONE throwaway ad with every field the
project sends, reads it back and compares field by field, uploads an image and registers a
video link, sets every status, and removes the ad at the end (also when a step failed).
Prints a table  field · sent · read back · ok.

Options:
  --registration-number <plate>  the throwaway ad's plate (default: WDC and 3 random digits);
                                 refused when the branch has a live ad with it
  --market SE|NO|FI              the market of WAYKE_BRANCH_ID (default ${DEFAULT_MARKET}): checks its market code
                                 and its odometer unit (mil for SE, km for NO and FI)
  --json                         print exactly one JSON document (rows, failed, removal)
  --data <dir>, --dealer <id>    with no WAYKE_* URL set: check the Wayke simulator of the
                                 local run up in --data (default ./${DEFAULT_STATE_DIR}) as --dealer
                                 (default its first dealer), with that dealer's branch and market
  -h, --help                     show this help

Environment: WAYKE_AUTH_URL, WAYKE_DEALER_API_URL, WAYKE_MEDIA_API_URL, WAYKE_CLIENT_ID,
WAYKE_CLIENT_SECRET, WAYKE_BRANCH_ID (as for import).

Exit status: 0 every name round-trips; 1 a name did not (the table and the FAILED lines name
it: fix the name in functions/adapters/wayke-mapping.ts), or a Wayke call failed, or the ad could
not be removed (its id is printed); 2 bad arguments or settings, credentials refused, or the plate
has a live ad.`;

const ContractCheckEnvSchema = WaykeUrlsEnvSchema.extend({
  WAYKE_CLIENT_ID: z.string().min(1),
  WAYKE_CLIENT_SECRET: z.string().min(1),
  WAYKE_BRANCH_ID: z.uuid(),
});

/** Where the command writes; the process streams unless a test gives its own. */
export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

interface Options {
  readonly json: boolean;
  readonly registrationNumber: string;
  /** Given with --market; else the local run's dealer's, or the default. */
  readonly market: Market | undefined;
  readonly data: string;
  readonly dealer: string | undefined;
}

function parseOptions(args: string[]): Options {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const plate = VehicleFieldSchemas.registrationNumber.safeParse(values['registration-number'] ?? randomPlate());
  if (!plate.success) throw new UsageError('--registration-number must be 2–7 letters or digits');
  const market = values.market;
  if (market !== undefined && !(MARKETS as readonly string[]).includes(market))
    throw new UsageError(`--market must be one of ${MARKETS.join(', ')}`);
  return {
    json: values.json === true,
    registrationNumber: plate.data,
    market: market as Market | undefined,
    data: values.data ?? DEFAULT_STATE_DIR,
    dealer: values.dealer,
  };
}

const parseCommandLine = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      market: { type: 'string' },
      'registration-number': { type: 'string' },
      data: { type: 'string' },
      dealer: { type: 'string' },
    },
  });

/** The Wayke to check, with the branch and market: from `WAYKE_*`, else the local run's simulator. */
interface Target {
  readonly connection: WaykeConnection;
  readonly branchId: string;
  readonly market: Market;
}

/** The connection settings; the error names the variables, never their values. */
async function targetOf(env: NodeJS.ProcessEnv, options: Options, out: CommandOutput): Promise<Target> {
  if (noWaykeUrls(env)) {
    const local = await localRunTarget(options);
    out.stderr(`wayke-dms contract-check: the Wayke simulator of the local run in ${local.root}, as ${local.dealer}\n`);
    return local;
  }
  const parsed = ContractCheckEnvSchema.safeParse(env);
  if (!parsed.success)
    throw new UsageError(
      `environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return {
    connection: {
      ...waykeUrlsFromEnv(parsed.data),
      clientId: parsed.data.WAYKE_CLIENT_ID,
      clientSecret: parsed.data.WAYKE_CLIENT_SECRET,
    },
    branchId: parsed.data.WAYKE_BRANCH_ID,
    market: options.market ?? DEFAULT_MARKET,
  };
}

/** The running local run's simulator as one of its dealers (--dealer, else the first), or why not. */
async function localRunTarget(options: Options): Promise<Target & { root: string; dealer: string }> {
  const layout = stateLayout(options.data);
  const endpoints = await runningLocalRun(layout);
  if (!endpoints)
    throw new UsageError(
      `no Wayke to check: set WAYKE_AUTH_URL, WAYKE_DEALER_API_URL, WAYKE_MEDIA_API_URL, WAYKE_CLIENT_ID, WAYKE_CLIENT_SECRET and WAYKE_BRANCH_ID (Wayke's test environment), or start the local run (\`npm start\`) to check its Wayke simulator (no local run is up in ${layout.root})`,
    );
  const dealerId = options.dealer ?? localRunDealerIds(layout)?.[0];
  const dealer = dealerId ? localRunDealer(layout, dealerId) : undefined;
  if (!dealerId || !dealer)
    throw new UsageError(
      `dealer "${dealerId ?? ''}" is not one of the local run's dealers (${(localRunDealerIds(layout) ?? []).join(', ')})`,
    );
  const connection = localRunWayke(layout, endpoints, dealerId);
  if ('problem' in connection) throw new UsageError(connection.problem);
  return {
    connection,
    branchId: dealer.branchId,
    market: options.market ?? dealer.market ?? DEFAULT_MARKET,
    root: layout.root,
    dealer: dealerId,
  };
}

function inputOf(env: NodeJS.ProcessEnv, options: Options, target: Target): ContractCheckInput {
  const log = createLogger({
    serviceName: 'wayke-dms-contract-check',
    toStderr: true,
    level: (env.LOG_LEVEL?.toUpperCase() as 'INFO' | undefined) ?? 'WARN',
  });
  return {
    client: { ...target.connection, log },
    branchId: target.branchId,
    registrationNumber: options.registrationNumber,
    market: target.market,
  };
}

/** Runs the command and returns its exit status. */
export async function runContractCheckCommand(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: CommandOutput = processOutput,
): Promise<number> {
  let options: Options;
  let input: ContractCheckInput;
  try {
    options = parseOptions(args);
    input = inputOf(env, options, await targetOf(env, options, out));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out.stderr(`wayke-dms contract-check: ${error.message}\n\n${help.split('\n')[0]}\n`);
    return EXIT.usage;
  }
  const result = await runContractCheck(input);
  out.stdout(`${options.json ? JSON.stringify(jsonReport(result)) : textReport(result)}\n`);
  return exitStatusOf(result);
}

export function run(args: string[]): Promise<number> {
  return runContractCheckCommand(args);
}
