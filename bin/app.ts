#!/usr/bin/env node
/**
 * The CDK app: validates the CDK context and the dealer config, then builds the stack. A bad
 * config stops `cdk synth` with a message naming the dealer and the field, never a stack trace.
 */
import { App } from 'aws-cdk-lib';
import { loadDealerConfig } from '../functions/adapters/dealer-config-file.js';
import { ConfigError } from '../functions/core/errors.js';
import { addNagPacks } from '../lib/nag.js';
import { readAppContext } from '../lib/settings.js';
import { WaykeDmsStack } from '../lib/wayke-dms-stack.js';

const app = new App();
try {
  const settings = readAppContext((key) => app.node.tryGetContext(key));
  const dealers = loadDealerConfig(settings.config);
  addNagPacks(app);
  new WaykeDmsStack(app, settings.stackName, { settings, dealers });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`wayke-dms: ${error.message}\n`);
  process.exit(1);
}
