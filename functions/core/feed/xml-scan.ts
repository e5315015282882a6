/**
 * The XML well-formedness check and element finder: one pass over the tags of a range, with no
 * tree built. fast-xml-parser on its own accepts mismatched and missing closing tags, which would
 * let a cut-off feed through. Hand-written because it runs over every tag of a feed that may hold
 * a million of them: its steps are small functions V8 inlines, and no tag costs more than an
 * `indexOf` for `<` and `>`, a loop over the tag's characters and one slice for its name.
 */
import { FeedError } from './errors.js';
import { FEED_LIMITS, tooComplex } from './limits.js';

/** One element: where it starts (`<`) and ends (after `>`), and where its content lies. */
export interface Span {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly contentStart: number;
  readonly contentEnd: number;
}

/** The 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Refuses the file as not well-formed, naming the line of `offset`. */
export function malformed(text: string, offset: number, what: string): never {
  const line = lineAt(text, offset);
  throw new FeedError('MALFORMED_FEED', `The XML is not well-formed at line ${line}: ${what}.`, { line });
}

const snippet = (text: string, at: number): string => text.slice(at, at + 20).split('\n')[0]!;

const notATag = (text: string, lt: number): never =>
  malformed(
    text,
    lt,
    `"${snippet(text, lt)}" is not a valid tag, comment or CDATA section (a "<" in text must be written &lt;)`,
  );

/** True for a character that may start an XML name: a letter, `_`, `:` or anything non-ASCII. */
function isNameStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code === 58 || code > 127;
}

/** True for the characters that end a tag name: whitespace, `/`, `>`. */
function endsName(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 47 || code === 62;
}

/**
 * The `>` that ends the tag starting at `lt`, skipping quoted attribute values; -1 if there is
 * none before `to`, or a `<` comes first (never allowed inside a tag, quoted or not).
 */
export function tagEnd(text: string, lt: number, to: number): number {
  const gt = text.indexOf('>', lt);
  if (gt === -1 || gt >= to) return -1;
  return isPlainTag(text, lt, gt) ? gt : quotedTagEnd(text, lt, to);
}

/** The common case: no quote and no `<` before the first `>`, so that `>` ends the tag. */
function isPlainTag(text: string, lt: number, gt: number): boolean {
  for (let i = lt + 1; i < gt; i++) {
    const code = text.charCodeAt(i);
    if (code === 34 || code === 39 || code === 60) return false;
  }
  return true;
}

/** The tag's end when it has quoted values (a `>` inside quotes is text), -1 if unterminated. */
function quotedTagEnd(text: string, lt: number, to: number): number {
  let quote = 0;
  for (let i = lt + 1; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code === 60) return -1;
    if (quote !== 0) {
      if (code === quote) quote = 0;
    } else if (code === 34 || code === 39) quote = code;
    else if (code === 62) return i;
  }
  return -1;
}

/** Attributes in the tag `[nameEnd, gt)` (counted only for long tags, which are rare: see `scan`). */
function assertAttributeLimit(text: string, nameEnd: number, gt: number): void {
  let count = 0;
  for (let i = text.indexOf('=', nameEnd); i !== -1 && i < gt; i = text.indexOf('=', i + 1)) {
    if (++count > FEED_LIMITS.attributes)
      throw tooComplex('attributes', `line ${lineAt(text, nameEnd)}`, lineAt(text, nameEnd));
  }
}

/**
 * Checks that the markup in `[from, to)` nests properly (every element closed, by its own name,
 * nothing but blank space outside the top element when `document` is set) and returns the
 * elements at the top level of the range (`depth` 0) or one level below it (`depth` 1). The open
 * elements live in parallel arrays of locals and the per-tag steps are written out: as a class
 * this loop took ≈1.2× as long, with a function call per step ≈1.1×. Only what is rare
 * (comments, CDATA, errors) is called out.
 */
