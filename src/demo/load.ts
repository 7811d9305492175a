import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { toActor } from '../domain/accounts/service.ts';
import { createArticle, publishArticle } from '../domain/articles/service.ts';
import { ManualClock } from '../domain/clock.ts';
import { createChannel } from '../domain/channels/service.ts';
import type { Ctx } from '../domain/context.ts';
import { packageFile } from '../package-files.ts';
import { MediaFolder } from '../domain/media/files.ts';
import { contentTypeOf } from '../domain/media/media-store.ts';
import { createTopic } from '../domain/topics/service.ts';
import { setSlot } from '../domain/slots/service.ts';
import { seedDemoReactions } from './reactions.ts';
import type { DemoArticle, DemoChannel, DemoTopic } from './types.ts';

// The JSON beside this file, read at run time (from the sources also when the code runs from dist/).
const here = packageFile('src/demo');
const imagesDir = packageFile('demo/images');

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(here, file), 'utf8')) as T;
}

export function demoArticles(): DemoArticle[] {
  return readdirSync(here)
    .filter((f) => /^articles-.*\.json$/.test(f))
    .sort()
    .flatMap((f) => readJson<DemoArticle[]>(f));
}

/** Loads the demo newsroom: channel tree, published articles over the last 30 days, images, topics. */
export async function loadDemo(ctx: Ctx, config: Config): Promise<{ channels: number; articles: number; topics: number }> {
  const admin = await ctx.store.accounts.findByUsername('admin');
  if (!admin) throw new Error('The demo needs the admin account; run a first start or `inkstone user add admin --role admin`');
  const actor = toActor(admin);

  let channels = 0;
  const addChannels = async (list: DemoChannel[], parent?: string) => {
    for (const c of list) {
      await createChannel(ctx, null, { slug: c.slug, name: c.name, parent });
      channels++;
      if (c.children) await addChannels(c.children, parent ? `${parent}/${c.slug}` : c.slug);
    }
  };
  await addChannels(readJson<DemoChannel[]>('channels.json'));

  // Demo images live in the repo; put into the media store (through a temporary copy) they are served like uploads.
  if (existsSync(imagesDir)) {
    const folder = new MediaFolder(path.join(config.dataDir, 'media'));
    await mkdir(folder.tmp, { recursive: true });
    for (const f of readdirSync(imagesDir)) {
      const temp = folder.tempFile();
      try {
        await copyFile(path.join(imagesDir, f), temp);
        await ctx.media.put(`demo/${f}`, temp, contentTypeOf(f));
      } finally {
        await rm(temp, { force: true });
      }
    }
  }

  const now = ctx.clock.now();
  const ids = new Map<string, number>();
  // Oldest first, so ids grow with publication time as in a real newsroom.
  const articles = demoArticles().sort((a, b) => b.hoursAgo - a.hoursAgo);
  for (const d of articles) {
    const at = now - Math.round(d.hoursAgo * 3600_000);
    const clock = new ManualClock(at - 20 * 60_000);
    const demoCtx = { ...ctx, clock };
    const created = await createArticle(demoCtx, actor, {
      title: d.title,
      subtitle: d.subtitle,
      channel: d.channel,
      body: d.body.replaceAll('/demo-images/', '/media/demo/'),
      summary: d.summary,
      source: d.source,
      byline: d.byline,
      editor: d.editor,
      tags: d.tags,
      cover: d.cover ? `/media/demo/${d.cover}` : undefined,
    });
    clock.set(at);
    await publishArticle(demoCtx, actor, created.id);
    ids.set(d.key, created.id);
  }

  const published = await ctx.store.articles.findMany([...ids.values()]);
  await seedDemoReactions(
    ctx,
    config,
    published.map((a) => ({ id: a.id, publishedAt: a.publishedAt! })),
  );

  // The newest illustrated stories fill the carousel; the newest top stories are the headlines.
  const newestFirst = [...articles].reverse();
  await setSlot(
    ctx,
    actor,
    'focus',
    newestFirst
      .filter((d) => d.cover)
      .slice(0, 6)
      .map((d) => ({ articleId: ids.get(d.key)! })),
  );
  await setSlot(
    ctx,
    actor,
    'headline',
    newestFirst
      .filter((d) => d.channel === 'difang/yaowen')
      .slice(0, 3)
      .map((d) => ({ articleId: ids.get(d.key)! })),
  );

  let topics = 0;
  if (existsSync(path.join(here, 'topics.json'))) {
    for (const t of readJson<DemoTopic[]>('topics.json')) {
      await createTopic(ctx, actor, {
        slug: t.slug,
        title: t.title,
        description: t.description,
        cover: t.cover ? `/media/demo/${t.cover}` : undefined,
        articles: t.articles.map((key) => ids.get(key)).filter((id): id is number => id !== undefined),
      });
      topics++;
    }
  }
  return { channels, articles: articles.length, topics };
}
