import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadDealerConfig } from '../../functions/adapters/dealer-config-file.js';
import type { ResolvedDealerConfig } from '../../functions/core/dealer-config.js';
import { PROJECT_ROOT } from '../../lib/constructs/service-function.js';
import { addNagPacks } from '../../lib/nag.js';
import { readAppContext, type AppContext } from '../../lib/settings.js';
import { WaykeDmsStack } from '../../lib/wayke-dms-stack.js';

/** The dealer config the infra tests use: two SFTP dealers (one with a mapping profile), one without. */
export const FIXTURE_CONFIG = 'test/infra/fixtures/dealers.json';

/** The feature flags and defaults of cdk.json, so tests synthesise what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
    .context;
}

export interface SynthOptions {
  /** Extra or overriding context values. */
  readonly context?: Record<string, unknown>;
  /** Run esbuild for real (slow); off by default, as most tests only read the template. */
  readonly bundling?: boolean;
  /** Register the cdk-nag packs. */
  readonly nag?: boolean;
  /**
   * Run CDK's built-in CloudFormation schema validation (about 9 s on a cold process); off by
   * default, on in the cdk-nag test, which checks the whole synthesis path.
   */
  readonly cfnValidation?: boolean;
}

export interface Synthesised {
  readonly app: App;
  readonly stack: WaykeDmsStack;
  readonly template: Template;
  readonly settings: AppContext;
  readonly dealers: ResolvedDealerConfig;
}

/** Builds the stack the way bin/app.ts does, without synthesising it (tests may still add to it). */
export function buildStack(options: SynthOptions = {}): Omit<Synthesised, 'template'> {
  const context: Record<string, unknown> = { ...cdkJsonContext(), config: FIXTURE_CONFIG, ...options.context };
  if (!options.bundling) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ context, outdir: mkdtempSync(join(tmpdir(), 'wayke-dms-cdk-')) });
  const settings = readAppContext((key) => app.node.tryGetContext(key));
  const dealers = loadDealerConfig(settings.config, PROJECT_ROOT);
  if (options.nag) addNagPacks(app);
  const stack = new WaykeDmsStack(app, settings.stackName, { settings, dealers });
  return { app, stack, settings, dealers };
}

/** Builds the stack the way bin/app.ts does and synthesises it once. */
export function synth(options: SynthOptions = {}): Synthesised {
  const { app, stack, settings, dealers } = buildStack(options);
  const template = options.cfnValidation
    ? Template.fromStack(stack)
    : withoutCfnValidation(() => Template.fromStack(stack));
  return { app, stack, template, settings, dealers };
}

/** Logical id of a construct's CloudFormation resource. */
export function logicalId(
  stack: WaykeDmsStack,
  construct: { node: { defaultChild?: unknown } } | import('aws-cdk-lib').CfnElement,
): string {
  const element = (
    'logicalId' in construct ? construct : construct.node.defaultChild
  ) as import('aws-cdk-lib').CfnElement;
  return stack.resolve(element.logicalId) as string;
}

/** Runs `fn` (a synthesis) without CDK's built-in CloudFormation schema validation, for speed. */
export function withoutCfnValidation<T>(fn: () => T): T {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    return fn();
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

/**
 * The resources of every dealer shard (nested stack) as one template, for assertions that do not
 * care which shard a dealer hashed into. Logical ids embed the dealer id, so they never collide.
 */
export function shardsTemplate(stack: WaykeDmsStack): Template {
  const resources = Object.assign(
    {},
    ...stack.dealerShards.map((shard) => Template.fromStack(shard).toJSON().Resources as object),
  );
  return Template.fromJSON({ Resources: resources });
}
