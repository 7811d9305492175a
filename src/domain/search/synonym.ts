/**
 * The newsroom's search synonyms and abbreviations (北大 ↔ 北京大学): groups of words that mean the same. A query word
 * in a group matches an article with any word of the group. They apply at query time, so a change needs no reindex.
 */
export interface SynonymGroup {
  id: number;
  /** As the admin typed them. */
  words: string[];
  createdAt: number;
  updatedAt: number;
  updatedBy: number | null;
}

export interface SynonymWrite {
  words: string[];
  /** The words normalized as search normalizes text, each once: the keys no other group may have. */
  keys: string[];
  actorId: number;
  at: number;
}
