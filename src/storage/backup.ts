import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Store } from '../domain/store.ts';
import type { Database } from './database.ts';

/** SQLite online backup: a consistent copy while the site keeps serving. */
export async function backupSqlite(database: Database, file: string): Promise<number> {
  if (!database.sqlite) throw new Error('backup copies the SQLite file; on PostgreSQL use pg_dump');
  const result = await database.sqlite.backup(file);
  return result.totalPages;
}

/**
 * Full export as JSON lines, one record per line with its `type`, in an order that can be imported back
 * (channels before articles, parents before children).
 */
export async function exportJsonLines(store: Store, file: string): Promise<Record<string, number>> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  const counts: Record<string, number> = {};
  const write = async (type: string, record: object) => {
    counts[type] = (counts[type] ?? 0) + 1;
    if (!out.write(JSON.stringify({ type, ...record }) + '\n')) await once(out, 'drain');
  };
  for (const c of await store.channels.all()) {
    await write('channel', { slug: c.slug, name: c.name, path: c.path, position: c.position, description: c.description });
  }
  for (const a of await store.accounts.list()) {
    await write('account', { username: a.username, displayName: a.displayName, role: a.role, disabled: a.disabledAt !== null });
  }
  const authors = new Map((await store.accounts.list()).map((a) => [a.id, a.username]));
  let beforeId: number | undefined;
  for (;;) {
    const page = await store.articles.listNewsroom({ limit: 200, beforeId });
    if (page.length === 0) break;
    for (const a of page) {
      await write('article', {
        id: a.id,
        title: a.title,
        subtitle: a.subtitle,
        summary: a.summary,
        body: a.bodyHtml,
        channel: a.channelPath,
        source: a.source,
        byline: a.byline,
        editor: a.editor,
        tags: a.tags,
        cover: a.cover,
        status: a.status,
        publishedAt: a.publishedAt === null ? null : new Date(a.publishedAt).toISOString(),
        scheduledAt: a.scheduledAt === null ? null : new Date(a.scheduledAt).toISOString(),
        createdAt: new Date(a.createdAt).toISOString(),
        updatedAt: new Date(a.updatedAt).toISOString(),
        author: authors.get(a.authorId) ?? null,
      });
    }
    beforeId = page[page.length - 1]!.id;
  }
  for (const t of await store.topics.all()) {
    await write('topic', { slug: t.slug, title: t.title, description: t.description, cover: t.cover, articles: t.articleIds });
  }
  out.end();
  await once(out, 'finish');
  return counts;
}
