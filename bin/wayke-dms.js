#!/usr/bin/env node
// Launcher for the `wayke-dms` CLI: registers tsx so the TypeScript sources run as they are,
// with no build step between `npm install` and the first command.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../functions/local/cli.ts');
process.exitCode = await main(process.argv.slice(2));
