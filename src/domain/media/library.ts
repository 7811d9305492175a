import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import type { Ctx } from '../context.ts';
import { conflict, DomainError, notFound } from '../errors.ts';
import { authorize, authorizeMedia, can } from '../policy.ts';
import type { ArticleStatus } from '../articles/status.ts';
import type { Store } from '../store.ts';
import { lineField } from '../text.ts';
import { mediaKeyOf, mediaKeysOf, type Media, type MediaDescription, type MediaListing, type MediaQuery, type MediaTopicUse, type MediaUse } from './media.ts';

/** Longest caption, alt text and credit, in characters. */
export const DESCRIPTION_LIMITS = { caption: 500, alt: 300, credit: 100 } as const;

/** The library: every upload, newest first, filtered by words, uploader and dates. */
export async function listMedia(ctx: Ctx, actor: Actor, query: MediaQuery): Promise<MediaListing[]> {
  authorize(actor, 'media.browse');
  const q = query.q?.trim().slice(0, 100);
  return ctx.store.media.list({ ...query, q: q || undefined });
}

/** One image and the articles using it (in the body or cover, or in their live's entries). */
export async function getMedia(ctx: Ctx, actor: Actor, id: number): Promise<{ media: MediaListing; usedBy: MediaUse[] }> {
  authorize(actor, 'media.browse');
  const [media] = await ctx.store.media.list({ id, limit: 1 });
  if (!media) throw notFound('Image');
  return { media, usedBy: readableUses(actor, await ctx.store.media.usedBy(id)) };
}

/** The uses whose article the actor may read: a reporter never learns the title of a colleague's draft from an image. */
function readableUses(actor: Actor, uses: MediaUse[]): MediaUse[] {
  return uses.filter((u) => can(actor, 'article.read', { authorId: u.authorId, status: u.status as ArticleStatus }));
}

/** Changes an image's caption, alt text or credit (its uploader or an editor); what articles already show stays. */
export async function describeMedia(ctx: Ctx, actor: Actor, id: number, changes: MediaDescription): Promise<Media> {
  const clean: MediaDescription = {};
  for (const field of ['caption', 'alt', 'credit'] as const) {
    if (changes[field] !== undefined) clean[field] = lineField(changes[field], field, DESCRIPTION_LIMITS[field]);
  }
  return writeActing(ctx.store, actor, async (store, acting) => {
    const media = await store.media.findById(id);
    if (!media) throw notFound('Image');
    authorizeMedia(acting, media, 'edit');
    const changed = (Object.keys(clean) as (keyof MediaDescription)[]).filter((k) => clean[k] !== media[k]);
    if (changed.length === 0) return media;
    await store.media.describe(id, clean);
    await store.history.record({
      at: ctx.clock.now(),
      actorId: actor.id,
      action: 'media.edit',
      subjectType: 'media',
      subjectId: id,
      detail: Object.fromEntries(changed.map((k) => [k, clean[k]])),
    });
    return { ...media, ...clean };
  });
}

const inUse = (actor: Actor, uses: MediaUse[], topics: MediaTopicUse[]) =>
  new DomainError(
    'conflict',
    'media_in_use',
    `The image is used by ${uses.length} article(s) (in the body or cover, or in entries of their live)${topics.length ? ` and as the cover of ${topics.length} topic(s)` : ''}; take it out of them first`,
    undefined,
    undefined,
    {
      articles: readableUses(actor, uses).map((u) => ({ id: u.id, title: u.title, status: u.status, inArticle: u.inArticle, liveEntries: u.liveEntries })),
      // Topic pages are public: every role may learn which show the image.
      topics,
    },
  );

/** Thrown inside the delete's transaction when the database refused it: an article took the image meanwhile. */
class TakenMeanwhile extends Error {}

