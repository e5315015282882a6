import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/service-function.js';
import { cdkJsonContext, FIXTURE_CONFIG } from './synth.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'wayke-dms-app-'));

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function exec(file: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The CDK CLI, as a user runs it (`cdk synth`), which runs the app command of cdk.json. */
const cdk = (args: string[]) =>
  exec(process.execPath, [join(PROJECT_ROOT, 'node_modules/aws-cdk/bin/cdk'), ...args, '--no-notices'], {
    // Offline and hermetic: no version check, no telemetry.
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  });

/** The app itself, given context the way the CLI passes it (cdk.json's context merged with `-c`). */
const app = (context: Record<string, unknown>, outdir: string) =>
  exec(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context }),
    CDK_OUTDIR: outdir,
    // Schema validation is CDK's own and slow; cdk-nag still runs and fails the synth on a finding.
    CDK_VALIDATION: 'false',
  });

const badConfig = join(work, 'bad-dealers.json');
writeFileSync(
  badConfig,
  JSON.stringify({
    dealers: [
      { id: 'bilhallen', name: 'Bilhallen', branchId: 'not-a-uuid' },
      {
        id: 'motorcentrum',
        name: 'Motorcentrum',
        branchId: '7c1e9b2a-3d4f-4e5a-8b6c-0d1e2f3a4b5c',
        feed: { maxRemovalShare: 2 },
      },
    ],
  }),
);
const goodOut = join(work, 'cdk.out');

let badConfigRun: Result;
let badContextRun: Result;
let missingFileRun: Result;
let goodRun: Result;

beforeAll(async () => {
  [badConfigRun, badContextRun, missingFileRun, goodRun] = await Promise.all([
    cdk(['synth', '-q', '-c', `config=${badConfig}`, '-o', join(work, 'bad.out')]),
    app({ config: FIXTURE_CONFIG, archiveRetentionDays: 'ninety', waykeEnvironment: 'staging' }, join(work, 'ctx.out')),
    app({ config: join(work, 'no-such-file.json') }, join(work, 'missing.out')),
    app({ config: FIXTURE_CONFIG, 'aws:cdk:bundling-stacks': [], alarmEmail: 'ops@example.com' }, goodOut),
  ]);
}, 180_000);

/** A Node stack trace line, or an error class name leaking into the user's view. */
const STACK_TRACE = /^\s+at\s|\bConfigError\b|\bZodError\b|node:internal/m;

describe('cdk synth with a bad dealer config', () => {
  it('fails with a message naming each dealer and field, and no stack trace', () => {
    expect(badConfigRun.code).not.toBe(0);
    const output = badConfigRun.stderr + badConfigRun.stdout;
    expect(output).toContain('dealer "bilhallen" (dealers[0]): branchId');
    expect(output).toContain('dealer "motorcentrum" (dealers[1]): feed.maxRemovalShare');
    expect(output).not.toMatch(STACK_TRACE);
  });
});

describe('the app', () => {
  it('rejects bad context values by key, without a stack trace', () => {
    expect(badContextRun.code).toBe(1);
    expect(badContextRun.stderr).toContain('context "archiveRetentionDays": must be a whole number');
    expect(badContextRun.stderr).toContain('context "waykeEnvironment"');
    expect(badContextRun.stderr).not.toMatch(STACK_TRACE);
  });

  it('names a config file it cannot read', () => {
    expect(missingFileRun.code).toBe(1);
    expect(missingFileRun.stderr).toMatch(/Dealer config .*no-such-file\.json cannot be read: ENOENT/);
    expect(missingFileRun.stderr).not.toMatch(STACK_TRACE);
  });

  it('synthesises a good config with cdk-nag on, and publishes the outputs an operator needs', () => {
    expect(goodRun.stderr).not.toMatch(/ERROR|Validation failed/);
    expect(goodRun.code, goodRun.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(goodOut, 'WaykeDms.template.json'), 'utf8')) as {
      Outputs: Record<string, unknown>;
    };
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining([
        'WebhookUrl',
        'SftpEndpoint',
        'FeedBucketName',
        'WorkQueueUrl',
        'EventsQueueUrl',
        'AlarmTopicArn',
        'DealerSecretPrefix',
      ]),
    );
  });
});
