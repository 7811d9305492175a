import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderToString } from 'preact-render-to-string';
import { Type } from 'typebox';
import type { Ctx } from '../../domain/context.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Poll, PollCounts } from '../../domain/polls/poll.ts';
import { castBallot, embeddedPollIds, isOpen, isPublicPoll, readerView, showsResults, type PollView } from '../../domain/polls/service.ts';
import { requireSameOrigin } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { PUBLIC_PAGE, SURROGATE_KEY_HEADER, surrogateKey } from '../page-cache.ts';
import { readerOf, setReaderCookie } from '../reader.ts';
import { readerLoad } from '../reads.ts';
import { Breadcrumbs, Layout, Time } from './components.tsx';
import { renderPage, sendHtml } from './html.ts';
import type { SiteView } from './view.ts';

/** Share of the readers who voted, in whole percent (of a multiple-choice poll, the shares add up to more than 100). */
const percent = (n: number, voters: number): number => (voters > 0 ? Math.round((n / voters) * 100) : 0);

function Results({ poll, counts, mine }: { poll: Poll; counts: PollCounts; mine: number[] | null }) {
  return (
    <ol class="poll-results" data-poll-results>
      {poll.options.map((label, i) => {
        const n = counts.votes[i] ?? 0;
        const chosen = mine?.includes(i) ?? false;
        return (
          <li class={chosen ? 'poll-result is-mine' : 'poll-result'}>
            <span class="poll-result-label">
              {label}
              {chosen ? <span class="poll-mine">（您的选择）</span> : null}
            </span>
            <progress class="poll-bar" max={Math.max(1, counts.voters)} value={n} aria-hidden="true" />
            <span class="poll-result-count">
              {n} 票 · {percent(n, counts.voters)}%
            </span>
          </li>
        );
      })}
    </ol>
  );
}

export interface PollBlockProps {
  view: SiteView;
  v: PollView;
  /** The heading level of the question: h1 on its own page, h2 on a topic page, h3 inside an article. */
  heading: 'h1' | 'h2' | 'h3';
  /** A message for this reader (the no-JavaScript results page): their ballot was refused, held, counted. */
  message?: string;
}

/**
 * A poll as readers see it: the form while it is open and the reader has not voted (a real <form method=post>, so it
 * works without JavaScript), the counts when the poll shows them, and a live region the script speaks into.
 */
export function PollBlock({ view, v, heading: H, message }: PollBlockProps) {
  const { poll, open, mine, counts } = v;
  const id = poll.id;
  const multiple = poll.choice === 'multiple';
  return (
    <section
      class="poll"
      id={`poll-${id}`}
      data-poll={String(id)}
      data-poll-choice={poll.choice}
      data-poll-results-when={poll.results}
      aria-labelledby={`poll-${id}-q`}
    >
      <p class="poll-kicker">云投 · {multiple ? '多选' : '单选'}</p>
      <H id={`poll-${id}-q`} class="poll-question">
        {poll.question}
      </H>
      <p class="poll-meta">
        {open ? (
          poll.closesAt !== null ? (
            <>
              截止时间 <Time ms={poll.closesAt} view={view} />
            </>
          ) : (
            '投票进行中'
          )
        ) : (
          '投票已截止'
        )}
        {counts ? <span data-poll-voters>{` · ${counts.voters} 人参与`}</span> : null}
      </p>
      {open && mine === null ? (
        <form method="post" action={`/p/${id}/vote`} class="poll-form" data-poll-form>
          <fieldset>
            <legend class="visually-hidden">{poll.question}</legend>
            {poll.options.map((label, i) => (
              <label class="poll-option">
                <input type={multiple ? 'checkbox' : 'radio'} name="choice" value={String(i)} required={multiple ? undefined : true} />
                <span>{label}</span>
              </label>
            ))}
          </fieldset>
          <button type="submit" class="poll-submit">
            投票
          </button>
        </form>
      ) : null}
      {counts ? <Results poll={poll} counts={counts} mine={mine} /> : mine === null ? <p class="poll-hidden">投票后可查看结果</p> : null}
      <p class="poll-status" data-poll-status role="status" aria-live="polite">
        {message ?? ''}
      </p>
      <p class="poll-links">
        <a href={`/p/${id}/results`}>查看结果</a>
      </p>
    </section>
  );
}

