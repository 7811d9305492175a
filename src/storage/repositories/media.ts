import { sql, type Kysely, type Selectable } from 'kysely';
import {
  mediaKeyOf,
  MEDIA_PREFIX,
  type Media,
  type MediaDescription,
  type MediaListing,
  type MediaQuery,
  type MediaTopicUse,
  type MediaUse,
  type MediaVariant,
} from '../../domain/media/media.ts';
import type { Dialect } from '../migrations/index.ts';
import type { DB, MediaTable } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

/** LIKE with the pattern's own wildcards taken literally (ESCAPE '\\' on both stores). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
}

/** A foreign key refused the write: the upload was deleted, or is used, by a transaction that committed meanwhile. */
export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === '23503' || e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || /FOREIGN KEY constraint failed/i.test(e.message ?? '');
}

/** Uploaded images: one row per upload, the variant list as JSON. */
export class MediaRepository implements Port.MediaRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {}

  async insert(m: Omit<Media, 'id'>): Promise<number> {
    const { id } = await this.db
      .insertInto('media')
      .values({
        account_id: m.accountId,
        key: m.key,
        original_name: m.originalName,
        mime: m.mime,
        width: m.width,
        height: m.height,
        bytes: m.bytes,
        sha256: m.sha256,
        variants: JSON.stringify(m.variants),
        created_at: m.createdAt,
        caption: m.caption,
        alt: m.alt,
        credit: m.credit,
        source_url: m.sourceUrl,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }

  async findById(id: number): Promise<Media | undefined> {
    const row = await this.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMedia(row) : undefined;
  }

  /** The earliest upload of exactly these bytes, whose files a new upload may reuse. */
  async findBySha256(sha256: string): Promise<Media | undefined> {
    const row = await this.db.selectFrom('media').selectAll().where('sha256', '=', sha256).orderBy('id').limit(1).executeTakeFirst();
    return row ? toMedia(row) : undefined;
  }

  /** One upload per key (identical uploads share a key and files, so any of them will do). */
  async findByKeys(keys: readonly string[]): Promise<Map<string, Media>> {
    const found = new Map<string, Media>();
    if (keys.length === 0) return found;
    const rows = await this.db
      .selectFrom('media')
      .selectAll()
      .where('key', 'in', [...new Set(keys)])
      .orderBy('id')
      .execute();
    for (const row of rows) if (!found.has(row.key)) found.set(row.key, toMedia(row));
    return found;
  }

  /** Every upload (id and key) of these keys: identical uploads share a key, and an article using it uses them all. */
  async idsByKeys(keys: readonly string[]): Promise<{ id: number; key: string }[]> {
    if (keys.length === 0) return [];
    return this.db
      .selectFrom('media')
      .select(['id', 'key'])
      .where('key', 'in', [...new Set(keys)])
      .execute();
  }

  /**
   * The upload this remote address was re-hosted as: the newest one fetched from it, else the earliest one of the bytes
   * it gave when those bytes were already in the library (media_sources).
   */
  async findBySourceUrl(url: string): Promise<Media | undefined> {
    const row = await this.db.selectFrom('media').selectAll().where('source_url', '=', url).orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (row) return toMedia(row);
    const seen = await this.db
      .selectFrom('media_sources')
      .innerJoin('media', 'media.sha256', 'media_sources.sha256')
      .selectAll('media')
      .where('media_sources.url', '=', url)
      .orderBy('media.id')
      .limit(1)
      .executeTakeFirst();
    return seen ? toMedia(seen) : undefined;
  }

  async rememberSource(url: string, sha256: string, at: number): Promise<void> {
    await this.db
      .insertInto('media_sources')
      .values({ url, sha256, fetched_at: at })
      .onConflict((oc) => oc.column('url').doUpdateSet({ sha256, fetched_at: at }))
      .execute();
  }

  /**
   * Locks the rows of a key against deletion until the transaction ends (PostgreSQL; SQLite has one writer) and says
   * whether any is left: an upload reusing a key's files must not race the deletion of its last row.
   */
  async holdKey(key: string): Promise<boolean> {
    const q = this.db.selectFrom('media').select('id').where('key', '=', key);
    const rows = await (this.dialect === 'postgres' ? q.forShare() : q).execute();
    return rows.length > 0;
  }

  async countByKey(key: string): Promise<number> {
    const { n } = await this.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  async list(q: MediaQuery): Promise<MediaListing[]> {
    let query = this.db
      .selectFrom('media')
      .leftJoin('accounts', 'accounts.id', 'media.account_id')
      .selectAll('media')
      .select(['accounts.username as uploader_username', 'accounts.display_name as uploader_name'])
      // The articles using it: in their body or cover, or in an entry of their live (each article once).
      .select(
        sql<number>`(select count(*) from (select article_id from media_usage where media_id = media.id union select article_id from live_entry_media where media_id = media.id) u)`.as(
          'used_by',
        ),
      );
    if (q.id !== undefined) query = query.where('media.id', '=', q.id);
    if (q.uploaderId !== undefined) query = query.where('media.account_id', '=', q.uploaderId);
    if (q.from !== undefined) query = query.where('media.created_at', '>=', q.from);
    if (q.to !== undefined) query = query.where('media.created_at', '<', q.to);
    if (q.beforeId !== undefined) query = query.where('media.id', '<', q.beforeId);
    if (q.q) {
      const pattern = likePattern(q.q);
      // ILIKE on PostgreSQL; SQLite's LIKE ignores ASCII case already (CJK has none).
      const like = this.dialect === 'postgres' ? sql.raw('ilike') : sql.raw('like');
      query = query.where(({ or }) =>
        or((['media.caption', 'media.alt', 'media.original_name'] as const).map((col) => sql<boolean>`${sql.ref(col)} ${like} ${pattern} escape '\\'`)),
      );
    }
    const rows = await query.orderBy('media.id', 'desc').limit(q.limit).execute();
    return rows.map((r) => ({
      ...toMedia(r),
      uploader: r.uploader_username ? { username: r.uploader_username, displayName: r.uploader_name ?? r.uploader_username } : null,
      usedBy: Number(r.used_by ?? 0),
    }));
  }

  async describe(id: number, changes: MediaDescription): Promise<void> {
    const set: { caption?: string; alt?: string; credit?: string } = {};
    if (changes.caption !== undefined) set.caption = changes.caption;
    if (changes.alt !== undefined) set.alt = changes.alt;
    if (changes.credit !== undefined) set.credit = changes.credit;
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('media').set(set).where('id', '=', id).execute();
  }

  /** The articles whose current body or cover, or whose live's entries, use the upload, newest first. */
  async usedBy(mediaId: number, limit = 200): Promise<MediaUse[]> {
    // One after the other: inside a transaction both go over its one connection.
    const inArticles = await this.db
      .selectFrom('media_usage')
      .innerJoin('articles', 'articles.id', 'media_usage.article_id')
      .select(['articles.id', 'articles.title', 'articles.status', 'articles.author_id as authorId'])
      .where('media_usage.media_id', '=', mediaId)
      .orderBy('articles.id', 'desc')
      .limit(limit)
      .execute();
    const inLives = await this.db
      .selectFrom('live_entry_media')
      .innerJoin('articles', 'articles.id', 'live_entry_media.article_id')
      .select(['articles.id', 'articles.title', 'articles.status', 'articles.author_id as authorId', 'live_entry_media.entry_id'])
      .where('live_entry_media.media_id', '=', mediaId)
      .orderBy('articles.id', 'desc')
      .orderBy('live_entry_media.entry_id')
      .limit(limit)
      .execute();
    const uses = new Map<number, MediaUse>();
    for (const a of inArticles) uses.set(a.id, { id: a.id, title: a.title, status: a.status, authorId: a.authorId, inArticle: true, liveEntries: [] });
    for (const e of inLives) {
      const use = uses.get(e.id) ?? { id: e.id, title: e.title, status: e.status, authorId: e.authorId, inArticle: false, liveEntries: [] };
      use.liveEntries.push(e.entry_id);
      uses.set(e.id, use);
    }
    return [...uses.values()].sort((a, b) => b.id - a.id).slice(0, limit);
  }

  /** False when an article came to use it meanwhile (the foreign key refused) or it was gone already. */
  async topicCovers(key: string): Promise<MediaTopicUse[]> {
    // The pattern narrows; the key check decides (LIKE is case-blind on SQLite, and `_` in a key is a wildcard).
    const rows = await this.db
      .selectFrom('topics')
      .select(['id', 'slug', 'title', 'cover'])
      .where('cover', 'like', `${MEDIA_PREFIX}${key}-%`)
      .orderBy('id')
      .execute();
    return rows.filter((r) => mediaKeyOf(r.cover) === key).map(({ id, slug, title }) => ({ id, slug, title }));
  }

  async delete(id: number): Promise<boolean> {
    try {
      const res = await this.db.deleteFrom('media').where('id', '=', id).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    } catch (err) {
      if (isForeignKeyViolation(err)) return false;
      throw err;
    }
  }

  /** The uploads an article uses, by id. */
  async usageOf(articleId: number): Promise<number[]> {
    const rows = await this.db.selectFrom('media_usage').select('media_id').where('article_id', '=', articleId).execute();
    return rows.map((r) => r.media_id);
  }

  /**
   * Makes the article's usage exactly these uploads. False when one of them was deleted by a transaction that
   * committed meanwhile (the foreign key refused the row).
   */
  async setUsage(articleId: number, mediaIds: readonly number[]): Promise<boolean> {
    const wanted = new Set(mediaIds);
    const current = new Set(await this.usageOf(articleId));
    const gone = [...current].filter((id) => !wanted.has(id));
    const added = [...wanted].filter((id) => !current.has(id));
    if (gone.length > 0) await this.db.deleteFrom('media_usage').where('article_id', '=', articleId).where('media_id', 'in', gone).execute();
    if (added.length === 0) return true;
    try {
      await this.db
        .insertInto('media_usage')
        .values(added.map((media_id) => ({ article_id: articleId, media_id })))
        .execute();
      return true;
    } catch (err) {
      if (isForeignKeyViolation(err)) return false;
      throw err;
    }
  }

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}

function toMedia(r: Selectable<MediaTable>): Media {
  return {
    id: r.id,
    accountId: r.account_id,
    key: r.key,
    originalName: r.original_name,
    mime: r.mime as Media['mime'],
    width: r.width,
    height: r.height,
    bytes: Number(r.bytes),
    sha256: r.sha256,
    variants: JSON.parse(r.variants) as MediaVariant[],
    createdAt: Number(r.created_at),
    caption: r.caption,
    alt: r.alt,
    credit: r.credit,
    sourceUrl: r.source_url,
  };
}
