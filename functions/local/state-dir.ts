/**
 * The one layout of the local state directory (`--data`/`--state`, default `./.wayke-dms`),
 * shared by `dev`, `plan`, `import` and `redrive`: a command pointed at a directory a local run
 * used sees that run's snapshot and queues. Kept free of SDK imports so `plan` starts fast.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';

/** Where everything local lives unless `--data`/`--state` says otherwise. */
export const DEFAULT_STATE_DIR = '.wayke-dms';

/** What lives where under the state directory (the README's "State directory" lists the same). */
export interface StateLayout {
  readonly root: string;
  /** s3rver's objects: the feed bucket (inbound/, archive/, rejected/, reports/, outbox/). */
  readonly s3: string;
  /** dynalite's LevelDB: the snapshot table (snapshots, runs, leases, approvals) and the dedupe table. */
  readonly dynamodb: string;
  /** Dealer secrets (Wayke client, webhook, signing, SFTP password), mode 0600. */
  readonly secrets: string;
  /** The simulated Wayke's ads, so a restart continues. */
  readonly simulator: string;
  /** The resolved dealer config the local handlers read. */
  readonly dealers: string;
  /** Messages still queued at the last stop (SQS lives in memory). */
  readonly queues: string;
  /** The local SFTP server's host key. */
  readonly hostKey: string;
  /** What the demo DMS received. */
  readonly demoDms: string;
  /** Every address of the running (or last) local run; the CLI finds it there. */
  readonly endpoints: string;
  /** Reports of `import` runs from the terminal. */
  readonly reports: string;
  /** The handlers' JSON log lines (CloudWatch's part in AWS); on the terminal only with `dev --verbose`. */
  readonly handlerLog: string;
  /** Where `plan`/`import` kept their snapshot before one layout was shared (moved on first use). */
  readonly legacyCliSnapshots: string;
}

export function stateLayout(dir: string, cwd = process.cwd()): StateLayout {
  const root = resolve(cwd, dir);
  return {
    root,
    s3: join(root, 's3'),
    dynamodb: join(root, 'dynamodb'),
    secrets: join(root, 'secrets.json'),
    simulator: join(root, 'wayke-simulator.json'),
    dealers: join(root, 'dealers.json'),
    queues: join(root, 'queues.json'),
    hostKey: join(root, 'ssh_host_ed25519_key'),
    demoDms: join(root, 'demo-dms'),
    endpoints: join(root, 'endpoints.json'),
    reports: join(root, 'reports'),
    handlerLog: join(root, 'logs', 'lambda.log'),
    legacyCliSnapshots: join(root, 'cli-snapshots'),
  };
}

/** The part of `endpoints.json` the CLI relies on (the dev stack writes more). */
export const LocalRunEndpointsSchema = z.object({
  services: z.object({
    api: z.string().url(),
    health: z.string().url(),
    dynamodb: z.string().url(),
    sqs: z.string().url(),
    /** The Wayke the run talks to (the simulator's base URL when `waykeSimulated`); older runs wrote neither. */
    wayke: z.string().url().optional(),
    waykeSimulated: z.boolean().optional(),
  }),
  queues: z.object({
    work: z.string().url(),
    workDlq: z.string().url(),
    events: z.string().url(),
    eventsDlq: z.string().url(),
  }),
});
export type LocalRunEndpoints = z.output<typeof LocalRunEndpointsSchema>;

/** A JSON file the local run wrote, as `schema` reads it; null when it is missing, unreadable or not that shape. */
export function readStateFile<S extends z.ZodType>(path: string, schema: S): z.output<S> | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** `endpoints.json` of the directory, or null when no local run has used it (or the file is unreadable). */
export function readLocalRunEndpoints(layout: StateLayout): LocalRunEndpoints | null {
  return readStateFile(layout.endpoints, LocalRunEndpointsSchema);
}

/** The endpoints of the local run that is up in the directory now, or null when none is. */
export async function runningLocalRun(layout: StateLayout): Promise<LocalRunEndpoints | null> {
  const endpoints = readLocalRunEndpoints(layout);
  return endpoints && (await localRunIsUp(endpoints)) ? endpoints : null;
}

/** Whether the local run that wrote `endpoints` is up now (its /health answers 200 within a second). */
export async function localRunIsUp(endpoints: LocalRunEndpoints): Promise<boolean> {
  try {
    const answer = await fetch(endpoints.services.health, { signal: AbortSignal.timeout(1000) });
    await answer.body?.cancel();
    return answer.status === 200;
  } catch {
    return false;
  }
}

/** The part of `dealers.json` the CLI checks a `--dealer` against (the dev stack writes the whole config). */
const LocalRunDealersSchema = z.object({ dealers: z.array(z.object({ id: z.string() })) });

/** The dealer ids of the local run that used the directory, or null when none did (or the file is unreadable). */
export function localRunDealerIds(layout: StateLayout): string[] | null {
  return readStateFile(layout.dealers, LocalRunDealersSchema)?.dealers.map((dealer) => dealer.id) ?? null;
}

/** What `plan`/`import` are asked to use: the directory, whether `--state` named it, the dealer. */
export interface StateUse {
  readonly mode: 'plan' | 'import';
  readonly layout: StateLayout;
  readonly named: boolean;
  readonly dealerId: string;
  /** A `--config` names the dealers; then it, not the local run's list, says who exists. */
  readonly config: boolean;
}

/**
 * Why the command cannot run against the state directory, in words, or null. `plan` on a
 * directory named by `--state` that does not exist is most likely a mistyped path: planning
 * against nothing would show every vehicle as new. A dealer the local run does not know is most
 * likely a mistyped id: its plan would create everything, its import would list every car twice.
 */
export function stateUseProblem(use: StateUse): string | null {
  const { layout } = use;
  if (use.mode === 'plan' && use.named && !existsSync(layout.root))
    return `the state directory ${layout.root} does not exist; check --state (or create the directory to plan against an empty snapshot)`;
  const dealers = use.config ? null : localRunDealerIds(layout);
  if (dealers && !dealers.includes(use.dealerId))
    return `dealer "${use.dealerId}" is not one of the local run's dealers in ${layout.dealers} (${dealers.join(', ')}); check --dealer, or pass --config with the dealer`;
  return null;
}

/** The line `plan` prints when it finds no snapshot in the directory. */
export const noSnapshotNote = (layout: StateLayout): string =>
  `no snapshot yet in ${layout.root}: every vehicle would be created`;
