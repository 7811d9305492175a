import { publicMediaOrigin } from '../media-url.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { getArticle } from '../../domain/articles/service.ts';
import { notFound } from '../../domain/errors.ts';
import type { WebDeps } from '../context.ts';
import type { Assets } from '../assets.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { articlePageData } from '../loaders.ts';
import { ArticlePage } from '../public/pages.tsx';
import { renderPage, sendHtml } from '../public/html.ts';
import { siteViews } from '../public/view.ts';

/**
 * The preview shows a draft as readers will see it but runs none of the reader scripts: they would count a view,
 * fetch moods for an unpublished id, and nothing in a preview needs them.
 */
const PREVIEW_CSP = [
  "default-src 'self'",
  "script-src 'none'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

function Shell({
  siteName,
  siteUrl,
  timeZone,
  scriptUrl,
  styleUrl,
  mediaUrl,
}: {
  siteName: string;
  siteUrl: string;
  /** INKSTONE_MEDIA_PUBLIC_URL: the newsroom shows the library's images from there (admin/media-url.ts). */
  mediaUrl: string | undefined;
  timeZone: string;
  scriptUrl: string;
  styleUrl: string;
}) {
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>编辑部 - {siteName}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={styleUrl} />
        <script type="module" src={scriptUrl} />
      </head>
      <body data-site-name={siteName} data-site-url={siteUrl} data-time-zone={timeZone} data-media-url={mediaUrl}>
        <div id="admin-root">
          <noscript>
            <p class="noscript">编辑部后台需要启用 JavaScript。</p>
          </noscript>
        </div>
      </body>
    </html>
  );
}

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex, nofollow');

/** The newsroom at /admin: one server-rendered shell for every client route, and the reader-page preview of a draft. */
export function adminRoutes(app: FastifyInstance, deps: WebDeps, assets: Assets): void {
  const { ctx, config } = deps;
  const view = siteViews(ctx, config, assets);
  // Images on an http:// public media host (https: is allowed already) must load in the preview too.
  const mediaOrigin = publicMediaOrigin(config.mediaPublicUrl);
  const previewCsp = mediaOrigin?.startsWith('http:') ? PREVIEW_CSP.replace('img-src ', `img-src ${mediaOrigin} `) : PREVIEW_CSP;

  const shell = async (_req: unknown, reply: FastifyReply) => {
    const { adminScriptUrl, adminStyleUrl } = await assets.admin();
    noStore(reply);
    const html = renderPage(
      <Shell
        siteName={config.siteName}
        siteUrl={config.siteUrl}
        timeZone={config.timeZone}
        scriptUrl={adminScriptUrl}
        styleUrl={adminStyleUrl}
        mediaUrl={config.mediaPublicUrl}
      />,
    );
    return sendHtml(reply, 200, html, 'no-store');
  };
  app.get('/admin', shell);
  app.get('/admin/*', shell);

  // Headers first, so a refusal (401, 403, 404) is not kept or indexed either.
  const preview = { config: AUTH_REQUIRED, onRequest: async (_req: unknown, reply: FastifyReply) => void noStore(reply) };
  app.get<{ Params: { id: string } }>('/admin/preview/:id', preview, async (req, reply) => {
    if (!/^\d{1,10}$/.test(req.params.id)) throw notFound('Article');
    const article = await getArticle(ctx, req.actor, Number(req.params.id));
    const v = await view();
    // The article page as readers would see it; a preview has no next page of the feed to go to.
    const data = { ...(await articlePageData(deps, v, article, { unfold: true })), nextCursor: null, preview: true };
    reply.header('content-security-policy', previewCsp);
    // The reader script tag goes too, so the sandboxed frame has nothing to refuse (and nothing to report).
    const html = renderPage(<ArticlePage view={v} data={data} />, v).replace(`<script src="${assets.scriptUrl}" defer></script>`, '');
    return sendHtml(reply, 200, html, 'no-store');
  });
}
