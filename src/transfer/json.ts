import { createReadStream } from 'node:fs';
import { none } from 'stream-chain/defs.js';
import { Assembler } from 'stream-json/core/assembler.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import { streamArray } from 'stream-json/core/streamers/stream-array.js';
import { jsonVerifier } from 'stream-json/core/utils/verifier.js';
import { ImportFileError, textBeforeBadByte, XML_LIMITS } from './xml.ts';

/**
 * Streaming JSON for imports, beside xml.ts: a JSON Feed (one object whose `items` array holds the records) or JSON
 * lines (one object a line), read in chunks of any size with stream-json's tokenizer, so a file of any size takes the
 * memory of one chunk and one record. The tokenizer's strings, keys and numbers come in pieces and are counted here
 * before they are put together: one record is bounded as an XML one (8 M characters, 20,000 values, nesting 64) and a
 * hostile file (a string of a gigabyte, brackets nested a million deep) is refused at the piece where it shows.
 * stream-json's verifier runs over a JSON Feed beside the tokenizer for one thing: the exact place of a syntax error.
 * Records are handed over whole (stream-json's items streamer and assembler, which keep `__proto__` an own key), with
 * the line they start on; src/transfer/source.ts knows what their fields mean.
 */

export type JsonShape = 'feed' | 'lines';

/** Where a record starts: its line, and its column when the record begins its line (always so for JSON lines). */
export interface JsonAt {
  line: number;
  column: number | undefined;
}

export interface JsonEvents {
  /** One element of a JSON Feed's `items`, or one line's object: a plain JSON value. */
  record(value: unknown, at: JsonAt): void;
  /** A JSON Feed's own fields besides `items` (version, home_page_url…), as each closes. */
  field?(key: string, value: unknown): void;
}

/** The same bounds as an XML record; a JSON Feed's own fields together are bounded as one record. */
export const JSON_LIMITS = XML_LIMITS;

/** The tokenizer and the verifier are fed at most this much at once (a line of a minified feed is cut into pieces). */
const PIECE_CHARS = 64 * 1024;
const CHUNK_BYTES = 256 * 1024;

const malformed = (err: unknown) => {
  const reason = (err instanceof Error ? err.message : String(err)).replace(
    /^(?:ERROR at \d+ \(\d+, \d+\): )?(?:Verifier|Parser) (?:cannot parse input: |has )/,
    '',
  );
  return `malformed JSON: ${reason} (JSON 格式错误)`;
};

const WHITESPACE = /[^ \t\r\n]/;

/** stream-json's tokenizer and verifier as called here: text, then `none` for the end. */
type Stage = (text: string | typeof none) => unknown;
const tokenizer = () => jsonParser({ packValues: false, streamValues: true }) as unknown as Stage;
const verifier = () => jsonVerifier({}) as unknown as Stage;

/** A value being put together from the tokenizer's pieces, counted against its record's bounds. */
class Budget {
  chars = 0;
  values = 0;
  constructor(private readonly fail: (reason: string) => never) {}

  text(n: number): void {
    this.chars += n;
    if (this.chars > JSON_LIMITS.recordChars) this.fail(`one record holds more than ${JSON_LIMITS.recordChars / 1024 / 1024} M characters (单条记录过大)`);
  }

  value(): void {
    if (++this.values > JSON_LIMITS.recordNodes) this.fail(`one record has more than ${JSON_LIMITS.recordNodes} values (单条记录的字段过多)`);
  }
}

/**
 * The streaming reader fed by hand: `write` each chunk of the file's bytes as it comes (from disk, or from an upload on
 * its way to disk), then `end`. Records are handed to `events` as they close; anything malformed throws
 * ImportFileError (with line and column) from the `write` or `end` that met it, whatever the chunks' sizes.
 */
export class JsonStream {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private started = false;
  /** Where the next character goes: line and column (1-based), characters fed before it, where its line began. */
  private line = 1;
  private column = 1;
  private offset = 0;
  private lineOffset = 0;
  private previousLineOffset = 0;
  /** Column of the current line's first character that is not blank, once seen; whether a token came of it yet. */
  private indent: number | undefined;
  private tokensOnLine = 0;

  private tokenizer = tokenizer();
  private readonly verifier = verifier();
  private depth = 0;
  /** The string, key or number being put together. */
  private pieces: string[] | undefined;

