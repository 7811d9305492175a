import type { Kysely } from 'kysely';
import type { SearchDocument } from '../../src/domain/search/search-index.ts';
import type { DB } from '../../src/storage/schema.ts';

/**
 * The rows an index test's documents stand on, written straight to an empty database (search_docs rows need their
 * articles): channel 1 (news) and an account; returns the account's id.
 */
export async function seedChannelAndAuthor(db: Kysely<DB>): Promise<number> {
  const now = Date.now();
  await db
    .insertInto('channels')
    .values({ id: 1, slug: 'news', name: 'news', parent_id: null, path: 'news', position: 0, description: '', created_at: now })
    .execute();
  const author = await db
    .insertInto('accounts')
    .values({ username: 'index-test', display_name: 'index-test', role: 'admin', password_hash: 'x', disabled_at: null, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return author.id;
}

/** Published articles in channel 1 with these ids and publication times (titles 标题<id>), 200 a statement. */
export async function insertPublished(db: Kysely<DB>, authorId: number, articles: readonly { id: number; publishedAt: number }[]): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < articles.length; i += 200)
    await db
      .insertInto('articles')
      .values(
        articles.slice(i, i + 200).map(({ id, publishedAt }) => ({
          id,
          title: `标题${id}`,
          subtitle: '',
          summary: '',
          body_html: '<p>x</p>',
          body_text: 'x',
          channel_id: 1,
          source: '',
          byline: '',
          editor: '',
          cover: '',
          status: 'published',
          published_at: publishedAt,
          scheduled_at: null,
          created_at: now,
          updated_at: now,
          author_id: authorId,
          revision: 1,
        })) as never,
      )
      .execute();
}

/** An index document of article `id` in channel 1 (title 标题<id>, as insertPublished writes it) with these body words. */
export function wordsDocument(id: number, publishedAt: number, bodyWords: string[]): SearchDocument {
  return {
    articleId: id,
    channelId: 1,
    publishedAt,
    fields: {
      title: { words: [`标题${id}`], grams: [] },
      tags: { words: [], grams: [] },
      summary: { words: [], grams: [] },
      body: { words: bodyWords, grams: [] },
    },
    head: `标题${id}`,
  };
}
