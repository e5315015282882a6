/**
 * `wayke-dms plan <file> --dealer <id>`: what `import` would do, from the feed and the snapshot in
 * `--state`, without calling Wayke or writing anything.
 */
import { runImportCommand } from './import.js';

export const help = `Usage: wayke-dms plan <file> --dealer <id> [--state <dir>] [--mapping <profile.json>] [--config <dealers.json> | --market SE|NO|FI] [--json] [--allow-mass-removal]

Reads the feed and the dealer's snapshot (--state, default ./.wayke-dms) and prints the plan:
plates to create, updates with the fields that changed, removals, republications, the number
unchanged, rejected rows, and whether the safety valve would block the removals. Mileage is
shown in the dealer's unit (its market's: mil for SE, km for NO and FI; the config's market, else
--market). Calls no one and writes nothing.

--json prints one object: { dealer, feed, create: [plates], update: [{ registrationNumber,
fields }], remove: [plates], republish: [plates], unchanged, rejected, blocked, mileageUnit }.

Exit status: 0 nothing rejected; 1 rows rejected; 2 the feed rejected as a whole (or bad
arguments); 3 the safety valve would block the removals.`;

export function run(args: string[]): Promise<number> {
  return runImportCommand('plan', args);
}
