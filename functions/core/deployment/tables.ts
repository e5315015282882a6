/**
 * The DynamoDB tables, written once: their key schemas and expiry attribute. The CDK constructs
 * (`lib/`), the local engines, the adapters that create tables in tests and the tests themselves
 * build from these, so a key change is one edit here.
 */
export interface TableDefinition {
  /** Partition key attribute (string). */
  readonly partitionKey: string;
  /** Sort key attribute (string), if the table has one. */
  readonly sortKey?: string;
  /** Attribute holding the expiry time (epoch seconds) DynamoDB's TTL deletes by, if items expire. */
  readonly ttlAttribute?: string;
}

export const TABLES = {
  /** Per dealer (`pk`): the snapshot of what Wayke was sent, run state, lease, approvals, vehicle API statuses. */
  snapshots: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' },
  /** Delivered event ids, delivery attempts, idempotency records and rate-limit windows (`pk`). */
  dedupe: { partitionKey: 'pk', ttlAttribute: 'expiresAt' },
  /** Per dealer (`dealerId`): the SHA-256 verifiers of its inbound keys (webhook secret, Vehicle API key); never expire. */
  inboundAuth: { partitionKey: 'dealerId' },
} as const satisfies Record<string, TableDefinition>;

export type TableKind = keyof typeof TABLES;

/** The `CreateTable` input for a table (on-demand), as the local engines and tests create it. */
export function createTableInput(kind: TableKind, tableName: string) {
  const table: TableDefinition = TABLES[kind];
  const keys = [
    { name: table.partitionKey, type: 'HASH' as const },
    ...(table.sortKey ? [{ name: table.sortKey, type: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    KeySchema: keys.map((key) => ({ AttributeName: key.name, KeyType: key.type })),
    AttributeDefinitions: keys.map((key) => ({ AttributeName: key.name, AttributeType: 'S' as const })),
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
}
