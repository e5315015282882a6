import { FEED_LIMITS, tooComplex } from './limits.js';

/**
 * Refuses JSON with more structure than `FEED_LIMITS` allows before `JSON.parse` builds it
 * (4 million keys in one object took 1.4 GB; a million levels of `[` overflow the stack). One
 * pass over the text, strings skipped: depth, and members per object and per array.
 */
export function assertJsonShape(text: string): void {
  const shape = new OpenValues();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34 /* " */) {
      shape.member();
      i = stringEnd(text, i);
    } else if (code === 10) shape.line++;
    else if (code === 123 /* { */ || code === 91 /* [ */) shape.open(code === 123);
    else if (code === 125 /* } */ || code === 93 /* ] */) shape.close();
    else if (code === 44 /* , */) shape.comma();
    else if (code !== 32 && code !== 9 && code !== 13) shape.member();
  }
}

/**
 * The objects and arrays open at a point of the text, innermost last, with their members so far
 * (0 while empty: a member is counted at its first token and at each comma after it).
 */
class OpenValues {
  line = 1;
  private readonly counts: number[] = [];
  private readonly isObject: boolean[] = [];

  /** A token of a member: the first one makes the innermost value non-empty. */
  member(): void {
    const top = this.counts.length - 1;
    if (top >= 0 && this.counts[top] === 0) this.counts[top] = 1;
  }

  open(object: boolean): void {
    this.member();
    if (this.counts.length >= FEED_LIMITS.depth) throw tooComplex('depth', `line ${this.line}`, this.line);
    this.counts.push(0);
    this.isObject.push(object);
  }

  close(): void {
    this.counts.pop();
    this.isObject.pop();
  }

  comma(): void {
    const top = this.counts.length - 1;
    if (top < 0) return;
    const count = ++this.counts[top]!;
    const object = this.isObject[top]!;
    if (count > (object ? FEED_LIMITS.keys : FEED_LIMITS.items))
      throw tooComplex(object ? 'keys' : 'items', `line ${this.line}`, this.line);
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
