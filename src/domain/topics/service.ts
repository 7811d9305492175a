import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { announce, type Ctx } from '../context.ts';
import { conflict, invalid } from '../errors.ts';
import { authorize, can } from '../policy.ts';
import { holdTopicCover } from '../media/library.ts';
import { rehostRemoteImages } from '../media/rehost.ts';
import { imageUrlField, lineField } from '../text.ts';
import { SLUG_PATTERN } from '../channels/channel.ts';
import type { Topic } from './topic.ts';
import { type IdempotencyHold, keepMade } from '../idempotency.ts';

export interface NewTopic {
  slug: string;
  title: string;
  description?: string;
  cover?: string;
  articles?: number[];
}

/** With `hold` (the request's Idempotency-Key), the key's row records the topic in the same transaction. */
export async function createTopic(ctx: Ctx, actor: Actor | null, input: NewTopic, hold?: IdempotencyHold): Promise<Topic> {
  if (actor) authorize(actor, 'topic.manage');
  const slug = input.slug.trim().toLowerCase();
  if (!SLUG_PATTERN.test(slug)) throw invalid('A slug is 1–40 lowercase letters, digits or dashes', 'slug', 'invalid_slug');
  const title = lineField(input.title, 'title', 100, true);
  const description = lineField(input.description, 'description', 1000);
  const articleIds = [...new Set(input.articles ?? [])];
  if (articleIds.length > 200) throw invalid('A topic holds at most 200 articles', 'articles', 'too_many');
  const cover = await topicCover(ctx, actor, imageUrlField(input.cover, 'cover'));
  return writeActing(ctx.store, actor, async (store, acting) => {
    if (acting) authorize(acting, 'topic.manage');
    // Two editors making the same slug at once: the second waits and is told topic_exists (not a unique-key 500).
    await store.serialize('topics');
    if (await store.topics.findBySlug(slug)) throw conflict('topic_exists', `A topic already exists at ${slug}`, 'slug');
    const found = await store.articles.findMany(articleIds);
    if (found.length !== articleIds.length) throw invalid('Some articles do not exist', 'articles', 'unknown_article');
    await holdTopicCover(store, cover);
    const now = ctx.clock.now();
    const id = await store.topics.insert({ slug, title, description, cover, createdAt: now, updatedAt: now });
    await keepMade(store, hold, id);
    await store.topics.setArticles(id, articleIds);
    announce(ctx, store, { kind: 'topic', id });
    await store.history.record({ at: now, actorId: actor?.id ?? null, action: 'topic.create', subjectType: 'topic', subjectId: id, detail: { slug } });
    return (await store.topics.findBySlug(slug))!;
  });
}

/**
 * A topic's cover as it is kept: a remote image is re-hosted like an article's cover (reader pages load images from
 * us only, so a remote cover never showed); one that could not be fetched keeps its address, as in an article.
 */
export async function topicCover(ctx: Ctx, actor: Actor | null, cover: string): Promise<string> {
  if (!actor || !/^https?:\/\//i.test(cover)) return cover;
  return (await rehostRemoteImages(ctx, actor, '', cover)).cover;
}

/**
 * Every topic, as the caller may see it: editors (who choose a topic's articles) get all of them; readers and reporters
 * only the published ones, so the list never tells which drafts or scheduled stories a topic is about to hold.
 */
export async function listTopics(ctx: Ctx, actor: Actor | undefined): Promise<Topic[]> {
  const topics = await ctx.store.topics.all();
  if (actor && can(actor, 'topic.manage')) return topics;
  const published = new Set((await ctx.store.articles.publishedTitles([...new Set(topics.flatMap((t) => t.articleIds))])).map((a) => a.id));
  return topics.map((t) => ({ ...t, articleIds: t.articleIds.filter((id) => published.has(id)) }));
}
