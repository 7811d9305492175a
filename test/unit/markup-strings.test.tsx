import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { ListTime, Moods, type MoodView, TitleList } from '../../src/web/public/components.tsx';
import { formatTime, isoWithOffset, listTime, shortTime } from '../../src/web/public/format.ts';
import type { SiteView } from '../../src/web/public/view.ts';
import { HOSTILE_VALUES } from '../support/hostile-values.ts';

/**
 * TitleList's items and the mood buttons come from markup templates (components.tsx, markup.ts); readers must get the
 * markup the components rendered before, escaping included. The references are those components, rendered by Preact; the list's
 * times are the live ListTime component (feed items still print it), so the two cannot drift apart.
 */
type Linked = { id: number; title: string; publishedAt: number | null };

function Reference({ articles, numbered, view, counts }: { articles: Linked[]; numbered?: boolean; view?: SiteView; counts?: number[] }) {
  const Tag = numbered ? 'ol' : 'ul';
  return (
    <Tag class={numbered ? 'title-list numbered' : 'title-list'}>
      {articles.map((a, i) => (
        <li>
          <a href={`/a/${a.id}`}>{a.title}</a>
          {counts ? <span class="rank-count">{counts[i]}</span> : view && a.publishedAt ? <ListTime ms={a.publishedAt} view={view} class="list-time" /> : null}
        </li>
      ))}
    </Tag>
  );
}

const view = (timeZone: string) => ({ name: '砚台新闻', url: 'https://news.example', timeZone, channels: [] }) as unknown as SiteView;

describe('a list of titles made as a string', () => {
  const articles: Linked[] = HOSTILE_VALUES.map((title, i) => ({ id: 1000 + i, title, publishedAt: i === 3 ? null : Date.UTC(2026, i, 1 + i, i, 7 * i) }));

  it('prints what the components print: titles with their times, in any zone, numbered or not', () => {
    for (const zone of ['Asia/Shanghai', 'America/New_York', 'Asia/Kathmandu']) {
      for (const numbered of [false, true]) {
        const mine = renderToString(<TitleList articles={articles} view={view(zone)} numbered={numbered} />);
        expect(mine).toBe(renderToString(<Reference articles={articles} view={view(zone)} numbered={numbered} />));
      }
    }
  });

  it('prints counts in place of times (rankings), and nothing for a missing count', () => {
    const counts = [12, 0, 3_456_789, 7];
    const mine = renderToString(<TitleList articles={articles} numbered counts={counts} />);
    expect(mine).toBe(renderToString(<Reference articles={articles} numbered counts={counts} />));
    expect(mine).not.toContain('undefined');
  });

  it('prints titles alone without a view, and an empty list for none', () => {
    expect(renderToString(<TitleList articles={articles} />)).toBe(renderToString(<Reference articles={articles} />));
    expect(renderToString(<TitleList articles={[]} view={view('UTC')} />)).toBe('<ul class="title-list"></ul>');
  });

  it("reads a time's three forms at once as each alone would, this year and before it", () => {
    const now = Date.UTC(2026, 11, 6, 3);
    for (const zone of ['Asia/Shanghai', 'America/New_York', 'Australia/Lord_Howe']) {
      for (let ms = Date.UTC(2025, 0, 1); ms < now; ms += 86_400_000 * 3 + 3_607_000) {
        expect(listTime(ms, zone, now)).toEqual({ iso: isoWithOffset(ms, zone), full: formatTime(ms, zone), short: shortTime(ms, zone, now) });
      }
    }
  });

  it('lets no markup of a title through', () => {
    const html = renderToString(<TitleList articles={articles} view={view('UTC')} />);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;/a>&lt;a href=&quot;javascript:alert(1)&quot;>');
  });
});

function MoodsReference({ articleId, moods }: { articleId: number; moods: MoodView[] }) {
  return (
    <section class="moods" id="moods" data-moods data-article-id={String(articleId)} aria-labelledby="moods-title">
      <h2 id="moods-title" class="section-title">
        您此时的心情
      </h2>
      <form method="post" action={`/a/${articleId}/mood`} class="moods-form">
        {moods.map((m) => (
          <button type="submit" name="mood" value={m.key} data-mood={m.key} aria-pressed="false" class={`mood mood-${m.key}`}>
            <span class="mood-label">{m.label}</span>
            <span class="mood-count" data-mood-count>
              {m.count}
            </span>
          </button>
        ))}
      </form>
      <p class="moods-status" data-moods-status role="status" aria-live="polite" />
    </section>
  );
}

describe('the mood buttons made as a string', () => {
  it('print what the components printed, for any labels and counts, again and again', () => {
    const moods: MoodView[] = [
      { key: 'zan', label: '点赞', count: 0 },
      { key: 'x"<&', label: '<b>怒</b> & "引"', count: 1_234_567 },
      { key: 'lei', label: '', count: 3 },
    ];
    for (const [i, counts] of [
      [0, 1_234_567, 3],
      [9, 8, 7],
    ].entries()) {
      const now = moods.map((m, j) => ({ ...m, count: counts[j]! }));
      expect(renderToString(<Moods articleId={42 + i} moods={now} />)).toBe(renderToString(<MoodsReference articleId={42 + i} moods={now} />));
    }
    // A label changed in the configuration is printed as it is now, not as it was first.
    const renamed = [{ key: 'zan', label: '赞', count: 5 }];
    expect(renderToString(<Moods articleId={1} moods={renamed} />)).toBe(renderToString(<MoodsReference articleId={1} moods={renamed} />));
    expect(renderToString(<Moods articleId={1} moods={moods} />)).not.toContain('<b>');
  });
});
