import type { LiveEntry, LiveStream } from '../../domain/live/live.ts';
import { Time } from './components.tsx';
import type { SiteView } from './view.ts';

/** A live as its article page shows it (loaders.ts reads it with the page). */
export interface LiveView {
  stream: LiveStream;
  entries: LiveEntry[];
}

export const LIVE_STATUS_LABEL = { live: '直播中', ended: '已结束' } as const;

/** An entry's text as paragraphs: one per line, empty lines dropped. Plain text, escaped by JSX. */
const paragraphs = (body: string) => body.split('\n').filter((line) => line.trim() !== '');

/** One entry; the reader script (src/client/live.ts) builds the very same markup for entries that arrive later. */
export function LiveEntryItem({ entry: e, view }: { entry: LiveEntry; view: SiteView }) {
  return (
    <li class={e.pinned ? 'live-entry live-pinned' : 'live-entry'} id={`live-${e.id}`} data-entry-id={String(e.id)}>
      <p class="live-meta">
        <Time ms={e.createdAt} view={view} class="live-time" />
        {e.pinned ? <span class="live-pin">置顶</span> : null}
        {e.authorName ? <span class="live-author">{e.authorName}</span> : null}
        {e.updatedAt > e.createdAt ? <span class="live-edited">已编辑</span> : null}
      </p>
      {paragraphs(e.body).map((p) => (
        <p class="live-text">{p}</p>
      ))}
      {e.quote ? (
        <blockquote class="live-quote">
          <p>{e.quote.text}</p>
          {e.quote.source ? <cite>—— {e.quote.source}</cite> : null}
        </blockquote>
      ) : null}
      {e.images.map((i) => (
        <figure class="live-image">
          <img src={i.src} width={i.width} height={i.height} alt={i.alt} loading="lazy" decoding="async" />
          {i.caption ? <figcaption>{i.caption}</figcaption> : null}
        </figure>
      ))}
    </li>
  );
}

/**
 * 图文直播 under the article: every entry, pinned first, then newest first, readable without JavaScript (the page
 * is purged on each change). `data-live-cursor` is where the reader script's event stream starts.
 */
export function LiveSection({ articleId, live, view }: { articleId: number; live: LiveView; view: SiteView }) {
  const { stream, entries } = live;
  return (
    <section class="live" aria-labelledby="live-title" data-live={String(articleId)} data-live-cursor={String(stream.seq)} data-live-state={stream.status}>
      <header class="live-header">
        <h2 id="live-title" class="section-title">
          图文直播
        </h2>
        <span class={`live-status live-status-${stream.status}`} data-live-status>
          {LIVE_STATUS_LABEL[stream.status]}
        </span>
        <span class="live-count">
          共 <span data-live-count>{entries.length}</span> 条
        </span>
      </header>
      <p class="visually-hidden" aria-live="polite" data-live-announce />
      {entries.length === 0 ? <p class="live-empty">直播即将开始，请稍候。</p> : null}
      <ol class="live-entries" data-live-entries>
        {entries.map((e) => (
          <LiveEntryItem entry={e} view={view} />
        ))}
      </ol>
    </section>
  );
}
