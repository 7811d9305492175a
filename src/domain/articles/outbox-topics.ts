/** The outbox topics of an article's search index entries, and of its related reading (queued by the first). */
export const ARTICLE_INDEXING = 'article.index';
export const ARTICLE_RELATED = 'article.related';

/**
 * How long a change that readers do not see (an unpublished article saved, submitted, scheduled or deleted; not a
 * takedown) waits before its index entry and related reading are made (see queueIndexing). A create followed by its
 * publish (a wire feed, an API client, an editor publishing a new story at once) is then one piece of work, done from
 * the published article, and a burst of autosaves is one every second or two instead of one per save: each is a
 * segmentation, a search entry and a related analysis. The newsroom's search finds a draft within this plus the
 * outbox's poll (1 s).
 */
export const DRAFT_QUIET_MS = 1_500;

/**
 * The longest any new work waits in the outbox before it is due. A drain, which must leave nothing behind, claims the
 * work due within it too; and new work due later than this from now was written by a process whose clock is ahead of
 * ours (or ours was set back): it is due at once rather than stranded.
 */
export const OUTBOX_LONGEST_WAIT = DRAFT_QUIET_MS;
