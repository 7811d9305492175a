import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import { extractFigures, type KeyFigure } from '../nlp/figures.ts';
import { suggestKeywords } from '../nlp/keywords.ts';
import { bandKeys, decodeSignature, fingerprint, similarity } from '../nlp/minhash.ts';
import { extractSummary } from '../nlp/summary.ts';
import { authorize, can } from '../policy.ts';
import type { Article } from './article.ts';
import { prepareBody } from './body.ts';
import { cleanLine } from './html.ts';
import { ANALYSED_CHARS, fingerprintText } from './related.ts';

export const DUPLICATES = {
  /** Estimated Jaccard similarity of character shingles from which a text counts as a copy. */
  threshold: 0.5,
  max: 10,
  /** Candidates sharing a band key, checked against their full signatures. */
  candidates: 50,
  /** Texts shorter than this (in shingles) match too much by chance to call anything a copy. */
  minShingles: 30,
};

export interface Duplicate {
  article: Article;
  similarity: number;
}

export interface Assist {
  summary: string;
  keywords: string[];
  figures: KeyFigure[];
  duplicates: Duplicate[];
}

/** Existing articles the text is a near copy of (syndicated or re-filed), most similar first; only ones the actor may read. */
export async function findDuplicates(ctx: Ctx, actor: Actor, text: string, exclude?: number): Promise<Duplicate[]> {
  const fp = fingerprint(text);
  if (fp.shingles < DUPLICATES.minShingles) return [];
  const mates = (await ctx.store.related.bucketMates(bandKeys(fp.signature), DUPLICATES.candidates)).filter((id) => id !== exclude);
  const signatures = await ctx.store.related.signatures(mates);
  const close = mates
    .map((id) => ({ id, similarity: similarity(fp.signature, decodeSignature(signatures.get(id)?.signature ?? '')) }))
    .filter((m) => m.similarity >= DUPLICATES.threshold);
  const articles = new Map((await ctx.store.articles.findMany(close.map((c) => c.id))).map((a) => [a.id, a]));
  return close
    .filter((c) => articles.has(c.id) && can(actor, 'article.read', articles.get(c.id)))
    .sort((a, b) => b.similarity - a.similarity || b.id - a.id)
    .slice(0, DUPLICATES.max)
    .map((c) => ({ article: articles.get(c.id)!, similarity: Math.round(c.similarity * 100) / 100 }));
}

/**
 * Editor assists for a draft: an extractive summary, keyword suggestions, key figures for a fact box and
 * near-duplicates among existing articles. `articleId` leaves the draft itself out of its duplicates.
 */
export async function assistArticle(ctx: Ctx, actor: Actor, input: { title: string; body: string; articleId?: number }): Promise<Assist> {
  authorize(actor, 'article.assist');
  const title = cleanLine(input.title);
  const text = (await prepareBody(input.body)).bodyText.slice(0, ANALYSED_CHARS);
  return {
    summary: extractSummary(title, text),
    keywords: suggestKeywords(title, text),
    figures: extractFigures(text),
    duplicates: await findDuplicates(ctx, actor, fingerprintText(title, text), input.articleId),
  };
}