// eslint-disable-next-line complexity -- the per-tag hot loop, kept whole: with a call per step it took ≈1.1× as long (CPU, 10,000 vehicles)
export function scan(text: string, from: number, to: number, document: boolean, depth: 0 | 1 = 0): Span[] {
  const found: Span[] = [];
  const names: string[] = [];
  const starts: number[] = [];
  const contentStarts: number[] = [];
  /** Child elements so far, per open element. */
  const children: number[] = [];
  let roots = 0;
  let cursor = from;
  while (cursor < to) {
    let lt = text.indexOf('<', cursor);
    if (lt === -1 || lt >= to) lt = to;
    if (document && names.length === 0) assertBlank(text, cursor, lt, roots);
    if (lt === to) break;
    const next = text.charCodeAt(lt + 1);
    if (next === 33 /* ! */ || next === 63 /* ? */) {
      cursor = next === 33 ? commentOrCdataEnd(text, lt, to) : processingInstructionEnd(text, lt, to);
      continue;
    }
    const closing = next === 47; /* / */
    const nameStart = closing ? lt + 2 : lt + 1;
    const gt = isNameStart(text.charCodeAt(nameStart)) ? tagEnd(text, lt, to) : -1;
    if (gt === -1) notATag(text, lt);
    let nameEnd = nameStart + 1;
    while (nameEnd < gt && !endsName(text.charCodeAt(nameEnd))) nameEnd++;
    cursor = gt + 1;
    const name = text.slice(nameStart, nameEnd);
    if (closing) {
      const open = names.pop();
      if (open !== name || nameEnd < gt) badClose(text, open, name, starts, lt, nameEnd, gt);
      const start = starts.pop()!;
      const contentStart = contentStarts.pop()!;
      if (names.length === depth) found.push({ name, start, end: cursor, contentStart, contentEnd: lt });
      continue;
    }
    if (gt - nameEnd >= FEED_LIMITS.attributes * 4) assertAttributeLimit(text, nameEnd, gt);
    if (names.length > 0 && ++children[names.length - 1]! > FEED_LIMITS.items) tooManyChildren(text, names, starts);
    if (names.length === 0) roots = countRoot(text, lt, name, roots, document);
    if (text.charCodeAt(gt - 1) === 47 /* / */) {
      if (names.length === depth)
        found.push({ name, start: lt, end: cursor, contentStart: cursor, contentEnd: cursor });
      continue;
    }
    if (names.length >= FEED_LIMITS.depth) tooDeep(text, name, lt);
    names.push(name);
    starts.push(lt);
    contentStarts.push(cursor);
    children[names.length - 1] = 0;
  }
  if (names.length > 0) cutOff(text, names);
  return found;
}

/** Outside the root element only blank space may stand: text there is no XML document. */
function assertBlank(text: string, from: number, lt: number, roots: number): void {
  if (lt === from) return;
  const blank = text.slice(from, lt).search(/\S/);
  if (blank === -1) return;
  malformed(text, from + blank, roots > 0 ? 'text after the end of the root element' : 'text before the root element');
}

/** A comment or CDATA section is skipped whole: what it holds is text, never markup. */
function commentOrCdataEnd(text: string, lt: number, to: number): number {
  const terminator = text.startsWith('!--', lt + 1) ? '-->' : text.startsWith('![CDATA[', lt + 1) ? ']]>' : null;
  const close = terminator ? text.indexOf(terminator, lt + 4) : -1;
  if (close === -1 || close + 3 > to) notATag(text, lt);
  return close + 3;
}

function processingInstructionEnd(text: string, lt: number, to: number): number {
  const close = text.indexOf('?>', lt + 2);
  if (close === -1 || close + 2 > to)
    malformed(text, lt, `the processing instruction "${snippet(text, lt)}" is never closed`);
  return close + 2;
}

/**
 * An end tag that is not `</name>` closing the innermost open element (`open`, already popped):
 * the file is refused, naming what is wrong.
 */
function badClose(
  text: string,
  open: string | undefined,
  name: string,
  starts: readonly number[],
  lt: number,
  nameEnd: number,
  gt: number,
): void {
  if (text.slice(nameEnd, gt).trim() !== '')
    malformed(text, lt, `the closing tag "${snippet(text, lt)}" is not just </name>`);
  if (open === undefined) malformed(text, lt, `</${name}> closes an element that was never opened`);
  if (open !== name) malformed(text, lt, `</${name}> closes <${open}>, opened on line ${lineAt(text, starts.at(-1)!)}`);
}

function tooManyChildren(text: string, names: readonly string[], starts: readonly number[]): never {
  const level = names.length - 1;
  throw tooComplex('items', `<${names[level]}> on line ${lineAt(text, starts[level]!)}`);
}

function tooDeep(text: string, name: string, lt: number): never {
  throw tooComplex('depth', `<${name}> on line ${lineAt(text, lt)}`, lineAt(text, lt));
}

/** An element at the top of the range (a document has exactly one): the count so far. */
function countRoot(text: string, lt: number, name: string, roots: number, document: boolean): number {
  if (document && roots > 0) malformed(text, lt, `a second top-level element <${name}> (a feed has one root element)`);
  return roots + 1;
}

/** The range ended with elements still open: the file looks cut off. */
function cutOff(text: string, names: readonly string[]): never {
  const lastLine = lineAt(text, text.trimEnd().length);
  throw new FeedError(
    'MALFORMED_FEED',
    `The XML ends on line ${lastLine} before ${names.map((name) => `<${name}>`).join(', ')} ${names.length > 1 ? 'are' : 'is'} closed; the file looks cut off. Upload the complete export.`,
    { line: lastLine },
  );
}
