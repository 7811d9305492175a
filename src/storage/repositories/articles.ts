import { writeBehind } from '../write-behind.ts';
import {
  PostgresAdapter,
  sql,
  type Compilable,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type Selectable,
  type SelectQueryBuilder,
  type Updateable,
} from 'kysely';
import {
  hasImage,
  type ArchiveQuery,
  type ArchiveRow,
  type Article,
  type ArticleFields,
  type ArticlePatch,
  type ArticleTitle,
  type FeedPosition,
  type FeedQuery,
  type NewArticle,
  type NewsArticle,
  type NewsroomQuery,
  type PurgedArticle,
  type SitemapArticle,
  type SitemapRangeStats,
  type TrashEntry,
  type TrashQuery,
} from '../../domain/articles/article.ts';
import type { Dialect } from '../migrations/index.ts';
import { prepared } from '../prepared.ts';
import { SCAN_APART_FROM, scanApart } from '../related-finder.ts';
import type { ArticleStatus } from '../../domain/articles/status.ts';
import type { ArticleTable, DB } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

export type ArticleRow = Omit<Selectable<ArticleTable>, 'deleted_at' | 'deleted_by'> & { channel_path: string };

/**
 * The columns of an article patch; fields left undefined are left out of the update (Kysely skips them). has_image
 * follows the body and cover, which an edit always writes together (a workflow step writes neither).
 */
function patchColumns(p: ArticlePatch): Updateable<ArticleTable> {
  return {
    has_image: p.bodyHtml !== undefined && p.cover !== undefined ? Number(hasImage(p.bodyHtml, p.cover)) : undefined,
    title: p.title,
    subtitle: p.subtitle,
    summary: p.summary,
    body_html: p.bodyHtml,
    body_text: p.bodyText,
    channel_id: p.channelId,
    source: p.source,
    byline: p.byline,
    editor: p.editor,
    cover: p.cover,
    status: p.status,
    published_at: p.publishedAt,
    scheduled_at: p.scheduledAt,
    updated_at: p.updatedAt,
    revision: p.revision,
  };
}

/** The columns of a new article; with its publication and schedule times when it arrives with them (an import). */
export function newArticleColumns(a: NewArticle & Partial<Pick<ArticleFields, 'publishedAt' | 'scheduledAt'>>): Insertable<ArticleTable> {
  return {
    title: a.title,
    subtitle: a.subtitle,
    summary: a.summary,
    body_html: a.bodyHtml,
    body_text: a.bodyText,
    channel_id: a.channelId,
    source: a.source,
    byline: a.byline,
    editor: a.editor,
    cover: a.cover,
    status: a.status,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    author_id: a.authorId,
    revision: a.revision,
    has_image: Number(hasImage(a.bodyHtml, a.cover)),
    ...(a.publishedAt !== undefined ? { published_at: a.publishedAt } : {}),
    ...(a.scheduledAt !== undefined ? { scheduled_at: a.scheduledAt } : {}),
  };
}

/** Every column of an article but its body. */
const META_COLUMNS = [
  'id',
  'title',
  'subtitle',
  'summary',
  'channel_id',
  'source',
  'byline',
  'editor',
  'cover',
  'status',
  'published_at',
  'scheduled_at',
  'created_at',
  'updated_at',
  'author_id',
  'revision',
  'has_image',
] as const satisfies readonly Exclude<keyof ArticleTable, 'body_html' | 'body_text' | 'deleted_at' | 'deleted_by'>[];

type Listing = SelectQueryBuilder<DB, 'articles', object>;

/** The archive's sort times: the column each sort reads. */
const SORT_COLUMN = { updated: 'updated_at', published: 'published_at', created: 'created_at' } as const;

