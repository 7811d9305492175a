import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { Type } from 'typebox';
import type { Comment } from '../../domain/comments/comment.ts';
import { COMMENT_LIMITS, likeComment, postComment, publicComments } from '../../domain/comments/service.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { requireSameOrigin } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { articlePath } from '../presenters/articles.ts';
import { carePage } from './care.ts';
import { readerOf, setReaderCookie } from '../reader.ts';
import type { Assets } from '../assets.ts';
import { Layout, Time } from './components.tsx';
import { Markup, markupTemplate } from './markup.ts';
import { renderPage, sendHtml } from './html.ts';
import { siteViews, type SiteView } from './view.ts';

export interface CommentsView {
  items: Comment[];
  total: number;
}

/** 网友留言's title and form, a template (markup.ts): an uncached article page would otherwise render its 17 elements. */
export const commentsHead = markupTemplate(['total', 'action'], (v) => (
  <>
    <h2 id="comments-title" class="section-title">
      网友留言<span class="comments-total">（{v.total}）</span>
    </h2>
    <form method="post" action={v.action} class="comment-form" data-comment-form>
      <label class="comment-field">
        <span>昵称</span>
        <input name="nickname" maxLength={COMMENT_LIMITS.nicknameChars} placeholder="网友" autocomplete="nickname" />
      </label>
      <label class="comment-field">
        <span>留言</span>
        <textarea name="body" required maxLength={COMMENT_LIMITS.bodyChars} rows={4} placeholder="文明上网，理性发言" />
      </label>
      <div class="comment-actions">
        <span class="comment-hint">留言经审核后显示，不超过 {COMMENT_LIMITS.bodyChars} 字。</span>
        <button type="submit" class="comment-submit">
          发表留言
        </button>
      </div>
      <p class="comment-status" data-comment-status role="status" aria-live="polite" />
    </form>
  </>
));

/** 网友留言 under an article: the approved comments (plain text, escaped; links stay text) and the form to add one. */
export function Comments({ articleId, comments, view }: { articleId: number; comments: CommentsView; view: SiteView }) {
  return (
    <section class="comments" id="comments" data-comments data-article-id={String(articleId)} aria-labelledby="comments-title">
      {Markup(commentsHead({ total: String(comments.total), action: `${articlePath(articleId)}/comments` }))}
      {comments.items.length === 0 ? (
        <p class="comments-empty" data-comments-empty>
          还没有留言。
        </p>
      ) : null}
      <ol class="comment-list" data-comment-list>
        {comments.items.map((c) => (
          <CommentItem articleId={articleId} comment={c} view={view} />
        ))}
      </ol>
      {comments.total > comments.items.length ? (
        <p class="comments-more">
          <a href={`${articlePath(articleId)}/comments?before=${comments.items.at(-1)!.id}`}>查看更早的留言</a>
        </p>
      ) : null}
    </section>
  );
}

/** The older comments of an article, a page at a time (the article page shows the newest). */
function OlderComments({ view, title, articleId, items, next }: { view: SiteView; title: string; articleId: number; items: Comment[]; next: number | null }) {
  return (
    <Layout view={view} title={`网友留言：${title} - ${view.name}`}>
      <section class="comments" aria-labelledby="older-title">
        <h1 id="older-title" class="page-title">
          网友留言
        </h1>
        <p>
          <a href={`${articlePath(articleId)}#comments`}>《{title}》</a>
        </p>
        {items.length === 0 ? <p class="comments-empty">没有更早的留言了。</p> : null}
        <ol class="comment-list">
          {items.map((c) => (
            <CommentItem articleId={articleId} comment={c} view={view} />
          ))}
        </ol>
        {next !== null ? (
          <p class="comments-more">
            <a href={`${articlePath(articleId)}/comments?before=${next}`}>查看更早的留言</a>
          </p>
        ) : null}
      </section>
    </Layout>
  );
}

function CommentItem({ articleId, comment: c, view }: { articleId: number; comment: Comment; view: SiteView }) {
  return (
    <li class="comment" id={`c${c.id}`}>
      <p class="comment-meta">
        <span class="comment-nickname">{c.nickname}</span>
        <Time ms={c.createdAt} view={view} class="comment-time" />
      </p>
      <p class="comment-body">{c.body}</p>
      {c.reply !== null ? (
        <div class="comment-reply">
          <span class="comment-reply-label">官方回复</span>
          <p class="comment-body">{c.reply}</p>
        </div>
      ) : null}
      <form method="post" action={`${articlePath(articleId)}/comments/${c.id}/like`} class="comment-like-form">
        <button type="submit" class="comment-like" data-comment-like={String(c.id)} aria-pressed="false">
          赞 <span data-like-count>{c.likes}</span>
        </button>
      </form>
    </li>
  );
}

function CommentResult({ view, articleId, title, message }: { view: SiteView; articleId: number; title: string; message: string }) {
  return (
    <Layout view={view} title={`${title} - ${view.name}`}>
      <section class="error-page comment-result" aria-labelledby="result-title">
        <h1 id="result-title" class="page-title">
          {title}
        </h1>
        <p>{message}</p>
        <p>
          <a class="button-link" href={`${articlePath(articleId)}#comments`}>
            返回原文
          </a>
        </p>
      </section>
    </Layout>
  );
}

