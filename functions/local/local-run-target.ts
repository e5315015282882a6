/**
 * What `plan` and `import` take from the local run of their state directory when the command line
 * does not say otherwise: the dealer as that run configured it (`dealers.json`: branch, market,
 * mapping profile), and — for `import` with no `WAYKE_*` settings — the run's Wayke simulator with
 * the dealer's credentials from `secrets.json`. A new user's `import examples/feeds/bilhallen.csv
 * --dealer bilhallen` then goes where `npm start` imports, as the same dealer, with no settings.
 */
import { existsSync } from 'node:fs';
import { readResolvedDealerConfig } from '../adapters/dealer-config-file.js';
import type { ImportDealerConfig } from '../core/import/import-dealer.js';
import { LocalSecretsFileSchema } from './dev/secrets.js';
import { readStateFile, type LocalRunEndpoints, type StateLayout } from './state-dir.js';

/** Whether the environment names no Wayke at all: then the local run's simulator is the one meant. */
export const noWaykeUrls = (env: NodeJS.ProcessEnv): boolean =>
  !env.WAYKE_AUTH_URL && !env.WAYKE_DEALER_API_URL && !env.WAYKE_MEDIA_API_URL;

/** The dealer's entry in the local run's `dealers.json`, or undefined when there is none. */
export function localRunDealer(layout: StateLayout, dealerId: string): ImportDealerConfig | undefined {
  if (!existsSync(layout.dealers)) return undefined;
  return readResolvedDealerConfig(layout.dealers).dealers.find((dealer) => dealer.id === dealerId);
}

/** A Wayke connection: the three base URLs and the dealer's system client. */
export interface WaykeConnection {
  readonly authUrl: string;
  readonly dealerApiUrl: string;
  readonly mediaApiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The running local run's Wayke simulator as the dealer's client, or the reason it cannot be used,
 * in words. Only a simulated Wayke: a local run pointed at a real Wayke has its URLs from the
 * environment, which the user then sets for `import` too.
 */
export function localRunWayke(
  layout: StateLayout,
  endpoints: LocalRunEndpoints,
  dealerId: string,
): WaykeConnection | { readonly problem: string } {
  const { wayke, waykeSimulated } = endpoints.services;
  if (!wayke || waykeSimulated !== true)
    return { problem: `the local run in ${layout.root} talks to a real Wayke; set WAYKE_* as for it` };
  const secrets = readStateFile(layout.secrets, LocalSecretsFileSchema);
  const dealer = secrets?.[dealerId];
  if (!dealer) return { problem: `the local run in ${layout.root} has no credentials for dealer "${dealerId}"` };
  return {
    authUrl: `${wayke}/auth`,
    dealerApiUrl: `${wayke}/dealer`,
    mediaApiUrl: `${wayke}/media`,
    clientId: dealer.waykeClientId,
    clientSecret: dealer.waykeClientSecret,
  };
}
