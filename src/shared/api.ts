/**
 * The JSON API's contract with its browser client (the newsroom, src/admin): types only, derived from the server's
 * presenters, policy and error table, so a change there is a type error in the client rather than a drift. Import it
 * with `import type`: nothing here reaches the browser bundle.
 */
import type { Role } from '../domain/accounts/roles.ts';
import type { ArticleStatus } from '../domain/articles/status.ts';
import type { ErrorCode } from '../domain/errors.ts';
import type { actorAbilities, articleAbilities } from '../domain/policy.ts';
import type { archiveItem, channelOut, newsroomArticle, presenceOut, relatedOut, revisionOut, slotOut, topicOut } from '../web/presenters/articles.ts';
import type { mediaDetailOut, mediaItemOut, mediaOut } from '../web/presenters/media.ts';
import type { bulkOut, trashItem } from '../web/presenters/trash.ts';
import type { importRunOut } from '../web/presenters/imports.ts';
import type { heldBallotsOut, newsroomPollOut, pollHourOut } from '../web/presenters/polls.ts';
import type { banOut, commentNewsroom, sensitiveWordOut } from '../web/presenters/comments.ts';
import type { liveStatusOut, newsroomLive, newsroomLiveEntry } from '../web/presenters/live.ts';
import type { accountOut, auditOut, newTokenOut, sessionOut, sourceOut, synonymOut, tokenOut } from '../web/presenters/newsroom.ts';

export type { ArticleStatus, ErrorCode, Role };

/** Every error response: `{"error": {code, message, field?}}` with a `retry-after` header when throttled. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** A list; `next` (where a list pages) is the `before` of the following page, null on the last. */
export interface List<T> {
  items: T[];
}
export interface Paged<T> extends List<T> {
  next: number | null;
}

// Sessions and people
export type UserAbilities = ReturnType<typeof actorAbilities>;
/** GET /session (signed in), POST /session. */
export type Session = ReturnType<typeof sessionOut>;
export type User = Session['user'];
/** GET /session. */
export type SessionState = Session | { user: null };
export type Account = ReturnType<typeof accountOut>;
export type Token = ReturnType<typeof tokenOut>;
/** POST /tokens: the only response that carries the token itself. */
export type NewToken = ReturnType<typeof newTokenOut>;

// Articles
export type ArticleAbilities = ReturnType<typeof articleAbilities>;
/** GET/POST/PATCH /articles…, and every workflow action's answer. */
export type Article = ReturnType<typeof newsroomArticle>;
/** An article of the archive (稿件库, GET /articles): the article with its title escaped and the matched words in <mark>. */
export type ArchiveItem = ReturnType<typeof archiveItem>;
/**
 * GET /articles: `next` is the opaque cursor of the following page (null on the last); with keywords, `total` counts
 * the matches (first page) and `capped` says an index had more matches than were taken (its newest 5,000).
 */
export interface ArchivePage extends List<ArchiveItem> {
  next: string | null;
  total?: number;
  capped?: boolean;
}
export type Revision = ReturnType<typeof revisionOut>;
/** GET/PUT /articles/:id/related; `pinned` and `excluded` only for those who may curate. */
export type RelatedList = ReturnType<typeof relatedOut>;
export type Media = ReturnType<typeof mediaOut>;
/** GET /media: one picture-library entry. */
export type MediaItem = ReturnType<typeof mediaItemOut>;
/** GET/PATCH /media/:id: the entry and the articles using it. */
export type MediaDetail = ReturnType<typeof mediaDetailOut>;
/** GET /media: a page of the library; `next` is the cursor of the following page. */
export interface MediaPage {
  items: MediaItem[];
  next: string | null;
}
/** 409 media_in_use: the articles using the image, and the topics showing it as their cover. */
export interface MediaInUse {
  articles: { id: number; title: string; status: ArticleStatus; inArticle: boolean; liveEntries: number[] }[];
  topics: { id: number; slug: string; title: string }[];
}
/** POST /articles/:id/presence: who else has the article open in the editor. */
export type PresenceAnswer = ReturnType<typeof presenceOut>;
/** GET /trash: `{items, next}` where `next` is the cursor string of the following page. */
export type TrashItem = ReturnType<typeof trashItem>;
/** POST /articles/bulk: per article `{id, ok, unchanged?, error?}`. */
export type BulkAnswer = ReturnType<typeof bulkOut>;
/** GET /articles/:id/live: the live's status (null: not a live), its entries and what the caller may do. */
export type LiveAnswer = ReturnType<typeof newsroomLive>;
/** One entry of a live, as POST/PATCH /articles/:id/live/entries answer it. */
export type LiveEntryItem = ReturnType<typeof newsroomLiveEntry>;
/** PUT /articles/:id/live. */
export type LiveStatusAnswer = ReturnType<typeof liveStatusOut>;

// Curation and the desk
export type Channel = ReturnType<typeof channelOut>;
export type Topic = ReturnType<typeof topicOut>;
export type Slot = ReturnType<typeof slotOut>;
export type Source = ReturnType<typeof sourceOut>;
/** GET /search/synonyms: `{items, limits}`; a group of words search treats as one. */
export type SynonymGroup = ReturnType<typeof synonymOut>;
export type AuditEvent = ReturnType<typeof auditOut>;
/** GET /audit?action=: a group of actions; every action the code records is in one (domain/audit/actions.ts). */
export type { AuditGroup, KnownAuditAction } from '../domain/audit/actions.ts';

// Imports (the 导入 page)
/** POST /imports (202), GET /imports/:id: one run, its progress, then its report or error. */
export type ImportRun = ReturnType<typeof importRunOut>;
/** The importer's report, as the CLI prints it. */
export type ImportRunReport = NonNullable<ImportRun['report']>;
/** GET /imports: the newest 50 runs, and the largest file the page takes. */
export interface ImportHistory extends List<ImportRun> {
  limits: { maxBytes: number };
}
// Polls (云投)
/** GET /polls (items), POST /polls, PATCH /polls/:id, POST /polls/:id/close: a poll with counts, held ballots and abilities. */
export type NewsroomPoll = ReturnType<typeof newsroomPollOut>;
/** GET /polls/:id/results: the poll with its public votes per hour. */
export type PollResultsOut = NewsroomPoll & { hours: ReturnType<typeof pollHourOut>[] };
/** GET /polls/held: held ballots by poll and (hashed) address prefix. */
export type HeldPollBallots = ReturnType<typeof heldBallotsOut>;
// Readers' comments (留言) and the sensitive-word list (敏感词), #15
/** GET /comments: `{items, counts, nextAfter}`; one comment in the moderation queue. */
export type QueuedComment = ReturnType<typeof commentNewsroom>;
export type CommentBan = ReturnType<typeof banOut>;
/** GET /moderation/words: `{items, limits}`. */
export type SensitiveWord = ReturnType<typeof sensitiveWordOut>;
