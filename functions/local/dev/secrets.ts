/**
 * Dealer secrets for the local run: `<data>/secrets.json`, generated with random values on first
 * start and used as it is afterwards, served over the Secrets Manager JSON protocol so the
 * handlers' own Secrets Manager adapter reads it through `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 * The file and Secrets Manager are two adapters behind one port.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import * as z from 'zod';
import { ConfigError } from '../../core/errors.js';
import type { DealerSecrets } from '../../ports.js';
import type { RunningServer } from './engines.js';

/** One dealer's entry in `secrets.json`: the Lambda secret plus the local SFTP password. */
export const LocalDealerSecretsSchema = z
  .object({
    waykeClientId: z.string().min(1),
    waykeClientSecret: z.string().min(1),
    webhookSecret: z.string().min(1),
    previousWebhookSecret: z.string().min(1).optional(),
    dmsSigningSecret: z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_<base64>'),
    dmsApiToken: z.string().min(1).optional(),
    /** The DMS's key for the Vehicle API (`Authorization: Bearer`); generated for every local dealer. */
    dmsApiKey: z.string().min(16).optional(),
    previousDmsApiKey: z.string().min(16).optional(),
    /** Password of the dealer's local SFTP user (the dealer id); not part of the Lambda secret. */
    sftpPassword: z.string().min(8).optional(),
  })
  .strict();
export type LocalDealerSecrets = z.output<typeof LocalDealerSecretsSchema>;

export const LocalSecretsFileSchema = z.record(z.string(), LocalDealerSecretsSchema);
export type LocalSecretsFile = z.output<typeof LocalSecretsFileSchema>;

const token = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Fresh random secrets for one dealer. */
export function generateDealerSecrets(
  dealerId: string,
): Required<
  Pick<
    LocalDealerSecrets,
    'waykeClientId' | 'waykeClientSecret' | 'webhookSecret' | 'dmsSigningSecret' | 'sftpPassword' | 'dmsApiKey'
  >
> {
  return {
    dmsApiKey: token(24),
    waykeClientId: `${dealerId}-${randomBytes(4).toString('hex')}`,
    waykeClientSecret: token(24),
    webhookSecret: token(24),
    dmsSigningSecret: `whsec_${randomBytes(24).toString('base64')}`,
    sftpPassword: token(12),
  };
}

export interface LoadedSecrets {
  readonly path: string;
  readonly secrets: LocalSecretsFile;
  /** True when the file did not exist and was written now. */
  readonly created: boolean;
  /** Dealers whose entry was missing from an existing file and was added. */
  readonly added: readonly string[];
}

/**
 * Reads `path`, or creates it with random secrets for every dealer. Entries already present are
 * used exactly as they are; a dealer missing from an existing file gets a new entry (the file is
 * rewritten with the others unchanged), and an entry without `sftpPassword` gets one.
 */
export function loadOrCreateSecrets(path: string, dealerIds: readonly string[]): LoadedSecrets {
  let secrets: LocalSecretsFile = {};
  const existed = existsSync(path);
  if (existed) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new ConfigError(
        `Secrets file ${path} is not valid JSON: ${(error as Error).message}`,
        { file: path },
        { cause: error },
      );
    }
    const parsed = LocalSecretsFileSchema.safeParse(raw);
    if (!parsed.success) {
      const lines = parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`,
      );
      throw new ConfigError(`Secrets file ${path} is invalid:\n  ${lines.join('\n  ')}`, { file: path });
    }
    secrets = parsed.data;
  }
  const added: string[] = [];
  let changed = !existed;
  for (const id of dealerIds) {
    const entry = secrets[id];
    if (!entry) {
      secrets[id] = generateDealerSecrets(id);
      if (existed) added.push(id);
      changed = true;
    } else if (!entry.sftpPassword) {
      secrets[id] = { ...entry, sftpPassword: generateDealerSecrets(id).sftpPassword };
      changed = true;
    }
    // An existing entry without `dmsApiKey` keeps the Vehicle API off for that dealer, as in AWS:
    // entries are used exactly as written; add a key by hand to turn it on.
  }
  if (changed) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return { path, secrets, created: !existed, added };
}

/** The part of a dealer's entry that the Lambdas' secret holds (the keys of {@link DealerSecrets}). */
export function lambdaSecretOf(entry: LocalDealerSecrets): DealerSecrets {
  const { sftpPassword: _sftp, ...secret } = entry;
  return secret;
}

const LOCAL_ACCOUNT = '123456789012';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('request too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** AWS's default and maximum page size of ListSecrets. */
const LIST_SECRETS_MAX_RESULTS = 100;

/**
 * One page of ListSecrets over `names`, as AWS answers it: sorted by name, the `name` filter as a
 * prefix match (a leading `!` negates it), `all` matching anywhere, `MaxResults` 1–100 and an
 * opaque `NextToken`. Other filter keys (tags, descriptions) match nothing: the local secrets have none.
 */
export function listSecretsPage(
  names: readonly string[],
  input: Record<string, unknown>,
): { names: string[]; nextToken?: string } | { error: string } {
  const filters = Array.isArray(input.Filters) ? (input.Filters as Array<{ Key?: unknown; Values?: unknown }>) : [];
  const matches = (name: string) =>
    filters.every((filter) => {
      const values = Array.isArray(filter.Values)
        ? filter.Values.filter((value): value is string => typeof value === 'string')
        : [];
      const test = (value: string) => {
        const negated = value.startsWith('!');
        const text = negated ? value.slice(1) : value;
        const hit =
          filter.Key === 'name'
            ? name.startsWith(text)
            : filter.Key === 'all'
              ? name.toLowerCase().includes(text.toLowerCase())
              : false;
        return negated ? !hit : hit;
      };
      return values.some(test);
    });
  const maxResults = input.MaxResults === undefined ? LIST_SECRETS_MAX_RESULTS : Number(input.MaxResults);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > LIST_SECRETS_MAX_RESULTS)
    return { error: `MaxResults must be 1–${LIST_SECRETS_MAX_RESULTS}` };
  const start =
    typeof input.NextToken === 'string'
      ? Number.parseInt(Buffer.from(input.NextToken, 'base64url').toString('utf8'), 10)
      : 0;
  if (!Number.isInteger(start) || start < 0) return { error: 'NextToken is not one this endpoint gave out' };
  const all = names.filter(matches).sort();
  const page = all.slice(start, start + maxResults);
  const next = start + maxResults;
  return next < all.length
    ? { names: page, nextToken: Buffer.from(String(next), 'utf8').toString('base64url') }
    : { names: page };
}

/**
 * A Secrets-Manager-protocol endpoint (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Action>`)
 * serving `GetSecretValue`, `DescribeSecret` and `ListSecrets` for `${prefix}${dealerId}` from the loaded file.
 * `getSecrets` is called per request, so a reloaded file takes effect at once.
 */
