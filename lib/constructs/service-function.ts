import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import type { ResolvedDealerConfig } from '../../functions/core/dealer-config.js';
import type { WaykeEndpoints } from '../settings.js';

/** Repository root (this file lives in `lib/constructs/`). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the resolved dealer config sits inside every Lambda bundle (`LAMBDA_TASK_ROOT` is /var/task). */
export const LAMBDA_DEALERS_FILE = '/var/task/dealers.json';

/** Some CommonJS dependencies call require() for Node built-ins; an ESM bundle has no require. */
export const BUNDLE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Memory of a function that names none: enough for the small handlers (API, scheduler). */
export const DEFAULT_MEMORY_MB = 256;

/** Settings every function of the stack shares. */
export interface ServiceFunctionDefaults {
  /** Host path of the resolved dealer config (mapping profiles inlined); copied into each bundle as `dealers.json`. */
  readonly dealersFile: string;
  /** Secrets Manager name prefix of the per-dealer credential secrets (`SECRET_PREFIX`). */
  readonly secretPrefix: string;
  /** Wayke hosts (`WAYKE_*_URL`). */
  readonly wayke: WaykeEndpoints;
  /** Powertools log level. */
  readonly logLevel: string;
  /** Log group retention. */
  readonly logRetention: logs.RetentionDays;
}

export interface ServiceFunctionProps {
  /** Handler entry name: `functions/handlers/<handler>.ts`, exporting `handler`. Also the Powertools service name. */
  readonly handler: string;
  /** Entry file. @default `functions/handlers/<handler>.ts` */
  readonly entry?: string;
  /** Shown in the console. */
  readonly description: string;
  /** Stack-wide defaults. */
  readonly defaults: ServiceFunctionDefaults;
  /** Memory, MB; {@link DEFAULT_MEMORY_MB} if not given. */
  readonly memorySize?: number;
  /** Each function's own, from `FUNCTION_TIMEOUT_SECONDS` (`functionTimeout`). */
  readonly timeout: Duration;
  /** Function-specific environment, added to the common one. */
  readonly environment?: Record<string, string>;
  /**
   * How the function is invoked: `async` functions (EventBridge targets) need `deadLetterQueue` for
   * invocations that fail after Lambda's retries; `sqs` functions rely on their source queue's
   * redrive policy; `api` functions answer synchronously, so the caller sees every failure.
   */
  readonly invocation:
    | { readonly type: 'async'; readonly deadLetterQueue: sqs.IQueue }
    | { readonly type: 'sqs' }
    | { readonly type: 'api' };
}

/**
 * The one `NodejsFunction` wrapper, holding the house defaults: Node.js 24 on arm64, no X-Ray
 * (see the README's *Tracing*: nothing is instrumented, and the Tracer would cost every cold start),
 * an explicit log group with retention, source maps on, ESM bundled by the local esbuild with the
 * AWS SDK inside the bundle (the pinned version, not the runtime's), and the resolved dealer config
 * written beside the handler as `dealers.json` (read via `DEALERS_FILE`).
 */
export class ServiceFunction extends Construct {
  /** The Lambda function. */
  readonly function: NodejsFunction;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { defaults } = props;
    const entry = props.entry ?? join(PROJECT_ROOT, 'functions', 'handlers', `${props.handler}.ts`);
    if (!existsSync(entry)) throw new Error(`Lambda entry ${entry} does not exist`);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: defaults.logRetention });
    // An own role instead of AWSLambdaBasicExecutionRole: logs go to this log group only.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.handler} Lambda`,
    });
    this.logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout,
      logGroup: this.logGroup,
      role,
      deadLetterQueue: props.invocation.type === 'async' ? props.invocation.deadLetterQueue : undefined,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        DEALERS_FILE: LAMBDA_DEALERS_FILE,
        SECRET_PREFIX: defaults.secretPrefix,
        POWERTOOLS_SERVICE_NAME: props.handler,
        POWERTOOLS_METRICS_NAMESPACE: 'WaykeDms',
        LOG_LEVEL: defaults.logLevel,
        WAYKE_AUTH_URL: defaults.wayke.authUrl,
        WAYKE_DEALER_API_URL: defaults.wayke.dealerApiUrl,
        WAYKE_MEDIA_API_URL: defaults.wayke.mediaApiUrl,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        externalModules: [],
        tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
        banner: BUNDLE_BANNER,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp "${defaults.dealersFile}" "${outputDir}/dealers.json"`,
          ],
        },
      },
    });

    acknowledge(
      this,
      ['Serverless-LambdaTracing'],
      'No X-Ray: nothing in the handlers is instrumented (active tracing alone shows one opaque Lambda segment), and the Powertools Tracer would add the X-Ray SDK to every bundle and cold start; each log line carries dealer, run and event ids instead (README: Tracing).',
    );
    if (props.invocation.type === 'sqs') {
      acknowledge(
        this,
        ['Serverless-LambdaDLQ', 'Serverless-LambdaEventSourceMappingDestination'],
        "Invoked by an SQS event source mapping: failed messages return to the queue and reach the queue's own dead-letter queue (redrive policy, alarmed); SQS mappings support no on-failure destination.",
      );
    } else if (props.invocation.type === 'api') {
      acknowledge(
        this,
        ['Serverless-LambdaDLQ'],
        'Invoked synchronously by API Gateway: the caller gets the error response and retries; a dead-letter queue only applies to asynchronous invocations.',
      );
    }
  }
}

/**
 * Writes the resolved dealer config (mapping profiles inlined) where the bundling hook copies it
 * from, and returns its path. Named by content hash, so parallel synths of different configs never
 * clash; the bundle's asset hash covers it, so a config change redeploys the functions.
 */
export function writeDealersFile(config: ResolvedDealerConfig): string {
  const json = `${JSON.stringify(config, null, 2)}\n`;
  const dir = join(tmpdir(), 'wayke-dms-synth');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `dealers-${createHash('sha256').update(json).digest('hex').slice(0, 16)}.json`);
  writeFileSync(file, json);
  return file;
}
