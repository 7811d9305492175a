import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import { announce, type Ctx } from '../context.ts';
import { conflict, DomainError, invalid, notFound } from '../errors.ts';
import { authorize } from '../policy.ts';
import { imageUrlField, length, lineField } from '../text.ts';
import { normalizeChannelPath } from '../channels/channel.ts';
import { contentOf, type Article, type ArticleContent, type ArticlePatch } from './article.ts';
import { queueIndexing } from './indexing.ts';
import { INLINE_BODY_CHARS, prepareBody, type PreparedBody } from './body.ts';
import { cleanLine } from './html.ts';
import { LIMITS } from './limits.ts';
import { canTransition, DELETABLE_STATUSES, isDeletable, statusNames, type ArticleStatus, type Transition } from './status.ts';
import type { Store } from '../store.ts';
import { recordMediaUsage } from '../media/library.ts';
import { rehostRemoteImages } from '../media/rehost.ts';
import { checkArticleKey, type IdempotencyHold, keepArticleKey, keepMade } from '../idempotency.ts';

export interface ArticleInput {
  title: string;
  subtitle?: string;
  channel: string;
  body: string;
  summary?: string;
  source?: string;
  byline?: string;
  editor?: string;
  tags?: string[];
  cover?: string;
}

export type ArticleChanges = Partial<ArticleInput>;

export { LIMITS };

interface NormalizedContent extends ArticleContent {
  channelId: number;
  bodyText: string;
}

type NormalizedFields = Omit<NormalizedContent, 'bodyHtml' | 'bodyText'>;

/** An article's channel as read with it: an edit that keeps the channel needs no lookup of it. */
type KnownChannel = Pick<Article, 'channelId' | 'channelPath'>;

/** Everything but the body's HTML: cheap checks, made before the body is prepared (outside any transaction) and again inside. */
async function normalizeFields(store: Store, input: ArticleInput, known?: KnownChannel): Promise<NormalizedFields> {
  if (Buffer.byteLength(input.body, 'utf8') > LIMITS.bodyBytes) throw invalid('body must be at most 2 MB', 'body', 'too_long');
  const path = normalizeChannelPath(input.channel);
  const channel = known?.channelPath === path ? { id: known.channelId, path } : await store.channels.findByPath(path);
  if (!channel) throw invalid(`No channel at path "${input.channel}"`, 'channel', 'unknown_channel');
  return {
    title: lineField(input.title, 'title', LIMITS.title, true),
    subtitle: lineField(input.subtitle, 'subtitle', LIMITS.subtitle),
    summary: lineField(input.summary, 'summary', LIMITS.summary),
    channelPath: channel.path,
    channelId: channel.id,
    source: lineField(input.source, 'source', LIMITS.source),
    byline: lineField(input.byline, 'byline', LIMITS.byline),
    editor: lineField(input.editor, 'editor', LIMITS.editor),
    tags: normalizeTags(input.tags ?? []),
    cover: imageUrlField(input.cover, 'cover'),
  };
}

async function normalize(store: Store, input: ArticleInput, body: PreparedBody, known?: KnownChannel): Promise<NormalizedContent> {
  const f = await normalizeFields(store, input, known);
  return { ...f, bodyHtml: body.bodyHtml, bodyText: body.bodyText };
}

/**
 * Checks an input and prepares its body before any transaction: sanitizing and analysing a long body takes a worker
 * thread a while, and a transaction held meanwhile would hold the connection (SQLite has one) from every reader.
 */
async function prepareInput(store: Store, input: ArticleInput, known?: KnownChannel): Promise<PreparedBody> {
  await normalizeFields(store, input, known);
  return prepareBody(input.body);
}

