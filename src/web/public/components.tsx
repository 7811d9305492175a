import type { ComponentChildren, JSX } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Article } from '../../domain/articles/article.ts';
import type { Channel } from '../../domain/channels/channel.ts';
import { articlePath } from '../presenters/articles.ts';
import { formatTime, isoWithOffset, listTime } from './format.ts';
import { Markup, markupTemplate, markupVariants } from './markup.ts';
import { ScriptAlternates, ScriptSwitch, scriptPaths } from './hant.tsx';
import { jsonForHtml, type SiteView } from './view.ts';

/** The site path of a page from its canonical URL (the home page when it has none). */
export const pagePath = (view: SiteView, canonical: string | undefined): string =>
  canonical?.startsWith(view.url) ? canonical.slice(view.url.length) || '/' : '/';

export function Time({ ms, view, class: cls }: { ms: number; view: SiteView; class?: string }) {
  return (
    <time class={cls} datetime={isoWithOffset(ms, view.timeZone)}>
      {formatTime(ms, view.timeZone)}
    </time>
  );
}

/** A time in a list: short (see shortTime), the full time in its title and datetime; the script makes it relative. */
export function ListTime({ ms, view, class: cls }: { ms: number; view: SiteView; class?: string }) {
  return <ListTimeOf t={listTime(ms, view.timeZone)} class={cls} />;
}

/** ListTime's markup for a time's three forms (listTime), which the list templates fill. */
function ListTimeOf({ t, class: cls }: { t: { iso: string; full: string; short: string }; class?: string }) {
  return (
    <time class={cls} datetime={t.iso} title={t.full} data-relative>
      {t.short}
    </time>
  );
}

const jsonLdMarkup = markupTemplate(['json'], (v) => <script type="application/ld+json" dangerouslySetInnerHTML={{ __html: v.json }} />, { raw: ['json'] });

/** Structured data for search engines, as markup (jsonForHtml: nothing in it can close the element). */
export const jsonLdHtml = (data: unknown): string => jsonLdMarkup({ json: jsonForHtml(data) });

export function JsonLd({ data }: { data: unknown }) {
  return Markup(jsonLdHtml(data));
}

interface LayoutProps {
  view: SiteView;
  title: string;
  description?: string;
  canonical?: string;
  head?: ComponentChildren;
  bodyAttrs?: JSX.HTMLAttributes<HTMLBodyElement> & Record<string, string | undefined>;
  current?: string;
  children: ComponentChildren;
}

/**
 * The channel bar, the same on every page of a channel: its markup made once per list of channels (siteViews keeps one
 * for a while) and current channel, as the feed's items are (an uncached page renders about 170 elements, 1 µs each).
 */
const channelBars = new WeakMap<Channel[], Map<string | undefined, string>>();

function channelBar(channels: Channel[], current: string | undefined): string {
  let byCurrent = channelBars.get(channels);
  if (!byCurrent) {
    byCurrent = new Map();
    channelBars.set(channels, byCurrent);
  }
  let html = byCurrent.get(current);
  if (html === undefined) {
    const top = channels.filter((c) => c.parentId === null);
    html = renderToString(
      <ul>
        <li>
          <a href="/" aria-current={current === '' ? 'page' : undefined}>
            首页
          </a>
        </li>
        {top.map((c) => (
          <li>
            <a href={`/c/${c.path}`} aria-current={current === c.path ? 'page' : undefined}>
              {c.name}
            </a>
          </li>
        ))}
      </ul>,
    );
    byCurrent.set(current, html);
  }
  return html;
}

const siteFooters = new Map<string, string>();

function siteFooter(siteName: string): string {
  let html = siteFooters.get(siteName);
  if (html === undefined) {
    html = renderToString(
      <>
        <nav aria-label="页脚">
          <a href="/">首页</a> · <a href="/feed.xml">RSS 订阅</a> · <a href="/sitemap.xml">网站地图</a>
        </nav>
        <p>© {siteName} · 由 Inkstone（砚）驱动 · 未经授权不得转载</p>
      </>,
    );
    siteFooters.set(siteName, html);
  }
  return html;
}

type HeadKey = 'title' | 'description' | 'canonical' | 'hans' | 'hant' | 'style' | 'print' | 'script' | 'feeds';
const HEAD_KEYS: readonly HeadKey[] = ['title', 'description', 'canonical', 'hans', 'hant', 'style', 'print', 'script', 'feeds'];

