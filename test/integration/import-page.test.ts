import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toActor } from '../../src/domain/accounts/service.ts';
import { ImportJobs } from '../../src/domain/imports/jobs.ts';
import { importArchive } from '../../src/domain/imports/service.ts';
import { readSource } from '../../src/transfer/source.ts';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { STORES } from '../support/stores.ts';

/**
 * The newsroom's imports over HTTP (POST /api/v1/imports, GET /imports/:id, GET /imports): admins only (editors and
 * reporters 403 before a byte is stored), one run at a time per install (409 `import_running`, also for two starts at
 * once), a file that is not an archive or not well-formed refused by the upload request with 400, its line and column,
 * no run and nothing written (the run's own refusal kept for unchecked files), the size limit (413), and a run stopped with the server shown interrupted.
 */
const FIXTURE = path.resolve('test/fixtures/wxr/themeunittestdata.wordpress.xml');
const LIMIT = 1024 * 1024;

function multipart(parts: { name: string; value: string | Buffer; filename?: string }[]) {
  const boundary = `----inkstone${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const head = p.filename
      ? `Content-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: application/xml\r\n`
      : `Content-Disposition: form-data; name="${p.name}"\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\n${head}\r\n`), Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function wxr(count: number, site = 'https://page.example'): string {
  const items = Array.from(
    { length: count },
    (_, i) =>
      `<item><title>页面导入${i}</title><link>${site}/p/${i}/</link><wp:post_id>${i + 1}</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><wp:post_date_gmt>2024-01-02 03:04:05</wp:post_date_gmt><content:encoded><![CDATA[第${i}篇从页面导入的稿件正文，讲述城市里的一件事。]]></content:encoded></item>`,
  ).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>页面</title><link>${site}</link>\n${items}\n</channel></rss>\n`;
}

