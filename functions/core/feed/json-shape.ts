import { FEED_LIMITS, tooComplex } from './limits.js';

/**
 * Refuses JSON with more structure than `FEED_LIMITS` allows before `JSON.parse` builds it
 * (4 million keys in one object took 1.4 GB; a million levels of `[` overflow the stack). One
 * pass over the text, strings skipped: depth, and members per object and per array.
 */
export function assertJsonShape(text: string): void {
  const counts: number[] = [];
  const isObject: boolean[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34 /* " */) {
      if (counts.length > 0 && counts[counts.length - 1] === 0) counts[counts.length - 1] = 1;
      i = stringEnd(text, i);
      continue;
    }
    if (code === 10) line++;
    else if (code === 123 /* { */ || code === 91 /* [ */) {
      if (counts.length > 0 && counts[counts.length - 1] === 0) counts[counts.length - 1] = 1;
      if (counts.length >= FEED_LIMITS.depth) throw tooComplex('depth', `line ${line}`, line);
      counts.push(0);
      isObject.push(code === 123);
    } else if (code === 125 /* } */ || code === 93 /* ] */) {
      counts.pop();
      isObject.pop();
    } else if (code === 44 /* , */ && counts.length > 0) {
      const top = counts.length - 1;
      const count = ++counts[top]!;
      const limit = isObject[top] ? FEED_LIMITS.keys : FEED_LIMITS.items;
      if (count > limit) throw tooComplex(isObject[top] ? 'keys' : 'items', `line ${line}`, line);
    } else if (counts.length > 0 && counts[counts.length - 1] === 0 && code !== 32 && code !== 9 && code !== 13) {
      counts[counts.length - 1] = 1;
    }
  }
}

/** The index of the quote closing the string that opens at `start` (the text's end if none). */
function stringEnd(text: string, start: number): number {
  let at = text.indexOf('"', start + 1);
  while (at !== -1) {
    let backslashes = 0;
    for (let j = at - 1; text.charCodeAt(j) === 92; j--) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return text.length;
}