export async function startLocalSecretsManager(options: {
  prefix: string;
  region: string;
  getSecrets: () => LocalSecretsFile;
  port?: number;
}): Promise<RunningServer> {
  const arnOf = (name: string) => `arn:aws:secretsmanager:${options.region}:${LOCAL_ACCOUNT}:secret:${name}`;
  const find = (secretId: unknown): { name: string; secret: DealerSecrets } | null => {
    if (typeof secretId !== 'string') return null;
    const name = secretId.startsWith('arn:') ? (secretId.split(':secret:')[1] ?? '') : secretId;
    if (!name.startsWith(options.prefix)) return null;
    const entry = options.getSecrets()[name.slice(options.prefix.length)];
    return entry ? { name, secret: lambdaSecretOf(entry) } : null;
  };
  const server = createServer((req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const [service, action] = target.split('.');
      if (req.method !== 'POST' || service !== 'secretsmanager' || !action) {
        sendJson(res, 400, {
          __type: 'UnknownOperationException',
          message: 'Only the Secrets Manager JSON protocol is served here',
        });
        return;
      }
      let input: Record<string, unknown>;
      try {
        input = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
      } catch {
        sendJson(res, 400, { __type: 'SerializationException', message: 'Request body is not JSON' });
        return;
      }
      const found = find(input.SecretId);
      if (action === 'GetSecretValue' || action === 'DescribeSecret') {
        if (!found) {
          sendJson(res, 400, {
            __type: 'ResourceNotFoundException',
            Message: "Secrets Manager can't find the specified secret.",
            message: "Secrets Manager can't find the specified secret.",
          });
          return;
        }
        const common = { ARN: arnOf(found.name), Name: found.name };
        if (action === 'DescribeSecret') {
          sendJson(res, 200, { ...common, VersionIdsToStages: { local: ['AWSCURRENT'] } });
          return;
        }
        sendJson(res, 200, {
          ...common,
          VersionId: 'local',
          VersionStages: ['AWSCURRENT'],
          SecretString: JSON.stringify(found.secret),
          CreatedDate: Math.floor(Date.now() / 1000),
        });
        return;
      }
      if (action === 'ListSecrets') {
        const page = listSecretsPage(
          Object.keys(options.getSecrets()).map((dealerId) => `${options.prefix}${dealerId}`),
          input,
        );
        if ('error' in page) {
          sendJson(res, 400, { __type: 'InvalidParameterException', message: page.error, Message: page.error });
          return;
        }
        sendJson(res, 200, {
          SecretList: page.names.map((name) => ({
            ARN: arnOf(name),
            Name: name,
            SecretVersionsToStages: { local: ['AWSCURRENT'] },
          })),
          ...(page.nextToken ? { NextToken: page.nextToken } : {}),
        });
        return;
      }
      sendJson(res, 400, {
        __type: 'InvalidRequestException',
        message: `${action} is not supported by the local Secrets Manager (GetSecretValue, DescribeSecret, ListSecrets are)`,
      });
    })().catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, { __type: 'InternalServiceError', message: 'local secrets endpoint failed' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
