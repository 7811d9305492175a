import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Actor } from '../accounts/roles.ts';
import { createAccount, USERNAME_PATTERN } from '../accounts/service.ts';
import { contentOf, type Article } from '../articles/article.ts';
import { cleanLine } from '../articles/html.ts';
import { LIMITS } from '../articles/limits.ts';
import { publishArticle, scheduleArticle, unpublishArticle, updateArticle } from '../articles/service.ts';
import { statusNames, type ArticleStatus } from '../articles/status.ts';
import { SLUG_PATTERN } from '../channels/channel.ts';
import { announce, type Ctx } from '../context.ts';
import { DomainError } from '../errors.ts';
import type { MediaFolder } from '../media/files.ts';
import { recordMediaUsage } from '../media/library.ts';
import { LocalBatchScoring, RelatedOfNew } from '../articles/related-bulk.ts';
import type { BatchScoring, RelatedDocument } from '../articles/related-reading.ts';
import { analyseArticle } from '../articles/related.ts';
import { mainVariant, mediaUrl } from '../media/media.ts';
import { importUpload } from '../media/service.ts';
import { authorize } from '../policy.ts';
import type { JobTransactions, Store } from '../store.ts';
import { searchDocument, unpackSearchFields, type PreparedSearchFields } from '../search/document.ts';
import { length } from '../text.ts';
import { oldAddressesOf } from '../../transfer/old-urls.ts';
import type { SourceCategory, SourceItem, SourceRecord, SourceSite } from '../../transfer/source.ts';
import { isOldSiteImage, originalAddress, uploadCandidates, type UploadsFolder } from '../../transfer/uploads.ts';
import { convertWordPressBody, derivedTitle, plainTitle } from '../../transfer/wp-body.ts';
import type { ImportedArticle, ImportSource } from './imported.ts';
import type { ImportProgress, ImportReport } from './report.ts';
import { preparePool } from './prepare-pool.ts';
import { preparePosts, type PrepareJob, type PrepareOutcome } from './prepare-work.ts';

/**
 * Importing an archive file (WordPress WXR, RSS, Atom) into the newsroom: `inkstone import`. Two passes over the
 * file: the first reads all of it (a malformed file is refused there, with its line and column, before anything is
 * written) and gathers the site, its authors, categories and attachments; the second maps each post onto an article
 * and writes them in batches, each batch one transaction with its revisions, audit entries, search index entries,
 * tags, old addresses, source keys and related reading. Related reading is the bulk path's (related-bulk.ts): a
 * batch's analyses come from the worker threads with its search fields, and the batch is scored in memory against the
 * archive's postings (read once per term for the run) and against itself before its transaction, never one article at
 * a time; a batch whose scoring fails is left to the server's backlog (jobs/backlog.ts), as never-analysed articles.
 */

export interface ImportOptions {
  dryRun?: boolean;
  /** Overwrite articles edited in the newsroom since their import. */
  update?: boolean;
  /** Make newsroom accounts (reporters) of the file's authors and make them the articles' authors. */
  createAuthors?: boolean;
  /** A copy of the old site's wp-content/uploads, where its images are looked for. */
  uploads?: UploadsFolder;
  /** The media folder, for the upload pipeline's temporary files (with `uploads`). */
  mediaFolder?: MediaFolder;
  mediaMaxBytes?: number;
  /** Channel path for posts without a category (feeds); made when missing. */
  fallbackChannel?: { slug: string; name: string };
  /** Articles per transaction. */
  batch?: number;
  /**
   * false: the articles' related reading is left to the server's backlog (jobs/backlog.ts), which analyses
   * never-analysed articles after the import; the import itself is then several times faster (at 100,000 posts on
   * SQLite 1,047 against 204 posts/s), the backlog slower than the import's own related reading. Default: the import.
   */
  related?: boolean;
  /** false: sanitize and segment on this thread (default: worker threads for files of 200 posts or more). */
  workers?: boolean;
  progress?: (p: ImportProgress) => void;
  /**
   * Stops the import (the server closing): the batch being written is finished, those read ahead of it are not, and
   * the import ends with an error.
   */
  signal?: AbortSignal;
}

export type { ImportProgress, ImportReport, ImportWarning } from './report.ts';

const MAX_WARNINGS = 2000;
/** Posts from which a file is prepared in worker threads. */
const WORKERS_FROM = 200;

/** What the first pass learns of the whole file. */
interface Survey {
  site: SourceSite;
  authors: Map<string, string>;
  categories: SourceCategory[];
  /** Attachment post id → its file's address. */
  attachments: Map<string, string>;
  posts: number;
}

const bump = (counts: Record<string, number>, kind: string, n = 1) => {
  counts[kind] = (counts[kind] ?? 0) + n;
};

/** Reads the file once through: validates all of it and gathers what the posts refer to. */
async function survey(
  records: AsyncIterable<SourceRecord>,
  report: ImportReport,
  progress?: ImportOptions['progress'],
  onPosts?: (n: number) => void,
): Promise<Survey> {
  const s: Survey = {
    site: { format: report.format, title: '', link: '', wxrVersion: '' },
    authors: new Map(),
    categories: [],
    attachments: new Map(),
    posts: 0,
  };
  let read = 0;
  for await (const r of records) {
    if (r.kind === 'site') s.site = r.site;
    else if (r.kind === 'author') s.authors.set(r.author.login, r.author.displayName || r.author.login);
    else if (r.kind === 'category') s.categories.push(r.category);
    else if (r.kind === 'item') {
      const it = r.item;
      if (it.postType === 'attachment') {
        const url = it.attachmentUrl || it.guid;
        if (it.postId && url) s.attachments.set(it.postId, url);
      } else if (it.postType === 'post') onPosts?.(++s.posts);
      if (++read % 1000 === 0) progress?.({ phase: 'reading', done: read });
    }
  }
  // The whole file is read (and valid): the writing pass starts from here.
  progress?.({ phase: 'reading', done: read, total: s.posts });
  return s;
}

interface ChannelPlan {
  /** Category slug (as the file writes it) → channel path. */
  pathOfSlug: Map<string, string>;
  fallback: string;
}