/** The polls a topic page shows at most: its newest public ones. */
export const TOPIC_PAGE_POLLS = 20;

/** The polls a cached page asked for: what it shows of them, the keys that purge it, and until when it holds. */
export interface ShownPolls {
  /** The polls readers may see, by id, in the order asked for. */
  views: Map<number, PollView>;
  /**
   * Surrogate keys: every poll asked for, shown or not (a change may show one: moved off its unpublished article), and
   * the article of each (publishing it shows its poll, taking it down hides it).
   */
  keys: string[];
  /** The earliest closing time of a poll shown open: the page shows it open until then, and no longer. */
  until: number | undefined;
}

/** What a cached page shows of polls: no reader's data, counts as of the render when a poll shows them to all. */
export async function publicPollViews(ctx: Ctx, ids: readonly number[]): Promise<ShownPolls> {
  const found = await ctx.store.polls.findMany(ids);
  const shown = await Promise.all(found.map((p) => isPublicPoll(ctx, p)));
  const polls = found.filter((_, i) => shown[i]);
  const now = ctx.clock.now();
  const views = await Promise.all(
    polls.map(async (poll): Promise<PollView> => {
      const open = isOpen(poll, now);
      return { poll, open, mine: null, counts: showsResults(poll, open, null) ? await ctx.store.polls.counts(poll.id) : null };
    }),
  );
  const articles = found.flatMap((p) => (p.articleId === null ? [] : [surrogateKey.article(p.articleId)]));
  const closing = views.flatMap((v) => (v.open && v.poll.closesAt !== null ? [v.poll.closesAt] : []));
  return {
    views: new Map(views.map((v) => [v.poll.id, v])),
    keys: [...new Set([...ids.map((id) => surrogateKey.poll(id)), ...articles])],
    until: closing.length ? Math.min(...closing) : undefined,
  };
}

const EMBED = /<figure data-poll="(\d{1,9})">[\s\S]*?<\/figure>/g;

/**
 * Replaces each poll placeholder of a sanitized body (`<figure data-poll="12">…</figure>`, as the editor writes it)
 * with the poll; a placeholder of a poll that no longer exists goes away.
 */
export function withPolls(html: string, view: SiteView, polls: Map<number, PollView>): string {
  if (!html.includes('<figure data-poll="')) return html;
  return html.replace(EMBED, (_m, id: string) => {
    const v = polls.get(Number(id));
    return v ? renderToString(<PollBlock view={view} v={v} heading="h3" />) : '';
  });
}

/** The polls an article body embeds, as a cached page shows them, and the surrogate keys that purge it when one changes. */
export async function loadEmbeddedPolls(ctx: Ctx, bodyHtml: string): Promise<ShownPolls> {
  const ids = embeddedPollIds(bodyHtml);
  return ids.length ? publicPollViews(ctx, ids) : { views: new Map(), keys: [], until: undefined };
}

function PollPage({ view, v, results, message }: { view: SiteView; v: PollView; results: boolean; message?: string }) {
  const url = `${view.url}/p/${v.poll.id}`;
  return (
    <Layout view={view} title={`${v.poll.question} - 云投 - ${view.name}`} description={v.poll.question} canonical={url}>
      <Breadcrumbs crumbs={[{ name: '首页', href: '/' }, { name: '云投' }, { name: results ? '投票结果' : '投票' }]} view={view} />
      <div class="poll-page">
        <PollBlock view={view} v={v} heading="h1" message={message} />
        {v.poll.articleId !== null ? (
          <p class="poll-back">
            <a href={`/a/${v.poll.articleId}`}>阅读相关报道</a>
          </p>
        ) : null}
      </div>
    </Layout>
  );
}

const PageParams = Type.Object({ id: Type.String() });
// Radio buttons send one `choice`, checkboxes several; formbody gives a string or an array.
const VoteForm = Type.Object(
  { choice: Type.Optional(Type.Union([Type.String({ maxLength: 4 }), Type.Array(Type.String({ maxLength: 4 }), { maxItems: 20 })])) },
  { additionalProperties: false },
);