export class ArticleRepository implements Port.ArticleRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect = 'sqlite',
    /** SQLite's database file: the start's counts are read in the reader thread (related-finder.ts) when there is one. */
    private readonly sqliteFile?: string,
    /** From this many articles (by the newest id) the counts are read there; tests set 0. */
    private readonly scanApartFrom = SCAN_APART_FROM,
  ) {}

  /**
   * Where every newsroom listing starts (the archive, its counts, the id walk of backups and related reading): the one
   * place for a rule that hides articles from all of them (the trash's `deleted_at is null`).
   */
  private listable(): Listing {
    // Out of the 回收站: checked against the trash's own small partial index (articles_trash), so that archive pages
    // still read covering indexes only (a `deleted_at is null` test would read every row).
    return this.db
      .selectFrom('articles')
      .where('articles.id', 'not in', (eb) => eb.selectFrom('articles as trashed').select('trashed.id').where('trashed.deleted_at', 'is not', null));
  }

  /**
   * The archive's filters, applied to a listing; see ArchiveQuery. `ordered`: for a page, walked in the sort's order.
   *
   * On SQLite an article's row holds its bodies inline, before the columns the filters and sorts read, so reading one
   * row follows its overflow pages (~40 µs). A page must therefore come from a covering index only: the sort time's
   * (`articles_archive_*`, walked from the cursor, each entry checked against the filters), or for one status under the
   * updated sort `articles_archive_status`. Every other filter column is written `+column`, which SQLite will not use
   * to pick an index (its planner would otherwise seek by channel or author in a narrower index and read the rows for
   * the sort time). PostgreSQL keeps bodies out of line and plans these well from its statistics.
   */
  private filtered(q: Omit<ArchiveQuery, 'after' | 'limit'>, ordered = true): Listing {
    const sqlite = this.dialect === 'sqlite';
    const col = <C extends 'status' | 'channel_id' | 'author_id' | 'has_image'>(c: C, indexable = false) =>
      sqlite && ordered && !indexable ? sql<ArticleTable[C]>`+${sql.ref(`articles.${c}`)}` : sql<ArticleTable[C]>`${sql.ref(`articles.${c}`)}`;
    let query = this.listable();
    const seekStatus = q.sort === 'updated' && q.statuses?.length === 1;
    if (q.statuses) query = query.where(col('status', seekStatus), 'in', q.statuses.length ? [...q.statuses] : ['']);
    if (q.channelIds) query = query.where(col('channel_id'), 'in', q.channelIds.length ? [...q.channelIds] : [-1]);
    if (q.authorId !== undefined) query = query.where(col('author_id'), '=', q.authorId);
    const me = q.ownOrPublishedOf;
    if (me !== undefined) query = query.where((eb) => eb.or([eb('articles.author_id', '=', me), eb('articles.status', '=', 'published')]));
    if (q.hasImage !== undefined) query = query.where(col('has_image'), '=', q.hasImage ? 1 : 0);
    if (q.beforeId !== undefined) query = query.where('articles.id', '<', q.beforeId);
    const time = SORT_COLUMN[q.sort];
    if (q.from !== undefined) query = query.where(`articles.${time}`, '>=', q.from);
    if (q.to !== undefined) query = query.where(`articles.${time}`, '<', q.to);
    if (q.ids) query = query.where((eb) => this.among(eb, q.ids!, !ordered));
    return query;
  }

  /**
   * id among a list of any length, as one bound value (a search can match thousands: past any bound-parameter limit).
   * On SQLite a page's list does not drive the plan (`+id`: the sort index is walked and each entry looked up in the
   * list); an unordered filter (`drive`) seeks each id in articles_archive_id, which covers the filters.
   */
  private among(eb: ExpressionBuilder<DB, 'articles'>, ids: readonly number[], drive: boolean) {
    const list = JSON.stringify(ids.filter((id) => Number.isSafeInteger(id)));
    if (this.dialect !== 'sqlite') return eb('articles.id', '=', sql<number>`any(${`{${list.slice(1, -1)}}`}::int[])`);
    const id = drive ? sql<number>`${sql.ref('articles.id')}` : sql<number>`+${sql.ref('articles.id')}`;
    return eb(id, 'in', sql<number>`(select value from json_each(${list}))`);
  }

  /**
   * One page of the archive: a keyset seek on (sort time, id) descending, answered from the archive index of that time
   * (which covers the filters), so no article row is read until the page's own. For the `published` sort the
   * never-published articles (no time) follow the others, by id.
   */
  async archivePage(q: ArchiveQuery): Promise<ArchiveRow[]> {
    const time = SORT_COLUMN[q.sort];
    const rows: ArchiveRow[] = [];
    const after = q.after;
    if (after === undefined || after.at !== null) {
      let query = this.filtered(q).select(['articles.id', `articles.${time} as at`]);
      if (time === 'published_at') query = query.where('articles.published_at', 'is not', null);
      if (after) query = query.where((eb) => eb(eb.refTuple(`articles.${time}`, 'articles.id'), '<', eb.tuple(after.at!, after.id)));
      const desc = time === 'published_at' && this.dialect === 'postgres' ? sql`desc nulls last` : sql`desc`;
      const timed = await query
        .orderBy(sql`${sql.ref(`articles.${time}`)} ${desc}`)
        .orderBy('articles.id', 'desc')
        .limit(q.limit)
        .execute();
      rows.push(...timed.map((r) => ({ id: r.id, at: r.at })));
    }
    // Only the published sort has articles without its time; a date range excludes them.
    const untimed = time === 'published_at' && q.from === undefined && q.to === undefined;
    if (untimed && rows.length < q.limit) {
      let query = this.filtered(q).select('articles.id').where('articles.published_at', 'is', null);
      if (after?.at === null) query = query.where('articles.id', '<', after.id);
      const rest = await query
        .orderBy('articles.id', 'desc')
        .limit(q.limit - rows.length)
        .execute();
      rows.push(...rest.map((r) => ({ id: r.id, at: null })));
    }
    return rows;
  }

  /** The ids among `q.ids` that pass the filters (the matches of a search, to be ordered by relevance). */
  async archiveFilter(q: Omit<ArchiveQuery, 'after' | 'limit'> & { ids: readonly number[] }): Promise<number[]> {
    if (q.ids.length === 0) return [];
    const rows = await this.filtered(q, false).select('articles.id').execute();
    return rows.map((r) => r.id);
  }

  /** Live articles: one in the 回收站 is gone for every read but the trash's own. */
  private base() {
    return this.db
      .selectFrom('articles')
      .innerJoin('channels', 'channels.id', 'articles.channel_id')
      .selectAll('articles')
      .select('channels.path as channel_path')
      .$if(this.dialect === 'postgres', (q) => q.select(TAG_NAMES.as('tag_names')))
      .where('articles.deleted_at', 'is', null);
  }

  private rows({ bodies, openingChars, html }: Port.ReadOptions = {}) {
    if (bodies === false) return withoutHtml(this.db, 'none');
    if (openingChars !== undefined) return withoutHtml(this.db, openingChars);
    return html === false ? withoutHtml(this.db, 'whole') : this.base();
  }

  /**
   * One article read as `rows(options)` reads it, by a prepared statement: a create and publish read their article
   * about eight times between the API and the outbox's work, and on PostgreSQL each unnamed read was planned again
   * (~0.3 ms of the server's CPU for these joins and subqueries, against ~0.05 ms to run; pg_stat_statements over 101
   * create + publish cycles at 300,000 articles).
   */
  private async oneRow(id: number, options: Port.ReadOptions) {
    const [row] =
      options.bodies === false
        ? await oneWithoutHtml.none(this.db, id)
        : options.openingChars !== undefined
          ? await oneWithoutHtml.opening(this.db, id, options.openingChars)
          : await oneWithoutHtml.whole(this.db, id);
    return row;
  }

  async insert(article: NewArticle): Promise<number> {
    const { id } = await this.db.insertInto('articles').values(newArticleColumns(article)).returning('id').executeTakeFirstOrThrow();
    return id;
  }

  /** With `revision`, only while the article is still at it: false when another write came first. */
  async update(id: number, patch: ArticlePatch, revision?: number): Promise<boolean> {
    let query = this.db.updateTable('articles').set(patchColumns(patch)).where('id', '=', id).where('deleted_at', 'is', null);
    if (revision !== undefined) query = query.where('revision', '=', revision);
    return Number((await query.executeTakeFirst()).numUpdatedRows) === 1;
  }

  async findById(id: number, options?: Port.ReadOptions): Promise<Article | undefined> {
    if (options === undefined || wholeArticle(options)) {
      // One statement with its tags: an array on PostgreSQL (TAG_NAMES), JSON text on SQLite (TAG_NAMES_JSON).
      const [row] = await articleById(this.db, id);
      return row && toArticle(row, row.tag_names ?? (JSON.parse(row.tag_json!) as string[]));
    }
    const row = await this.oneRow(id, options);
    if (!row) return undefined;
    const [article] = await this.withTags([row]);
    return article;
  }

  /**
   * An article with a body the caller holds (the one it just wrote, or is about to) in place of its stored one: the body
   * columns (up to 2 MB each; on SQLite a read that blocks the thread for tens of milliseconds) are not read.
   */
  async findWithBody(id: number, body: Pick<Article, 'bodyHtml' | 'bodyText'>): Promise<Article | undefined> {
    const [row] = await oneWithoutHtml.none(this.db, id);
    if (!row) return undefined;
    const [article] = await this.withTags([{ ...row, body_html: body.bodyHtml, body_text: body.bodyText }]);
    return article;
  }

  async findMany(ids: readonly number[], options?: Port.ReadOptions): Promise<Article[]> {
    if (ids.length === 0) return [];
    if (ids.length === 1) {
      const one = await this.findById(ids[0]!, options);
      return one ? [one] : [];
    }
    const rows = await this.rows(options)
      .where('articles.id', 'in', [...ids])
      .execute();
    const articles = await this.withTags(rows);
    const byId = new Map(articles.map((a) => [a.id, a]));
    return ids.map((id) => byId.get(id)).filter((a): a is Article => a !== undefined);
  }

  /**
   * Four columns and no tag query: a list of links (相关阅读) prints nothing else, and on SQLite the whole rows with their
   * tags cost four times as much (the status and time still follow the body's overflow pages; the title precedes them).
   */
  async publishedTitles(ids: readonly number[]): Promise<ArticleTitle[]> {
    if (ids.length === 0) return [];
    // SQLite reads them from the covering index `articles_lists`, named: past a few hundred thousand articles its
    // planner took the table's rowids instead (fewer seeks by its reckoning), and each of those walked a body's overflow
    // pages to reach the status behind it; at a million articles that doubled the list's cost (0.34 → 0.20 ms of CPU).
    const rows =
      this.dialect === 'sqlite'
        ? (
            await sql<{ id: number; title: string; published_at: number }>`select id, title, published_at from articles indexed by articles_lists
              where status = 'published' and id in (${sql.join([...ids])}) and deleted_at is null`.execute(this.db)
          ).rows
        : await this.db
            .selectFrom('articles')
            .select(['id', 'title', 'published_at'])
            .where('id', 'in', [...ids])
            .where('status', '=', 'published')
            .where('deleted_at', 'is', null)
            .execute();
    const byId = new Map(rows.map((r) => [r.id, { id: r.id, title: r.title, publishedAt: Number(r.published_at) }]));
    return ids.map((id) => byId.get(id)).filter((a): a is ArticleTitle => a !== undefined);
  }

  /** Published articles, newest first, keyset-paginated so new arrivals never shift a reader's next page. */
  async listPublished(q: FeedQuery): Promise<Article[]> {
    let query = this.rows({ bodies: q.bodies }).where('articles.status', '=', 'published');
    if (q.channelIds) query = query.where('articles.channel_id', 'in', q.channelIds.length ? q.channelIds : [-1]);
    if (q.before) {
      const { publishedAt, id } = q.before;
      // The range on published_at stands alone: under the OR alone SQLite (with bound values) takes a MULTI-INDEX OR
      // plan that reads every published row below the cursor — page 50 of the home feed cost 322 ms of CPU instead of
      // 12 ms at 100,000 articles (npm run bench:scale).
      query = query
        .where('articles.published_at', '<=', publishedAt)
        .where((eb) => eb.or([eb('articles.published_at', '<', publishedAt), eb('articles.id', '<', id)]));
    }
    const rows = await query.orderBy('articles.published_at', 'desc').orderBy('articles.id', 'desc').limit(q.limit).execute();
    return this.withTags(rows);
  }

  async publishedPositionFrom(from: FeedPosition, channelIds?: number[]): Promise<FeedPosition | undefined> {
    let query = this.db.selectFrom('articles').select(['published_at', 'id']).where('status', '=', 'published');
    if (channelIds) query = query.where('channel_id', 'in', channelIds.length ? channelIds : [-1]);
    // The same shape as listPublished's keyset, the other way: the range on published_at stands alone for the index.
    const row = await query
      .where('published_at', '>=', from.publishedAt)
      .where((eb) => eb.or([eb('published_at', '>', from.publishedAt), eb('id', '>=', from.id)]))
      .orderBy('published_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row ? { publishedAt: Number(row.published_at), id: Number(row.id) } : undefined;
  }

  /** Every article, newest id first, in pages (backups and rebuilds walk the whole archive with it). */
  async listNewsroom(q: NewsroomQuery): Promise<Article[]> {
    let query = this.listable().select('articles.id');
    if (q.status) query = query.where('articles.status', '=', q.status);
    if (q.authorId !== undefined) query = query.where('articles.author_id', '=', q.authorId);
    if (q.beforeId !== undefined) query = query.where('articles.id', '<', q.beforeId);
    const rows = await query.orderBy('articles.id', 'desc').limit(q.limit).execute();
    return this.findMany(rows.map((r) => r.id));
  }

  async maxPublishedId(): Promise<number> {
    const row = await this.db
      .selectFrom('articles')
      .select((eb) => eb.fn.max('id').as('max'))
      .where('status', '=', 'published')
      .executeTakeFirst();
    return Number(row?.max ?? 0);
  }

  async sitemapStats(fromId: number, toId: number): Promise<SitemapRangeStats> {
    const row = await this.db
      .selectFrom('articles')
      .select((eb) => [eb.fn.countAll().as('count'), eb.fn.max('updated_at').as('lastmod')])
      .where('id', '>=', fromId)
      .where('id', '<', toId)
      .where('status', '=', 'published')
      .executeTakeFirst();
    return { count: Number(row?.count ?? 0), lastmod: row?.lastmod == null ? null : Number(row.lastmod) };
  }

  async sitemapArticles(afterId: number, toId: number, limit: number): Promise<SitemapArticle[]> {
    const rows = await this.db
      .selectFrom('articles')
      .select(['id', 'updated_at', 'cover'])
      .where('id', '>', afterId)
      .where('id', '<', toId)
      .where('status', '=', 'published')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, updatedAt: Number(r.updated_at), cover: r.cover }));
  }

  async recentNews(since: number, limit: number): Promise<NewsArticle[]> {
    const rows = await this.db
      .selectFrom('articles')
      .select(['id', 'title', 'published_at'])
      .where('status', '=', 'published')
      .where('published_at', '>=', since)
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    const tags = await tagNamesByArticle(
      this.db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ id: r.id, title: r.title, publishedAt: Number(r.published_at), tags: tags.get(r.id) ?? [] }));
  }

  /** Published articles sharing tags with this one: most shared tags first, then newest. */
  async sharingTags(articleId: number, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('article_tags as mine')
      .innerJoin('article_tags as other', (j) => j.onRef('other.tag_id', '=', 'mine.tag_id').onRef('other.article_id', '!=', 'mine.article_id'))
      .innerJoin('articles', 'articles.id', 'other.article_id')
      .select(['articles.id', (eb) => eb.fn.countAll<number>().as('shared'), (eb) => eb.fn.max('articles.published_at').as('at')])
      .where('mine.article_id', '=', articleId)
      .where('articles.status', '=', 'published')
      .groupBy('articles.id')
      .orderBy('shared', 'desc')
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Two counts read from indexes alone: all of the status (the status indexes), less those in the 回收站 (the trash's
   * partial index, a few rows). Counted in one, `deleted_at` would be read from every row: a second per 100,000
   * articles on SQLite, on the event loop at every start.
   */
  async countByStatus(status: ArticleStatus): Promise<number> {
    // Counting 840,000 index entries from a cold cache held the event loop for a second right after a start.
    const apart = await scanApart<number>(this.db, this.sqliteFile, this.scanApartFrom, (file) => ({ kind: 'countByStatus', file, status }));
    if (apart !== undefined) return apart;
    const { n } = await this.db
      .selectFrom('articles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', status)
      .executeTakeFirstOrThrow();
    const { trashed } = await this.db
      .selectFrom('articles')
      .select((eb) => eb.fn.countAll<number>().as('trashed'))
      .where('deleted_at', 'is not', null)
      .where('status', '=', status)
      .executeTakeFirstOrThrow();
    return Number(n) - Number(trashed);
  }

  /** Ids of scheduled articles whose time has come. */
  async dueScheduled(now: number, limit = 50): Promise<number[]> {
    const rows = await this.db
      .selectFrom('articles')
      .select('id')
      .where('status', '=', 'scheduled')
      .where('scheduled_at', '<=', now)
      .orderBy('scheduled_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Flips a status only if it is still the expected one; false when another process got there first. */
  async compareAndSetStatus(id: number, expected: ArticleStatus, patch: ArticlePatch, revision?: number): Promise<boolean> {
    let query = this.db.updateTable('articles').set(patchColumns(patch)).where('id', '=', id).where('status', '=', expected).where('deleted_at', 'is', null);
    if (revision !== undefined) query = query.where('revision', '=', revision);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async setTags(articleId: number, names: readonly string[], fresh = false): Promise<void> {
    // Inside a transaction on PostgreSQL the writes travel with the statement after them (writeBehind): the tags'
    // read carries the delete and the new names, the commit (or the next statement) the links.
    if (!fresh) await writeBehind(this.db, this.db.deleteFrom('article_tags').where('article_id', '=', articleId));
    if (names.length === 0) return;
    await writeBehind(
      this.db,
      this.db
        .insertInto('tags')
        .values(names.map((name) => ({ name })))
        .onConflict((oc) => oc.column('name').doNothing()),
    );
    const tags = await this.db
      .selectFrom('tags')
      .select(['id', 'name'])
      .where('name', 'in', [...names])
      .execute();
    const idByName = new Map(tags.map((t) => [t.name, t.id]));
    await writeBehind(
      this.db,
      this.db.insertInto('article_tags').values(names.map((name, position) => ({ article_id: articleId, tag_id: idByName.get(name)!, position }))),
    );
  }

  async moveToTrash(id: number, trash: { at: number; by: number; revision: number }, statuses: readonly ArticleStatus[]): Promise<boolean> {
    const result = await this.db
      .updateTable('articles')
      .set({ deleted_at: trash.at, deleted_by: trash.by, updated_at: trash.at, revision: trash.revision + 1 })
      .where('id', '=', id)
      .where('revision', '=', trash.revision)
      .where('deleted_at', 'is', null)
      .where('status', 'in', [...statuses])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  private trash() {
    return this.db
      .selectFrom('articles')
      .innerJoin('channels', 'channels.id', 'articles.channel_id')
      .innerJoin('accounts as author', 'author.id', 'articles.author_id')
      .leftJoin('accounts as deleter', 'deleter.id', 'articles.deleted_by')
      .select([
        'articles.id',
        'articles.title',
        'articles.status',
        'articles.author_id',
        'articles.revision',
        'articles.created_at',
        'articles.updated_at',
        'articles.deleted_at',
        'articles.deleted_by',
        'channels.path as channel_path',
        'author.username as author_username',
        'author.display_name as author_name',
        'deleter.username as deleter_username',
        'deleter.display_name as deleter_name',
      ])
      .where('articles.deleted_at', 'is not', null);
  }

  async findInTrash(id: number): Promise<TrashEntry | undefined> {
    const row = await this.trash().where('articles.id', '=', id).executeTakeFirst();
    return row && toTrashEntry(row);
  }

  async listTrash(q: TrashQuery): Promise<TrashEntry[]> {
    let query = this.trash();
    if (q.authorId !== undefined) query = query.where('articles.author_id', '=', q.authorId);
    if (q.before) {
      const { deletedAt, id } = q.before;
      query = query.where((eb) =>
        eb.or([eb('articles.deleted_at', '<', deletedAt), eb.and([eb('articles.deleted_at', '=', deletedAt), eb('articles.id', '<', id)])]),
      );
    }
    const rows = await query.orderBy('articles.deleted_at', 'desc').orderBy('articles.id', 'desc').limit(q.limit).execute();
    return rows.map(toTrashEntry);
  }

  async restoreFromTrash(id: number, restore: { at: number; revision: number }): Promise<boolean> {
    const result = await this.db
      .updateTable('articles')
      .set({ deleted_at: null, deleted_by: null, status: 'draft', updated_at: restore.at, revision: restore.revision + 1 })
      .where('id', '=', id)
      .where('revision', '=', restore.revision)
      .where('deleted_at', 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async purgeTrash(deletedBefore: number, limit: number): Promise<PurgedArticle[]> {
    // The batch is claimed first (on PostgreSQL its rows locked until the commit: of two processes purging at once,
    // the second waits and skips what the first removed; a restore waits and then finds the article gone).
    const due = this.db
      .selectFrom('articles')
      .select('id')
      .where('deleted_at', 'is not', null)
      .where('deleted_at', '<=', deletedBefore)
      .orderBy('deleted_at')
      .orderBy('id')
      .limit(limit);
    const ids = (await (this.dialect === 'postgres' ? due.forUpdate() : due).execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    // Polls made for these articles go with them: their foreign key only empties article_id, and a poll of no article
    // is public at once, so a poll of a never-published story would have gone public with its question and votes.
    await this.db.deleteFrom('polls').where('article_id', 'in', ids).execute();
    // The claim's conditions again: only what is still due is removed (and returned, for the audit).
    const rows = await this.db
      .deleteFrom('articles')
      .where('id', 'in', ids)
      .where('deleted_at', 'is not', null)
      .where('deleted_at', '<=', deletedBefore)
      .returning(['id', 'title', 'author_id', 'deleted_at', 'deleted_by'])
      .execute();
    return rows
      .map((r) => ({ id: r.id, title: r.title, authorId: r.author_id, deletedAt: r.deleted_at!, deletedBy: r.deleted_by }))
      .sort((a, b) => a.deletedAt - b.deletedAt || a.id - b.id);
  }

  /** Rows with their tag names: read with them on PostgreSQL (TAG_NAMES), by one more query on SQLite. */
  private async withTags(rows: (ArticleRow & { tag_names?: string[] })[]): Promise<Article[]> {
    if (rows.length === 0) return [];
    if (rows.every((r) => r.tag_names !== undefined)) return rows.map((r) => toArticle(r, r.tag_names!));
    const tags = await tagNamesByArticle(
      this.db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => toArticle(r, tags.get(r.id) ?? []));
  }
}

const TAG_LOOKUP_BATCH = 1000;

/**
 * PostgreSQL: an article's tag names in the newsroom's order, as an array column of its row. Each article read is then
 * one statement instead of two: a round trip costs both processes more CPU than the subquery (on this 2-core machine
 * about 0.1 ms of ours in the socket's write alone), and a publish and its outbox work read the article eight times.
 * SQLite, in process, keeps the one tag query for all the rows of a read.
 */
const TAG_NAMES = sql<string[]>`array(select t.name from article_tags x join tags t on t.id = x.tag_id where x.article_id = articles.id order by x.position)`;

/**
 * SQLite: an article's tag names in the newsroom's order as a JSON array, for the one-article read. Its channel's path
 * is a subquery there too, not a join: over the million-article archive the join's statement took 0.11 ms and the
 * tags' own statement 0.05 beside it, the one statement with both as subqueries 0.07 (the article's columns read before
 * the channel's row is sought; a throwaway script, 5,000 random published articles each).
 */
const TAG_NAMES_JSON = sql<string>`(select json_group_array(t.name order by x.position) from article_tags x join tags t on t.id = x.tag_id where x.article_id = articles.id)`;
const CHANNEL_PATH = sql<string>`(select c.path from channels c where c.id = articles.channel_id)`;

/**
 * Live articles without the HTML (up to 2 MB), and the text as asked: none (lists, which print titles and summaries),
 * whole (the search index), or cut to its first characters (related reading). The database cuts it, so a 2 MB body
 * is not made into strings here. Columns named, for the prepared reads below (see articleById).
 */
function withoutHtml(db: Kysely<DB>, text: 'none' | 'whole' | number) {
  return db
    .selectFrom('articles')
    .innerJoin('channels', 'channels.id', 'articles.channel_id')
    .select(META_COLUMNS.map((c) => `articles.${c}` as const))
    .select((eb) => [
      eb.val('').as('body_html'),
      text === 'none'
        ? eb.val('').as('body_text')
        : text === 'whole'
          ? eb.ref('articles.body_text').as('body_text')
          : eb.fn<string>('substr', ['articles.body_text', eb.val(1), eb.val(text)]).as('body_text'),
      'channels.path as channel_path',
    ])
    .$if(db.getExecutor().adapter instanceof PostgresAdapter, (q) => q.select(TAG_NAMES.as('tag_names')))
    .where('articles.deleted_at', 'is', null);
}

/** Options that read an article whole, as the prepared articleById does. */
const wholeArticle = ({ bodies, openingChars, html }: Port.ReadOptions) => bodies !== false && openingChars === undefined && html !== false;

/** One article by id as withoutHtml reads it, prepared (see ArticleRepository.oneRow). */
const oneWithoutHtml = {
  none: prepared((db: Kysely<DB>, id: number) => withoutHtml(db, 'none').where('articles.id', '=', id)),
  whole: prepared((db: Kysely<DB>, id: number) => withoutHtml(db, 'whole').where('articles.id', '=', id)),
  // The stand-in for `chars` is a string, so it takes the branch that binds it (substr's length).
  opening: prepared((db: Kysely<DB>, id: number, chars: number) => withoutHtml(db, chars).where('articles.id', '=', id)),
};

/**
 * An article page's read, prepared (see prepared.ts): the article with its channel's path and its tag names.
 * Columns named, not `select *`: on PostgreSQL a named statement's result must not change under it, and a column a
 * later migration adds would (drivers.ts).
 */
type ArticleByIdRow = ArticleRow & { tag_names: string[] | null; tag_json: string | null };
const articleById = prepared(
  (db: Kysely<DB>, id: number): Compilable<ArticleByIdRow> => {
    const row = db
      .selectFrom('articles')
      .select(META_COLUMNS.map((c) => `articles.${c}` as const))
      .select(['articles.body_html', 'articles.body_text'])
      .where('articles.deleted_at', 'is', null)
      .where('articles.id', '=', id);
    return db.getExecutor().adapter instanceof PostgresAdapter
      ? row
          .innerJoin('channels', 'channels.id', 'articles.channel_id')
          .select(['channels.path as channel_path', TAG_NAMES.as('tag_names'), sql<string | null>`null`.as('tag_json')])
      : row.select([CHANNEL_PATH.as('channel_path'), sql<string[] | null>`null`.as('tag_names'), TAG_NAMES_JSON.as('tag_json')]);
  },
  { batched: true },
);
/** One article's tag names in the newsroom's order (a read of one article with options, a search entry's). */
const tagsOfOne = prepared((db: Kysely<DB>, id: number) =>
  db
    .selectFrom('article_tags')
    .innerJoin('tags', 'tags.id', 'article_tags.tag_id')
    .select(['article_tags.article_id', 'tags.name'])
    .where('article_tags.article_id', '=', id)
    .orderBy('article_tags.position'),
);

/** Tag names of each article, in the order the newsroom gave them. */
export async function tagNamesByArticle(db: Kysely<DB>, articleIds: readonly number[]): Promise<Map<number, string[]>> {
  const tags = new Map<number, string[]>();
  if (articleIds.length === 1) {
    const names = (await tagsOfOne(db, articleIds[0]!)).map((t) => t.name);
    if (names.length > 0) tags.set(articleIds[0]!, names);
    return tags;
  }
  // Bound parameters per statement stay far below SQLite's limit (32,766) however many articles are asked for.
  for (let i = 0; i < articleIds.length; i += TAG_LOOKUP_BATCH) {
    const rows = await db
      .selectFrom('article_tags')
      .innerJoin('tags', 'tags.id', 'article_tags.tag_id')
      .select(['article_tags.article_id', 'tags.name'])
      .where('article_tags.article_id', 'in', articleIds.slice(i, i + TAG_LOOKUP_BATCH))
      .orderBy('article_tags.article_id')
      .orderBy('article_tags.position')
      .execute();
    for (const t of rows) {
      const list = tags.get(t.article_id) ?? [];
      list.push(t.name);
      tags.set(t.article_id, list);
    }
  }
  return tags;
}

function toTrashEntry(r: {
  id: number;
  title: string;
  status: string;
  author_id: number;
  revision: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  deleted_by: number | null;
  channel_path: string;
  author_username: string;
  author_name: string;
  deleter_username: string | null;
  deleter_name: string | null;
}): TrashEntry {
  return {
    id: r.id,
    title: r.title,
    channelPath: r.channel_path,
    status: r.status as ArticleStatus,
    authorId: r.author_id,
    author: { username: r.author_username, displayName: r.author_name },
    revision: r.revision,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at!,
    deletedBy: r.deleted_by === null ? null : { id: r.deleted_by, username: r.deleter_username ?? '', displayName: r.deleter_name ?? '' },
  };
}

function toArticle(r: ArticleRow, tags: string[]): Article {
  return {
    id: r.id,
    title: r.title,
    subtitle: r.subtitle,
    summary: r.summary,
    bodyHtml: r.body_html,
    bodyText: r.body_text,
    channelId: r.channel_id,
    channelPath: r.channel_path,
    source: r.source,
    byline: r.byline,
    editor: r.editor,
    cover: r.cover,
    tags,
    status: r.status as ArticleStatus,
    publishedAt: r.published_at,
    scheduledAt: r.scheduled_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    authorId: r.author_id,
    revision: r.revision,
    hasImage: r.has_image === 1,
  };
}
