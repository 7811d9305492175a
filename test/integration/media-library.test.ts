import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createChannels } from '../support/factories.ts';
import { multipart } from '../support/images.ts';
import { STORES } from '../support/stores.ts';

interface Item {
  id: number;
  url: string;
  caption: string;
  alt: string;
  credit: string;
  thumbnail: { url: string; width: number };
  uploader: { username: string } | null;
  usedBy: number;
  abilities: { edit: boolean; delete: boolean };
  original: { name: string };
  variants: { url: string }[];
}

let colour = 0;
/** A small JPEG of its own colour, so no two uploads share bytes unless asked to. */
async function jpeg(width = 700): Promise<Buffer> {
  colour++;
  return sharp({ create: { width, height: 400, channels: 3, background: { r: colour % 256, g: (colour * 7) % 256, b: (colour * 13) % 256 } } })
    .jpeg()
    .toBuffer();
}

describe.each(STORES)('picture library on %s', (kind) => {
  let t: TestApp;
  let editor: { auth: string; username: string };
  let reporter: { auth: string; username: string };
  let other: { auth: string; username: string };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.user('admin');
    editor = await t.user('editor');
    reporter = await t.user('reporter');
    other = await t.user('reporter');
    await createChannels(t.app, admin.auth);
  });
  afterAll(() => t.close());

  const upload = async (auth: string, name = 'photo.jpg', data?: Buffer): Promise<Item> => {
    const body = await multipart({ field: 'file', data: data ?? (await jpeg()), filename: name, type: 'image/jpeg' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: auth, ...body.headers }, payload: body.payload });
    expect(res.statusCode, res.body).toBe(201);
    return json(res);
  };
  const list = async (auth: string, query = '') => {
    const res = await t.app.inject({ url: `/api/v1/media${query}`, headers: { authorization: auth } });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: Item[]; next: string | null }>(res);
  };
  const patchMedia = (auth: string, id: number, body: object) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/media/${id}`, headers: { authorization: auth }, payload: body });
  const del = (auth: string, id: number) => t.app.inject({ method: 'DELETE', url: `/api/v1/media/${id}`, headers: { authorization: auth } });
  const detail = async (id: number) =>
    json<Item & { articles: { id: number; title: string; status: string }[] }>(
      await t.app.inject({ url: `/api/v1/media/${id}`, headers: { authorization: editor.auth } }),
    );
  const patchArticle = (auth: string, id: number, body: object) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${id}`, headers: { authorization: auth }, payload: body });
  const figure = (m: Item, alt = '') => `<figure><img src="${m.url}" alt="${alt}"><figcaption>图说</figcaption></figure>`;
  const onDisk = (m: Item) => m.variants.every((v) => existsSync(path.join(t.config.dataDir, 'media', v.url.replace(/^\/media\//, ''))));

  it('lists uploads newest first with thumbnail, uploader and use, pages by cursor, and searches caption, alt and file name', async () => {
    const a = await upload(reporter.auth, '江城地铁.jpg');
    const b = await upload(editor.auth, 'harbour.jpg');
    const c = await upload(reporter.auth, 'c.jpg');
    expect((await patchMedia(reporter.auth, c.id, { caption: '100% 纯_色 测试', alt: '江面上的渡轮' })).statusCode).toBe(200);

    const page = await list(editor.auth, '?limit=2');
    expect(page.items.map((i) => i.id)).toEqual([c.id, b.id]);
    expect(page.items[0]).toMatchObject({ caption: '100% 纯_色 测试', alt: '江面上的渡轮', uploader: { username: reporter.username }, usedBy: 0 });
    expect(page.items[0]!.thumbnail.url).toMatch(/-480\.jpg$/);
    const next = await list(editor.auth, `?limit=2&cursor=${page.next}`);
    expect(next.items[0]!.id).toBe(a.id);

    expect((await list(editor.auth, `?q=${encodeURIComponent('地铁')}`)).items.map((i) => i.id)).toEqual([a.id]);
    expect((await list(editor.auth, `?q=${encodeURIComponent('渡轮')}`)).items.map((i) => i.id)).toEqual([c.id]);
    expect((await list(editor.auth, '?q=HARBOUR')).items.map((i) => i.id)).toEqual([b.id]);
    // LIKE wildcards in the query are literal characters.
    expect((await list(editor.auth, `?q=${encodeURIComponent('100%')}`)).items.map((i) => i.id)).toEqual([c.id]);
    expect((await list(editor.auth, `?q=${encodeURIComponent('%')}`)).items.map((i) => i.id)).toEqual([c.id]);
    expect((await list(editor.auth, '?q=_')).items.map((i) => i.id)).toEqual([c.id]);
    const mine = (await list(editor.auth, `?uploader=${reporter.username}`)).items.map((i) => i.id);
    expect(mine).toContain(a.id);
    expect(mine).not.toContain(b.id);
    expect((await list(editor.auth, '?uploader=nobody-here')).items).toEqual([]);

    const today = new Date(t.clock.now() + 8 * 3600_000).toISOString().slice(0, 10);
    expect((await list(editor.auth, `?from=${today}&to=${today}`)).items.length).toBeGreaterThanOrEqual(3);
    expect((await list(editor.auth, '?to=2000-01-01')).items).toEqual([]);

    // A reporter sees the whole library but may change only their own.
    const seen = await list(other.auth, '?limit=3');
    expect(seen.items.find((i) => i.id === b.id)?.abilities).toEqual({ edit: false, delete: false });
    expect(seen.items.find((i) => i.id === b.id)).toBeTruthy();
  });

  it('refuses bad library queries with 400', async () => {
    for (const q of [
      '?cursor=abc',
      '?cursor=' + Buffer.from('m-1').toString('base64url'),
      '?from=2026-13-01',
      '?from=2026-05-02&to=2026-05-01',
      '?limit=0',
      '?limit=1000',
      '?x=1',
    ]) {
      const res = await t.app.inject({ url: `/api/v1/media${q}`, headers: { authorization: editor.auth } });
      expect(res.statusCode, q).toBe(400);
    }
    expect((await t.app.inject({ url: '/api/v1/media' })).statusCode).toBe(401);
  });

  it('edits caption, alt and credit as plain text for the uploader or an editor, 403 for others', async () => {
    const m = await upload(reporter.auth);
    const res = await patchMedia(reporter.auth, m.id, { caption: ' 雨后的 <b>江城</b>\n', alt: '两名行人撑伞走过', credit: '周明远 摄' });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toMatchObject({ caption: '雨后的 <b>江城</b>', alt: '两名行人撑伞走过', credit: '周明远 摄' });
    expect((await patchMedia(editor.auth, m.id, { alt: '编辑改的替代文字' })).statusCode).toBe(200);
    const refused = await patchMedia(other.auth, m.id, { alt: '别人改的' });
    expect(refused.statusCode).toBe(403);
    expect((await detail(m.id)).alt).toBe('编辑改的替代文字');
    expect((await patchMedia(reporter.auth, m.id, { caption: '长'.repeat(501) })).statusCode).toBe(400);
    expect((await patchMedia(reporter.auth, m.id, {})).statusCode).toBe(400);
    expect((await patchMedia(reporter.auth, m.id, { url: '/x' })).statusCode).toBe(400);
    expect((await patchMedia(reporter.auth, 99999, { alt: 'x' })).statusCode).toBe(404);
    const audit = (await t.ctx.store.history.auditEvents({ limit: 50 })).filter((e) => e.action === 'media.edit' && e.subjectId === String(m.id));
    expect(audit.length).toBe(2);
  });

  it('keeps usage exact through edits that add and remove images and covers', async () => {
    const x = await upload(reporter.auth);
    const y = await upload(reporter.auth);
    const z = await upload(reporter.auth);
    const article = await createArticle(t.app, reporter.auth, { body: `<p>正文</p>${figure(x)}`, cover: y.url });
    const used = async () => Object.fromEntries(await Promise.all([x, y, z].map(async (m) => [m.id, (await detail(m.id)).articles.map((a) => a.id)])));
    expect(await used()).toEqual({ [x.id]: [article.id], [y.id]: [article.id], [z.id]: [] });
    expect((await patchArticle(reporter.auth, article.id, { body: `<p>正文</p>${figure(z)}${figure(z)}` })).statusCode).toBe(200);
    expect(await used()).toEqual({ [x.id]: [], [y.id]: [article.id], [z.id]: [article.id] });
    expect((await patchArticle(reporter.auth, article.id, { cover: '' })).statusCode).toBe(200);
    expect(await used()).toEqual({ [x.id]: [], [y.id]: [], [z.id]: [article.id] });
    // Another size of the same upload is the same image.
    expect((await patchArticle(reporter.auth, article.id, { cover: x.variants[0]!.url })).statusCode).toBe(200);
    expect(await used()).toEqual({ [x.id]: [article.id], [y.id]: [], [z.id]: [article.id] });
    // An edit of the words around the same images (usage not written again) leaves every use recorded.
    expect((await patchArticle(reporter.auth, article.id, { body: `<p>改写后的正文</p>${figure(z)}` })).statusCode).toBe(200);
    expect(await used()).toEqual({ [x.id]: [article.id], [y.id]: [], [z.id]: [article.id] });
    expect((await list(editor.auth, '?limit=5')).items.find((i) => i.id === z.id)?.usedBy).toBe(1);
    // Restoring revision 1 brings back its images' usage.
    const restore = await t.app.inject({
      method: 'POST',
      url: `/api/v1/articles/${article.id}/revisions/1/restore`,
      headers: { authorization: reporter.auth },
    });
    expect(restore.statusCode, restore.body).toBe(200);
    expect(await used()).toEqual({ [x.id]: [article.id], [y.id]: [article.id], [z.id]: [] });
  });

  it('refuses to delete an image in use with 409 and the articles, deletes one in no use with its files', async () => {
    const m = await upload(reporter.auth);
    const article = await createArticle(t.app, reporter.auth, { title: '用到这张图的稿件', body: `<p>正文</p>${figure(m)}` });
    const refused = await del(reporter.auth, m.id);
    expect(refused.statusCode).toBe(409);
    expect(json(refused).error).toMatchObject({ code: 'media_in_use', articles: [{ id: article.id, title: '用到这张图的稿件', status: 'draft' }] });
    expect(onDisk(m)).toBe(true);
    // Another reporter may not delete it, in use or not.
    expect((await del(other.auth, m.id)).statusCode).toBe(403);

    expect((await patchArticle(reporter.auth, article.id, { body: '<p>图删掉了</p>' })).statusCode).toBe(200);
    expect((await del(other.auth, m.id)).statusCode).toBe(403);
    expect((await del(reporter.auth, m.id)).statusCode).toBe(204);
    expect(onDisk(m)).toBe(false);
    expect((await t.app.inject({ url: `/api/v1/media/${m.id}`, headers: { authorization: editor.auth } })).statusCode).toBe(404);
    expect((await del(reporter.auth, m.id)).statusCode).toBe(404);
    // A save that starts using the deleted image is refused, not saved as a broken picture.
    const late = await patchArticle(reporter.auth, article.id, { body: `<p>又加回来</p>${figure(m)}` });
    expect(late.statusCode).toBe(409);
    expect(json(late).error.code).toBe('media_gone');
    expect(json(await t.app.inject({ url: `/api/v1/articles/${article.id}`, headers: { authorization: reporter.auth } })).body).toBe('<p>图删掉了</p>');
  });

  it('never shows a reporter the title of another reporter’s draft that uses an image, in its details or a refused delete', async () => {
    const m = await upload(reporter.auth);
    const secret = await createArticle(t.app, other.auth, { title: '未发布的人事调整稿', body: `<p>正文</p>${figure(m)}` });
    const mine = await createArticle(t.app, reporter.auth, { title: '我自己的稿件', body: `<p>正文</p>${figure(m)}` });
    expect((await t.app.inject({ url: `/api/v1/articles/${secret.id}`, headers: { authorization: reporter.auth } })).statusCode).toBe(403);
    const seen = await t.app.inject({ url: `/api/v1/media/${m.id}`, headers: { authorization: reporter.auth } });
    expect(seen.statusCode).toBe(200);
    expect(seen.body).not.toContain('未发布的人事调整稿');
    expect(json(seen).articles.map((a: { id: number }) => a.id)).toEqual([mine.id]);
    const refused = await del(reporter.auth, m.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).not.toContain('未发布的人事调整稿');
    expect(json(refused).error.articles.map((a: { id: number }) => a.id)).toEqual([mine.id]);
    // Editors read every draft: they see both.
    expect((await detail(m.id)).articles.map((a) => a.title)).toEqual(['我自己的稿件', '未发布的人事调整稿']);
  });

  it('an editor may delete anyone’s unused image; identical uploads keep their shared files until the last goes', async () => {
    const bytes = await jpeg();
    const first = await upload(reporter.auth, 'a.jpg', bytes);
    const second = await upload(other.auth, 'b.jpg', bytes);
    expect(second.variants).toEqual(first.variants);
    expect((await del(editor.auth, first.id)).statusCode).toBe(204);
    expect(onDisk(second)).toBe(true);
    // Using one of them: the article uses that key; the remaining row counts as used.
    const article = await createArticle(t.app, reporter.auth, { body: `<p>x</p>${figure(second)}` });
    expect((await del(other.auth, second.id)).statusCode).toBe(409);
    expect((await patchArticle(reporter.auth, article.id, { body: '<p>x</p>' })).statusCode).toBe(200);
    expect((await del(other.auth, second.id)).statusCode).toBe(204);
    expect(onDisk(second)).toBe(false);
  });

  it('a delete racing a save that starts using the image never leaves an article pointing at deleted files', async () => {
    for (let round = 0; round < 6; round++) {
      const m = await upload(reporter.auth);
      const article = await createArticle(t.app, reporter.auth, { body: '<p>还没有图</p>' });
      const [saved, deleted] = await Promise.all([patchArticle(reporter.auth, article.id, { body: `<p>加图</p>${figure(m)}` }), del(reporter.auth, m.id)]);
      const body = json(await t.app.inject({ url: `/api/v1/articles/${article.id}`, headers: { authorization: reporter.auth } })).body as string;
      if (deleted.statusCode === 204) {
        expect(saved.statusCode, saved.body).toBe(409);
        expect(json(saved).error.code).toBe('media_gone');
        expect(body).not.toContain(m.url);
        expect(onDisk(m)).toBe(false);
      } else {
        expect(deleted.statusCode, deleted.body).toBe(409);
        expect(json(deleted).error.code).toBe('media_in_use');
        expect(saved.statusCode).toBe(200);
        expect(body).toContain(m.url);
        expect(onDisk(m)).toBe(true);
      }
    }
  });

  it('refuses to delete an image a topic shows as its cover (409), and a topic cannot take a deleted image as its cover', async () => {
    const m = await upload(reporter.auth);
    const slug = `cover-${m.id}`;
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/v1/topics',
      headers: { authorization: editor.auth },
      payload: { slug, title: '封面专题', cover: m.url },
    });
    expect(made.statusCode, made.body).toBe(201);
    const topic = json<{ id: number }>(made);
    const refused = await del(reporter.auth, m.id);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(json(refused).error).toMatchObject({ code: 'media_in_use', articles: [], topics: [{ id: topic.id, slug, title: '封面专题' }] });
    expect(onDisk(m)).toBe(true);
    const page = await t.app.inject({ url: `/t/${slug}` });
    expect(page.body).toContain(m.url);

    // Another cover frees it; the deleted image cannot come back as a cover.
    const other = await upload(reporter.auth);
    const patch = (cover: string) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/topics/${topic.id}`, headers: { authorization: editor.auth }, payload: { cover } });
    expect((await patch(other.url)).statusCode).toBe(200);
    expect((await del(reporter.auth, m.id)).statusCode).toBe(204);
    expect(onDisk(m)).toBe(false);
    const late = await patch(m.url);
    expect(late.statusCode, late.body).toBe(409);
    expect(json(late).error.code).toBe('media_gone');
    const fresh = await t.app.inject({
      method: 'POST',
      url: '/api/v1/topics',
      headers: { authorization: editor.auth },
      payload: { slug: `${slug}-b`, title: '新专题', cover: m.url },
    });
    expect(fresh.statusCode, fresh.body).toBe(409);
    expect(json(fresh).error.code).toBe('media_gone');
    expect((await t.app.inject({ url: `/t/${slug}-b` })).statusCode).toBe(404);
  });

  it('a delete racing a topic save that starts showing the image as its cover never leaves a topic pointing at deleted files', async () => {
    for (let round = 0; round < 6; round++) {
      const m = await upload(reporter.auth);
      const slug = `race-${m.id}`;
      const made = await t.app.inject({ method: 'POST', url: '/api/v1/topics', headers: { authorization: editor.auth }, payload: { slug, title: '竞态专题' } });
      const topic = json<{ id: number }>(made);
      const [saved, deleted] = await Promise.all([
        t.app.inject({ method: 'PATCH', url: `/api/v1/topics/${topic.id}`, headers: { authorization: editor.auth }, payload: { cover: m.url } }),
        del(reporter.auth, m.id),
      ]);
      const topics = json<{ items: { id: number; cover: string }[] }>(await t.app.inject({ url: '/api/v1/topics', headers: { authorization: editor.auth } }));
      const cover = topics.items.find((x) => x.id === topic.id)?.cover;
      if (deleted.statusCode === 204) {
        expect(saved.statusCode, saved.body).toBe(409);
        expect(cover).not.toBe(m.url);
        expect(onDisk(m)).toBe(false);
      } else {
        expect(deleted.statusCode, deleted.body).toBe(409);
        expect(saved.statusCode, saved.body).toBe(200);
        expect(cover).toBe(m.url);
        expect(onDisk(m)).toBe(true);
      }
    }
  });

  it('keeps rendering old bodies: alt on the image and caption in the figure stay apart', async () => {
    const m = await upload(reporter.auth);
    const article = await createArticle(t.app, reporter.auth, {
      body: `<p>正文</p><figure><img src="${m.url}" alt="替代文字"><figcaption>图片说明</figcaption></figure>`,
    });
    const stored = json(await t.app.inject({ url: `/api/v1/articles/${article.id}`, headers: { authorization: reporter.auth } })).body as string;
    expect(stored).toContain('alt="替代文字"');
    expect(stored).toContain('<figcaption>图片说明</figcaption>');
  });
});
