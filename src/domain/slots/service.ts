import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import type { Article } from '../articles/article.ts';
import { announce, type Ctx } from '../context.ts';
import { invalid } from '../errors.ts';
import { authorize, can } from '../policy.ts';
import type { SlotItem } from './slot.ts';

export const SLOTS = { focus: { name: '视觉焦点', max: 8 }, headline: { name: '头条', max: 5 } } as const;
export type SlotName = keyof typeof SLOTS;

export function isSlotName(value: string): value is SlotName {
  return Object.hasOwn(SLOTS, value);
}

/** The published, unexpired articles of a slot, in the editors' order. */
export async function slotArticles(ctx: Ctx, slot: SlotName): Promise<Article[]> {
  const now = ctx.clock.now();
  const items = (await ctx.store.slots.items(slot)).filter((i) => i.expiresAt === null || i.expiresAt > now);
  const articles = await ctx.store.articles.findMany(
    items.map((i) => i.articleId),
    { bodies: false },
  );
  return articles.filter((a) => a.status === 'published');
}

/**
 * A slot's items as the caller may see them: editors (who fill it) get all of them; readers and reporters only the
 * published articles, so the list never tells which drafts or scheduled stories are about to lead the home page.
 */
export async function listSlot(ctx: Ctx, actor: Actor | undefined, slot: SlotName): Promise<SlotItem[]> {
  const items = await ctx.store.slots.items(slot);
  if (actor && can(actor, 'topic.manage')) return items;
  const published = new Set((await ctx.store.articles.publishedTitles(items.map((i) => i.articleId))).map((a) => a.id));
  return items.filter((i) => published.has(i.articleId));
}

export async function setSlot(ctx: Ctx, actor: Actor | null, slot: SlotName, items: { articleId: number; expiresAt?: number | null }[]) {
  if (actor) authorize(actor, 'topic.manage');
  if (items.length > SLOTS[slot].max) throw invalid(`${SLOTS[slot].name} holds at most ${SLOTS[slot].max} articles`, 'items', 'too_many');
  const ids = items.map((i) => i.articleId);
  if (new Set(ids).size !== ids.length) throw invalid('An article may appear once per slot', 'items', 'duplicate');
  return writeActing(ctx.store, actor, async (store, acting) => {
    if (acting) authorize(acting, 'topic.manage');
    // Two editors curating the slot at once replace it in turn (last write wins), rather than the second inserting
    // beside the rows the first wrote after its read (a unique-key 500 on PostgreSQL).
    await store.serialize(`slot:${slot}`);
    const found = await store.articles.findMany(ids);
    if (found.length !== ids.length) throw invalid('Some articles do not exist', 'items', 'unknown_article');
    const now = ctx.clock.now();
    await store.slots.replace(
      slot,
      items.map((i) => ({ articleId: i.articleId, expiresAt: i.expiresAt ?? null })),
      now,
    );
    announce(ctx, store, { kind: 'slot', id: slot });
    await store.history.record({ at: now, actorId: actor?.id ?? null, action: 'slot.set', subjectType: 'slot', subjectId: slot, detail: { articles: ids } });
    return store.slots.items(slot);
  });
}