  // A JSON Feed: its own field being read, the items array (depth 2) and the record in it.
  private fieldKey: string | undefined;
  private field: Assembler | undefined;
  private fieldBudget: Budget;
  private items: ((token: Token) => unknown) | undefined;
  private readonly starts: JsonAt[] = [];
  private budget: Budget;

  // JSON lines: the current line's text (for the place of an error) and its record.
  private lineText: string[] = [];
  private lineChars = 0;
  private record: Assembler | undefined;
  private recordAt: JsonAt | undefined;

  constructor(
    private readonly shape: JsonShape,
    private readonly events: JsonEvents,
  ) {
    this.fieldBudget = new Budget(this.failHere);
    this.budget = new Budget(this.failHere);
  }

  write(raw: Buffer): void {
    if (raw.length === 0) return;
    this.started = true;
    let text: string;
    try {
      text = this.decoder.decode(raw, { stream: true });
    } catch {
      const before = textBeforeBadByte(raw, 'utf-8').split('\n');
      const line = this.line + before.length - 1;
      const column = before.length > 1 ? before[before.length - 1]!.length + 1 : this.column + before[0]!.length;
      throw new ImportFileError('bytes that are not UTF-8 (文件编码错误：JSON 文件应为 UTF-8)', line, column);
    }
    this.text(text);
  }

  end(): void {
    if (!this.started) throw new ImportFileError('the file is empty (文件为空)');
    let rest: string;
    try {
      rest = this.decoder.decode();
    } catch {
      throw new ImportFileError('the file ends inside a character (不完整的 UTF-8 字符)', this.line, this.column);
    }
    this.text(rest);
    if (this.shape === 'lines') {
      this.lineEnd();
      return;
    }
    this.syntax(() => this.verifier(none));
    this.tokens(this.syntax(() => this.tokenizer(none)));
  }

