import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Saxes from 'saxes';
import type { SaxesTagNS } from 'saxes';

/** saxes, loaded by the first import or upload check rather than by every server start. */
let saxesModule: typeof Saxes | undefined;
const saxes = (): typeof Saxes => (saxesModule ??= createRequire(import.meta.url)('saxes') as typeof Saxes);

/**
 * Streaming XML for imports: a file of any size is read in chunks, decoded with the encoding it declares (refusing
 * bytes that are not that encoding), and parsed by saxes, which never fetches an external entity and expands none but
 * XML's five (a DOCTYPE that declares entities is refused outright: billion laughs, external files). Callers see small
 * element trees, one per record element they asked for (an RSS <item>, an Atom <entry>, a WXR <wp:category>), and the
 * simple text elements of the channel around them.
 */

/** A file that cannot be imported as it is: the message names where (line and column, 1-based) when known. */
export class ImportFileError extends Error {
  constructor(
    readonly reason: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line === undefined ? reason : `line ${line}, column ${column ?? 1}: ${reason}`);
    this.name = 'ImportFileError';
  }
}

/** An element as the importers read it: qualified by a known prefix (`wp:post_id`, `content:encoded`, `atom:link`). */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  /** Its own text and CDATA, in order (children's text not included). */
  text: string;
  children: XmlNode[];
  /** Line where it starts (1-based). */
  line: number;
}

/** Namespaces the importers read, by the prefix they are known by whatever prefix a file declares. */
export function knownPrefix(uri: string): string {
  if (uri === '') return '';
  if (/^https?:\/\/wordpress\.org\/export\/1\.\d+\/excerpt\/?$/.test(uri)) return 'excerpt';
  if (/^https?:\/\/wordpress\.org\/export\/1\.\d+\/?$/.test(uri)) return 'wp';
  if (uri === 'http://purl.org/rss/1.0/modules/content/') return 'content';
  if (uri === 'http://purl.org/dc/elements/1.1/') return 'dc';
  if (uri === 'http://www.w3.org/2005/Atom') return 'atom';
  return uri;
}

export const qualified = (uri: string, local: string) => {
  const prefix = knownPrefix(uri);
  return prefix === '' ? local : `${prefix}:${local}`;
};

export const child = (node: XmlNode, name: string) => node.children.find((c) => c.name === name);
export const childText = (node: XmlNode, name: string) => child(node, name)?.text.trim() ?? '';
export const children = (node: XmlNode, name: string) => node.children.filter((c) => c.name === name);

/** Bounds that keep one hostile record from filling memory: a WordPress post is far below them. */
export const XML_LIMITS = { recordChars: 8 * 1024 * 1024, recordNodes: 20_000, depth: 64 };

export interface XmlEvents {
  /** The root element (its qualified name and the namespaces it declares). */
  root(name: string, namespaces: Record<string, string>): void;
  /** Whether an element at this path (qualified names from the root) is a record to collect whole. */
  isRecord(path: readonly string[]): boolean;
  record(node: XmlNode, path: readonly string[]): void;
  /** Text elements outside records, with their path (e.g. rss/channel/title). */
  text?(path: readonly string[], text: string): void;
}

const CHUNK_BYTES = 256 * 1024;

/** The encoding a file declares: a BOM, else the XML declaration's encoding, else UTF-8. */
export function declaredEncoding(head: Buffer): { encoding: string; bomBytes: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomBytes: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomBytes: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomBytes: 2 };
  const decl = /^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']/.exec(head.subarray(0, 300).toString('latin1'));
  return { encoding: decl ? decl[1]!.toLowerCase() : 'utf-8', bomBytes: 0 };
}

function decoderFor(encoding: string): TextDecoder {
  try {
    return new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new ImportFileError(`unsupported encoding "${encoding}" in the XML declaration (文件声明的编码不受支持)`, 1, 1);
  }
}

/**
 * The text of `chunk` before its first byte that is not `encoding` (the longest prefix that still decodes), for the
 * place to report: whole characters only, a character begun in the previous chunk counted as one.
 */
export function textBeforeBadByte(chunk: Buffer, encoding: string): string {
  // Skip continuation bytes of a character begun in the previous chunk.
  let start = 0;
  while (start < 3 && start < chunk.length && (chunk[start]! & 0xc0) === 0x80 && encoding === 'utf-8') start++;
  let lo = start;
  let hi = chunk.length;
  const fine = (n: number) => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(chunk.subarray(start, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fine(mid)) lo = mid;
    else hi = mid - 1;
  }
  // A stream decode leaves out a last character whose bytes were cut off by the bad one.
  const text = new TextDecoder(encoding, { fatal: true }).decode(chunk.subarray(start, lo), { stream: true });
  return start > 0 ? `?${text}` : text;
}

interface Open {
  node?: XmlNode;
  name: string;
  text: string;
}

/**
 * The streaming parser fed by hand: `write` each chunk of the file's bytes as it comes (from disk, or from an upload
 * on its way to disk), then `end`. Events fire as records close; anything malformed throws ImportFileError (with line
 * and column) from the `write` or `end` that met it. Memory stays that of one chunk and the open record.
 */
export class XmlStream {
  private readonly parser = new (saxes().SaxesParser)({ xmlns: true, position: true });
  private decoder: TextDecoder | undefined;
  private encoding = 'utf-8';
  private readonly path: string[] = [];
  private readonly stack: Open[] = [];
  private record: { path: string[]; chars: number; nodes: number } | undefined;
  private sawRoot = false;