/** A channel slug from a WordPress one: kept when valid, else made from its term id. */
function channelSlug(c: SourceCategory): string {
  const lower = (c.channelSlug ?? c.slug).trim().toLowerCase();
  if (SLUG_PATTERN.test(lower)) return lower;
  return /^\d+$/.test(c.termId) ? `wp-${c.termId}` : `wp-${createHash('sha1').update(c.slug).digest('hex').slice(0, 8)}`;
}

const cut = (text: string, max: number) => (length(text) <= max ? text : `${[...text].slice(0, max - 1).join('')}…`);

/** A source key with the site's address in its other scheme (`wxr:http://site#12` → `wxr:https://site#12`), if any. */
function schemeTwin(key: string): string[] {
  const m = /^([a-z]+):(https?):\/\//.exec(key);
  return m ? [`${m[1]}:${m[2] === 'http' ? 'https' : 'http'}://${key.slice(m[0].length)}`] : [];
}

/**
 * How deep imported categories nest as channels; deeper ones sit beside the deepest level. A file of thousands of
 * nested categories would otherwise make paths thousands of levels long (their sum grows with the square: a 2 MB file,
 * gigabytes of paths).
 */
const MAX_IMPORTED_DEPTH = 32;

/** The category tree as channel paths (up to MAX_IMPORTED_DEPTH deep), and the channels to make for it, parents first. */
function planChannels(categories: SourceCategory[], fallback: { slug: string; name: string }) {
  const bySlug = new Map(categories.map((c) => [c.slug, c]));
  const pathOfSlug = new Map<string, string>();
  const ordered: { path: string; slug: string; name: string; parent: string | null }[] = [];
  const taken = new Set<string>();
  const place = (c: SourceCategory, parentPath: string | null): string => {
    const under = (slug: string) => (parentPath ? `${parentPath}/${slug}` : slug);
    let slug = channelSlug(c);
    // Two categories whose slugs meet once cleaned (Uppercase and uppercase): the later one gets its term id, and a
    // number after it when that too is another category's slug (`news`, `news-8`, `NEWS` of term 8), so no two
    // categories share a channel.
    if (taken.has(under(slug))) {
      const renamed = `${slug.slice(0, 30)}-${/^\d+$/.test(c.termId) ? c.termId : ordered.length}`.slice(0, 40).replace(/-+$/, '');
      slug = renamed;
      for (let n = 2; taken.has(under(slug)); n++) slug = `${renamed.slice(0, 39 - String(n).length).replace(/-+$/, '')}-${n}`;
    }
    const p = under(slug);
    taken.add(p);
    pathOfSlug.set(c.slug, p);
    ordered.push({ path: p, slug, name: cut(plainTitle(c.name) || slug, 40), parent: parentPath });
    return p;
  };
  const resolve = (start: SourceCategory) => {
    // Up the parents to one already placed or the root, without recursion (a file may nest thousands); a loop of
    // parents ends where it meets itself.
    const chain: SourceCategory[] = [];
    const seen = new Set<string>();
    let c: SourceCategory | undefined = start;
    while (c && !pathOfSlug.has(c.slug)) {
      seen.add(c.slug);
      chain.push(c);
      c = c.parent && c.parent !== c.slug && !seen.has(c.parent) ? bySlug.get(c.parent) : undefined;
    }
    let parentPath = c ? pathOfSlug.get(c.slug)! : null;
    for (const link of chain.reverse()) {
      if (parentPath !== null && parentPath.split('/').length >= MAX_IMPORTED_DEPTH) parentPath = parentPath.slice(0, parentPath.lastIndexOf('/')) || null;
      parentPath = place(link, parentPath);
    }
  };
  for (const c of categories) resolve(c);
  // A category of that slug is the fallback channel itself (listed once: a dry run counts what a run makes).
  if (!taken.has(fallback.slug)) ordered.push({ path: fallback.slug, slug: fallback.slug, name: fallback.name, parent: null });
  return { plan: { pathOfSlug, fallback: fallback.slug } as ChannelPlan, ordered };
}

async function ensureChannels(ctx: Ctx, actor: Actor, ordered: { path: string; slug: string; name: string; parent: string | null }[], dryRun: boolean) {
  const ids = new Map<string, number>();
  let created = 0;
  const existing = new Map((await ctx.store.channels.all()).map((c) => [c.path, c.id]));
  const needed = ordered.filter((o) => !existing.has(o.path));
  for (const [p, id] of existing) ids.set(p, id);
  if (dryRun) return { ids, created: needed.length };
  await ctx.store.transaction(async (store) => {
    const now = ctx.clock.now();
    for (const o of needed) {
      if (await store.channels.findByPath(o.path)) continue;
      const parentId = o.parent === null ? null : (ids.get(o.parent) ?? null);
      const id = await store.channels.insert({
        slug: o.slug,
        name: o.name,
        parentId,
        path: o.path,
        position: await store.channels.nextPosition(parentId),
        description: '',
        createdAt: now,
      });
      ids.set(o.path, id);
      created++;
      announce(ctx, store, { kind: 'channel', id });
      await store.history.record({
        at: now,
        actorId: actor.id,
        action: 'channel.create',
        subjectType: 'channel',
        subjectId: id,
        detail: { path: o.path, import: true },
      });
    }
  });
  for (const c of await ctx.store.channels.all()) ids.set(c.path, c.id);
  return { ids, created };
}

/** The file's authors as accounts (--create-authors): login → account id, existing accounts of that name reused. */
async function ensureAuthors(ctx: Ctx, actor: Actor, authors: Map<string, string>, dryRun: boolean, report: ImportReport): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [login, displayName] of authors) {
    let username = login.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(username)) username = `wp-${createHash('sha1').update(login).digest('hex').slice(0, 10)}`;
    const existing = await ctx.store.accounts.findByUsername(username);
    if (existing) {
      out.set(login, existing.id);
      continue;
    }
    report.authorsCreated++;
    if (dryRun) continue;
    // A random password nobody is told: the admin sets one (账号管理) when the person is to sign in.
    const account = await createAccount(ctx, actor, {
      username,
      role: 'reporter',
      displayName: cut(cleanLine(displayName) || username, 50),
      password: randomBytes(24).toString('base64url'),
    });
    out.set(login, account.id);
  }
  return out;
}

