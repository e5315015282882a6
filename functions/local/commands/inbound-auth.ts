/**
 * `wayke-dms inbound-auth set|show`: the operator's path to a dealer's inbound keys (the webhook
 * secret Wayke presents, the Vehicle API key a DMS presents). Only their SHA-256 verifiers are
 * written, to the stack's inbound-auth table; a generated key is printed once on stdout and
 * nowhere else, and no message quotes a key. Exit status: 0 done, 1 refused or failed, 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  generateInboundKey,
  type InboundAuthStatus,
  readInboundAuthStatus,
  type VerifierUpdate,
  verifierOfGivenKey,
  writeVerifiers,
} from '../../adapters/dynamo-inbound-auth-store.js';
import { InboundAuthSchema } from '../../adapters/secrets-manager-secret-store.js';
import { DEALER_ID_PATTERN, DEALER_ID_RULE } from '../../core/dealer-config.js';
import { WaykeDmsError } from '../../core/errors.js';
import type { InboundAuth, KeyVerifier } from '../../ports.js';
import { UsageError } from '../cli-support.js';

export const help = `Usage: wayke-dms inbound-auth set --table <name> --dealer <id>
         [--webhook-secret <key> | --generate-webhook-secret]
         [--dms-api-key <key> | --generate-dms-api-key] [--keep-previous | --drop-previous]
       wayke-dms inbound-auth set --table <name> --dealer <id> --from-secret <secret-name>
       wayke-dms inbound-auth show --table <name> --dealer <id>

Sets the keys callers present for a dealer: the webhook secret Wayke sends with every webhook
call, and the Vehicle API key the dealer's DMS sends (none = the Vehicle API is off for the
dealer). Only each key's SHA-256 is stored, in the stack's inbound-auth table (the
InboundAuthTableName output); the key itself is kept nowhere in AWS.

set options:
  --table <name>               the inbound-auth table (stack output InboundAuthTableName)
  --dealer <id>                the dealer id, as in the dealer config
  --webhook-secret <key>       a webhook secret you chose (at least 24 characters)
  --generate-webhook-secret    generate one (256 bits), printed once on stdout: copy it into Wayke
  --dms-api-key <key>          a Vehicle API key you chose (at least 24 characters)
  --generate-dms-api-key       generate one, printed once on stdout: give it to the DMS team
  --keep-previous              keep accepting the key each option replaces, until the next set
                               of that key (a rotation without refused calls)
  --drop-previous              stop accepting the previous value of every key not set by this
                               command (the end of a rotation); alone, it changes nothing else
  --from-secret <name>         import the keys of an existing inbound secret (e.g.
                               wayke-dms/inbound/<id>: webhookSecret, dmsApiKey and their previous
                               values); excludes the four key options
  --endpoint <url>             DynamoDB endpoint (tests, DynamoDB Local)
  -h, --help                   show this help

show prints which keys are set and when (never a verifier). Region and credentials come from the
standard AWS configuration (AWS_REGION, AWS_PROFILE, SSO, the AWS_* variables); the Secrets
Manager endpoint of --from-secret from AWS_ENDPOINT_URL_SECRETS_MANAGER if set.`;

const FIELD_NAMES: Record<keyof InboundAuth, string> = {
  webhookSecret: 'webhook secret',
  previousWebhookSecret: 'previous webhook secret',
  dmsApiKey: 'Vehicle API key',
  previousDmsApiKey: 'previous Vehicle API key',
};

interface Parsed {
  readonly action: 'set' | 'show';
  readonly table: string;
  readonly dealer: string;
  readonly endpoint?: string;
  readonly webhookSecret?: string;
  readonly generateWebhookSecret: boolean;
  readonly dmsApiKey?: string;
  readonly generateDmsApiKey: boolean;
  readonly keepPrevious: boolean;
  readonly dropPrevious: boolean;
  readonly fromSecret?: string;
}

function parseValues(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        table: { type: 'string' },
        dealer: { type: 'string' },
        endpoint: { type: 'string' },
        'webhook-secret': { type: 'string' },
        'generate-webhook-secret': { type: 'boolean', default: false },
        'dms-api-key': { type: 'string' },
        'generate-dms-api-key': { type: 'boolean', default: false },
        'keep-previous': { type: 'boolean', default: false },
        'drop-previous': { type: 'boolean', default: false },
        'from-secret': { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // parseArgs quotes the offending argument; a mistyped option may be followed by a key.
    const code = (error as NodeJS.ErrnoException).code ?? 'invalid arguments';
    throw new UsageError(`${code}: an option is unknown, lacks its value or is given a value it does not take`);
  }
}

function parse(args: string[]): Parsed {
  const { values, positionals } = parseValues(args);
  const [action, ...extra] = positionals;
  if (action !== 'set' && action !== 'show') throw new UsageError('first argument must be `set` or `show`');
  if (extra.length) throw new UsageError(`unexpected argument(s) after ${action}`);
  if (!values.table) throw new UsageError('--table <name> is required (stack output InboundAuthTableName)');
  if (!values.dealer) throw new UsageError('--dealer <id> is required');
  if (!DEALER_ID_PATTERN.test(values.dealer)) throw new UsageError(`--dealer must be ${DEALER_ID_RULE}`);
  const parsed: Parsed = {
    action,
    table: values.table,
    dealer: values.dealer,
    endpoint: values.endpoint,
    webhookSecret: values['webhook-secret'],
    generateWebhookSecret: values['generate-webhook-secret'],
    dmsApiKey: values['dms-api-key'],
    generateDmsApiKey: values['generate-dms-api-key'],
    keepPrevious: values['keep-previous'],
    dropPrevious: values['drop-previous'],
    fromSecret: values['from-secret'],
  };
  if (action === 'set') checkSetOptions(parsed);
  else if (hasKeyOptions(parsed) || parsed.fromSecret || parsed.keepPrevious || parsed.dropPrevious)
    throw new UsageError('show takes only --table, --dealer and --endpoint');
  return parsed;
}

const hasKeyOptions = (options: Parsed): boolean =>
  options.webhookSecret !== undefined ||
  options.generateWebhookSecret ||
  options.dmsApiKey !== undefined ||
  options.generateDmsApiKey;

function checkSetOptions(options: Parsed): void {
  if (options.webhookSecret !== undefined && options.generateWebhookSecret)
    throw new UsageError('--webhook-secret and --generate-webhook-secret exclude each other');
  if (options.dmsApiKey !== undefined && options.generateDmsApiKey)
    throw new UsageError('--dms-api-key and --generate-dms-api-key exclude each other');
  if (options.keepPrevious && options.dropPrevious)
    throw new UsageError('--keep-previous and --drop-previous exclude each other');
  if (options.fromSecret !== undefined && (hasKeyOptions(options) || options.keepPrevious || options.dropPrevious))
    throw new UsageError(
      '--from-secret takes the keys from the secret: give no key options and no --keep/--drop-previous',
    );
  if (options.fromSecret === undefined && !hasKeyOptions(options) && !options.dropPrevious)
    throw new UsageError(
      'nothing to set: give a webhook secret or Vehicle API key option, --drop-previous, or --from-secret',
    );
}

/** The update the options ask for, and the keys generated for it (to print once). */
function updateFromOptions(options: Parsed, at: Date): { update: VerifierUpdate; generated: Map<string, string> } {
  const generated = new Map<string, string>();
  const key = (given: string | undefined, generate: boolean, field: keyof InboundAuth): KeyVerifier | undefined => {
    if (generate) {
      const fresh = generateInboundKey();
      generated.set(field, fresh);
      return verifierOfGivenKey(fresh, FIELD_NAMES[field]);
    }
    return given === undefined ? undefined : verifierOfGivenKey(given, `the given ${FIELD_NAMES[field]}`);
  };
  const update: VerifierUpdate = {
    webhookSecret: key(options.webhookSecret, options.generateWebhookSecret, 'webhookSecret'),
    dmsApiKey: key(options.dmsApiKey, options.generateDmsApiKey, 'dmsApiKey'),
    keepPrevious: options.keepPrevious,
    dropPrevious: options.dropPrevious,
    at,
  };
  return { update, generated };
}

