import * as z from 'zod';
import { DMS_EVENT_KINDS, type DmsEventKind } from '../dealer-config.js';
import { DMS_EVENT_SCHEMA_VERSION, DmsEventSchemas } from './envelope.js';

/** Where the catalog lives in the repository: `docs/events/<type>.schema.json` and `<type>.example.json`. */
export const EVENT_CATALOG_DIR = 'docs/events';

/** The `$id` base of the published schemas (stable, versioned with the envelope). */
const SCHEMA_ID_BASE = 'https://github.com/wayke-dms/wayke-dms/blob/main/docs/events';

/**
 * The JSON Schema (draft 2020-12) of one delivered type, generated from the zod schema the DMS
 * writer's envelope follows — so the documented contract and the code cannot drift apart.
 */
export function eventJsonSchema(kind: DmsEventKind): Record<string, unknown> {
  const schema = z.toJSONSchema(DmsEventSchemas[kind], { target: 'draft-2020-12', io: 'output' }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    $id: `${SCHEMA_ID_BASE}/${kind}.schema.json`,
    title: `wayke-dms ${kind} event`,
    description: `What the dealer's DMS receives for ${kind} (envelope version ${DMS_EVENT_SCHEMA_VERSION}), as the body of a Standard Webhooks POST or an outbox file.`,
    'x-version': DMS_EVENT_SCHEMA_VERSION,
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}

/** Every file of the catalog: path → text (schemas and the given examples), in a stable order. */
export function eventCatalogFiles(examples: { readonly [K in DmsEventKind]: unknown }): Map<string, string> {
  const files = new Map<string, string>();
  for (const kind of DMS_EVENT_KINDS) {
    files.set(`${EVENT_CATALOG_DIR}/${kind}.schema.json`, `${JSON.stringify(eventJsonSchema(kind), null, 2)}\n`);
    files.set(`${EVENT_CATALOG_DIR}/${kind}.example.json`, `${JSON.stringify(examples[kind], null, 2)}\n`);
  }
  return files;
}
