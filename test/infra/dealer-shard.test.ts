import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { DEALERS_PER_SHARD, SHARD_COUNT, shardDealers, shardOf } from '../../lib/constructs/dealer-shard.js';
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
  const ids = Array.from({ length: 400 }, (_, i) => ({ id: `d-${i}` }));
  const where = (shards: Map<number, Array<{ id: string }>>) =>
    new Map([...shards].flatMap(([index, dealers]) => dealers.map((dealer) => [dealer.id, index] as const)));

  it('place a dealer by its id alone: adding or removing dealers moves no other dealer', () => {
    const before = where(shardDealers(ids));
    const after = where(shardDealers([...ids.slice(0, 100), ...ids.slice(101), { id: 'newcomer' }].reverse()));
    for (const [id, index] of after) if (id !== 'newcomer') expect(before.get(id), id).toBe(index);
    expect(after.has('d-100')).toBe(false);
    for (const { id } of ids) expect(shardOf(id)).toBe(before.get(id));
    expect(Math.max(...before.values())).toBeLessThan(SHARD_COUNT);
  });

  it('keep config order inside a shard and list only non-empty shards, in shard order', () => {
    const shards = shardDealers(ids);
    expect([...shards.keys()]).toEqual([...shards.keys()].sort((a, b) => a - b));
    for (const dealers of shards.values()) {
      expect(dealers.length).toBeGreaterThan(0);
      expect(dealers.map((d) => Number(d.id.slice(2)))).toEqual(
        dealers.map((d) => Number(d.id.slice(2))).sort((a, b) => a - b),
      );
    }
  });

  it('refuse, readably, a shard above its capacity', () => {
    expect(() => shardDealers(ids, 2, 150)).toThrow(ConfigError);
    expect(() => shardDealers(ids, 2, 150)).toThrow(/Dealer shard \d would hold \d+ dealers, more than the 150/);
  });

  it(`hold ${DEALERS} SFTP dealers in nested stacks, every stack under CloudFormation's resource limit`, () => {
    expect(stack.dealerShards.length).toBeLessThanOrEqual(SHARD_COUNT);
    for (const shard of stack.dealerShards) expect(shard.dealerSecrets.size).toBeLessThanOrEqual(DEALERS_PER_SHARD);
    template.resourceCountIs('AWS::CloudFormation::Stack', stack.dealerShards.length);
    expect(count(template)).toBeLessThan(STACK_RESOURCE_LIMIT);
    for (const shardTemplate of shardTemplates)
      expect(count(shardTemplate)).toBeLessThanOrEqual(STACK_RESOURCE_LIMIT - 100);
  });

  it('give every dealer exactly one secret (credentials; inbound keys are verifier items) and one SFTP user', () => {
    const users = shardTemplates.flatMap((t) =>
      Object.values(t.findResources('AWS::Transfer::User')).map((r) => r.Properties.UserName as string),
    );
    const secrets = shardTemplates.flatMap((t) =>
      Object.values(t.findResources('AWS::SecretsManager::Secret')).map((r) => r.Properties.Name as string),
    );
    expect(users).toHaveLength(DEALERS);
    expect(new Set(users).size).toBe(DEALERS);
    expect(secrets).toHaveLength(DEALERS);
    expect(new Set(secrets).size).toBe(DEALERS);
    expect(stack.sftpUser('dealer-0149')).toBeDefined();
  });

  it('stay cdk-nag clean at this size (the per-dealer acknowledgements match their findings)', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
