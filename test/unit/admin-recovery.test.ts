import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyKey, type LocalCopy, readLocalCopy, RECOVERY_CAP, removeLocalCopy, writeLocalCopy } from '../../src/admin/editor/recovery.ts';
import { copyMatches } from '../../src/admin/editor/compare.ts';

/**
 * The newsroom editor's local copies of unsaved text (src/admin/editor/recovery.ts) in a storage that behaves as the
 * browser's localStorage does: a per-site quota counted in UTF-16 units, setItem throwing QuotaExceededError past it.
 */
class QuotaStorage implements Storage {
  private items = new Map<string, string>();
  constructor(private quota: number) {}
  get length() {
    return this.items.size;
  }
  key(i: number) {
    return [...this.items.keys()][i] ?? null;
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    const used = [...this.items].reduce((n, [k, v]) => n + (k === key ? 0 : k.length + v.length), 0);
    if (used + key.length + value.length > this.quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.items.set(key, String(value));
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  clear() {
    this.items.clear();
  }
}

let storage: QuotaStorage;
const original = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');

function install(quota: number) {
  storage = new QuotaStorage(quota);
  Object.defineProperty(globalThis, 'localStorage', { value: storage, configurable: true, writable: true });
}

beforeEach(() => install(10_000_000));
afterEach(() => {
  if (original) Object.defineProperty(globalThis, 'localStorage', original);
  else delete (globalThis as { localStorage?: Storage }).localStorage;
});

const copy = (body: string, at: number): LocalCopy => ({ at, content: { fields: { title: '标题' }, body }, base: null });

describe('local copies of unsaved text', () => {
  it('are kept per account and article, and one account never reads another’s', () => {
    expect(writeLocalCopy('zhouming', 7, copy('<p>周明远的稿子</p>', 1))).toBe(true);
    expect(writeLocalCopy('zhouming', undefined, copy('<p>新稿</p>', 2))).toBe(true);
    expect(readLocalCopy('zhouming', 7)?.content.body).toBe('<p>周明远的稿子</p>');
    expect(readLocalCopy('zhouming', undefined)?.content.body).toBe('<p>新稿</p>');
    expect(readLocalCopy('wangbin', 7)).toBeNull();
    expect(readLocalCopy('wangbin', undefined)).toBeNull();
    // A name that looks like another key cannot reach it.
    expect(copyKey('zhou:ming', 7)).not.toBe(copyKey('zhou', 7));
    removeLocalCopy('wangbin', 7);
    expect(readLocalCopy('zhouming', 7)).not.toBeNull();
    removeLocalCopy('zhouming', 7);
    expect(readLocalCopy('zhouming', 7)).toBeNull();
  });

  it('all together stay under the cap: the oldest copies (of any account) go first, the one being written stays', () => {
    const cap = 10_000;
    const big = (n: number) => `<p>${String(n).repeat(2_900)}</p>`;
    expect(writeLocalCopy('a', 1, copy(big(1), 100), cap)).toBe(true);
    expect(writeLocalCopy('b', 2, copy(big(2), 200), cap)).toBe(true);
    expect(writeLocalCopy('a', 3, copy(big(3), 300), cap)).toBe(true);
    // A fourth does not fit beside three: the oldest (a's article 1) is dropped.
    expect(writeLocalCopy('c', 4, copy(big(4), 400), cap)).toBe(true);
    expect(readLocalCopy('a', 1)).toBeNull();
    expect(readLocalCopy('b', 2)).not.toBeNull();
    expect(readLocalCopy('a', 3)).not.toBeNull();
    expect(readLocalCopy('c', 4)).not.toBeNull();
    // Rewriting a copy makes it the newest: b's article 2 now outlives a's article 3.
    expect(writeLocalCopy('b', 2, copy(big(2), 500), cap)).toBe(true);
    expect(writeLocalCopy('d', 5, copy(big(5), 600), cap)).toBe(true);
    expect(readLocalCopy('a', 3)).toBeNull();
    expect(readLocalCopy('b', 2)).not.toBeNull();
  });

  it('a copy larger than the cap is not kept, and an older copy of the same article does not stay in its place', () => {
    expect(writeLocalCopy('a', 1, copy('<p>短</p>', 1), 1_000)).toBe(true);
    expect(writeLocalCopy('a', 1, copy(`<p>${'长'.repeat(2_000)}</p>`, 2), 1_000)).toBe(false);
    expect(readLocalCopy('a', 1)).toBeNull();
  });

  it('a full quota (the site’s other data too) makes room from the oldest copies, and never throws', () => {
    install(12_000);
    storage.setItem('someone-else', 'x'.repeat(5_000));
    expect(writeLocalCopy('a', 1, copy('1'.repeat(3_500), 1))).toBe(true);
    expect(writeLocalCopy('a', 2, copy('2'.repeat(3_500), 2))).toBe(true);
    expect(readLocalCopy('a', 1)).toBeNull();
    expect(readLocalCopy('a', 2)).not.toBeNull();
    expect(storage.getItem('someone-else')).not.toBeNull();
    // Nothing left to drop: not kept, no exception, the site's other data untouched.
    expect(writeLocalCopy('a', 3, copy('3'.repeat(9_000), 3))).toBe(false);
    expect(readLocalCopy('a', 3)).toBeNull();
    expect(storage.getItem('someone-else')).not.toBeNull();
  });

  it('storage the browser refuses altogether (disabled) is no error: nothing is kept', () => {
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('Access is denied', 'SecurityError');
      },
    });
    expect(writeLocalCopy('a', 1, copy('<p>正文</p>', 1))).toBe(false);
    expect(readLocalCopy('a', 1)).toBeNull();
    expect(() => removeLocalCopy('a', 1)).not.toThrow();
  });

