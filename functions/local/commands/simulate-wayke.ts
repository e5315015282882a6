/**
 * `wayke-dms simulate-wayke`: runs the Wayke simulator until Ctrl-C and prints its URLs, so the
 * local stack, the CLI and a curious developer can talk to a Wayke without an account.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../../adapters/logger.js';
import {
  DEFAULT_SIMULATOR_CLIENT,
  SIMULATOR_DEFAULTS,
  startWaykeSimulator,
  type WaykeContractDrift,
  type WaykeSimulator,
  type WaykeSimulatorClient,
  type WaykeSimulatorFaults,
  type WaykeSimulatorOptions,
} from '../wayke-simulator/index.js';
import { ContractDriftSchema } from '../wayke-simulator/contract-drift.js';
import { FaultsChangeSchema, faultsChangeProblems } from '../wayke-simulator/faults.js';

/** Fixed, so the URLs printed stay valid across runs (and media URLs kept in a state file too). */
const DEFAULT_PORT = 4010;

export const help = `Usage: wayke-dms simulate-wayke [options]

Runs a simulator of Wayke's token, dealer and media APIs on 127.0.0.1 until Ctrl-C.

Options:
  --port <n>              Port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --faults <json>         Faults, e.g. '{"serverErrorRate":0.2,"throttleRate":0.1,"retryAfterSeconds":2,
                          "latencyMs":50,"commitThenFailRate":0.05,"seed":42}'
  --client-id <id>        Accepted client id (default ${DEFAULT_SIMULATOR_CLIENT.clientId})
  --client-secret <s>     Accepted client secret (default ${DEFAULT_SIMULATOR_CLIENT.clientSecret})
  --token-lifetime <s>    expires_in of issued tokens, seconds (default ${SIMULATOR_DEFAULTS.tokenLifetimeSeconds})
  --webhook-url <url>     Where ad changes and process events are POSTed
  --webhook-secret <s>    Sent as "Authorization: Bearer <s>" with every webhook
  --rename-field <a>=<b>  Behave like a Wayke that accepts field a of an ad body (e.g. ad.campaignPrice)
                          but stores and returns it as b (repeatable; what contract-check must catch)
  --ignore-field <a>      Behave like a Wayke that accepts field a and drops it (repeatable)
  --json                  Print the URLs as one JSON object
  -h, --help              This text

Point a client at it with:
  WAYKE_AUTH_URL=<authUrl> WAYKE_DEALER_API_URL=<dealerApiUrl> WAYKE_MEDIA_API_URL=<mediaApiUrl>
Admin routes (no token): GET /_admin/state, POST /_admin/faults, POST /_admin/webhook,
POST /_admin/ads/{id}/process, POST /_admin/ads/{id}/online-sale ({"state":"reserved"|"sold"|
"released"}), POST /_admin/ads/{id}/edit (a hand edit: a patch body), POST /_admin/branches/{id}/market
({"market":"SE"|"NO"|"FI"}), POST /_admin/tokens/revoke, POST /_admin/clients, GET|POST /_admin/contract-drift.`;

function parseFaults(raw: string | undefined): Partial<WaykeSimulatorFaults> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error('--faults must be a JSON object');
  }
  const change = FaultsChangeSchema.safeParse(value);
  if (!change.success)
    throw new Error(
      `--faults: ${faultsChangeProblems(change.error)
        .map((p) => p.text)
        .join('; ')}`,
    );
  return change.data;
}

/** The drift of `--rename-field a=b` and `--ignore-field a`, or undefined when neither is given. */
function parseDrift(renames: readonly string[], ignored: readonly string[]): WaykeContractDrift | undefined {
  if (renames.length === 0 && ignored.length === 0) return undefined;
  const renamed: Record<string, string> = {};
  for (const rename of renames) {
    const [from, to, ...rest] = rename.split('=');
    if (!from || !to || rest.length > 0) throw new Error(`--rename-field must be <assumed>=<stored>, got "${rename}"`);
    renamed[from] = to;
  }
  const drift = ContractDriftSchema.safeParse({ renamed, ignored });
  if (!drift.success) throw new Error(`--rename-field/--ignore-field: ${drift.error.issues[0]?.message}`);
  return drift.data;
}

