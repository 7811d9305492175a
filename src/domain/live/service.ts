import { createHash } from 'node:crypto';
import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import type { Article } from '../articles/article.ts';
import { cleanLine } from '../articles/html.ts';
import { announce, type Ctx } from '../context.ts';
import { conflict, DomainError, invalid, notFound } from '../errors.ts';
import { mainVariant, mediaUrl } from '../media/media.ts';
import { authorize, can } from '../policy.ts';
import type { Store } from '../store.ts';
import { length } from '../text.ts';
import type { LiveEntry, LiveEntryWrite, LiveImage, LiveStatus, LiveStream } from './live.ts';

/** Bounds of one entry: a live is many short posts, not an article. */
export const LIVE_LIMITS = { body: 2000, quote: 500, quoteSource: 100, images: 9, entries: 5000 } as const;
/** How many changes one answer of `/live.json` or one catch-up of the stream carries at most; the cursor pages on. */
export const LIVE_PAGE = 200;

export interface LiveEntryInput {
  body?: string;
  quote?: { text: string; source?: string } | null;
  /** Ids of images in the picture library, in the order shown. */
  images?: number[];
  pinned?: boolean;
}

/** One change readers hear of, in sequence order: an entry as it now is (a tombstone when deleted), or the live's status. */
export type LiveChange = { type: 'entry'; seq: number; entry: LiveEntry } | { type: 'status'; seq: number; status: LiveStatus };

export interface LiveChanges {
  stream: LiveStream;
  changes: LiveChange[];
  /** The number to resume after: everything up to it was answered. */
  cursor: number;
  /** More changes follow the cursor (the page was full). */
  more: boolean;
}

const excerpt = (text: string) => (length(text) > 60 ? `${[...text].slice(0, 60).join('')}…` : text);

