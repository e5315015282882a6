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

/** Where the name starting at `nameStart` ends, within the tag that ends at `gt`. */
function nameEndOf(text: string, nameStart: number, gt: number): number {
  let nameEnd = nameStart + 1;
  while (nameEnd < gt && !endsName(text.charCodeAt(nameEnd))) nameEnd++;
  return nameEnd;
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

/** Attributes in the tag `[nameEnd, gt)`: counted only for long tags, which are rare. */
function assertAttributeLimit(text: string, nameEnd: number, gt: number): void {
  if (gt - nameEnd < FEED_LIMITS.attributes * 4) return;
  let count = 0;
  for (let i = text.indexOf('=', nameEnd); i !== -1 && i < gt; i = text.indexOf('=', i + 1)) {
    if (++count > FEED_LIMITS.attributes)
      throw tooComplex('attributes', `line ${lineAt(text, nameEnd)}`, lineAt(text, nameEnd));
  }
}

/**
 * Checks that the markup in `[from, to)` nests properly (every element closed, by its own name,
 * nothing but blank space outside the top element when `document` is set) and returns the
 * elements at the top level of the range (`depth` 0) or one level below it (`depth` 1).
 */
export function scan(text: string, from: number, to: number, document: boolean, depth: 0 | 1 = 0): Span[] {
  return new ElementScanner(text, to, document, depth).run(from);
}

/** The open elements while a range is scanned, innermost last, and the elements found so far. */
class ElementScanner {
  private readonly found: Span[] = [];
  private readonly names: string[] = [];
  private readonly starts: number[] = [];
  private readonly contentStarts: number[] = [];
  /** Child elements so far, per open element. */
  private readonly children: number[] = [];
  private roots = 0;

  constructor(
    private readonly text: string,
    private readonly to: number,
    private readonly document: boolean,
    private readonly depth: number,
  ) {}

  run(from: number): Span[] {
    const { text, to } = this;
    let cursor = from;
    while (cursor < to) {
      let lt = text.indexOf('<', cursor);
      if (lt === -1 || lt >= to) lt = to;
      if (this.document && lt > cursor && this.names.length === 0) this.assertBlank(cursor, lt);
      if (lt === to) break;
      cursor = this.markup(lt);
    }
    if (this.names.length > 0) this.cutOff();
    return this.found;
  }

  /** Reads the markup starting at `lt` and returns where the text after it starts. */
  private markup(lt: number): number {
    const text = this.text;
    const next = text.charCodeAt(lt + 1);
    if (next === 33 /* ! */) return this.commentOrCdataEnd(lt);
    if (next === 63 /* ? */) return this.processingInstructionEnd(lt);
    const closing = next === 47; /* / */
    const nameStart = closing ? lt + 2 : lt + 1;
    const gt = isNameStart(text.charCodeAt(nameStart)) ? tagEnd(text, lt, this.to) : -1;
    if (gt === -1) notATag(text, lt);
    const nameEnd = nameEndOf(text, nameStart, gt);
    if (closing) this.close(lt, nameStart, nameEnd, gt);
    else this.open(lt, nameStart, nameEnd, gt);
    return gt + 1;
  }

  /** Outside the root element only blank space may stand: text there is no XML document. */
  private assertBlank(from: number, lt: number): void {
    const blank = this.text.slice(from, lt).search(/\S/);
    if (blank === -1) return;
    const where = this.roots > 0 ? 'text after the end of the root element' : 'text before the root element';
    malformed(this.text, from + blank, where);
  }

  /** A comment or CDATA section is skipped whole: what it holds is text, never markup. */
  private commentOrCdataEnd(lt: number): number {
    const text = this.text;
    const terminator = text.startsWith('!--', lt + 1) ? '-->' : text.startsWith('![CDATA[', lt + 1) ? ']]>' : null;
    const close = terminator ? text.indexOf(terminator, lt + 4) : -1;
    if (close === -1 || close + 3 > this.to) notATag(text, lt);
    return close + 3;
  }

  private processingInstructionEnd(lt: number): number {
    const close = this.text.indexOf('?>', lt + 2);
    if (close === -1 || close + 2 > this.to)
      malformed(this.text, lt, `the processing instruction "${snippet(this.text, lt)}" is never closed`);
    return close + 2;
  }

  /** A start tag (or an empty-element tag `<a/>`) at `lt` whose `>` is at `gt`. */
  private open(lt: number, nameStart: number, nameEnd: number, gt: number): void {
    const text = this.text;
    const name = text.slice(nameStart, nameEnd);
    assertAttributeLimit(text, nameEnd, gt);
    const level = this.names.length;
    if (level > 0) this.countChild(level - 1);
    else this.countRoot(lt, name);
    const end = gt + 1;
    if (text.charCodeAt(gt - 1) === 47 /* / */) {
      if (level === this.depth) this.found.push({ name, start: lt, end, contentStart: end, contentEnd: end });
      return;
    }
    if (level >= FEED_LIMITS.depth)
      throw tooComplex('depth', `<${name}> on line ${lineAt(text, lt)}`, lineAt(text, lt));
    this.names.push(name);
    this.starts.push(lt);
    this.contentStarts.push(end);
    this.children[level] = 0;
  }

  /** An end tag at `lt`: it must close the innermost open element, by that element's name. */
  private close(lt: number, nameStart: number, nameEnd: number, gt: number): void {
    const text = this.text;
    if (nameEnd < gt && text.slice(nameEnd, gt).trim() !== '')
      malformed(text, lt, `the closing tag "${snippet(text, lt)}" is not just </name>`);
    const open = this.names.pop();
    const name = text.slice(nameStart, nameEnd);
    if (open === undefined) malformed(text, lt, `</${name}> closes an element that was never opened`);
    if (open !== name)
      malformed(text, lt, `</${name}> closes <${open}>, opened on line ${lineAt(text, this.starts.at(-1)!)}`);
    const start = this.starts.pop()!;
    const contentStart = this.contentStarts.pop()!;
    if (this.names.length === this.depth) this.found.push({ name, start, end: gt + 1, contentStart, contentEnd: lt });
  }

  /** One more child of the open element at `level`: past `FEED_LIMITS.items` the file is refused. */
  private countChild(level: number): void {
    if (++this.children[level]! > FEED_LIMITS.items)
      throw tooComplex('items', `<${this.names[level]}> on line ${lineAt(this.text, this.starts[level]!)}`);
  }

  /** An element at the top of the range: a document has exactly one. */
  private countRoot(lt: number, name: string): void {
    if (this.document && this.roots > 0)
      malformed(this.text, lt, `a second top-level element <${name}> (a feed has one root element)`);
    this.roots++;
  }

  /** The range ended with elements still open: the file looks cut off. */
  private cutOff(): never {
    const names = this.names;
    const lastLine = lineAt(this.text, this.text.trimEnd().length);
    throw new FeedError(
      'MALFORMED_FEED',
      `The XML ends on line ${lastLine} before ${names.map((name) => `<${name}>`).join(', ')} ${names.length > 1 ? 'are' : 'is'} closed; the file looks cut off. Upload the complete export.`,
      { line: lastLine },
    );
  }
}