  /** Splits text into lines, and long lines into pieces, and feeds them on. */
  private text(text: string): void {
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl + 1;
      for (let s = start; s < end; s += PIECE_CHARS) this.piece(text.slice(s, Math.min(end, s + PIECE_CHARS)));
      start = end;
    }
  }

  private piece(piece: string): void {
    if (this.indent === undefined) {
      const first = piece.search(WHITESPACE);
      if (first >= 0 && piece[first] !== '\n') this.indent = this.column + first;
    }
    if (this.shape === 'lines') {
      this.lineChars += piece.length;
      if (this.lineChars > JSON_LIMITS.recordChars + 2)
        this.failHere(`one line holds more than ${JSON_LIMITS.recordChars / 1024 / 1024} M characters (单行过长)`);
      this.lineText.push(piece);
      try {
        this.tokens(this.tokenizer(piece));
      } catch (err) {
        if (err instanceof ImportFileError) throw err;
        this.lineError(err);
      }
    } else {
      this.syntax(() => this.verifier(piece));
      this.tokens(this.syntax(() => this.tokenizer(piece)));
    }
    this.offset += piece.length;
    if (piece.endsWith('\n')) {
      if (this.shape === 'lines') this.lineEnd();
      this.line++;
      this.column = 1;
      this.previousLineOffset = this.lineOffset;
      this.lineOffset = this.offset;
      this.indent = undefined;
      this.tokensOnLine = 0;
    } else this.column += piece.length;
  }

  /** Runs the verifier or the tokenizer, a syntax error thrown as ImportFileError at its exact place. */
  private syntax<T>(step: () => T): T {
    try {
      return step();
    } catch (err) {
      if (err instanceof ImportFileError) throw err;
      const at = (err as { offset?: unknown }).offset;
      if (typeof at === 'number' && at >= this.lineOffset) throw new ImportFileError(malformed(err), this.line, at - this.lineOffset + 1);
      if (typeof at === 'number' && at >= this.previousLineOffset && this.line > 1) {
        throw new ImportFileError(malformed(err), this.line - 1, at - this.previousLineOffset + 1);
      }
      throw new ImportFileError(malformed(err), this.line, this.column);
    }
  }

  /** A JSON line the tokenizer refused: the verifier, over that line alone, says where. */
  private lineError(err: unknown): never {
    const verify = verifier();
    try {
      verify(this.lineText.join(''));
      verify(none);
    } catch (located) {
      const at = (located as { offset?: unknown }).offset;
      if (typeof at === 'number') throw new ImportFileError(malformed(located), this.line, at + 1);
    }
    throw new ImportFileError(malformed(err), this.line, this.indent ?? 1);
  }

  /** The end of a JSON line: its object handed over, a blank line skipped. */
  private lineEnd(): void {
    const blank = this.indent === undefined;
    if (!blank) {
      if (this.depth > 0) this.failAt('the object does not end on its line: JSON lines hold one object a line (每行应是一个完整的 JSON 对象)');
      try {
        this.tokens(this.tokenizer(none));
      } catch (err) {
        if (err instanceof ImportFileError) throw err;
        this.lineError(err);
      }
    }
    this.tokenizer = tokenizer();
    this.lineText = [];
    this.lineChars = 0;
    this.recordAt = undefined;
    this.budget = new Budget(this.failHere);
  }

  private readonly failHere = (reason: string): never => {
    throw new ImportFileError(reason, this.line, this.column);
  };

  /** An error about the record being read: where it starts. */
  private failAt(reason: string): never {
    const at = this.shape === 'lines' ? (this.recordAt ?? { line: this.line, column: this.indent }) : this.starts[0];
    throw new ImportFileError(reason, at?.line ?? this.line, at?.column);
  }

  private tokens(out: unknown): void {
    if (out === none || out === undefined) return;
    for (const t of (out as { values: Token[] }).values) this.token(t);
  }

  private token(t: Token): void {
    switch (t.name) {
      case 'startString':
      case 'startKey':
      case 'startNumber':
        this.pieces = [];
        if (t.name !== 'startKey') this.begin();
        return;
      case 'stringChunk':
      case 'numberChunk': {
        this.current().text(t.value.length);
        this.pieces!.push(t.value);
        return;
      }
      case 'endString':
      case 'endKey':
      case 'endNumber': {
        const value = this.pieces!.join('');
        this.pieces = undefined;
        if (t.name === 'endKey') this.packed({ name: 'keyValue', value });
        else this.packed(t.name === 'endString' ? { name: 'stringValue', value } : { name: 'numberValue', value });
        return;
      }
      case 'startObject':
      case 'startArray':
        this.begin();
        if (++this.depth > JSON_LIMITS.depth) this.failHere(`values nest more than ${JSON_LIMITS.depth} deep (嵌套过深)`);
        this.packed(t);
        return;
      case 'endObject':
      case 'endArray':
        this.depth--;
        this.packed(t);
        return;
      case 'nullValue':
      case 'trueValue':
      case 'falseValue':
        this.begin();
        this.packed(t);
        return;
      default:
        return;
    }
  }

  /** The budget of the value being read: its record's, or the feed's own fields'. */
  private current(): Budget {
    return this.shape === 'feed' && !this.items ? this.fieldBudget : this.budget;
  }

  /** A value begins (before its container's depth is counted): a record may start here. */
  private begin(): void {
    this.tokensOnLine++;
    const at = (): JsonAt => ({ line: this.line, column: this.tokensOnLine === 1 ? this.indent : undefined });
    if (this.shape === 'lines') {
      if (this.depth === 0) {
        if (this.recordAt) this.failHere('a second value on one line: JSON lines hold one object a line (每行只能有一个 JSON 对象)');
        this.recordAt = { line: this.line, column: this.indent };
        this.budget = new Budget(this.failHere);
      }
    } else if (this.items && this.depth === 2) {
      this.starts.push(at());
      this.budget = new Budget(this.failHere);
    }
    this.current().value();
  }

  /** A token with its value whole, passed to whoever puts the value together. */
  private packed(t: Token): void {
    if (this.shape === 'lines') {
      this.linePacked(t);
      return;
    }
    if (this.depth === 0 && t.name === 'endObject') return;
    if (this.depth === 1 && t.name === 'startObject' && !this.field && !this.items && this.fieldKey === undefined) {
      return;
    }
    if (this.items) {
      const out = this.items(t) as { key: number; value: unknown } | typeof none;
      if (out !== none) this.events.record(out.value, this.starts.shift()!);
      if (this.depth === 1) this.items = undefined;
      return;
    }
    if (this.depth === 1 && this.fieldKey === undefined) {
      if (t.name === 'keyValue') {
        this.fieldKey = t.value;
        return;
      }
      // The feed is one object: anything else at its top is not a JSON Feed.
      this.failHere('a JSON Feed is one object with "version" and "items" (JSON Feed 应是一个对象)');
    }
    if (this.depth === 0 && !this.field) this.failHere('a JSON Feed is one object with "version" and "items" (JSON Feed 应是一个对象)');
    if (this.fieldKey === 'items' && !this.field) {
      if (t.name !== 'startArray') this.failHere('"items" must be an array (items 应是数组)');
      this.fieldKey = undefined;
      this.items = streamArray() as unknown as (token: Token) => unknown;
      this.items(t);
      return;
    }
    this.field ??= new Assembler();
    this.field.consume(t as never);
    if (this.field.done) {
      this.events.field?.(this.fieldKey!, this.field.current);
      this.field = undefined;
      this.fieldKey = undefined;
    }
  }

  private linePacked(t: Token): void {
    if (!this.record) {
      if (t.name !== 'startObject') this.failAt('not a JSON object: JSON lines hold one object a line (每行应是一个 JSON 对象)');
      this.record = new Assembler();
    }
    this.record.consume(t as never);
    if (this.record.done) {
      const value = this.record.current;
      const at = this.recordAt!;
      this.record = undefined;
      this.events.record(value, at);
    }
  }
}

