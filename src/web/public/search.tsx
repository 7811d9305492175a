import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { lineage, type Channel } from '../../domain/channels/channel.ts';
import { DomainError, type ErrorCode } from '../../domain/errors.ts';
import { encodeSearchCursor, searchArticles, SEARCH_LIMIT, type SearchResult } from '../../domain/search/service.ts';
import { MAX_QUERY_CHARS } from '../../domain/search/query.ts';
import { SEARCH_CAPS } from '../../domain/search/search-index.ts';
import { typed, type WebDeps } from '../context.ts';
import { toApiError } from '../errors.ts';
import { readerLoad } from '../reads.ts';
import { articlePath } from '../presenters/articles.ts';
import { Breadcrumbs, Layout, Time } from './components.tsx';
import { renderPage, sendHtml } from './html.ts';
import type { SiteView } from './view.ts';

const PAGE_SIZE = SEARCH_LIMIT.default;

/** What the reader asked for, as the form shows it back. */
interface SearchForm {
  q: string;
  channel: string;
  from: string;
  to: string;
  cursor: string;
}

/** The form's parameters; any other (a tracking tag) is ignored. Values the domain judges (dates, channel) are checked there. */
const SearchPageQuery = Type.Object({
  // Longer than any query we accept: the domain answers a too-long query with its own message.
  q: Type.Optional(Type.String({ maxLength: 1000 })),
  channel: Type.Optional(Type.String({ maxLength: 200 })),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
});

const GENERIC_ERROR = '搜索条件有误，请检查后重试。';

/** Messages for readers, by the domain error's code. */
const readerMessages: Partial<Record<ErrorCode, string>> = {
  too_long: `关键词太长了，请不要超过 ${MAX_QUERY_CHARS} 个字。`,
  invalid_date: '日期格式不对，请按“年-月-日”填写。',
  invalid_range: '起始日期应早于截止日期。',
  unknown_channel: '没有找到这个频道，请重新选择。',
  invalid_cursor: '这个分页链接已失效，请重新搜索。',
  search_unavailable: '搜索服务暂时不可用，请稍后再试。',
};

/** What to tell the reader about a parameter the schema refused: the message of the domain's error for it. */
function refusal(err: Error & { validation?: { keyword?: string }[] }): string {
  const { field } = toApiError(err);
  const tooLong = err.validation?.[0]?.keyword === 'maxLength';
  const codes: Record<string, ErrorCode | undefined> = {
    q: tooLong ? 'too_long' : undefined,
    from: 'invalid_date',
    to: 'invalid_date',
    channel: 'unknown_channel',
    cursor: 'invalid_cursor',
  };
  const code = codes[field ?? ''];
  return (code && readerMessages[code]) || GENERIC_ERROR;
}

function text(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v.slice(0, 1000) : '';
}

function searchHref(form: SearchForm, cursor: string | null): string {
  const params = new URLSearchParams();
  params.set('q', form.q);
  if (form.channel) params.set('channel', form.channel);
  if (form.from) params.set('from', form.from);
  if (form.to) params.set('to', form.to);
  if (cursor) params.set('cursor', cursor);
  return `/search?${params.toString()}`;
}

function ChannelOptions({ view, selected }: { view: SiteView; selected: string }) {
  const byParent = new Map<number | null, Channel[]>();
  for (const c of view.channels) byParent.set(c.parentId, [...(byParent.get(c.parentId) ?? []), c]);
  const options: { channel: Channel; depth: number }[] = [];
  const walk = (parent: number | null, depth: number) => {
    for (const c of byParent.get(parent) ?? []) {
      options.push({ channel: c, depth });
      walk(c.id, depth + 1);
    }
  };
  walk(null, 0);
  return (
    <>
      <option value="">全部频道</option>
      {options.map(({ channel, depth }) => (
        <option value={channel.path} selected={channel.path === selected}>
          {'　'.repeat(depth) + channel.name}
        </option>
      ))}
    </>
  );
}

const countText = (n: number) => (n >= SEARCH_CAPS.total ? `${SEARCH_CAPS.total} 篇以上` : `${n} 篇`);

