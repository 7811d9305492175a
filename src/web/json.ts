/** No request of ours nests deeper than a few levels; deeper JSON is refused before it is parsed. */
export const JSON_MAX_DEPTH = 32;

/**
 * Whether JSON text opens more than `max` arrays or objects inside each other, in one linear pass that stops at
 * the first level too deep. Brackets inside strings do not count; malformed text is left to the parser.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** A high surrogate not followed by a low one, or a low one not after a high one: half a character. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Only a \u escape can put a surrogate into parsed JSON: the body's UTF-8 decodes to whole characters. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Whether parsed JSON holds a string (value or key) with a lone surrogate (`"\uD800"`). Such a string stands for no
 * text: SQLite and PostgreSQL store it as replacement characters, so what is read back differs from what was written
 * (a tag's row was then not found again). `text` is the body it was parsed from; most bodies are passed over on it.
 */
export function hasLoneSurrogate(text: string, value: unknown): boolean {
  return SURROGATE_ESCAPE.test(text) && holdsLoneSurrogate(value);
}

function holdsLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(holdsLoneSurrogate);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => LONE_SURROGATE.test(key) || holdsLoneSurrogate(v));
  }
  return false;
}
