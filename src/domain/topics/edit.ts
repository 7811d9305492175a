import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { announce, type Ctx } from '../context.ts';
import { invalid, notFound } from '../errors.ts';
import { authorize } from '../policy.ts';
import { holdTopicCover } from '../media/library.ts';
import { topicCover } from './service.ts';
import { imageUrlField, lineField } from '../text.ts';
import type { Topic } from './topic.ts';

export interface TopicEdit {
  title?: string;
  description?: string;
  cover?: string;
  /** The topic's articles in reading order; replaces the list. */
  articles?: number[];
}

export async function updateTopic(ctx: Ctx, actor: Actor, id: number, edit: TopicEdit): Promise<Topic> {
  authorize(actor, 'topic.manage');
  const title = edit.title === undefined ? undefined : lineField(edit.title, 'title', 100, true);
  const description = edit.description === undefined ? undefined : lineField(edit.description, 'description', 1000);
  const articleIds = edit.articles === undefined ? undefined : [...new Set(edit.articles)];
  if (articleIds && articleIds.length > 200) throw invalid('A topic holds at most 200 articles', 'articles', 'too_many');
  const cover = edit.cover === undefined ? undefined : await topicCover(ctx, actor, imageUrlField(edit.cover, 'cover'));
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'topic.manage');
    // Two editors saving the topic at once replace its article list in turn (last write wins), rather than the
    // second inserting beside rows the first wrote after its read (a unique-key 500 on PostgreSQL).
    await store.serialize('topic', id);
    const topic = await store.topics.findById(id);
    if (!topic) throw notFound('Topic');
    if (cover !== undefined && cover !== topic.cover) await holdTopicCover(store, cover);
    const now = ctx.clock.now();
    if (articleIds) {
      const found = await store.articles.findMany(articleIds);
      if (found.length !== articleIds.length) throw invalid('Some articles do not exist', 'articles', 'unknown_article');
      await store.topics.setArticles(id, articleIds);
    }
    await store.topics.update(id, { title: title ?? topic.title, description: description ?? topic.description, cover: cover ?? topic.cover, updatedAt: now });
    announce(ctx, store, { kind: 'topic', id });
    await store.history.record({
      at: now,
      actorId: actor.id,
      action: 'topic.update',
      subjectType: 'topic',
      subjectId: id,
      detail: { slug: topic.slug, ...(articleIds ? { articles: articleIds } : {}) },
    });
    return (await store.topics.findById(id))!;
  });
}
