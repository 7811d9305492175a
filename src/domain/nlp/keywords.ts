import { NOUN_TAGS, termWeights, topTerms } from './tfidf.ts';

export const KEYWORDS = { min: 5, max: 10, titleBoost: 3 };
/** Past the minimum, a keyword must weigh at least this share of the heaviest one. */
const TAIL_SHARE = 0.3;

/** Latin words are lower-cased for weighing; readers expect them as the text wrote them (AI, not ai). */
function displayForm(keyword: string, text: string): string {
  if (!/[a-z]/.test(keyword)) return keyword;
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped, 'i').exec(text.normalize('NFKC'))?.[0] ?? keyword;
}

/**
 * Suggested keywords (tags): nouns by TF-IDF, title words counted three times. 5–10 when the text has that many
 * distinct nouns of two or more characters; bare numbers and single characters never qualify.
 */
export function suggestKeywords(title: string, body: string): string[] {
  const weights = termWeights([
    { text: title, boost: KEYWORDS.titleBoost, tags: NOUN_TAGS },
    { text: body, boost: 1, tags: NOUN_TAGS },
  ]);
  const ranked = topTerms(weights, KEYWORDS.max);
  const top = ranked[0]?.[1] ?? 0;
  const chosen = ranked.filter(([, w], i) => i < KEYWORDS.min || w >= top * TAIL_SHARE);
  const text = `${title}\n${body}`;
  return chosen.map(([k]) => displayForm(k, text));
}