interface Settings {
  readonly port: number;
  readonly faults: Partial<WaykeSimulatorFaults>;
  readonly client: WaykeSimulatorClient;
  /** A secret given on the command line is not echoed; the default one is. */
  readonly defaultSecret: boolean;
  readonly tokenLifetimeSeconds?: number;
  readonly webhookUrl?: string;
  readonly webhookSecret?: string;
  readonly contractDrift?: WaykeContractDrift;
  readonly json: boolean;
}

function parseSettings(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: String(DEFAULT_PORT) },
      faults: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'token-lifetime': { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
      'rename-field': { type: 'string', multiple: true, default: [] },
      'ignore-field': { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const lifetime = values['token-lifetime'];
  const contractDrift = parseDrift(values['rename-field'], values['ignore-field']);
  return {
    port: Number(values.port),
    faults: parseFaults(values.faults),
    client: {
      clientId: values['client-id'] ?? DEFAULT_SIMULATOR_CLIENT.clientId,
      clientSecret: values['client-secret'] ?? DEFAULT_SIMULATOR_CLIENT.clientSecret,
    },
    defaultSecret: values['client-secret'] === undefined,
    ...(lifetime !== undefined ? { tokenLifetimeSeconds: Number(lifetime) } : {}),
    ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
    ...(values['webhook-secret'] ? { webhookSecret: values['webhook-secret'] } : {}),
    ...(contractDrift ? { contractDrift } : {}),
    json: values.json,
  };
}

const validNumbers = ({ port, tokenLifetimeSeconds }: Settings): boolean =>
  Number.isInteger(port) &&
  port >= 0 &&
  port <= 65535 &&
  (tokenLifetimeSeconds === undefined || tokenLifetimeSeconds > 0);

function simulatorOptions(settings: Settings): WaykeSimulatorOptions {
  const { port, client, faults, tokenLifetimeSeconds, webhookUrl, webhookSecret, contractDrift } = settings;
  return {
    port,
    ...(contractDrift ? { contractDrift } : {}),
    clients: [client],
    faults,
    log: createLogger({ serviceName: 'wayke-simulator', toStderr: true }),
    ...(tokenLifetimeSeconds !== undefined ? { tokenLifetimeSeconds } : {}),
    ...(webhookUrl
      ? {
          webhook: {
            url: webhookUrl,
            ...(webhookSecret ? { headers: { authorization: `Bearer ${webhookSecret}` } } : {}),
          },
        }
      : {}),
  };
}

function printUrls(simulator: WaykeSimulator, settings: Settings): void {
  const { client } = settings;
  if (settings.json) {
    const urls = {
      url: simulator.url,
      authUrl: simulator.authUrl,
      dealerApiUrl: simulator.dealerApiUrl,
      mediaApiUrl: simulator.mediaApiUrl,
      clientId: client.clientId,
    };
    process.stdout.write(`${JSON.stringify(urls)}\n`);
    return;
  }
  process.stdout.write(
    [
      `Wayke simulator listening on ${simulator.url} (Ctrl-C to stop)`,
      `  WAYKE_AUTH_URL=${simulator.authUrl}`,
      `  WAYKE_DEALER_API_URL=${simulator.dealerApiUrl}`,
      `  WAYKE_MEDIA_API_URL=${simulator.mediaApiUrl}`,
      `  client id: ${client.clientId}${settings.defaultSecret ? ` (secret: ${client.clientSecret})` : ''}`,
      `  state: ${simulator.url}/_admin/state`,
      '',
    ].join('\n'),
  );
}

const untilSignal = (): Promise<void> =>
  new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });

export async function run(args: string[]): Promise<number> {
  let settings: Settings;
  try {
    settings = parseSettings(args);
  } catch (error) {
    process.stderr.write(`simulate-wayke: ${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
  if (!validNumbers(settings)) {
    process.stderr.write('simulate-wayke: --port must be 0–65535 and --token-lifetime a positive number\n');
    return 2;
  }
  let simulator: WaykeSimulator;
  try {
    simulator = await startWaykeSimulator(simulatorOptions(settings));
  } catch (error) {
    const code = (error as { code?: string }).code;
    process.stderr.write(
      `simulate-wayke: cannot listen on 127.0.0.1:${settings.port}${code === 'EADDRINUSE' ? ' (in use; try --port 0)' : ''}: ${(error as Error).message}\n`,
    );
    return 1;
  }
  printUrls(simulator, settings);
  await untilSignal();
  await simulator.stop();
  return 0;
}
