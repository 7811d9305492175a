import { type Kysely, type Selectable, sql } from 'kysely';
import type {
  Comment,
  CommentBan,
  CommentQueueQuery,
  CommentStatus,
  ModerationMode,
  NewComment,
  QueuedComment,
  CommentRepository as Port,
  ModerationWordRepository as WordPort,
} from '../../domain/comments/comment.ts';
import type { SensitiveWord, SensitiveWordWrite, WordAction } from '../../domain/moderation/word.ts';
import type { Dialect } from '../migrations/index.ts';
import type { CommentBanTable, CommentTable, DB } from '../schema.ts';
import { prepared } from '../prepared.ts';

// Namespace of the bans' advisory locks (pg_advisory_xact_lock(int, int)); the second key hashes the ban's kind and value.
const BAN_LOCK = 0x42616e73;

/** The advisory lock of one ban (a reader id or an address block's HMAC): a collision of hashes only makes one wait. */
const banKey = (kind: CommentBan['kind'], value: string) => sql`${sql.lit(BAN_LOCK)}, hashtext(${`${kind}:${value}`})`;

type Row = Omit<Selectable<CommentTable>, 'dedupe_key'>;

const COLUMNS = [
  'comments.id',
  'comments.article_id',
  'comments.nickname',
  'comments.body',
  'comments.status',
  'comments.reader_id',
  'comments.address_hash',
  'comments.prefix_hash',
  'comments.flags',
  'comments.likes',
  'comments.created_at',
  'comments.decided_by',
  'comments.decided_at',
  'comments.reply',
  'comments.reply_by',
  'comments.reply_at',
] as const;

/**
 * The first page of an article's approved comments (every article page shows it), prepared (see prepared.ts), one per
 * page size with the size written into the SQL: with `LIMIT ?` SQLite took 4–10 µs per call even for an article
 * without comments, with a constant 0.3 µs (measured at a million articles, inside one read transaction). Sizes are
 * 1–100 (commentsOfPublished clamps them), so at most a hundred of these.
 */
const approvedFirstBySize = new Map<number, (db: Kysely<DB>, articleId: number) => Promise<Row[]>>();

function approvedFirst(db: Kysely<DB>, articleId: number, limit: number): Promise<Row[]> {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`comments: a page size must be a whole number, not ${limit}`);
  let read = approvedFirstBySize.get(limit);
  if (!read) {
    read = prepared(
      (db: Kysely<DB>, articleId: number) =>
        db
          .selectFrom('comments')
          .select(COLUMNS)
          .where('article_id', '=', articleId)
          .where('status', '=', 'approved')
          .orderBy('id', 'desc')
          .limit(sql.lit(limit)),
      { batched: true },
    );
    approvedFirstBySize.set(limit, read);
  }
  return read(db, articleId);
}

function flagsOf(value: string): string[] {
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? parsed.filter((w): w is string => typeof w === 'string') : [];
  } catch {
    return [];
  }
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function comment(r: Row): Comment {
  return {
    id: r.id,
    articleId: r.article_id,
    nickname: r.nickname,
    body: r.body,
    status: r.status as CommentStatus,
    readerId: r.reader_id,
    addressHash: r.address_hash,
    prefixHash: r.prefix_hash,
    flags: flagsOf(r.flags),
    likes: Number(r.likes),
    createdAt: Number(r.created_at),
    decidedBy: r.decided_by,
    decidedAt: num(r.decided_at),
    reply: r.reply,
    replyBy: r.reply_by,
    replyAt: num(r.reply_at),
  };
}

function ban(r: Selectable<CommentBanTable>): CommentBan {
  return {
    id: r.id,
    kind: r.kind as CommentBan['kind'],
    value: r.value,
    note: r.note,
    commentId: r.comment_id,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  };
}

/** Readers' comments, likes, bans and channels' moderation settings over Kysely (both stores). */
export class CommentRepository implements Port {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  private base() {
    return this.db.selectFrom('comments').select(COLUMNS);
  }

  // The hold* reads belong inside a write transaction. On SQLite that transaction already holds the database's write
  // lock (BEGIN IMMEDIATE), so nothing changes under it and they are plain reads; on PostgreSQL they lock what they read.

  async articleOf(articleId: number): Promise<{ status: string; channelId: number; title: string } | undefined> {
    return this.readArticle(articleId, false);
  }