function normalizeTags(tags: string[]): string[] {
  const out: string[] = [];
  for (const raw of tags) {
    const tag = cleanLine(raw).replace(/^#+/, '');
    if (tag === '') continue;
    if (length(tag) > LIMITS.tag) throw invalid(`A tag must be at most ${LIMITS.tag} characters`, 'tags', 'too_long');
    if (!out.includes(tag)) out.push(tag);
  }
  if (out.length > LIMITS.tags) throw invalid(`At most ${LIMITS.tags} tags`, 'tags', 'too_many');
  return out;
}

/**
 * Writing a long body: lets the event loop answer others (cached pages, I/O) between the transaction's statements
 * and after its commit. On SQLite each statement runs on this thread, and a 2 MB body's insert, revision and commit
 * would otherwise hold it in one stretch of ~100 ms. Other queries still wait for the transaction, as always.
 */
function pacer(body: PreparedBody): () => Promise<void> {
  if (body.bodyHtml.length <= INLINE_BODY_CHARS) return async () => {};
  // Twice: a single setImmediate from the poll phase runs before timers and new I/O get their turn.
  return () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** The article with the given body in place of the stored one, which is not read (see findWithBody). */
async function loadWithBody(store: Store, id: number, body: PreparedBody): Promise<Article> {
  const article = await store.articles.findWithBody(id, body);
  if (!article) throw notFound('Article');
  return article;
}

async function load(store: Store, id: number): Promise<Article> {
  const article = await store.articles.findById(id);
  if (!article) throw notFound('Article');
  return article;
}

/**
 * Edits by one person in one five-minute window are one revision: an autosave replaces the revision its own earlier
 * save made in that window, so the history reads as sessions, not keystrokes. Workflow steps, restores and other
 * people's edits always start a new one.
 */
export const REVISION_WINDOW_MS = 5 * 60 * 1000;

/**
 * More for a change's audit entry than the revision says: `{bulk: true}` when it was one article of a bulk action, so
 * each article's change is audited once and the bulk action stays visible in it.
 */
export type AuditDetail = Record<string, unknown>;

async function keepRevision(
  store: Store,
  article: Article,
  actor: Actor | null,
  action: string,
  at: number,
  note = '',
  auditDetail: AuditDetail = {},
): Promise<void> {
  if (action === 'edit' && actor) {
    // Its head only: an edit never changes the status, so the previous revision being an edit means the same status.
    const previous = await store.history.revisionHead(article.id, article.revision - 1);
    const sameWindow = previous && Math.floor(previous.createdAt / REVISION_WINDOW_MS) === Math.floor(at / REVISION_WINDOW_MS);
    if (previous && sameWindow && previous.action === 'edit' && previous.accountId === actor.id && previous.note === '') {
      await store.history.deleteRevision(article.id, previous.number);
    }
  }
  await store.history.addRevision({
    articleId: article.id,
    number: article.revision,
    accountId: actor?.id ?? null,
    action,
    createdAt: at,
    content: { ...contentOf(article), status: article.status, channelId: article.channelId },
    note,
  });
  await store.history.record({
    at,
    actorId: actor?.id ?? null,
    action: `article.${action}`,
    subjectType: 'article',
    subjectId: article.id,
    detail: { revision: article.revision, status: article.status, ...(note ? { note } : {}), ...auditDetail },
  });
}

/**
 * Remote images of a body or cover about to be saved, fetched and re-hosted through the media pipeline before the
 * transaction (see rehostRemoteImages); only the parts the write changes are looked at.
 */
async function rehosted<T extends { cover?: string }>(
  ctx: Ctx,
  actor: Actor,
  input: T,
  prepared: PreparedBody,
  parts: { body: boolean; cover: boolean },
): Promise<{ input: T; prepared: PreparedBody }> {
  if (!ctx.remoteImages) return { input, prepared };
  const cover = parts.cover ? (input.cover ?? '') : '';
  const r = await rehostRemoteImages(ctx, actor, parts.body ? prepared.bodyHtml : '', cover);
  return {
    input: parts.cover && r.cover !== cover ? { ...input, cover: r.cover } : input,
    prepared: parts.body && r.bodyHtml !== prepared.bodyHtml ? { ...prepared, bodyHtml: r.bodyHtml } : prepared,
  };
}

/**
 * With `hold` (the request's Idempotency-Key), the key's row records the article in the same transaction, and the key
 * is kept with the article for good: sent again any time later, it answers this article (checkArticleKey).
 */
export async function createArticle(ctx: Ctx, actor: Actor, sent: ArticleInput, hold?: IdempotencyHold): Promise<Article> {
  authorize(actor, 'article.create');
  // Before any work (re-hosting the body's images): a key that made an article already answers that one.
  await checkArticleKey(ctx.store, hold);
  const { input, prepared } = await rehosted(ctx, actor, sent, await prepareInput(ctx.store, sent), { body: true, cover: true });
  const breathe = pacer(prepared);
  const created = await writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'article.create');
    const c = await normalize(store, input, prepared);
    const now = ctx.clock.now();
    const id = await store.articles.insert({
      ...storedContent(c),
      status: 'draft',
      createdAt: now,
      updatedAt: now,
      authorId: actor.id,
      revision: 1,
    });
    await keepMade(store, hold, id);
    await keepArticleKey(store, hold, id, now);
    await breathe();
    await store.articles.setTags(id, c.tags, true);
    await recordMediaUsage(store, id, undefined, c);
    const article = await loadWithBody(store, id, c);
    await queueIndexing(store, undefined, article, now);
    await breathe();
    await keepRevision(store, article, actor, 'create', now);
    announceArticle(ctx, store, article, article);
    await breathe();
    return article;
  });
  await breathe();
  return created;
}

