import { renderToString } from 'preact-render-to-string';
import type { Article, ArticleTitle } from '../../domain/articles/article.ts';
import { LiveSection, type LiveView } from './live.tsx';
import { countReadingUnits } from '../../domain/articles/html.ts';
import { lineage, type Channel } from '../../domain/channels/channel.ts';
import type { MediaIndex } from '../../domain/media/responsive.ts';
import type { Topic } from '../../domain/topics/topic.ts';
import { articlePath } from '../presenters/articles.ts';
import { Comments, type CommentsView } from './comments.tsx';
import {
  Breadcrumbs,
  FeedList,
  FeedSection,
  jsonLdHtml,
  Layout,
  Moods,
  Rankings,
  Share,
  Time,
  TitleList,
  type MoodView,
  type RankingView,
} from './components.tsx';
import { formatTime, isoWithOffset } from './format.ts';
import { Markup, markupTemplate, markupVariants } from './markup.ts';
import { Picture, SIZES } from './picture.tsx';
import type { PollView } from '../../domain/polls/service.ts';
import { PollBlock, type ShownPolls } from './polls.tsx';
import { absolute, type SiteView } from './view.ts';

/** Bodies longer than this (in characters of text) render folded behind 阅读剩余全文 when scripts run. */
export const FOLD_THRESHOLD = 1500;
/** Chinese readers read roughly this many characters a minute. */
const CHARS_PER_MINUTE = 400;

export interface Sidebar {
  mostRead: RankingView[];
  moodRankings: RankingView[];
}

/** The rankings beside every page, rendered once per computation of them (see loadSidebar: one per 30 s or change). */
const sideColumns = new WeakMap<Sidebar, string>();

function SideColumn({ sidebar }: { sidebar: Sidebar }) {
  let html = sideColumns.get(sidebar);
  if (html === undefined) {
    html = renderToString(
      <>
        <Rankings title="最多阅读" id="most-read" rankings={sidebar.mostRead} />
        <Rankings title="新闻表情排行" id="mood-rankings" rankings={sidebar.moodRankings} />
      </>,
    );
    sideColumns.set(sidebar, html);
  }
  return <aside class="side-col" aria-label="排行" dangerouslySetInnerHTML={{ __html: html }} />;
}

export function channelCrumbs(view: SiteView, channel: Channel) {
  return lineage(view.channels, channel).map((c) => ({ name: c.name, href: `/c/${c.path}` }));
}

/** An article's breadcrumbs (首页 › its channels › 正文) with their JSON-LD, made once per list of channels and channel. */
const articleCrumbsByChannels = new WeakMap<Channel[], Map<string, string>>();

function articleCrumbs(view: SiteView, channel: Channel): string {
  let byChannel = articleCrumbsByChannels.get(view.channels);
  if (!byChannel) {
    byChannel = new Map();
    articleCrumbsByChannels.set(view.channels, byChannel);
  }
  // A channel younger than the list is read on its own (articlePageData): its name is part of the key.
  const key = `${channel.id} ${channel.path} ${channel.name}`;
  let html = byChannel.get(key);
  if (html === undefined) {
    html = renderToString(<Breadcrumbs crumbs={[{ name: '首页', href: '/' }, ...channelCrumbs(view, channel), { name: '正文' }]} view={view} />);
    byChannel.set(key, html);
  }
  return html;
}

export interface HomeData {
  focus: Article[];
  headlines: Article[];
  channelBlocks: { channel: Channel; articles: Article[] }[];
  topics: (Topic & { coverAlt: string })[];
  feed: Article[];
  nextCursor: string | null;
  sidebar: Sidebar;
  /** Our uploads among the covers, so they get srcset. */
  media?: MediaIndex;
}

