import type { Actor } from '../accounts/roles.ts';
import { writeActing } from '../accounts/service.ts';
import type { Ctx } from '../context.ts';
import { cleanLine } from '../articles/html.ts';
import { invalid, notFound, conflict } from '../errors.ts';
import { authorize } from '../policy.ts';
import type { Store } from '../store.ts';
import { length } from '../text.ts';
import { foldWord } from './normalize.ts';
import { WORD_ACTIONS, type SensitiveWord, type SensitiveWordWrite, type WordAction } from './word.ts';

export const WORD_LIMITS = { wordChars: 30, words: 50_000, importLines: 20_000 };

/** The actions' names an editor may type in an imported list, beside the English ones. */
const ACTION_NAMES: Record<string, WordAction> = {
  block: 'block',
  屏蔽: 'block',
  禁止: 'block',
  拦截: 'block',
  mask: 'mask',
  打码: 'mask',
  替换: 'mask',
  遮盖: 'mask',
  review: 'review',
  审核: 'review',
  人工审核: 'review',
  待审: 'review',
};

export function wordAction(value: string): WordAction {
  const action = ACTION_NAMES[value.trim().toLowerCase()];
  if (!action) throw invalid(`action must be one of ${WORD_ACTIONS.join(', ')}`, 'action');
  return action;
}

/** A word checked and folded: at most 30 characters, something left once separators are dropped. */
export function checkWord(input: string): { word: string; key: string } {
  const word = cleanLine(input);
  if (word === '') throw invalid('word must not be empty', 'word', 'required');
  if (length(word) > WORD_LIMITS.wordChars) throw invalid(`a word is at most ${WORD_LIMITS.wordChars} characters`, 'word', 'too_long');
  const key = foldWord(word);
  if (key === '') throw invalid(`"${word}" has no letters or characters to match (only punctuation or spaces)`, 'word', 'invalid_input');
  return { word, key };
}

/**
 * A pasted list: one word per line, optionally followed by its action after a tab, a comma or a space (屏蔽/打码/审核
 * or block/mask/review); `#` starts a comment line. Lines that are not a word are reported with their number, and
 * nothing is imported then, so an editor fixes the file and sends it again.
 */
export function parseWordList(text: string, fallback: WordAction): { word: string; key: string; action: WordAction }[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > WORD_LIMITS.importLines) throw invalid(`at most ${WORD_LIMITS.importLines} lines at once`, 'text', 'too_many');
  const out = new Map<string, { word: string; key: string; action: WordAction }>();
  const errors: string[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(.*?)(?:[\t,，]\s*|\s+)([^\s,，\t]+)$/u.exec(line);
    let word = line;
    let action = fallback;
    if (m && ACTION_NAMES[m[2]!.toLowerCase()]) {
      word = m[1]!;
      action = ACTION_NAMES[m[2]!.toLowerCase()]!;
    }
    try {
      const checked = checkWord(word);
      // The last line of a word wins, as it would if the lines were sent one by one.
      out.set(checked.key, { ...checked, action });
    } catch (err) {
      if (errors.length < 10) errors.push(`第 ${i + 1} 行：${(err as Error).message}`);
    }
  });
  if (errors.length > 0) throw invalid(`some lines are not words: ${errors.join('; ')}`, 'text');
  if (out.size === 0) throw invalid('the list has no words', 'text', 'required');
  return [...out.values()];
}

export async function listWords(ctx: Ctx, actor: Actor): Promise<SensitiveWord[]> {
  authorize(actor, 'comments.configure');
  return ctx.store.moderationWords.all();
}

function changed(ctx: Ctx, store: Store): void {
  store.afterCommit(() => ctx.wordList.invalidate());
}

/** Adds words (one, or an imported list); a word already listed takes the new action. Audited once per call. */
export async function addWords(
  ctx: Ctx,
  actor: Actor,
  input: { word: string; action: WordAction } | { text: string; action: WordAction },
): Promise<{ added: number; updated: number }> {
  authorize(actor, 'comments.configure');
  const how = 'text' in input ? 'import' : 'add';
  const words = 'text' in input ? parseWordList(input.text, input.action) : [{ ...checkWord(input.word), action: input.action }];
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'comments.configure');
    // Changes to the list take turns: two admins adding one word at once would each count it as added (and audit an
    // addition twice), and two imports would each check the size limit without the other's words.
    await store.serialize('moderation_words');
    const at = ctx.clock.now();
    const writes: SensitiveWordWrite[] = words.map((w) => ({ ...w, actorId: actor.id, at }));
    const result = await store.moderationWords.upsert(writes);
    if ((await store.moderationWords.count()) > WORD_LIMITS.words) throw invalid(`the list holds at most ${WORD_LIMITS.words} words`, 'text', 'too_many');
    await store.history.record({
      at,
      actorId: actor.id,
      action: how === 'import' ? 'moderation.import' : 'moderation.add',
      subjectType: 'moderation_word',
      subjectId: 0,
      detail: { ...result, words: words.slice(0, 20).map((w) => w.word), actions: [...new Set(words.map((w) => w.action))] },
    });
    changed(ctx, store);
    return result;
  });
}

export async function updateWord(ctx: Ctx, actor: Actor, id: number, input: { word: string; action: WordAction }): Promise<SensitiveWord> {
  authorize(actor, 'comments.configure');
  const { word, key } = checkWord(input.word);
  return writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'comments.configure');
    // As addWords: two renames to one word at once would both find it free (a unique-key 500 on PostgreSQL).
    await store.serialize('moderation_words');
    const before = await store.moderationWords.find(id);
    if (!before) throw notFound('Word');
    // Always later than the word's last change: the list's fingerprint (other processes' caches) sums these times.
    const at = Math.max(ctx.clock.now(), before.updatedAt + 1);
    const result = await store.moderationWords.update(id, { word, key, action: input.action, actorId: actor.id, at });
    if (result === 'gone') throw notFound('Word');
    if (result === 'taken') throw conflict('word_taken', `"${word}" is already in the list`, 'word');
    await store.history.record({
      at,
      actorId: actor.id,
      action: 'moderation.update',
      subjectType: 'moderation_word',
      subjectId: id,
      detail: { before: before.word, beforeAction: before.action, word, action: input.action },
    });
    changed(ctx, store);
    return (await store.moderationWords.find(id))!;
  });
}

export async function deleteWord(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  authorize(actor, 'comments.configure');
  await writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'comments.configure');
    const gone = await store.moderationWords.remove(id);
    if (!gone) throw notFound('Word');
    await store.history.record({
      at: ctx.clock.now(),
      actorId: actor.id,
      action: 'moderation.delete',
      subjectType: 'moderation_word',
      subjectId: id,
      detail: { word: gone.word, action: gone.action },
    });
    changed(ctx, store);
  });
}
