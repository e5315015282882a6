import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { createTableInput } from '../core/deployment/tables.js';
import { RetryableError } from '../core/errors.js';
import type {
  AdStatus,
  CheckMarks,
  DealerLease,
  ImportRunState,
  LeaseHolder,
  LeaseResult,
  OnlineSaleState,
  RemovalApprovals,
  RunStateStore,
  SnapshotEntry,
  SnapshotReader,
  Snapshots,
} from '../ports.js';

/**
 * The snapshot table in DynamoDB (and, unchanged, in the embedded engine the CLI runs).
 * One partition per dealer; no transactions (the embedded engine has none):
 *
 * | sk                       | what                                                          |
 * | ------------------------ | ------------------------------------------------------------- |
 * | `vehicle#<plate>`        | a {@link SnapshotEntry}: adId, hash, dataHash, imagesHash, statusHash, fields (JSON), media (JSON), status, lastSeen, setBy?, externalId?, sent? (JSON), kept? (JSON), check?, held? |
 * | `run#last`               | the last run's state: runId, at, archiveKey?, failed[], blocked |
 * | `lease`                  | owner, host?, pid?, processStart?, leaseUntil (epoch ms), expiresAt (TTL, s)  |
 * | `approval#mass-removal`  | a one-shot approval: approvedBy, approvedAt, expiresAt (TTL, s) |
 * | `api#<plate>`            | the Vehicle API's status of a plate (`dynamo-vehicle-status-store`) |
 *
 * `pk` is `dealer#<dealerId>`. Loading a dealer is one paged Query; entries go in BatchWrites;
 * the lease is a conditional Put. `fields` and `media` are JSON strings, not maps: a dealer of
 * 10,000 vehicles loads several times faster that way (one string per item to decode, not ~20
 * nested attributes), and nothing ever queries inside them.
 */

const VEHICLE = 'vehicle#';
const RUN = 'run#last';
const LEASE = 'lease';
const APPROVAL = 'approval#mass-removal';

/**
 * Every attribute {@link DynamoSnapshotStore.markForCheck} touches (key, condition, the mark): the
 * webhook role's UpdateItem is limited to these, so it can set the mark and nothing else.
 */
export const CHECK_MARK_ATTRIBUTES = ['pk', 'sk', 'lastSeen', 'check'] as const;

/** The dealer's partition; shared with the Vehicle API's status items. */
export const snapshotPartitionKey = (dealerId: string) => `dealer#${dealerId}`;
const pk = snapshotPartitionKey;

interface EntryItem {
  pk: string;
  sk: string;
  adId: string;
  hash: string;
  dataHash: string;
  imagesHash: string;
  statusHash: string;
  /** JSON of {@link SnapshotEntry.fields}. */
  fields: string;
  /** JSON of {@link SnapshotEntry.media}. */
  media: string;
  status: AdStatus;
  lastSeen: string;
  /** Only `api` is stored; absent means a file set the vehicle. */
  setBy?: 'api';
  externalId?: string;
  /** JSON of {@link SnapshotEntry.sent}. */
  sent?: string;
  /** JSON of {@link SnapshotEntry.kept}. */
  kept?: string;
  /** Set by the webhook path ({@link DynamoSnapshotStore.markForCheck}). */
  check?: boolean;
  held?: OnlineSaleState;
}

const HELD_STATES: readonly OnlineSaleState[] = ['reserved', 'sold'];
const jsonRecord = (text: unknown): Record<string, string> | undefined =>
  typeof text === 'string' ? (JSON.parse(text) as Record<string, string>) : undefined;

