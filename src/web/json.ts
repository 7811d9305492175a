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
