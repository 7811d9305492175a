import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import type { Ctx } from '../context.ts';
import { invalid } from '../errors.ts';
import { authorize } from '../policy.ts';
import { lineField } from '../text.ts';
import type { Source } from './source.ts';

export const SOURCE_LIMITS = { name: 100, url: 500 };

export async function listSources(ctx: Ctx, actor: Actor): Promise<Source[]> {
  authorize(actor, 'source.create');
  return ctx.store.sources.all();
}

function sourceUrl(value: string | undefined): string {
  const v = (value ?? '').trim();
  if (v === '') return '';
  if (v.length > SOURCE_LIMITS.url) throw invalid(`url must be at most ${SOURCE_LIMITS.url} characters`, 'url', 'too_long');
  try {
    const url = new URL(v);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !/[\s"'<>]/.test(v)) return url.href;
  } catch {
    // reported below
  }
  throw invalid('url must be an http(s) URL', 'url', 'invalid_url');
}

/** Adds a source to the reusable list, or updates the URL of the one with that name; returns it and whether it is new. */
export async function saveSource(ctx: Ctx, actor: Actor, input: { name: string; url?: string }): Promise<{ source: Source; created: boolean }> {
  authorize(actor, 'source.create');
  const name = lineField(input.name, 'name', SOURCE_LIMITS.name, true);
  const url = sourceUrl(input.url);
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'source.create');
    // Two people adding the same new source at once: the second updates the first's (not a unique-key 500).
    await store.serialize('sources');
    const now = ctx.clock.now();
    const existing = await store.sources.findByName(name);
    if (existing) await store.sources.update(existing.id, { url });
    else await store.sources.insert({ name, url, createdBy: actor.id, at: now });
    const source = (await store.sources.findByName(name))!;
    await store.history.record({
      at: now,
      actorId: actor.id,
      action: existing ? 'source.update' : 'source.create',
      subjectType: 'source',
      subjectId: source.id,
      detail: { name, url },
    });
    return { source, created: !existing };
  });
}
