import type { ArticleStatus } from './status.ts';

/** An article as the domain sees it: channel by path, tags by name. */
export interface Article {
  id: number;
  title: string;
  subtitle: string;
  summary: string;
  bodyHtml: string;
  bodyText: string;
  channelId: number;
  channelPath: string;
  source: string;
  byline: string;
  editor: string;
  cover: string;
  tags: string[];
  status: ArticleStatus;
  publishedAt: number | null;
  scheduledAt: number | null;
  createdAt: number;
  updatedAt: number;
  authorId: number;
  revision: number;
  /** A cover or an image in the body (derived by the store from both on every write; see hasImage). */
  hasImage: boolean;
}

/** An article's own fields, as the store writes them (its tags and channel path are kept apart, has-image derived). */
export type ArticleFields = Omit<Article, 'id' | 'channelPath' | 'tags' | 'hasImage'>;

/** Whether an article shows a picture: a cover, or an image in its (sanitized) body. */
export function hasImage(bodyHtml: string, cover: string): boolean {
  return cover !== '' || /<img\b/i.test(bodyHtml);
}

/** A new article: published or scheduled later, by a transition. */
export type NewArticle = Omit<ArticleFields, 'publishedAt' | 'scheduledAt'>;

/** What an edit or a transition changes; never the author or the creation time. */
export type ArticlePatch = Partial<Omit<ArticleFields, 'createdAt' | 'authorId'>>;

/** The fields a writer controls; what a revision keeps. */
export interface ArticleContent {
  title: string;
  subtitle: string;
  summary: string;
  bodyHtml: string;
  channelPath: string;
  source: string;
  byline: string;
  editor: string;
  cover: string;
  tags: string[];
}

export function contentOf(a: Article): ArticleContent {
  return {
    title: a.title,
    subtitle: a.subtitle,
    summary: a.summary,
    bodyHtml: a.bodyHtml,
    channelPath: a.channelPath,
    source: a.source,
    byline: a.byline,
    editor: a.editor,
    cover: a.cover,
    tags: a.tags,
  };
}

/** One kept version of an article: its content and status as they were after a change. */
export interface Revision {
  number: number;
  accountId: number | null;
  username: string | null;
  action: string;
  createdAt: number;
  /** `channelId` since 2026-12-07: a restore finds the channel by it wherever the channel has moved (older ones: by path). */
  content: ArticleContent & { status: string; channelId?: number };
  /** Why, when the action does not say it: a return comment, the revision restored. */
  note: string;
}

/** An editor's 退回修改 that still stands: the draft has not been submitted (or published) since. */
export interface ReturnNote {
  articleId: number;
  comment: string;
  at: number;
  byUsername: string | null;
  byName: string | null;
}

export interface NewRevision {
  articleId: number;
  number: number;
  accountId: number | null;
  action: string;
  createdAt: number;
  content: Revision['content'];
  note?: string;
}

/** A position in a reverse-chronological listing: strictly before (publishedAt, id). */
export interface FeedPosition {
  publishedAt: number;
  id: number;
}

export interface FeedQuery {
  channelIds?: number[];
  before?: FeedPosition;
  limit: number;
  /** false: without bodies (see ReadOptions). */
  bodies?: boolean;
}

/** A published article as a list of links prints it (相关阅读): no tags, no bodies. */
export interface ArticleTitle {
  id: number;
  title: string;
  publishedAt: number;
}

/** What a sitemap says of a published article. */
export interface SitemapArticle {
  id: number;
  updatedAt: number;
  cover: string;
}

/** A range of article ids in the sitemap: how many are published and when the latest of them changed. */
export interface SitemapRangeStats {
  count: number;
  lastmod: number | null;
}

/** What the news sitemap says of a recent article. */
export interface NewsArticle {
  id: number;
  title: string;
  publishedAt: number;
  tags: string[];
}

export interface NewsroomQuery {
  status?: ArticleStatus;
  authorId?: number;
  limit: number;
  beforeId?: number;
}

/** An article in the 回收站: enough to list it and to restore it, never its body. */
export interface TrashEntry {
  id: number;
  title: string;
  channelPath: string;
  /** The status it had when deleted (draft or submitted); a restore makes it a draft. */
  status: ArticleStatus;
  authorId: number;
  author: { username: string; displayName: string };
  revision: number;
  createdAt: number;
  updatedAt: number;
  deletedAt: number;
  deletedBy: { id: number; username: string; displayName: string } | null;
}

/** A position in the trash listing, newest deleted first: strictly before (deletedAt, id). */
export interface TrashPosition {
  deletedAt: number;
  id: number;
}

export interface TrashQuery {
  authorId?: number;
  before?: TrashPosition;
  limit: number;
}

/** What the purge removed of one article, for its audit entry. */
export interface PurgedArticle {
  id: number;
  title: string;
  authorId: number;
  deletedAt: number;
  deletedBy: number | null;
}

/** How the archive (稿件库) orders articles: by one of their times, newest first, then the higher id. */
export const ARCHIVE_SORTS = ['updated', 'published', 'created'] as const;
export type ArchiveSort = (typeof ARCHIVE_SORTS)[number];

/**
 * A position in an archive listing: the (time, id) of the last article seen; the next page starts strictly after it.
 * `at` null: among the articles that have no such time (never published, for the `published` sort), which come last.
 */
export interface ArchivePosition {
  at: number | null;
  id: number;
}

/** One page of the archive, or (without `sort`'s keyset) the filter alone. Every field narrows; none is required. */
export interface ArchiveQuery {
  sort: ArchiveSort;
  statuses?: readonly ArticleStatus[];
  channelIds?: readonly number[];
  authorId?: number;
  /** A reporter's view: their own articles of any status, and everyone's published ones. */
  ownOrPublishedOf?: number;
  /** On the sort's time: at or after `from`, before `to` (ms). */
  from?: number;
  to?: number;
  hasImage?: boolean;
  /** Only these articles (the matches of a keyword search). */
  ids?: readonly number[];
  /** Legacy id paging of the newsroom list: only articles with a lower id. */
  beforeId?: number;
  after?: ArchivePosition;
  limit: number;
}

/** An article of an archive page: its id and its time under the page's sort (null when it has none). */
export interface ArchiveRow {
  id: number;
  at: number | null;
}
