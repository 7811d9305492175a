import type { Generated } from 'kysely';

/** Table types for Kysely. Times are integer milliseconds since the epoch on both stores. */

export interface ChannelTable {
  id: Generated<number>;
  slug: string;
  name: string;
  parent_id: number | null;
  path: string;
  position: number;
  description: string;
  created_at: number;
}

export interface AccountTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionTable {
  id: string; // sha256 of the cookie value
  account_id: number;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface ApiTokenTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface ArticleTable {
  id: Generated<number>;
  title: string;
  subtitle: string;
  summary: string;
  body_html: string;
  body_text: string;
  channel_id: number;
  source: string;
  byline: string;
  editor: string;
  cover: string;
  status: string;
  published_at: number | null;
  scheduled_at: number | null;
  created_at: number;
  updated_at: number;
  author_id: number;
  revision: number;
  /** In the 回收站 since (ms); null for every live article. */
  deleted_at: number | null;
  deleted_by: number | null;
  /** 0 or 1: a cover or an image in the body (see hasImage); kept by the repository on every write. */
  has_image: Generated<number>;
}

export interface TagTable {
  id: Generated<number>;
  name: string;
}

export interface ArticleTagTable {
  article_id: number;
  tag_id: number;
  position: number;
}

export interface TopicTable {
  id: Generated<number>;
  slug: string;
  title: string;
  description: string;
  cover: string;
  created_at: number;
  updated_at: number;
}

export interface TopicArticleTable {
  topic_id: number;
  article_id: number;
  position: number;
}

export interface RevisionTable {
  id: Generated<number>;
  article_id: number;
  number: number;
  account_id: number | null;
  action: string;
  snapshot: string; // JSON of the article's editable fields at that revision
  created_at: number;
  note: Generated<string>;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: number;
  actor_id: number | null;
  action: string;
  subject_type: string;
  subject_id: string;
  detail: string; // JSON
}

export interface LoginFailureTable {
  id: Generated<number>;
  username: string;
  address: string;
  at: number;
}

export interface SlotItemTable {
  id: Generated<number>;
  slot: string;
  article_id: number;
  position: number;
  expires_at: number | null;
  created_at: number;
}

export interface SourceTable {
  id: Generated<number>;
  name: string;
  url: string;
  created_by: number | null;
  created_at: number;
}

export interface SearchSynonymTable {
  id: Generated<number>;
  /** JSON array of the words as typed. */
  words: string;
  created_by: number | null;
  created_at: number;
  updated_by: number | null;
  updated_at: number;
}

export interface SearchSynonymWordTable {
  /** Normalized as search normalizes text; in one group at most. */
  word: string;
  synonym_id: number;
}

export interface MediaTable {
  id: Generated<number>;
  account_id: number | null;
  key: string; // <yyyy>/<mm>/<random>: the variants' common file-name stem under the media folder
  original_name: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  variants: string; // JSON MediaVariant[]
  created_at: number;
  caption: Generated<string>;
  alt: Generated<string>;
  credit: Generated<string>;
  source_url: string | null; // where a re-hosted image was fetched from
}

/** Which remote address gave which bytes when re-hosted (the upload is found by its sha256, while one is left). */
export interface MediaSourceTable {
  url: string;
  sha256: string;
  fetched_at: number;
}

/** Which articles use which uploads (current body and cover), kept by every article write. */
export interface MediaUsageTable {
  article_id: number;
  media_id: number;
}

export interface ArticlePresenceTable {
  article_id: number;
  account_id: number;
  seen_at: number;
  since: number;
  editing: number; // 0 or 1
}

/** Work set off by a committed change, done after it (see migrations/2026-12-02T0600-outbox.ts). */
export interface OutboxTable {
  id: Generated<number>;
  topic: string;
  subject_id: number;
  created_at: number;
  available_at: number;
  attempts: Generated<number>;
  claimed_by: string | null;
  claimed_until: number | null;
  last_error: string | null;
}

/** Which article an imported item became (inkstone import), by the source's own id; see the old-urls migration. */
export interface ImportSourceTable {
  source_key: string;
  article_id: number;
  revision: number;
  imported_at: number;
  /** The post's status at the source when last imported (publish, draft, pending, future, private, trash, password); null before 2026-12-03. */
  source_status: string | null;
}

/** Imports started from the newsroom's 导入 page: progress while running, the report or refusal after (2026-12-03 migration). */
export interface ImportRunTable {
  id: Generated<number>;
  account_id: number | null;
  file_name: string;
  file_bytes: number;
  format: string | null;
  options: string;
  status: string;
  /** 1 while running, else null: unique, so one run at a time per install. */
  running: number | null;
  phase: string;
  done: Generated<number>;
  total: number | null;
  rate: Generated<number>;
  started_at: number;
  heartbeat_at: number;
  finished_at: number | null;
  report: string | null;
  error: string | null;
}

/** Old addresses of imported articles: a normalized path or `?p=<id>` → the article (301 on the reader site). */
export interface OldUrlTable {
  path: string;
  article_id: number;
  created_at: number;
}

/** Reader polls (云投); see migrations/2026-12-03T0100-polls.ts. */
export interface PollTable {
  id: Generated<number>;
  question: string;
  choice: string; // 'single' | 'multiple'
  results: string; // 'always' | 'after_vote'
  closes_at: number | null;
  closed_at: number | null;
  article_id: number | null;
  topic_id: number | null;
  /** Readers whose ballot is counted (held ones are not). */
  voters: Generated<number>;
  created_by: number | null;
  created_at: number;
  updated_by: number | null;
  updated_at: number;
}

export interface PollOptionTable {
  poll_id: number;
  position: number;
  label: string;
  /** Counted ballots choosing this option. */
  votes: Generated<number>;
}

export interface PollBallotTable {
  poll_id: number;
  reader_id: string;
  held: Generated<number>; // 1 while a burst ballot awaits review; held ballots are not counted
  address_hash: string;
  prefix_hash: string;
  voted_at: number;
}

export interface PollChoiceTable {
  poll_id: number;
  reader_id: string;
  position: number;
}

/** The sensitive-word list (敏感词); see the comments migration. */
export interface ModerationWordTable {
  id: Generated<number>;
  word: string;
  key: string;
  action: string;
  created_by: number | null;
  created_at: number;
  updated_by: number | null;
  updated_at: number;
}

/** A channel's comment moderation: 'pre' (the default, no row) or 'post'. */
export interface CommentSettingTable {
  channel_id: number;
  moderation: string;
  updated_by: number | null;
  updated_at: number;
}

/** A reader's comment (留言) under an article. */
export interface CommentTable {
  id: Generated<number>;
  article_id: number;
  nickname: string;
  body: string;
  status: string;
  reader_id: string;
  address_hash: string;
  prefix_hash: string;
  flags: string;
  likes: Generated<number>;
  dedupe_key: string | null;
  created_at: number;
  decided_by: number | null;
  decided_at: number | null;
  reply: string | null;
  reply_by: number | null;
  reply_at: number | null;
}

export interface CommentLikeTable {
  comment_id: number;
  reader_id: string;
  created_at: number;
}

export interface CommentBanTable {
  id: Generated<number>;
  kind: string;
  value: string;
  note: string;
  comment_id: number | null;
  created_by: number | null;
  created_at: number;
}

/** A live (图文直播): one row per article that is one (see migrations/2026-12-03T0300-live.ts). */
export interface LiveStreamTable {
  article_id: number;
  status: string;
  seq: Generated<number>;
  status_seq: Generated<number>;
  opened_by: number | null;
  opened_at: number;
  closed_by: number | null;
  closed_at: number | null;
}

/** One entry of a live; a deleted one stays as a tombstone with its `seq`. */
export interface LiveEntryTable {
  id: Generated<number>;
  article_id: number;
  seq: number;
  author_id: number | null;
  body: string;
  quote_text: Generated<string>;
  quote_source: Generated<string>;
  images: Generated<string>;
  pinned: Generated<number>;
  created_at: number;
  updated_at: number;
  updated_by: number | null;
  deleted_at: number | null;
  deleted_by: number | null;
}

/** The Idempotency-Key of the POST that made a live entry (see migrations/2026-12-03T0700-live-keys-media.ts). */
export interface LiveEntryKeyTable {
  account_id: number;
  idem_key: string;
  article_id: number;
  fingerprint: string;
  entry_id: number;
  created_at: number;
}

/** A client's Idempotency-Key on a creating POST and its answer (see migrations/2026-12-11T0100-idempotency-keys.ts). */
export interface IdempotencyKeyTable {
  account_id: number;
  /** The SHA-256 of the client's key (base64url), never the key: the key opens the sealed columns. */
  idem_key: string;
  fingerprint: string;
  owner: string | null;
  locked_until: number;
  status: number | null;
  headers: string | null;
  body: string | null;
  /** What the key's request created (its id), written in the creating transaction; null until it committed. */
  made_id: number | null;
  /** The answer's headers and body, sealed with a key derived from the client's key (status stays clear: answered). */
  sealed_answer: string | null;
  /** What the retry after a crash needs to answer (a token's secret), sealed likewise in the creating transaction. */
  sealed_made: string | null;
  created_at: number;
}

/** The Idempotency-Key of the POST that made an article, kept for good (see migrations/2026-12-13T0300-article-creation-keys.ts). */
export interface ArticleCreationKeyTable {
  account_id: number;
  /** The key's HMAC under the install's lookup key, as in idempotency_keys: never the key. */
  key_hmac: string;
  fingerprint: string;
  /** No foreign key: the row outlives a purged article, whose replay is then told it is gone. */
  article_id: number;
  created_at: number;
}

/** The library images a live entry shows. */
export interface LiveEntryMediaTable {
  entry_id: number;
  article_id: number;
  media_id: number;
}

export interface DB {
  channels: ChannelTable;
  accounts: AccountTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  articles: ArticleTable;
  tags: TagTable;
  article_tags: ArticleTagTable;
  topics: TopicTable;
  topic_articles: TopicArticleTable;
  revisions: RevisionTable;
  audit_events: AuditEventTable;
  login_failures: LoginFailureTable;
  slot_items: SlotItemTable;
  media: MediaTable;
  media_usage: MediaUsageTable;
  media_sources: MediaSourceTable;
  sources: SourceTable;
  search_synonyms: SearchSynonymTable;
  search_synonym_words: SearchSynonymWordTable;
  article_presence: ArticlePresenceTable;
  outbox: OutboxTable;
  import_sources: ImportSourceTable;
  old_urls: OldUrlTable;
  import_runs: ImportRunTable;
  polls: PollTable;
  poll_options: PollOptionTable;
  poll_ballots: PollBallotTable;
  poll_choices: PollChoiceTable;
  moderation_words: ModerationWordTable;
  comment_settings: CommentSettingTable;
  comments: CommentTable;
  comment_likes: CommentLikeTable;
  comment_bans: CommentBanTable;
  live_streams: LiveStreamTable;
  live_entries: LiveEntryTable;
  live_entry_keys: LiveEntryKeyTable;
  idempotency_keys: IdempotencyKeyTable;
  article_creation_keys: ArticleCreationKeyTable;
  live_entry_media: LiveEntryMediaTable;
}
