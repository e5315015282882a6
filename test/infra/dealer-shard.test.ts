import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { DEALERS_PER_SHARD, shardDealers } from '../../lib/constructs/dealer-shard.js';
import { synth } from './synth.js';

/** CloudFormation's limit of resources per stack. */
const STACK_RESOURCE_LIMIT = 500;
const DEALERS = 150;

const config = join(mkdtempSync(join(tmpdir(), 'wayke-dms-shards-')), 'dealers.json');
writeFileSync(
  config,
  JSON.stringify({
    dealers: Array.from({ length: DEALERS }, (_, i) => ({
      id: `dealer-${String(i).padStart(4, '0')}`,
      name: `Dealer ${i}`,
      branchId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      sftp: { publicKeys: [`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${String(i).padStart(8, '0')} dealer${i}@dms`] },
    })),
  }),
);
const { app, stack, template } = synth({ context: { config } });
const shardTemplates = stack.dealerShards.map((shard) => Template.fromStack(shard));
const count = (t: Template) => Object.keys(t.toJSON().Resources).length;

describe('dealer shards', () => {
  it('split dealers in config order into slices of at most DEALERS_PER_SHARD', () => {
    expect(shardDealers([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(shardDealers([], 2)).toEqual([]);
  });

  it(`hold ${DEALERS} SFTP dealers in nested stacks, every stack under CloudFormation's resource limit`, () => {
    expect(stack.dealerShards).toHaveLength(Math.ceil(DEALERS / DEALERS_PER_SHARD));
    template.resourceCountIs('AWS::CloudFormation::Stack', stack.dealerShards.length);
    expect(count(template)).toBeLessThan(STACK_RESOURCE_LIMIT);
    for (const shardTemplate of shardTemplates) expect(count(shardTemplate)).toBeLessThanOrEqual(STACK_RESOURCE_LIMIT - 100);
  });

  it('give every dealer exactly one secret and one SFTP user', () => {
    const users = shardTemplates.flatMap((t) => Object.values(t.findResources('AWS::Transfer::User')).map((r) => r.Properties.UserName as string));
    const secrets = shardTemplates.flatMap((t) => Object.values(t.findResources('AWS::SecretsManager::Secret')).map((r) => r.Properties.Name as string));
    expect(users).toHaveLength(DEALERS);
    expect(new Set(users).size).toBe(DEALERS);
    expect(secrets).toHaveLength(DEALERS);
    expect(stack.sftpUser('dealer-0149')).toBeDefined();
  });

  it('stay cdk-nag clean at this size (the per-dealer acknowledgements match their findings)', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
