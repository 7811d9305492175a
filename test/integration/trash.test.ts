import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeTrash, TRASH_RETENTION_MS } from '../../src/domain/articles/trash.ts';
import { newContext, type Ctx } from '../../src/domain/context.ts';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { SqlStore } from '../../src/storage/store.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { articleInput, createArticle, createChannels, publish } from '../support/factories.ts';
import { STORES } from '../support/stores.ts';

const DAY = 24 * 3600 * 1000;

/**
 * 回收站: drafts and submitted copy (never public) can be deleted by their author or an editor, vanish from every read
 * but the trash's, come back as drafts, and are purged with every row hanging off them 30 days later, exactly once.
 * Bulk actions run the single actions' commands per article, each audited once with `bulk: true`.
 */
describe.each(STORES)('trash and bulk actions on %s', (kind) => {
  let t: TestApp;
  let admin: { auth: string; id: number };
  let editor: { auth: string; id: number; username: string };
  let reporter: { auth: string; id: number };
  let other: { auth: string; id: number };

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.user('admin');
    editor = await t.user('editor');
    reporter = await t.user('reporter');
    other = await t.user('reporter');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const headers = (auth: string, ifMatch?: string) => ({ authorization: auth, ...(ifMatch ? { 'if-match': ifMatch } : {}) });
  const get = (auth: string, id: number) => t.app.inject({ url: `/api/v1/articles/${id}`, headers: headers(auth) });
  const del = (auth: string, id: number | string, ifMatch?: string) =>
    t.app.inject({ method: 'DELETE', url: `/api/v1/articles/${id}`, headers: headers(auth, ifMatch) });
  const undelete = (auth: string, id: number, ifMatch?: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/undelete`, headers: headers(auth, ifMatch) });
  const step = (auth: string, id: number, name: string) => t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/${name}`, headers: headers(auth) });
  const trash = async (auth: string, query = '') => json(await t.app.inject({ url: `/api/v1/trash${query}`, headers: headers(auth) }));
  const bulk = (auth: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/v1/articles/bulk', headers: headers(auth), payload: payload as object });
  const audit = async (id: number) =>
    (
      json(await t.app.inject({ url: '/api/v1/audit?limit=200', headers: headers(admin.auth) })).items as { action: string; subjectId: string; detail: any }[]
    ).filter((e) => e.subjectId === String(id));
  const revisions = async (id: number) =>
    json(await t.app.inject({ url: `/api/v1/articles/${id}/revisions`, headers: headers(admin.auth) })).items as { number: number; action: string }[];

  it('lets authors delete their own drafts and submitted copy and editors anyone’s, never what was or will be public', async () => {
    const own = await createArticle(t.app, reporter.auth);
    expect(json(await get(reporter.auth, own.id)).abilities.delete).toBe(true);
    const theirs = await createArticle(t.app, other.auth);
    expect((await del(reporter.auth, theirs.id)).statusCode).toBe(403);
    expect((await del(reporter.auth, own.id)).statusCode).toBe(204);

    const submitted = await createArticle(t.app, reporter.auth);
    expect((await step(reporter.auth, submitted.id, 'submit')).statusCode).toBe(200);
    expect((await del(reporter.auth, submitted.id)).statusCode).toBe(204);
    expect((await del(editor.auth, theirs.id)).statusCode).toBe(204);

    // Published, scheduled and unpublished (撤稿) articles were or are about to be public: 409, for editors too.
    const live = await createArticle(t.app, editor.auth);
    await publish(t.app, editor.auth, live.id);
    const scheduled = await createArticle(t.app, editor.auth);
    const at = new Date(t.clock.now() + 3_600_000).toISOString();
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/articles/${scheduled.id}/schedule`, headers: headers(editor.auth), payload: { at } })).statusCode,
    ).toBe(200);
    const pulled = await createArticle(t.app, editor.auth);
    await publish(t.app, editor.auth, pulled.id);
    expect((await step(editor.auth, pulled.id, 'unpublish')).statusCode).toBe(200);
    for (const id of [live.id, scheduled.id, pulled.id]) {
      expect(json(await get(admin.auth, id)).abilities.delete).toBe(false);
      const res = await del(admin.auth, id);
      expect(res.statusCode).toBe(409);
      expect(json(res).error.code).toBe('not_deletable');
      expect((await get(admin.auth, id)).statusCode).toBe(200);
    }
    // A reporter's copy taken over by an editor (published) is not the reporter's to delete.
    const taken = await createArticle(t.app, reporter.auth);
    await publish(t.app, editor.auth, taken.id);
    expect((await del(reporter.auth, taken.id)).statusCode).toBe(403);
  });

  it('records one revision and one audit entry, and makes the article 404 for everyone on every path', async () => {
    const body =
      '<p>砚岚芯片厂今日在江城高新区奠基，总投资一百二十亿元，预计明年年底投产，达产后年产值可达三百亿元。</p><p>厂方负责人介绍，项目一期将建设两条十二英寸晶圆生产线，主要生产车规级功率芯片，可带动上下游企业四十余家落户。</p>';
    const a = await createArticle(t.app, reporter.auth, { body });
    // Put it in the places a draft can be: a topic, a slot, the presence list.
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/topics',
          headers: headers(editor.auth),
          payload: { slug: 'xinpian', title: '芯片', articles: [a.id] },
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (await t.app.inject({ method: 'PUT', url: '/api/v1/slots/headline', headers: headers(editor.auth), payload: { items: [{ article: a.id }] } })).statusCode,
    ).toBe(200);
    await t.settled();
    const assist = () => t.app.inject({ method: 'POST', url: '/api/v1/assist', headers: headers(editor.auth), payload: { title: '砚岚芯片厂奠基', body } });
    expect(json(await assist()).duplicates.map((d: { id: number }) => d.id)).toContain(a.id);

    expect((await del(reporter.auth, a.id, '"1"')).statusCode).toBe(204);
    for (const auth of [reporter.auth, editor.auth, admin.auth]) {
      const res = await get(auth, a.id);
      expect(res.statusCode).toBe(404);
      expect(json(res).error.code).toBe('not_found');
    }
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: headers(editor.auth), payload: { title: '改' } })).statusCode).toBe(
      404,
    );
    for (const name of ['submit', 'publish', 'revisions/1/restore']) expect((await step(editor.auth, a.id, name)).statusCode, name).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/articles/${a.id}/revisions`, headers: headers(editor.auth) })).statusCode).toBe(404);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/articles/${a.id}/presence`, headers: headers(editor.auth), payload: { editing: true } })).statusCode,
    ).toBe(404);
    expect((await t.app.inject({ url: `/admin/preview/${a.id}`, headers: headers(editor.auth) })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/a/${a.id}` })).statusCode).toBe(404);
    for (const query of ['', '?status=draft', '?mine=true']) {
      for (const auth of [reporter.auth, editor.auth]) {
        const ids = json(await t.app.inject({ url: `/api/v1/articles${query}`, headers: headers(auth) })).items.map((i: { id: number }) => i.id);
        expect(ids).not.toContain(a.id);
      }
    }
    const topic = json(await t.app.inject({ url: '/api/v1/topics', headers: headers(editor.auth) })).items.find((x: { slug: string }) => x.slug === 'xinpian');
    expect(topic.articles).toEqual([]);
    expect(json(await t.app.inject({ url: '/api/v1/slots/headline', headers: headers(editor.auth) })).items).toEqual([]);
    expect(json(await assist()).duplicates.map((d: { id: number }) => d.id)).not.toContain(a.id);
    await t.settled();
    expect(json(await t.app.inject({ url: `/api/v1/search?q=${encodeURIComponent('砚岚芯片厂')}` })).total).toBe(0);
    // Deleting again is 404 (it is gone); the audit has the one delete.
    expect((await del(reporter.auth, a.id)).statusCode).toBe(404);
    expect((await audit(a.id)).map((e) => e.action)).toEqual(['article.delete', 'article.create']);
    expect((await audit(a.id))[0]!.detail).toMatchObject({ revision: 2, status: 'draft' });

    // Restored, it is a draft at a new revision, back in its topic and slot, with the delete and the restore in its history.
    const back = await undelete(reporter.auth, a.id, '"2"');
    expect(back.statusCode).toBe(200);
    expect(back.headers.etag).toBe('"3"');
    expect(json(back)).toMatchObject({ id: a.id, status: 'draft', revision: 3 });
    expect((await revisions(a.id)).map((r) => `${r.number}:${r.action}`)).toEqual(['3:undelete', '2:delete', '1:create']);
    expect(json(await t.app.inject({ url: '/api/v1/slots/headline', headers: headers(editor.auth) })).items).toEqual([{ article: a.id, expiresAt: null }]);
    expect((await audit(a.id)).map((e) => e.action)).toEqual(['article.undelete', 'article.delete', 'article.create']);
  });

  it('honours If-Match on delete and undelete; of two deletes at once one wins', async () => {
    const a = await createArticle(t.app, editor.auth);
    expect(
      (await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: headers(editor.auth), payload: { summary: '新摘要' } })).statusCode,
    ).toBe(200);
    const stale = await del(editor.auth, a.id, '"1"');
    expect(stale.statusCode).toBe(412);
    expect(json(stale).error).toMatchObject({ code: 'stale_revision', current: { revision: 2 } });
    expect((await get(editor.auth, a.id)).statusCode).toBe(200);
    expect((await del(editor.auth, a.id, '"abc"')).statusCode).toBe(412);

    const both = await Promise.all([del(editor.auth, a.id, '"2"'), del(admin.auth, a.id, '"2"')]);
    expect(both.map((r) => r.statusCode).sort()).toContain(204);
    expect(both.filter((r) => r.statusCode === 204)).toHaveLength(1);
    expect((await audit(a.id)).filter((e) => e.action === 'article.delete')).toHaveLength(1);

    expect((await undelete(editor.auth, a.id, '"2"')).statusCode).toBe(412);
    expect((await trash(editor.auth)).items.map((i: { id: number }) => i.id)).toContain(a.id);
    const restores = await Promise.all([undelete(editor.auth, a.id, '"3"'), undelete(admin.auth, a.id)]);
    expect(restores.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect((await get(editor.auth, a.id)).statusCode).toBe(200);
    expect((await undelete(editor.auth, a.id)).statusCode).toBe(404);
  });

  it('lists the trash newest deleted first with who deleted and the purge date; reporters see and restore only their own', async () => {
    const mine = await createArticle(t.app, reporter.auth, { title: '记者自己的废稿' });
    const theirs = await createArticle(t.app, other.auth, { title: '别人的废稿' });
    expect((await del(reporter.auth, mine.id)).statusCode).toBe(204);
    t.clock.advance(1000);
    expect((await del(editor.auth, theirs.id)).statusCode).toBe(204);
    const all = await trash(editor.auth);
    const first = all.items[0];
    expect(first).toMatchObject({
      id: theirs.id,
      title: '别人的废稿',
      status: 'draft',
      deletedBy: { username: editor.username },
      abilities: { undelete: true },
    });
    expect(Date.parse(first.purgeAt) - Date.parse(first.deletedAt)).toBe(30 * DAY);
    expect(all.items[1].id).toBe(mine.id);
    const reporters = (await trash(reporter.auth)).items;
    expect(reporters.map((i: { id: number }) => i.id)).toContain(mine.id);
    expect(reporters.map((i: { id: number }) => i.id)).not.toContain(theirs.id);
    expect((await undelete(reporter.auth, theirs.id)).statusCode).toBe(403);
    // Paging by cursor walks every item once.
    const page1 = await trash(editor.auth, '?limit=1');
    const page2 = await trash(editor.auth, `?limit=1&before=${page1.next}`);
    expect([page1.items[0].id, page2.items[0].id]).toEqual([theirs.id, mine.id]);
    expect((await t.app.inject({ url: '/api/v1/trash?before=x;drop', headers: headers(editor.auth) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/trash' })).statusCode).toBe(401);
  });

  /** Every table with a column pointing at articles, found in the schema itself so a future table is covered too. */
  async function articleColumns(): Promise<{ table: string; column: string }[]> {
    const db = t.db.database.db;
    if (kind === 'postgres') {
      const { rows } = await sql<{ table: string; column: string }>`select kcu.table_name as "table", kcu.column_name as "column"
        from information_schema.referential_constraints rc
        join information_schema.key_column_usage kcu on kcu.constraint_name = rc.constraint_name
        join information_schema.constraint_column_usage ccu on ccu.constraint_name = rc.unique_constraint_name
        where ccu.table_name = 'articles'`.execute(db);
      return rows;
    }
    const { rows: tables } = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db);
    const out: { table: string; column: string }[] = [];
    for (const { name } of tables) {
      const { rows } = await sql<{ table: string; from: string }>`select "table", "from" from pragma_foreign_key_list(${name})`.execute(db);
      for (const r of rows) if (r.table === 'articles') out.push({ table: name, column: r.from });
    }
    return out;
  }

  async function rowsOf(id: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { table, column } of await articleColumns()) {
      const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} = ${id}`.execute(t.db.database.db);
      counts[`${table}.${column}`] = Number(rows[0]!.n);
    }
    return counts;
  }

  it('purges articles deleted more than 30 days ago with every row that refers to them, and only those', async () => {
    const old = await createArticle(t.app, editor.auth, { title: '三十天前删除的稿件' });
    const recent = await createArticle(t.app, editor.auth, { title: '二十九天前删除的稿件' });
    const live = await createArticle(t.app, editor.auth, { title: '留下的已发布稿件' });
    await publish(t.app, editor.auth, live.id);
    for (const id of [old.id, recent.id]) {
      await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/presence`, headers: headers(editor.auth), payload: { editing: true } });
    }
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/topics',
          headers: headers(editor.auth),
          payload: { slug: 'qingli', title: '清理', articles: [old.id, live.id] },
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: '/api/v1/slots/focus',
          headers: headers(editor.auth),
          payload: { items: [{ article: old.id }, { article: live.id }] },
        })
      ).statusCode,
    ).toBe(200);
    const before = await rowsOf(old.id);
    for (const table of [
      'revisions.article_id',
      'article_tags.article_id',
      'topic_articles.article_id',
      'slot_items.article_id',
      'article_presence.article_id',
    ]) {
      expect(before[table], table).toBeGreaterThan(0);
    }
    // Its related reading (terms, lists) comes from the outbox after the publish: counted once that is done.
    await t.settled();
    const liveRows = await rowsOf(live.id);

    expect((await del(editor.auth, old.id)).statusCode).toBe(204);
    t.clock.advance(DAY);
    expect((await del(editor.auth, recent.id)).statusCode).toBe(204);
    t.clock.advance(TRASH_RETENTION_MS - DAY + 1);
    const purged = await purgeTrash(t.ctx);
    await t.settled();
    expect(purged.map((p) => p.id)).toContain(old.id);
    expect(purged.map((p) => p.id)).not.toContain(recent.id);
    expect(Object.values(await rowsOf(old.id)).every((n) => n === 0)).toBe(true);
    const { rows } = await sql<{ n: number }>`select count(*) as n from articles where id = ${old.id}`.execute(t.db.database.db);
    expect(Number(rows[0]!.n)).toBe(0);
    expect(await rowsOf(live.id)).toEqual(liveRows);
    expect((await trash(editor.auth)).items.map((i: { id: number }) => i.id)).toContain(recent.id);
    expect((await trash(editor.auth)).items.map((i: { id: number }) => i.id)).not.toContain(old.id);
    const entries = await audit(old.id);
    expect(entries[0]).toMatchObject({ action: 'article.purge', detail: { title: '三十天前删除的稿件', deletedBy: editor.id } });
    // Nothing more to do at once; the recent one goes a day later.
    expect(await purgeTrash(t.ctx)).toEqual([]);
    t.clock.advance(DAY);
    expect((await purgeTrash(t.ctx)).map((p) => p.id)).toContain(recent.id);
  });

  it('a poll made for a draft never goes public: not in the trash, and not once its article is purged', async () => {
    const draft = await createArticle(t.app, editor.auth, { title: '禁发稿' });
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/v1/polls',
      headers: headers(editor.auth),
      payload: { question: '尚未公布的人事任命，您怎么看？', options: ['赞成', '反对'], article: draft.id },
    });
    expect(made.statusCode, made.body).toBe(201);
    const poll = json<{ id: number }>(made).id;
    const hidden = async () => {
      expect((await t.app.inject({ url: `/api/v1/polls/${poll}` })).statusCode).toBe(404);
      const page = await t.app.inject({ url: `/p/${poll}` });
      expect(page.statusCode).toBe(404);
      expect(page.body).not.toContain('尚未公布的人事任命');
      const vote = await t.app.inject({
        method: 'POST',
        url: `/api/v1/polls/${poll}/votes`,
        headers: { origin: t.config.siteUrl },
        payload: { choices: [0] },
      });
      expect(vote.statusCode).toBe(404);
    };
    await hidden();
    expect((await del(editor.auth, draft.id)).statusCode).toBe(204);
    await hidden();
    t.clock.advance(TRASH_RETENTION_MS + DAY);
    expect((await purgeTrash(t.ctx)).map((p) => p.id)).toContain(draft.id);
    await hidden();
  });

  it('purges each article exactly once when two processes purge at the same time', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = await createArticle(t.app, editor.auth, { title: `并发清理${i}` });
      expect((await del(editor.auth, a.id)).statusCode).toBe(204);
      ids.push(a.id);
    }
    t.clock.advance(TRASH_RETENTION_MS + 1);
    // A second process: its own connection pool on PostgreSQL (SQLite has one writer; its second purge shares the file's lock).
    let second: Database | undefined;
    let other: Ctx = t.ctx;
    if (kind === 'postgres') {
      second = openDatabase({ databaseUrl: t.db.databaseUrl, dataDir: t.db.dataDir, poolSize: 4 });
      other = newContext({ store: SqlStore.of(second, t.config.secret), media: t.ctx.media, clock: t.clock, reactions: t.ctx.reactions });
    }
    try {
      const [a, b] = await Promise.all([purgeTrash(t.ctx, { batch: 2 }), purgeTrash(other, { batch: 2 })]);
      const all = [...a, ...b].map((p) => p.id).filter((id) => ids.includes(id));
      expect(all.sort((x, y) => x - y)).toEqual(ids);
      for (const id of ids)
        expect(
          (await audit(id)).filter((e) => e.action === 'article.purge'),
          String(id),
        ).toHaveLength(1);
    } finally {
      await second?.close();
    }
  });

  it('bulk: runs the single commands per article, reports mixed outcomes, audits each change once, and retries without new revisions', async () => {
    const draft = await createArticle(t.app, reporter.auth);
    const submitted = await createArticle(t.app, reporter.auth);
    await step(reporter.auth, submitted.id, 'submit');
    const done = await createArticle(t.app, editor.auth);
    await publish(t.app, editor.auth, done.id);
    const empty = await createArticle(t.app, editor.auth, { body: '' });
    const gone = await createArticle(t.app, editor.auth);
    await del(editor.auth, gone.id);
    const ids = [draft.id, submitted.id, done.id, empty.id, gone.id, 999_999, draft.id];
    const res = await bulk(editor.auth, { action: 'publish', ids });
    expect(res.statusCode).toBe(200);
    const answer = json(res);
    expect(answer.items).toEqual([
      { id: draft.id, ok: true },
      { id: submitted.id, ok: true },
      { id: done.id, ok: true, unchanged: true },
      { id: empty.id, ok: false, error: { code: 'required', message: expect.any(String), field: 'body' } },
      { id: gone.id, ok: false, error: { code: 'not_found', message: expect.any(String) } },
      { id: 999_999, ok: false, error: { code: 'not_found', message: expect.any(String) } },
    ]);
    expect(answer).toMatchObject({ done: 3, failed: 3 });
    expect((await t.app.inject({ url: `/a/${draft.id}` })).statusCode).toBe(200);
    const publishes = (await audit(draft.id)).filter((e) => e.action === 'article.publish');
    expect(publishes).toHaveLength(1);
    expect(publishes[0]!.detail).toMatchObject({ bulk: true, status: 'published' });
    expect((await audit(done.id)).filter((e) => e.action === 'article.publish')).toHaveLength(1);
    // Retried: everything that was done is reported done, unchanged, with no new revision.
    const revs = (await revisions(draft.id)).length;
    const again = json(await bulk(editor.auth, { action: 'publish', ids }));
    expect(again.items.slice(0, 3).every((i: { ok: boolean; unchanged?: boolean }) => i.ok && i.unchanged)).toBe(true);
    expect((await revisions(draft.id)).length).toBe(revs);

    // Move and tag: edits through the same command, one audit entry each, unchanged ones left alone.
    const move = json(await bulk(editor.auth, { action: 'move', ids: [draft.id, done.id], channel: 'keji' }));
    expect(move.items.every((i: { ok: boolean }) => i.ok)).toBe(true);
    expect(json(await get(editor.auth, done.id)).channel).toBe('keji');
    expect((await audit(done.id))[0]).toMatchObject({ action: 'article.move', detail: { bulk: true, channel: 'keji' } });
    expect(json(await bulk(editor.auth, { action: 'move', ids: [draft.id], channel: 'keji' })).items[0]).toEqual({ id: draft.id, ok: true, unchanged: true });
    const tag = json(await bulk(editor.auth, { action: 'tag', ids: [draft.id, done.id], tag: ' #地铁新线 ' }));
    expect(tag.items.every((i: { ok: boolean }) => i.ok)).toBe(true);
    expect(json(await get(editor.auth, done.id)).tags).toEqual(['江城', '地铁', '地铁新线']);
    expect((await audit(done.id))[0]).toMatchObject({ action: 'article.tag', detail: { bulk: true, tag: '地铁新线' } });
    expect(json(await bulk(editor.auth, { action: 'tag', ids: [done.id], tag: '地铁新线' })).items[0].unchanged).toBe(true);

    // Unpublish and delete follow their own rules per article.
    const pull = json(await bulk(editor.auth, { action: 'unpublish', ids: [done.id, submitted.id, empty.id] }));
    expect(pull.items.map((i: { ok: boolean; error?: { code: string } }) => i.ok || i.error!.code)).toEqual([true, true, 'invalid_transition']);
    expect((await t.app.inject({ url: `/a/${done.id}` })).statusCode).toBe(410);
    const fresh = await createArticle(t.app, reporter.auth);
    const drop = json(await bulk(editor.auth, { action: 'delete', ids: [fresh.id, done.id] }));
    expect(drop.items.map((i: { ok: boolean; error?: { code: string } }) => i.ok || i.error!.code)).toEqual([true, 'not_deletable']);
    expect((await audit(fresh.id))[0]).toMatchObject({ action: 'article.delete', detail: { bulk: true } });
    expect(json(await bulk(editor.auth, { action: 'delete', ids: [fresh.id] })).items[0]).toEqual({ id: fresh.id, ok: true, unchanged: true });
  });

  it('bulk: refuses reporters, bad and oversized requests as a whole, changing nothing', async () => {
    const a = await createArticle(t.app, reporter.auth);
    const refused = await bulk(reporter.auth, { action: 'delete', ids: [a.id] });
    expect(refused.statusCode).toBe(403);
    expect(json(refused).error.code).toBe('forbidden');
    const cases: [unknown, number, string][] = [
      [{ action: 'publish', ids: Array.from({ length: 201 }, (_, i) => i + 1) }, 400, 'too_many'],
      [{ action: 'publish', ids: [] }, 400, 'required'],
      [{ action: 'move', ids: [a.id] }, 400, 'required'],
      [{ action: 'move', ids: [a.id], channel: 'nowhere' }, 400, 'unknown_channel'],
      [{ action: 'tag', ids: [a.id], tag: '标'.repeat(33) }, 400, 'too_long'],
      [{ action: 'tag', ids: [a.id], tag: '  #  ' }, 400, 'required'],
      [{ action: 'destroy', ids: [a.id] }, 400, 'invalid_input'],
      [{ action: 'delete', ids: [a.id], force: true }, 400, 'unknown_field'],
      [{ action: 'delete', ids: ['1'] }, 400, 'invalid_input'],
      [{ action: 'delete', ids: [2 ** 40] }, 400, 'invalid_input'],
      [{ action: 'delete', ids: Array.from({ length: 5000 }, (_, i) => i + 1) }, 413, 'payload_too_large'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await bulk(editor.auth, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(status);
      expect(json(res).error.code).toBe(code);
    }
    const still = json(await get(reporter.auth, a.id));
    expect(still).toMatchObject({ status: 'draft', revision: 1, channel: 'difang/yaowen' });
  });

  it('a percent-encoded or odd id is the same article or a 400, never a 500', async () => {
    const a = await createArticle(t.app, editor.auth, articleInput());
    expect((await del(editor.auth, `${a.id}%2F..`)).statusCode).toBe(400);
    expect((await del(editor.auth, '0')).statusCode).toBe(400);
    expect((await del(editor.auth, encodeURIComponent(String(a.id)))).statusCode).toBe(204);
  });
});