const pollIdOf = (raw: string): number | undefined => (/^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : undefined);

/** Chinese words for a refused ballot on the no-JavaScript results page. */
function refusal(err: DomainError): string {
  switch (err.code) {
    case 'poll_closed':
      return '投票已截止，您的选票未被计入。';
    case 'already_voted':
      return '您已经投过票了，每位读者只能投一次。';
    case 'too_many_votes':
      return '该网络本小时投票过多，请稍后再试。';
    case 'required':
      return '请先选择一个选项。';
    default:
      return '选项有误，请重新选择。';
  }
}

/**
 * /p/<id>: the poll alone (cached: no reader's data); /p/<id>/results: this reader's vote and the counts (never
 * cached); POST /p/<id>/vote: the form without JavaScript, then 303 to the results.
 */
export function pollPageRoutes(
  app: FastifyInstance,
  deps: WebDeps,
  view: () => Promise<SiteView>,
  notFoundPage: (reply: FastifyReply) => Promise<FastifyReply>,
): void {
  const { ctx, config } = deps;
  const siteOrigin = new URL(config.siteUrl).origin;
  const page = typed(app);

  page.get('/p/:id', { config: PUBLIC_PAGE, schema: { params: PageParams } }, async (req, reply) => {
    const id = pollIdOf(req.params.id);
    const shown = id === undefined ? undefined : await readerLoad(deps, req, (c) => publicPollViews(c, [id]));
    // Also on the 404 of a poll whose article is not yet published, so that publishing the article purges that answer.
    if (shown) reply.header(SURROGATE_KEY_HEADER, shown.keys.join(' '));
    const v = id === undefined ? undefined : shown?.views.get(id);
    if (!v) return notFoundPage(reply);
    const sv = await view();
    return sendHtml(reply, 200, renderPage(<PollPage view={sv} v={v} results={false} />, sv), undefined, shown!.until);
  });

  const results = async (req: FastifyRequest, reply: FastifyReply, id: number, status = 200, message?: string) => {
    let v: PollView;
    try {
      v = await readerView(ctx, id, readerOf(req, config));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'not_found') return notFoundPage(reply);
      throw err;
    }
    const sv = await view();
    return sendHtml(reply, status, renderPage(<PollPage view={sv} v={v} results message={message} />, sv), 'no-store');
  };

  page.get('/p/:id/results', { schema: { params: PageParams } }, async (req, reply) => {
    const id = pollIdOf(req.params.id);
    if (id === undefined) return notFoundPage(reply);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const message = q.voted === 'held' ? '感谢参与！您所在网络投票集中，选票待编辑审核后计入。' : q.voted === '1' ? '感谢参与，您的选票已计入。' : undefined;
    return results(req, reply, id, 200, message);
  });

  // Its own scope: the form parser applies to this route only.
  app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 1024 });
    typed(scope).post('/p/:id/vote', { schema: { params: PageParams, body: VoteForm } }, async (req, reply) => {
      const id = pollIdOf(req.params.id);
      if (id === undefined) return notFoundPage(reply);
      requireSameOrigin(req, siteOrigin);
      const raw = req.body.choice;
      const choices = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((c) => (/^\d{1,3}$/.test(c) ? Number(c) : -1));
      try {
        const result = await castBallot(ctx, { pollId: id, choices, readerId: readerOf(req, config), address: req.ip });
        if (result.newReader) setReaderCookie(reply, config, result.readerId);
        return reply
          .code(303)
          .header('cache-control', 'no-store')
          .redirect(`/p/${id}/results?voted=${result.held ? 'held' : '1'}#poll-${id}`);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        if (err.code === 'not_found') return notFoundPage(reply);
        if (err.code === 'bad_origin') throw err;
        // The reader's own page again, with what went wrong, under the error's status (409, 400, 429).
        const status = err.kind === 'conflict' ? 409 : err.kind === 'throttled' ? 429 : 400;
        if (err.retryAfter) reply.header('retry-after', String(err.retryAfter));
        return results(req, reply, id, status, refusal(err));
      }
    });
  });
}