/** The head's common part, a template (markup.ts) for each combination of a description and a canonical address. */
export const headMarkup = markupVariants(
  (withDescription: boolean, withCanonical: boolean) =>
    HEAD_KEYS.filter((k) => (k !== 'description' || withDescription) && (!['canonical', 'hans', 'hant'].includes(k) || withCanonical)),
  (v, withDescription, withCanonical) => (
    <>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{v.title}</title>
      {withDescription ? <meta name="description" content={v.description} /> : null}
      {withCanonical ? <link rel="canonical" href={v.canonical} /> : null}
      {withCanonical ? <ScriptAlternates hans={v.hans} hant={v.hant} /> : null}
      <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
      <link rel="stylesheet" href={v.style} />
      <link rel="stylesheet" href={v.print} media="print" />
      <link rel="alternate" type="application/rss+xml" title={v.feeds} href="/feed.xml" />
      <link rel="alternate" type="application/feed+json" title={v.feeds} href="/feed.json" />
      <link rel="alternate" type="application/atom+xml" title={v.feeds} href="/feed.atom" />
      <script src={v.script} defer />
    </>
  ),
);

/** The skip link and the site header, a template (markup.ts): the site's name, this page's 简/繁 and 关怀版 links, the channel bar. */
export const headerMarkup = markupTemplate(
  ['name', 'hans', 'hant', 'care', 'channels'],
  (v) => (
    <>
      <a class="skip-link" href="#main">
        跳到正文
      </a>
      <header class="site-header">
        <div class="site-header-inner">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true">
              砚
            </span>
            {v.name}
          </a>
          {/* biome-ignore lint/a11y/useSemanticElements: <search> is too new for the WeChat and older phone browsers we serve */}
          <form class="site-search" role="search" action="/search" method="get">
            <label for="site-search-q" class="visually-hidden">
              搜索新闻
            </label>
            <input id="site-search-q" type="search" name="q" placeholder="搜索新闻" maxLength={100} enterKeyHint="search" />
            <button type="submit">搜索</button>
          </form>
          <div class="tools">
            <ScriptSwitch hans={v.hans} hant={v.hant} />
            {/* 关怀版: a plain link that remembers the choice (a cookie) and opens this page's care version. */}
            <a class="care-switch" href={v.care} data-care-switch="on">
              关怀版
            </a>
            {/* Hidden until the script runs: without it the button could do nothing. */}
            <button type="button" class="tool-font" data-font-toggle hidden>
              A<span>字号</span>
              <span class="visually-hidden" data-font-state>
                ：标准
              </span>
            </button>
          </div>
        </div>
        <nav class="channel-nav" aria-label="频道">
          {Markup(v.channels)}
        </nav>
      </header>
    </>
  ),
  { raw: ['channels'] },
);

export function Layout({ view, title, description, canonical, head, bodyAttrs, current, children }: LayoutProps) {
  const path = pagePath(view, canonical);
  const { hans, hant } = scriptPaths(path);
  const common = headMarkup(
    Boolean(description),
    Boolean(canonical),
  )({
    title,
    description: description ?? '',
    canonical: canonical ?? '',
    hans: view.url + hans,
    hant: view.url + hant,
    style: view.assets.styleUrl,
    print: view.assets.printStyleUrl,
    script: view.assets.scriptUrl,
    feeds: `${view.name} - 最新`,
  });
  const header = headerMarkup({ name: view.name, hans, hant, care: `/care/on?to=${encodeURIComponent(path)}`, channels: channelBar(view.channels, current) });
  return (
    <html lang="zh-CN" data-timezone={view.timeZone}>
      <head>
        {Markup(common)}
        {head}
      </head>
      <body {...bodyAttrs}>
        {Markup(header)}
        <main id="main" tabIndex={-1}>
          {children}
        </main>
        <footer class="site-footer" dangerouslySetInnerHTML={{ __html: siteFooter(view.name) }} />
      </body>
    </html>
  );
}

export interface Crumb {
  name: string;
  href?: string;
}

