import { describe, expect, it } from 'vitest';
import { inboundPrefix, isInboundFeedKey, parseInboundFeedKey } from '../../functions/core/feed-bucket.js';

describe('the inbound-key rule', () => {
  it('reads the dealer and file name of a finished upload', () => {
    expect(parseInboundFeedKey('feeds/bilhallen/inbound/lager.csv')).toEqual({
      dealerId: 'bilhallen',
      name: 'lager.csv',
    });
  });

  it('keeps any file name a dealer writes, spaces, percent signs and line breaks included', () => {
    expect(parseInboundFeedKey('feeds/bilhallen/inbound/lager 100%+ny\n.csv')).toEqual({
      dealerId: 'bilhallen',
      name: 'lager 100%+ny\n.csv',
    });
  });

  it('refuses keys outside a dealer inbound folder', () => {
    expect(parseInboundFeedKey('feeds/bilhallen/archive/lager.csv')).toBeNull();
    expect(parseInboundFeedKey('feeds/bilhallen/inbound/sub/lager.csv')).toBeNull();
    expect(parseInboundFeedKey('feeds/Bil Hallen/inbound/lager.csv')).toBeNull();
    expect(parseInboundFeedKey('other/bilhallen/inbound/lager.csv')).toBeNull();
    expect(parseInboundFeedKey('feeds/bilhallen/inbound/')).toBeNull();
  });

  it('refuses transfers still running and hidden files', () => {
    for (const name of ['.a.csv', 'a.csv.part', 'a.csv.filepart', 'a.csv.tmp', 'a.csv~']) {
      expect(isInboundFeedKey(`feeds/bilhallen/inbound/${name}`)).toBe(false);
      expect(isInboundFeedKey(`feeds/d/inbound/${name}`, 'd')).toBe(false);
    }
  });

  it("with a dealer, accepts only that dealer's finished uploads", () => {
    expect(isInboundFeedKey('feeds/d/inbound/a.csv', 'd')).toBe(true);
    expect(isInboundFeedKey('feeds/d/inbound/', 'd')).toBe(false);
    expect(isInboundFeedKey('feeds/dd/inbound/a.csv', 'd')).toBe(false);
    expect(isInboundFeedKey('feeds/d/inbound/sub/a.csv', 'd')).toBe(false);
  });

  it('builds the prefix its keys start with', () => {
    expect(parseInboundFeedKey(`${inboundPrefix('bilhallen')}lager.csv`)?.dealerId).toBe('bilhallen');
  });
});
