import { describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, allows, roleStatements } from './iam-eval.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth();
type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
const resources = template.toJSON().Resources as Resources;
const webhookId = logicalId(stack, stack.webhooks.handler);
const tableId = logicalId(stack, stack.imports.snapshotTable);
const tableArn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/snapshots`;
const roleId = (resources[webhookId]!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const statements = roleStatements(resources, roleId, { [`${tableId}.Arn`]: tableArn });
const may = (action: string) => allows(statements, { action, resource: tableArn });

describe('the webhook marks snapshot entries for the next import check', () => {
  it('is told the snapshot table', () => {
    expect(resources[webhookId]!.Properties.Environment.Variables).toMatchObject({ SNAPSHOT_TABLE: { Ref: tableId } });
  });

  it('may update an entry in the snapshot table (the conditional mark)', () => {
    expect(may('dynamodb:UpdateItem')).toBe(true);
  });

  it.each(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'])(
    'may not %s on the snapshot table',
    (action) => {
      expect(may(action)).toBe(false);
    },
  );
});