/**
 * Deletes an image no article uses (its uploader or an editor): the row in one transaction, then its files once no
 * other row shares them (identical uploads share files). Refused with 409 `media_in_use` and the articles when any
 * article's current body or cover, or an entry of its live (not deleted), uses it (`live_entry_media` has the same
 * foreign key without cascade as `media_usage`). A save that starts using it at the same moment either commits first (and
 * the delete is refused: the usage table's foreign key has no cascade) or finds it gone (and is refused, see
 * recordMediaUsage); no article is left pointing at deleted files.
 */
export async function deleteMedia(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  let deleted: Media;
  try {
    deleted = await writeActing(ctx.store, actor, async (store, acting) => {
      const media = await store.media.findById(id);
      if (!media) throw notFound('Image');
      authorizeMedia(acting, media, 'delete');
      const uses = await store.media.usedBy(id);
      if (uses.length > 0) throw inUse(actor, uses, await store.media.topicCovers(media.key));
      if (!(await store.media.delete(id))) throw new TakenMeanwhile();
      // Read after the delete: it waited for any topic save holding the key (holdTopicCover), whose cover this now sees.
      const covers = await store.media.topicCovers(media.key);
      if (covers.length > 0) throw inUse(actor, [], covers);
      await store.history.record({
        at: ctx.clock.now(),
        actorId: actor.id,
        action: 'media.delete',
        subjectType: 'media',
        subjectId: id,
        detail: { name: media.originalName, key: media.key },
      });
      return media;
    });
  } catch (err) {
    // On PostgreSQL the refused statement ended the transaction: read who uses it now, outside it.
    if (err instanceof TakenMeanwhile) {
      const media = await ctx.store.media.findById(id);
      throw inUse(actor, await ctx.store.media.usedBy(id), media ? await ctx.store.media.topicCovers(media.key) : []);
    }
    throw err;
  }
  if ((await ctx.store.media.countByKey(deleted.key)) === 0) {
    // The row is gone and no article can take the image any more: a file the store failed to remove (a bucket that did
    // not answer) is an orphan nobody links to, not a reason to answer 500 for a delete that happened.
    await Promise.allSettled(deleted.variants.map((v) => ctx.media.remove(v.path)));
  }
}

const gone = () => conflict('media_gone', 'An image in the body or the cover was deleted from the library; choose another one');

/**
 * A topic's new cover, inside the topic's write: when it is one of our uploads, that upload must still exist, and
 * its rows are held until the write commits, so a delete racing the save either finishes first (409 `media_gone`
 * here) or waits and then sees the cover (409 `media_in_use` there). Other addresses pass as they are.
 */
export async function holdTopicCover(store: Store, cover: string): Promise<void> {
  const key = mediaKeyOf(cover);
  if (key !== undefined && !(await store.media.holdKey(key)))
    throw conflict('media_gone', 'The cover image was deleted from the library; choose another one', 'cover');
}

/**
 * Keeps `media_usage` equal to the uploads the article's current body and cover show, inside the article's write.
 * An upload the change starts to use must still exist: one deleted meanwhile is refused (409 `media_gone`) rather
 * than saved as a broken image. Images the article already showed before are not checked again (old imports).
 */
export async function recordMediaUsage(
  store: Store,
  articleId: number,
  before: { bodyHtml: string; cover: string } | undefined,
  after: { bodyHtml: string; cover: string },
): Promise<void> {
  if (before && before.bodyHtml === after.bodyHtml && before.cover === after.cover) return;
  const keys = mediaKeysOf(after.bodyHtml, after.cover);
  const known = new Set(before ? mediaKeysOf(before.bodyHtml, before.cover) : []);
  // An edit that uses the same uploads as before (most edits: the text changed) leaves the usage as it was recorded.
  if (before && keys.length === known.size && keys.every((k) => known.has(k))) return;
  const rows = await store.media.idsByKeys(keys);
  const found = new Set(rows.map((r) => r.key));
  if (keys.some((k) => !found.has(k) && !known.has(k))) throw gone();
  // A new article (no before) uses nothing yet: with no uploads in it there is nothing to read or write.
  if (!before && rows.length === 0) return;
  if (
    !(await store.media.setUsage(
      articleId,
      rows.map((r) => r.id),
    ))
  )
    throw gone();
}
