import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';

export interface SiteInfo {
  name: string;
  url: string;
}

interface LayoutProps {
  site: SiteInfo;
  title: string;
  description?: string;
  canonical?: string;
  children: ComponentChildren;
}

export function Layout({ site, title, description, canonical, children }: LayoutProps) {
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        {description ? <meta name="description" content={description} /> : null}
        {canonical ? <link rel="canonical" href={canonical} /> : null}
        <link rel="stylesheet" href="/static/site.css" />
      </head>
      <body>
        <header class="site-header">
          <a class="brand" href="/">
            {site.name}
          </a>
        </header>
        <main id="main">{children}</main>
        <footer class="site-footer">
          <p>© {site.name} · 由 Inkstone（砚）驱动</p>
        </footer>
      </body>
    </html>
  );
}

export function renderPage(node: preact.VNode): string {
  return '<!doctype html>' + renderToString(node);
}
