import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { announce, type Ctx } from '../context.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { authorize } from '../policy.ts';
import { lineField } from '../text.ts';
import { normalizeChannelPath, type Channel } from './channel.ts';

export interface ChannelEdit {
  name?: string;
  /** The new parent's path; null moves the channel to the top level; absent leaves it where it is. */
  parent?: string | null;
  /** Zero-based place among its siblings. */
  position?: number;
}

/**
 * Renames, moves or reorders a channel. A move rewrites the paths of the whole subtree; articles keep their
 * channel (they point at its id), so only the channel pages' addresses change.
 */
export async function updateChannel(ctx: Ctx, actor: Actor, id: number, edit: ChannelEdit): Promise<Channel> {
  authorize(actor, 'channel.manage');
  const name = edit.name === undefined ? undefined : lineField(edit.name, 'name', 40, true);
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'channel.manage');
    // One change to the tree at a time (as createChannel): two moves checked against the same tree could each pass
    // the cycle check and together make one (a under b and b under a), paths that disagree with the parents.
    await store.serialize('channels');
    const channel = await store.channels.findById(id);
    if (!channel) throw notFound('Channel');
    const all = await store.channels.all();
    let parentId = channel.parentId;
    let path = channel.path;
    if (edit.parent !== undefined) {
      const parentPath = edit.parent === null ? '' : normalizeChannelPath(edit.parent);
      const parent = parentPath === '' ? undefined : all.find((c) => c.path === parentPath);
      if (parentPath !== '' && !parent) throw invalid(`No channel at path "${parentPath}"`, 'parent', 'unknown_channel');
      if (parent && (parent.id === channel.id || parent.path.startsWith(`${channel.path}/`))) {
        throw invalid('A channel cannot move under itself', 'parent', 'cycle');
      }
      parentId = parent?.id ?? null;
      path = parent ? `${parent.path}/${channel.slug}` : channel.slug;
      if (path !== channel.path && all.some((c) => c.path === path)) throw conflict('channel_exists', `A channel already exists at ${path}`, 'parent');
    }
    const moved = parentId !== channel.parentId;
    if (path !== channel.path) {
      // New paths cannot collide: nothing exists under a path that did not exist.
      for (const c of all.filter((c) => c.path.startsWith(`${channel.path}/`))) {
        await store.channels.update(c.id, { path: path + c.path.slice(channel.path.length) });
      }
    }
    await store.channels.update(channel.id, { name, parentId, path });
    if (edit.position !== undefined || moved) {
      const siblings = all.filter((c) => c.parentId === parentId && c.id !== channel.id).sort((a, b) => a.position - b.position || a.id - b.id);
      const at = Math.min(edit.position ?? siblings.length, siblings.length);
      siblings.splice(at, 0, { ...channel, parentId });
      for (const [i, c] of siblings.entries()) if (c.position !== i || c.id === channel.id) await store.channels.update(c.id, { position: i });
    }
    const now = ctx.clock.now();
    const detail: Record<string, unknown> = { path };
    if (name !== undefined && name !== channel.name) detail.name = { from: channel.name, to: name };
    if (path !== channel.path) detail.movedFrom = channel.path;
    if (edit.position !== undefined) detail.position = edit.position;
    announce(ctx, store, { kind: 'channel', id: channel.id });
    await store.history.record({ at: now, actorId: actor.id, action: 'channel.update', subjectType: 'channel', subjectId: channel.id, detail });
    return (await store.channels.findById(channel.id))!;
  });
}