export async function getArticle(ctx: Ctx, actor: Actor, id: number): Promise<Article> {
  const article = await load(ctx.store, id);
  authorize(actor, 'article.read', article);
  return article;
}

/**
 * The article a creation's Idempotency-Key made, for the answer to that creation sent again: the article as it is now.
 * One deleted since is neither made again nor a bare 404: in the 回收站 409 `article_in_trash` (undelete it there),
 * purged 410 `article_purged`, so the editor can tell the writer what became of it.
 */
export async function articleMadeBefore(ctx: Ctx, actor: Actor, id: number): Promise<Article> {
  const article = await ctx.store.articles.findById(id);
  if (article) {
    authorize(actor, 'article.read', article);
    return article;
  }
  if (await ctx.store.articles.findInTrash(id)) {
    throw conflict('article_in_trash', `The article this Idempotency-Key made (${id}) was deleted and is in the trash; undelete it to go on`);
  }
  throw new DomainError('gone', 'article_purged', `The article this Idempotency-Key made (${id}) was deleted for good; send a new key to make it again`);
}

function merge(before: Article, changes: ArticleChanges): ArticleInput {
  return {
    title: changes.title ?? before.title,
    subtitle: changes.subtitle ?? before.subtitle,
    channel: changes.channel ?? before.channelPath,
    body: changes.body ?? before.bodyHtml,
    summary: changes.summary ?? before.summary,
    source: changes.source ?? before.source,
    byline: changes.byline ?? before.byline,
    editor: changes.editor ?? before.editor,
    tags: changes.tags ?? before.tags,
    cover: changes.cover ?? before.cover,
  };
}

/** `action` and `note` name edits that are not plain edits in the history (a restore of an old revision). */
/**
 * Edits an article. With `expectedRevision` (the newsroom sends the revision it edited, as If-Match) a write made
 * against a revision someone else has replaced is refused with 412 and the current revision; without it the last
 * write wins (API scripts), run again on top of whatever came first.
 */
export async function updateArticle(
  ctx: Ctx,
  actor: Actor,
  id: number,
  changes: ArticleChanges,
  action = 'edit',
  note = '',
  expectedRevision?: number,
  auditDetail: AuditDetail = {},
): Promise<Article> {
  return lastWriteWins(expectedRevision, () => updateOnce(ctx, actor, id, changes, action, note, expectedRevision, auditDetail));
}

async function updateOnce(
  ctx: Ctx,
  actor: Actor,
  id: number,
  sent: ArticleChanges,
  action: string,
  note: string,
  expectedRevision: number | undefined,
  auditDetail: AuditDetail,
): Promise<Article> {
  // The body is prepared from the article as read here, before the transaction (see prepareInput); its stored body
  // is read only if the edit keeps it...
  const current = sent.body === undefined ? await load(ctx.store, id) : await loadWithBody(ctx.store, id, { bodyHtml: sent.body, bodyText: '' });
  authorize(actor, 'article.edit', current);
  const { input: changes, prepared } = await rehosted(ctx, actor, sent, await prepareInput(ctx.store, merge(current, sent), current), {
    body: sent.body !== undefined,
    cover: sent.cover !== undefined,
  });
  const breathe = pacer(prepared);
  const updated = await writeActing(ctx.store, actor, async (store, acting) => {
    const before = await load(store, id);
    authorize(acting, 'article.edit', before);
    await requireRevision(store, before, expectedRevision);
    await breathe();
    const merged = merge(before, changes);
    // ...and again in it only if the stored body it was made from changed meanwhile.
    const body = merged.body === merge(current, changes).body ? prepared : await prepareBody(merged.body);
    const c = await normalize(store, merged, body, before);
    const changed = changedFields(contentOf(before), c);
    if (changed.length === 0) return before;
    // What may not be published may not become so by an edit either (assertPublishable): readers would see an empty page.
    if (changed.includes('bodyHtml') && (before.status === 'published' || before.status === 'scheduled') && body.bodyText.trim() === '') {
      throw invalid(`A ${before.status} article needs a body: unpublish it before emptying it`, 'body', 'required');
    }
    const now = ctx.clock.now();
    const won = await store.articles.update(
      id,
      {
        ...storedContent(c),
        updatedAt: now,
        revision: before.revision + 1,
      },
      before.revision,
    );
    if (!won) throw expectedRevision === undefined ? lostRace() : await staleRevision(store, id);
    await breathe();
    if (changed.includes('tags')) await store.articles.setTags(id, c.tags);
    if (changed.includes('bodyHtml') || changed.includes('cover')) await recordMediaUsage(store, id, before, c);
    const article = await loadWithBody(store, id, c);
    await queueIndexing(store, before, article, now);
    await breathe();
    await keepRevision(store, article, actor, action, now, note, auditDetail);
    announceArticle(ctx, store, before, article);
    await breathe();
    return article;
  });
  await breathe();
  return updated;
}

