import type { Kysely, Selectable } from 'kysely';
import type { NewTopic, Topic, TopicChanges } from '../../domain/topics/topic.ts';
import type { DB, TopicTable } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

export class TopicRepository implements Port.TopicRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async all(): Promise<Topic[]> {
    const rows = await this.db.selectFrom('topics').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return this.withArticles(rows);
  }

  async findBySlug(slug: string): Promise<Topic | undefined> {
    const row = await this.db.selectFrom('topics').selectAll().where('slug', '=', slug).executeTakeFirst();
    if (!row) return undefined;
    const [topic] = await this.withArticles([row]);
    return topic;
  }

  async findById(id: number): Promise<Topic | undefined> {
    const row = await this.db.selectFrom('topics').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const [topic] = await this.withArticles([row]);
    return topic;
  }

  async insert(t: NewTopic): Promise<number> {
    const { id } = await this.db
      .insertInto('topics')
      .values({
        slug: t.slug,
        title: t.title,
        description: t.description,
        cover: t.cover,
        created_at: t.createdAt,
        updated_at: t.updatedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }

  async update(id: number, patch: TopicChanges): Promise<void> {
    await this.db
      .updateTable('topics')
      .set({ title: patch.title, description: patch.description, cover: patch.cover, updated_at: patch.updatedAt })
      .where('id', '=', id)
      .execute();
  }

  async setArticles(topicId: number, articleIds: readonly number[]): Promise<void> {
    await this.db.deleteFrom('topic_articles').where('topic_id', '=', topicId).execute();
    if (articleIds.length === 0) return;
    await this.db
      .insertInto('topic_articles')
      .values(articleIds.map((article_id, position) => ({ topic_id: topicId, article_id, position })))
      .execute();
  }

  private async withArticles(rows: Selectable<TopicTable>[]): Promise<Topic[]> {
    if (rows.length === 0) return [];
    const links = await this.db
      .selectFrom('topic_articles')
      .select(['topic_id', 'article_id'])
      // An article in the 回收站 is out of every list until it is restored. Asked of the trash (its partial index), not
      // of each linked article's row: at a million articles a start's first home page spent 345 ms reading the rows
      // of its topics' 1,200 articles from a cold disk for that one column.
      .where('article_id', 'not in', (eb) => eb.selectFrom('articles').select('id').where('deleted_at', 'is not', null))
      .where(
        'topic_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('topic_id')
      .orderBy('position')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      slug: r.slug,
      title: r.title,
      description: r.description,
      cover: r.cover,
      articleIds: links.filter((l) => l.topic_id === r.id).map((l) => l.article_id),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }
}
