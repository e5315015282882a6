import { describe, expect, it } from 'vitest';
import {
  imageUrlsOf,
  itemsOf,
  parseSwedishNumber,
  toBoolean,
  toKilometres,
  toKronor,
} from '../../../functions/core/feed/values.js';

describe('Swedish numbers', () => {
  it.each([
    ['189900', 189900],
    ['189 900', 189900],
    ['189\u00a0900', 189900],
    ['189\u202f900', 189900],
    ['189 900 kr', 189900],
    ['189 900 kr.', 189900],
    ['99 000:-', 99000],
    ['99 000,-', 99000],
    ['189900 SEK', 189900],
    ['SEK 189 900', 189900],
    ['249 900,00', 249900],
    ['249 900,50', 249900.5],
    ['1.234.567', 1234567],
    ['189,900', 189900],
    ['1.234,50', 1234.5],
    ['1,234.50', 1234.5],
    ['12,5', 12.5],
    ['-500', -500],
  ])('%j → %d', (text, expected) => {
    expect(parseSwedishNumber(text)).toBe(expected);
  });

  it.each(['ring för pris', '', '12a', '1 2 3 x', '—'])('%j is not a number', (text) => {
    expect(parseSwedishNumber(text)).toBeNaN();
  });

  it('drops öre from amounts and rejects text', () => {
    expect(toKronor('249 900,99')).toEqual({ ok: true, value: 249900 });
    expect(toKronor(189900)).toEqual({ ok: true, value: 189900 });
    expect(toKronor('ring')).toEqual({ ok: false, message: '"ring" is not an amount in kronor' });
  });

  it('converts mil to km, and lets a value name its own unit', () => {
    expect(toKilometres('4 410', 'mil')).toEqual({ ok: true, value: 44100 });
    expect(toKilometres('4 410,5', 'mil')).toEqual({ ok: true, value: 44105 });
    expect(toKilometres('44 100', 'km')).toEqual({ ok: true, value: 44100 });
    expect(toKilometres('12 500 mil', 'km')).toEqual({ ok: true, value: 125000 });
    expect(toKilometres('125 000 km', 'mil')).toEqual({ ok: true, value: 125000 });
  });
});

describe('booleans', () => {
  it.each(['ja', 'Ja', 'J', 'yes', 'Y', 'true', 'TRUE', '1', 'x', 'X', true, 1])('%j is true', (value) => {
    expect(toBoolean(value)).toEqual({ ok: true, value: true });
  });
  it.each(['nej', 'NEJ', 'n', 'no', 'N', 'false', '0', false, 0])('%j is false', (value) => {
    expect(toBoolean(value)).toEqual({ ok: true, value: false });
  });
  it('explains what it accepts', () => {
    expect(toBoolean('kanske')).toMatchObject({ ok: false, message: expect.stringContaining('ja/nej') });
  });
});

describe('lists', () => {
  it('splits cells on | and line breaks', () => {
    expect(itemsOf('Dragkrok | Navigation\r\nBackkamera\nStolsvärme')).toEqual([
      'Dragkrok',
      'Navigation',
      'Backkamera',
      'Stolsvärme',
    ]);
  });

  it('takes XML children of any name, and JSON arrays as they are', () => {
    expect(itemsOf({ post: ['Dragkrok', 'Navi'] })).toEqual(['Dragkrok', 'Navi']);
    expect(itemsOf({ item: 'Dragkrok' })).toEqual(['Dragkrok']);
    expect(itemsOf(['A|B', 'C'])).toEqual(['A|B', 'C']);
  });

  it('splits image URLs on commas and whitespace between URLs, but not inside one', () => {
    expect(imageUrlsOf('https://a.test/1.jpg, https://a.test/2.jpg https://a.test/3.jpg')).toEqual([
      'https://a.test/1.jpg',
      'https://a.test/2.jpg',
      'https://a.test/3.jpg',
    ]);
    expect(imageUrlsOf('https://cdn.test/w_100,h_200/1.jpg|https://cdn.test/w_100,h_200/2.jpg')).toEqual([
      'https://cdn.test/w_100,h_200/1.jpg',
      'https://cdn.test/w_100,h_200/2.jpg',
    ]);
    expect(imageUrlsOf({ bild: [{ '@': { url: 'https://a.test/1.jpg' } }, 'https://a.test/2.jpg'] })).toEqual([
      'https://a.test/1.jpg',
      'https://a.test/2.jpg',
    ]);
  });
});
