import type { Config } from '../../config.ts';
import type { Ctx } from '../../domain/context.ts';
import { countsOfPublished, topByReactions, topByViews, type RankingWindow } from '../../domain/reactions/service.ts';
import type { MoodView, RankingView } from './components.tsx';
import { publicMemo } from './memo.ts';
import type { Sidebar } from './pages.tsx';

const MOOD_RANKING = { window: '7d' as RankingWindow, limit: 5 };
const MOST_READ = { window: '24h' as RankingWindow, limit: 8 };

async function ranking(ctx: Ctx, key: string, label: string, rows: { articleId: number; count: number }[]): Promise<RankingView> {
  const articles = await ctx.store.articles.findMany(
    rows.map((r) => r.articleId),
    { bodies: false },
  );
  const countOf = new Map(rows.map((r) => [r.articleId, r.count]));
  return { key, label, articles, counts: articles.map((a) => countOf.get(a.id) ?? 0) };
}

/** Rankings move by the minute: one computation serves every page rendered within this time. */
const SIDEBAR_TTL_MS = 30_000;

/**
 * 最多阅读 (24 h) and 新闻表情排行 (7 d, per mood) beside every page, computed at most once per 30 s per process (an
 * uncached render does not redo five ranking queries), and again at once after a change readers can see (an
 * article retracted or retitled must leave the rankings with the pages that link it).
 */
export function loadSidebar(ctx: Ctx, config: Config): Promise<Sidebar> {
  return publicMemo(ctx, 'sidebar', SIDEBAR_TTL_MS, () => computeSidebar(ctx, config));
}

async function computeSidebar(ctx: Ctx, config: Config): Promise<Sidebar> {
  const [views, ...byMood] = await Promise.all([topByViews(ctx, MOST_READ), ...config.moods.map((m) => topByReactions(ctx, { mood: m.key, ...MOOD_RANKING }))]);
  const [mostRead, ...moodRankings] = await Promise.all([
    ranking(ctx, 'views', '24小时', views!),
    ...config.moods.map((m, i) => ranking(ctx, m.key, m.label, byMood[i]!)),
  ]);
  return { mostRead: [mostRead!], moodRankings };
}

/** Public counts for the mood buttons; the reader's own choice comes from the API, never the cached page. */
export async function loadMoods(ctx: Ctx, config: Config, articleId: number): Promise<MoodView[]> {
  const counts = await countsOfPublished(ctx, articleId);
  return config.moods.map((m) => ({ key: m.key, label: m.label, count: counts[m.key] ?? 0 }));
}
