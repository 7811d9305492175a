import type { FieldRank, Term, TextTerm, WordTerm } from './search-index.ts';

/**
 * Relevance without asking the index for statistics. An index's own scores (FTS5's bm25, PostgreSQL's ts_rank) need
 * every query word's document frequency or every candidate's token vectors: bm25 reads each phrase's whole posting list
 * to count its documents, which at a million articles cost more than finding the candidates (a word in most articles:
 * 10–50 ms against 0.3 ms). Every candidate already has every query term somewhere (the match is an AND), so what
 * tells them apart is where: a term in the title says the article is about it, a tag nearly as much, the text less.
 * That is read here from each candidate's head — its title and tags, normalized as queries are — which the index keeps
 * beside the document (searchHead in document.ts; a few dozen bytes), so ranking 500 candidates is a few microseconds each, on every store alike.
 */

/** Each field's weight in a candidate's score, by FieldRank (title, tags, summary, body). */
export const FIELD_WEIGHTS = [10, 6, 3, 1] as const;

const ASCII_WORD = /^[a-z0-9]+$/;
const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a);

/** Where `needle` first occurs in `head` as a term would match it: a Latin word or number only as a whole word. */
function find(head: string, needle: string): number {
  if (!ASCII_WORD.test(needle)) return head.indexOf(needle);
  for (let at = head.indexOf(needle); at >= 0; at = head.indexOf(needle, at + 1)) {
    const end = at + needle.length;
    if ((at === 0 || !isAlnum(head.charCodeAt(at - 1))) && (end === head.length || !isAlnum(head.charCodeAt(end)))) return at;
  }
  return -1;
}

const termText = (t: WordTerm | TextTerm) => (t.kind === 'word' ? t.token : t.text);

/** Where the term (or the first found of its alternatives) first occurs in the head. No closure: 500 candidates a search. */
function firstAt(head: string, term: Term): number {
  if (term.kind !== 'any') return find(head, termText(term));
  let best = -1;
  for (const t of term.of) {
    const at = find(head, termText(t));
    if (at >= 0 && (best < 0 || at < best)) best = at;
  }
  return best;
}

/**
 * The best field a matching document has the term in, as far as its head tells: the title, a tag, or (a document
 * matches every term somewhere) the rest of the text. A document indexed before heads were kept has none: the rest.
 */
export function headField(head: string | null | undefined, term: Term): FieldRank {
  if (!head) return 3;
  const at = firstAt(head, term);
  if (at < 0) return 3;
  const titleEnd = head.indexOf('\n');
  return titleEnd < 0 || at < titleEnd ? 0 : 1;
}

/** A candidate's relevance: the sum of its terms' field weights (every term counts at least as text). */
export function headScore(head: string | null | undefined, terms: readonly Term[]): number {
  let score = 0;
  for (const term of terms) score += FIELD_WEIGHTS[headField(head, term)];
  return score;
}