export function Breadcrumbs({ crumbs, view }: { crumbs: Crumb[]; view: SiteView }) {
  const linked = crumbs.filter((c) => c.href);
  return (
    <>
      <nav class="breadcrumbs" aria-label="当前位置">
        <ol>
          {crumbs.map((c, i) => (
            <li>
              {c.href ? <a href={c.href}>{c.name}</a> : <span aria-current="page">{c.name}</span>}
              {i < crumbs.length - 1 ? (
                <span class="crumb-sep" aria-hidden="true">
                  ›
                </span>
              ) : null}
            </li>
          ))}
        </ol>
      </nav>
      <JsonLd
        data={{
          '@context': 'https://schema.org',
          '@type': 'BreadcrumbList',
          itemListElement: linked.map((c, i) => ({ '@type': 'ListItem', position: i + 1, name: c.name, item: view.url + c.href })),
        }}
      />
    </>
  );
}

/**
 * The markup of a list item, rendered once per article object and time zone: the latest articles are read once per
 * change (the front feed's memo) and listed under every article page, so an uncached render reuses their markup.
 */
const feedItems = new WeakMap<Article, { timeZone: string; html: string }>();

function feedItemHtml(article: Article, view: SiteView): string {
  let done = feedItems.get(article);
  if (done?.timeZone !== view.timeZone) {
    done = { timeZone: view.timeZone, html: renderToString(<FeedItem article={article} view={view} />) };
    feedItems.set(article, done);
  }
  return done.html;
}

/**
 * The last list's markup: under every article the front feed's memo hands out the same article objects (a new array
 * each time), so the items are joined once per change of that list, not on every page (~15 µs of an uncached page).
 */
let lastList: { articles: readonly Article[]; timeZone: string; html: string } | undefined;

function feedListHtml(articles: readonly Article[], view: SiteView): string {
  const last = lastList;
  if (last?.timeZone === view.timeZone && last.articles.length === articles.length && last.articles.every((a, i) => a === articles[i])) return last.html;
  const html = articles.map((a) => feedItemHtml(a, view)).join('');
  lastList = { articles: [...articles], timeZone: view.timeZone, html };
  return html;
}

/** A list of articles with their summaries and times (the feed, a topic's articles); 加载更多 appends to an `appendable` one. */
export function FeedList({ articles, view, appendable }: { articles: Article[]; view: SiteView; appendable?: boolean }) {
  return <ul class="feed-list" data-feed-list={appendable ? '' : undefined} dangerouslySetInnerHTML={{ __html: feedListHtml(articles, view) }} />;
}

function FeedItem({ article, view }: { article: Article; view: SiteView }) {
  return (
    <li class="feed-item" data-id={String(article.id)}>
      <a class="feed-link" href={articlePath(article.id)}>
        <h3 class="feed-title">{article.title}</h3>
        {article.summary ? <p class="feed-summary">{article.summary}</p> : null}
      </a>
      <ListTime ms={article.publishedAt!} view={view} class="feed-time" />
    </li>
  );
}

interface FeedSectionProps {
  view: SiteView;
  title: string;
  articles: Article[];
  nextCursor: string | null;
  /** Where the no-JS "load more" link goes: this page with ?cursor=. */
  pagePath: string;
  channelPath?: string;
}

export function FeedSection({ view, title, articles, nextCursor, pagePath, channelPath }: FeedSectionProps) {
  return (
    <section class="feed" id="feed" data-feed data-feed-channel={channelPath ?? ''} aria-labelledby="feed-title">
      <h2 id="feed-title" class="section-title">
        {title}
      </h2>
      <FeedList articles={articles} view={view} appendable />
      {nextCursor ? (
        <a class="load-more" data-load-more data-cursor={nextCursor} href={`${pagePath}?cursor=${encodeURIComponent(nextCursor)}#feed`}>
          加载更多
        </a>
      ) : (
        <p class="feed-end">没有更多了</p>
      )}
    </section>
  );
}

/** What a list of links prints of each article. */
type Linked = Pick<Article, 'id' | 'title' | 'publishedAt'>;

/**
 * A linked title with its count (rankings), its time, or neither, a template (markup.ts): an uncached article page's
 * related list is its largest run of elements (up to 16 items, three elements and five attributes each).
 */
const titleItem = markupVariants(
  (withCount: boolean, withTime: boolean) =>
    (['href', 'title', 'count', 'iso', 'full', 'short'] as const).filter(
      (k) => (k !== 'count' || withCount) && (!['iso', 'full', 'short'].includes(k) || withTime),
    ),
  (v, withCount, withTime) => (
    <li>
      <a href={v.href}>{v.title}</a>
      {withCount ? <span class="rank-count">{v.count}</span> : withTime ? <ListTimeOf t={v} class="list-time" /> : null}
    </li>
  ),
);

