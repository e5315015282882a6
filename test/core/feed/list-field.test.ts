import { describe, expect, it } from 'vitest';
import { FEED_LIMITS } from '../../../functions/core/feed/limits.js';
import { listField } from '../../../functions/core/feed/list-field.js';
import type { FieldProblem } from '../../../functions/core/feed/record.js';

const slot = (value: unknown) => ({ value, rank: 1, unit: undefined });

function read(field: Parameters<typeof listField>[0], value: unknown) {
  const warnings: FieldProblem[] = [];
  const errors: FieldProblem[] = [];
  const items = listField(field, slot(value), warnings, errors);
  return { items, warnings, errors };
}

describe('listField', () => {
  it('rejects a list of 150,000 items as TOO_MANY_ITEMS for that vehicle, without a RangeError', () => {
    const images = Array.from({ length: 150_000 }, (_, i) => `https://bilder.example.se/${i}.jpg`);
    const { items, errors } = read('images', images);
    expect(items).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ field: 'images', code: 'TOO_MANY_ITEMS' })]);
    expect(errors[0]!.message).toContain('150000 items');
  });

  it('keeps a list of exactly the limit', () => {
    const equipment = Array.from({ length: FEED_LIMITS.listItems }, (_, i) => `Utrustning ${i}`);
    expect(read('equipment', equipment).items).toHaveLength(FEED_LIMITS.listItems);
  });

  it('drops a bad image URL with a warning and keeps the good ones in order', () => {
    const { items, warnings } = read(
      'images',
      'https://a.example.se/1.jpg|http://169.254.169.254/x|https://a.example.se/2.jpg',
    );
    expect(items).toEqual(['https://a.example.se/1.jpg', 'https://a.example.se/2.jpg']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/^left out an item: "http:\/\/169\.254\.169\.254\/x"/);
  });

  it('never repeats credentials of a dropped URL in the warning', () => {
    const { warnings } = read('images', 'https://user:secret@10.0.0.1/x.jpg');
    expect(warnings[0]!.message).not.toContain('secret');
    expect(warnings[0]!.message).toContain('***@');
  });

  it('reads contact options once each and names unknown ones, also constructor', () => {
    const { items, warnings } = read('contactOptions', 'e-post, telefon, E-post|constructor');
    expect(items).toEqual(['email', 'phone']);
    expect(warnings[0]!.message).toBe('left out an item: "constructor" (use email, callMe or phone)');
  });

  it('names a document without a URL', () => {
    const { items, warnings } = read('documents', [{ namn: 'Servicebok' }, 'Besiktning https://a.example.se/b.pdf']);
    expect(items).toEqual([{ url: 'https://a.example.se/b.pdf', name: 'Besiktning' }]);
    expect(warnings[0]!.message).toContain('(no URL)');
  });

  it('gives undefined for a list with nothing left', () => {
    expect(read('equipment', ' | | ').items).toBeUndefined();
  });
});
