import type { FastifyInstance } from 'fastify';
import { json } from './app.ts';

let n = 0;

export function articleInput(overrides: Record<string, unknown> = {}) {
  n++;
  return {
    title: `江城新开通地铁${n}号线 沿线居民出行更便捷`,
    channel: 'difang/yaowen',
    body: `<p>本报讯 江城地铁${n}号线今日开通运营，全长32.6公里，设站24座。</p><p>市民王女士说：“以后上班能省半小时。”</p>`,
    summary: `江城地铁${n}号线开通运营。`,
    source: '砚台日报',
    byline: '本报记者 周明远',
    editor: '陈静',
    tags: ['江城', '地铁'],
    ...overrides,
  };
}

export async function createChannels(app: FastifyInstance, auth: string): Promise<void> {
  for (const body of [
    { slug: 'difang', name: '地方频道' },
    { slug: 'yaowen', name: '要闻', parent: 'difang' },
    { slug: 'keji', name: '科技' },
  ]) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/channels', headers: { authorization: auth }, payload: body });
    if (res.statusCode !== 201) throw new Error(`channel ${body.slug}: ${res.statusCode} ${res.body}`);
  }
}

/** The channels the newsroom texts (newsroom-texts.ts) are filed under: 文化, 财经, 体育, beside createChannels' own. */
export async function createStoryChannels(app: FastifyInstance, auth: string): Promise<void> {
  await createChannels(app, auth);
  for (const [slug, name] of [
    ['wenhua', '文化'],
    ['caijing', '财经'],
    ['tiyu', '体育'],
  ]) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/channels', headers: { authorization: auth }, payload: { slug, name } });
    if (res.statusCode !== 201) throw new Error(`channel ${slug}: ${res.statusCode} ${res.body}`);
  }
}

export async function createArticle(app: FastifyInstance, auth: string, overrides: Record<string, unknown> = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/articles', headers: { authorization: auth }, payload: articleInput(overrides) });
  if (res.statusCode !== 201) throw new Error(`create article: ${res.statusCode} ${res.body}`);
  return json(res) as { id: number; status: string; url: string; title: string };
}

export async function publish(app: FastifyInstance, auth: string, id: number) {
  const res = await app.inject({ method: 'POST', url: `/api/v1/articles/${id}/publish`, headers: { authorization: auth } });
  if (res.statusCode !== 200) throw new Error(`publish ${id}: ${res.statusCode} ${res.body}`);
  return json(res);
}
