/**
 * What changed for readers, announced after the change committed. Subscribers (the page cache today; search,
 * related reading and webhooks as they move out of the write transaction) react to the fact, not to URLs, so the
 * API, the CLI, the scheduler and imports all cause the same purges.
 */
export type ContentChange =
  | {
      kind: 'article';
      articleId: number;
      channelId: number;
      /** Readers could see the article before or after the change: only then do reader pages change. */
      public: boolean;
    }
  | { kind: 'channel' | 'topic' | 'slot' | 'account' | 'related' | 'poll'; id: number | string }
  /** An article's shown comments changed (approved, removed, answered): its own page only. */
  | { kind: 'comments'; id: number }
  /** A live's entry or status changed: `seq` is the change's number in the live's sequence (see domain/live). */
  | { kind: 'live'; articleId: number; seq: number; public: boolean };

export type ContentListener = (change: ContentChange) => void;

export class ContentEvents {
  private readonly listeners = new Set<ContentListener>();

  subscribe(listener: ContentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: ContentChange): void {
    // A failing subscriber must not undo or fail a write that already committed.
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        /* subscribers log their own failures */
      }
    }
  }
}