/** Titles linked, each with its count (rankings) or time. */
export function TitleList({ articles, numbered, view, counts }: { articles: readonly Linked[]; numbered?: boolean; view?: SiteView; counts?: number[] }) {
  const Tag = numbered ? 'ol' : 'ul';
  let html = '';
  for (let i = 0; i < articles.length; i++) {
    const a = articles[i]!;
    // A value a variant does not print is still passed, so each variant takes the same keys.
    const time = !counts && view && a.publishedAt ? listTime(a.publishedAt, view.timeZone) : undefined;
    html += titleItem(
      counts !== undefined,
      time !== undefined,
    )({
      href: articlePath(a.id),
      title: a.title,
      count: counts ? String(counts[i] ?? '') : '',
      ...(time ?? { iso: '', full: '', short: '' }),
    });
  }
  return <Tag class={numbered ? 'title-list numbered' : 'title-list'} dangerouslySetInnerHTML={{ __html: html }} />;
}

export interface MoodView {
  key: string;
  label: string;
  count: number;
}

/** A mood button, a template (markup.ts): every article page prints eight, three elements and eight attributes each. */
const moodButton = markupTemplate(['key', 'label', 'count'], (v) => (
  <button type="submit" name="mood" value={v.key} data-mood={v.key} aria-pressed="false" class={`mood mood-${v.key}`}>
    <span class="mood-label">{v.label}</span>
    <span class="mood-count" data-mood-count>
      {v.count}
    </span>
  </button>
));

export function Moods({ articleId, moods }: { articleId: number; moods: MoodView[] }) {
  return (
    <section class="moods" id="moods" data-moods data-article-id={String(articleId)} aria-labelledby="moods-title">
      <h2 id="moods-title" class="section-title">
        您此时的心情
      </h2>
      <form
        method="post"
        action={`/a/${articleId}/mood`}
        class="moods-form"
        dangerouslySetInnerHTML={{ __html: moods.map((m) => moodButton({ key: m.key, label: m.label, count: String(m.count) })).join('') }}
      />
      <p class="moods-status" data-moods-status role="status" aria-live="polite" />
    </section>
  );
}

/** 分享: the article's share box and the WeChat guide, a template (markup.ts) filled with each article's values. */
export const shareMarkup = markupTemplate(['url', 'title', 'text', 'id'], (v) => (
  <>
    <div class="share" data-share data-share-url={v.url} data-share-title={v.title} data-share-text={v.text}>
      {/* A link to the share page (link and QR code) without JavaScript; the script shares in place instead. */}
      <a class="share-button" href={`/a/${v.id}/share`} data-share-button>
        分享
      </a>
      <a class="share-link" href={v.url}>
        复制链接
      </a>
      <a class="share-link" href={`/a/${v.id}/poster.png`} download={`poster-${v.id}.png`}>
        分享海报
      </a>
      <p class="share-status" data-share-status role="status" aria-live="polite" />
      <figure class="share-qr" data-share-qr hidden>
        <img data-src={`/a/${v.id}/qr.svg`} alt="用手机扫码阅读本文" width={132} height={132} />
        <figcaption>微信扫一扫，分享给朋友</figcaption>
      </figure>
    </div>
    <div class="wechat-guide" data-wechat-guide hidden role="dialog" aria-modal="true" aria-label="分享提示">
      <p class="wechat-guide-arrow">点击右上角 ···</p>
      <p>发送给朋友 或 分享到朋友圈</p>
      <button type="button" data-wechat-guide-close>
        知道了
      </button>
    </div>
  </>
));

export function Share({ url, title, text, articleId }: { url: string; title: string; text: string; articleId: number }) {
  return Markup(shareMarkup({ url, title, text, id: String(articleId) }));
}

export interface RankingView {
  key: string;
  label: string;
  articles: Article[];
  counts: number[];
}

export function Rankings({ title, id, rankings }: { title: string; id: string; rankings: RankingView[] }) {
  const shown = rankings.filter((r) => r.articles.length > 0);
  if (shown.length === 0) return null;
  return (
    <section class="rankings" aria-labelledby={id}>
      <h2 id={id} class="section-title">
        {title}
      </h2>
      {shown.map((r) => (
        <div class="ranking">
          <h3 class="ranking-title">{r.label}</h3>
          <TitleList articles={r.articles} numbered counts={r.counts} />
        </div>
      ))}
    </section>
  );
}
