import { writeBehind } from '../write-behind.ts';
import { type Kysely, sql } from 'kysely';
import type { NewRevision, ReturnNote, Revision } from '../../domain/articles/article.ts';
import type { AuditEvent, AuditQuery, NewAuditEvent } from '../../domain/audit/audit-event.ts';
import type { DB } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

/** Revisions of articles and the audit log: append-only, but for an autosave replacing its own minutes-old revision. */
/** A revision as its row (the importer writes them in batches too). */
export function revisionRow(r: NewRevision) {
  return {
    article_id: r.articleId,
    number: r.number,
    account_id: r.accountId,
    action: r.action,
    snapshot: JSON.stringify(r.content),
    created_at: r.createdAt,
    note: r.note ?? '',
  };
}

/** An audit event as its row. */
export function auditRow(e: NewAuditEvent) {
  return {
    at: e.at,
    actor_id: e.actorId,
    action: e.action,
    subject_type: e.subjectType,
    subject_id: String(e.subjectId),
    detail: JSON.stringify(e.detail ?? {}),
  };
}

export class HistoryRepository implements Port.HistoryRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async addRevision(r: NewRevision): Promise<void> {
    await writeBehind(this.db, this.db.insertInto('revisions').values(revisionRow(r)));
  }

  private revisionsOf(articleId: number) {
    return this.db
      .selectFrom('revisions')
      .leftJoin('accounts', 'accounts.id', 'revisions.account_id')
      .select([
        'revisions.number',
        'revisions.account_id',
        'accounts.username',
        'revisions.action',
        'revisions.created_at',
        'revisions.snapshot',
        'revisions.note',
      ])
      .where('revisions.article_id', '=', articleId);
  }

  async revisionHead(articleId: number, number: number): Promise<Omit<Revision, 'content' | 'username'> | undefined> {
    const row = await this.db
      .selectFrom('revisions')
      .select(['number', 'account_id', 'action', 'created_at', 'note'])
      .where('article_id', '=', articleId)
      .where('number', '=', number)
      .executeTakeFirst();
    return row && { number: row.number, accountId: row.account_id, action: row.action, createdAt: row.created_at, note: row.note };
  }

  async deleteRevision(articleId: number, number: number): Promise<void> {
    await this.db.deleteFrom('revisions').where('article_id', '=', articleId).where('number', '=', number).execute();
  }

  async revisions(articleId: number): Promise<Revision[]> {
    const rows = await this.revisionsOf(articleId).orderBy('revisions.number', 'desc').execute();
    return rows.map(toRevision);
  }

  async revision(articleId: number, number: number): Promise<Revision | undefined> {
    const row = await this.revisionsOf(articleId).where('revisions.number', '=', number).executeTakeFirst();
    return row ? toRevision(row) : undefined;
  }

  async latestReturns(articleIds: readonly number[], steps: readonly string[]): Promise<ReturnNote[]> {
    if (articleIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('revisions as r')
      .leftJoin('accounts', 'accounts.id', 'r.account_id')
      .select(['r.article_id', 'r.note', 'r.created_at', 'accounts.username', 'accounts.display_name'])
      .where('r.article_id', 'in', [...articleIds])
      .where('r.action', '=', 'return')
      // The latest workflow step of its article (the revisions' unique index on article and number answers it).
      .where('r.number', '=', (eb) =>
        eb
          .selectFrom('revisions as w')
          .select((w) => w.fn.max('w.number').as('n'))
          .whereRef('w.article_id', '=', 'r.article_id')
          .where('w.action', 'in', [...steps]),
      )
      .execute();
    return rows.map((r) => ({
      articleId: r.article_id,
      comment: r.note,
      at: r.created_at,
      byUsername: r.username,
      byName: r.display_name,
    }));
  }

  async record(e: NewAuditEvent): Promise<void> {
    await writeBehind(this.db, this.db.insertInto('audit_events').values(auditRow(e)));
  }

  async auditEvents(query: AuditQuery): Promise<AuditEvent[]> {
    let q = this.db
      .selectFrom('audit_events')
      .leftJoin('accounts', 'accounts.id', 'audit_events.actor_id')
      .selectAll('audit_events')
      .select(['accounts.username', 'accounts.display_name']);
    if (query.before !== undefined) q = q.where('audit_events.id', '<', query.before);
    if (query.actorId !== undefined) q = q.where('audit_events.actor_id', '=', query.actorId);
    if (query.actions !== undefined) q = q.where('audit_events.action', 'in', query.actions.length ? [...query.actions] : ['']);
    if (query.from !== undefined) q = q.where('audit_events.at', '>=', query.from);
    if (query.to !== undefined) q = q.where('audit_events.at', '<', query.to);
    if (query.articleId !== undefined) {
      q = q.where('audit_events.subject_type', '=', 'article').where('audit_events.subject_id', '=', String(query.articleId));
    } else if (query.articleTitle !== undefined) {
      // subject_id is text (subjects are of several kinds): compare with the article ids written as text.
      const pattern = `%${query.articleTitle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q
        .where('audit_events.subject_type', '=', 'article')
        .where('audit_events.subject_id', 'in', (sub) =>
          sub.selectFrom('articles').select(sql<string>`cast(articles.id as text)`.as('id')).where(sql<boolean>`articles.title like ${pattern} escape '\\'`),
        );
    }
    const rows = await q.orderBy('audit_events.id', 'desc').limit(query.limit).execute();
    const names = await this.subjectNames(rows);
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actorId: r.actor_id,
      actorUsername: r.username,
      actorName: r.display_name,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      subjectName: names.get(`${r.subject_type}:${r.subject_id}`) ?? null,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  /** The titles of the page's articles and the usernames of its accounts: one query each, whatever the page holds. */
  private async subjectNames(rows: { subject_type: string; subject_id: string }[]): Promise<Map<string, string>> {
    const ids = (type: string) => [...new Set(rows.filter((r) => r.subject_type === type && /^\d{1,15}$/.test(r.subject_id)).map((r) => Number(r.subject_id)))];
    const articleIds = ids('article');
    const accountIds = ids('account');
    const [articles, accounts] = await Promise.all([
      articleIds.length ? this.db.selectFrom('articles').select(['id', 'title']).where('id', 'in', articleIds).execute() : [],
      accountIds.length ? this.db.selectFrom('accounts').select(['id', 'username']).where('id', 'in', accountIds).execute() : [],
    ]);
    const names = new Map<string, string>();
    for (const a of articles) names.set(`article:${a.id}`, a.title);
    for (const a of accounts) names.set(`account:${a.id}`, a.username);
    return names;
  }
}

function toRevision(r: {
  number: number;
  account_id: number | null;
  username: string | null;
  action: string;
  created_at: number;
  snapshot: string;
  note: string;
}): Revision {
  return {
    number: r.number,
    accountId: r.account_id,
    username: r.username,
    action: r.action,
    createdAt: r.created_at,
    content: JSON.parse(r.snapshot) as Revision['content'],
    note: r.note,
  };
}