function toItem(dealerId: string, entry: SnapshotEntry): EntryItem {
  return {
    pk: pk(dealerId),
    sk: `${VEHICLE}${entry.registrationNumber}`,
    adId: entry.adId,
    hash: entry.hash,
    dataHash: entry.groups.data,
    imagesHash: entry.groups.images,
    statusHash: entry.groups.status,
    fields: JSON.stringify(entry.fields),
    media: JSON.stringify(entry.media),
    status: entry.status,
    lastSeen: entry.lastSeen,
    ...(entry.setBy === 'api' ? { setBy: 'api' as const } : {}),
    ...(entry.externalId ? { externalId: entry.externalId } : {}),
    ...(entry.sent ? { sent: JSON.stringify(entry.sent) } : {}),
    ...(entry.kept ? { kept: JSON.stringify(entry.kept) } : {}),
    ...(entry.check ? { check: true } : {}),
    ...(entry.held ? { held: entry.held } : {}),
  };
}

/** Attributes an entry may lack: a write that keeps the item's mark removes the ones the entry lacks. */
const OPTIONAL_ENTRY_ATTRIBUTES = ['setBy', 'externalId', 'sent', 'kept', 'held'] as const;

/**
 * An entry written without replacing the item: every attribute set (or removed when the entry lacks
 * it) but the mark, so a mark the webhook set after the run read the entry survives the write.
 */
