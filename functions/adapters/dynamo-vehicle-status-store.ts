import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { VehicleStatusPage, VehicleStatusRecord, VehicleStatusStore } from '../ports.js';
import { queryPrefixPage, snapshotPartitionKey } from './dynamo-snapshot-store.js';

/**
 * The Vehicle API's per-plate status in the snapshot table: `pk = dealer#<id>`, `sk = api#<plate>`
 * (the layout is documented with the snapshot store, which owns the table). One item per plate;
 * `changeId` orders outcomes, so a slow worker never marks a newer pending change as applied.
 */

const PREFIX = 'api#';

export interface DynamoVehicleStatusStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const OUTCOME_FIELDS = ['waykeId', 'lastAppliedAt', 'removedAt'] as const;

function fromItem(item: Record<string, unknown>): VehicleStatusRecord {
  const { pk: _pk, sk, ...rest } = item as { pk: string; sk: string } & Record<string, unknown>;
  return { ...(rest as Omit<VehicleStatusRecord, 'registrationNumber'>), registrationNumber: sk.slice(PREFIX.length) };
}

export class DynamoVehicleStatusStore implements VehicleStatusStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(options: DynamoVehicleStatusStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.table = options.tableName;
  }

  async get(dealerId: string, registrationNumber: string): Promise<VehicleStatusRecord | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: snapshotPartitionKey(dealerId), sk: `${PREFIX}${registrationNumber}` },
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async list(dealerId: string, page: { readonly limit: number; readonly cursor?: string }): Promise<VehicleStatusPage> {
    const { items, more } = await queryPrefixPage(this.doc, {
      table: this.table,
      pk: snapshotPartitionKey(dealerId),
      prefix: PREFIX,
      limit: page.limit,
      ...(page.cursor ? { after: page.cursor } : {}),
    });
    const records = items.map(fromItem);
    const last = records[records.length - 1];
    return { items: records, ...(more && last ? { cursor: last.registrationNumber } : {}) };
  }

  async accepted(dealerId: string, record: VehicleStatusRecord): Promise<VehicleStatusRecord> {
    // One UpdateItem: the new change's fields set, the last outcome's error and removal time
    // dropped, what it learnt (the Wayke id, when it was applied) kept.
    const { registrationNumber, ...fields } = record;
    const set = Object.entries(fields).filter(([, value]) => value !== undefined);
    const remove = (['lastError', 'removedAt', 'fingerprint'] as const).filter((field) => fields[field] === undefined);
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: snapshotPartitionKey(dealerId), sk: `${PREFIX}${registrationNumber}` },
        UpdateExpression: `SET ${set.map(([name]) => `#${name} = :${name}`).join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ExpressionAttributeNames: Object.fromEntries(set.map(([name]) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries(set.map(([name, value]) => [`:${name}`, value])),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(out.Attributes!);
  }

  async settled(
    dealerId: string,
    changeId: string,
    outcome: Omit<VehicleStatusRecord, 'changeId' | 'acceptedAt' | 'fingerprint'>,
  ): Promise<void> {
    const key = { pk: snapshotPartitionKey(dealerId), sk: `${PREFIX}${outcome.registrationNumber}` };
    const always = OUTCOME_FIELDS.filter((field) => outcome[field] !== undefined);
    const values: Record<string, unknown> = Object.fromEntries(always.map((field) => [`:${field}`, outcome[field]]));
    const sets = always.map((field) => `${field} = :${field}`);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${[...sets, '#state = :state', ...(outcome.lastError ? ['lastError = :lastError'] : [])].join(', ')}${outcome.lastError ? '' : ' REMOVE lastError'}`,
          ConditionExpression: 'changeId = :changeId',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ...values,
            ':state': outcome.state,
            ':changeId': changeId,
            ...(outcome.lastError ? { ':lastError': outcome.lastError } : {}),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // A newer change was accepted meanwhile: its `pending` stays; what Wayke now holds is still news.
      if (sets.length === 0) return;
      await this.doc
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: `SET ${sets.join(', ')}`,
            ExpressionAttributeValues: values,
            ConditionExpression: 'attribute_exists(pk)',
          }),
        )
        .catch((inner: unknown) => {
          if (!(inner instanceof ConditionalCheckFailedException)) throw inner;
        });
    }
  }

  async removalsSince(dealerId: string, since: Date): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: 'removedAt >= :since',
          ExpressionAttributeValues: {
            ':pk': snapshotPartitionKey(dealerId),
            ':prefix': PREFIX,
            ':since': since.toISOString(),
          },
          ProjectionExpression: 'sk',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      count += out.Items?.length ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return count;
  }
}
