import type { Actor } from '../../domain/accounts/roles.ts';
import type { LiveChange, LiveChanges } from '../../domain/live/service.ts';
import type { LiveEntry, LiveStream } from '../../domain/live/live.ts';
import { can, type ArticleRef } from '../../domain/policy.ts';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** An entry as readers get it (the page's script, apps): no account ids, only the author's display name. */
export function liveEntryOut(e: LiveEntry) {
  if (e.deletedAt !== null) return { id: e.id, seq: e.seq, deleted: true as const };
  return {
    id: e.id,
    seq: e.seq,
    postedAt: iso(e.createdAt)!,
    editedAt: e.updatedAt > e.createdAt ? iso(e.updatedAt) : null,
    author: e.authorName,
    body: e.body,
    quote: e.quote,
    images: e.images.map((i) => ({ src: i.src, width: i.width, height: i.height, alt: i.alt, caption: i.caption })),
    pinned: e.pinned,
  };
}

export type LiveEntryOut = ReturnType<typeof liveEntryOut>;

export function liveStatusOut(s: LiveStream) {
  return { status: s.status, openedAt: iso(s.openedAt)!, closedAt: iso(s.closedAt) };
}

/** One change of the stream: what a server-sent event carries as its data. */
export function liveChangeOut(c: LiveChange) {
  return c.type === 'entry' ? { type: 'entry' as const, seq: c.seq, entry: liveEntryOut(c.entry) } : { type: 'status' as const, seq: c.seq, status: c.status };
}

/** `/a/:id/live.json`: the changes after the cursor, in order, and the cursor to ask after next. */
export function liveChangesOut(articleId: number, c: LiveChanges) {
  return { articleId, ...liveStatusOut(c.stream), cursor: c.cursor, more: c.more, changes: c.changes.map(liveChangeOut) };
}

/** The newsroom's view of one entry: the reader's, plus its version and what the caller may do with it. */
export function newsroomLiveEntry(e: LiveEntry, actor: Actor, article: ArticleRef) {
  const mine = e.authorId === actor.id && can(actor, 'live.post', article);
  const manage = mine || can(actor, 'live.moderate', article);
  return {
    ...(liveEntryOut(e) as Exclude<LiveEntryOut, { deleted: true }>),
    authorId: e.authorId,
    images: e.images,
    updatedAt: iso(e.updatedAt)!,
    abilities: { edit: manage, delete: manage },
  };
}

export function newsroomLive(stream: LiveStream | undefined, entries: LiveEntry[], actor: Actor, article: ArticleRef) {
  return {
    live: stream ? { ...liveStatusOut(stream), cursor: stream.seq } : null,
    entries: entries.map((e) => newsroomLiveEntry(e, actor, article)),
    abilities: { post: can(actor, 'live.post', article), manage: can(actor, 'live.manage', article) },
  };
}