const lostRace = () => conflict('concurrent_change', 'The article changed meanwhile; reload and try again');

/** Without an expected revision the last write wins: a write that lost a race is run again on what the other left. */
async function lastWriteWins<T>(expectedRevision: number | undefined, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      // Each attempt lets one of the racing writers through, so a handful of them all land in turn.
      if (expectedRevision !== undefined || attempt >= 10 || !(err instanceof DomainError && err.code === 'concurrent_change')) throw err;
    }
  }
}

/** 412 with who made the current revision and when, so the newsroom can say so and offer to merge. */
async function requireRevision(store: Store, article: Article, expected: number | undefined): Promise<void> {
  if (expected === undefined || article.revision === expected) return;
  throw await staleRevision(store, article.id, article);
}

/** The article as another write left it (read again when a write lost the race for the revision it expected). */
async function staleRevision(store: Store, id: number, known?: Pick<Article, 'id' | 'revision' | 'updatedAt'>): Promise<DomainError> {
  const article = known ?? (await load(store, id));
  const current = await store.history.revision(article.id, article.revision);
  const by = current?.accountId == null ? null : await store.accounts.findById(current.accountId);
  return new DomainError('precondition', 'stale_revision', `稿件已被${by?.displayName ?? '他人'}修改为第 ${article.revision} 版`, undefined, undefined, {
    current: {
      revision: article.revision,
      updatedAt: new Date(article.updatedAt).toISOString(),
      updatedBy: by ? { username: by.username, displayName: by.displayName } : null,
    },
  });
}

/** The columns an edit writes, as normalized. */
function storedContent(c: NormalizedContent) {
  const { title, subtitle, summary, bodyHtml, bodyText, channelId, source, byline, editor, cover } = c;
  return { title, subtitle, summary, bodyHtml, bodyText, channelId, source, byline, editor, cover };
}

function announceArticle(ctx: Ctx, store: Store, before: Article, after: Article): void {
  const visible = before.status === 'published' || after.status === 'published';
  announce(ctx, store, { kind: 'article', articleId: after.id, channelId: after.channelId, public: visible });
}

function changedFields(a: ArticleContent, b: ArticleContent): (keyof ArticleContent)[] {
  const same = (x: unknown, y: unknown) => (typeof x === 'string' ? x === y : JSON.stringify(x) === JSON.stringify(y));
  return (Object.keys(a) as (keyof ArticleContent)[]).filter((k) => !same(a[k], b[k]));
}

async function transition(
  ctx: Ctx,
  actor: Actor | null,
  id: number,
  t: Transition,
  patchFor: (a: Article, now: number) => ArticlePatch & { status: ArticleStatus },
  note = '',
  expectedRevision?: number,
  auditDetail: AuditDetail = {},
): Promise<Article> {
  return lastWriteWins(expectedRevision, () => transitionOnce(ctx, actor, id, t, patchFor, note, expectedRevision, auditDetail));
}