function keepingMark(table: string, dealerId: string, entry: SnapshotEntry): UpdateCommand {
  const { pk: key, sk, ...attributes } = toItem(dealerId, entry);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(`#${name} = :${name}`);
  }
  const removes = OPTIONAL_ENTRY_ATTRIBUTES.filter((name) => !(name in attributes)).map((name) => {
    names[`#${name}`] = name;
    return `#${name}`;
  });
  return new UpdateCommand({
    TableName: table,
    Key: { pk: key, sk },
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

/** The hand-edit and online-sale attributes of an item, as far as it has them. */
function trackedOf(i: EntryItem): Pick<SnapshotEntry, 'sent' | 'kept' | 'check' | 'held'> {
  const sent = jsonRecord(i.sent);
  const kept = jsonRecord(i.kept);
  return {
    ...(sent ? { sent } : {}),
    ...(kept ? { kept } : {}),
    ...(i.check === true ? { check: true } : {}),
    ...(i.held && HELD_STATES.includes(i.held) ? { held: i.held } : {}),
  };
}

function fromItem(item: Record<string, unknown>): SnapshotEntry {
  const i = item as unknown as EntryItem;
  return {
    registrationNumber: i.sk.slice(VEHICLE.length),
    adId: i.adId,
    hash: i.hash,
    groups: { data: i.dataHash, images: i.imagesHash, status: i.statusHash },
    fields: i.fields ? (JSON.parse(i.fields) as Record<string, string>) : {},
    media: i.media ? (JSON.parse(i.media) as Record<string, string>) : {},
    status: i.status,
    lastSeen: i.lastSeen,
    ...(i.setBy === 'api' ? { setBy: 'api' as const } : {}),
    ...(typeof i.externalId === 'string' ? { externalId: i.externalId } : {}),
    ...trackedOf(i),
  };
}

/** Enough for DynamoDB's throttling to clear in a burst; past it the run fails and is retried. */
const DEFAULT_MAX_BATCH_ATTEMPTS = 8;
/** DynamoDB's BatchWriteItem limit. */
const BATCH_SIZE = 25;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DynamoSnapshotStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Clock for lease expiry (tests move it). */
  readonly now?: () => Date;
  /** Attempts at unprocessed batch items before giving up, with backoff (default {@link DEFAULT_MAX_BATCH_ATTEMPTS}). */
  readonly maxBatchAttempts?: number;
  /** Items per Query page (default: none, DynamoDB's 1 MB pages). */
  readonly pageSize?: number;
}

/**
 * Every role of the snapshot table ({@link Snapshots}, {@link SnapshotReader}, {@link RunStateStore},
 * {@link DealerLease}, {@link RemovalApprovals}) on one DynamoDB table (`TABLES.snapshots`).
 */
export class DynamoSnapshotStore
  implements Snapshots, SnapshotReader, RunStateStore, DealerLease, RemovalApprovals, CheckMarks
{
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly now: () => Date;
  private readonly maxBatchAttempts: number;
  private readonly pageSize: number | undefined;

  constructor(options: DynamoSnapshotStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.table = options.tableName;
    this.now = options.now ?? (() => new Date());
    this.maxBatchAttempts = options.maxBatchAttempts ?? DEFAULT_MAX_BATCH_ATTEMPTS;
    this.pageSize = options.pageSize;
  }

  async load(dealerId: string): Promise<Map<string, SnapshotEntry>> {
    const entries = new Map<string, SnapshotEntry>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk(dealerId), ':prefix': VEHICLE },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          ...(this.pageSize ? { Limit: this.pageSize } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const entry = fromItem(item);
        entries.set(entry.registrationNumber, entry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return entries;
  }

  async entry(dealerId: string, registrationNumber: string): Promise<SnapshotEntry | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: pk(dealerId), sk: `${VEHICLE}${registrationNumber}` },
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async entries(dealerId: string, page: { readonly after?: string; readonly limit: number }): Promise<SnapshotEntry[]> {
    const { items } = await queryPrefixPage(this.doc, {
      table: this.table,
      pk: pk(dealerId),
      prefix: VEHICLE,
      ...page,
    });
    return items.map(fromItem);
  }

  /** One conditional UpdateItem: sets `check` only on an entry that exists and was written before the cutoff. */
  async markForCheck(dealerId: string, registrationNumber: string, unlessWrittenAfter: Date): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pk(dealerId), sk: `${VEHICLE}${registrationNumber}` },
          UpdateExpression: 'SET #check = :true',
          ConditionExpression: 'attribute_exists(sk) AND lastSeen < :cutoff',
          ExpressionAttributeNames: { '#check': 'check' },
          ExpressionAttributeValues: { ':true': true, ':cutoff': unlessWrittenAfter.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Entries replace their items in batches — but one with `check: false` (the import read it
   * unmarked) is written by one UpdateItem that leaves the item's mark alone, so a
   * `vehicle-updated` that marked the car after the run read it (and before this write) still sends
   * it to the next run's check.
   */
  async put(dealerId: string, entries: readonly SnapshotEntry[]): Promise<void> {
    const keepMark = entries.filter((entry) => entry.check === false);
    for (let offset = 0; offset < keepMark.length; offset += BATCH_SIZE)
      await Promise.all(
        keepMark
          .slice(offset, offset + BATCH_SIZE)
          .map((entry) => this.doc.send(keepingMark(this.table, dealerId, entry))),
      );
    const replacing = entries.filter((entry) => entry.check !== false);
    for (let offset = 0; offset < replacing.length; offset += BATCH_SIZE) {
      let requests = replacing
        .slice(offset, offset + BATCH_SIZE)
        .map((entry) => ({ PutRequest: { Item: toItem(dealerId, entry) } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > this.maxBatchAttempts) {
          throw new RetryableError(`DynamoDB left ${requests.length} snapshot writes unprocessed`, {
            dealerId,
            operation: 'BatchWriteItem',
          });
        }
        if (attempt > 1) await sleep(Math.random() * Math.min(2000, 50 * 2 ** attempt));
        const answer = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = (answer.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      }
    }
  }

  async getRunState(dealerId: string): Promise<ImportRunState | null> {
    const answer = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: pk(dealerId), sk: RUN }, ConsistentRead: true }),
    );
    if (!answer.Item) return null;
    const { runId, at, archiveKey, failed, blocked } = answer.Item as Record<string, unknown>;
    return {
      runId: String(runId),
      at: String(at),
      ...(typeof archiveKey === 'string' ? { archiveKey } : {}),
      failed: Array.isArray(failed) ? (failed as string[]) : [],
      blocked: (blocked as ImportRunState['blocked']) ?? null,
    };
  }

  async putRunState(dealerId: string, state: ImportRunState): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: pk(dealerId), sk: RUN, ...state, failed: [...state.failed], blocked: state.blocked ?? null },
      }),
    );
  }

  async acquireLease(
    dealerId: string,
    holder: Omit<LeaseHolder, 'expiresAt'>,
    ttlMs: number,
    takeOverFrom?: string,
  ): Promise<LeaseResult> {
    const nowMs = this.now().getTime();
    const leaseUntil = nowMs + ttlMs;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: pk(dealerId),
            sk: LEASE,
            ...holder,
            leaseUntil,
            acquiredAt: new Date(nowMs).toISOString(),
            expiresAt: Math.ceil(leaseUntil / 1000) + 3600,
          },
          ConditionExpression: takeOverFrom
            ? 'attribute_not_exists(pk) OR leaseUntil < :now OR #owner = :owner OR #owner = :previous'
            : 'attribute_not_exists(pk) OR leaseUntil < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':now': nowMs,
            ':owner': holder.owner,
            ...(takeOverFrom ? { ':previous': takeOverFrom } : {}),
          },
        }),
      );
      return { acquired: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: { pk: pk(dealerId), sk: LEASE }, ConsistentRead: true }),
      );
      const item = current.Item as
        | { owner?: string; host?: string; pid?: number; processStart?: string; leaseUntil?: number }
        | undefined;
      return {
        acquired: false,
        holder: item?.owner
          ? {
              owner: item.owner,
              ...(item.host ? { host: item.host } : {}),
              ...(typeof item.pid === 'number' ? { pid: item.pid } : {}),
              ...(typeof item.processStart === 'string' ? { processStart: item.processStart } : {}),
              expiresAt: new Date(item.leaseUntil ?? 0),
            }
          : null,
      };
    }
  }

  async renewLease(dealerId: string, owner: string, ttlMs: number): Promise<boolean> {
    const leaseUntil = this.now().getTime() + ttlMs;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pk(dealerId), sk: LEASE },
          UpdateExpression: 'SET leaseUntil = :until, expiresAt = :ttl',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':until': leaseUntil,
            ':ttl': Math.ceil(leaseUntil / 1000) + 3600,
            ':owner': owner,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseLease(dealerId: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: pk(dealerId), sk: LEASE },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error; // someone else's now: leave it
    }
  }

  async approveMassRemoval(dealerId: string, approvedBy: string, ttlMs: number): Promise<void> {
    const nowMs = this.now().getTime();
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: pk(dealerId),
          sk: APPROVAL,
          approvedBy,
          approvedAt: new Date(nowMs).toISOString(),
          expiresAt: Math.floor((nowMs + ttlMs) / 1000),
        },
      }),
    );
  }

  async consumeMassRemovalApproval(dealerId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: pk(dealerId), sk: APPROVAL },
          // TTL deletion lags by hours: an expired approval must not count.
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': Math.floor(this.now().getTime() / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/**
 * Up to `limit` items of one partition whose sort key starts with `prefix`, after `prefix + after`,
 * in key order. A Query page may come back short (1 MB pages): it reads on until the page is full.
 * `more` is true when items may follow.
 */
export async function queryPrefixPage(
  doc: DynamoDBDocumentClient,
  input: {
    readonly table: string;
    readonly pk: string;
    readonly prefix: string;
    readonly after?: string;
    readonly limit: number;
  },
): Promise<{ items: Record<string, unknown>[]; more: boolean }> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined = input.after
    ? { pk: input.pk, sk: `${input.prefix}${input.after}` }
    : undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: input.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': input.pk, ':prefix': input.prefix },
        Limit: input.limit - items.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey && items.length < input.limit);
  return { items, more: startKey !== undefined };
}

/**
 * Creates the snapshot table if it does not exist (the embedded engine of the CLI and the tests;
 * in AWS the CDK stack owns it).
 */
export async function ensureSnapshotTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await createSnapshotTable(client, tableName).catch((createError: unknown) => {
      // Another process created it between our describe and create: wait for it below.
      if (!(createError instanceof ResourceInUseException)) throw createError;
    });
  }
  // A new table is CREATING for a moment (even in the embedded engine): writes fail until ACTIVE.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await sleep(20);
  }
  throw new RetryableError(`Table ${tableName} did not become ACTIVE`, { operation: 'CreateTable' });
}

async function createSnapshotTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput('snapshots', tableName)));
}