/** What the results are: how many hold every word, how many only some. */
function summary(result: SearchResult, q: string, page: number): string {
  const pageText = page > 1 ? `，第 ${page} 页` : '';
  if (result.total === 0) return `没有找到与“${q}”相关的稿件`;
  if (result.partialFrom === null) return `找到 ${countText(result.total)}与“${q}”相关的稿件${pageText}`;
  const partial = result.total - result.partialFrom;
  if (result.partialFrom === 0) return `没有同时包含“${q}”全部关键词的稿件，以下 ${partial} 篇包含其中部分关键词${pageText}`;
  return `找到 ${result.partialFrom} 篇与“${q}”相关的稿件，另有 ${partial} 篇包含其中部分关键词${pageText}`;
}

/** The page's hits that hold every word, and where they start in the whole list. */
function allWordHits(result: SearchResult) {
  const cut = result.partialFrom === null ? result.hits.length : Math.max(0, result.partialFrom - result.offset);
  return { hits: result.hits.slice(0, cut), start: result.offset, partial: false };
}

/** The page's hits that hold only some of the words. */
function partialHits(result: SearchResult) {
  const cut = result.partialFrom === null ? result.hits.length : Math.max(0, result.partialFrom - result.offset);
  return { hits: result.hits.slice(cut), start: result.offset + cut, partial: true };
}

interface SearchPageProps {
  view: SiteView;
  form: SearchForm;
  result?: SearchResult;
  error?: string;
}

export function SearchPage({ view, form, result, error }: SearchPageProps) {
  const channelName = (id: number) => {
    const channel = view.channels.find((c) => c.id === id);
    return channel
      ? lineage(view.channels, channel)
          .map((c) => c.name)
          .join(' › ')
      : '';
  };
  const page = result ? Math.floor(result.offset / result.limit) + 1 : 1;
  const previous = result && result.offset > 0 ? Math.max(0, result.offset - result.limit) : undefined;
  return (
    <Layout
      view={view}
      title={form.q ? `${form.q} - 搜索 - ${view.name}` : `搜索 - ${view.name}`}
      canonical={view.url + (form.q ? searchHref(form, form.cursor || null) : '/search')}
      head={<meta name="robots" content="noindex, follow" />}
    >
      <div class="search-page">
        <Breadcrumbs crumbs={[{ name: '首页', href: '/' }, { name: '搜索' }]} view={view} />
        <h1 class="page-title">搜索</h1>
        {/* biome-ignore lint/a11y/useSemanticElements: <search> is too new for the WeChat and older phone browsers we serve */}
        <form class="search-form" role="search" action="/search" method="get">
          <div class="search-row">
            <label for="search-q" class="visually-hidden">
              关键词
            </label>
            <input
              id="search-q"
              type="search"
              name="q"
              value={form.q}
              maxLength={MAX_QUERY_CHARS}
              placeholder="输入关键词，如：地铁 暴雨"
              enterKeyHint="search"
              // biome-ignore lint/a11y/noAutofocus: the empty search page exists to type a query; a results page never takes focus
              autoFocus={form.q === '' && !error}
            />
            <button type="submit">搜索</button>
          </div>
          <fieldset class="search-filters">
            <legend class="visually-hidden">筛选条件</legend>
            <label>
              频道
              <select name="channel">
                <ChannelOptions view={view} selected={form.channel} />
              </select>
            </label>
            <label>
              从
              <input type="date" name="from" value={form.from} />
            </label>
            <label>
              到
              <input type="date" name="to" value={form.to} />
            </label>
          </fieldset>
        </form>
        {error ? (
          <p class="search-error" role="alert">
            {error}
          </p>
        ) : null}
        {result && result.query.terms.length === 0 ? (
          <p class="search-summary" role="status">
            关键词里没有可以搜索的字词，请换个说法再试。
          </p>
        ) : null}
        {result && result.query.terms.length > 0 ? (
          <section class="search-results-section" aria-labelledby="search-summary">
            <p class="search-summary" id="search-summary" role="status">
              {summary(result, form.q.trim(), page)}
            </p>
            {result.suggestion ? (
              <p class="search-suggestion">
                您是不是要找：
                <a href={searchHref({ ...form, q: result.suggestion, cursor: '' }, null)} rel="nofollow">
                  {result.suggestion}
                </a>
              </p>
            ) : null}
            {result.hits.length > 0 ? (
              <>
                {/* Articles holding every word, then (under their own heading) those holding some of them. */}
                {[allWordHits(result), partialHits(result)].map(({ hits, start, partial }) =>
                  hits.length === 0 ? null : (
                    <>
                      {partial ? <h2 class="search-partial-heading">以下稿件只包含部分关键词</h2> : null}
                      <ol class="search-results" start={start + 1}>
                        {hits.map(({ article, titleHtml, snippet }) => (
                          <li class="search-result">
                            {/* titleHtml and snippet come from domain/search/snippet.ts: escaped text whose only markup is <mark>. */}
                            <h2 class="search-title">
                              <a href={articlePath(article.id)} dangerouslySetInnerHTML={{ __html: titleHtml }} />
                            </h2>
                            <p class="search-snippet" dangerouslySetInnerHTML={{ __html: snippet }} />
                            <p class="search-meta">
                              <span>{channelName(article.channelId)}</span>
                              <Time ms={article.publishedAt!} view={view} />
                            </p>
                          </li>
                        ))}
                      </ol>
                    </>
                  ),
                )}
              </>
            ) : (
              <div class="search-empty">
                <p>建议：</p>
                <ul>
                  <li>检查关键词是否有错别字</li>
                  <li>换用更常见的说法，或减少关键词</li>
                  <li>去掉频道和日期筛选再试</li>
                </ul>
              </div>
            )}
            {previous !== undefined || result.nextCursor ? (
              <nav class="pager" aria-label="搜索结果分页">
                {previous !== undefined ? (
                  <a rel="prev" href={searchHref(form, previous === 0 ? null : encodeSearchCursor(previous))}>
                    上一页
                  </a>
                ) : null}
                <span class="pager-current" aria-current="page">
                  第 {page} 页
                </span>
                {result.nextCursor ? (
                  <a rel="next" href={searchHref(form, result.nextCursor)}>
                    下一页
                  </a>
                ) : null}
              </nav>
            ) : null}
          </section>
        ) : null}
      </div>
    </Layout>
  );
}

