import { describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, allows, roleStatements } from './iam-eval.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth();
type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;
const resources = template.toJSON().Resources as Resources;
const bucketArn = 'arn:aws:s3:::feeds-bucket';
const statementsOf = (fn: { role?: unknown }, refs: Record<string, string> = {}) => {
  const functionId = Object.entries(resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id === logicalId(stack, fn as never),
  )![0];
  const roleId = (resources[functionId]!.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  return roleStatements(resources, roleId, { [`${logicalId(stack, stack.storage.bucket)}.Arn`]: bucketArn, ...refs });
};

describe('data safety', () => {
  it('the snapshot and dedupe tables have deletion protection', () => {
    for (const table of [stack.imports.snapshotTable, stack.delivery.dedupeTable]) {
      expect(resources[logicalId(stack, table)]!.Properties.DeletionProtectionEnabled, logicalId(stack, table)).toBe(
        true,
      );
    }
  });

  it('the functions may not Scan the tables or read their streams', () => {
    const table = (t: typeof stack.imports.snapshotTable) =>
      `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${logicalId(stack, t)}`;
    const refs = Object.fromEntries(
      [stack.imports.snapshotTable, stack.delivery.dedupeTable].map((t) => [`${logicalId(stack, t)}.Arn`, table(t)]),
    );
    for (const [fn, t] of [
      [stack.imports.worker, stack.imports.snapshotTable],
      [stack.delivery.writer, stack.delivery.dedupeTable],
    ] as const) {
      const statements = statementsOf(fn, refs);
      expect(allows(statements, { action: 'dynamodb:GetItem', resource: table(t) })).toBe(true);
      for (const action of [
        'dynamodb:Scan',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:DeleteTable',
      ]) {
        expect(allows(statements, { action, resource: table(t) }), action).toBe(false);
      }
    }
  });

  it('the import worker deletes only under inbound/ (moving a feed to archive/), nothing else of any dealer', () => {
    const worker = statementsOf(stack.imports.worker);
    expect(allows(worker, { action: 's3:DeleteObject', resource: `${bucketArn}/feeds/beta/inbound/lager.csv` })).toBe(
      true,
    );
    for (const key of [
      'feeds/beta/archive/x.csv',
      'feeds/beta/reports/latest.json',
      'feeds/beta/outbox/e.json',
      'other/x',
    ]) {
      expect(allows(worker, { action: 's3:DeleteObject', resource: `${bucketArn}/${key}` }), key).toBe(false);
    }
  });

  it('every dead-letter queue outlives the stack', () => {
    for (const dlq of [
      stack.imports.workDeadLetterQueue,
      stack.imports.triggerDeadLetterQueue,
      stack.webhooks.eventsDeadLetterQueue,
    ]) {
      expect(resources[logicalId(stack, dlq)]!.DeletionPolicy, logicalId(stack, dlq)).toBe('Retain');
    }
  });
});

describe('webhook custom domain', () => {
  const arn = 'arn:aws:acm:eu-north-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  const custom = synth({ context: { apiDomain: 'hooks.dealer-group.se', apiCertificateArn: arn } });

  it('serves the API on the domain with the given certificate, and only there', () => {
    custom.template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'hooks.dealer-group.se',
      DomainNameConfigurations: [{ CertificateArn: arn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    custom.template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    custom.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
  });

  it('puts the stable URL in the WebhookUrl output', () => {
    expect(custom.template.toJSON().Outputs.WebhookUrl.Value).toBe(
      'https://hooks.dealer-group.se/webhooks/wayke/{dealerId}',
    );
    expect(custom.template.toJSON().Outputs.WebhookDomainTarget).toBeDefined();
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });
});