/**
 * Reads a whole file through `events`, yielding after each chunk: the caller takes the records collected so far and
 * does its async work while the rest of the file waits.
 */
export async function* parseJsonFile(file: string, shape: JsonShape, events: JsonEvents, signal?: AbortSignal): AsyncGenerator<void> {
  const json = new JsonStream(shape, events);
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES, signal }) as AsyncIterable<Buffer>) {
    json.write(chunk);
    yield;
  }
  json.end();
  yield;
}

const JSON_FEED_VERSION = /^https:\/\/jsonfeed\.org\/version\/1(?:\.\d+)?\/?$/;

/**
 * Which JSON a file is, from its first bytes (up to 64 KB) starting `{` or `[` after an optional BOM and blanks: a
 * JSON Feed (its first object names `"version": "https://jsonfeed.org/version/1…"` or holds `items`) or JSON lines
 * (its first object ends on its first line, or that line runs on past the head). A JSON array, or one object over
 * several lines that is no feed, is refused with the reason.
 */
export function jsonShapeOf(head: string): JsonShape {
  const text = head.replace(/^\uFEFF/, '');
  const start = text.search(WHITESPACE);
  const before = text.slice(0, start);
  const line = before.split('\n').length;
  const column = start - before.lastIndexOf('\n');
  if (text[start] === '[') {
    throw new ImportFileError(
      'a JSON array is not read: import a JSON Feed (one object with "version" and "items") or JSON lines (one object a line) (不接受 JSON 数组：请用 JSON Feed 或每行一个对象的 JSON lines)',
      line,
      column,
    );
  }
  const tokenize = jsonParser({ streamValues: false });
  let depth = 0;
  let key: string | undefined;
  let closedOnLine: number | undefined;
  let lineNo = line;
  let shape: JsonShape | undefined;
  const rest = text.slice(start);
  const lines = rest.split(/(?<=\n)/);
  try {
    for (const l of lines) {
      const out = tokenize(l) as { values: Token[] } | typeof none;
      for (const t of out === none ? [] : out.values) {
        if (t.name === 'startObject' || t.name === 'startArray') {
          if (depth === 1 && key === 'items' && t.name === 'startArray') shape ??= 'feed';
          depth++;
        } else if (t.name === 'endObject' || t.name === 'endArray') {
          if (--depth === 0) closedOnLine ??= lineNo;
        } else if (t.name === 'keyValue' && depth === 1) key = t.value;
        else if (t.name === 'stringValue' && depth === 1 && key === 'version') {
          const version = t.value.trim();
          if (JSON_FEED_VERSION.test(version)) shape = 'feed';
          else if (/^https?:\/\/jsonfeed\.org\/version\//.test(version)) {
            throw new ImportFileError(`JSON Feed version ${version.slice(0, 80)} is not read: 1.0 and 1.1 are (不支持该 JSON Feed 版本)`, line, column);
          }
        }
      }
      if (shape || closedOnLine !== undefined) break;
      lineNo++;
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    // Malformed within the head: the reader of the shape it looks like says where.
    return lineNo === line ? 'lines' : 'feed';
  }
  if (shape) return shape;
  if (closedOnLine === line || lines.length === 1) return 'lines';
  throw new ImportFileError(
    'a JSON object over several lines that is no JSON Feed (no "version": "https://jsonfeed.org/version/1.1"): JSON lines hold one object a line (既不是 JSON Feed，也不是每行一个对象的 JSON lines)',
    line,
    column,
  );
}
