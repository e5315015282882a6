/**
 * Regenerates the event catalog (`docs/events/<type>.schema.json` and `<type>.example.json`) from
 * the zod schemas: `npm run events:catalog`. `test/core/events/catalog.test.ts` fails while the
 * committed files differ from what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { eventCatalogFiles } from '../functions/core/events/catalog.js';
import { eventExamples } from './event-examples.js';

for (const [path, text] of eventCatalogFiles(eventExamples())) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`wrote ${path}\n`);
}
