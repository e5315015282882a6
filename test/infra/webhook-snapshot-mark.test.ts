import { describe, expect, it } from 'vitest';
import { CHECK_MARK_ATTRIBUTES } from '../../functions/adapters/dynamo-snapshot-store.js';
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
const onTable = statements.filter((s) => [s.Resource].flat().includes(tableArn));

describe('the webhook marks snapshot entries for the next import check', () => {
  it('is told the snapshot table', () => {
    expect(resources[webhookId]!.Properties.Environment.Variables).toMatchObject({ SNAPSHOT_TABLE: { Ref: tableId } });
  });

  it('holds one statement on the snapshot table: UpdateItem of the mark’s attributes, returning nothing', () => {
    expect(onTable).toHaveLength(1);
    expect(onTable[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'dynamodb:UpdateItem',
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...CHECK_MARK_ATTRIBUTES] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    });
  });

  it('that statement is what lets it write the mark (without its condition it would allow the UpdateItem)', () => {
    const { Condition: _condition, ...unconditioned } = onTable[0]!;
    expect(allows([unconditioned], { action: 'dynamodb:UpdateItem', resource: tableArn })).toBe(true);
    expect(allows([unconditioned], { action: 'dynamodb:GetItem', resource: tableArn })).toBe(false);
  });

  it.each(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'])(
    'may not %s on the snapshot table',
    (action) => {
      expect(allows(statements, { action, resource: tableArn })).toBe(false);
    },
  );
});