/** /search?q=&channel=&from=&to=&cursor=: the reader's search page; a plain GET form, so it works without scripts. */
export function searchPageRoutes(app: FastifyInstance, deps: WebDeps, view: () => Promise<SiteView>): void {
  const { config } = deps;
  typed(app).get('/search', { schema: { querystring: SearchPageQuery }, attachValidation: true }, async (req, reply) => {
    // Shown back as sent, even when refused (a repeated parameter shows its first value).
    const query = (req.query ?? {}) as Record<string, unknown>;
    const form: SearchForm = { q: text(query.q), channel: text(query.channel), from: text(query.from), to: text(query.to), cursor: text(query.cursor) };
    const v = await view();
    if (req.validationError) return sendHtml(reply, 400, renderPage(<SearchPage view={v} form={form} error={refusal(req.validationError)} />, v), 'no-store');
    if (form.q.trim() === '') return sendHtml(reply, 200, renderPage(<SearchPage view={v} form={form} />, v), 'public, max-age=300');
    try {
      const result = await readerLoad(deps, req, (ctx) =>
        searchArticles(ctx, {
          q: form.q,
          channel: form.channel,
          from: form.from,
          to: form.to,
          cursor: form.cursor || undefined,
          limit: PAGE_SIZE,
          timeZone: config.timeZone,
        }),
      );
      return sendHtml(reply, 200, renderPage(<SearchPage view={v} form={form} result={result} />, v), 'public, max-age=30');
    } catch (err) {
      if (!(err instanceof DomainError) || (err.kind !== 'invalid' && err.kind !== 'unavailable')) throw err;
      const message = readerMessages[err.code] ?? GENERIC_ERROR;
      // The external search engine (INKSTONE_SEARCH_URL) is down or slow: a page that says so, not a server error.
      if (err.kind === 'unavailable') reply.header('retry-after', String(err.retryAfter ?? 5));
      return sendHtml(reply, err.kind === 'unavailable' ? 503 : 400, renderPage(<SearchPage view={v} form={form} error={message} />, v), 'no-store');
    }
  });
}