  constructor(events: XmlEvents) {
    const { parser, path, stack } = this;
    const fail = (reason: string): never => {
      throw new ImportFileError(reason, parser.line, parser.column + 1);
    };
    parser.on('doctype', (doctype) => {
      // saxes expands no entity a DTD declares, but a file that declares them meant them: refuse it rather than import
      // text with holes, and never fetch what a SYSTEM or PUBLIC identifier names.
      if (/<!ENTITY/i.test(doctype)) fail('the DOCTYPE declares entities, which are never expanded or fetched (不接受声明实体的 DOCTYPE)');
      if (/\b(SYSTEM|PUBLIC)\b/.test(doctype)) fail('the DOCTYPE names an external file, which is never fetched (不读取外部 DTD)');
    });
    parser.on('opentag', (tag: SaxesTagNS) => {
      const name = qualified(tag.uri, tag.local);
      if (!this.sawRoot) {
        this.sawRoot = true;
        events.root(name, { ...tag.ns });
      }
      path.push(name);
      if (path.length > XML_LIMITS.depth) fail(`elements nest more than ${XML_LIMITS.depth} deep`);
      const record = this.record;
      if (record) {
        if (++record.nodes > XML_LIMITS.recordNodes) fail(`one record has more than ${XML_LIMITS.recordNodes} elements`);
        const node: XmlNode = { name, attrs: attrsOf(tag), text: '', children: [], line: parser.line };
        stack[stack.length - 1]!.node!.children.push(node);
        stack.push({ node, name, text: '' });
        return;
      }
      if (events.isRecord(path)) {
        this.record = { path: [...path], chars: 0, nodes: 1 };
        stack.push({ node: { name, attrs: attrsOf(tag), text: '', children: [], line: parser.line }, name, text: '' });
        return;
      }
      stack.push({ name, text: '' });
    });
    const onText = (text: string) => {
      const top = stack[stack.length - 1];
      if (!top) return;
      const record = this.record;
      if (record) {
        record.chars += text.length;
        if (record.chars > XML_LIMITS.recordChars) fail(`one record holds more than ${XML_LIMITS.recordChars / 1024 / 1024} M characters`);
        top.node!.text += text;
      } else if (top.text.length < 64 * 1024) {
        top.text += text;
      }
    };
    parser.on('text', onText);
    parser.on('cdata', onText);
    parser.on('closetag', () => {
      const top = stack.pop()!;
      const record = this.record;
      if (record) {
        if (stack.length === 0 || path.length === record.path.length) {
          this.record = undefined;
          events.record(top.node!, record.path);
        }
      } else {
        events.text?.(path, top.text);
      }
      path.pop();
    });
  }

  write(raw: Buffer): void {
    if (raw.length === 0) return;
    let chunk = raw;
    if (!this.decoder) {
      const declared = declaredEncoding(chunk);
      this.encoding = declared.encoding;
      this.decoder = decoderFor(this.encoding);
      chunk = chunk.subarray(declared.bomBytes);
    }
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      const { parser, encoding } = this;
      const textBefore = textBeforeBadByte(chunk, encoding);
      const lines = textBefore.split('\n');
      const line = parser.line + lines.length - 1;
      const column = lines.length > 1 ? lines[lines.length - 1]!.length + 1 : parser.column + lines[0]!.length + 1;
      throw new ImportFileError(`bytes that are not ${encoding} (文件编码错误：不是 ${encoding})`, line, column);
    }
    this.parse(() => this.parser.write(text));
  }

  end(): void {
    if (!this.decoder) throw new ImportFileError('the file is empty (文件为空)');
    let rest: string;
    try {
      rest = this.decoder.decode();
    } catch {
      throw new ImportFileError(`the file ends inside a character (不完整的 ${this.encoding} 字符)`, this.parser.line, this.parser.column + 1);
    }
    this.parse(() => {
      if (rest) this.parser.write(rest);
      this.parser.close();
    });
  }

  /** saxes reports errors as "line:column: reason" (column 0-based): ours say where, 1-based, in both languages. */
  private parse(step: () => void): void {
    try {
      step();
    } catch (err) {
      if (err instanceof ImportFileError) throw err;
      const m = err instanceof Error ? /^(\d+):(\d+): ([\s\S]*)$/.exec(err.message) : null;
      if (m) throw new ImportFileError(`malformed XML: ${m[3]} (XML 格式错误)`, Number(m[1]), Number(m[2]) + 1);
      throw err;
    }
  }
}

/**
 * Parses the whole file, calling `events` as records close, and yields after each chunk: the caller takes the records
 * collected so far and does its async work while the rest of the file waits.
 */
export async function* parseXmlFile(file: string, events: XmlEvents, signal?: AbortSignal): AsyncGenerator<void> {
  const xml = new XmlStream(events);
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES, signal }) as AsyncIterable<Buffer>) {
    xml.write(chunk);
    yield;
  }
  xml.end();
  yield;
}

function attrsOf(tag: SaxesTagNS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of Object.values(tag.attributes)) {
    if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
    out[a.uri ? qualified(a.uri, a.local) : a.local] = a.value;
  }
  return out;
}

/** The markup of a node's children (Atom's `type="xhtml"` content), escaped again. */
export function innerXml(node: XmlNode): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const attr = (s: string) => esc(s).replace(/"/g, '&quot;');
  const walk = (n: XmlNode): string => {
    const local = n.name.replace(/^[^:]*:/, '');
    const attrs = Object.entries(n.attrs)
      .map(([k, v]) => ` ${k.replace(/^[^:]*:/, '')}="${attr(v)}"`)
      .join('');
    return `<${local}${attrs}>${esc(n.text)}${n.children.map(walk).join('')}</${local}>`;
  };
  return esc(node.text) + node.children.map(walk).join('');
}
