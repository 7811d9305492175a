import type { Config } from '../../config.ts';
import type { Ctx } from '../../domain/context.ts';
import { getReactions, topByReactions, topByViews, type RankingWindow } from '../../domain/reactions/service.ts';
import type { MoodView, RankingView } from './components.tsx';
import type { Sidebar } from './pages.tsx';

const MOOD_RANKING = { window: '7d' as RankingWindow, limit: 5 };
const MOST_READ = { window: '24h' as RankingWindow, limit: 8 };

async function ranking(ctx: Ctx, key: string, label: string, rows: { articleId: number; count: number }[]): Promise<RankingView> {
  const articles = await ctx.store.articles.findMany(rows.map((r) => r.articleId));
  const countOf = new Map(rows.map((r) => [r.articleId, r.count]));
  return { key, label, articles, counts: articles.map((a) => countOf.get(a.id) ?? 0) };
}

/** 最多阅读 (24 h) and 新闻表情排行 (7 d, per mood) beside every page; the page cache keeps this off the hot path. */
export async function loadSidebar(ctx: Ctx, config: Config): Promise<Sidebar> {
  const [views, ...byMood] = await Promise.all([topByViews(ctx, MOST_READ), ...config.moods.map((m) => topByReactions(ctx, { mood: m.key, ...MOOD_RANKING }))]);
  const [mostRead, ...moodRankings] = await Promise.all([
    ranking(ctx, 'views', '24小时', views!),
    ...config.moods.map((m, i) => ranking(ctx, m.key, m.label, byMood[i]!)),
  ]);
  return { mostRead: [mostRead!], moodRankings };
}

/** Public counts for the mood buttons; the reader's own choice comes from the API, never the cached page. */
export async function loadMoods(ctx: Ctx, config: Config, articleId: number): Promise<MoodView[]> {
  const { counts } = await getReactions(ctx, articleId);
  return config.moods.map((m) => ({ key: m.key, label: m.label, count: counts[m.key] ?? 0 }));
}
