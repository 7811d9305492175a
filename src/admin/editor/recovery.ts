import type { Content } from '../merge.ts';

/**
 * The browser's copy of an editor's unsaved text (localStorage), so a tab that dies (crash, power, closed while
 * offline or before the autosave) loses nothing: written while the screen differs from what the server has, removed
 * once the server has exactly that text, offered back when the same account opens the article (or a new article) again.
 * Kept per account and article; another account's copies are never read. The 图文直播 page keeps an unsent entry, and
 * an unsent change of each of its entries, the same way (their own keys beside the article's). What all copies together keep is capped
 * (the oldest go first), and a full or refused storage is never an error of the editor.
 */

/** One unsaved state of an article on screen. */
export interface LocalCopy {
  /** When it was written (ms). */
  at: number;
  /** The form and the body on screen. */
  content: Content;
  /** The revision the screen's changes were made against, and its content (for the three-way merge); null for a new article. */
  base: { revision: number; content: Content } | null;
  /**
   * A creating request sent and not answered (the server may have made the article or entry and only the answer was
   * lost): its Idempotency-Key and body as sent, so 恢复 sends exactly it again and the server answers what it made
   * instead of making a second one; `screen` is the content it was made from, `sentAt` when it first went (ms).
   */
  sent?: { key: string; payload: unknown; screen?: Content; sentAt: number };
}

const PREFIX = 'inkstone.recovery.v1:';
const INDEX = 'inkstone.recovery.v1.index';
/** All copies together, in UTF-16 units as localStorage counts them (2 bytes each): 4 MB of the usual 5–10 MB per site. */
export const RECOVERY_CAP = 2_000_000;

type Index = Record<string, { at: number; size: number }>;

/**
 * Whose text a copy keeps: an article's (`undefined`: the new article not yet saved), the 图文直播 entry being
 * written for an article (`{ live: id }`), or the change being typed into one of its existing entries
 * (`{ live: id, entry: entryId }`).
 */
export type CopyOf = number | undefined | { live: number; entry?: number };

const copyName = (of: CopyOf) =>
  of === undefined ? 'new' : typeof of === 'number' ? `${of}` : of.entry === undefined ? `${of.live}:live` : `${of.live}:live:${of.entry}`;

/**
 * The storage key of one account's copy of one article's text (`new`: the article not yet saved; `:live`: its unsent
 * live entry; `:live:<entry id>`: an unsent change of one of its entries).
 */
export const copyKey = (username: string, of: CopyOf) => `${PREFIX}${encodeURIComponent(username)}:${copyName(of)}`;

/** The creating request a copy keeps, when it is whole (a damaged one is as good as none). */
export function sentOf(copy: LocalCopy): LocalCopy['sent'] {
  const sent = copy.sent as Partial<NonNullable<LocalCopy['sent']>> | undefined;
  if (!sent || typeof sent.key !== 'string' || !sent.key || sent.payload === undefined || typeof sent.sentAt !== 'number') return undefined;
  const screen = sent.screen && typeof sent.screen.body === 'string' && typeof sent.screen.fields === 'object' ? sent.screen : undefined;
  return { key: sent.key, payload: sent.payload, screen, sentAt: sent.sentAt };
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Storage disabled by the browser's settings.
    return null;
  }
}

/**
 * Every copy kept, with its time and size as the index has them (the copies are not read again: this runs on each
 * write while the writer types); copies the index missed (a write cut short) are measured and count as the oldest.
 */
function readIndex(s: Storage): Index {
  let index: Index = {};
  try {
    const parsed: unknown = JSON.parse(s.getItem(INDEX) ?? '{}');
    if (parsed && typeof parsed === 'object') index = parsed as Index;
  } catch {
    // A damaged index is rebuilt from the keys below.
  }
  const out: Index = {};
  for (let i = 0; i < s.length; i++) {
    const key = s.key(i);
    if (!key?.startsWith(PREFIX)) continue;
    const known = index[key];
    out[key] = known && typeof known.at === 'number' && typeof known.size === 'number' ? known : { at: 0, size: (s.getItem(key) ?? '').length };
  }
  return out;
}

function writeIndex(s: Storage, index: Index) {
  try {
    s.setItem(INDEX, JSON.stringify(index));
  } catch {
    // Without the index the copies are still there, and counted as the oldest.
  }
}

/** The account's copy of the article, or null (none, or unreadable). */
export function readLocalCopy(username: string, articleId: CopyOf): LocalCopy | null {
  const s = storage();
  if (!s) return null;
  try {
    const raw = s.getItem(copyKey(username, articleId));
    if (!raw) return null;
    const copy = JSON.parse(raw) as LocalCopy;
    if (typeof copy?.at !== 'number' || typeof copy.content?.body !== 'string' || typeof copy.content.fields !== 'object') return null;
    return copy;
  } catch {
    return null;
  }
}

/**
 * Keeps the copy, dropping the oldest other copies (of any account) when all of them would pass the cap or the
 * browser's quota; false when it could not be kept (larger than the cap, or storage refused).
 */
export function writeLocalCopy(username: string, articleId: CopyOf, copy: LocalCopy, cap = RECOVERY_CAP): boolean {
  const s = storage();
  if (!s) return false;
  const key = copyKey(username, articleId);
  try {
    const value = JSON.stringify(copy);
    const index = readIndex(s);
    delete index[key];
    if (value.length > cap) {
      // Too large to keep at all: an older state of this article would only mislead.
      s.removeItem(key);
      writeIndex(s, index);
      return false;
    }
    const oldestFirst = Object.keys(index).sort((a, b) => index[a]!.at - index[b]!.at);
    let total = Object.values(index).reduce((sum, e) => sum + e.size, 0);
    while (total + value.length > cap && oldestFirst.length > 0) {
      const drop = oldestFirst.shift()!;
      total -= index[drop]!.size;
      s.removeItem(drop);
      delete index[drop];
    }
    for (;;) {
      try {
        s.setItem(key, value);
        break;
      } catch {
        // The site's quota is full (other data of the site counts too): make room, oldest first.
        const drop = oldestFirst.shift();
        if (!drop) {
          s.removeItem(key);
          writeIndex(s, index);
          return false;
        }
        s.removeItem(drop);
        delete index[drop];
      }
    }
    index[key] = { at: copy.at, size: value.length };
    writeIndex(s, index);
    return true;
  } catch {
    return false;
  }
}

/** Forgets the account's copy of the article (saved on the server, or discarded by the writer). */
export function removeLocalCopy(username: string, articleId: CopyOf): void {
  const s = storage();
  if (!s) return;
  const key = copyKey(username, articleId);
  try {
    if (s.getItem(key) === null) return;
    s.removeItem(key);
    const index = readIndex(s);
    delete index[key];
    writeIndex(s, index);
  } catch {
    // Nothing to do: a copy left behind is offered again, never applied by itself.
  }
}
