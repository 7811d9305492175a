import { sql, type Kysely, type Selectable } from 'kysely';
import type * as Port from '../../domain/live/live.ts';
import type { LiveEntry, LiveEntryKey, LiveEntryWrite, LiveImage, LiveStatus, LiveStream } from '../../domain/live/live.ts';
import type { DB, LiveEntryTable, LiveStreamTable } from '../schema.ts';
import { isForeignKeyViolation } from './media.ts';
import { prepared } from '../prepared.ts';

/** An article's live stream, if any (every article page asks), prepared (see prepared.ts). */
const streamOf = prepared(
  (db: Kysely<DB>, articleId: number) =>
    db
      .selectFrom('live_streams')
      .select(['article_id', 'status', 'seq', 'status_seq', 'opened_by', 'opened_at', 'closed_by', 'closed_at'])
      .where('article_id', '=', articleId),
  { batched: true },
);

type EntryRow = Selectable<LiveEntryTable> & { author_name: string | null };

function toStream(r: Selectable<LiveStreamTable>): LiveStream {
  return {
    articleId: r.article_id,
    status: r.status as LiveStatus,
    seq: Number(r.seq),
    statusSeq: Number(r.status_seq),
    openedAt: Number(r.opened_at),
    openedBy: r.opened_by,
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
    closedBy: r.closed_by,
  };
}

function parseImages(json: string): LiveImage[] {
  try {
    const value = JSON.parse(json) as unknown;
    return Array.isArray(value) ? (value as LiveImage[]) : [];
  } catch {
    return [];
  }
}

function toEntry(r: EntryRow): LiveEntry {
  return {
    id: r.id,
    articleId: r.article_id,
    seq: Number(r.seq),
    authorId: r.author_id,
    authorName: r.author_name ?? '',
    body: r.body,
    quote: r.quote_text ? { text: r.quote_text, source: r.quote_source } : null,
    images: parseImages(r.images),
    pinned: r.pinned === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
  };
}

const columns = (e: LiveEntryWrite) => ({
  body: e.body,
  quote_text: e.quote?.text ?? '',
  quote_source: e.quote?.source ?? '',
  images: JSON.stringify(e.images),
  pinned: e.pinned ? 1 : 0,
});