/** The verifiers of an existing inbound secret's keys; messages name fields, never values. */
async function updateFromSecret(secretName: string, at: Date): Promise<VerifierUpdate> {
  const client = new SecretsManagerClient({});
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretName }))).SecretString;
  } finally {
    client.destroy();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    throw new UsageError(`secret ${secretName} is not a JSON object`);
  }
  const result = InboundAuthSchema.safeParse(raw);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new UsageError(`secret ${secretName} is not an inbound secret; invalid at: ${fields.join(', ')}`);
  }
  const verify = (field: keyof InboundAuth): KeyVerifier | undefined => {
    const value = result.data[field];
    return typeof value === 'string'
      ? verifierOfGivenKey(value, `the ${FIELD_NAMES[field]} in ${secretName}`)
      : undefined;
  };
  return {
    webhookSecret: verify('webhookSecret'),
    previousWebhookSecret: verify('previousWebhookSecret'),
    dmsApiKey: verify('dmsApiKey'),
    previousDmsApiKey: verify('previousDmsApiKey'),
    keepPrevious: false,
    at,
  };
}

function describeStatus(dealer: string, status: InboundAuthStatus): string {
  const lines = [`dealer ${dealer} (revision ${status.revision}):`];
  for (const [field, name] of Object.entries(FIELD_NAMES)) {
    const entry = status.keys[field as keyof InboundAuth];
    lines.push(`  ${name.padEnd(26)}${entry ? `set ${entry.setAt ?? '(time unknown)'}` : 'not set'}`);
  }
  return lines.join('\n');
}

