import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A process that serves only readers never loads the language libraries (jieba, its 11 MB of dictionary files,
 * OpenCC, pinyin-pro; domain/nlp/libraries.ts): the server's module graph loads none of them, the first use does.
 * In a child process, so the modules other test files loaded do not count.
 */
const root = path.resolve(import.meta.dirname, '../..');

const LANGUAGE = '@node-rs\\/jieba|opencc-js|pinyin-pro';

function loadedAfter(code: string, packages = LANGUAGE): string[] {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(path.join(root, 'src/server.ts'))});
    ${code}
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(cache.filter((k) => /node_modules\\/(${packages})\\//.test(k)).map((k) => k.replace(/.*node_modules\\//, ''))));
    process.exit(0);`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as string[];
}

describe('language libraries load on first use', () => {
  it('are not loaded by the server’s modules, and are by the first segmenting, screening or 繁 page', () => {
    expect(loadedAfter('')).toEqual([]);
    const used = loadedAfter(`
      const { segmenter, normalizeText } = await import(${JSON.stringify(path.join(root, 'src/domain/nlp/segment.ts'))});
      const { foldChar } = await import(${JSON.stringify(path.join(root, 'src/domain/moderation/normalize.ts'))});
      segmenter().cut('我们在北京', false); normalizeText('軟體'); foldChar('體');`);
    expect(used).toEqual(expect.arrayContaining(['@node-rs/jieba/index.js', 'opencc-js/dist/umd/full.js']));
    expect(used.some((k) => k.startsWith('pinyin-pro'))).toBe(false);
  }, 120_000);
});

/**
 * Nor the libraries of writes and rare jobs: the HTML sanitizer (with PostCSS), argon2, sharp (libvips), the tar and XML
 * readers of export/backup/import, the PostgreSQL and Redis clients (only with DATABASE_URL / REDIS_URL). Each costs
 * start-up time (together about 0.3 s of CPU here) that a start over SQLite spends before its first page.
 */
describe('write-side libraries load on first use', () => {
  const WRITES = 'sanitize-html|postcss|@node-rs\\/argon2|sharp|tar-stream|saxes|pg|ioredis';
  it('are not loaded by the server’s modules, and are by the first sanitized body and password hash', () => {
    expect(loadedAfter('', WRITES)).toEqual([]);
    const used = loadedAfter(
      `
      const { sanitizeBody } = await import(${JSON.stringify(path.join(root, 'src/domain/articles/html.ts'))});
      const { hashPassword } = await import(${JSON.stringify(path.join(root, 'src/domain/accounts/service.ts'))});
      sanitizeBody('<p onclick="x()">正文</p>');
      await hashPassword('a-long-password-1');`,
      WRITES,
    );
    expect(used.some((k) => k.startsWith('sanitize-html/'))).toBe(true);
    expect(used.some((k) => k.startsWith('@node-rs/argon2/'))).toBe(true);
  }, 120_000);
});
