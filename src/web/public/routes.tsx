import type { FastifyInstance, FastifyReply } from 'fastify';
import type { WebDeps } from '../api/context.ts';
import { ArticlePage, ErrorPage, HomePage } from './pages.tsx';
import { renderPage, type SiteInfo } from './layout.tsx';

export function sendHtml(reply: FastifyReply, status: number, html: string, cache = 'public, max-age=60'): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', cache).send(html);
}

export function errorHtml(site: SiteInfo, status: number): string {
  const [title, message] =
    status === 404
      ? ['页面不存在', '您访问的页面不存在或已被移除。']
      : status === 410
        ? ['稿件已撤下', '这篇稿件已被编辑部撤下。']
        : status < 500
          ? ['请求有误', '请检查链接后重试。']
          : ['服务暂时不可用', '请稍后再试。'];
  return renderPage(<ErrorPage site={site} status={status} title={title} message={message} />);
}

/** The reader site: server-rendered pages with no per-reader data, so they cache whole. */
export function publicRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const site: SiteInfo = { name: config.siteName, url: config.siteUrl };
  const timeZone = config.timeZone;

  app.get('/', async (_req, reply) => {
    const articles = await ctx.store.articles.listPublished({ limit: 40 });
    return sendHtml(reply, 200, renderPage(<HomePage site={site} timeZone={timeZone} articles={articles} />));
  });

  app.get<{ Params: { id: string } }>('/a/:id', async (req, reply) => {
    const id = /^\d{1,10}$/.test(req.params.id) ? Number(req.params.id) : NaN;
    const article = Number.isSafeInteger(id) ? await ctx.store.articles.findById(id) : undefined;
    if (!article || article.status === 'draft' || article.status === 'submitted' || article.status === 'scheduled') {
      return sendHtml(reply, 404, errorHtml(site, 404), 'public, max-age=30');
    }
    if (article.status === 'unpublished') return sendHtml(reply, 410, errorHtml(site, 410), 'public, max-age=30');
    return sendHtml(reply, 200, renderPage(<ArticlePage site={site} timeZone={timeZone} article={article} />));
  });
}
