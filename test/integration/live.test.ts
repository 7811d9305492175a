import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChanges } from '../../src/domain/live/service.ts';
import * as migration from '../../src/storage/migrations/2026-12-03T0700-live-keys-media.ts';
import { migrationContext } from '../../src/storage/migrations/index.ts';
import { LiveHub } from '../../src/web/live-hub.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { multipart } from '../support/images.ts';
import { dataOf, openSse, type SseStream } from '../support/sse.ts';
import { STORES } from '../support/stores.ts';
import { waitFor } from '../support/wait.ts';

type User = { auth: string; username: string; id: number };
interface Change {
  type: 'entry' | 'status';
  seq: number;
  status?: string;
  entry?: { id: number; seq: number; deleted?: true; body?: string; pinned?: boolean; author?: string; images?: { src: string; alt: string }[] };
}

/**
 * 图文直播 (issue #15): an article becomes a live; editors and reporters post, edit, pin and delete entries (each
 * audited); readers get every entry on the cached page without JavaScript (purged on each change), as changes after
 * a cursor (`live.json`), and as server-sent events that resume from Last-Event-ID without gaps or duplicates.
 */
describe.each(STORES)('live coverage on %s', (kind) => {
  let t: TestApp;
  let base: string;
  let editor: User;
  let otherEditor: User;
  let reporter: User;
  let otherReporter: User;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    // A short keep-alive: an idle stream must outlive it (and the headers timeout after it) on a real socket.
    t = await startTestApp(kind, { INKSTONE_KEEP_ALIVE_TIMEOUT: '1' });
    const admin = await t.user('admin');
    editor = await t.user('editor');
    otherEditor = await t.user('editor');
    reporter = await t.user('reporter');
    otherReporter = await t.user('reporter');
    await createChannels(t.app, admin.auth);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t.close();
  });

  const call = (
    user: User | undefined,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...(user ? { authorization: user.auth } : {}), ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const setStatus = (user: User, id: number, status: string) => call(user, 'PUT', `/articles/${id}/live`, { status });
  const post = async (user: User, id: number, body: Record<string, unknown>) => {
    const res = await call(user, 'POST', `/articles/${id}/live/entries`, body);
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: number; seq: number; body: string; pinned: boolean }>(res);
  };
  const liveArticle = async (title = '江城马拉松鸣枪开跑') => {
    const { id } = await createArticle(t.app, editor.auth, { title, body: '<p>本报记者在现场为您带来图文直播。</p>' });
    await publish(t.app, editor.auth, id);
    expect((await setStatus(editor, id, 'live')).statusCode).toBe(200);
    return id;
  };
  const changes = async (id: number, after?: number) => {
    const res = await t.app.inject({ url: `/a/${id}/live.json${after === undefined ? '' : `?after=${after}`}` });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ status: string; cursor: number; more: boolean; changes: Change[] }>(res);
  };
  const sse = async (id: number, query = '', headers: Record<string, string> = {}) => {
    const s = await openSse(`${base}/a/${id}/live/events${query}`, headers);
    streams.push(s);
    return s;
  };
  const audit = async (id: number) => {
    const res = await call(editor, 'GET', `/audit?article=${id}&action=live`);
    return json<{ items: { action: string; actor: string; detail: Record<string, unknown> }[] }>(res).items;
  };

  it('two editors closing, or opening, a live at the same moment: it changes once, audited once, its close time the first one', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await liveArticle(`双人操作直播${round}`);
      const closed = await Promise.all([setStatus(editor, id, 'ended'), setStatus(otherEditor, id, 'ended')]);
      expect(closed.map((r) => r.statusCode)).toEqual([200, 200]);
      expect(json(closed[0]!)).toEqual(json(closed[1]!));
      const reopened = await Promise.all([setStatus(editor, id, 'live'), setStatus(otherEditor, id, 'live')]);
      expect(reopened.map((r) => r.statusCode)).toEqual([200, 200]);
      expect(json(reopened[0]!)).toEqual(json(reopened[1]!));
      const actions = (await audit(id)).map((e) => e.action).filter((a) => a === 'live.open' || a === 'live.close');
      expect(actions.sort()).toEqual(['live.close', 'live.open', 'live.open']);
    }
  });

  it('posts, edits, pins and deletes entries, newest first with the pin on top, each change audited', async () => {
    const id = await liveArticle();
    const first = await post(reporter, id, { body: '上午7:30，三万名选手从江城广场出发。\n\n现场气温12℃。' });
    expect(first.body).toBe('上午7:30，三万名选手从江城广场出发。\n\n现场气温12℃。');
    const second = await post(editor, id, { body: '男子组领先集团已通过10公里。', quote: { text: '今天的天气很适合跑步。', source: '一位参赛选手' } });
    const pinned = await post(editor, id, { body: '交通提示：滨江路全天封闭。', pinned: true });
    const third = await post(reporter, id, { body: '补给站志愿者正在发放香蕉。' });

    const res = await call(editor, 'GET', `/articles/${id}/live`);
    expect(res.statusCode).toBe(200);
    const live = json<{ live: { status: string }; entries: { id: number; abilities: { edit: boolean } }[] }>(res);
    expect(live.live.status).toBe('live');
    expect(live.entries.map((e) => e.id)).toEqual([pinned.id, third.id, second.id, first.id]);

    // Pinning another takes the first pin off the top.
    const repin = await call(editor, 'PATCH', `/articles/${id}/live/entries/${second.id}`, { pinned: true });
    expect(repin.statusCode, repin.body).toBe(200);
    const after = json<{ entries: { id: number; pinned: boolean }[] }>(await call(editor, 'GET', `/articles/${id}/live`)).entries;
    expect(after.map((e) => [e.id, e.pinned])).toEqual([
      [second.id, true],
      [third.id, false],
      [pinned.id, false],
      [first.id, false],
    ]);

    const edit = await call(reporter, 'PATCH', `/articles/${id}/live/entries/${first.id}`, { body: '上午7:30，三万名选手从江城广场起跑。' });
    expect(edit.statusCode, edit.body).toBe(200);
    expect(json(edit).body).toBe('上午7:30，三万名选手从江城广场起跑。');
    expect((await call(editor, 'DELETE', `/articles/${id}/live/entries/${third.id}`)).statusCode).toBe(204);
    // Gone for everyone: a second delete and an edit are 404s.
    expect((await call(editor, 'DELETE', `/articles/${id}/live/entries/${third.id}`)).statusCode).toBe(404);
    expect((await call(editor, 'PATCH', `/articles/${id}/live/entries/${third.id}`, { body: 'x' })).statusCode).toBe(404);

    expect((await setStatus(editor, id, 'ended')).statusCode).toBe(200);
    const log = await audit(id);
    expect(log.map((e) => e.action).reverse()).toEqual([
      'live.open',
      'live.entry.create',
      'live.entry.create',
      'live.entry.create',
      'live.entry.create',
      'live.entry.update',
      'live.entry.update',
      'live.entry.delete',
      'live.close',
    ]);
    const deleted = log.find((e) => e.action === 'live.entry.delete')!;
    expect(deleted.actor).toBe(editor.username);
    expect(deleted.detail).toMatchObject({ entry: third.id, text: '补给站志愿者正在发放香蕉。' });
    expect(log.find((e) => e.action === 'live.entry.update' && e.actor === reporter.username)!.detail).toMatchObject({ changed: ['body'] });
  });

  it('lets reporters post and change their own entries only; opening and closing is for editors and the author', async () => {
    const id = await liveArticle('防汛发布会');
    expect((await call(undefined, 'POST', `/articles/${id}/live/entries`, { body: '匿名' })).statusCode).toBe(401);
    const mine = await post(reporter, id, { body: '发布会开始。' });
    const theirs = await post(otherReporter, id, { body: '水位已回落。' });
    expect((await call(reporter, 'PATCH', `/articles/${id}/live/entries/${theirs.id}`, { body: '改别人的' })).statusCode).toBe(403);
    expect((await call(reporter, 'DELETE', `/articles/${id}/live/entries/${theirs.id}`)).statusCode).toBe(403);
    expect((await call(reporter, 'PATCH', `/articles/${id}/live/entries/${mine.id}`, { body: '发布会开始，市长出席。' })).statusCode).toBe(200);
    expect((await call(otherEditor, 'DELETE', `/articles/${id}/live/entries/${mine.id}`)).statusCode).toBe(204);
    // A reporter may not close an editor's live, nor make someone else's article one.
    expect((await setStatus(reporter, id, 'ended')).statusCode).toBe(403);
    const { id: other } = await createArticle(t.app, editor.auth, { title: '编辑的草稿' });
    expect((await setStatus(reporter, other, 'live')).statusCode).toBe(403);
    // …nor post to a draft live they cannot read.
    expect((await setStatus(editor, other, 'live')).statusCode).toBe(200);
    expect((await call(reporter, 'POST', `/articles/${other}/live/entries`, { body: '看不到的稿件' })).statusCode).toBe(403);
    // Their own article: they open it.
    const { id: own } = await createArticle(t.app, reporter.auth, { title: '记者自己的直播' });
    expect((await setStatus(reporter, own, 'live')).statusCode).toBe(200);
    const res = json<{ entries: { id: number; abilities: { edit: boolean } }[] }>(await call(reporter, 'GET', `/articles/${id}/live`));
    expect(res.entries.find((e) => e.id === theirs.id)!.abilities.edit).toBe(false);
  });

  it('refuses bad input with a clear 4xx and changes nothing', async () => {
    const id = await liveArticle('台风登陆');
    const { id: plain } = await createArticle(t.app, editor.auth, { title: '普通稿件' });
    const before = (await changes(id)).cursor;
    const refusals: [number, string, unknown][] = [
      [400, 'required', { body: '   ' }],
      [400, 'required', {}],
      [400, 'too_long', { body: '长'.repeat(2001) }],
      [400, 'unknown_field', { body: '正文', html: '<script>' }],
      [400, 'invalid_input', { body: 42 }],
      [400, 'unknown_media', { body: '配图', images: [987654] }],
      [400, 'duplicate', { body: '配图', images: [1, 1] }],
      [400, 'invalid_input', { body: '配图', images: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }],
      [400, 'required', { body: '', quote: { text: '', source: '某人' } }],
    ];
    for (const [status, code, body] of refusals) {
      const res = await call(editor, 'POST', `/articles/${id}/live/entries`, body);
      expect([res.statusCode, json(res).error.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const huge = await call(editor, 'POST', `/articles/${id}/live/entries`, { body: '长'.repeat(20_000) });
    expect(huge.statusCode).toBe(413);
    expect(json(await call(editor, 'POST', `/articles/${plain}/live/entries`, { body: '不是直播' }))).toMatchObject({ error: { code: 'not_live' } });
    expect((await setStatus(editor, plain, 'ended')).statusCode).toBe(409);
    expect((await setStatus(editor, id, 'paused')).statusCode).toBe(400);
    expect((await call(editor, 'POST', '/articles/99999999/live/entries', { body: '没有这篇' })).statusCode).toBe(404);
    // Closed: no new entries until it reopens; corrections are still allowed.
    const entry = await post(editor, id, { body: '台风中心位于东南方向120公里。' });
    expect((await setStatus(editor, id, 'ended')).statusCode).toBe(200);
    expect(json(await call(editor, 'POST', `/articles/${id}/live/entries`, { body: '结束后' }))).toMatchObject({ error: { code: 'live_ended' } });
    expect((await call(editor, 'PATCH', `/articles/${id}/live/entries/${entry.id}`, { body: '台风中心位于东南方向110公里。' })).statusCode).toBe(200);
    // Asking for the status it has is a no-op (no second audit entry).
    expect((await setStatus(editor, id, 'ended')).statusCode).toBe(200);
    expect((await audit(id)).filter((e) => e.action === 'live.close')).toHaveLength(1);
    expect((await setStatus(editor, id, 'live')).statusCode).toBe(200);
    // Reader-side cursors: malformed is 400, unknown articles and non-lives 404.
    expect((await t.app.inject({ url: `/a/${id}/live.json?after=-1` })).statusCode).toBe(400);
    expect((await t.app.inject({ url: `/a/${id}/live.json?after=1e9` })).statusCode).toBe(400);
    // …in JSON like every answer of the route, also when the query's shape is wrong (repeated, too long).
    for (const query of ['after=1&after=2', `after=${'1'.repeat(30)}`]) {
      const refused = await t.app.inject({ url: `/a/${id}/live.json?${query}` });
      expect([refused.statusCode, refused.headers['content-type']], query).toEqual([400, 'application/json; charset=utf-8']);
      expect(json(refused).error.code, query).toEqual(expect.any(String));
    }
    expect((await t.app.inject({ url: `/a/${plain}/live.json` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/a/%31%32abc/live.json' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/a/${id}/live/events`, headers: { 'last-event-id': 'abc' } })).statusCode).toBe(400);
    expect((await t.app.inject({ url: `/a/${plain}/live/events` })).statusCode).toBe(404);
    const head = await fetch(`${base}/a/${id}/live/events`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
    const now = await changes(id, before);
    // Exactly the one entry posted, its correction, and the status changes: no refused write left a trace.
    expect(now.changes.filter((c) => c.type === 'entry').map((c) => c.entry!.id)).toEqual([entry.id]);
  });

  it('answers an If-Match naming a replaced version of an entry with 412', async () => {
    const id = await liveArticle('地铁故障');
    const entry = await post(editor, id, { body: '2号线部分区段停运。' });
    const ok = await call(reporter, 'GET', `/articles/${id}/live`);
    expect(ok.statusCode).toBe(200);
    const first = await call(editor, 'PATCH', `/articles/${id}/live/entries/${entry.id}`, { body: '2号线已恢复运营。' }, { 'if-match': `"${entry.seq}"` });
    expect(first.statusCode, first.body).toBe(200);
    const stale = await call(otherEditor, 'PATCH', `/articles/${id}/live/entries/${entry.id}`, { body: '旧版本上的修改' }, { 'if-match': `"${entry.seq}"` });
    expect(stale.statusCode).toBe(412);
    expect(json(stale).error).toMatchObject({ code: 'stale_revision', current: { revision: json(first).seq } });
    expect((await call(otherEditor, 'DELETE', `/articles/${id}/live/entries/${entry.id}`, undefined, { 'if-match': `"${entry.seq}"` })).statusCode).toBe(412);
    expect(json(await call(editor, 'GET', `/articles/${id}/live`)).entries[0].body).toBe('2号线已恢复运营。');
  });

  it('lists every entry on the cached page without JavaScript, purged by each change', async () => {
    const id = await liveArticle('城市运动会开幕');
    await post(editor, id, { body: '开幕式 <b>现场</b> 座无虚席。' });
    // Related reading made after the publish purges the page once more: wait for it before counting hits.
    await t.settled();
    const page = await t.app.inject({ url: `/a/${id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('图文直播');
    expect(page.body).toContain('直播中');
    // Plain text, escaped.
    expect(page.body).toContain('开幕式 &lt;b>现场&lt;/b> 座无虚席。');
    expect(page.body).not.toMatch(/<script(?![^>]*(src=|application\/ld\+json))/);
    expect(String(page.headers['surrogate-key'])).toContain(`p${id}`);
    expect((await t.app.inject({ url: `/a/${id}` })).headers['x-cache']).toBe('hit');

    const entry = await post(reporter, id, { body: '运动员代表宣誓。' });
    const fresh = await t.app.inject({ url: `/a/${id}` });
    expect(fresh.headers['x-cache']).toBe('miss');
    expect(fresh.body).toContain('运动员代表宣誓。');
    expect(fresh.body).toMatch(new RegExp(`data-live-cursor="${(await changes(id)).cursor}"`));
    await t.app.inject({ url: `/a/${id}` });
    expect((await call(editor, 'DELETE', `/articles/${id}/live/entries/${entry.id}`)).statusCode).toBe(204);
    const gone = await t.app.inject({ url: `/a/${id}` });
    expect(gone.headers['x-cache']).toBe('miss');
    expect(gone.body).not.toContain('运动员代表宣誓。');
    await setStatus(editor, id, 'ended');
    expect((await t.app.inject({ url: `/a/${id}` })).body).toContain('已结束');
  });

  it('shows library images with their description, and nothing of a draft live to readers', async () => {
    const id = await liveArticle('花展开幕');
    const image = await sharp({ create: { width: 640, height: 360, channels: 3, background: { r: 200, g: 60, b: 90 } } })
      .jpeg()
      .toBuffer();
    const body = await multipart({ field: 'file', data: image, filename: 'flowers.jpg', type: 'image/jpeg' });
    const up = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: editor.auth, ...body.headers }, payload: body.payload });
    expect(up.statusCode, up.body).toBe(201);
    const media = json<{ id: number; url: string }>(up);
    expect((await call(editor, 'PATCH', `/media/${media.id}`, { alt: '盛开的郁金香', caption: '主会场的郁金香' })).statusCode).toBe(200);
    await post(editor, id, { body: '郁金香进入盛花期。', images: [media.id] });
    const page = await t.app.inject({ url: `/a/${id}` });
    expect(page.body).toContain(`src="${media.url}"`);
    expect(page.body).toContain('alt="盛开的郁金香"');
    expect(page.body).toContain('<figcaption>主会场的郁金香</figcaption>');
    const [change] = (await changes(id)).changes.filter((c) => c.type === 'entry');
    expect(change!.entry!.images).toEqual([expect.objectContaining({ src: media.url, alt: '盛开的郁金香' })]);

    const { id: draft } = await createArticle(t.app, editor.auth, { title: '未发布的直播' });
    await setStatus(editor, draft, 'live');
    await post(editor, draft, { body: '内部准备中。' });
    expect((await t.app.inject({ url: `/a/${draft}/live.json` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/a/${draft}/live/events` })).statusCode).toBe(404);
  });

  it('gives the changes after a cursor exactly once each, in order, while posts race', async () => {
    const id = await liveArticle('跨年夜');
    const seen = new Map<number, number>();
    const seqs: number[] = [];
    let cursor = 0;
    let posting = true;
    const read = async () => {
      const page = await changes(id, cursor);
      for (const c of page.changes) {
        seqs.push(c.seq);
        if (c.type === 'entry') seen.set(c.entry!.id, (seen.get(c.entry!.id) ?? 0) + 1);
      }
      cursor = page.cursor;
    };
    let reads = 0;
    // A poller reading as fast as it can while the posts commit (a pause between reads lets SQLite's single writer in).
    const reader = (async () => {
      for (; posting && reads < 2000; reads++) {
        await read();
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    // Four waves of six concurrent posts by two people, the poller reading between and during them.
    const posted: { id: number; seq: number }[] = [];
    try {
      for (let wave = 0; wave < 4; wave++) {
        const batch = Array.from({ length: 6 }, (_, i) => post(i % 2 ? editor : reporter, id, { body: `倒计时第${wave}-${i}条` }));
        posted.push(...(await Promise.all(batch)));
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      posting = false;
    }
    await reader;
    await read();
    expect(reads).toBeGreaterThan(2);
    // No gap: every entry was seen; no duplicate: once each; in the live's order.
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(posted.map((p) => p.id).sort((a, b) => a - b));
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(posted.map((p) => p.seq)).size).toBe(posted.length);

    // Paged in twos, from the start and from the middle, the pages join up without gaps or repeats.
    const article = (await t.ctx.store.articles.findById(id))!;
    const all = (await liveChanges(t.ctx.store, article, 0, 1000))!;
    let paged: number[] = [];
    for (let at = 0, more = true; more; ) {
      const page = (await liveChanges(t.ctx.store, article, at, 2))!;
      paged = paged.concat(page.changes.map((c) => c.seq));
      at = page.cursor;
      more = page.more;
    }
    expect(paged).toEqual(all.changes.map((c) => c.seq));
  });

  it('streams new, edited and deleted entries as server-sent events, resuming after Last-Event-ID', async () => {
    const id = await liveArticle('新闻发布会');
    const opening = await post(editor, id, { body: '发布会即将开始。' });
    const start = (await changes(id)).cursor;
    const stream = await sse(id, `?after=${start}`, { 'accept-encoding': 'gzip, br' });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-store, no-transform');
    expect(stream.headers.get('content-encoding')).toBeNull();
    expect(stream.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(stream.headers.get('x-cache')).toBeNull();

    const a = await post(reporter, id, { body: '发言人介绍了最新情况。' });
    const b = await post(editor, id, { body: '记者提问环节开始。' });
    await call(editor, 'PATCH', `/articles/${id}/live/entries/${a.id}`, { body: '发言人通报了最新情况。' });
    await call(editor, 'DELETE', `/articles/${id}/live/entries/${opening.id}`);
    const events = await stream.waitFor(4);
    expect(events.map((e) => [e.event, dataOf(e).entry.id])).toEqual([
      ['entry', a.id],
      ['entry', b.id],
      ['entry', a.id],
      ['entry', opening.id],
    ]);
    expect(dataOf(events[2]!).entry.body).toBe('发言人通报了最新情况。');
    expect(dataOf(events[3]!).entry).toEqual({ id: opening.id, seq: expect.any(Number), deleted: true });
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));

    // A browser that lost the stream after the second event reconnects with its id: the rest, once each (here through
    // a percent-encoded address, which only Fastify's router decodes).
    const encoded = `/a/${String(id).replace(/^\d/, (d) => `%3${d}`)}`;
    const resumed = await openSse(`${base}${encoded}/live/events?after=${start}`, { 'last-event-id': events[1]!.id! });
    streams.push(resumed);
    expect(resumed.status).toBe(200);
    const again = await resumed.waitFor(2);
    expect(again.map((e) => e.id)).toEqual([events[2]!.id, events[3]!.id]);
    const c = await post(editor, id, { body: '发布会结束。' });
    await stream.waitFor(5);
    await resumed.waitFor(3);
    expect(dataOf(resumed.events[2]!).entry.id).toBe(c.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(resumed.events).toHaveLength(3);
    expect(stream.events).toHaveLength(5);

    // From the beginning: every visible entry in the order of its last change (a's edit after b), deleted ones not at all.
    const fresh = await sse(id);
    const all = await fresh.waitFor(4);
    expect(all.filter((e) => e.event === 'entry').map((e) => dataOf(e).entry.id)).toEqual([b.id, a.id, c.id]);
    expect(all.some((e) => e.event === 'status' && dataOf(e).status === 'live')).toBe(true);

    // Closing is an event; taking the article down ends every stream.
    await setStatus(editor, id, 'ended');
    await waitFor(() => stream.events.some((e) => e.event === 'status' && dataOf(e).status === 'ended'));
    expect((await call(editor, 'POST', `/articles/${id}/unpublish`)).statusCode).toBe(200);
    await waitFor(() => stream.ended() && resumed.ended() && fresh.ended(), { message: 'streams ended after the take-down' });
    expect((await t.app.inject({ url: `/a/${id}/live/events` })).statusCode).toBe(404);
  });

  it('makes a retried post with the same Idempotency-Key the same entry: no second entry, no second event', async () => {
    const id = await liveArticle('暴雨红色预警');
    const other = await liveArticle('另一场直播');
    const stream = await sse(id, `?after=${(await changes(id)).cursor}`);
    const send = (user: User, live: number, body: Record<string, unknown>, key?: string) =>
      call(user, 'POST', `/articles/${live}/live/entries`, body, key === undefined ? {} : { 'idempotency-key': key });
    const entries = async () => json<{ entries: { id: number; body: string }[] }>(await call(editor, 'GET', `/articles/${id}/live`)).entries;

    const first = await send(reporter, id, { body: '气象台发布暴雨红色预警。', images: [] }, 'key-1');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The network dropped the answer: the retry (fields in another order, defaults spelled out) gets the same entry, as 201.
    const retry = await send(reporter, id, { pinned: false, body: '气象台发布暴雨红色预警。' }, 'key-1');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(json<{ id: number }>(retry).id).toBe(json<{ id: number }>(first).id);
    expect(retry.headers.etag).toBe(first.headers.etag);

    // The same key with another entry, or for another live, is refused and changes nothing.
    const changed = await send(reporter, id, { body: '气象台解除暴雨预警。' }, 'key-1');
    expect(changed.statusCode).toBe(422);
    expect(json(changed).error).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
    expect((await send(reporter, other, { body: '气象台发布暴雨红色预警。' }, 'key-1')).statusCode).toBe(422);
    // Keys belong to an account: another reporter's key-1 is a new entry. Malformed keys are a 400.
    const theirs = await send(otherReporter, id, { body: '气象台发布暴雨红色预警。' }, 'key-1');
    expect(theirs.statusCode).toBe(201);
    for (const bad of ['x'.repeat(201), '带中文的键', 'two words']) {
      const res = await send(reporter, id, { body: '不应发布。' }, bad);
      expect(res.statusCode, bad).toBe(400);
      expect(json(res).error.field).toBe('Idempotency-Key');
    }

    // Eight copies of one request at once: exactly one entry, every answer names it.
    const storm = await Promise.all(Array.from({ length: 8 }, () => send(editor, id, { body: '全市中小学停课一天。' }, 'storm-key')));
    for (const res of storm) expect(res.statusCode, res.body).toBe(201);
    const stormIds = new Set(storm.map((res) => json<{ id: number }>(res).id));
    expect(stormIds.size).toBe(1);
    // One key sent at once to two lives: one of them gets the entry, the other a 422.
    const split = await Promise.all([send(editor, id, { body: '地铁停运。' }, 'split-key'), send(editor, other, { body: '地铁停运。' }, 'split-key')]);
    expect(split.map((r) => r.statusCode).sort()).toEqual([201, 422]);

    const list = await entries();
    expect(list.filter((e) => e.body === '气象台发布暴雨红色预警。')).toHaveLength(2);
    expect(list.filter((e) => e.body === '全市中小学停课一天。')).toHaveLength(1);
    expect(list.filter((e) => e.body === '不应发布。')).toHaveLength(0);
    const otherEntries = json<{ entries: unknown[] }>(await call(editor, 'GET', `/articles/${other}/live`)).entries;
    expect(list.filter((e) => e.body === '地铁停运。').length + otherEntries.length).toBe(1);
    // Readers heard of each entry once: the replays sent no event (the last post marks the end of the stream).
    const last = await post(editor, id, { body: '预警信息持续更新。' });
    await waitFor(() => stream.events.some((e) => dataOf(e).entry?.id === last.id));
    const heard = stream.events.map((e) => dataOf(e).entry.id as number);
    expect(heard).toEqual([...list.map((e) => e.id), last.id].sort((a, b) => a - b));
    expect((await audit(id)).filter((e) => e.action === 'live.entry.create')).toHaveLength(list.length + 1);
  });

  it('refuses to delete a library image a live entry shows, with 409 and the live; a delete racing a post leaves no broken entry', async () => {
    const id = await liveArticle('灯会');
    // Each upload its own picture: identical bytes may share an address, and the race rounds below tell entries by it.
    let uploads = 0;
    const upload = async () => {
      uploads++;
      const image = await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 30 + uploads * 7, g: 90, b: 200 } } })
        .jpeg()
        .toBuffer();
      const body = await multipart({ field: 'file', data: image, filename: 'lantern.jpg', type: 'image/jpeg' });
      const up = await t.app.inject({
        method: 'POST',
        url: '/api/v1/media',
        headers: { authorization: reporter.auth, ...body.headers },
        payload: body.payload,
      });
      expect(up.statusCode, up.body).toBe(201);
      return json<{ id: number; url: string }>(up);
    };
    const del = (mediaId: number) => call(editor, 'DELETE', `/media/${mediaId}`);
    const [m1, m2] = [await upload(), await upload()];
    const e1 = await post(reporter, id, { body: '花灯点亮。', images: [m1.id, m2.id] });
    const e2 = await post(editor, id, { body: '游客如织。', images: [m2.id] });

    const refused = await del(m2.id);
    expect(refused.statusCode).toBe(409);
    expect(json(refused).error).toMatchObject({
      code: 'media_in_use',
      articles: [{ id, title: '灯会', status: 'published', inArticle: false, liveEntries: [e1.id, e2.id] }],
    });
    const detail = json<{ usedBy: number; articles: { id: number; liveEntries: number[] }[] }>(await call(editor, 'GET', `/media/${m2.id}`));
    expect(detail.usedBy).toBe(1);
    expect(detail.articles).toEqual([expect.objectContaining({ id, liveEntries: [e1.id, e2.id] })]);

    // Entries posted before the usage table existed: its migration reads their images back from the entries' copies.
    const db = t.db.database.db;
    const usage = () =>
      db.selectFrom('live_entry_media').select(['entry_id', 'media_id']).where('article_id', '=', id).orderBy('entry_id').orderBy('media_id').execute();
    const kept = await usage();
    expect(kept).toEqual([
      { entry_id: e1.id, media_id: m1.id },
      { entry_id: e1.id, media_id: m2.id },
      { entry_id: e2.id, media_id: m2.id },
    ]);
    await db.deleteFrom('live_entry_media').where('article_id', '=', id).execute();
    await migration.up(db as never, migrationContext(t.db.database.dialect));
    expect(await usage()).toEqual(kept);

    // Taken out of the entry (an edit) or the entry deleted: the image is free again.
    expect((await call(editor, 'PATCH', `/articles/${id}/live/entries/${e1.id}`, { images: [m2.id] })).statusCode).toBe(200);
    expect((await del(m1.id)).statusCode).toBe(204);
    expect((await del(m2.id)).statusCode).toBe(409);
    expect((await call(editor, 'DELETE', `/articles/${id}/live/entries/${e1.id}`)).statusCode).toBe(204);
    expect((await call(editor, 'DELETE', `/articles/${id}/live/entries/${e2.id}`)).statusCode).toBe(204);
    expect((await del(m2.id)).statusCode).toBe(204);

    // A delete racing a post of the image: one of them wins, never both.
    for (let round = 0; round < 4; round++) {
      const m = await upload();
      const [posted, deleted] = await Promise.all([
        call(reporter, 'POST', `/articles/${id}/live/entries`, { body: `第${round}组花灯。`, images: [m.id] }),
        del(m.id),
      ]);
      const shown = (await changes(id)).changes.some((c) => c.entry?.images?.some((i) => i.src === m.url));
      if (deleted.statusCode === 204) {
        expect(posted.statusCode, posted.body).toBeGreaterThanOrEqual(400);
        expect(['media_gone', 'unknown_media']).toContain(json(posted).error.code);
        expect(shown).toBe(false);
      } else {
        expect(deleted.statusCode, deleted.body).toBe(409);
        expect(posted.statusCode, posted.body).toBe(201);
        expect(shown).toBe(true);
      }
    }
  });

  it('keeps an idle stream open past the keep-alive and headers timeouts', async () => {
    const id = await liveArticle('长时间空闲的直播');
    const stream = await sse(id);
    await stream.waitFor(1);
    // keep-alive 1 s, headers timeout 6 s: neither may cut a stream whose request arrived long ago.
    await new Promise((r) => setTimeout(r, 7_500));
    expect(stream.ended()).toBe(false);
    const entry = await post(editor, id, { body: '安静了七秒之后的消息。' });
    await waitFor(() => stream.events.some((e) => e.event === 'entry' && dataOf(e).entry.id === entry.id));
  }, 20_000);

  it('sends heartbeats on idle streams and reads each change once for all of a room’s readers', async () => {
    const id = await liveArticle('心跳');
    const hub = new LiveHub(t.ctx, { heartbeatMs: 100 });
    const article = (await t.ctx.store.articles.findById(id))!;
    const server: Server = createServer((req, res) => void hub.subscribe(article, res, Number(req.headers['last-event-id'] ?? 0)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const readers = await Promise.all(Array.from({ length: 20 }, () => openSse(url)));
      await waitFor(() => readers.every((r) => r.comments.includes('ping')), { message: 'heartbeats' });
      expect(hub.connections).toBe(20);
      const entry = await post(editor, id, { body: '二十位读者同时收到。' });
      hub.notify(id);
      await waitFor(() => readers.every((r) => r.events.some((e) => e.event === 'entry' && dataOf(e).entry.id === entry.id)));
      for (const r of readers) expect(r.events.filter((e) => e.event === 'entry' && dataOf(e).entry.id === entry.id)).toHaveLength(1);
      for (const r of readers) r.close();
      await waitFor(() => hub.connections === 0, { message: 'closed streams forgotten' });
    } finally {
      hub.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