// The reader's own words for what went wrong, in Chinese (the JSON API's messages are the developers').
const REFUSALS: Partial<Record<string, string>> = {
  comment_blocked: '留言含有不允许发布的内容，请修改后再提交。',
  comment_banned: '您暂时不能在本站留言。',
  too_many_comments: '留言过于频繁，请稍后再试。',
  duplicate_comment: '相同的留言刚刚已经提交过，请勿重复提交。',
  too_many_votes: '操作过于频繁，请稍后再试。',
  too_long: `留言不能超过 ${COMMENT_LIMITS.bodyChars} 字，昵称不超过 ${COMMENT_LIMITS.nicknameChars} 字。`,
  required: '请填写留言内容。',
};

const PageParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) });
const LikeParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }), cid: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) });
const CommentForm = Type.Object(
  { nickname: Type.Optional(Type.String({ maxLength: 200 })), body: Type.Optional(Type.String({ maxLength: 4000 })) },
  { additionalProperties: false },
);
const INT4 = 2_147_483_647;

/**
 * Commenting without JavaScript: the article page's form posts here and gets a page saying what happened
 * (留言已提交，审核后显示, or why not); a like posts and lands back on the comment.
 */
export async function commentFormRoutes(app: FastifyInstance, deps: WebDeps, assets: Assets): Promise<void> {
  // A comment is ≤ 500 characters: percent-encoded UTF-8 is 9 bytes a character at most.
  await app.register(formbody, { bodyLimit: 8 * 1024 });
  const { ctx, config } = deps;
  const siteOrigin = new URL(config.siteUrl).origin;
  const view = siteViews(ctx, config, assets);
  const page = async (reply: FastifyReply, status: number, articleId: number, title: string, message: string, care: boolean) => {
    const v = await view();
    const html = renderPage(<CommentResult view={v} articleId={articleId} title={title} message={message} />, v);
    return sendHtml(reply, status, care ? carePage(html, articlePath(articleId)) : html, 'no-store');
  };
  // A form on a 关怀版 page says so (see care.ts): its answer stays in care mode.
  const inCare = (req: FastifyRequest) => (req.query as { mode?: unknown }).mode === 'care';

  typed(app).post('/a/:id/comments', { schema: { params: PageParams, body: CommentForm } }, async (req, reply) => {
    const articleId = Number(req.params.id);
    if (articleId > INT4) throw notFound('Article');
    requireSameOrigin(req, siteOrigin);
    try {
      const posted = await postComment(ctx, {
        articleId,
        nickname: req.body.nickname,
        body: req.body.body ?? '',
        readerId: readerOf(req, config),
        address: req.ip,
      });
      if (posted.newReader) setReaderCookie(reply, config, posted.readerId);
      return posted.comment.status === 'approved'
        ? page(reply, 200, articleId, '留言已发布', '感谢您的留言，它已显示在文章下方（页面可能需要片刻更新）。', inCare(req))
        : page(reply, 200, articleId, '留言已提交，审核后显示', '感谢您的留言。编辑审核通过后，留言会显示在文章下方。', inCare(req));
    } catch (err) {
      // Refusals the reader can act on get their own page; anything else (an article gone) the site's error page.
      if (err instanceof DomainError && REFUSALS[err.code] && err.kind !== 'not_found') {
        if (err.retryAfter) reply.header('retry-after', String(err.retryAfter));
        const status = err.kind === 'throttled' ? 429 : err.kind === 'forbidden' ? 403 : err.kind === 'conflict' ? 409 : 400;
        return page(reply, status, articleId, '留言未能提交', REFUSALS[err.code]!, inCare(req));
      }
      throw err;
    }
  });

  // Older comments, a page at a time: public, briefly cached by browsers and CDNs (not in the page cache, whose keys
  // do not know `before`).
  typed(app).get(
    '/a/:id/comments',
    { schema: { params: PageParams, querystring: Type.Object({ before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,9}$' })) }) } },
    async (req, reply) => {
      const articleId = Number(req.params.id);
      const before = req.query.before === undefined ? undefined : Number(req.query.before);
      if (articleId > INT4 || (before !== undefined && before > INT4)) throw notFound('Article');
      const article = await ctx.store.comments.articleOf(articleId);
      if (article?.status !== 'published') throw notFound('Article');
      const { items } = await publicComments(ctx, articleId, { before, limit: COMMENT_LIMITS.page });
      const next = items.length === COMMENT_LIMITS.page ? items.at(-1)!.id : null;
      const v = await view();
      return sendHtml(
        reply,
        200,
        renderPage(<OlderComments view={v} title={article.title} articleId={articleId} items={items} next={next} />, v),
        'public, max-age=60',
      );
    },
  );

  typed(app).post('/a/:id/comments/:cid/like', { schema: { params: LikeParams } }, async (req, reply) => {
    const articleId = Number(req.params.id);
    const commentId = Number(req.params.cid);
    if (articleId > INT4 || commentId > INT4) throw notFound('Comment');
    requireSameOrigin(req, siteOrigin);
    const like = await likeComment(ctx, { commentId, readerId: readerOf(req, config), address: req.ip });
    if (like.newReader) setReaderCookie(reply, config, like.readerId);
    return reply
      .code(303)
      .header('cache-control', 'no-store')
      .redirect(`${inCare(req) ? '/care' : ''}${articlePath(articleId)}#c${commentId}`);
  });
}