export function HomePage({ view, data }: { view: SiteView; data: HomeData }) {
  return (
    <Layout
      view={view}
      title={`${view.name} - 权威新闻 及时发布`}
      description={`${view.name}：要闻、地方、科技、财经、文化、体育与国际新闻。`}
      canonical={`${view.url}/`}
      current=""
    >
      <h1 class="visually-hidden">{view.name}</h1>
      <div class="home-top">
        {data.focus.length > 0 ? (
          <section class="carousel" data-carousel aria-roledescription="carousel" aria-label="视觉焦点">
            <h2 class="visually-hidden">视觉焦点</h2>
            <ul class="carousel-track" data-carousel-track>
              {data.focus.map((a, i) => (
                <li class="carousel-slide" aria-roledescription="slide" aria-label={`${i + 1} / ${data.focus.length}`}>
                  <a href={articlePath(a.id)}>
                    <Picture
                      src={a.cover}
                      media={data.media}
                      sizes={SIZES.carousel}
                      alt={a.title}
                      width={960}
                      height={540}
                      loading={i === 0 ? 'eager' : 'lazy'}
                      decoding="async"
                    />
                    <span class="carousel-caption">{a.title}</span>
                  </a>
                </li>
              ))}
            </ul>
            <div class="carousel-controls" data-carousel-controls hidden>
              <button type="button" data-carousel-prev aria-label="上一张">
                ‹
              </button>
              <span class="carousel-dots" data-carousel-dots />
              <button type="button" data-carousel-next aria-label="下一张">
                ›
              </button>
            </div>
          </section>
        ) : null}
        {data.headlines.length > 0 ? (
          <section class="headlines" aria-labelledby="headlines-title">
            <h2 id="headlines-title" class="section-title">
              要闻
            </h2>
            {data.headlines.map((a) => (
              <article class="headline">
                <h3>
                  <a href={articlePath(a.id)}>{a.title}</a>
                </h3>
                {a.summary ? <p>{a.summary}</p> : null}
              </article>
            ))}
          </section>
        ) : null}
      </div>
      <div class="page-grid">
        <div class="main-col">
          <div class="channel-blocks">
            {data.channelBlocks.map(({ channel, articles }) => (
              <section class="channel-block" aria-labelledby={`block-${channel.slug}`}>
                <h2 id={`block-${channel.slug}`} class="section-title">
                  <a href={`/c/${channel.path}`}>{channel.name}</a>
                </h2>
                <TitleList articles={articles} view={view} />
              </section>
            ))}
          </div>
          <FeedSection view={view} title="推荐阅读" articles={data.feed} nextCursor={data.nextCursor} pagePath="/" />
        </div>
        <div class="side-stack">
          {data.topics.length > 0 ? (
            <section class="topics" aria-labelledby="topics-title">
              <h2 id="topics-title" class="section-title">
                独家策划
              </h2>
              <ul class="topic-cards">
                {data.topics.map((t) => (
                  <li class="topic-card">
                    <a href={`/t/${t.slug}`}>
                      {t.cover ? (
                        <Picture
                          src={t.cover}
                          media={data.media}
                          sizes={SIZES.topicCard}
                          alt={t.coverAlt}
                          width={960}
                          height={540}
                          loading="lazy"
                          decoding="async"
                        />
                      ) : null}
                      <span class="topic-card-title">{t.title}</span>
                    </a>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          <SideColumn sidebar={data.sidebar} />
        </div>
      </div>
    </Layout>
  );
}

export interface ArticleData {
  article: Article;
  channel: Channel;
  related: ArticleTitle[];
  feed: Article[];
  nextCursor: string | null;
  moods: MoodView[];
  /** The polls the body embeds (already rendered into it) and their surrogate keys, which go on the page; it holds until `until`. */
  polls: ShownPolls;
  /** Approved comments (留言), newest first. */
  comments: CommentsView;
  sidebar: Sidebar;
  unfold: boolean;
  authorName: string;
  /** The newsroom's preview: marked as such, and an article not published yet shows no publication time. */
  preview?: boolean;
  /** When the article is a live (图文直播): its status and entries. */
  live?: LiveView;
}

type ArticleHeadKey = 'name' | 'title' | 'summary' | 'url' | 'image' | 'published' | 'modified' | 'section' | 'tags' | 'jsonLd';
const ARTICLE_HEAD_KEYS: readonly ArticleHeadKey[] = ['name', 'title', 'summary', 'url', 'published', 'modified', 'section', 'tags', 'jsonLd'];

/** An article's meta tags, a template (markup.ts) with a cover image and one without; tags and JSON-LD come made. */
export const articleHead = markupVariants(
  (withImage: boolean): readonly ArticleHeadKey[] => (withImage ? [...ARTICLE_HEAD_KEYS, 'image'] : ARTICLE_HEAD_KEYS),
  (v, withImage) => (
    <>
      <meta property="og:type" content="article" />
      <meta property="og:site_name" content={v.name} />
      <meta property="og:title" content={v.title} />
      <meta property="og:description" content={v.summary} />
      <meta property="og:url" content={v.url} />
      {withImage ? <meta property="og:image" content={v.image} /> : null}
      <meta property="og:locale" content="zh_CN" />
      <meta property="article:published_time" content={v.published} />
      <meta property="article:modified_time" content={v.modified} />
      <meta property="article:section" content={v.section} />
      {Markup(v.tags)}
      <meta name="twitter:card" content={withImage ? 'summary_large_image' : 'summary'} />
      {Markup(v.jsonLd)}
    </>
  ),
  { raw: ['tags', 'jsonLd'] },
);

export const articleTagMeta = markupTemplate(['tag'], (v) => <meta property="article:tag" content={v.tag} />);

type ArticleHeaderKey = 'title' | 'subtitle' | 'source' | 'iso' | 'time' | 'minutes';

/**
 * The article's header as a reader sees it, a template (markup.ts) for each combination of a subtitle and a source;
 * the newsroom's preview renders ArticleHeader itself, with its banner.
 */
export const articleHeader = markupVariants(
  (withSubtitle: boolean, withSource: boolean) =>
    (['title', 'subtitle', 'source', 'iso', 'time', 'minutes'] as const).filter((k) => (k !== 'subtitle' || withSubtitle) && (k !== 'source' || withSource)),
  (v, withSubtitle, withSource) => <ArticleHeader v={v} subtitle={withSubtitle} source={withSource} />,
);

/** See articleHeader; `preview` is the newsroom's banner, `time` false for an article not yet published. */
function ArticleHeader({
  v,
  subtitle,
  source,
  preview,
  time = true,
}: {
  v: Readonly<Record<ArticleHeaderKey, string>>;
  subtitle: boolean;
  source: boolean;
  preview?: { article: Article; view: SiteView };
  time?: boolean;
}) {
  return (
    <header class="article-header">
      {preview ? <PreviewBanner article={preview.article} view={preview.view} /> : null}
      <h1 data-article-title>{v.title}</h1>
      {subtitle ? <p class="subtitle">{v.subtitle}</p> : null}
      <ReadAloud />
      <p class="article-meta">
        {source ? <span class="source">来源：{v.source}</span> : null}
        {time ? (
          <time class="published" datetime={v.iso}>
            {v.time}
          </time>
        ) : null}
        <span class="reading-time">阅读约 {v.minutes} 分钟</span>
      </p>
    </header>
  );
}

/**
 * The article page. Its parts that read arrays of varying length (the tags, the related list) are functions of their
 * own: components (called through Preact, never inlined) and the head's markup (a function V8 compiles apart). The
 * page's function is large, and V8 compiled it again (~200 ms of a helper thread, at a million articles) whenever one of
 * its optimized reads met an array of a kind it had not seen (an article without tags, a related list read another
 * way); in a small function such a deoptimization costs a small recompile (docs/ARCHITECTURE.md).
 */
export function ArticlePage({ view, data }: { view: SiteView; data: ArticleData }) {
  const { article: a, channel } = data;
  const url = view.url + articlePath(a.id);
  const minutes = Math.max(1, Math.round(countReadingUnits(a.bodyText) / CHARS_PER_MINUTE));
  const foldable = !data.unfold && a.bodyText.length > FOLD_THRESHOLD;
  const published = isoWithOffset(a.publishedAt!, view.timeZone);
  const header = {
    title: a.title,
    subtitle: a.subtitle,
    source: a.source,
    iso: published,
    time: formatTime(a.publishedAt!, view.timeZone),
    minutes: String(minutes),
  };
  return (
    <Layout
      view={view}
      title={`${a.title} - ${channel.name} - ${view.name}`}
      description={a.summary}
      canonical={url}
      head={Markup(articlePageHead(view, data, url, published))}
      bodyAttrs={{ 'data-article-id': String(a.id) }}
      current={channel.path.split('/')[0]}
    >
      <div class="reading-bar" data-reading-bar hidden>
        <span class="reading-bar-label">正在阅读</span>
        <span class="reading-bar-title">{a.title}</span>
        <span class="reading-bar-progress" data-reading-progress />
      </div>
      <div class="page-grid">
        <div class="main-col">
          {Markup(articleCrumbs(view, channel))}
          <article class="article">
            {data.preview ? (
              <ArticleHeader
                v={header}
                subtitle={Boolean(a.subtitle)}
                source={Boolean(a.source)}
                preview={{ article: a, view }}
                time={a.status === 'published'}
              />
            ) : (
              Markup(articleHeader(Boolean(a.subtitle), Boolean(a.source))(header))
            )}
            {/* Bodies are sanitized against the allowlist on every write, so they are safe to embed. */}
            <div class="article-body" id="article-body" data-foldable={foldable ? '' : undefined} dangerouslySetInnerHTML={{ __html: a.bodyHtml }} />
            {foldable ? (
              <a class="fold-more" data-fold-more href={`${articlePath(a.id)}?full=1#article-body`}>
                阅读剩余全文
              </a>
            ) : null}
            {data.live ? <LiveSection articleId={a.id} live={data.live} view={view} /> : null}
            <ArticleFooter article={a} />
          </article>
          <Share url={url} title={a.title} text={a.summary} articleId={a.id} />
          <Moods articleId={a.id} moods={data.moods} />
          <Comments articleId={a.id} comments={data.comments} view={view} />
          <RelatedSection articles={data.related} view={view} />
          <FeedSection view={view} title="推荐阅读" articles={data.feed} nextCursor={data.nextCursor} pagePath={articlePath(a.id)} />
        </div>
        <SideColumn sidebar={data.sidebar} />
      </div>
    </Layout>
  );
}

/** An article's meta tags and JSON-LD (the head's part after its common one). */
function articlePageHead(view: SiteView, data: ArticleData, url: string, published: string): string {
  const { article: a, channel } = data;
  const image = a.cover ? absolute(view, a.cover) : undefined;
  const section = lineage(view.channels, channel)[0]?.name ?? channel.name;
  const modified = isoWithOffset(a.updatedAt, view.timeZone);
  return articleHead(image !== undefined)({
    name: view.name,
    title: a.title,
    summary: a.summary,
    url,
    image: image ?? '',
    published,
    modified,
    section,
    tags: a.tags.map((tag) => articleTagMeta({ tag })).join(''),
    jsonLd: jsonLdHtml({
      '@context': 'https://schema.org',
      '@type': 'NewsArticle',
      headline: a.title,
      description: a.summary || undefined,
      image: image ? [image] : undefined,
      datePublished: published,
      dateModified: modified,
      author: [{ '@type': 'Person', name: data.authorName }],
      publisher: { '@type': 'Organization', name: view.name, url: view.url },
      mainEntityOfPage: url,
      articleSection: section,
      keywords: a.tags.join(','),
    }),
  });
}

function ArticleFooter({ article: a }: { article: Article }) {
  return (
    <footer class="article-footer">
      {a.byline ? <p class="byline">{a.byline}</p> : null}
      {a.editor ? <p class="editor">[ 责编：{a.editor} ]</p> : null}
      {a.tags.length > 0 ? (
        <ul class="tags" aria-label="标签">
          {a.tags.map((t) => (
            <li>{t}</li>
          ))}
        </ul>
      ) : null}
    </footer>
  );
}

function RelatedSection({ articles, view }: { articles: ArticleData['related']; view: SiteView }) {
  return articles.length > 0 ? (
    <section class="related" aria-labelledby="related-title">
      <h2 id="related-title" class="section-title">
        相关阅读
      </h2>
      <TitleList articles={articles} view={view} />
    </section>
  ) : null;
}

/** 预览 / 未发布 above the newsroom preview's title: a draft's last-saved time is no publication time. */
function PreviewBanner({ article, view }: { article: Article; view: SiteView }) {
  const published = article.status === 'published';
  return (
    <p class="preview-banner" data-preview-banner>
      预览{published ? '' : ' · 未发布'}
      {article.status === 'scheduled' && article.scheduledAt ? (
        <>
          {' · 定时发布于 '}
          <Time ms={article.scheduledAt} view={view} />
        </>
      ) : null}
    </p>
  );
}

/** 朗读: shown by the script only where the browser can speak (src/client/read-aloud.ts). */
function ReadAloud() {
  return (
    <div class="read-aloud" data-read-aloud hidden>
      <button type="button" data-read-aloud-play aria-pressed="false">
        朗读全文
      </button>
      <button type="button" data-read-aloud-stop>
        停止
      </button>
      <span class="visually-hidden" data-read-aloud-status role="status" aria-live="polite" />
    </div>
  );
}

/** A channel's or topic's own feeds, for feed readers that look for them on the page. */
function FeedLinks({ title, base }: { title: string; base: string }) {
  return (
    <>
      <link rel="alternate" type="application/rss+xml" title={title} href={`${base}.xml`} />
      <link rel="alternate" type="application/atom+xml" title={title} href={`${base}.atom`} />
    </>
  );
}

export interface ChannelData {
  channel: Channel;
  children: Channel[];
  articles: Article[];
  nextCursor: string | null;
  sidebar: Sidebar;
}

export function ChannelPage({ view, data }: { view: SiteView; data: ChannelData }) {
  const { channel } = data;
  const crumbs = [{ name: '首页', href: '/' }, ...channelCrumbs(view, channel)];
  const here: { name: string; href?: string }[] = [...crumbs.slice(0, -1), { name: channel.name }];
  return (
    <Layout
      view={view}
      title={`${channel.name} - ${view.name}`}
      description={channel.description || `${view.name}${channel.name}频道`}
      canonical={`${view.url}/c/${channel.path}`}
      current={channel.path.split('/')[0]}
      head={<FeedLinks title={`${view.name} - ${channel.name}`} base={`/c/${channel.path}/feed`} />}
    >
      <div class="page-grid">
        <div class="main-col">
          <Breadcrumbs crumbs={here} view={view} />
          <h1 class="page-title">{channel.name}</h1>
          {channel.description ? <p class="page-lede">{channel.description}</p> : null}
          {data.children.length > 0 ? (
            <nav class="subchannels" aria-label={`${channel.name}子频道`}>
              <ul>
                {data.children.map((c) => (
                  <li>
                    <a href={`/c/${c.path}`}>{c.name}</a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <FeedSection
            view={view}
            title="最新稿件"
            articles={data.articles}
            nextCursor={data.nextCursor}
            pagePath={`/c/${channel.path}`}
            channelPath={channel.path}
          />
        </div>
        <SideColumn sidebar={data.sidebar} />
      </div>
    </Layout>
  );
}

export function TopicPage({
  view,
  topic,
  articles,
  media,
  polls = [],
}: {
  view: SiteView;
  topic: Topic;
  articles: Article[];
  media?: MediaIndex;
  polls?: PollView[];
}) {
  return (
    <Layout
      view={view}
      title={`${topic.title} - 独家策划 - ${view.name}`}
      description={topic.description}
      canonical={`${view.url}/t/${topic.slug}`}
      head={<FeedLinks title={`${view.name} - ${topic.title}`} base={`/t/${topic.slug}/feed`} />}
    >
      <Breadcrumbs crumbs={[{ name: '首页', href: '/' }, { name: '独家策划' }, { name: topic.title }]} view={view} />
      <header class="topic-header">
        {topic.cover ? (
          <Picture class="topic-cover" src={topic.cover} media={media} sizes={SIZES.topicCover} alt="" width={960} height={540} decoding="async" />
        ) : null}
        <h1 class="page-title">{topic.title}</h1>
        {topic.description ? <p class="page-lede">{topic.description}</p> : null}
      </header>
      {polls.map((v) => (
        <PollBlock view={view} v={v} heading="h2" />
      ))}
      <section aria-labelledby="topic-articles">
        <h2 id="topic-articles" class="section-title">
          专题稿件
        </h2>
        <FeedList articles={articles} view={view} />
      </section>
    </Layout>
  );
}

export function ErrorPage({ view, status, title, message, latest }: { view: SiteView; status: number; title: string; message: string; latest: Article[] }) {
  return (
    <Layout view={view} title={`${title} - ${view.name}`}>
      <section class="error-page" aria-labelledby="error-title">
        <h1 id="error-title" class="page-title">
          {title}
        </h1>
        <p>{message}</p>
        <p>
          <a class="button-link" href="/">
            返回首页
          </a>
        </p>
        <p class="status">HTTP {status}</p>
      </section>
      {latest.length > 0 ? (
        <section aria-labelledby="error-latest">
          <h2 id="error-latest" class="section-title">
            看看最新报道
          </h2>
          <TitleList articles={latest} view={view} />
        </section>
      ) : null}
    </Layout>
  );
}

/** 分享 without JavaScript: the article's address to copy, its QR code to scan, and its poster. */
export function SharePage({ view, article }: { view: SiteView; article: Article }) {
  const url = view.url + articlePath(article.id);
  return (
    <Layout view={view} title={`分享：${article.title} - ${view.name}`}>
      <section class="share-page" aria-labelledby="share-title">
        <h1 id="share-title" class="page-title">
          分享这篇文章
        </h1>
        <p>
          <a href={articlePath(article.id)}>{article.title}</a>
        </p>
        <label for="share-url">文章链接（长按或选中后复制）</label>
        <input id="share-url" class="share-page-url" type="text" readOnly value={url} />
        <figure class="share-page-qr">
          <img src={`/a/${article.id}/qr.svg`} alt="本文二维码，用手机扫码阅读" width={200} height={200} />
          <figcaption>微信扫一扫，分享给朋友</figcaption>
        </figure>
        <p>
          <a class="button-link" href={`/a/${article.id}/poster.png`} download={`poster-${article.id}.png`}>
            下载分享海报
          </a>
        </p>
        <p>
          <a href={articlePath(article.id)}>返回文章</a>
        </p>
      </section>
    </Layout>
  );
}

/** After a vote by the no-JavaScript form: the reader's vote acknowledged, and the counts as they are now. */
export function MoodPage({ view, article, moods, mine, care }: { view: SiteView; article: Article; moods: MoodView[]; mine: string | null; care: boolean }) {
  const chosen = moods.find((m) => m.key === mine);
  const back = `${care ? '/care' : ''}${articlePath(article.id)}#moods`;
  return (
    <Layout view={view} title={`您此时的心情：${article.title} - ${view.name}`}>
      <section class="moods mood-page" aria-labelledby="mood-title">
        <h1 id="mood-title" class="page-title">
          您此时的心情
        </h1>
        <p>
          <a href={articlePath(article.id)}>{article.title}</a>
        </p>
        <p class="mood-ack" role="status" data-mood-ack>
          {chosen ? `感谢参与！您选择了「${chosen.label}」。` : '您还没有表达心情。'}
        </p>
        <ul class="mood-results" aria-label="当前心情统计">
          {moods.map((m) => (
            <li class={m.key === mine ? 'is-mine' : undefined} data-mood-result={m.key}>
              {m.label} <span data-mood-count>{m.count}</span>
              {m.key === mine ? '（您的选择）' : null}
            </li>
          ))}
        </ul>
        <form method="post" action={`/a/${article.id}/mood${care ? '?mode=care' : ''}`} class="moods-form">
          {moods.map((m) => (
            <button type="submit" name="mood" value={m.key} aria-pressed={m.key === mine ? 'true' : 'false'} class={`mood mood-${m.key}`}>
              <span class="mood-label">{m.label}</span>
            </button>
          ))}
        </form>
        <p>
          <a class="button-link" href={back}>
            返回文章
          </a>
        </p>
      </section>
    </Layout>
  );
}