/** Plain text of an entry: line breaks kept (paragraphs), other control characters and trailing spaces dropped. */
function cleanBody(value: string): string {
  return value
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

async function findArticle(store: Store, articleId: number): Promise<Article> {
  // Author and status are all the rules need: the body (up to 2 MB) is not read for every entry.
  const article = await store.articles.findWithBody(articleId, { bodyHtml: '', bodyText: '' });
  if (!article) throw notFound('Article');
  return article;
}

async function images(store: Store, ids: readonly number[]): Promise<LiveImage[]> {
  if (ids.length > LIVE_LIMITS.images) throw invalid(`An entry shows at most ${LIVE_LIMITS.images} images`, 'images', 'too_many');
  if (new Set(ids).size !== ids.length) throw invalid('An image is listed twice', 'images', 'duplicate');
  const out: LiveImage[] = [];
  for (const id of ids) {
    const media = await store.media.findById(id);
    if (!media) throw invalid(`There is no image ${id} in the library`, 'images', 'unknown_media');
    const main = mainVariant(media);
    out.push({ mediaId: id, src: mediaUrl(main.path), width: main.width, height: main.height, alt: media.alt, caption: media.caption });
  }
  return out;
}

/** Checks and cleans an entry's fields; `base` is the entry being edited (fields not sent keep their value). */
async function entryWrite(store: Store, input: LiveEntryInput, base?: LiveEntry): Promise<LiveEntryWrite> {
  const body = input.body === undefined ? (base?.body ?? '') : cleanBody(input.body);
  if (length(body) > LIVE_LIMITS.body) throw invalid(`An entry is at most ${LIVE_LIMITS.body} characters`, 'body', 'too_long');
  let quote = base?.quote ?? null;
  if (input.quote !== undefined) {
    const text = input.quote === null ? '' : cleanLine(input.quote.text);
    const source = input.quote === null ? '' : cleanLine(input.quote.source ?? '');
    if (length(text) > LIVE_LIMITS.quote) throw invalid(`A quote is at most ${LIVE_LIMITS.quote} characters`, 'quote.text', 'too_long');
    if (length(source) > LIVE_LIMITS.quoteSource)
      throw invalid(`A quote's source is at most ${LIVE_LIMITS.quoteSource} characters`, 'quote.source', 'too_long');
    if (source && !text) throw invalid('A quote needs its text', 'quote.text', 'required');
    quote = text ? { text, source } : null;
  }
  const shown = input.images === undefined ? (base?.images ?? []) : await images(store, input.images);
  if (!body && !quote && shown.length === 0) throw invalid('An entry needs text, a quote or an image', 'body', 'required');
  return { body, quote, images: shown, pinned: input.pinned ?? base?.pinned ?? false };
}

/** Pinning an entry takes the previous pin off the top: one pinned entry per live. */
async function unpinOthers(store: Store, articleId: number, keepId: number | undefined, at: number): Promise<void> {
  for (const id of await store.live.pinnedIds(articleId)) {
    if (id === keepId) continue;
    const seq = await store.live.nextSeq(articleId);
    await store.live.unpin(id, seq!, at);
  }
}

function announceLive(ctx: Ctx, store: Store, article: Article, seq: number): void {
  announce(ctx, store, { kind: 'live', articleId: article.id, seq, public: article.status === 'published' });
}

/** The live of an article as the newsroom sees it: its status and every entry (pinned first, then newest first). */
export async function liveForNewsroom(
  ctx: Ctx,
  actor: Actor,
  articleId: number,
): Promise<{ article: Article; stream: LiveStream | undefined; entries: LiveEntry[] }> {
  const article = await findArticle(ctx.store, articleId);
  authorize(actor, 'article.read', article);
  const stream = await ctx.store.live.find(articleId);
  return { article, stream, entries: stream ? await ctx.store.live.visibleEntries(articleId, LIVE_LIMITS.entries) : [] };
}

/** Makes an article a live (直播中), closes it (已结束) or reopens it. Asking for the status it has changes nothing. */
export async function setLiveStatus(ctx: Ctx, actor: Actor, articleId: number, status: LiveStatus): Promise<LiveStream> {
  return writeActing(ctx.store, actor, async (store, acting) => {
    const article = await findArticle(store, articleId);
    authorize(acting, 'live.manage', article);
    // Two editors opening or closing at once take turns: the second sees the first's status and changes nothing.
    await store.serialize('live', articleId);
    const current = await store.live.find(articleId);
    if (current?.status === status) return current;
    if (!current && status === 'ended') throw conflict('not_live', 'The article is not a live');
    const at = ctx.clock.now();
    const stream = await store.live.setStatus(articleId, status, actor.id, at);
    await store.history.record({
      at,
      actorId: actor.id,
      action: status === 'live' ? 'live.open' : 'live.close',
      subjectType: 'article',
      subjectId: articleId,
      detail: { seq: stream.seq },
    });
    announceLive(ctx, store, article, stream.seq);
    return stream;
  });
}

/** A posted entry, and whether it is one an earlier request with the same Idempotency-Key made (nothing new happened). */
export interface PostedEntry {
  entry: LiveEntry;
  replayed: boolean;
}

/** The longest Idempotency-Key taken (a UUID is 36 characters). */
export const IDEMPOTENCY_KEY_MAX = 200;

/** The request a key stands for: the article and the entry as sent, with the defaults the service would apply. */
function fingerprintOf(articleId: number, input: LiveEntryInput): string {
  const canonical = JSON.stringify([articleId, input.body ?? '', input.quote ?? null, input.images ?? [], input.pinned ?? false]);
  return createHash('sha256').update(canonical).digest('base64url');
}

const keyReused = () =>
  new DomainError(
    'unprocessable',
    'idempotency_key_reused',
    'This Idempotency-Key was used for another request; send a new key for a new entry',
    'Idempotency-Key',
  );

/** Thrown inside the post's transaction to roll it back when the key turned out to be used already. */
class KeyUsed extends Error {}

/**
 * Posts an entry to a live that is on (直播中); a pinned one takes the previous pin's place. With an Idempotency-Key
 * (a client's retry after the network dropped the answer), the account's key is recorded in the entry's transaction:
 * the same key again answers the entry it made (no second entry, no second event), the same key with another request
 * is refused (422 `idempotency_key_reused`). Two requests with one key at once: the key is checked after the live's
 * row is held (so posts to one live see each other's keys), and its unique index settles posts to different lives.
 */
export async function postLiveEntry(ctx: Ctx, actor: Actor, articleId: number, input: LiveEntryInput, key?: string): Promise<PostedEntry> {
  const article = await findArticle(ctx.store, articleId);
  authorize(actor, 'live.post', article);
  const fingerprint = key === undefined ? '' : fingerprintOf(articleId, input);
  const earlier = async (store: Store): Promise<PostedEntry | undefined> => {
    if (key === undefined) return undefined;
    const made = await store.live.findKey(actor.id, key);
    if (!made) return undefined;
    if (made.fingerprint !== fingerprint || made.articleId !== articleId) throw keyReused();
    const entry = await store.live.findEntry(made.articleId, made.entryId);
    return entry ? { entry, replayed: true } : undefined;
  };
  const replay = await earlier(ctx.store);
  if (replay) return replay;
  const write = await entryWrite(ctx.store, input);
  try {
    return await writeActing(ctx.store, actor, async (store, acting) => {
      authorize(acting, 'live.post', article);
      // Numbering first: it holds the live's row, so a close racing this post is ordered before or after it.
      const seq = await store.live.nextSeq(articleId);
      const again = await earlier(store);
      if (again) throw new KeyUsed();
      const stream = await store.live.find(articleId);
      if (seq === undefined || !stream) throw conflict('not_live', 'The article is not a live');
      if (stream.status !== 'live') throw conflict('live_ended', 'The live has ended: reopen it to post');
      if ((await store.live.countEntries(articleId)) >= LIVE_LIMITS.entries)
        throw invalid(`A live holds at most ${LIVE_LIMITS.entries} entries`, 'body', 'too_many');
      const at = ctx.clock.now();
      const id = await store.live.insertEntry(articleId, seq, actor.id, write, at);
      if (
        !(await store.live.setEntryMedia(
          id,
          articleId,
          write.images.map((i) => i.mediaId),
        ))
      )
        throw imageGone();
      if (key !== undefined && !(await store.live.saveKey(actor.id, key, { articleId, fingerprint, entryId: id }, at))) throw new KeyUsed();
      if (write.pinned) await unpinOthers(store, articleId, id, at);
      await store.history.record({
        at,
        actorId: actor.id,
        action: 'live.entry.create',
        subjectType: 'article',
        subjectId: articleId,
        detail: { entry: id, text: excerpt(write.body || write.quote?.text || ''), images: write.images.length, pinned: write.pinned },
      });
      const entry = (await store.live.findEntry(articleId, id))!;
      announceLive(ctx, store, article, (await store.live.find(articleId))!.seq);
      return { entry, replayed: false };
    });
  } catch (err) {
    if (!(err instanceof KeyUsed)) throw err;
    // Rolled back: another request with this key committed first. Answer its entry (or refuse another request).
    const settled = await earlier(ctx.store);
    if (settled) return settled;
    throw conflict('concurrent_change', 'Another request with this Idempotency-Key changed the live meanwhile; try again');
  }
}

const imageGone = () => conflict('media_gone', 'An image of the entry was deleted from the library meanwhile; choose another one', 'images');

/** The entry's version for If-Match: the number of its last change. */
export const entryEtag = (entry: Pick<LiveEntry, 'seq'>) => `"${entry.seq}"`;

function checkVersion(entry: LiveEntry, ifMatch: number | undefined): void {
  if (ifMatch === undefined || ifMatch === entry.seq) return;
  throw new DomainError('precondition', 'stale_revision', 'Someone changed the entry meanwhile', undefined, undefined, {
    current: { revision: entry.seq, updatedAt: new Date(entry.updatedAt).toISOString() },
  });
}

async function ownEntry(store: Store, actor: Actor, article: Article, entryId: number): Promise<LiveEntry> {
  const entry = await store.live.findEntry(article.id, entryId);
  if (!entry || entry.deletedAt !== null) throw notFound('Entry');
  // Everyone their own entries (while they may post), editors anyone's.
  const mine = entry.authorId === actor.id && can(actor, 'live.post', article);
  if (!mine) authorize(actor, 'live.moderate', article);
  return entry;
}

/** Edits an entry (also after the live ended: a correction); `ifMatch` is the entry's version the editor saw. */
export async function editLiveEntry(ctx: Ctx, actor: Actor, articleId: number, entryId: number, input: LiveEntryInput, ifMatch?: number): Promise<LiveEntry> {
  return writeActing(ctx.store, actor, async (store, acting) => {
    const article = await findArticle(store, articleId);
    const seq = await store.live.nextSeq(articleId);
    if (seq === undefined) throw notFound('Entry');
    // Read after numbering: the live's row lock makes this the entry as the last change left it.
    const entry = await ownEntry(store, acting, article, entryId);
    checkVersion(entry, ifMatch);
    const write = await entryWrite(store, input, entry);
    const at = ctx.clock.now();
    await store.live.updateEntry(entryId, seq, write, actor.id, at);
    if (
      input.images !== undefined &&
      !(await store.live.setEntryMedia(
        entryId,
        articleId,
        write.images.map((i) => i.mediaId),
      ))
    )
      throw imageGone();
    if (write.pinned && !entry.pinned) await unpinOthers(store, articleId, entryId, at);
    const changed = (['body', 'quote', 'images', 'pinned'] as const).filter((k) => JSON.stringify(write[k]) !== JSON.stringify(entry[k]));
    await store.history.record({
      at,
      actorId: actor.id,
      action: 'live.entry.update',
      subjectType: 'article',
      subjectId: articleId,
      detail: { entry: entryId, changed, before: excerpt(entry.body || entry.quote?.text || ''), text: excerpt(write.body || write.quote?.text || '') },
    });
    announceLive(ctx, store, article, (await store.live.find(articleId))!.seq);
    return (await store.live.findEntry(articleId, entryId))!;
  });
}

/** Deletes an entry: readers' pages and open streams drop it; the audit log keeps what it said. */
export async function deleteLiveEntry(ctx: Ctx, actor: Actor, articleId: number, entryId: number, ifMatch?: number): Promise<void> {
  await writeActing(ctx.store, actor, async (store, acting) => {
    const article = await findArticle(store, articleId);
    const seq = await store.live.nextSeq(articleId);
    if (seq === undefined) throw notFound('Entry');
    const entry = await ownEntry(store, acting, article, entryId);
    checkVersion(entry, ifMatch);
    const at = ctx.clock.now();
    await store.live.deleteEntry(entryId, seq, actor.id, at);
    await store.history.record({
      at,
      actorId: actor.id,
      action: 'live.entry.delete',
      subjectType: 'article',
      subjectId: articleId,
      detail: {
        entry: entryId,
        text: excerpt(entry.body || entry.quote?.text || ''),
        author: entry.authorName,
        postedAt: new Date(entry.createdAt).toISOString(),
      },
    });
    announceLive(ctx, store, article, seq);
  });
}

/**
 * What changed in a live after `after` (0: everything there is), in sequence order, for readers of a published
 * article: entries as they now are (tombstones for deleted ones, which a reader starting from 0 never needs) and
 * the status when it changed. The stream is read before the entries: every number up to its `seq` belongs to a
 * committed change, so the cursor never passes a change not yet visible (no gaps), and each entry appears once.
 */
export async function liveChanges(store: Store, article: Article, after: number, limit = LIVE_PAGE): Promise<LiveChanges | undefined> {
  if (article.status !== 'published') return undefined;
  const stream = await store.live.find(article.id);
  if (!stream) return undefined;
  const entries = await store.live.changesAfter(article.id, after, limit);
  const more = entries.length === limit;
  const last = entries.at(-1)?.seq ?? after;
  const cursor = more ? last : Math.max(stream.seq, last, after);
  const changes: LiveChange[] = entries.filter((e) => !(after === 0 && e.deletedAt !== null)).map((entry) => ({ type: 'entry', seq: entry.seq, entry }));
  if (stream.statusSeq > after && stream.statusSeq <= cursor) changes.push({ type: 'status', seq: stream.statusSeq, status: stream.status });
  changes.sort((a, b) => a.seq - b.seq);
  return { stream, changes, cursor, more };
}

/** A live as its page shows it: the status and the visible entries, pinned first, then newest first. */
export async function liveForReaders(store: Store, article: Pick<Article, 'id'>): Promise<{ stream: LiveStream; entries: LiveEntry[] } | undefined> {
  const stream = await store.live.find(article.id);
  if (!stream) return undefined;
  return { stream, entries: await store.live.visibleEntries(article.id, LIVE_LIMITS.entries) };
}