  async holdArticle(articleId: number): Promise<{ status: string; channelId: number; title: string } | undefined> {
    // FOR SHARE, not FOR KEY SHARE: an unpublish, a move to the 回收站 or to another channel changes no key, and must wait.
    return this.readArticle(articleId, this.dialect === 'postgres');
  }

  private async readArticle(articleId: number, share: boolean): Promise<{ status: string; channelId: number; title: string } | undefined> {
    const r = await this.db
      .selectFrom('articles')
      .select(['status', 'channel_id', 'title'])
      .where('id', '=', articleId)
      .where('deleted_at', 'is', null)
      .$if(share, (q) => q.forShare())
      .executeTakeFirst();
    return r ? { status: r.status, channelId: r.channel_id, title: r.title } : undefined;
  }

  async holdChannel(channelId: number): Promise<void> {
    // FOR SHARE: a channel moved (its row and its subtree's rewritten) and a moderation change above it (setModeration
    // locks the subtree) both wait for this transaction; comments in the channel share the lock and wait for nothing.
    if (this.dialect === 'postgres') await this.db.selectFrom('channels').select('id').where('id', '=', channelId).forShare().execute();
  }

  async holdBans(readerId: string | null, prefixHash: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    // Shared: comments of one reader or block go side by side; a ban of either (addBan) waits for them, or they for it.
    const keys = [banKey('prefix', prefixHash), ...(readerId ? [banKey('reader', readerId)] : [])];
    await sql`select ${sql.join(
      keys.map((key) => sql`pg_advisory_xact_lock_shared(${key})`),
      sql`, `,
    )}`.execute(this.db);
  }

  async holdComment(id: number): Promise<Comment | undefined> {
    // FOR NO KEY UPDATE, not FOR SHARE: a like goes on to add to the row's count, and two likes that each held a share
    // lock would each wait for the other to let go of theirs. Likes of one comment take turns here (as at the count).
    const r = await this.base()
      .where('id', '=', id)
      .$if(this.dialect === 'postgres', (q) => q.forNoKeyUpdate())
      .executeTakeFirst();
    return r ? comment(r) : undefined;
  }

