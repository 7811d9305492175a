import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels, publish } from '../support/factories.ts';
import { readerCookie } from '../support/reactions.ts';
import { STORES } from '../support/stores.ts';

const HOUR = 3_600_000;

function ballot(app: FastifyInstance, pollId: number | string, choices: unknown, o: { ip?: string; cookie?: string; headers?: Record<string, string> } = {}) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/polls/${pollId}/votes`,
    remoteAddress: o.ip ?? '127.0.0.1',
    headers: { ...(o.cookie ? { cookie: `inkstone_reader=${o.cookie}` } : {}), ...o.headers },
    payload: { choices },
  });
}

/** Counts straight from the ballot rows: what the stored counts must always equal. */
async function countsFromRows(t: TestApp, pollId: number, options: number) {
  const db = t.db.database.db as any;
  const ballots = await db.selectFrom('poll_ballots').select(['reader_id', 'held']).where('poll_id', '=', pollId).execute();
  const counted = new Set(ballots.filter((b: { held: number }) => Number(b.held) === 0).map((b: { reader_id: string }) => b.reader_id));
  const choices = await db.selectFrom('poll_choices').select(['reader_id', 'position']).where('poll_id', '=', pollId).execute();
  const votes = Array.from({ length: options }, () => 0);
  for (const c of choices) if (counted.has(c.reader_id)) votes[c.position] = (votes[c.position] ?? 0) + 1;
  return { votes, voters: counted.size, ballots: ballots.length };
}

describe.each(STORES)('polls on %s', (kind) => {
  let t: TestApp;
  let editor: { auth: string; id: number };
  let admin: { auth: string };
  const create = (auth: string, body: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/polls', headers: { authorization: auth }, payload: body });
  const newPoll = async (body: Record<string, unknown> = {}) => {
    const res = await create(editor.auth, { question: '您支持地铁延长运营时间吗？', options: ['支持', '反对', '无所谓'], ...body });
    expect(res.statusCode, res.body).toBe(201);
    return json(res) as { id: number; options: string[]; choice: string };
  };
  const view = (id: number, cookie?: string) => t.app.inject({ url: `/api/v1/polls/${id}`, headers: cookie ? { cookie: `inkstone_reader=${cookie}` } : {} });

  beforeAll(async () => {
    t = await startTestApp(kind);
    const a = await t.user('admin');
    admin = a;
    await createChannels(t.app, a.auth);
    editor = await t.user('editor');
  });
  afterAll(() => t.close());

  it('creates polls within the rules and refuses bad ones with a clear 400, changing nothing', async () => {
    const ok = await newPoll({ choice: 'multiple', results: 'always', closesAt: new Date(t.clock.now() + HOUR).toISOString() });
    expect(ok).toMatchObject({ choice: 'multiple', results: 'always', options: ['支持', '反对', '无所谓'], counts: { votes: [0, 0, 0], voters: 0 } });
    const before = json(await t.app.inject({ url: '/api/v1/polls', headers: { authorization: editor.auth } })).items.length;
    const bad: [Record<string, unknown>, string][] = [
      [{ question: '', options: ['a', 'b'] }, 'required'],
      [{ question: '问', options: ['只有一个'] }, 'too_short'],
      [{ question: '问', options: Array.from({ length: 11 }, (_, i) => `选项${i}`) }, 'too_many'],
      [{ question: '问', options: ['同', '同'] }, 'duplicate'],
      [{ question: '问', options: ['a', ' '] }, 'required'],
      [{ question: '问'.repeat(201), options: ['a', 'b'] }, 'too_long'],
      [{ question: '问', options: ['a', 'b'], closesAt: '2020-01-01T00:00:00Z' }, 'in_past'],
      [{ question: '问', options: ['a', 'b'], closesAt: '明天' }, 'invalid_time'],
      [{ question: '问', options: ['a', 'b'], article: 999_999 }, 'unknown_article'],
      [{ question: '问', options: ['a', 'b'], topic: 999_999 }, 'unknown_topic'],
      [{ question: '问', options: ['a', 'b'], choice: 'ranked' }, 'invalid_input'],
      [{ question: '问', options: ['a', 'b'], extra: 1 }, 'unknown_field'],
    ];
    for (const [body, code] of bad) {
      const res = await create(editor.auth, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(res).error.code, JSON.stringify(body)).toBe(code);
    }
    expect(json(await t.app.inject({ url: '/api/v1/polls', headers: { authorization: editor.auth } })).items.length).toBe(before);
  });

  it('lets reporters make polls for their own articles only, and leaves closing and review to editors', async () => {
    const reporter = await t.user('reporter');
    const own = await createArticle(t.app, reporter.auth);
    const others = await createArticle(t.app, editor.auth);
    expect((await create(reporter.auth, { question: '问', options: ['a', 'b'] })).statusCode).toBe(403);
    expect((await create(reporter.auth, { question: '问', options: ['a', 'b'], article: others.id })).statusCode).toBe(403);
    const mine = await create(reporter.auth, { question: '您怎么看？', options: ['好', '不好'], article: own.id });
    expect(mine.statusCode).toBe(201);
    const id = json(mine).id;
    expect(json(mine).abilities).toEqual({ edit: true, close: false, review: false, results: true });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/polls/${id}/close`, headers: { authorization: reporter.auth } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/polls/held', headers: { authorization: reporter.auth } })).statusCode).toBe(403);
    // Another reporter may neither edit it nor read its results.
    const other = await t.user('reporter');
    expect(
      (await t.app.inject({ method: 'PATCH', url: `/api/v1/polls/${id}`, headers: { authorization: other.auth }, payload: { question: '改' } })).statusCode,
    ).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/polls/${id}/results`, headers: { authorization: other.auth } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/polls/${id}/ballots.csv`, headers: { authorization: other.auth } })).statusCode).toBe(403);
    // Nobody signed out touches the newsroom side.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/polls', payload: { question: '问', options: ['a', 'b'] } })).statusCode).toBe(401);
  });

  it('takes one ballot per reader: a retry answers the same, a different second ballot is 409 already_voted', async () => {
    const poll = await newPoll({ results: 'after_vote' });
    // Results stay hidden before voting.
    expect(json(await view(poll.id))).toMatchObject({ open: true, mine: null, counts: null });
    const first = await ballot(t.app, poll.id, [1], { ip: '203.0.113.5' });
    expect(first.statusCode, first.body).toBe(200);
    expect(json(first)).toMatchObject({ mine: [1], counts: { votes: [0, 1, 0], voters: 1 } });
    const cookie = readerCookie(first)!;
    expect(cookie).toBeTruthy();
    const retry = await ballot(t.app, poll.id, [1], { ip: '203.0.113.5', cookie });
    expect(retry.statusCode).toBe(200);
    expect(json(retry).counts).toEqual({ votes: [0, 1, 0], voters: 1 });
    const change = await ballot(t.app, poll.id, [0], { ip: '203.0.113.5', cookie });
    expect(change.statusCode).toBe(409);
    expect(json(change).error).toMatchObject({ code: 'already_voted', mine: [1] });
    expect(json(await view(poll.id, cookie))).toMatchObject({ mine: [1], counts: { votes: [0, 1, 0], voters: 1 } });
    // Bad ballots: 400s that change nothing.
    for (const [choices, code] of [
      [[0, 1], 'unknown_option'],
      [[3], 'unknown_option'],
      [[], 'invalid_input'],
      [['0'], 'invalid_input'],
      [[-1], 'invalid_input'],
    ] as const) {
      const res = await ballot(t.app, poll.id, choices, { ip: '203.0.113.6' });
      expect(res.statusCode, JSON.stringify(choices)).toBe(400);
      expect(json(res).error.code).toBe(code);
    }
    expect((await ballot(t.app, 999_999, [0])).statusCode).toBe(404);
    expect((await ballot(t.app, poll.id, [0], { headers: { origin: 'https://evil.example' } })).statusCode).toBe(403);
    expect(await countsFromRows(t, poll.id, 3)).toEqual({ votes: [0, 1, 0], voters: 1, ballots: 1 });
  });

  it('counts multiple-choice ballots per option and per reader', async () => {
    const poll = await newPoll({ choice: 'multiple', results: 'always' });
    await ballot(t.app, poll.id, [0, 2], { ip: '203.0.114.1' });
    await ballot(t.app, poll.id, [2, 2, 1], { ip: '203.0.115.1' });
    const shown = json(await view(poll.id));
    expect(shown.counts).toEqual({ votes: [1, 1, 2], voters: 2 });
    expect(await countsFromRows(t, poll.id, 3)).toEqual({ votes: [1, 1, 2], voters: 2, ballots: 2 });
  });

  it('closes exactly at the second: a ballot at the closing time is refused with 409 poll_closed', async () => {
    const closesAt = Math.ceil((t.clock.now() + 10 * 60_000) / 1000) * 1000;
    const poll = await newPoll({ closesAt: new Date(closesAt + 400).toISOString(), results: 'after_vote' });
    expect(json(await view(poll.id)).poll.closesAt).toBe(new Date(closesAt).toISOString());
    t.clock.set(closesAt - 1);
    expect((await ballot(t.app, poll.id, [0], { ip: '203.0.116.1' })).statusCode).toBe(200);
    t.clock.set(closesAt);
    const late = await ballot(t.app, poll.id, [0], { ip: '203.0.116.2' });
    expect(late.statusCode).toBe(409);
    expect(json(late).error.code).toBe('poll_closed');
    // A closed poll shows its results to everyone.
    expect(json(await view(poll.id))).toMatchObject({ open: false, counts: { votes: [1, 0, 0], voters: 1 } });
    expect(await countsFromRows(t, poll.id, 3)).toEqual({ votes: [1, 0, 0], voters: 1, ballots: 1 });
  });

  it('closing by hand races ballots: every ballot answered 200 is counted, every later one is 409', async () => {
    const poll = await newPoll();
    const sends = Array.from({ length: 60 }, (_, i) => ballot(t.app, poll.id, [i % 3], { ip: `198.19.${i}.1` }).then((r) => r.statusCode));
    const close = t.app.inject({ method: 'POST', url: `/api/v1/polls/${poll.id}/close`, headers: { authorization: editor.auth } });
    const [codes, closed] = await Promise.all([Promise.all(sends), close]);
    expect(closed.statusCode).toBe(200);
    expect(codes.every((c) => c === 200 || c === 409)).toBe(true);
    const ok = codes.filter((c) => c === 200).length;
    expect((await countsFromRows(t, poll.id, 3)).voters).toBe(ok);
    expect(json(await view(poll.id)).counts.voters).toBe(ok);
    expect((await ballot(t.app, poll.id, [0], { ip: '198.19.200.1' })).statusCode).toBe(409);
    // Closing again, by two editors at once, changes nothing and is audited once.
    const other = await t.user('editor');
    const again = await Promise.all(
      [editor, other].map((e) => t.app.inject({ method: 'POST', url: `/api/v1/polls/${poll.id}/close`, headers: { authorization: e.auth } })),
    );
    expect(again.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(again.map((r) => json(r).closedAt)).toEqual([json(closed).closedAt, json(closed).closedAt]);
    const audit = json(await t.app.inject({ url: '/api/v1/audit?action=poll.close', headers: { authorization: admin.auth } })).items;
    expect(audit.filter((e: { subjectId: string }) => e.subjectId === String(poll.id))).toHaveLength(1);
  });

  it('edits wording after votes, but not the options or the kind of choice (409 poll_has_votes)', async () => {
    const poll = await newPoll();
    const patch = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/polls/${poll.id}`, headers: { authorization: editor.auth }, payload });
    expect(json(await patch({ options: ['支持', '反对', '无所谓', '不清楚'] })).options).toHaveLength(4);
    expect(json(await patch({ options: ['支持', '反对', '无所谓'] })).options).toHaveLength(3);
    await ballot(t.app, poll.id, [2], { ip: '203.0.117.1' });
    const reworded = await patch({ question: '您是否支持地铁延长运营？', options: ['支持', '反对', '都可以'] });
    expect(reworded.statusCode).toBe(200);
    expect(json(reworded)).toMatchObject({ question: '您是否支持地铁延长运营？', options: ['支持', '反对', '都可以'], counts: { votes: [0, 0, 1] } });
    for (const body of [{ options: ['支持', '反对'] }, { options: ['支持', '反对', '都可以', '再加一个'] }, { choice: 'multiple' }]) {
      const res = await patch(body);
      expect(res.statusCode).toBe(409);
      expect(json(res).error.code).toBe('poll_has_votes');
    }
    expect(json(await view(poll.id, undefined)).poll.options).toEqual(['支持', '反对', '都可以']);
    expect(await countsFromRows(t, poll.id, 3)).toEqual({ votes: [0, 0, 1], voters: 1, ballots: 1 });
  });

  it('an edit dropping an option or making the poll single-choice races ballots: no ballot lands outside the poll as it stands', async () => {
    for (let round = 0; round < 4; round++) {
      const poll = await newPoll({ choice: 'multiple', results: 'always' });
      // Each ballot picks the third option, half of them with a second one: both stop fitting once the edit commits.
      const sends = Array.from({ length: 40 }, (_, i) => ballot(t.app, poll.id, i % 2 ? [2] : [0, 2], { ip: `198.20.${round * 40 + i}.1` }));
      const edit = t.app.inject({
        method: 'PATCH',
        url: `/api/v1/polls/${poll.id}`,
        headers: { authorization: editor.auth },
        payload: { options: ['支持', '反对'], choice: 'single' },
      });
      const [results, edited] = await Promise.all([Promise.all(sends), edit]);
      expect([200, 409]).toContain(edited.statusCode);
      // A ballot the edit overtook is answered as if sent after it: 400 unknown_option, nothing kept.
      for (const r of results) {
        expect([200, 400], r.body).toContain(r.statusCode);
        if (r.statusCode === 400) expect(json(r).error.code).toBe('unknown_option');
      }
      const shown = json(await view(poll.id)).poll as { options: string[]; choice: string };
      const db = t.db.database.db as any;
      const choices = (await db.selectFrom('poll_choices').select(['reader_id', 'position']).where('poll_id', '=', poll.id).execute()) as {
        reader_id: string;
        position: number;
      }[];
      // Every kept choice names an option the poll has, and a single-choice poll keeps one choice per ballot.
      expect(choices.filter((c) => c.position >= shown.options.length)).toEqual([]);
      if (shown.choice === 'single') expect(new Set(choices.map((c) => c.reader_id)).size).toBe(choices.length);
      const fromRows = await countsFromRows(t, poll.id, shown.options.length);
      expect(json(await view(poll.id)).counts).toEqual({ votes: fromRows.votes, voters: fromRows.voters });
      expect(fromRows.ballots).toBe(results.filter((r) => r.statusCode === 200).length);
    }
  });

  it('stuffing: new readers capped per address, cookies capped, a burst held for review then released or discarded', async () => {
    const poll = await newPoll({ results: 'always' });
    const ip = '192.0.2.50';
    const codes: number[] = [];
    for (let i = 0; i < t.config.reactionCapPerHour + 5; i++) codes.push((await ballot(t.app, poll.id, [0], { ip })).statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(t.config.reactionCapPerHour);
    expect(codes.filter((c) => c === 429)).toHaveLength(5);
    const refused = await ballot(t.app, poll.id, [0], { ip });
    expect(json(refused).error.code).toBe('too_many_votes');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    // A burst from one /24 (distinct addresses, so under each address's cap): past the burst limit, ballots are held.
    const burst = t.config.reactionBurstPerMinute;
    const burstPoll = await newPoll({ results: 'always' });
    for (let i = 1; i <= burst + 8; i++) expect((await ballot(t.app, burstPoll.id, [1], { ip: `198.18.40.${i}` })).statusCode).toBe(200);
    expect(json(await view(burstPoll.id)).counts).toEqual({ votes: [0, burst, 0], voters: burst });
    expect(await countsFromRows(t, burstPoll.id, 3)).toEqual({ votes: [0, burst, 0], voters: burst, ballots: burst + 8 });
    const held = json(await t.app.inject({ url: '/api/v1/polls/held', headers: { authorization: editor.auth } })).items;
    const group = held.find((g: { poll: number }) => g.poll === burstPoll.id);
    expect(group).toMatchObject({ ballots: 8 });
    const results = json(await t.app.inject({ url: `/api/v1/polls/${burstPoll.id}/results`, headers: { authorization: editor.auth } }));
    expect(results.held).toBe(8);
    const release = await t.app.inject({
      method: 'POST',
      url: `/api/v1/polls/${burstPoll.id}/held`,
      headers: { authorization: editor.auth },
      payload: { decision: 'release', prefix: group.prefix },
    });
    expect(json(release)).toEqual({ decision: 'release', ballots: 8 });
    expect(json(await view(burstPoll.id)).counts).toEqual({ votes: [0, burst + 8, 0], voters: burst + 8 });

    // Next minute, another burst, discarded.
    t.clock.advance(60_000);
    for (let i = 1; i <= burst + 3; i++) await ballot(t.app, burstPoll.id, [2], { ip: `198.18.41.${i}` });
    const discard = await t.app.inject({
      method: 'POST',
      url: `/api/v1/polls/${burstPoll.id}/held`,
      headers: { authorization: editor.auth },
      payload: { decision: 'discard' },
    });
    expect(json(discard).ballots).toBe(3);
    expect(await countsFromRows(t, burstPoll.id, 3)).toEqual({ votes: [0, burst + 8, burst], voters: 2 * burst + 8, ballots: 2 * burst + 8 });
    expect(json(await view(burstPoll.id)).counts).toEqual({ votes: [0, burst + 8, burst], voters: 2 * burst + 8 });
    t.clock.advance(HOUR);
  });

  it('gives results over time by the hour and a CSV of every ballot (times in Asia/Shanghai, formulas defused)', async () => {
    const poll = await newPoll({ question: '测试', options: ['=1+1', '正常'] });
    const start = Math.floor(t.clock.now() / HOUR) * HOUR + HOUR;
    t.clock.set(start + 5 * 60_000);
    await ballot(t.app, poll.id, [0], { ip: '203.0.118.1' });
    await ballot(t.app, poll.id, [1], { ip: '203.0.119.1' });
    t.clock.set(start + HOUR + 60_000);
    await ballot(t.app, poll.id, [1], { ip: '203.0.120.1' });
    const r = json(await t.app.inject({ url: `/api/v1/polls/${poll.id}/results`, headers: { authorization: editor.auth } }));
    expect(r.hours).toEqual([
      { hour: new Date(start).toISOString(), votes: [1, 1], voters: 2 },
      { hour: new Date(start + HOUR).toISOString(), votes: [0, 1], voters: 1 },
    ]);
    const csv = await t.app.inject({ url: `/api/v1/polls/${poll.id}/ballots.csv`, headers: { authorization: editor.auth } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('投票时间（北京时间）,选项,状态,地址段');
    // Ballots cast in the same millisecond come in reader order: find the one for the first option.
    const formula = lines.find((l) => l.includes('=1+1'));
    expect(formula).toContain(`"'=1+1"`);
    const shanghai = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', hourCycle: 'h23' }).format(new Date(start + 5 * 60_000));
    expect(formula).toContain(` ${shanghai.replace(/\D/g, '')}:05:00`);
    expect(lines[3]).toContain('"正常","已计入"');
    expect((await t.app.inject({ url: '/api/v1/polls/999999/ballots.csv', headers: { authorization: editor.auth } })).statusCode).toBe(404);
  });

  it('reader pages: /p/<id> cached without reader data, the no-JavaScript form, and the results page', async () => {
    const poll = await newPoll({ results: 'after_vote' });
    const page = await t.app.inject({ url: `/p/${poll.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['surrogate-key']).toContain(`v${poll.id}`);
    expect(page.headers['cache-control']).toContain('public');
    expect(page.body).toContain(`<form method="post" action="/p/${poll.id}/vote"`);
    expect(page.body).toContain('type="radio" name="choice" value="0"');
    expect(page.body).toContain('投票后可查看结果');
    // The form, as a browser without JavaScript sends it.
    const post = await t.app.inject({
      method: 'POST',
      url: `/p/${poll.id}/vote`,
      remoteAddress: '203.0.121.1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://news.example.test' },
      payload: 'choice=2',
    });
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toBe(`/p/${poll.id}/results?voted=1#poll-${poll.id}`);
    const cookie = readerCookie(post)!;
    const results = await t.app.inject({ url: `/p/${poll.id}/results?voted=1`, headers: { cookie: `inkstone_reader=${cookie}` } });
    expect(results.statusCode).toBe(200);
    expect(results.headers['cache-control']).toBe('no-store');
    expect(results.body).toContain('您的选择');
    expect(results.body).toContain('1 人参与');
    expect(results.body).not.toContain(`action="/p/${poll.id}/vote"`);
    // Again with another option: refused on the page itself, 409, counts unchanged.
    const again = await t.app.inject({
      method: 'POST',
      url: `/p/${poll.id}/vote`,
      remoteAddress: '203.0.121.1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `inkstone_reader=${cookie}` },
      payload: 'choice=0',
    });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('您已经投过票了');
    const empty = await t.app.inject({
      method: 'POST',
      url: `/p/${poll.id}/vote`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('请先选择');
    const cross = await t.app.inject({
      method: 'POST',
      url: `/p/${poll.id}/vote`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      payload: 'choice=1',
    });
    expect(cross.statusCode).toBe(403);
    for (const url of ['/p/0', '/p/abc', '/p/99999999', '/p/%31', `/p/${poll.id}%2F..`]) {
      expect([404, 200]).toContain((await t.app.inject({ url })).statusCode);
    }
    expect((await t.app.inject({ url: '/p/abc' })).statusCode).toBe(404);
    // The traditional-character mirror the page links to (hreflang) exists too.
    const hant = await t.app.inject({ url: `/zh-hant/p/${poll.id}` });
    expect(hant.statusCode).toBe(200);
    expect(hant.body).toContain('投票後可查看結果');
    expect((await t.app.inject({ url: '/p/99999999' })).statusCode).toBe(404);
    expect(await countsFromRows(t, poll.id, 3)).toEqual({ votes: [0, 0, 1], voters: 1, ballots: 1 });
  });

  it("lists to a reporter no poll of a colleague's unpublished article (its question would give the story away), and pages on past them", async () => {
    const writer = await t.user('reporter');
    const colleague = await t.user('reporter');
    const older = await newPoll({ question: '更早的公开投票' });
    const draft = await createArticle(t.app, writer.auth);
    const made = await create(writer.auth, { question: '独家：某局长即将调任？', options: ['是', '否'], article: draft.id });
    expect(made.statusCode, made.body).toBe(201);
    const secret = json(made).id as number;
    const open = await newPoll({ question: '公开的投票' });
    const list = async (auth: string, query = '') => {
      const res = await t.app.inject({ url: `/api/v1/polls${query}`, headers: { authorization: auth } });
      expect(res.statusCode, res.body).toBe(200);
      return json(res) as { items: { id: number; question: string }[]; next: number | null };
    };
    const ids = async (auth: string) => (await list(auth, '?limit=100')).items.map((i) => i.id);
    expect(await ids(writer.auth)).toContain(secret);
    expect(await ids(editor.auth)).toContain(secret);
    const seen = await t.app.inject({ url: '/api/v1/polls?limit=100', headers: { authorization: colleague.auth } });
    expect(seen.body).not.toContain('某局长即将调任');
    expect(await ids(colleague.auth)).toContain(open.id);
    // A page of one holding only the hidden poll still leads on to the older ones.
    const first = await list(colleague.auth, `?limit=1&before=${open.id}`);
    expect(first.items).toEqual([]);
    expect(first.next).toBe(secret);
    expect((await list(colleague.auth, `?limit=1&before=${secret}`)).items.map((i) => i.id)).toEqual([older.id]);
    await publish(t.app, editor.auth, draft.id);
    expect(await ids(colleague.auth)).toContain(secret);
  });

  it('keeps a poll of an unpublished article from readers until the article is published', async () => {
    const draft = await createArticle(t.app, editor.auth);
    const poll = await newPoll({ question: '尚未发布的稿件的投票', article: draft.id, results: 'always' });
    expect((await t.app.inject({ url: `/p/${poll.id}` })).statusCode).toBe(404);
    expect((await view(poll.id)).statusCode).toBe(404);
    expect((await ballot(t.app, poll.id, [0], { ip: '203.0.122.1' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/p/${poll.id}/results` })).statusCode).toBe(404);
    // The cached 404 goes with the article's publication.
    await publish(t.app, editor.auth, draft.id);
    const page = await t.app.inject({ url: `/p/${poll.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('尚未发布的稿件的投票');
    expect((await ballot(t.app, poll.id, [0], { ip: '203.0.122.1' })).statusCode).toBe(200);
    // The newsroom sees it all along.
    expect((await t.app.inject({ url: `/api/v1/polls/${poll.id}/results`, headers: { authorization: editor.auth } })).statusCode).toBe(200);
  });

  it('reads several polls in the order of the ids asked for, each once with its own options, those that do not exist left out', async () => {
    const first = await newPoll({ question: '第一个投票？', options: ['甲', '乙'] });
    const second = await newPoll({ question: '第二个投票？', options: ['丙', '丁', '戊'] });
    const third = await newPoll({ question: '第三个投票？', options: ['己', '庚'] });
    const found = await t.ctx.store.polls.findMany([third.id, first.id, 999_999, second.id, third.id]);
    expect(found.map((p) => [p.id, p.question, p.options])).toEqual([
      [third.id, '第三个投票？', ['己', '庚']],
      [first.id, '第一个投票？', ['甲', '乙']],
      [second.id, '第二个投票？', ['丙', '丁', '戊']],
    ]);
    expect(await t.ctx.store.polls.findMany([])).toEqual([]);
  });

  it('embeds a poll in an article body and on a topic page; editing or closing the poll purges those pages', async () => {
    const poll = await newPoll({ results: 'always' });
    const article = await createArticle(t.app, editor.auth, {
      body: `<p>导语。</p><figure data-poll="${poll.id}" onclick="x()"><figcaption>投票：${poll.id}</figcaption></figure><p>正文。</p>`,
    });
    const stored = json(await t.app.inject({ url: `/api/v1/articles/${article.id}`, headers: { authorization: editor.auth } })).body;
    expect(stored).toContain(`<figure data-poll="${poll.id}"><figcaption>`);
    expect(stored).not.toContain('onclick');
    await publish(t.app, editor.auth, article.id);
    // The outbox purges the page after the publish too (search entry, related reading): count hits once it is done.
    await t.settled();
    const page = await t.app.inject({ url: `/a/${article.id}` });
    expect(page.body).toContain(`data-poll="${poll.id}"`);
    expect(page.body).toContain(`action="/p/${poll.id}/vote"`);
    expect(page.body).toContain('0 人参与');
    expect(page.headers['surrogate-key']).toContain(`v${poll.id}`);
    expect((await t.app.inject({ url: `/a/${article.id}` })).headers['x-cache']).toBe('hit');
    await t.app.inject({ method: 'POST', url: `/api/v1/polls/${poll.id}/close`, headers: { authorization: editor.auth } });
    const after = await t.app.inject({ url: `/a/${article.id}` });
    expect(after.headers['x-cache']).not.toBe('hit');
    expect(after.body).toContain('投票已截止');
    expect(after.body).not.toContain(`action="/p/${poll.id}/vote"`);

    const topic = await t.app.inject({
      method: 'POST',
      url: '/api/v1/topics',
      headers: { authorization: editor.auth },
      payload: { slug: 'ditie', title: '地铁专题', description: '', articles: [] },
    });
    expect(topic.statusCode, topic.body).toBe(201);
    const topicPoll = await newPoll({ question: '专题投票：您最常坐哪条线？', topic: json(topic).id });
    const topicPage = await t.app.inject({ url: '/t/ditie' });
    expect(topicPage.body).toContain('专题投票：您最常坐哪条线？');
    expect(topicPage.headers['surrogate-key']).toContain(`v${topicPoll.id}`);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/polls/${topicPoll.id}`,
      headers: { authorization: editor.auth },
      payload: { question: '改过的问题？' },
    });
    expect((await t.app.inject({ url: '/t/ditie' })).body).toContain('改过的问题？');
  });
});

describe.each(STORES)('poll storm on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t.close());

  it('1,000 readers at once, 200 of them retrying: counts equal the rows, no 5xx', async () => {
    const editor = await t.user('editor');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/polls',
      headers: { authorization: editor.auth },
      payload: { question: '风暴测试', options: ['甲', '乙', '丙', '丁'], choice: 'multiple', results: 'always' },
    });
    const id = json(res).id as number;
    const expected = { votes: [0, 0, 0, 0], voters: 0 };
    const statuses: number[] = [];
    const reader = async (i: number) => {
      // One address per reader, each in its own /24: the anti-stuffing layers must not touch honest readers.
      const ip = `10.${(i >> 8) & 255}.${i & 255}.1`;
      const choices = i % 5 === 0 ? [i % 4, (i + 1) % 4] : [i % 4];
      const first = await ballot(t.app, id, choices, { ip });
      statuses.push(first.statusCode);
      if (i < 200) statuses.push((await ballot(t.app, id, choices, { ip, cookie: readerCookie(first) })).statusCode);
      for (const c of choices) expected.votes[c]!++;
      expected.voters++;
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => reader(i)));
    const ms = Math.round(performance.now() - started);
    expect(statuses).toHaveLength(1200);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const shown = json(await t.app.inject({ url: `/api/v1/polls/${id}` })).counts;
    expect(shown).toEqual(expected);
    expect(await countsFromRows(t, id, 4)).toEqual({ ...expected, ballots: 1000 });
    console.log(`poll storm on ${kind}: 1,000 readers (1,200 requests) in ${ms} ms; counts ${JSON.stringify(shown)}`);
  });

  it('ballots on a closed or unknown poll sent amid good ones (one group commit) fail alone', async () => {
    const editor = await t.user('editor');
    const make = async () =>
      json(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/polls',
          headers: { authorization: editor.auth },
          payload: { question: '混合批次', options: ['是', '否'], results: 'always' },
        }),
      ).id as number;
    const good = await make();
    const closed = await make();
    await t.app.inject({ method: 'POST', url: `/api/v1/polls/${closed}/close`, headers: { authorization: editor.auth } });
    const sends = Array.from({ length: 90 }, (_, i) => {
      const target = i % 3 === 0 ? good : i % 3 === 1 ? closed : 999_999;
      return ballot(t.app, target, [i % 2], { ip: `10.241.${i}.1` }).then((r) => [target, r.statusCode] as const);
    });
    const results = await Promise.all(sends);
    expect(results.filter(([p, s]) => p === good && s === 200)).toHaveLength(30);
    expect(results.filter(([p, s]) => p === closed && s === 409)).toHaveLength(30);
    expect(results.filter(([p, s]) => p === 999_999 && s === 404)).toHaveLength(30);
    expect(await countsFromRows(t, good, 2)).toEqual({ votes: [15, 15], voters: 30, ballots: 30 });
    expect(json(await t.app.inject({ url: `/api/v1/polls/${good}` })).counts).toEqual({ votes: [15, 15], voters: 30 });
    expect((await countsFromRows(t, closed, 2)).ballots).toBe(0);
  });

  it('one reader hammering two different ballots at once ends with one ballot', async () => {
    const editor = await t.user('editor');
    const id = json(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/polls',
        headers: { authorization: editor.auth },
        payload: { question: '连点测试', options: ['左', '右'], results: 'always' },
      }),
    ).id as number;
    // A cookie from another poll: this reader has no ballot here yet.
    const other = json(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/polls',
        headers: { authorization: editor.auth },
        payload: { question: '另一个', options: ['a', 'b'] },
      }),
    ).id as number;
    const cookie = readerCookie(await ballot(t.app, other, [0], { ip: '10.250.1.1' }))!;
    // Fewer copies than the burst limit of a /24 (30 a minute): past it a ballot is held for review, and which copy's
    // ballot lands first is the database's race, so on PostgreSQL the one ballot was sometimes a held one.
    const copies = t.config.reactionBurstPerMinute - 5;
    const results = await Promise.all(Array.from({ length: copies }, (_, i) => ballot(t.app, id, [i % 2], { ip: '10.250.1.1', cookie })));
    const ok = results.filter((r) => r.statusCode === 200);
    const refused = results.filter((r) => r.statusCode === 409);
    // Until the first ballot lands, each copy is a new voice from the address: past twice the cap they are throttled.
    const throttled = results.filter((r) => r.statusCode === 429);
    expect(ok.length + refused.length + throttled.length).toBe(copies);
    expect(ok.length).toBeGreaterThan(0);
    const mine = json(ok[0]!).mine;
    expect(ok.every((r) => JSON.stringify(json(r).mine) === JSON.stringify(mine))).toBe(true);
    expect(refused.every((r) => json(r).error.code === 'already_voted')).toBe(true);
    expect(await countsFromRows(t, id, 2)).toMatchObject({ voters: 1, ballots: 1 });
  });
});
