import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import type { Ctx } from '../context.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { normalizeText } from '../nlp/segment.ts';
import { authorize } from '../policy.ts';
import type { Store } from '../store.ts';
import { cleanLine } from '../articles/html.ts';
import { length } from '../text.ts';
import type { SynonymGroup } from './synonym.ts';

export const SYNONYM_LIMITS = { words: 20, wordChars: 30, groups: 2000 };

/** The words of a group, checked: 2–20 of them, each a word or phrase of at most 30 characters, none twice. */
export function synonymWords(input: readonly string[]): { words: string[]; keys: string[] } {
  const words = input.map((w) => cleanLine(w));
  if (words.some((w) => w === '')) throw invalid('words must not be empty', 'words', 'required');
  if (words.length < 2) throw invalid('a group needs at least two words', 'words', 'too_short');
  if (words.length > SYNONYM_LIMITS.words) throw invalid(`a group has at most ${SYNONYM_LIMITS.words} words`, 'words', 'too_many');
  const keys: string[] = [];
  for (const w of words) {
    if (length(w) > SYNONYM_LIMITS.wordChars) throw invalid(`each word is at most ${SYNONYM_LIMITS.wordChars} characters`, 'words', 'too_long');
    const key = normalizeText(w);
    if (key === '' || key.includes(' ')) throw invalid(`"${w}" is not one word or phrase (no spaces or punctuation between words)`, 'words', 'invalid_input');
    if (keys.includes(key)) throw invalid(`"${w}" is in the group twice`, 'words', 'duplicate');
    keys.push(key);
  }
  return { words, keys };
}

export async function listSynonyms(ctx: Ctx, actor: Actor): Promise<SynonymGroup[]> {
  authorize(actor, 'search.synonyms');
  return ctx.store.synonyms.all();
}

function taken(words: string[]): Error {
  return conflict('synonym_taken', `${words.join('、')} already belong to another group`, 'words');
}

export async function createSynonyms(ctx: Ctx, actor: Actor, input: { words: string[] }): Promise<SynonymGroup> {
  authorize(actor, 'search.synonyms');
  const { words, keys } = synonymWords(input.words);
  const group = await writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'search.synonyms');
    if ((await store.synonyms.count()) >= SYNONYM_LIMITS.groups) throw invalid(`at most ${SYNONYM_LIMITS.groups} groups`, 'words', 'too_many');
    const at = ctx.clock.now();
    const result = await store.synonyms.insert({ words, keys, actorId: actor.id, at });
    if ('taken' in result) throw taken(result.taken);
    await store.history.record({ at, actorId: actor.id, action: 'synonym.create', subjectType: 'synonym', subjectId: result.id, detail: { words } });
    changed(ctx, store);
    return (await store.synonyms.find(result.id))!;
  });
  return group;
}

export async function updateSynonyms(ctx: Ctx, actor: Actor, id: number, input: { words: string[] }): Promise<SynonymGroup> {
  authorize(actor, 'search.synonyms');
  const { words, keys } = synonymWords(input.words);
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'search.synonyms');
    const before = await store.synonyms.find(id);
    if (!before) throw notFound('Synonym group');
    const at = ctx.clock.now();
    const result = await store.synonyms.update(id, { words, keys, actorId: actor.id, at });
    if (result === 'gone') throw notFound('Synonym group');
    if (result !== 'ok') throw taken(result.taken);
    await store.history.record({
      at,
      actorId: actor.id,
      action: 'synonym.update',
      subjectType: 'synonym',
      subjectId: id,
      detail: { before: before.words, words },
    });
    changed(ctx, store);
    return (await store.synonyms.find(id))!;
  });
}

export async function deleteSynonyms(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  authorize(actor, 'search.synonyms');
  await writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'search.synonyms');
    const before = await store.synonyms.find(id);
    if (!before || !(await store.synonyms.remove(id))) throw notFound('Synonym group');
    await store.history.record({
      at: ctx.clock.now(),
      actorId: actor.id,
      action: 'synonym.delete',
      subjectType: 'synonym',
      subjectId: id,
      detail: { words: before.words },
    });
    changed(ctx, store);
  });
}

function changed(ctx: Ctx, store: Store): void {
  store.afterCommit(() => ctx.synonyms.invalidate());
}
