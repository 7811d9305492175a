/**
 * Whether a client's Accept-Encoding takes a coding: named whole (not `x-br`) and not refused with q=0 (`br;q=0`,
 * what a client that cannot decode it may say).
 */
export function acceptsEncoding(accept: string | undefined, coding: 'br' | 'gzip'): boolean {
  if (!accept) return false;
  for (const part of accept.split(',')) {
    const [name = '', ...params] = part.split(';');
    if (name.trim().toLowerCase() !== coding) continue;
    const q = params.find((p) => /^\s*q\s*=/i.test(p));
    return q === undefined || Number(q.slice(q.indexOf('=') + 1)) > 0;
  }
  return false;
}

/** The compression to answer in: brotli if the client takes it, else gzip if so, else none. */
export function acceptedEncoding(accept: string | undefined): 'br' | 'gzip' | undefined {
  return acceptsEncoding(accept, 'br') ? 'br' : acceptsEncoding(accept, 'gzip') ? 'gzip' : undefined;
}
