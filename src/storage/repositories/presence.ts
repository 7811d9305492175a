import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

/** Heartbeats of the newsroom editor: who has which article open, since when, and when they were last seen. */
export class PresenceRepository implements Port.PresenceRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async beat(b: Port.Heartbeat): Promise<void> {
    const editing = b.editing ? 1 : 0;
    await this.db
      .insertInto('article_presence')
      .values({ article_id: b.articleId, account_id: b.accountId, seen_at: b.at, since: b.at, editing })
      .onConflict((oc) =>
        oc.columns(['article_id', 'account_id']).doUpdateSet({
          seen_at: b.at,
          editing,
          // The same stretch while the last heartbeat is recent; after a gap, a new one from now.
          since: sql<number>`case when article_presence.seen_at >= ${b.continuesAfter} then article_presence.since else excluded.since end`,
        }),
      )
      .execute();
  }

  async seenSince(articleId: number, since: number): Promise<Port.Present[]> {
    const rows = await this.db
      .selectFrom('article_presence as p')
      .innerJoin('accounts as a', 'a.id', 'p.account_id')
      .select(['p.account_id', 'a.username', 'a.display_name', 'p.editing', 'p.since', 'p.seen_at'])
      .where('p.article_id', '=', articleId)
      .where('p.seen_at', '>=', since)
      .where('a.disabled_at', 'is', null)
      .orderBy('p.since')
      .orderBy('p.account_id')
      .execute();
    return rows.map((r) => ({
      accountId: r.account_id,
      username: r.username,
      displayName: r.display_name,
      editing: Boolean(r.editing),
      since: r.since,
      seenAt: r.seen_at,
    }));
  }

  async prune(before: number): Promise<number> {
    const result = await this.db.deleteFrom('article_presence').where('seen_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
