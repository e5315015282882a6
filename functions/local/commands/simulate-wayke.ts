/**
 * `wayke-dms simulate-wayke`: runs the Wayke simulator until Ctrl-C and prints its URLs, so the
 * local stack, the CLI and a curious developer can talk to a Wayke without an account.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../../adapters/logger.js';
import { startWaykeSimulator, type WaykeSimulatorClient, type WaykeSimulatorFaults } from '../wayke-simulator.js';

export const help = `Usage: wayke-dms simulate-wayke [options]

Runs a simulator of Wayke's token, dealer and media APIs on 127.0.0.1 until Ctrl-C.

Options:
  --port <n>              Port to listen on (default 4010; 0 picks a free one)
  --faults <json>         Faults, e.g. '{"serverErrorRate":0.2,"throttleRate":0.1,"retryAfterSeconds":2,
                          "latencyMs":50,"commitThenFailRate":0.05,"seed":42}'
  --client-id <id>        Accepted client id (default sim-client)
  --client-secret <s>     Accepted client secret (default sim-secret)
  --token-lifetime <s>    expires_in of issued tokens, seconds (default 3600)
  --webhook-url <url>     Where ad changes and process events are POSTed
  --webhook-secret <s>    Sent as "Authorization: Bearer <s>" with every webhook
  --json                  Print the URLs as one JSON object
  -h, --help              This text

Point a client at it with:
  WAYKE_AUTH_URL=<authUrl> WAYKE_DEALER_API_URL=<dealerApiUrl> WAYKE_MEDIA_API_URL=<mediaApiUrl>
Admin routes (no token): GET /_admin/state, POST /_admin/faults, POST /_admin/webhook,
POST /_admin/ads/{id}/process, POST /_admin/tokens/revoke, POST /_admin/clients.`;

const FAULT_KEYS = new Set<keyof WaykeSimulatorFaults>([
  'serverErrorRate',
  'throttleRate',
  'retryAfterSeconds',
  'retryAfterAsDate',
  'latencyMs',
  'commitThenFailRate',
  'seed',
  'throttleNext',
  'serverErrorNext',
  'commitThenFailNext',
  'routes',
]);

function parseFaults(raw: string | undefined): Partial<WaykeSimulatorFaults> {
  if (raw === undefined) return {};
  const value = JSON.parse(raw) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('--faults must be a JSON object');
  for (const key of Object.keys(value)) {
    if (!FAULT_KEYS.has(key as keyof WaykeSimulatorFaults))
      throw new Error(`--faults: unknown fault "${key}" (known: ${[...FAULT_KEYS].join(', ')})`);
  }
  return value;
}

export async function run(args: string[]): Promise<number> {
  let values;
  let faults: Partial<WaykeSimulatorFaults>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: '4010' },
        faults: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'token-lifetime': { type: 'string' },
        'webhook-url': { type: 'string' },
        'webhook-secret': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
    faults = parseFaults(values.faults);
  } catch (error) {
    process.stderr.write(`simulate-wayke: ${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
  const port = Number(values.port);
  const tokenLifetimeSeconds = values['token-lifetime'] === undefined ? undefined : Number(values['token-lifetime']);
  if (
    !Number.isInteger(port) ||
    port < 0 ||
    port > 65535 ||
    (tokenLifetimeSeconds !== undefined && !(tokenLifetimeSeconds > 0))
  ) {
    process.stderr.write('simulate-wayke: --port must be 0–65535 and --token-lifetime a positive number\n');
    return 2;
  }
  const client: WaykeSimulatorClient = {
    clientId: values['client-id'] ?? 'sim-client',
    clientSecret: values['client-secret'] ?? 'sim-secret',
  };
  const log = createLogger({ serviceName: 'wayke-simulator', toStderr: true });
  let simulator;
  try {
    simulator = await startWaykeSimulator({
      port,
      clients: [client],
      faults,
      log,
      ...(tokenLifetimeSeconds !== undefined ? { tokenLifetimeSeconds } : {}),
      ...(values['webhook-url']
        ? {
            webhook: {
              url: values['webhook-url'],
              ...(values['webhook-secret'] ? { headers: { authorization: `Bearer ${values['webhook-secret']}` } } : {}),
            },
          }
        : {}),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    process.stderr.write(
      `simulate-wayke: cannot listen on 127.0.0.1:${port}${code === 'EADDRINUSE' ? ' (in use; try --port 0)' : ''}: ${(error as Error).message}\n`,
    );
    return 1;
  }
  const urls = {
    url: simulator.url,
    authUrl: simulator.authUrl,
    dealerApiUrl: simulator.dealerApiUrl,
    mediaApiUrl: simulator.mediaApiUrl,
    clientId: client.clientId,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(urls)}\n`);
  else {
    process.stdout.write(
      [
        `Wayke simulator listening on ${simulator.url} (Ctrl-C to stop)`,
        `  WAYKE_AUTH_URL=${simulator.authUrl}`,
        `  WAYKE_DEALER_API_URL=${simulator.dealerApiUrl}`,
        `  WAYKE_MEDIA_API_URL=${simulator.mediaApiUrl}`,
        `  client id: ${client.clientId}${values['client-secret'] ? '' : ' (secret: sim-secret)'}`,
        `  state: ${simulator.url}/_admin/state`,
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  await simulator.stop();
  return 0;
}