async function set(options: Parsed, dynamo: DynamoDBClient): Promise<number> {
  const at = new Date();
  const { update, generated } = options.fromSecret
    ? { update: await updateFromSecret(options.fromSecret, at), generated: new Map<string, string>() }
    : updateFromOptions(options, at);
  const status = await writeVerifiers({ client: dynamo, tableName: options.table }, options.dealer, update);
  const out = [describeStatus(options.dealer, status)];
  // Printed once, here: only the verifier is stored, so a lost key can only be replaced.
  for (const [field, key] of generated) out.push(`${field}=${key}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

async function show(options: Parsed, dynamo: DynamoDBClient): Promise<number> {
  const status = await readInboundAuthStatus({ client: dynamo, tableName: options.table }, options.dealer);
  if (!status) {
    process.stderr.write(`wayke-dms inbound-auth: dealer ${options.dealer} has no inbound keys set\n`);
    return 1;
  }
  process.stdout.write(`${describeStatus(options.dealer, status)}\n`);
  return 0;
}

/** One line for a failure: our typed errors carry a message without values; an SDK error by its name. */
function describeFailure(error: unknown): string {
  if (error instanceof WaykeDmsError || error instanceof UsageError) return error.message;
  const name = (error as Error).name ?? 'Error';
  if (name === 'CredentialsProviderError')
    return `${name}: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run \`aws sso login\`)`;
  if (name === 'ResourceNotFoundException') return `${name}: the table or secret does not exist`;
  if ((error as Error).message === 'Region is missing') return 'no AWS region: set AWS_REGION or AWS_PROFILE';
  return name;
}

export async function run(args: string[]): Promise<number> {
  let options: Parsed;
  try {
    options = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`wayke-dms inbound-auth: ${error.message}\n\n${help}\n`);
    return 2;
  }
  const dynamo = new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint } : {});
  try {
    return await (options.action === 'set' ? set(options, dynamo) : show(options, dynamo));
  } catch (error) {
    process.stderr.write(`wayke-dms inbound-auth: ${describeFailure(error)}\n`);
    return 1;
  } finally {
    dynamo.destroy();
  }
}
