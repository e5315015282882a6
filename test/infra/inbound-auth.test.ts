import { describe, expect, it } from 'vitest';
import { TABLES } from '../../functions/core/deployment/tables.js';
import { ACCOUNT, REGION, allows, roleStatements } from './iam-eval.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth();
type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;
const resources = template.toJSON().Resources as Resources;
const arnOf = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
const tables = {
  verifiers: [logicalId(stack, stack.inboundAuth.table), arnOf('verifiers')],
  snapshots: [logicalId(stack, stack.imports.snapshotTable), arnOf('snapshots')],
  dedupe: [logicalId(stack, stack.delivery.dedupeTable), arnOf('dedupe')],
} as const;
const refs = Object.fromEntries(Object.values(tables).map(([id, arn]) => [`${id}.Arn`, arn]));
const roleOf = (functionId: string) =>
  (resources[functionId]!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const statementsOf = (functionId: string) => roleStatements(resources, roleOf(functionId), refs);
const can = (functionId: string, action: string, resource: string) =>
  allows(statementsOf(functionId), { action, resource });
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const READS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem'];
const functions = Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::Lambda::Function');

describe('inbound-key verifier table', () => {
  it('is keyed by dealer id, on demand, encrypted, with PITR, deletion protection and retained', () => {
    const table = resources[tables.verifiers[0]]!;
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: TABLES.inboundAuth.partitionKey, KeyType: 'HASH' }]);
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('the webhook may GetItem verifiers, and nothing else there (no write, Query or Scan)', () => {
    const webhook = logicalId(stack, stack.webhooks.handler);
    expect(can(webhook, 'dynamodb:GetItem', tables.verifiers[1])).toBe(true);
    for (const action of [...WRITES, 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem'])
      expect(can(webhook, action, tables.verifiers[1]), action).toBe(false);
  });

  it('the webhook cannot read or write the snapshot and dedupe tables', () => {
    const webhook = logicalId(stack, stack.webhooks.handler);
    for (const [, arn] of [tables.snapshots, tables.dedupe])
      for (const action of [...READS, ...WRITES]) expect(can(webhook, action, arn), `${action} ${arn}`).toBe(false);
  });

  it('the Vehicle API may GetItem verifiers and not write them', () => {
    const api = logicalId(stack, stack.vehicleApi.handler);
    expect(can(api, 'dynamodb:GetItem', tables.verifiers[1])).toBe(true);
    for (const action of [...WRITES, 'dynamodb:Query', 'dynamodb:Scan'])
      expect(can(api, action, tables.verifiers[1]), action).toBe(false);
  });

  it('no function role may write verifiers (only the operator path does), and only the two verifying functions read them', () => {
    const readers = new Set([logicalId(stack, stack.webhooks.handler), logicalId(stack, stack.vehicleApi.handler)]);
    for (const fn of functions) {
      for (const action of WRITES) expect(can(fn, action, tables.verifiers[1]), `${fn} ${action}`).toBe(false);
      expect(can(fn, 'dynamodb:GetItem', tables.verifiers[1]), fn).toBe(readers.has(fn));
    }
  });

  it('tells the verifying functions the table (INBOUND_AUTH_TABLE)', () => {
    for (const fn of readers())
      expect(resources[fn]!.Properties.Environment.Variables.INBOUND_AUTH_TABLE).toEqual({ Ref: tables.verifiers[0] });
  });
});

function readers(): string[] {
  return [logicalId(stack, stack.webhooks.handler), logicalId(stack, stack.vehicleApi.handler)];
}
