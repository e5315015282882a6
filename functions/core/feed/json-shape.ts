import { FEED_LIMITS, tooComplex } from './limits.js';

/**
 * Refuses JSON with more structure than `FEED_LIMITS` allows before `JSON.parse` builds it
 * (4 million keys in one object took 1.4 GB; a million levels of `[` overflow the stack). One
 * pass over the text, strings skipped: depth, and members per object and per array.
 */
export function assertJsonShape(text: string): void {
  // Per open object or array, innermost last: its members so far (0 while empty: a member is
  // counted at its first token and at each comma after it), and whether it is an object.
  const counts: number[] = [];
  const isObject: boolean[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34 /* " */) {
      firstToken(counts);
      i = stringEnd(text, i);
    } else if (code === 10) line++;
    else if (code === 123 /* { */ || code === 91 /* [ */) {
      firstToken(counts);
      if (counts.length >= FEED_LIMITS.depth) throw tooComplex('depth', `line ${line}`, line);
      counts.push(0);
      isObject.push(code === 123);
    } else if (code === 125 /* } */ || code === 93 /* ] */) {
      counts.pop();
      isObject.pop();
    } else if (code === 44 /* , */) nextMember(counts, isObject, line);
    // Any other token but blank space (below 33; a control character fails JSON.parse anyway),
    // tested inline: it is most characters outside strings.
    else if (code > 32 && counts[counts.length - 1] === 0) counts[counts.length - 1] = 1;
  }
}

/** A token inside the innermost value: the first one makes it non-empty. */
function firstToken(counts: number[]): void {
  const top = counts.length - 1;
  if (top >= 0 && counts[top] === 0) counts[top] = 1;
}

/** A comma: one more member of the innermost value, refused past its limit. */
function nextMember(counts: number[], isObject: readonly boolean[], line: number): void {
  const top = counts.length - 1;
  if (top < 0) return;
  const count = ++counts[top]!;
  const object = isObject[top]!;
  if (count > (object ? FEED_LIMITS.keys : FEED_LIMITS.items))
    throw tooComplex(object ? 'keys' : 'items', `line ${line}`, line);
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
