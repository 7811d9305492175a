/** What the newsroom does with text containing a word of the list. */
export const WORD_ACTIONS = ['block', 'mask', 'review'] as const;
export type WordAction = (typeof WORD_ACTIONS)[number];

/** One entry of the sensitive-word list (敏感词). */
export interface SensitiveWord {
  id: number;
  /** As the editor typed it. */
  word: string;
  /** Folded (moderation/normalize.ts): one entry per key, kept unique by the table. */
  key: string;
  action: WordAction;
  createdAt: number;
  updatedAt: number;
  updatedBy: number | null;
}

export interface SensitiveWordWrite {
  word: string;
  key: string;
  action: WordAction;
  actorId: number;
  at: number;
}
