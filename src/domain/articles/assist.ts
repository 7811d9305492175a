import type { Actor } from '../accounts/roles.ts';
import type { Ctx } from '../context.ts';
import type { KeyFigure } from '../nlp/figures.ts';
import { bandKeys, decodeSignature, similarity, type Fingerprint } from '../nlp/minhash.ts';
import { authorize, can } from '../policy.ts';
import type { Article } from './article.ts';
import { prepareAssist } from './body.ts';
import { cleanLine } from './html.ts';

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

/** Existing articles a text (by its fingerprint) is a near copy of (syndicated or re-filed), most similar first; only ones the actor may read. */
export async function findDuplicates(ctx: Ctx, actor: Actor, fp: Fingerprint, exclude?: number): Promise<Duplicate[]> {
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
  // The text work (the body prepared, then summary, keywords, figures, fingerprint) runs in the body worker past a few KB.
  const texts = await prepareAssist(cleanLine(input.title), input.body);
  return {
    summary: texts.summary,
    keywords: texts.keywords,
    figures: texts.figures,
    duplicates: await findDuplicates(ctx, actor, texts.fingerprint, input.articleId),
  };
}