async function transitionOnce(
  ctx: Ctx,
  actor: Actor | null,
  id: number,
  t: Transition,
  patchFor: (a: Article, now: number) => ArticlePatch & { status: ArticleStatus },
  note: string,
  expectedRevision: number | undefined,
  auditDetail: AuditDetail,
): Promise<Article> {
  return writeActing(ctx.store, actor, async (store, acting) => {
    const before = await load(store, id);
    const breathe = pacer(before);
    if (acting) authorize(acting, `article.${t}`, before);
    await requireRevision(store, before, expectedRevision);
    if (!canTransition(before.status, t)) {
      throw conflict('invalid_transition', `Cannot ${t} an article that is ${before.status} (${statusNames[before.status]})`);
    }
    if (t === 'publish' || t === 'schedule') assertPublishable(before);
    const now = ctx.clock.now();
    const ok = await store.articles.compareAndSetStatus(
      id,
      before.status,
      { ...patchFor(before, now), updatedAt: now, revision: before.revision + 1 },
      before.revision,
    );
    if (!ok) throw expectedRevision === undefined ? lostRace() : await staleRevision(store, id);
    // A workflow step leaves the body as it was: no need to read it again.
    const article = await loadWithBody(store, id, before);
    await breathe();
    await queueIndexing(store, before, article, now);
    await keepRevision(store, article, actor, t, now, note, auditDetail);
    announceArticle(ctx, store, before, article);
    return article;
  });
}

function assertPublishable(a: Article): void {
  if (a.bodyText.trim() === '') throw invalid('An article needs a body before it can be published', 'body', 'required');
}

export function submitArticle(ctx: Ctx, actor: Actor, id: number, expectedRevision?: number): Promise<Article> {
  return transition(ctx, actor, id, 'submit', () => ({ status: 'submitted' }), '', expectedRevision);
}

/** With `expectedRevision`, an editor publishes only the text she saw: a later edit by the reporter makes it 412. */
/** 责编: the editor who publishes or schedules an article is its responsible editor, unless the newsroom named one. */
function responsibleEditor(a: Article, actor: Actor): { editor?: string } {
  return a.editor === '' ? { editor: cleanLine(actor.displayName).slice(0, LIMITS.editor) } : {};
}

/**
 * The publication time a publish sets: by default the article keeps its first one (a republished correction stays
 * where readers saw it in feeds and archives); `now` moves it to the top as news again; a time in the past dates it
 * (never before the article existed). A future time is a schedule, not a publish.
 */
export type PublishTime = 'keep' | 'now' | number;

function publicationTime(a: Article, when: PublishTime, now: number): number {
  if (when === 'keep') return a.publishedAt ?? now;
  if (when === 'now') return now;
  if (when > now) throw invalid('A publication time must not be in the future: schedule the article instead', 'publishedAt', 'in_future');
  if (when < a.createdAt) throw invalid('A publication time must not be before the article was created', 'publishedAt', 'before_created');
  return when;
}

export function publishArticle(
  ctx: Ctx,
  actor: Actor,
  id: number,
  expectedRevision?: number,
  auditDetail?: AuditDetail,
  when: PublishTime = 'keep',
): Promise<Article> {
  if (typeof when === 'number' && !Number.isFinite(when)) throw invalid('publishedAt must be an ISO 8601 time', 'publishedAt', 'invalid_time');
  return transition(
    ctx,
    actor,
    id,
    'publish',
    (a, now) => ({ status: 'published', publishedAt: publicationTime(a, when, now), scheduledAt: null, ...responsibleEditor(a, actor) }),
    '',
    expectedRevision,
    auditDetail,
  );
}

/** An editor sends a submitted article back to its reporter as a draft; the comment stays in its history. */
export function returnArticle(ctx: Ctx, actor: Actor, id: number, comment: string, expectedRevision?: number): Promise<Article> {
  const note = comment.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ').trim();
  if (note === '') throw invalid('A return needs a comment for the reporter', 'comment', 'required');
  if (length(note) > 1000) throw invalid('A comment may have at most 1000 characters', 'comment', 'too_long');
  return transition(ctx, actor, id, 'return', () => ({ status: 'draft' }), note, expectedRevision);
}

export function unpublishArticle(ctx: Ctx, actor: Actor, id: number, expectedRevision?: number, auditDetail?: AuditDetail): Promise<Article> {
  return transition(ctx, actor, id, 'unpublish', () => ({ status: 'unpublished', scheduledAt: null }), '', expectedRevision, auditDetail);
}