describe.each(STORES)('imports from the newsroom on %s', (kind) => {
  let t: TestApp;
  let admin: { auth: string; id: number; username: string };

  beforeAll(async () => {
    t = await startTestApp(kind, { INKSTONE_IMPORT_MAX_BYTES: String(LIMIT) });
    admin = await t.user('admin');
  });
  afterAll(() => t.close());

  const upload = (auth: string, file: string | Buffer, fields: Record<string, string> = {}, filename = 'export.xml') => {
    const { payload, contentType } = multipart([...Object.entries(fields).map(([name, value]) => ({ name, value })), { name: 'file', value: file, filename }]);
    return t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: { authorization: auth, 'content-type': contentType }, payload });
  };
  const run = async (id: number) => json(await t.app.inject({ url: `/api/v1/imports/${id}`, headers: { authorization: admin.auth } }));
  const finished = async (id: number) => {
    for (let i = 0; i < 600; i++) {
      const r = await run(id);
      if (r.status !== 'running') return r;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`import ${id} still running`);
  };
  const count = async (table: 'articles' | 'import_runs' | 'channels') =>
    Number(
      (
        await t.db.database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const temporaryFiles = () => {
    const dir = path.join(t.config.dataDir, 'media', 'tmp', String(process.pid));
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };

  it('lets only admins import or see imports: editors and reporters 403, nothing stored', async () => {
    for (const role of ['editor', 'reporter'] as const) {
      const who = await t.user(role);
      const res = await upload(who.auth, wxr(2));
      expect([role, res.statusCode, json(res).error.code]).toEqual([role, 403, 'forbidden']);
      expect((await t.app.inject({ url: '/api/v1/imports', headers: { authorization: who.auth } })).statusCode).toBe(403);
      expect((await t.app.inject({ url: '/api/v1/imports/1', headers: { authorization: who.auth } })).statusCode).toBe(403);
    }
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/imports' })).statusCode).toBe(401);
    expect(await count('import_runs')).toBe(0);
    expect(await count('articles')).toBe(0);
    expect(temporaryFiles()).toEqual([]);
    const session = json(await t.app.inject({ url: '/api/v1/session', headers: { authorization: admin.auth } }));
    expect(session.user.abilities.runImports).toBe(true);
  });

  it('imports the WordPress test data in the background and reports as the CLI does', async () => {
    const res = await upload(admin.auth, readFileSync(FIXTURE), { update: 'false', dryRun: 'false' }, 'theme unit test.xml');
    expect(res.statusCode).toBe(202);
    const started = json(res);
    expect(started).toMatchObject({ status: 'running', fileName: 'theme unit test.xml', format: 'wxr', by: { username: admin.username } });
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'done', error: null, progress: { phase: 'finished' } });
    expect(done.report).toMatchObject({ format: 'wxr', dryRun: false, site: 'https://wpthemetestdata.wordpress.com', updated: 0 });
    expect(done.report.imported).toBeGreaterThan(50);
    expect(done.report.skipped.page).toBeGreaterThan(0);
    expect(done.report.warnings).toContainEqual(expect.objectContaining({ postId: expect.any(String), line: expect.any(Number) }));
    expect(done.report.images).toMatchObject({ found: 0 });
    expect(await count('articles')).toBe(done.report.imported);
    expect(temporaryFiles()).toEqual([]);
    // The same file again, as a dry run with --update: nothing new.
    const again = await finished(json(await upload(admin.auth, readFileSync(FIXTURE), { dryRun: 'true', update: 'on' })).id);
    expect(again).toMatchObject({ status: 'done', options: { dryRun: true, update: true, createAuthors: false }, report: { imported: 0, dryRun: true } });
    const history = json(await t.app.inject({ url: '/api/v1/imports', headers: { authorization: admin.auth } }));
    expect(history.items.map((r: { id: number }) => r.id)).toEqual([again.id, started.id]);
    expect(history.limits).toEqual({ maxBytes: LIMIT });
  });

  it('refuses a file that is no archive or not well-formed in the upload request itself: 400 with line and column, no run, nothing written', async () => {
    const articles = await count('articles');
    const runs = await count('import_runs');
    const refused = async (file: string | Buffer, line?: number) => {
      const res = await upload(admin.auth, file);
      const body = json(res);
      expect([res.statusCode, body.error.code, body.error.field]).toEqual([400, 'import_refused', 'file']);
      // English and Chinese, and where.
      expect(body.error.message).toMatch(/[a-z]{3,}.*[\u4e00-\u9fff]/);
      if (line !== undefined) expect(body.error).toMatchObject({ line, column: expect.any(Number) });
      return body.error as { message: string; line?: number; column?: number };
    };

    expect(await refused('这不是 XML 文件', 1)).toMatchObject({ column: 1 });
    expect((await refused('')).message).toContain('文件为空');
    expect((await refused(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]))).message).toContain('inkstone import');
    const html = await refused(
      '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>登录</title></head><body><p>欢迎<br></p></body></html>\n',
      1,
    );
    expect(html.message).toContain('<html>');

    // Truncated: the parser meets the end of the file inside the channel.
    const whole = wxr(40, 'https://truncated.example');
    const truncated = await refused(whole.slice(0, Math.floor(whole.length * 0.8)));
    expect(truncated.message).toContain('XML 格式错误');
    expect(truncated.line).toBeGreaterThan(30);

    // Wrong encoding: it says UTF-8, line 20 holds GBK bytes (中文 = D6 D0 CE C4).
    const lines = wxr(40, 'https://gbk.example').split('\n');
    const at = lines[20]!.indexOf('第') + 1;
    const gbk = Buffer.concat([
      Buffer.from(`${lines.slice(0, 20).join('\n')}\n${lines[20]!.slice(0, at - 1)}`),
      Buffer.from([0xd6, 0xd0, 0xce, 0xc4]),
      Buffer.from(`${lines[20]!.slice(at - 1)}\n${lines.slice(21).join('\n')}`),
    ]);
    expect(await refused(gbk, 21)).toMatchObject({ column: at, message: expect.stringContaining('文件编码错误') });

    // Malformed far past the first chunks (found as it streams in), and a DOCTYPE that declares entities.
    const long = wxr(1500, 'https://long.example').split('\n');
    long[1400] = long[1400]!.replace('</title>', '</titel>');
    expect(Buffer.byteLength(long.join('\n'))).toBeGreaterThan(300 * 1024);
    expect(await refused(long.join('\n'), 1401)).toMatchObject({ message: expect.stringContaining('XML 格式错误') });
    const laughs = `<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "哈哈哈哈">]>\n${wxr(2).split('\n').slice(1).join('\n')}`;
    expect((await refused(laughs, 2)).message).toContain('DOCTYPE');

    expect(await count('import_runs')).toBe(runs);
    expect(await count('articles')).toBe(articles);
    expect(temporaryFiles()).toEqual([]);
  });

  it('refuses a malformed JSON Feed or JSON lines upload as it does XML, and imports a good one', async () => {
    const articles = await count('articles');
    const runs = await count('import_runs');
    const lines = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ id: `p${i}`, title: `页面导入${i}`, content_text: `第${i}篇从页面导入的稿件正文，讲述城市里的一件事。` }),
    );
    const refused = async (file: string) => {
      const res = await upload(admin.auth, file, {}, 'dump.json');
      const body = json(res);
      expect([res.statusCode, body.error.code, body.error.field]).toEqual([400, 'import_refused', 'file']);
      return body.error as { message: string; line?: number; column?: number };
    };
    // Malformed far past the first chunks, found as it streams in.
    const broken = [...lines];
    broken[2500] = broken[2500]!.replace('","content_text"', '" "content_text"');
    expect(Buffer.byteLength(broken.join('\n'))).toBeGreaterThan(300 * 1024);
    expect(await refused(broken.join('\n'))).toMatchObject({
      line: 2501,
      column: broken[2500]!.indexOf('" "') + 3,
      message: expect.stringContaining('JSON 格式错误'),
    });
    const feed = JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', items: [{ id: '1', title: '标题' }] }, null, 2);
    expect(await refused(feed.replace('"标题"', '"标题",'))).toMatchObject({ line: 7, column: 5, message: expect.stringContaining('JSON 格式错误') });
    expect((await refused('[{"id": "1"}]')).message).toContain('不接受 JSON 数组');
    expect(await count('import_runs')).toBe(runs);
    expect(await count('articles')).toBe(articles);
    expect(temporaryFiles()).toEqual([]);

    const res = await upload(admin.auth, lines.slice(0, 20).join('\n'), {}, 'dump.ndjson');
    expect([res.statusCode, json(res).format]).toEqual([202, 'json-lines']);
    expect(await finished(json(res).id)).toMatchObject({ status: 'done', report: { format: 'json-lines', imported: 20 } });
    expect(await count('articles')).toBe(articles + 20);
  });

  it('keeps the run-level refusal for a file that was not checked on its way in (line and column, nothing written)', async () => {
    const articles = await count('articles');
    const jobs = new ImportJobs(t.ctx);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-unchecked-'));
    const whole = wxr(40, 'https://unchecked.example');
    writeFileSync(path.join(dir, 'cut.xml'), whole.slice(0, Math.floor(whole.length * 0.8)));
    const actor = toActor((await t.ctx.store.accounts.findById(admin.id))!);
    const started = await jobs.start(
      actor,
      { path: path.join(dir, 'cut.xml'), bytes: 1, name: 'cut.xml' },
      { dryRun: false, update: false, createAuthors: false },
    );
    await jobs.idle();
    expect(await run(started.id)).toMatchObject({
      status: 'refused',
      report: null,
      error: { message: expect.stringContaining('XML 格式错误'), line: expect.any(Number), column: expect.any(Number) },
    });
    expect(await count('articles')).toBe(articles);
  });

  it('refuses a file over the limit with 413, and malformed requests with 4xx', async () => {
    const runs = await count('import_runs');
    // Well-formed all along: the size is what is refused.
    const huge = wxr(4000, 'https://huge.example');
    expect(Buffer.byteLength(huge)).toBeGreaterThan(LIMIT);
    const big = await upload(admin.auth, huge);
    expect([big.statusCode, json(big).error.code]).toEqual([413, 'payload_too_large']);
    const plain = await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: { authorization: admin.auth }, payload: { file: 'x' } });
    expect(plain.statusCode).toBe(415);
    const { payload, contentType } = multipart([{ name: 'dryRun', value: 'true' }]);
    const noFile = await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: { authorization: admin.auth, 'content-type': contentType }, payload });
    expect([noFile.statusCode, json(noFile).error.code]).toEqual([400, 'file_required']);
    const unknown = await upload(admin.auth, wxr(1), { replace: 'true' });
    expect([unknown.statusCode, json(unknown).error.code]).toEqual([400, 'unknown_field']);
    const badFlag = await upload(admin.auth, wxr(1), { update: 'yes please' });
    expect([badFlag.statusCode, json(badFlag).error.code]).toEqual([400, 'invalid_input']);
    expect((await t.app.inject({ url: '/api/v1/imports/999999', headers: { authorization: admin.auth } })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/imports/abc', headers: { authorization: admin.auth } })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/imports/%2e%2e', headers: { authorization: admin.auth } })).statusCode).toBe(404);
    expect(await count('import_runs')).toBe(runs);
    expect(temporaryFiles()).toEqual([]);
  });

  it('runs one import at a time: a start while one runs is 409, two at once start one, a dead one shows interrupted', async () => {
    // A run of another process, heard from just now.
    const other = (await t.ctx.store.importRuns.start({
      accountId: admin.id,
      fileName: 'elsewhere.xml',
      fileBytes: 1,
      format: 'wxr',
      options: { dryRun: false, update: false, createAuthors: false },
      startedAt: t.clock.now(),
    }))!;
    const articles = await count('articles');
    const busy = await upload(admin.auth, wxr(3, 'https://busy.example'));
    expect(busy.statusCode).toBe(409);
    expect(json(busy).error).toMatchObject({ code: 'import_running', running: other });
    expect(await count('articles')).toBe(articles);
    // Its process stops beating: 30 s later it is interrupted, and a new one may start.
    t.clock.advance(31_000);
    expect(await run(other)).toMatchObject({ status: 'interrupted', error: { message: expect.stringContaining('导入中断') } });

    const [a, b] = await Promise.all([upload(admin.auth, wxr(300, 'https://race.example')), upload(admin.auth, wxr(300, 'https://race.example'))]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([202, 409]);
    const winner = json(a.statusCode === 202 ? a : b);
    expect(await finished(winner.id)).toMatchObject({ status: 'done', report: { imported: 300 } });
    expect(await count('articles')).toBe(articles + 300);
    expect(temporaryFiles()).toEqual([]);
    // A name from the client is only shown: its last part, never a path.
    const named = await upload(admin.auth, wxr(1, 'https://named.example'), {}, '../../etc\\<b>evil.xml');
    expect(named.statusCode).toBe(202);
    expect(json(named).fileName).toBe('<b>evil.xml');
    expect(await finished(json(named).id)).toMatchObject({ status: 'done', report: { imported: 1 } });
  });

  it('keeps a live run whose heartbeat was held up past the grace: never taken for dead by its own process, and stopped when another process marks it', async () => {
    const actor = toActor((await t.ctx.store.accounts.findById(admin.id))!);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-stalled-'));
    const file = (name: string, n: number, site: string) => {
      writeFileSync(path.join(dir, name), wxr(n, site));
      return { path: path.join(dir, name), bytes: 1, name, format: 'wxr' as const };
    };
    const options = { dryRun: false, update: false, createAuthors: false };

    // Its own process looks while the run's heartbeat is 31 s old (a long step held it up): the run goes on and ends.
    const owner = new ImportJobs(t.ctx);
    let articles = await count('articles');
    const first = await owner.start(actor, file('own.xml', 600, 'https://stalled-own.example'), options);
    expect(first.status).toBe('running');
    t.clock.advance(31_000);
    expect((await owner.get(actor, first.id)).status).toBe('running');
    await expect(owner.admit(actor)).rejects.toMatchObject({ code: 'import_running' });
    await owner.idle();
    expect(await run(first.id)).toMatchObject({ status: 'done', report: { imported: 600 } });
    expect(await count('articles')).toBe(articles + 600);

    // Another process looks at a heartbeat as old: the run's process holds the run's lock, so the run is alive.
    const stalled = new ImportJobs(t.ctx, { progressMs: 20 });
    const elsewhere = new ImportJobs(t.ctx);
    articles = await count('articles');
    const second = await stalled.start(actor, file('taken.xml', 1200, 'https://stalled-taken.example'), options);
    t.clock.advance(31_000);
    expect((await elsewhere.get(actor, second.id)).status).toBe('running');
    await expect(elsewhere.admit(actor)).rejects.toMatchObject({ code: 'import_running' });
    // Marked interrupted all the same (an older Inkstone beside this one): the run's process notices and stops writing.
    expect(await t.ctx.store.importRuns.interruptStale(t.clock.now() + 1, t.clock.now(), { message: '导入中断' })).toBe(1);
    await stalled.idle();
    const added = (await count('articles')) - articles;
    expect(added).toBeLessThan(1200);
    // The mark stands (the stopped run did not write its end over it), and importing the file again adds the rest.
    expect(await run(second.id)).toMatchObject({ status: 'interrupted' });
    const again = await elsewhere.start(actor, file('again.xml', 1200, 'https://stalled-taken.example'), options);
    await elsewhere.idle();
    expect(await run(again.id)).toMatchObject({ status: 'done' });
    expect(await count('articles')).toBe(articles + 1200);
  }, 120_000);
});

