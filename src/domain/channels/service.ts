import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { announce, type Ctx } from '../context.ts';
import { conflict, invalid } from '../errors.ts';
import { authorize } from '../policy.ts';
import { lineField } from '../text.ts';
import { normalizeChannelPath, SLUG_PATTERN, type Channel } from './channel.ts';
import { type IdempotencyHold, keepMade } from '../idempotency.ts';

export interface NewChannel {
  slug: string;
  name: string;
  parent?: string;
  description?: string;
}

/** Creates a channel under `parent` (a path) or at the top; actor null is the operator (CLI, demo loader). */
/** With `hold` (the request's Idempotency-Key), the key's row records the channel in the same transaction. */
export async function createChannel(ctx: Ctx, actor: Actor | null, input: NewChannel, hold?: IdempotencyHold): Promise<Channel> {
  if (actor) authorize(actor, 'channel.manage');
  const slug = input.slug.trim().toLowerCase();
  if (!SLUG_PATTERN.test(slug)) throw invalid('A slug is 1–40 lowercase letters, digits or dashes', 'slug', 'invalid_slug');
  const name = lineField(input.name, 'name', 40, true);
  const description = lineField(input.description, 'description', 300);
  return writeActing(ctx.store, actor, async (store, acting) => {
    if (acting) authorize(acting, 'channel.manage');
    // One change to the tree at a time: two admins creating the same path, or one moving a channel while the other
    // creates under it, would each check a tree the other is changing.
    await store.serialize('channels');
    let parentId: number | null = null;
    let path = slug;
    const parentPath = input.parent === undefined ? undefined : normalizeChannelPath(input.parent);
    if (parentPath) {
      const parent = await store.channels.findByPath(parentPath);
      if (!parent) throw invalid(`No channel at path "${parentPath}"`, 'parent', 'unknown_channel');
      parentId = parent.id;
      path = `${parent.path}/${slug}`;
    }
    if (await store.channels.findByPath(path)) throw conflict('channel_exists', `A channel already exists at ${path}`, 'slug');
    const position = await store.channels.nextPosition(parentId);
    const now = ctx.clock.now();
    const id = await store.channels.insert({ slug, name, parentId, path, position, description, createdAt: now });
    await keepMade(store, hold, id);
    announce(ctx, store, { kind: 'channel', id });
    await store.history.record({ at: now, actorId: actor?.id ?? null, action: 'channel.create', subjectType: 'channel', subjectId: id, detail: { path } });
    return (await store.channels.findById(id))!;
  });
}
