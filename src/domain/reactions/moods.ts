/** A mood readers can vote on an article (您此时的心情). */
export interface Mood {
  key: string;
  label: string;
}

export const DEFAULT_MOODS: Mood[] = [
  { key: 'happy', label: '开心' },
  { key: 'sad', label: '难过' },
  { key: 'like', label: '点赞' },
  { key: 'pass', label: '飘过' },
];

const KEY = /^[a-z][a-z0-9_]{0,19}$/;

/**
 * Parses `happy:开心,sad:难过,…` (INKSTONE_MOODS). Throws an Error naming the bad entry; config.ts turns it
 * into a ConfigError so a typo stops the start instead of silently dropping a mood.
 */
export function parseMoods(value: string | undefined): Mood[] {
  if (value === undefined || value.trim() === '') return DEFAULT_MOODS.map((m) => ({ ...m }));
  const moods: Mood[] = [];
  for (const entry of value.split(',')) {
    const at = entry.indexOf(':');
    const key = (at < 0 ? entry : entry.slice(0, at)).trim();
    const label = at < 0 ? '' : entry.slice(at + 1).trim();
    if (!KEY.test(key)) throw new Error(`mood key "${key}" must be lowercase letters, digits or _ (at most 20), starting with a letter`);
    if (label === '' || [...label].length > 10) throw new Error(`mood "${key}" needs a label of 1 to 10 characters, as in ${key}:开心`);
    if (moods.some((m) => m.key === key)) throw new Error(`mood "${key}" is listed twice`);
    moods.push({ key, label });
  }
  if (moods.length > 12) throw new Error('at most 12 moods');
  return moods;
}