  async insert(c: NewComment): Promise<{ id: number } | { existing: number; createdAt: number }> {
    const row = await this.db
      .insertInto('comments')
      .values({
        article_id: c.articleId,
        nickname: c.nickname,
        body: c.body,
        status: c.status,
        reader_id: c.readerId,
        address_hash: c.addressHash,
        prefix_hash: c.prefixHash,
        flags: JSON.stringify(c.flags),
        dedupe_key: c.dedupeKey,
        created_at: c.createdAt,
      })
      // A double submit: on PostgreSQL the second insert waits for the first to commit, then does nothing.
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row) return { id: row.id };
    const existing = await this.db.selectFrom('comments').select(['id', 'created_at']).where('dedupe_key', '=', c.dedupeKey).executeTakeFirstOrThrow();
    return { existing: existing.id, createdAt: Number(existing.created_at) };
  }

  async findByDedupeKey(key: string): Promise<Comment | undefined> {
    const r = await this.base().where('dedupe_key', '=', key).executeTakeFirst();
    return r ? comment(r) : undefined;
  }

  async releaseDedupeKey(id: number): Promise<void> {
    await this.db.updateTable('comments').set({ dedupe_key: null }).where('id', '=', id).execute();
  }

  async find(id: number): Promise<Comment | undefined> {
    const r = await this.base().where('id', '=', id).executeTakeFirst();
    return r ? comment(r) : undefined;
  }

  async approved(articleId: number, limit: number, before?: number): Promise<Comment[]> {
    if (before === undefined) return (await approvedFirst(this.db, articleId, limit)).map(comment);
    let q = this.base().where('article_id', '=', articleId).where('status', '=', 'approved');
    if (before !== undefined) q = q.where('id', '<', before);
    return (await q.orderBy('id', 'desc').limit(limit).execute()).map(comment);
  }

  async countApproved(articleId: number): Promise<number> {
    const r = await this.db
      .selectFrom('comments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('article_id', '=', articleId)
      .where('status', '=', 'approved')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async queue(query: CommentQueueQuery): Promise<QueuedComment[]> {
    // The queue oldest first (first come, first reviewed); decided comments newest first.
    const ascending = query.status === 'pending';
    let q = this.db
      .selectFrom('comments')
      .innerJoin('articles', 'articles.id', 'comments.article_id')
      .select([...COLUMNS, 'articles.title as article_title'])
      .where('comments.status', '=', query.status);
    if (query.articleId !== undefined) q = q.where('comments.article_id', '=', query.articleId);
    if (query.after !== undefined) q = q.where('comments.id', ascending ? '>' : '<', query.after);
    const rows = await q
      .orderBy('comments.id', ascending ? 'asc' : 'desc')
      .limit(query.limit)
      .execute();
    return rows.map((r) => ({ ...comment(r), articleTitle: r.article_title }));
  }

  async countByStatus(): Promise<Record<CommentStatus, number>> {
    const rows = await this.db
      .selectFrom('comments')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const counts: Record<CommentStatus, number> = { pending: 0, approved: 0, rejected: 0 };
    for (const r of rows) if (r.status in counts) counts[r.status as CommentStatus] = Number(r.n);
    return counts;
  }

  async decide(id: number, from: readonly CommentStatus[], to: CommentStatus, actorId: number, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('comments')
      .set({ status: to, decided_by: actorId, decided_at: at })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async setReply(id: number, reply: string | null, actorId: number, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('comments')
      .set(reply === null ? { reply: null, reply_by: null, reply_at: null } : { reply, reply_by: actorId, reply_at: at })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async like(commentId: number, readerId: string, at: number): Promise<{ added: boolean; likes: number }> {
    const inserted = await this.db
      .insertInto('comment_likes')
      .values({ comment_id: commentId, reader_id: readerId, created_at: at })
      .onConflict((oc) => oc.columns(['comment_id', 'reader_id']).doNothing())
      .returning('comment_id')
      .executeTakeFirst();
    // The count moves in the statement that adds the row's like, inside the same transaction: counts equal rows.
    if (inserted) {
      await this.db
        .updateTable('comments')
        .set((eb) => ({ likes: eb('likes', '+', 1) }))
        .where('id', '=', commentId)
        .execute();
    }
    const r = await this.db.selectFrom('comments').select('likes').where('id', '=', commentId).executeTakeFirstOrThrow();
    return { added: inserted !== undefined, likes: Number(r.likes) };
  }

  async likedBy(readerId: string, commentIds: readonly number[]): Promise<number[]> {
    if (commentIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('comment_likes')
      .select('comment_id')
      .where('reader_id', '=', readerId)
      .where('comment_id', 'in', [...commentIds])
      .execute();
    return rows.map((r) => r.comment_id);
  }

  async isBanned(readerId: string | null, prefixHash: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('comment_bans')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('kind', '=', 'prefix'), eb('value', '=', prefixHash)]),
          ...(readerId ? [eb.and([eb('kind', '=', 'reader'), eb('value', '=', readerId)])] : []),
        ]),
      )
      .executeTakeFirst();
    return r !== undefined;
  }

  async addBan(b: Omit<CommentBan, 'id'>): Promise<CommentBan | undefined> {
    // Waits for the comments of this reader or block being posted (holdBans), and keeps new ones waiting until it commits.
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${banKey(b.kind, b.value)})`.execute(this.db);
    const r = await this.db
      .insertInto('comment_bans')
      .values({ kind: b.kind, value: b.value, note: b.note, comment_id: b.commentId, created_by: b.createdBy, created_at: b.createdAt })
      .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
      .returningAll()
      .executeTakeFirst();
    return r ? ban(r) : undefined;
  }

  async removeBan(id: number): Promise<CommentBan | undefined> {
    const r = await this.db.deleteFrom('comment_bans').where('id', '=', id).returningAll().executeTakeFirst();
    return r ? ban(r) : undefined;
  }

  async bans(): Promise<CommentBan[]> {
    return (await this.db.selectFrom('comment_bans').selectAll().orderBy('id', 'desc').limit(1000).execute()).map(ban);
  }

  async settings(): Promise<{ channelId: number; moderation: ModerationMode }[]> {
    const rows = await this.db.selectFrom('comment_settings').select(['channel_id', 'moderation']).orderBy('channel_id').execute();
    return rows.map((r) => ({ channelId: r.channel_id, moderation: r.moderation === 'post' ? 'post' : 'pre' }));
  }

  async setModeration(channelId: number, moderation: ModerationMode, actorId: number, at: number): Promise<void> {
    if (this.dialect === 'postgres') {
      // The channel and every channel below it (whose comments may take their mode from it), in id order: a comment
      // being posted in any of them holds its channel's row (holdChannel), so the change waits for it to commit and a
      // comment arriving meanwhile waits for the change, then reads the new mode. A `_` in a path matches more: harmless.
      await this.db
        .selectFrom('channels')
        .select('id')
        .where((eb) =>
          eb.or([
            eb('id', '=', channelId),
            eb('path', 'like', eb.selectFrom('channels as c').select(sql<string>`c.path || '/%'`.as('below')).where('c.id', '=', channelId)),
          ]),
        )
        .orderBy('id')
        .forNoKeyUpdate()
        .execute();
    }
    await this.db
      .insertInto('comment_settings')
      .values({ channel_id: channelId, moderation, updated_by: actorId, updated_at: at })
      .onConflict((oc) => oc.column('channel_id').doUpdateSet({ moderation, updated_by: actorId, updated_at: at }))
      .execute();
  }
}

/** The sensitive-word list over Kysely; each folded key once (its unique index). */
export class ModerationWordRepository implements WordPort {
  constructor(private readonly db: Kysely<DB>) {}

  private base() {
    return this.db.selectFrom('moderation_words').select(['id', 'word', 'key', 'action', 'created_at', 'updated_at', 'updated_by']);
  }

  private static word(r: {
    id: number;
    word: string;
    key: string;
    action: string;
    created_at: number;
    updated_at: number;
    updated_by: number | null;
  }): SensitiveWord {
    return {
      id: r.id,
      word: r.word,
      key: r.key,
      action: r.action as WordAction,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      updatedBy: r.updated_by,
    };
  }

  async all(): Promise<SensitiveWord[]> {
    return (await this.base().orderBy('id').execute()).map(ModerationWordRepository.word);
  }

  async version(): Promise<string> {
    const r = await this.db
      .selectFrom('moderation_words')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('id').as('top'), eb.fn.sum<number>('updated_at').as('stamps')])
      .executeTakeFirstOrThrow();
    return `${Number(r.n)}:${r.top ?? 0}:${r.stamps ?? 0}`;
  }

  async find(id: number): Promise<SensitiveWord | undefined> {
    const r = await this.base().where('id', '=', id).executeTakeFirst();
    return r ? ModerationWordRepository.word(r) : undefined;
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('moderation_words')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async upsert(words: readonly SensitiveWordWrite[]): Promise<{ added: number; updated: number }> {
    let added = 0;
    // In key order, so two imports touching the same words lock their rows in the same order (no deadlock on
    // PostgreSQL); in batches well under both stores' parameter limits (8 values a row).
    const sorted = [...words].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (let i = 0; i < sorted.length; i += 500) {
      const batch = sorted.slice(i, i + 500);
      const existing = new Set(
        (
          await this.db
            .selectFrom('moderation_words')
            .select('key')
            .where(
              'key',
              'in',
              batch.map((w) => w.key),
            )
            .execute()
        ).map((r) => r.key),
      );
      added += batch.filter((w) => !existing.has(w.key)).length;
      await this.db
        .insertInto('moderation_words')
        .values(
          batch.map((w) => ({ word: w.word, key: w.key, action: w.action, created_by: w.actorId, created_at: w.at, updated_by: w.actorId, updated_at: w.at })),
        )
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            word: eb.ref('excluded.word'),
            action: eb.ref('excluded.action'),
            updated_by: eb.ref('excluded.updated_by'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
    return { added, updated: words.length - added };
  }

  async update(id: number, w: SensitiveWordWrite): Promise<'ok' | 'gone' | 'taken'> {
    const other = await this.db.selectFrom('moderation_words').select('id').where('key', '=', w.key).where('id', '!=', id).executeTakeFirst();
    if (other) return 'taken';
    const result = await this.db
      .updateTable('moderation_words')
      .set({ word: w.word, key: w.key, action: w.action, updated_by: w.actorId, updated_at: w.at })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0 ? 'ok' : 'gone';
  }

  async remove(id: number): Promise<SensitiveWord | undefined> {
    const r = await this.db
      .deleteFrom('moderation_words')
      .where('id', '=', id)
      .returning(['id', 'word', 'key', 'action', 'created_at', 'updated_at', 'updated_by'])
      .executeTakeFirst();
    return r ? ModerationWordRepository.word(r) : undefined;
  }
}
