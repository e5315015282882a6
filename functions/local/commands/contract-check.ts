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

export const help = `Usage: wayke-dms contract-check [--json] [--market SE|NO|FI] [--registration-number <plate>]

Checks every Wayke name the project assumed against the Wayke in WAYKE_* (run it against
Wayke's test environment with a test branch): creates ONE throwaway ad with every field the
project sends, reads it back and compares field by field, uploads an image and registers a
video link, sets every status, and removes the ad at the end (also when a step failed).
Prints a table  field · sent · read back · ok.

Options:
  --registration-number <plate>  the throwaway ad's plate (default: WDC and 3 random digits);
                                 refused when the branch has a live ad with it
  --market SE|NO|FI              the market of WAYKE_BRANCH_ID (default \${DEFAULT_MARKET}): checks its market code
                                 and its odometer unit (mil for SE, km for NO and FI)
  --json                         print exactly one JSON document (rows, failed, removal)
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
  readonly market: Market;
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
  const market = values.market ?? DEFAULT_MARKET;
  if (!(MARKETS as readonly string[]).includes(market))
    throw new UsageError(`--market must be one of ${MARKETS.join(', ')}`);
  return { json: values.json === true, registrationNumber: plate.data, market: market as Market };
}

const parseCommandLine = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      market: { type: 'string' },
      'registration-number': { type: 'string' },
    },
  });

/** The connection settings; the error names the variables, never their values. */
function inputOf(env: NodeJS.ProcessEnv, options: Options): ContractCheckInput {
  const parsed = ContractCheckEnvSchema.safeParse(env);
  if (!parsed.success)
    throw new UsageError(
      `environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const log = createLogger({
    serviceName: 'wayke-dms-contract-check',
    toStderr: true,
    level: (env.LOG_LEVEL?.toUpperCase() as 'INFO' | undefined) ?? 'WARN',
  });
  return {
    client: {
      ...waykeUrlsFromEnv(parsed.data),
      clientId: parsed.data.WAYKE_CLIENT_ID,
      clientSecret: parsed.data.WAYKE_CLIENT_SECRET,
      log,
    },
    branchId: parsed.data.WAYKE_BRANCH_ID,
    registrationNumber: options.registrationNumber,
    market: options.market,
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
    input = inputOf(env, options);
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