  it('a damaged copy is not offered', () => {
    storage.setItem(copyKey('a', 1), '{"at":');
    expect(readLocalCopy('a', 1)).toBeNull();
    expect(RECOVERY_CAP).toBeGreaterThan(1_000_000);
  });
});

describe('whether a copy says anything the server does not have', () => {
  const fields = {
    title: '暴雨预警',
    subtitle: '',
    channel: 'yaowen',
    source: '',
    byline: '本报记者 周明远',
    editor: '',
    tags: '暴雨，预警',
    cover: '',
    summary: '',
  };
  const server = { fields, body: '<p>气象台发布暴雨橙色预警。</p>' };

  it('tags separated or spaced otherwise, or outer spaces, are the same text: the copy is not offered', () => {
    for (const tags of ['暴雨, 预警', '暴雨 预警', ' 暴雨、预警 ', '暴雨;预警']) {
      expect(copyMatches(server, { fields: { ...fields, tags }, body: server.body }), tags).toBe(true);
    }
    expect(copyMatches(server, { fields: { ...fields, title: ' 暴雨预警 ' }, body: server.body })).toBe(true);
    // Fields a copy lacks are the server's.
    expect(copyMatches(server, { fields: { title: '暴雨预警' }, body: server.body })).toBe(true);
  });

  it('another tag, another tag order, another word or another body is a difference: the copy is offered', () => {
    expect(copyMatches(server, { fields: { ...fields, tags: '暴雨，预警，气象' }, body: server.body })).toBe(false);
    expect(copyMatches(server, { fields: { ...fields, tags: '预警，暴雨' }, body: server.body })).toBe(false);
    expect(copyMatches(server, { fields: { ...fields, title: '暴雨预警升级' }, body: server.body })).toBe(false);
    expect(copyMatches(server, { fields, body: '<p>气象台发布暴雨红色预警。</p>' })).toBe(false);
  });
});

describe('the 图文直播 page’s copy of an unsent entry', () => {
  it('is kept apart from the article’s own copy, per account', () => {
    expect(writeLocalCopy('zhouming', 7, copy('<p>稿件正文</p>', 1))).toBe(true);
    expect(writeLocalCopy('zhouming', { live: 7 }, copy('直播消息', 2))).toBe(true);
    expect(readLocalCopy('zhouming', 7)?.content.body).toBe('<p>稿件正文</p>');
    expect(readLocalCopy('zhouming', { live: 7 })?.content.body).toBe('直播消息');
    expect(readLocalCopy('wangbin', { live: 7 })).toBeNull();
    removeLocalCopy('zhouming', { live: 7 });
    expect(readLocalCopy('zhouming', { live: 7 })).toBeNull();
    expect(readLocalCopy('zhouming', 7)).not.toBeNull();
  });
});
