/** Typed errors of the domain; the web layer maps each kind to its HTTP status once (web/errors.ts). */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'gone'
  | 'conflict'
  // The client wrote against a revision that is no longer current (If-Match).
  | 'precondition'
  | 'throttled'
  // Uploads: too many bytes, a type we do not take, a well-formed file we refuse to process (too many pixels).
  | 'too_large'
  | 'unsupported'
  | 'unprocessable'
  // A service we depend on (an external search engine) does not answer: try again later.
  | 'unavailable'
  // Our own failure; the only kind a client cannot fix.
  | 'internal';

/**
 * Every error code the server sends, with its kind (so its HTTP status), in one table as in Fastify's
 * lib/errors.js: a code means one thing everywhere, a new one fails the type check until it is listed here, and
 * the newsroom must have a message for each (src/admin/api.ts, `Record<ErrorCode, string>`).
 */
export const ERROR_CODES = {
  // 400: the request, or a value in it, is wrong.
  invalid_input: 'invalid', // a value of the wrong type or shape (schema)
  unknown_field: 'invalid',
  required: 'invalid',
  invalid_json: 'invalid',
  too_deep: 'invalid', // JSON nested deeper than any request of ours needs
  bad_request: 'invalid', // any other malformed request the framework refused
  too_long: 'invalid',
  too_complex: 'invalid', // article HTML nested too deep or with too many elements
  too_short: 'invalid',
  too_many: 'invalid',
  duplicate: 'invalid',
  invalid_url: 'invalid',
  foreign_url: 'invalid',
  invalid_slug: 'invalid',
  invalid_username: 'invalid',
  invalid_role: 'invalid',
  wrong_password: 'invalid',
  invalid_time: 'invalid',
  in_past: 'invalid',
  too_far: 'invalid',
  in_future: 'invalid', // a publication time later than now (that is a schedule)
  before_created: 'invalid', // a publication time before the article existed
  invalid_date: 'invalid',
  invalid_range: 'invalid',
  invalid_cursor: 'invalid',
  unknown_channel: 'invalid',
  unknown_author: 'invalid', // the archive filtered by a username nobody has
  invalid_status: 'invalid', // a status the archive does not know
  invalid_sort: 'invalid', // a sort the archive does not know, or relevance without keywords
  unknown_article: 'invalid',
  unknown_mood: 'invalid',
  unknown_option: 'invalid', // a poll ballot naming an option the poll does not have, or several on a single-choice poll
  unknown_topic: 'invalid',
  cycle: 'invalid',
  self_reference: 'invalid',
  pinned_and_excluded: 'invalid',
  file_required: 'invalid',
  too_many_files: 'invalid',
  too_many_fields: 'invalid',
  invalid_multipart: 'invalid',
  invalid_image: 'invalid',
  import_refused: 'invalid', // an archive file the import cannot read (not XML of a known format; where, when known)
  comment_blocked: 'invalid', // a comment with a word the sensitive-word list blocks
  unknown_media: 'invalid', // a live entry names an image the library does not have
  // 401: who is calling is unknown.
  unauthorized: 'unauthorized',
  invalid_token: 'unauthorized',
  invalid_credentials: 'unauthorized',
  // 403: the caller may not do this.
  forbidden: 'forbidden',
  csrf_failed: 'forbidden',
  bad_origin: 'forbidden',
  comment_banned: 'forbidden', // a reader or address block a moderator banned from commenting
  // 404
  not_found: 'not_found',
  not_configured: 'not_found',
  // 409: the state of things does not allow it (now).
  invalid_transition: 'conflict',
  concurrent_change: 'conflict',
  not_deletable: 'conflict', // only drafts and submitted articles (never public) go to the 回收站
  channel_exists: 'conflict',
  topic_exists: 'conflict',
  username_taken: 'conflict',
  wechat_unavailable: 'conflict',
  media_in_use: 'conflict', // an article's body or cover uses the image (the answer lists them)
  media_gone: 'conflict', // an image the body or cover names was deleted from the library
  synonym_taken: 'conflict', // a search synonym already in another group
  import_running: 'conflict', // another import (of this install) is under way
  reindex_running: 'conflict', // another rebuild of the same search index is under way (PostgreSQL)
  poll_closed: 'conflict', // a ballot at or after the poll's closing time, or after it was closed by hand
  already_voted: 'conflict', // one ballot per reader per poll: a different second one is refused
  poll_has_votes: 'conflict', // options added, removed or the choice changed after readers voted
  word_taken: 'conflict', // a sensitive word already in the list
  comment_decided: 'conflict', // another moderator decided the comment otherwise first
  duplicate_comment: 'conflict', // a reader without a cookie sent words just posted from the same address
  already_banned: 'conflict',
  not_live: 'conflict', // entries are posted to an article that is a live (图文直播)
  live_ended: 'conflict', // the live is closed (已结束): no new entries until it is reopened
  idempotency_in_progress: 'conflict', // another request with the same Idempotency-Key is still running
  article_in_trash: 'conflict', // an article's creation sent again with its key: the article it made is in the 回收站
  // 410
  article_purged: 'gone', // an article's creation sent again with its key: the article it made was purged from the 回收站
  // 412: If-Match named a revision someone else has replaced.
  stale_revision: 'precondition',
  // 413, 415, 422: uploads.
  payload_too_large: 'too_large',
  unsupported_media_type: 'unsupported',
  too_many_pixels: 'unprocessable',
  image_too_slow: 'unprocessable', // an upload whose variants together took longer than its encoding budget (ENCODE_BUDGET_MS)
  too_many_scans: 'unprocessable', // a JPEG of more scans than any encoder writes (each one a pass over the whole image)
  idempotency_key_reused: 'unprocessable', // an Idempotency-Key sent again with a different request (another body, another route)
  idempotency_answer_lost: 'unprocessable', // the Idempotency-Key's request was done, but its kept answer was altered and will not open
  // 429: too many tries; the response says when to try again.
  too_many_attempts: 'throttled',
  too_many_votes: 'throttled',
  too_many_comments: 'throttled',
  // 503: the external search engine (INKSTONE_SEARCH_URL) failed or did not answer in time.
  search_unavailable: 'unavailable',
  // 503: SQLite's write lock was held past the busy timeout (another process writing the same file); nothing was written.
  database_busy: 'unavailable',
  // 500
  internal: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes of one kind: `invalid()` takes only 400 codes, `conflict()` only 409 codes. */
export type CodeOf<K extends ErrorKind> = { [C in ErrorCode]: (typeof ERROR_CODES)[C] extends K ? C : never }[ErrorCode];

class DomainErrorClass extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** Seconds to wait, for throttled errors. */
    readonly retryAfter?: number,
    /** More for the client, sent beside code and message (a stale write gets the current revision). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** `new DomainError(kind, code, message, field?, retryAfter?)`, where the code must be one of that kind's in ERROR_CODES. */
export const DomainError = DomainErrorClass as new <K extends ErrorKind>(
  kind: K,
  code: CodeOf<K>,
  message: string,
  field?: string,
  retryAfter?: number,
  details?: Record<string, unknown>,
) => DomainErrorClass;
export type DomainError = DomainErrorClass;

export const invalid = (message: string, field?: string, code: CodeOf<'invalid'> = 'invalid_input') => new DomainError('invalid', code, message, field);
export const notFound = (what: string) => new DomainError('not_found', 'not_found', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do that') => new DomainError('forbidden', 'forbidden', message);
export const conflict = (code: CodeOf<'conflict'>, message: string, field?: string) => new DomainError('conflict', code, message, field);
export const unauthorized = (message = 'Sign in or send a valid API token', code: CodeOf<'unauthorized'> = 'unauthorized') =>
  new DomainError('unauthorized', code, message);
