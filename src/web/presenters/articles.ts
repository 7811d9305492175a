import type { Actor } from '../../domain/accounts/roles.ts';
import type { Article, ArticleTitle } from '../../domain/articles/article.ts';
import type { ArchiveHit } from '../../domain/articles/archive.ts';
import type { RelatedView } from '../../domain/articles/related.ts';
import type { ArticleStatus } from '../../domain/articles/status.ts';
import type { Channel } from '../../domain/channels/channel.ts';
import type { Topic } from '../../domain/topics/topic.ts';
import { articleAbilities } from '../../domain/policy.ts';
import type { Revision } from '../../domain/articles/article.ts';
import type { Presence } from '../../domain/articles/presence.ts';
import type { ReturnNote } from '../../domain/articles/returned.ts';

/** Output allowlists: what each audience may see of a record, and nothing else. */

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export const articlePath = (id: number): string => `/a/${id}`;

/** An article for the newsroom, with what the caller may do with it; `returned` is the editor's standing 退回修改 of a draft (see returnNotes). */
export function newsroomArticle(a: Article, siteUrl: string, actor: Actor, returned?: ReturnNote) {
  return {
    id: a.id,
    title: a.title,
    subtitle: a.subtitle,
    summary: a.summary,
    body: a.bodyHtml,
    channel: a.channelPath,
    source: a.source,
    byline: a.byline,
    editor: a.editor,
    tags: a.tags,
    cover: a.cover,
    status: a.status,
    publishedAt: iso(a.publishedAt),
    scheduledAt: iso(a.scheduledAt),
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
    authorId: a.authorId,
    revision: a.revision,
    hasImage: a.hasImage,
    url: siteUrl + articlePath(a.id),
    abilities: articleAbilities(actor, a),
    returned: returned ? { comment: returned.comment, at: iso(returned.at)!, by: returned.byUsername, byName: returned.byName } : null,
  };
}

/**
 * An article of an archive page: the newsroom's article without its body (a page of thirty could weigh megabytes;
 * the editor loads the one it opens), with its title escaped and the matched words marked.
 */
export function archiveItem(hit: ArchiveHit, siteUrl: string, actor: Actor, returned?: ReturnNote) {
  const { body: _body, ...article } = newsroomArticle(hit.article, siteUrl, actor, returned);
  return { ...article, titleHtml: hit.titleHtml };
}

export function feedItem(a: Article, siteUrl: string) {
  return {
    id: a.id,
    title: a.title,
    summary: a.summary,
    url: siteUrl + articlePath(a.id),
    publishedAt: iso(a.publishedAt),
  };
}

/** One item of 相关阅读; `pinned` tells an editor's choice from a computed one. */
export function relatedItem(a: ArticleTitle, pinned: boolean, siteUrl: string) {
  return { id: a.id, title: a.title, url: siteUrl + articlePath(a.id), publishedAt: iso(a.publishedAt), pinned };
}

/** 相关阅读 as readers see it, and for editors the pins and exclusions behind it. */
export function relatedOut(view: RelatedView, siteUrl: string) {
  return { items: view.items.map((i) => relatedItem(i.article, i.pinned, siteUrl)), ...view.picks };
}

export function channelOut(c: Channel) {
  return {
    id: c.id,
    slug: c.slug,
    name: c.name,
    path: c.path,
    parent: c.path.includes('/') ? c.path.slice(0, c.path.lastIndexOf('/')) : null,
    position: c.position,
    description: c.description,
  };
}

export function topicOut(t: Topic) {
  return {
    id: t.id,
    slug: t.slug,
    title: t.title,
    description: t.description,
    cover: t.cover,
    articles: t.articleIds,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

export function revisionOut(r: Revision) {
  return {
    number: r.number,
    action: r.action,
    author: r.username,
    createdAt: iso(r.createdAt),
    title: r.content.title,
    // The status the article had then, as the domain wrote it into the snapshot.
    status: r.content.status as ArticleStatus,
    note: r.note,
    content: {
      title: r.content.title,
      subtitle: r.content.subtitle,
      summary: r.content.summary,
      body: r.content.bodyHtml,
      channel: r.content.channelPath,
      source: r.content.source,
      byline: r.content.byline,
      editor: r.content.editor,
      tags: r.content.tags,
      cover: r.content.cover,
    },
  };
}

/** A home-page slot's articles in order, with when each leaves it. */
export function slotOut(items: { articleId: number; expiresAt: number | null }[]) {
  return { items: items.map((i) => ({ article: i.articleId, expiresAt: iso(i.expiresAt) })) };
}

/** Who else has an article open in the editor: names to show, never account ids. */
export function presenceOut(others: readonly Presence[]) {
  return { others: others.map((p) => ({ username: p.username, displayName: p.displayName, editing: p.editing, since: iso(p.since) as string })) };
}
