import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, processEnv, serve } from '../support/server.ts';
import { STORES, openTestDatabase, type TestDatabase } from '../support/stores.ts';

/**
 * `inkstone import` as an operator runs it: the format read from the content (not the name), a dry run that writes
 * nothing, a malformed file refused with its line and column (exit 2, nothing written), an Inkstone archive named as
 * such, plain progress lines when not on a terminal, a file large enough for the worker threads, and the old
 * addresses answering 301 from the served site.
 */
const root = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(root, 'test/fixtures/wxr/themeunittestdata.wordpress.xml');

function importCli(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'import', ...args], {
    cwd: root,
    env: { NODE_ENV: 'test', INKSTONE_ARGON2_COST: process.env.INKSTONE_ARGON2_COST, ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
}

/** What the generated posts are about besides the roads: ten posts each, so each subject is a few per cent of the archive. */
const SUBJECTS =
  '学校 医院 公园 地铁 桥梁 图书馆 体育馆 菜市场 停车场 污水厂 垃圾站 河道 绿道 社区 路灯 隧道 码头 机场 车站 博物馆 剧院 广场 水库 幼儿园 养老院'.split(' ');

/**
 * A WXR of `n` Chinese posts, made here: every one about the new district's roads (words in all of them, which related
 * reading damps as a beat's own), and each also about one of SUBJECTS, which makes its related reading.
 */
function generatedWxr(n: number): string {
  const items = Array.from({ length: n }, (_, i) => {
    const id = 1000 + i;
    const subject = SUBJECTS[i % SUBJECTS.length]!;
    return `<item><title>第${i + 1}条：江城新区今年完成道路改造${i + 1}公里，${subject}同步开工</title><link>https://old.example.cn/2024/03/0${(i % 9) + 1}/road-${id}/</link>
<wp:post_id>${id}</wp:post_id><wp:post_date_gmt>2024-03-0${(i % 9) + 1} 02:00:00</wp:post_date_gmt><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="category" nicename="local"><![CDATA[本地]]></category><category domain="post_tag" nicename="road"><![CDATA[道路]]></category>
<content:encoded><![CDATA[记者从江城市交通局获悉，新区今年已完成道路改造${i + 1}公里，沿线的${subject}项目同步开工。

改造后的道路增加了非机动车道，
${subject}的建设方案经过了三轮论证。]]></content:encoded></item>`;
  }).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="https://wordpress.org/export/1.2/">
<channel><title>江城老站</title><link>https://old.example.cn</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>local</wp:category_nicename><wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[本地]]></wp:cat_name></wp:category>
${items}
</channel></rss>`;
}

describe.each(STORES)('inkstone import on %s', (kind) => {
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-import-cli-'));
  const file = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  beforeAll(async () => {
    db = await openTestDatabase(kind, { migrated: false });
    await db.database.close();
    env = processEnv(db);
    cliOk(env, 'migrate');
    cliOk(env, 'user', 'add', 'chief', '--role', 'admin', '--password', 'chief-password-1');
  }, 120_000);
  afterAll(() => db.cleanup());

  it('refuses what it cannot import, with the reason and where, writing nothing', () => {
    const whole = readFileSync(FIXTURE, 'utf8');
    // The name says .xml; the bytes say gzip: read as an Inkstone archive, and this one is no archive at all.
    const archive = importCli(env, file('looks-like.xml', gzipSync('{"kind":"channel"}\n')));
    expect(archive.status).toBe(2);
    expect(archive.stderr).toMatch(/the archive is truncated or corrupt/);
    const truncated = importCli(env, file('export.xml', whole.slice(0, 200_000)));
    expect(truncated.status).toBe(2);
    expect(truncated.stderr).toMatch(/was not imported, nothing was written: line \d+, column \d+: malformed XML/);
    const html = importCli(env, file('page.xml', '<!DOCTYPE html><html><body>not a feed</body></html>'));
    expect(html.status).toBe(2);
    expect(html.stderr).toMatch(/<html> is not the root of a WordPress export/);
    // No file at that name, or a folder: refused before the database is opened.
    const missing = importCli(env, path.join(dir, 'no-such-export.xml'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`找不到文件 (no such file): ${path.join(dir, 'no-such-export.xml')}`);
    const folder = importCli(env, dir);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toContain('不是文件 (not a file)');
    const dry = importCli(env, FIXTURE, '--dry-run');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run \(nothing written\): WXR from https:\/\/wpthemetestdata\.wordpress\.com, 58 posts/);
    expect(dry.stdout).toContain('imported 58');
  }, 180_000);

  it('reads JSON Feed and JSON lines by their content: a dry run reports, a malformed line is refused with its place', () => {
    const lines = [
      JSON.stringify({
        id: 'j1',
        site: 'https://cms.example.cn',
        title: '江城新区道路改造',
        content_text: '新区今年已完成道路改造十二公里。',
        channel: 'difang',
      }),
      JSON.stringify({ id: 'j2', site: 'https://cms.example.cn', title: '图书馆延长开放时间', content_text: '市图书馆从下月起延长开放时间。' }),
    ];
    const dry = importCli(env, file('dump.data', `${lines.join('\n')}\n`), '--dry-run');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run \(nothing written\): JSON-LINES from an unnamed site, 2 posts/);
    expect(dry.stdout).toContain('imported 2');
    const feed = JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', home_page_url: 'https://feed.example.cn/', items: [{ id: 'f1', title: '一' }] });
    const dryFeed = importCli(env, file('feed.xml', feed), '--dry-run');
    expect(dryFeed.stdout).toMatch(/^Dry run \(nothing written\): JSON-FEED from https:\/\/feed\.example\.cn\/, 1 posts/);
    const bad = importCli(env, file('dump.jsonl', `${lines[0]}\n${lines[1]!.replace('","content_text"', '" "content_text"')}\n`));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/was not imported, nothing was written: line 2, column \d+: malformed JSON: expected ','/);
    const array = importCli(env, file('array.json', '[{"id": "1"}]'));
    expect(array.status).toBe(2);
    expect(array.stderr).toContain('不接受 JSON 数组');
  }, 180_000);

  it('imports the theme test data, then a file of 250 posts through the worker threads, and serves the old addresses', async () => {
    const first = importCli(env, FIXTURE);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/imported 58, updated 0, unchanged 0\n/);
    expect(first.stdout).toContain('post 1168 (line 10037): password-protected');
    // Not a terminal: plain progress lines, no bar.
    expect(first.stderr).toMatch(/writing: 58\/58 posts, \d+\/s\n/);
    expect(first.stderr).not.toContain('\r');
    expect(importCli(env, FIXTURE).stdout).toMatch(/imported 0, updated 0, unchanged 58\n/);

    const big = importCli(env, file('bulk.xml', generatedWxr(250)));
    expect(big.status, big.stderr).toBe(0);
    expect(big.stdout).toMatch(/imported 250, updated 0, unchanged 0\n/);

    const server = await serve(env);
    try {
      const moved = await fetch(`${server.base}/2024/03/01/road-1000/`, { redirect: 'manual' });
      expect(moved.status).toBe(301);
      const page = await fetch(server.base + moved.headers.get('location'));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('第1条：江城新区今年完成道路改造1公里');
      const search = await fetch(`${server.base}/api/v1/search?q=${encodeURIComponent('道路改造')}`).then((r) => r.json());
      expect(search.total).toBeGreaterThanOrEqual(250);
      // Related reading was left to the server's background backlog, which analyses the imported articles after start-up
      // (in bulk: more than 300 wait): the roads story finds the others about its subject.
      const id = moved.headers.get('location')!.split('/').pop();
      let related: { items: unknown[] } = { items: [] };
      for (let i = 0; i < 120 && related.items.length === 0; i++) {
        related = await fetch(`${server.base}/api/v1/articles/${id}/related`).then((r) => r.json());
        if (related.items.length === 0) await new Promise((r) => setTimeout(r, 1000));
      }
      expect(related.items.length).toBeGreaterThan(0);
      expect((await fetch(`${server.base}/?p=1164`, { redirect: 'manual' })).status).toBe(410);
      expect((await fetch(`${server.base}/2024/03/01/never-there/`, { redirect: 'manual' })).status).toBe(404);
    } finally {
      await server.stop();
    }
  }, 300_000);
});