/** Lives and their entries (see the live migration for the sequence every change takes a number of). */
export class LiveRepository implements Port.LiveRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async find(articleId: number): Promise<LiveStream | undefined> {
    const [row] = await streamOf(this.db, articleId);
    return row ? toStream(row) : undefined;
  }

  async setStatus(articleId: number, status: LiveStatus, by: number, at: number): Promise<LiveStream> {
    const closed = status === 'ended';
    // One statement either way: the upsert takes the row's lock, so the number it hands out is ordered like the others.
    const row = await this.db
      .insertInto('live_streams')
      .values({
        article_id: articleId,
        status,
        seq: 1,
        status_seq: 1,
        opened_by: by,
        opened_at: at,
        closed_by: closed ? by : null,
        closed_at: closed ? at : null,
      })
      .onConflict((oc) =>
        oc.column('article_id').doUpdateSet({
          status,
          seq: sql<number>`live_streams.seq + 1`,
          status_seq: sql<number>`live_streams.seq + 1`,
          ...(closed
            ? { closed_by: by, closed_at: at }
            : { closed_by: null, closed_at: null, opened_by: sql<number>`case when live_streams.status = 'live' then live_streams.opened_by else ${by} end` }),
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStream(row);
  }

  async nextSeq(articleId: number): Promise<number | undefined> {
    const row = await this.db
      .updateTable('live_streams')
      .set({ seq: sql<number>`seq + 1` })
      .where('article_id', '=', articleId)
      .returning('seq')
      .executeTakeFirst();
    return row ? Number(row.seq) : undefined;
  }

  async insertEntry(articleId: number, seq: number, authorId: number, entry: LiveEntryWrite, at: number): Promise<number> {
    const row = await this.db
      .insertInto('live_entries')
      .values({
        article_id: articleId,
        seq,
        author_id: authorId,
        ...columns(entry),
        created_at: at,
        updated_at: at,
        updated_by: authorId,
        deleted_at: null,
        deleted_by: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  private entries() {
    return this.db.selectFrom('live_entries as e').leftJoin('accounts as a', 'a.id', 'e.author_id').selectAll('e').select('a.display_name as author_name');
  }

  async findEntry(articleId: number, entryId: number): Promise<LiveEntry | undefined> {
    const row = await this.entries().where('e.id', '=', entryId).where('e.article_id', '=', articleId).executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  async updateEntry(entryId: number, seq: number, entry: LiveEntryWrite, by: number, at: number): Promise<void> {
    await this.db
      .updateTable('live_entries')
      .set({ ...columns(entry), seq, updated_at: at, updated_by: by })
      .where('id', '=', entryId)
      .execute();
  }

  async pinnedIds(articleId: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('live_entries')
      .select('id')
      .where('article_id', '=', articleId)
      .where('pinned', '=', 1)
      .where('deleted_at', 'is', null)
      .execute();
    return rows.map((r) => r.id);
  }

  async unpin(entryId: number, seq: number, at: number): Promise<void> {
    await this.db.updateTable('live_entries').set({ pinned: 0, seq, updated_at: at }).where('id', '=', entryId).execute();
  }

  async deleteEntry(entryId: number, seq: number, by: number, at: number): Promise<void> {
    // A deleted entry shows no image: it no longer keeps one from being deleted.
    await this.db.deleteFrom('live_entry_media').where('entry_id', '=', entryId).execute();
    await this.db
      .updateTable('live_entries')
      .set({ body: '', quote_text: '', quote_source: '', images: '[]', pinned: 0, seq, updated_at: at, updated_by: by, deleted_at: at, deleted_by: by })
      .where('id', '=', entryId)
      .execute();
  }

  async visibleEntries(articleId: number, limit: number): Promise<LiveEntry[]> {
    const rows = await this.entries()
      .where('e.article_id', '=', articleId)
      .where('e.deleted_at', 'is', null)
      .orderBy('e.pinned', 'desc')
      .orderBy('e.created_at', 'desc')
      .orderBy('e.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toEntry);
  }

  async changesAfter(articleId: number, afterSeq: number, limit: number): Promise<LiveEntry[]> {
    const rows = await this.entries().where('e.article_id', '=', articleId).where('e.seq', '>', afterSeq).orderBy('e.seq').limit(limit).execute();
    return rows.map(toEntry);
  }

  async setEntryMedia(entryId: number, articleId: number, mediaIds: readonly number[]): Promise<boolean> {
    const wanted = new Set(mediaIds);
    const rows = await this.db.selectFrom('live_entry_media').select('media_id').where('entry_id', '=', entryId).execute();
    const current = new Set(rows.map((r) => r.media_id));
    const gone = [...current].filter((id) => !wanted.has(id));
    const added = [...wanted].filter((id) => !current.has(id));
    if (gone.length > 0) await this.db.deleteFrom('live_entry_media').where('entry_id', '=', entryId).where('media_id', 'in', gone).execute();
    if (added.length === 0) return true;
    try {
      await this.db
        .insertInto('live_entry_media')
        .values(added.map((media_id) => ({ entry_id: entryId, article_id: articleId, media_id })))
        .execute();
      return true;
    } catch (err) {
      if (isForeignKeyViolation(err)) return false;
      throw err;
    }
  }

  async findKey(accountId: number, key: string): Promise<LiveEntryKey | undefined> {
    const row = await this.db
      .selectFrom('live_entry_keys')
      .select(['article_id', 'fingerprint', 'entry_id'])
      .where('account_id', '=', accountId)
      .where('idem_key', '=', key)
      .executeTakeFirst();
    return row ? { articleId: row.article_id, fingerprint: row.fingerprint, entryId: row.entry_id } : undefined;
  }

  async saveKey(accountId: number, key: string, k: LiveEntryKey, at: number): Promise<boolean> {
    // On PostgreSQL a concurrent insert of the same key waits for the other transaction, then does nothing if it committed.
    const row = await this.db
      .insertInto('live_entry_keys')
      .values({ account_id: accountId, idem_key: key, article_id: k.articleId, fingerprint: k.fingerprint, entry_id: k.entryId, created_at: at })
      .onConflict((oc) => oc.columns(['account_id', 'idem_key']).doNothing())
      .returning('entry_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async countEntries(articleId: number): Promise<number> {
    const row = await this.db
      .selectFrom('live_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('article_id', '=', articleId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
