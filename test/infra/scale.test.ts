import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { generateDealerConfig } from './fixtures/generate-dealers.js';
import { synth } from './synth.js';

// 1,000 dealers, each with an SFTP key and a DMS webhook: the worst case per dealer. Synth time
// and bundle sizes are measured in `npm run bench -- stack`, never asserted here.
const dir = mkdtempSync(join(tmpdir(), 'wayke-dms-scale-'));
const config = join(dir, 'dealers.json');
writeFileSync(config, JSON.stringify(generateDealerConfig(1000)));
const big = synth({ context: { config } });
const small = synth();

type Resources = Record<string, { Type: string }>;
const templatesOf = ({ template, stack }: typeof big) => [
  template,
  ...stack.dealerShards.map((shard) => Template.fromStack(shard)),
];
const count = (templates: Template[], type?: string) =>
  templates.map((t) => Object.values(t.toJSON().Resources as Resources).filter((r) => !type || r.Type === type).length);

describe('1,000 dealers', () => {
  it('the number of IAM roles does not depend on the number of dealers', () => {
    const roles = (s: typeof big) => count(templatesOf(s), 'AWS::IAM::Role').reduce((a, b) => a + b, 0);
    expect(roles(big)).toBe(roles(small));
    expect(roles(big)).toBeLessThan(20);
  });

  it('every stack stays under 450 resources (CloudFormation allows 500)', () => {
    const sizes = count(templatesOf(big));
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThan(450);
  });

  it('every dealer gets its SFTP user and one secret (inbound keys are verifier items, not secrets)', () => {
    const shards = templatesOf(big).slice(1);
    expect(count(shards, 'AWS::Transfer::User').reduce((a, b) => a + b, 0)).toBe(1000);
    expect(count(shards, 'AWS::SecretsManager::Secret').reduce((a, b) => a + b, 0)).toBe(1000);
  });
});
