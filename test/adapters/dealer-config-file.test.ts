import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadDealerConfig,
  loadMappingProfile,
  parseResolvedDealerConfig,
} from '../../functions/adapters/dealer-config-file.js';
import { deliveredKinds } from '../../functions/core/dealer-config.js';
import { ConfigError } from '../../functions/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'dealer-config-'));
const write = (name: string, value: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};
const dealer = { id: 'bilhallen', name: 'Bilhallen', branchId: '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d' };
const failure = (run: () => unknown): ConfigError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('dealer config file', () => {
  it('loads the example config with defaults and inlines mapping profiles', () => {
    const config = loadDealerConfig('config/dealers.example.json');
    expect(config.dealers.map((d) => d.id)).toEqual(['bilhallen', 'motorcentrum', 'autohuset']);
    expect(config.dealers[0]?.feed).toEqual({
      removalStatus: 'Unpublished',
      maxRemovalShare: 0.25,
      minRemovalLimit: 3,
      handEdits: 'feed-wins',
    });
    expect(config.dealers[0]?.market).toBe('SE');
    expect(config.dealers[2]?.mappingProfile).toMatchObject({ format: 'csv', delimiter: ';', mileageUnit: 'km' });
    // What the CDK bundles and the Lambdas read back validates again.
    expect(parseResolvedDealerConfig(JSON.parse(JSON.stringify(config)), 'dealers.json')).toEqual(config);
    expect([...deliveredKinds(config.dealers[1]!)]).toEqual(['vehicle.purchased', 'vehicle.updated', 'order.created']);
    expect(deliveredKinds(config.dealers[0]!).size).toBe(0);
  });

  it('names the dealer and the field of every problem, and refuses unknown keys and duplicate ids', () => {
    const path = write('bad.json', {
      dealers: [
        { ...dealer, branchId: 'not-a-uuid', feed: { maxRemovalShare: 2 } },
        { ...dealer, id: 'Motor Centrum', colour: 'red' },
        { ...dealer },
      ],
    });
    const { message } = failure(() => loadDealerConfig(path));
    expect(message).toContain('dealer "bilhallen" (dealers[0]): branchId');
    expect(message).toContain('dealer "bilhallen" (dealers[0]): feed.maxRemovalShare');
    expect(message).toContain('dealer "Motor Centrum" (dealers[1]): id');
    expect(message).toMatch(/dealers\[1\]\): \(the dealer entry\): Unrecognized key: "colour"/);
    expect(message).toContain('duplicate dealer id "bilhallen"');
  });

  it('reports unreadable files and bad or missing mapping profiles readably', () => {
    expect(failure(() => loadDealerConfig(join(dir, 'missing.json'))).message).toMatch(/cannot be read: ENOENT/);
    expect(failure(() => loadDealerConfig(write('broken.json', '{ "dealers": ['))).message).toMatch(
      /is not valid JSON/,
    );
    const noMapping = write('no-mapping.json', { dealers: [{ ...dealer, feed: { mapping: 'nowhere.json' } }] });
    expect(failure(() => loadDealerConfig(noMapping)).message).toContain(
      'dealer "bilhallen" (dealers[0]): feed.mapping: file nowhere.json not found',
    );
    const profile = write('profile.json', { format: 'tsv', fields: { price: 'Utpris', colour: 'Färg' } });
    const withBadProfile = write('bad-profile.json', { dealers: [{ ...dealer, feed: { mapping: profile } }] });
    const { message } = failure(() => loadDealerConfig(withBadProfile));
    expect(message).toContain(`Mapping profile of dealer "bilhallen" ${profile} is invalid`);
    expect(message).toContain('format: Invalid option');
    expect(failure(() => loadMappingProfile(profile)).message).toMatch(/^Mapping profile \S+ is invalid/);
  });
});
