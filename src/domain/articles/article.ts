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
}

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
