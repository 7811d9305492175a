import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';

/** The reader cookie's value (`id.signature`) from a response, if one was set. */
export function readerCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const raw = res.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw === undefined ? [] : [String(raw)];
  for (const c of all as string[]) {
    const m = /^inkstone_reader=([^;]+)/.exec(c);
    if (m) return m[1];
  }
  return undefined;
}

export interface VoteOptions {
  cookie?: string;
  ip?: string;
  headers?: Record<string, string>;
}

/** One vote through the JSON API, as a browser would send it. */
export function vote(app: FastifyInstance, articleId: number | string, mood: unknown, o: VoteOptions = {}) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/articles/${articleId}/reactions`,
    remoteAddress: o.ip ?? '127.0.0.1',
    headers: { ...(o.cookie ? { cookie: `inkstone_reader=${o.cookie}` } : {}), ...o.headers },
    payload: { mood },
  });
}

/** The vote rows of an article as the database holds them (reader → mood, held). */
export async function voteRows(db: Kysely<any>, articleId: number) {
  // Straight from the table: the tests check what is stored, not the repository's own view of it.
  const rows = await db
    .selectFrom('reaction_votes')
    .select(['reader_id', 'mood', 'held', 'address_hash', 'prefix_hash', 'voted_at'])
    .where('article_id', '=', articleId)
    .execute();
  return rows as { reader_id: string; mood: string; held: number; address_hash: string; prefix_hash: string; voted_at: number }[];
}

/** Public counts straight from the vote rows: what the displayed counts must always equal. */
export async function countsFromRows(db: Kysely<any>, articleId: number, moods = ['happy', 'sad', 'like', 'pass']) {
  const counts: Record<string, number> = Object.fromEntries(moods.map((m) => [m, 0]));
  for (const r of await voteRows(db, articleId)) if (Number(r.held) === 0) counts[r.mood] = (counts[r.mood] ?? 0) + 1;
  return counts;
}