/** A post mapped onto an article, before its body is sanitized. */
interface MappedPost {
  key: string;
  item: SourceItem;
  status: ArticleStatus;
  /** The post's status at the source (sourceStatusOf): what a later import compares with. */
  sourceStatus: string;
  /** In the source's trash: never imported; an article an earlier import made of it is taken down (with --update). */
  trashed?: boolean;
  title: string;
  bodyHtml: string;
  summary: string;
  /** Subtitle, 来源 and editor, when the format has them (JSON items); undefined: a repeat leaves the article's. */
  subtitle?: string;
  source?: string;
  editor?: string;
  channelPath: string;
  tags: string[];
  byline: string;
  authorId: number;
  cover: string;
  publishedAt: number | null;
  scheduledAt: number | null;
  createdAt: number;
  updatedAt: number;
  oldUrls: string[];
}

// An image or link's address: looked for up to the tag's end or the next tag only (a body of thousands of unclosed
// `<a ` otherwise costs its square on the import's main thread, which serves readers too).
const IMAGE_REF = /(<(?:img|a)\b[^<>]*?\s(?:src|href)=")([^"]*)(")/gi;
const attrText = (v: string) =>
  v
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const attrValue = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

interface PreparedPost {
  post: MappedPost;
  before: ImportSource | undefined;
  bodyHtml: string;
  bodyText: string;
  search: PreparedSearchFields;
  /** Related-reading analysis (terms, fingerprint): absent for a trashed post (nothing of it is written). */
  related?: RelatedDocument;
}

type PreparedBatch = PreparedPost[];

class Importer {
  /** Worker threads for sanitizing and segmenting (none: on this thread). */
  workers?: { run: (jobs: PrepareJob[]) => Promise<PrepareOutcome[]> };

  readonly report: ImportReport;
  private readonly warned = new Set<string>();
  /** Old-site image (original address) → our media address, or null when not in the uploads folder. */
  private readonly images = new Map<string, string | null>();
  /** Old addresses claimed in this run, by source key: a second post with the same address is told. */
  private readonly claimed = new Map<string, string>();
  /** Source keys handled in this run. */
  private readonly seen = new Set<string>();
  /** The main thread's part of the batch being prepared (gather): the next waits for it. */
  private gathering: Promise<unknown> = Promise.resolve();
  private readonly related: RelatedOfNew;
  /** The batches' transactions, paced on SQLite (Store.jobTransactions): the server beside the import still publishes. */
  private readonly writes: JobTransactions;

  constructor(
    private readonly ctx: Ctx,
    private readonly actor: Actor,
    private readonly options: ImportOptions,
    private readonly s: Survey,
    private readonly channels: { plan: ChannelPlan; ids: Map<string, number> },
    private readonly authorIds: Map<string, number>,
    report: ImportReport,
    scoringApart?: BatchScoring,
  ) {
    this.report = report;
    this.writes = ctx.store.jobTransactions();
    this.related = new RelatedOfNew(() => new LocalBatchScoring(ctx.store), scoringApart);
  }

  warn(item: SourceItem, message: string): void {
    const w = { postId: item.postId || item.guid, line: item.line, message };
    const k = `${w.postId}\u0000${message}`;
    if (this.warned.has(k)) return;
    this.warned.add(k);
    if (this.report.warnings.length < MAX_WARNINGS) this.report.warnings.push(w);
    else this.report.moreWarnings++;
  }

  sourceKey(item: SourceItem): string {
    const site = (item.site ?? this.s.site.link ?? '').replace(/\/+$/, '').toLowerCase();
    if (this.s.site.format === 'wxr' && /^\d+$/.test(item.postId)) return `wxr:${site}#${item.postId}`;
    const id = item.guid || item.link;
    // A JSON Feed's item and a JSON line of the same site and id are one item (one shape, two ways of writing it).
    const scheme = this.s.site.format === 'json-feed' || this.s.site.format === 'json-lines' ? 'json' : this.s.site.format;
    return `${scheme}:${site}#${
      id ||
      createHash('sha1')
        .update(`${item.title}\u0000${item.date ?? ''}`)
        .digest('hex')
    }`;
  }

  /**
   * The articles earlier imports made of these posts, by the posts' keys: also under the key of the site's other scheme
   * (a site that moved from http to https between two exports is the same site; its posts are not imported twice).
   */
  async findEarlier(store: Store, posts: readonly MappedPost[]): Promise<Map<string, ImportSource>> {
    const found = await store.imports.findSources(posts.flatMap((p) => [p.key, ...schemeTwin(p.key)]));
    const out = new Map<string, ImportSource>();
    for (const p of posts) {
      const before =
        found.get(p.key) ??
        schemeTwin(p.key)
          .map((k) => found.get(k))
          .find((b) => b !== undefined);
      if (before) out.set(p.key, before);
    }
    return out;
  }

  /** Decides whether an item becomes an article, and maps it. */
  map(item: SourceItem): MappedPost | undefined {
    const r = this.report;
    if (item.comments > 0) bump(r.skipped, 'comment', item.comments);
    if (item.postType !== 'post') {
      bump(r.skipped, item.postType);
      return undefined;
    }
    r.posts++;
    const now = this.ctx.clock.now();
    let status: ArticleStatus;
    switch (item.status) {
      case 'publish':
        status = item.password ? 'draft' : 'published';
        if (item.password) this.warn(item, 'password-protected: imported as a draft, never public (有密码的文章作为草稿导入)');
        break;
      case 'private':
        status = 'draft';
        this.warn(item, 'private: imported as a draft, never public (私密文章作为草稿导入)');
        break;
      case 'future':
        status = item.date !== undefined ? 'scheduled' : 'draft';
        break;
      case 'pending':
        status = 'submitted';
        break;
      case 'draft':
        status = 'draft';
        break;
      default:
        // Trash is looked up (prepare): an article an earlier import made of the post follows it, else it is skipped.
        if (item.status === 'trash') return this.trashed(item);
        bump(r.skipped, `status ${item.status}`);
        return undefined;
    }
    if (status === 'scheduled' && item.date! <= now) {
      // Its time passed while the old site was exported: published at that time, as WordPress would have.
      status = 'published';
    }

    // Feeds carry bodies as shown (rendered HTML); only WordPress's own export has them as written.
    const converted =
      this.s.site.format === 'wxr'
        ? convertWordPressBody(item.content, this.s.attachments)
        : { html: item.content, droppedShortcodes: new Map<string, number>(), missingGalleryIds: [] };
    for (const [name, n] of converted.droppedShortcodes) {
      r.shortcodes[name] = (r.shortcodes[name] ?? 0) + n;
    }
    if (converted.droppedShortcodes.size > 0) this.warn(item, `shortcodes dropped: ${[...converted.droppedShortcodes.keys()].map((n) => `[${n}]`).join(' ')}`);
    if (converted.missingGalleryIds.length > 0) this.warn(item, `gallery images not in the file: ${converted.missingGalleryIds.join(', ')}`);

    let title = plainTitle(item.title);
    if (length(title) > LIMITS.title) {
      title = cut(title, LIMITS.title);
      this.warn(item, `title cut to ${LIMITS.title} characters`);
    }
    const summarySource = plainTitle(item.excerpt);
    let summary = summarySource;
    if (length(summary) > LIMITS.summary) {
      summary = cut(summary, LIMITS.summary);
      this.warn(item, `excerpt cut to ${LIMITS.summary} characters`);
    }

    // The primary category: Yoast's when the file says, else the first; the others become tags.
    const categories = item.terms.filter((t) => t.domain === 'category');
    const primaryId = item.meta.get('_yoast_wpseo_primary_category');
    const primaryBySeo = primaryId ? this.s.categories.find((c) => c.termId === primaryId)?.slug : undefined;
    const primary = categories.find((c) => c.slug === primaryBySeo) ?? categories[0];
    const channelPath = (primary && this.channels.plan.pathOfSlug.get(primary.slug)) || this.channels.plan.fallback;
    const tagNames: string[] = [];
    const addTag = (raw: string) => {
      let tag = cleanLine(plainTitle(raw)).replace(/^#+/, '');
      if (tag === '') return;
      if (length(tag) > LIMITS.tag) {
        this.warn(item, `tag "${cut(tag, 40)}" cut to ${LIMITS.tag} characters`);
        tag = [...tag].slice(0, LIMITS.tag).join('');
      }
      if (!tagNames.includes(tag)) tagNames.push(tag);
    };
    for (const t of item.terms) if (t.domain === 'post_tag') addTag(t.name);
    for (const c of categories) if (c !== primary) addTag(c.name);
    if (tagNames.length > LIMITS.tags) {
      this.warn(item, `${tagNames.length} tags: the first ${LIMITS.tags} kept (${tagNames.length - LIMITS.tags} dropped)`);
      tagNames.length = LIMITS.tags;
    }

    const thumbnail = item.meta.get('_thumbnail_id');
    const cover = item.cover ?? (thumbnail ? (this.s.attachments.get(thumbnail) ?? '') : '');
    if (thumbnail && !cover) this.warn(item, `featured image ${thumbnail} is not in the file`);

    const authorId = this.authorIds.get(item.creator) ?? this.actor.id;
    const byline = cut(cleanLine(this.s.authors.get(item.creator) ?? item.creator), LIMITS.byline);
    const date = item.date;
    // A published post dated ahead (a feed's wrong time zone, a clock): published now, not pinned atop every list until then.
    if (status === 'published' && date !== undefined && date > now) {
      this.warn(
        item,
        `dated ${new Date(date).toISOString()}, in the future, at the source: published at the time of the import (发布时间晚于当前时间，按导入时间发布)`,
      );
    }
    const createdAt = Math.min(date ?? now, now);
    const updatedAt = Math.max(createdAt, Math.min(item.modified ?? createdAt, now));
    return {
      key: this.sourceKey(item),
      item,
      status,
      sourceStatus: sourceStatusOf(item),
      title,
      bodyHtml: converted.html,
      summary,
      ...this.lines(item),
      channelPath,
      tags: tagNames,
      byline,
      authorId,
      cover: /^https?:\/\//i.test(cover) ? cover : '',
      publishedAt: status === 'published' ? createdAt : null,
      scheduledAt: status === 'scheduled' ? date! : null,
      createdAt: status === 'scheduled' ? Math.min(item.modified ?? now, now) : createdAt,
      updatedAt: status === 'scheduled' ? Math.min(item.modified ?? now, now) : updatedAt,
      oldUrls: oldAddressesOf(item, this.s.site.link),
    };
  }

  /** A JSON item's subtitle, 来源 and editor as one line each, cut to what an article holds (with a warning). */
  private lines(item: SourceItem): Pick<MappedPost, 'subtitle' | 'source' | 'editor'> {
    const out: Pick<MappedPost, 'subtitle' | 'source' | 'editor'> = {};
    for (const field of ['subtitle', 'source', 'editor'] as const) {
      const raw = item[field];
      if (raw === undefined) continue;
      const line = cleanLine(raw);
      if (length(line) > LIMITS[field]) this.warn(item, `${field} cut to ${LIMITS[field]} characters`);
      out[field] = cut(line, LIMITS[field]);
    }
    return out;
  }

  /** A post in the source's trash: only its key and status matter (its content is never imported). */
  private trashed(item: SourceItem): MappedPost {
    const now = this.ctx.clock.now();
    return {
      key: this.sourceKey(item),
      item,
      status: 'draft',
      sourceStatus: 'trash',
      trashed: true,
      title: '',
      bodyHtml: '',
      summary: '',
      channelPath: this.channels.plan.fallback,
      tags: [],
      byline: '',
      authorId: this.actor.id,
      cover: '',
      publishedAt: null,
      scheduledAt: null,
      createdAt: now,
      updatedAt: now,
      oldUrls: [],
    };
  }

  /** Our media address for an old-site image found in the uploads folder (through the upload pipeline), or null. */
  private async mediaFor(url: string, item: SourceItem): Promise<string | null> {
    const original = originalAddress(url);
    const rel = uploadCandidates(original)[0] ?? original;
    const known = this.images.get(rel);
    if (known !== undefined) return known;
    let found: string | null = null;
    const existing = await this.ctx.store.media.findBySourceUrl(original);
    if (existing) found = mediaUrl(mainVariant(existing).path);
    else {
      const file = await this.options.uploads!.find(url);
      if (file) {
        try {
          const info = await stat(file);
          if (info.size > (this.options.mediaMaxBytes ?? 20 * 1024 * 1024)) throw new Error(`larger than ${this.options.mediaMaxBytes} bytes`);
          const hash = createHash('sha256');
          for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
          if (!this.options.dryRun) {
            const media = await importUpload(
              this.ctx,
              this.actor,
              this.options.mediaFolder!,
              { path: file, bytes: info.size, sha256: hash.digest('hex'), name: path.basename(file) },
              { sourceUrl: original },
            );
            found = mediaUrl(mainVariant(media).path);
          } else found = original;
        } catch (err) {
          this.warn(item, `image ${rel} refused: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    this.images.set(rel, found);
    if (found) this.report.images.found++;
    else this.report.images.missing.push(rel);
    return found;
  }

  /** Points the body's and the cover's old-site images at our media; the ones not found keep their address. */
  async rehome(post: MappedPost): Promise<void> {
    const refs = new Set<string>();
    for (const m of post.bodyHtml.matchAll(IMAGE_REF)) {
      const url = attrText(m[2]!);
      if (isOldSiteImage(url, this.s.site.link)) refs.add(url);
    }
    if (post.cover && isOldSiteImage(post.cover, this.s.site.link)) refs.add(post.cover);
    if (refs.size === 0) return;
    if (!this.options.uploads) {
      this.report.images.notLookedFor += refs.size;
      return;
    }
    const ours = new Map<string, string>();
    for (const url of refs) {
      const m = await this.mediaFor(url, post.item);
      if (m) ours.set(url, m);
    }
    post.bodyHtml = post.bodyHtml.replace(IMAGE_REF, (all, before: string, value: string, after: string) => {
      const m = ours.get(attrText(value));
      return m ? before + attrValue(m) + after : all;
    });
    if (post.cover) post.cover = ours.get(post.cover) ?? post.cover;
  }

  /**
   * Readies one batch for writing: earlier imports looked up, images brought in, bodies sanitized and texts segmented
   * for search in the worker threads (while the file is read on and the batches before are written).
   */
  async prepare(posts: MappedPost[]): Promise<PreparedBatch> {
    // Batches are prepared while others are: their lookups and images are taken one batch at a time, in file order (an
    // image two batches share is brought in once); only the workers' part overlaps.
    const gathered = this.gathering.then(() => this.gather(posts));
    this.gathering = gathered.catch(() => undefined);
    const { unique, earlier, ready } = await gathered;
    const related = this.options.related !== false && !this.options.dryRun;
    const jobs = unique.map((p) => ({ html: p.bodyHtml, title: p.title, summary: p.summary, tags: p.tags, related }));
    const per = Math.max(1, Math.ceil(jobs.length / 8));
    const parts: PrepareJob[][] = [];
    for (let i = 0; i < jobs.length; i += per) parts.push(jobs.slice(i, i + per));
    const outcomes = (await Promise.all(parts.map((part) => (this.workers ? this.workers.run(part) : Promise.resolve(preparePosts(part)))))).flat();
    unique.forEach((post, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) {
        this.warn(post.item, `not imported: the body is refused (${outcome.message})`);
        bump(this.report.skipped, 'refused body');
        return;
      }
      let analysis = outcome.related;
      if (!post.title) {
        post.title = derivedTitle(outcome.bodyText) || `（无标题 ${post.item.postId || post.item.guid}）`.slice(0, LIMITS.title);
        this.warn(post.item, `no title: named 「${post.title}」 from its text`);
        // The analysis is of the article as written: with the title it now has.
        if (analysis) analysis = analyseArticle({ title: post.title, subtitle: '', summary: post.summary, tags: post.tags, bodyText: outcome.bodyText });
      }
      const before = earlier.get(post.key);
      if (!before && (post.status === 'published' || post.status === 'scheduled') && outcome.bodyText.trim() === '') {
        // The newsroom publishes nothing without text (assertPublishable): neither does an import, where a post with
        // no words (WordPress's "no content" posts, a feed item without a description) would be an empty public page.
        this.warn(post.item, 'no text in the body: imported as a draft (正文为空，作为草稿导入)');
        Object.assign(post, { status: 'draft', publishedAt: null, scheduledAt: null });
      }
      ready.push({
        post,
        before,
        bodyHtml: outcome.bodyHtml,
        bodyText: outcome.bodyText,
        search: unpackSearchFields(outcome.search),
        related: analysis,
      });
    });
    return ready;
  }

  /** The main thread's part of preparing a batch: duplicates left out, earlier imports looked up, images brought in. */
  private async gather(posts: MappedPost[]): Promise<{ unique: MappedPost[]; earlier: Map<string, ImportSource>; ready: PreparedPost[] }> {
    let unique: MappedPost[] = [];
    for (const post of posts) {
      if (this.seen.has(post.key)) {
        this.warn(post.item, 'the same post appears twice in the file: the second is left out');
        bump(this.report.skipped, 'duplicate');
        continue;
      }
      this.seen.add(post.key);
      unique.push(post);
    }
    const earlier = await this.findEarlier(this.ctx.store, unique);
    const ready: PreparedPost[] = [];
    // Trashed posts: an earlier import's article is taken down (commit → again); the others are not imported.
    for (const post of unique.filter((p) => p.trashed)) {
      const before = earlier.get(post.key);
      if (before) ready.push({ post, before, bodyHtml: '', bodyText: '', search: undefined as unknown as PreparedSearchFields });
      else bump(this.report.skipped, 'trash');
    }
    unique = unique.filter((p) => !p.trashed);
    for (const post of unique) await this.rehome(post);
    return { unique, earlier, ready };
  }

  /** Writes a prepared batch: new articles together in one transaction; earlier imports updated or kept. */
  async commit(ready: PreparedBatch): Promise<void> {
    let fresh: PreparedPost[] = [];
    for (const p of ready) {
      if (p.before) await this.again(p.post, p.before, p);
      else fresh.push(p);
    }
    if (fresh.length === 0) return;
    if (this.options.dryRun) {
      this.report.imported += fresh.length;
      const taken = await this.ctx.store.imports.oldUrlOwners(fresh.flatMap((f) => f.post.oldUrls));
      for (const { post } of fresh) for (const u of post.oldUrls) if (!taken.has(u) && this.claim(u, post)) this.report.redirects++;
      return;
    }
    // Related reading scored under provisional ids, outside the transaction (its reads see the archive as committed),
    // written in it: in a thread of its own from 200 posts (RelatedRepository.scoringApart), else on this one. On
    // PostgreSQL the scoring runs while the transaction's first statements (articles, revisions, search entries,
    // addresses) are with the server, and the transaction awaits it only before it writes the lists. On SQLite the
    // batch is scored before its transaction, which holds the database's one write lock (a publish in the server
    // beside the import waits for it: waiting there for the scoring held it a third longer) and, without the thread,
    // this thread too; with it, this thread reads and maps the posts after it meanwhile.
    const scoring =
      this.options.related !== false && fresh.every((f) => f.related)
        ? this.related.score(
            fresh.map(({ post }) => ({ status: post.status, channelId: this.channels.ids.get(post.channelPath)!, publishedAt: post.publishedAt })),
            fresh.map((f) => f.related!),
          )
        : Promise.resolve(undefined);
    if (this.ctx.store.related.writesHoldReaders) await scoring;
    // The posts in the order they were scored: `fresh` may lose some to another import inside the transaction.
    const inScoredOrder = fresh;
    const transaction = this.writes.transaction(async (store) => {
      await store.imports.lock();
      // Another import of the same file may have written some of these since they were looked up.
      const meanwhile = await this.findEarlier(
        store,
        fresh.map((f) => f.post),
      );
      if (meanwhile.size > 0) fresh = fresh.filter((f) => !meanwhile.has(f.post.key));
      if (fresh.length === 0) return { written: 0, analysed: [] };
      const now = this.ctx.clock.now();
      const rows: ImportedArticle[] = fresh.map(({ post, bodyHtml, bodyText }) => ({
        title: post.title,
        subtitle: post.subtitle ?? '',
        summary: post.summary,
        bodyHtml,
        bodyText,
        channelId: this.channels.ids.get(post.channelPath)!,
        source: post.source ?? '',
        byline: post.byline,
        editor: post.editor ?? '',
        cover: post.cover,
        status: post.status,
        publishedAt: post.publishedAt,
        scheduledAt: post.scheduledAt,
        createdAt: post.createdAt,
        updatedAt: post.updatedAt,
        authorId: post.authorId,
        revision: 1,
      }));
      const ids = await store.imports.insertArticles(rows);
      const articles: Article[] = rows.map((row, i) => ({
        ...row,
        id: ids[i]!,
        channelPath: fresh[i]!.post.channelPath,
        tags: fresh[i]!.post.tags,
        hasImage: row.cover !== '' || /<img\b/i.test(row.bodyHtml),
      }));
      await store.imports.addTags(articles.map((a) => ({ articleId: a.id, names: a.tags })));
      for (const a of articles) if (a.bodyHtml.includes('/media/') || a.cover.startsWith('/media/')) await recordMediaUsage(store, a.id, undefined, a);
      await store.imports.addRevisions(
        articles.map((a) => ({
          articleId: a.id,
          number: 1,
          accountId: this.actor.id,
          action: 'import',
          createdAt: now,
          content: { ...contentOf(a), status: a.status, channelId: a.channelId },
        })),
      );
      await store.imports.record(
        articles.map((a, i) => ({
          at: now,
          actorId: this.actor.id,
          action: 'article.import',
          subjectType: 'article',
          subjectId: a.id,
          detail: { revision: 1, status: a.status, source: fresh[i]!.post.key },
        })),
      );
      const published = articles.filter((a) => a.status === 'published');
      const documents = articles.map((a, i) => searchDocument(a, fresh[i]!.search));
      await store.search.putMany(documents.filter((_, i) => articles[i]!.status === 'published'));
      await store.draftSearch.putMany(documents.filter((_, i) => articles[i]!.status !== 'published'));
      await store.imports.saveSources(
        articles.map((a, i) => ({ key: fresh[i]!.post.key, articleId: a.id, revision: 1, sourceStatus: fresh[i]!.post.sourceStatus })),
        now,
      );
      const urls = articles.flatMap((a, i) => fresh[i]!.post.oldUrls.filter((u) => this.claim(u, fresh[i]!.post)).map((u) => ({ path: u, articleId: a.id })));
      const added = await store.imports.addOldUrls(urls, now);
      this.report.redirects += added.length;
      // The ids the scored posts got (undefined: imported meanwhile), which the scoring learns once they are committed.
      let analysed: (number | undefined)[] = [];
      const scored = await scoring;
      if (scored) {
        const idOf = new Map(fresh.map((f, i) => [f.post.key, articles[i]!.id]));
        analysed = inScoredOrder.map((f) => idOf.get(f.post.key));
        await this.related.write(store, scored, analysed, now);
      }
      for (const a of published) announce(this.ctx, store, { kind: 'article', articleId: a.id, channelId: a.channelId, public: true });
      return { written: fresh.length, analysed };
    });
    // The scoring is over by the time this batch's commit is, whatever became of the transaction: the next batch's
    // scoring never runs beside it (the scorer keeps state from batch to batch). It never rejects.
    const { written, analysed } = await transaction.finally(() => scoring);
    this.related.written(analysed);
    bump(this.report.skipped, 'imported meanwhile by another import', ready.filter((p) => !p.before).length - written);
    if (this.report.skipped['imported meanwhile by another import'] === 0) delete this.report.skipped['imported meanwhile by another import'];
    this.report.imported += written;
  }

  /** Claims an old address for a source item in this run; false (and a warning) when another post has it already. */
  private claim(url: string, post: MappedPost): boolean {
    const owner = this.claimed.get(url);
    if (owner === undefined) {
      this.claimed.set(url, post.key);
      return true;
    }
    if (owner !== post.key) this.warn(post.item, `old address ${url} is another post's too: it leads to the first one (旧地址重复，指向先导入的文章)`);
    return owner === post.key;
  }

  /**
   * A post an earlier import brought in: unchanged, brought up to date, or kept as the newsroom edited it. Its status
   * is followed too: published at the source's time when the source published it, taken down (撤稿, so its old
   * addresses answer 410) when the source made it a draft, private, password-protected or trash, scheduled when the
   * source scheduled it. A status the source changed since the last import is applied with --update only; without,
   * the post is skipped with the reason, as is one the newsroom edited since.
   */
  private async again(post: MappedPost, before: ImportSource, body: { bodyHtml: string; bodyText: string }): Promise<void> {
    const article = await this.ctx.store.articles.findById(before.articleId);
    if (!article) {
      bump(this.report.skipped, 'deleted in the newsroom');
      return;
    }
    const changes = {
      title: post.title,
      summary: post.summary,
      body: body.bodyHtml,
      channel: post.channelPath,
      tags: post.tags,
      byline: post.byline,
      cover: post.cover,
      // Only what the format carries: a WXR or feed item says nothing of these, and leaves the article's own.
      ...(post.subtitle === undefined ? {} : { subtitle: post.subtitle }),
      ...(post.source === undefined ? {} : { source: post.source }),
      ...(post.editor === undefined ? {} : { editor: post.editor }),
    };
    // A trashed post's content is not news: only its status counts.
    const same =
      post.trashed === true ||
      (article.title === changes.title &&
        article.summary === changes.summary &&
        article.bodyHtml === changes.body &&
        article.channelPath === changes.channel &&
        JSON.stringify(article.tags) === JSON.stringify(changes.tags) &&
        article.byline === changes.byline &&
        article.cover === changes.cover &&
        (changes.subtitle === undefined || article.subtitle === changes.subtitle) &&
        (changes.source === undefined || article.source === changes.source) &&
        (changes.editor === undefined || article.editor === changes.editor));
    const wanted = statusStep(post, article);
    // A post with no text is not published here (see prepare), on a repeat either: its article keeps its status.
    const step = (wanted === 'publish' || wanted === 'schedule') && body.bodyText.trim() === '' ? undefined : wanted;
    const sourceWas = before.sourceStatus ?? undefined;
    const sourceMoved = sourceWas !== undefined ? sourceWas !== post.sourceStatus : step !== undefined;
    const remember = async (revision: number) => {
      if (!this.options.dryRun)
        await this.ctx.store.imports.saveSources([{ key: before.key, articleId: article.id, revision, sourceStatus: post.sourceStatus }], this.ctx.clock.now());
    };
    if (same && step === undefined) {
      this.report.unchanged++;
      // The source's status moved without anything to do here (draft → pending, trash of a draft): remembered.
      if (sourceMoved && article.revision === before.revision) await remember(article.revision);
      return;
    }
    const edited = article.revision !== before.revision;
    if (edited && !this.options.update) {
      bump(this.report.skipped, 'edited in the newsroom');
      this.warn(post.item, `article #${article.id} was edited in the newsroom since its import: kept as it is (--update overwrites it)`);
      return;
    }
    if (step !== undefined && sourceMoved && !this.options.update) {
      bump(this.report.skipped, 'status changed at the source');
      this.warn(
        post.item,
        `status changed at the source (${sourceWas ?? '?'} → ${post.sourceStatus}): article #${article.id} left ${article.status} (${statusNames[article.status]}); --update applies it`,
      );
      return;
    }
    if (this.options.dryRun) {
      this.report.updated++;
      return;
    }
    const detail = { source: post.key };
    let current = article;
    // Every write names the revision it was decided on (If-Match): an edit made in the newsroom meanwhile is kept.
    try {
      // Taken down before its text changes, so readers never see the new text of a post the source withdrew.
      if (step === 'unpublish') current = await this.follow(step, post, current);
      if (!same) current = await updateArticle(this.ctx, this.actor, article.id, changes, 'import', '', current.revision, detail);
      if (step !== undefined && step !== 'unpublish') current = await this.follow(step, post, current);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'required') {
        // The source emptied a post whose article is public here: a public page is not emptied (updateArticle).
        bump(this.report.skipped, 'no text at the source');
        this.warn(post.item, `no text in the body at the source: article #${article.id} kept as it is (正文为空，未更新)`);
        if (current !== article) await remember(current.revision);
        return;
      }
      if (!(err instanceof DomainError && err.code === 'stale_revision')) throw err;
      bump(this.report.skipped, 'edited in the newsroom');
      this.warn(post.item, `article #${article.id} was changed in the newsroom during the import: kept as it is`);
      if (current !== article) await remember(current.revision);
      return;
    }
    this.report.updated++;
    await remember(current.revision);
  }

  /** Applies the source's status to an article; a step the article refuses (no body to publish) is warned of. */
  private async follow(step: 'publish' | 'schedule' | 'unpublish', post: MappedPost, article: Article): Promise<Article> {
    const detail = { source: post.key };
    const now = this.ctx.clock.now();
    try {
      if (step === 'unpublish') {
        const done = await unpublishArticle(this.ctx, this.actor, article.id, article.revision, detail);
        this.warn(post.item, `${post.sourceStatus} at the source: article #${article.id} taken down (撤稿), its old addresses answer 410`);
        return done;
      }
      if (step === 'publish') {
        // At the source's time, within what an article may have: not before it existed, not in the future.
        const at = Math.min(now, Math.max(article.createdAt, post.publishedAt ?? now));
        const done = await publishArticle(this.ctx, this.actor, article.id, article.revision, detail, at);
        this.warn(post.item, `published at the source: article #${article.id} published at ${new Date(at).toISOString()}`);
        return done;
      }
      const taken = article.status === 'published' ? await unpublishArticle(this.ctx, this.actor, article.id, article.revision, detail) : article;
      const done = await scheduleArticle(this.ctx, this.actor, taken.id, post.scheduledAt!, taken.revision);
      this.warn(post.item, `scheduled at the source: article #${article.id} scheduled for ${new Date(post.scheduledAt!).toISOString()}`);
      return done;
    } catch (err) {
      if (!(err instanceof DomainError) || err.code === 'stale_revision') throw err;
      this.warn(post.item, `status ${post.sourceStatus} at the source not applied to article #${article.id}: ${err.message}`);
      return (await this.ctx.store.articles.findById(article.id)) ?? article;
    }
  }
}

/** A post's status at the source as an import remembers it: WordPress's own, `password` for a protected post. */
function sourceStatusOf(item: SourceItem): string {
  return item.status === 'publish' && item.password ? 'password' : item.status;
}

/** The workflow step that makes an article's status what the source's says, if any. */
function statusStep(post: MappedPost, article: Article): 'publish' | 'schedule' | 'unpublish' | undefined {
  const publicNow = article.status === 'published' || article.status === 'scheduled';
  if (post.status === 'published') return article.status === 'published' ? undefined : 'publish';
  if (post.status === 'scheduled') return article.status === 'scheduled' && article.scheduledAt === post.scheduledAt ? undefined : 'schedule';
  // A draft, pending, private, password-protected or trashed post: never public here.
  return publicNow ? 'unpublish' : undefined;
}

/**
 * Imports an archive. `records` is called once per pass over the file (see readSource). Nothing is written when the
 * first pass finds the file malformed (ImportFileError), nor at all with `dryRun`.
 */
export async function importArchive(
  ctx: Ctx,
  actor: Actor,
  format: SourceSite['format'],
  records: () => AsyncIterable<SourceRecord>,
  options: ImportOptions = {},
): Promise<ImportReport> {
  authorize(actor, 'channel.manage');
  const started = Date.now();
  const report: ImportReport = {
    format,
    site: '',
    dryRun: options.dryRun === true,
    posts: 0,
    imported: 0,
    updated: 0,
    unchanged: 0,
    skipped: {},
    channelsCreated: 0,
    authorsCreated: 0,
    images: { found: 0, missing: [], notLookedFor: 0 },
    redirects: 0,
    shortcodes: {},
    warnings: [],
    moreWarnings: 0,
    seconds: 0,
  };
  // Sanitizing and segmenting in worker threads once there is enough to share out (a small file stays on this thread).
  // They are started as soon as the first pass has seen that many posts, and load their dictionaries while it reads
  // on with the other core idle, so the first batch does not wait for them.
  // Related reading's scoring gets a thread of its own at the same point, where the store can give it one.
  let workers: Threads | undefined;
  const startWorkers = (posts: number) => {
    if (posts !== WORKERS_FROM || options.workers === false || workers) return;
    const pool = preparePool();
    pool.warm().catch(() => undefined);
    workers = { pool, scoring: options.related !== false && !options.dryRun ? ctx.store.related.scoringApart() : undefined };
  };
  try {
    await importFile(ctx, actor, records, options, report, startWorkers, () => workers);
  } finally {
    await Promise.all([workers?.pool.close(), workers?.scoring?.close()]);
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

/** An import's threads: sanitizing and segmenting, and related reading's scoring. */
interface Threads {
  pool: ReturnType<typeof preparePool>;
  scoring: BatchScoring | undefined;
}

/** Both passes over the file (see importArchive); the workers, started during the first by `startWorkers`, are the caller's to close. */
async function importFile(
  ctx: Ctx,
  actor: Actor,
  records: () => AsyncIterable<SourceRecord>,
  options: ImportOptions,
  report: ImportReport,
  startWorkers: (posts: number) => void,
  workers: () => Threads | undefined,
): Promise<void> {
  const s = await survey(records(), report, options.progress, startWorkers);
  report.site = s.site.link || s.site.title;
  const { plan, ordered } = planChannels(s.categories, options.fallbackChannel ?? { slug: 'imported', name: '导入稿件' });
  const channels = await ensureChannels(ctx, actor, ordered, report.dryRun);
  report.channelsCreated = channels.created;
  const authorIds = options.createAuthors ? await ensureAuthors(ctx, actor, s.authors, report.dryRun, report) : new Map<string, number>();
  const threads = workers();
  const importer = new Importer(ctx, actor, options, s, { plan, ids: channels.ids }, authorIds, report, threads?.scoring);

  const size = options.batch ?? 500;
  importer.workers = threads?.pool;
  let batch: MappedPost[] = [];
  let handled = 0;
  // Batches overlap: one is read and mapped on this thread while the one before is prepared in the worker threads and
  // the one before that written, so the workers are not idle while the file is read. At most two batches wait behind
  // the one being written.
  let writing: Promise<void> = Promise.resolve();
  const queued: Promise<void>[] = [];
  let stopped = false;
  const flush = async () => {
    // Stopped: no more of the file is read or prepared (the batch being written is finished, see below).
    options.signal?.throwIfAborted();
    if (batch.length === 0) return;
    const posts = batch;
    batch = [];
    const preparing = importer.prepare(posts);
    preparing.catch(() => undefined);
    writing = writing.then(async () => {
      const ready = await preparing;
      // The reading failed or the import was stopped: the batch being written is finished, the ones read after it are not.
      if (stopped || options.signal?.aborted) return;
      await importer.commit(ready);
      handled += posts.length;
      options.progress?.({ phase: 'writing', done: handled, total: s.posts });
    });
    // A failed write (or preparation) stops the reading at the next batch.
    writing.catch(() => undefined);
    queued.push(writing);
    while (queued.length > 2) await queued.shift();
  };
  try {
    for await (const r of records()) {
      if (r.kind !== 'item') continue;
      const mapped = importer.map(r.item);
      if (mapped) batch.push(mapped);
      if (batch.length >= size) await flush();
    }
    await flush();
    await writing;
    options.signal?.throwIfAborted();
    if (!report.dryRun && report.imported > 0) await ctx.store.imports.settle();
  } catch (err) {
    stopped = true;
    throw err;
  } finally {
    await writing.catch(() => undefined);
  }
}