export function scheduleArticle(ctx: Ctx, actor: Actor, id: number, at: number, expectedRevision?: number): Promise<Article> {
  if (!Number.isFinite(at)) throw invalid('at must be an ISO 8601 time', 'at', 'invalid_time');
  if (at <= ctx.clock.now()) throw invalid('A scheduled time must be in the future', 'at', 'in_past');
  if (at > ctx.clock.now() + 366 * 24 * 3600 * 1000) throw invalid('A scheduled time must be within a year', 'at', 'too_far');
  return transition(ctx, actor, id, 'schedule', (a) => ({ status: 'scheduled', scheduledAt: at, ...responsibleEditor(a, actor) }), '', expectedRevision);
}

/**
 * Publishes every scheduled article whose time has come; each exactly once, even with several processes. One that can
 * no longer be published (emptied by an edit after it was scheduled) stays scheduled and is handed to `refused`; the
 * others go out all the same.
 */
export async function publishDueArticles(ctx: Ctx, refused: (id: number, err: DomainError) => void = () => {}): Promise<number[]> {
  const due = await ctx.store.articles.dueScheduled(ctx.clock.now());
  const published: number[] = [];
  for (const id of due) {
    try {
      await transition(ctx, null, id, 'publish', (a, now) => {
        // Read again in the publishing transaction: an editor may have pulled it (撤稿) or moved its time since the
        // list was made, and publish is a step unpublished and scheduled articles may both take.
        if (a.status !== 'scheduled' || a.scheduledAt === null || a.scheduledAt > now) {
          throw conflict('invalid_transition', `Article ${id} is no longer due: ${statusNames[a.status]}`);
        }
        return { status: 'published', publishedAt: a.publishedAt ?? a.scheduledAt, scheduledAt: null };
      });
      published.push(id);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      // Another process published (or an editor unpublished) it first: nothing to do.
      if (err.kind !== 'conflict') refused(id, err);
    }
  }
  return published;
}

export async function articleRevisions(ctx: Ctx, actor: Actor, id: number) {
  const article = await load(ctx.store, id);
  authorize(actor, 'article.revisions', article);
  return ctx.store.history.revisions(id);
}

/**
 * Moves a draft or submitted article (never public: see isDeletable) into the 回收站, kept TRASH_DAYS days. Its author
 * or an editor; with `expectedRevision` only the text the caller saw (412 otherwise). One revision and one audit entry
 * (`article.delete`); it leaves search and related reading at once, and every read but the trash's at the commit.
 */
export async function deleteArticle(ctx: Ctx, actor: Actor, id: number, expectedRevision?: number, auditDetail: AuditDetail = {}): Promise<void> {
  await lastWriteWins(expectedRevision, () =>
    writeActing(ctx.store, actor, async (store, acting) => {
      const before = await load(store, id);
      authorize(acting, 'article.delete', before);
      await requireRevision(store, before, expectedRevision);
      if (!isDeletable(before.status)) {
        throw conflict(
          'not_deletable',
          `Only drafts and submitted articles go to the trash; a ${before.status} article was public or is about to be: unpublish it instead`,
        );
      }
      const now = ctx.clock.now();
      const won = await store.articles.moveToTrash(id, { at: now, by: actor.id, revision: before.revision }, DELETABLE_STATUSES);
      if (!won) throw expectedRevision === undefined ? lostRace() : await staleRevision(store, id);
      await queueIndexing(store, before, { id, status: 'deleted' }, now);
      const deleted: Article = { ...before, revision: before.revision + 1, updatedAt: now };
      await keepRevision(store, deleted, actor, 'delete', now, '', auditDetail);
      announceArticle(ctx, store, before, deleted);
    }),
  );
}

/** Takes an article out of the 回收站 as a draft (its author or an editor), with a new revision and `article.undelete`. */
export async function undeleteArticle(ctx: Ctx, actor: Actor, id: number, expectedRevision?: number): Promise<Article> {
  return lastWriteWins(expectedRevision, () =>
    writeActing(ctx.store, actor, async (store, acting) => {
      const trashed = await store.articles.findInTrash(id);
      if (!trashed) throw notFound('Deleted article');
      authorize(acting, 'article.undelete', trashed);
      if (expectedRevision !== undefined && expectedRevision !== trashed.revision) throw await staleRevision(store, id, trashed);
      const now = ctx.clock.now();
      const won = await store.articles.restoreFromTrash(id, { at: now, revision: trashed.revision });
      if (!won) throw lostRace();
      const article = await load(store, id);
      await queueIndexing(store, undefined, article, now);
      await keepRevision(store, article, actor, 'undelete', now);
      announceArticle(ctx, store, article, article);
      return article;
    }),
  );
}
