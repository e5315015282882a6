import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { loadDealerConfig } from '../../functions/adapters/dealer-config-file.js';
import {
  LAMBDA_DEALERS_FILE,
  PROJECT_ROOT,
  ServiceFunction,
  writeDealersFile,
} from '../../lib/constructs/service-function.js';
import { WAYKE_ENDPOINTS } from '../../lib/settings.js';
import { cdkJsonContext, FIXTURE_CONFIG, synth, withoutCfnValidation } from './synth.js';

const { template } = synth({ context: { logRetentionDays: 90, waykeEnvironment: 'production', logLevel: 'DEBUG' } });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

describe('every stack function gets the house defaults', () => {
  it('there are the six handlers', () => {
    expect(functions.map(([, fn]) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).sort()).toEqual([
      'dms-writer',
      'import-scheduler',
      'import-worker',
      'vehicle-api',
      'vehicle-worker',
      'webhook',
    ]);
  });

  it.each(
    functions.map(
      ([id, fn]) => [fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME as string, id, fn] as const,
    ),
  )(
    '%s: Node.js 24 on arm64, ESM bundle, no X-Ray (nothing is instrumented), own log group with retention, explicit memory and timeout',
    (_name, _id, fn) => {
      const p = fn.Properties;
      expect(p.Runtime).toBe('nodejs24.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe('index.handler');
      expect(p.TracingConfig).toBeUndefined();
      expect(p.MemorySize).toBeGreaterThanOrEqual(128);
      expect(p.Timeout).toBeGreaterThan(0);
      const logGroupId = p.LoggingConfig.LogGroup.Ref as string;
      expect(resources[logGroupId]!.Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupId]!.Properties.RetentionInDays).toBe(90);
    },
  );

  it.each(
    functions.map(([, fn]) => [fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME as string, fn] as const),
  )('%s: the common environment of the conventions', (_name, fn) => {
    expect(fn.Properties.Environment.Variables).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      DEALERS_FILE: LAMBDA_DEALERS_FILE,
      SECRET_PREFIX: 'wayke-dms/dealer/',
      POWERTOOLS_METRICS_NAMESPACE: 'WaykeDms',
      LOG_LEVEL: 'DEBUG',
      WAYKE_AUTH_URL: WAYKE_ENDPOINTS.production.authUrl,
      WAYKE_DEALER_API_URL: WAYKE_ENDPOINTS.production.dealerApiUrl,
      WAYKE_MEDIA_API_URL: WAYKE_ENDPOINTS.production.mediaApiUrl,
    });
  });

  it("roles carry no AWS managed policy; logs go only to the function's own log group", () => {
    for (const [, fn] of functions) {
      const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
      expect(resources[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
      const logStatements = Object.values(resources)
        .filter(
          (r) =>
            r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
        )
        .flatMap((r) => r.Properties.PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown }>)
        .filter((s) => [s.Action].flat().some((a) => a.startsWith('logs:')));
      expect(logStatements).toEqual([
        expect.objectContaining({ Resource: { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] } }),
      ]);
    }
  });
});

describe('bundling (real esbuild, no Docker)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'wayke-dms-bundle-'));
  const app = new App({ outdir, context: cdkJsonContext() });
  const stack = new Stack(app, 'BundleProbe');
  const dealers = loadDealerConfig(FIXTURE_CONFIG, PROJECT_ROOT);
  new ServiceFunction(stack, 'Probe', {
    handler: 'bundle-probe',
    entry: join(PROJECT_ROOT, 'test/infra/fixtures/bundle-probe.ts'),
    description: 'bundling test',
    invocation: { type: 'api' },
    timeout: Duration.seconds(5),
    defaults: {
      dealersFile: writeDealersFile(dealers),
      secretPrefix: 'p/',
      wayke: WAYKE_ENDPOINTS.test,
      logLevel: 'INFO',
      logRetention: logs.RetentionDays.ONE_WEEK,
    },
  });
  const probe = Object.values(
    withoutCfnValidation(() => Template.fromStack(stack)).findResources('AWS::Lambda::Function'),
  )[0]!;
  const assetHash = (probe.Properties.Code.S3Key as string).replace(/\.zip$/, '');
  const assetDir = join(outdir, `asset.${assetHash}`);

  it('writes an ESM handler with its source map and the resolved dealer config beside it, nothing else', () => {
    expect(readdirSync(assetDir).sort()).toEqual(['dealers.json', 'index.mjs', 'index.mjs.map']);
    const bundled = JSON.parse(readFileSync(join(assetDir, 'dealers.json'), 'utf8'));
    expect(bundled).toEqual(JSON.parse(JSON.stringify(dealers)));
    expect(bundled.dealers.find((d: { id: string }) => d.id === 'beta').mappingProfile.fields.registrationNumber).toBe(
      'FordonsID',
    );
  });

  it('runs on its own: ESM with the AWS SDK inside and the config found through DEALERS_FILE', () => {
    expect(existsSync(join(assetDir, 'node_modules'))).toBe(false);
    const script = `import(${JSON.stringify(join(assetDir, 'index.mjs'))}).then((m) => m.handler()).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const output = execFileSync(process.execPath, ['--enable-source-maps', '-e', script], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH, DEALERS_FILE: join(assetDir, 'dealers.json') },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(JSON.parse(output)).toEqual({
      dealers: ['alpha-bil', 'beta', 'gamma'],
      betaMileageUnit: 'km',
      sdkClient: 'function',
      sdkResolvableOutsideBundle: false,
    });
  });
});
