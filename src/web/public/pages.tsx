import type { Article } from '../../domain/articles/article.ts';
import { articlePath } from '../presenters/articles.ts';
import { formatTime, isoWithOffset } from './format.ts';
import { Layout, type SiteInfo } from './layout.tsx';

interface PageBase {
  site: SiteInfo;
  timeZone: string;
}

export function HomePage({ site, timeZone, articles }: PageBase & { articles: Article[] }) {
  return (
    <Layout site={site} title={`${site.name} - 首页`} canonical={`${site.url}/`}>
      <h1 class="visually-hidden">{site.name}</h1>
      <section aria-labelledby="latest">
        <h2 id="latest">最新</h2>
        <ul class="article-list">
          {articles.map((a) => (
            <li>
              <a href={articlePath(a.id)}>{a.title}</a>
              {a.summary ? <p>{a.summary}</p> : null}
              <time datetime={isoWithOffset(a.publishedAt!, timeZone)}>{formatTime(a.publishedAt!, timeZone)}</time>
            </li>
          ))}
        </ul>
      </section>
    </Layout>
  );
}

export function ArticlePage({ site, timeZone, article }: PageBase & { article: Article }) {
  return (
    <Layout site={site} title={`${article.title} - ${site.name}`} description={article.summary} canonical={site.url + articlePath(article.id)}>
      <article class="article">
        <h1>{article.title}</h1>
        {article.subtitle ? <p class="subtitle">{article.subtitle}</p> : null}
        <p class="meta">
          {article.source ? <span>来源：{article.source}</span> : null}{' '}
          <time datetime={isoWithOffset(article.publishedAt!, timeZone)}>{formatTime(article.publishedAt!, timeZone)}</time>
        </p>
        {/* Bodies are sanitized against the allowlist on every write, so they are safe to embed. */}
        <div class="article-body" dangerouslySetInnerHTML={{ __html: article.bodyHtml }} />
        {article.byline ? <p class="byline">{article.byline}</p> : null}
        {article.editor ? <p class="editor">[ 责编：{article.editor} ]</p> : null}
      </article>
    </Layout>
  );
}

export function ErrorPage({ site, status, title, message }: { site: SiteInfo; status: number; title: string; message: string }) {
  return (
    <Layout site={site} title={`${title} - ${site.name}`}>
      <section class="error-page">
        <h1>{title}</h1>
        <p>{message}</p>
        <p>
          <a href="/">返回首页</a>
        </p>
        <p class="status">HTTP {status}</p>
      </section>
    </Layout>
  );
}