describe.each(STORES)('an import when the server stops on %s', (kind) => {
  it('is recorded as interrupted; the batches it wrote stay, and the same file again adds the rest', async () => {
    const t = await startTestApp(kind, { INKSTONE_IMPORT_MAX_BYTES: String(4 * LIMIT) });
    try {
      const admin = await t.user('admin');
      const file = wxr(2000, 'https://stopped.example');
      const { payload, contentType } = multipart([{ name: 'file', value: file, filename: 'big.xml' }]);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: { authorization: admin.auth, 'content-type': contentType }, payload });
      expect(res.statusCode).toBe(202);
      const id = json(res).id;
      const articles = async () =>
        Number(
          (
            await t.db.database.db
              .selectFrom('articles')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      // Stopped once its first batch is written.
      for (let i = 0; i < 1200 && (await articles()) < 500; i++) await new Promise((done) => setTimeout(done, 50));
      await t.app.close();
      const row = await t.db.database.db.selectFrom('import_runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'interrupted', running: null });
      const written = await articles();
      // The run says how far it got (the page shows it): the phase it stopped in and every post its batches wrote.
      expect(row).toMatchObject({ phase: 'writing', done: written, total: 2000 });
      expect(written).toBeGreaterThanOrEqual(500);
      expect(written).toBeLessThan(2000);
      expect(written % 500).toBe(0);
      // The same file imported again (here through the domain, the app being gone) adds the rest, nothing twice.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-stopped-'));
      writeFileSync(path.join(dir, 'big.xml'), file);
      const actor = toActor((await t.ctx.store.accounts.findById(admin.id))!);
      const report = await importArchive(t.ctx, actor, 'wxr', () => readSource(path.join(dir, 'big.xml'), 'wxr'));
      expect(report).toMatchObject({ imported: 2000 - written, unchanged: written });
    } finally {
      await t.db.cleanup();
    }
  }, 120_000);
});
