import { type Kysely, sql } from 'kysely';
import {
  type AccountPassword,
  type AccountToken,
  type LocalAccount,
  TransferError,
  type TransferReader,
  type TransferRow,
  type TransferTables,
  type TransferWriter,
} from '../domain/transfer.ts';
import type { Database } from './database.ts';
import type { Dialect } from './migrations/index.ts';

/**
 * What an archive holds, table by table: the columns written (all of them, but for secrets), the key that orders the
 * rows, and how many rows make a batch (fewer for tables with bodies). The order is the insertion order: every row
 * refers only to rows of tables before it (channels are written parents first). docs/ARCHITECTURE.md has the table
 * of decisions; NOT_EXPORTED below says why every other table is left out.
 */
interface TableSpec {
  table: string;
  columns: readonly string[];
  key: readonly string[];
  batch: number;
  /** Columns of the table deliberately not written, filled with this value on import. */
  withheld?: Record<string, string>;
  /** Columns added after archives were first written, with the value a row of an older archive gets. */
  added?: Record<string, string | number | null>;
}

const ID = ['id'] as const;

export const EXPORTED_TABLES: readonly TableSpec[] = [
  // Without password hashes: an imported account has no password until an admin sets one (or the install's own
  // account of that name lends it its own, see addLocalAccounts).
  {
    table: 'accounts',
    columns: ['id', 'username', 'display_name', 'role', 'disabled_at', 'created_at', 'updated_at'],
    key: ID,
    batch: 1000,
    withheld: { password_hash: '' },
  },
  { table: 'channels', columns: ['id', 'slug', 'name', 'parent_id', 'path', 'position', 'description', 'created_at'], key: ID, batch: 1000 },
  { table: 'sources', columns: ['id', 'name', 'url', 'created_by', 'created_at'], key: ID, batch: 1000 },
  { table: 'tags', columns: ['id', 'name'], key: ID, batch: 2000 },
  {
    table: 'media',
    columns: [
      'id',
      'account_id',
      'key',
      'original_name',
      'mime',
      'width',
      'height',
      'bytes',
      'sha256',
      'variants',
      'created_at',
      'caption',
      'alt',
      'credit',
      'source_url',
    ],
    key: ID,
    batch: 500,
  },
  {
    table: 'articles',
    columns: [
      'id',
      'title',
      'subtitle',
      'summary',
      'body_html',
      'body_text',
      'channel_id',
      'source',
      'byline',
      'editor',
      'cover',
      'status',
      'published_at',
      'scheduled_at',
      'created_at',
      'updated_at',
      'author_id',
      'revision',
      'deleted_at',
      'deleted_by',
      'has_image',
    ],
    key: ID,
    batch: 100,
  },
  // The old addresses of imported articles (301s), and which source post each came from (a repeat import adds nothing).
  { table: 'old_urls', columns: ['path', 'article_id', 'created_at'], key: ['path'], batch: 2000 },
  {
    table: 'import_sources',
    columns: ['source_key', 'article_id', 'revision', 'imported_at', 'source_status'],
    key: ['source_key'],
    batch: 2000,
    added: { source_status: null },
  },
  { table: 'article_tags', columns: ['article_id', 'tag_id', 'position'], key: ['article_id', 'tag_id'], batch: 2000 },
  { table: 'topics', columns: ['id', 'slug', 'title', 'description', 'cover', 'created_at', 'updated_at'], key: ID, batch: 500 },
  { table: 'topic_articles', columns: ['topic_id', 'article_id', 'position'], key: ['topic_id', 'article_id'], batch: 2000 },
  { table: 'revisions', columns: ['id', 'article_id', 'number', 'account_id', 'action', 'snapshot', 'created_at', 'note'], key: ID, batch: 100 },
  { table: 'audit_events', columns: ['id', 'at', 'actor_id', 'action', 'subject_type', 'subject_id', 'detail'], key: ID, batch: 1000 },
  { table: 'slot_items', columns: ['id', 'slot', 'article_id', 'position', 'expires_at', 'created_at'], key: ID, batch: 1000 },
  { table: 'media_usage', columns: ['article_id', 'media_id'], key: ['article_id', 'media_id'], batch: 2000 },
  {
    table: 'related_picks',
    columns: ['article_id', 'related_id', 'mode', 'position', 'account_id', 'created_at'],
    key: ['article_id', 'related_id'],
    batch: 2000,
  },
  // Votes, not counts: the counts and hourly buckets are kept by the votes' triggers, so inserting the votes makes them
  // again exactly (and `inkstone reactions check` finds nothing to rebuild).
  {
    table: 'reaction_votes',
    columns: ['article_id', 'reader_id', 'mood', 'held', 'address_hash', 'prefix_hash', 'voted_at'],
    key: ['article_id', 'reader_id'],
    batch: 2000,
  },
  { table: 'view_buckets', columns: ['article_id', 'hour', 'count'], key: ['article_id', 'hour'], batch: 2000 },
  // The newsroom's synonym list: the groups, then each word's group.
  { table: 'search_synonyms', columns: ['id', 'words', 'created_by', 'created_at', 'updated_by', 'updated_at'], key: ID, batch: 1000 },
  { table: 'search_synonym_words', columns: ['word', 'synonym_id'], key: ['word'], batch: 2000 },
  // Reader polls: the polls (after the articles and topics they are shown on), their options with the counts, and
  // the ballots with each ballot's choices. The counts are columns kept in step with the ballots in every write, so
  // they arrive exact with them.
  {
    table: 'polls',
    columns: [
      'id',
      'question',
      'choice',
      'results',
      'closes_at',
      'closed_at',
      'article_id',
      'topic_id',
      'voters',
      'created_by',
      'created_at',
      'updated_by',
      'updated_at',
    ],
    key: ID,
    batch: 1000,
  },
  // Readers' comments with their likes, the bans and the sensitive-word list (#15): reader ids and address HMACs as
  // for the votes (keyed by the `secret`, which an export does not carry: a ban by prefix then names no address).
  {
    table: 'moderation_words',
    columns: ['id', 'word', 'key', 'action', 'created_by', 'created_at', 'updated_by', 'updated_at'],
    key: ID,
    batch: 2000,
  },
  { table: 'comment_settings', columns: ['channel_id', 'moderation', 'updated_by', 'updated_at'], key: ['channel_id'], batch: 1000 },
  {
    table: 'comments',
    columns: [
      'id',
      'article_id',
      'nickname',
      'body',
      'status',
      'reader_id',
      'address_hash',
      'prefix_hash',
      'flags',
      'likes',
      'dedupe_key',
      'created_at',
      'decided_by',
      'decided_at',
      'reply',
      'reply_by',
      'reply_at',
    ],
    key: ID,
    batch: 1000,
  },
  { table: 'poll_options', columns: ['poll_id', 'position', 'label', 'votes'], key: ['poll_id', 'position'], batch: 2000 },
  {
    table: 'poll_ballots',
    columns: ['poll_id', 'reader_id', 'held', 'address_hash', 'prefix_hash', 'voted_at'],
    key: ['poll_id', 'reader_id'],
    batch: 2000,
  },
  { table: 'poll_choices', columns: ['poll_id', 'reader_id', 'position'], key: ['poll_id', 'reader_id', 'position'], batch: 2000 },
  { table: 'comment_likes', columns: ['comment_id', 'reader_id', 'created_at'], key: ['comment_id', 'reader_id'], batch: 2000 },
  { table: 'comment_bans', columns: ['id', 'kind', 'value', 'note', 'comment_id', 'created_by', 'created_at'], key: ID, batch: 1000 },
  // 图文直播: each live's status and change sequence, and its entries (deleted ones as tombstones, as they are kept).
  {
    table: 'live_streams',
    columns: ['article_id', 'status', 'seq', 'status_seq', 'opened_by', 'opened_at', 'closed_by', 'closed_at'],
    key: ['article_id'],
    batch: 1000,
  },
  {
    table: 'live_entries',
    columns: [
      'id',
      'article_id',
      'seq',
      'author_id',
      'body',
      'quote_text',
      'quote_source',
      'images',
      'pinned',
      'created_at',
      'updated_at',
      'updated_by',
      'deleted_at',
      'deleted_by',
    ],
    key: ID,
    batch: 500,
  },
  // Which library images the entries show: an image a live uses cannot be deleted on the new install either.
  { table: 'live_entry_media', columns: ['entry_id', 'article_id', 'media_id'], key: ['entry_id', 'media_id'], batch: 2000 },
];

/** Every other table, and why an archive leaves it out. A test fails when a table is in neither list. */
export const NOT_EXPORTED: Record<string, string> = {
  sessions: 'secret: sign-ins end with the install they were made on',
  api_tokens: 'secret: tokens are made again on the new install',
  login_failures: 'throttling state of the last 15 minutes',
  article_presence: 'who has an editor open right now',
  outbox: 'work in flight after commits: the import rebuilds the search indexes, and the server analyses related reading',
  reaction_counts: 'rebuilt from the votes by their triggers',
  reaction_buckets: 'rebuilt from the votes by their triggers',
  search_docs: 'rebuilt: the import reindexes',
  search_fts: 'rebuilt: the import reindexes',
  search_fts_config: 'FTS5 internals',
  search_fts_data: 'FTS5 internals',
  search_fts_docsize: 'FTS5 internals',
  search_fts_idx: 'FTS5 internals',
  draft_docs: 'rebuilt: the import reindexes',
  draft_fts: 'rebuilt: the import reindexes',
  draft_fts_config: 'FTS5 internals',
  draft_fts_data: 'FTS5 internals',
  draft_fts_docsize: 'FTS5 internals',
  draft_fts_idx: 'FTS5 internals',
  draft_search_docs: 'rebuilt: the import reindexes',
  search_docs_next: "a rebuild's new search index (PostgreSQL), swapped in when it ends",
  search_docs_next_log: 'the articles written during a rebuild, taken into its new index when it ends',
  draft_search_docs_next: "a rebuild's new archive index (PostgreSQL), swapped in when it ends",
  draft_search_docs_next_log: 'the articles written during a rebuild, taken into its new index when it ends',
  search_docs_legacy: "an upgrade's old search index, dropped once the new one is filled",
  search_fts_legacy: "an upgrade's old search index",
  search_fts_legacy_config: 'FTS5 internals',
  search_fts_legacy_data: 'FTS5 internals',
  search_fts_legacy_docsize: 'FTS5 internals',
  search_fts_legacy_idx: 'FTS5 internals',
  draft_docs_legacy: "an upgrade's old draft index, dropped once the new one is filled",
  draft_fts_legacy: "an upgrade's old draft index",
  draft_fts_legacy_config: 'FTS5 internals',
  draft_fts_legacy_data: 'FTS5 internals',
  draft_fts_legacy_docsize: 'FTS5 internals',
  draft_fts_legacy_idx: 'FTS5 internals',
  related_terms: 'rebuilt by the related-reading backlog the server runs after it starts',
  related_fingerprints: 'rebuilt by the related-reading backlog',
  related_buckets: 'rebuilt by the related-reading backlog',
  related_items: 'rebuilt by the related-reading backlog',
  related_lists: 'made again by the server from related_items and related_picks',
  kysely_migration: "the install's own migrations",
  kysely_migration_lock: "the install's own migrations",
  sqlite_sequence: "SQLite's own; follows the imported ids",
  live_entry_keys: "clients' retry keys for live entries: a retry does not cross installs",
  idempotency_keys: "clients' retry keys on creating requests and their answers, kept a day: a retry does not cross installs",
  article_creation_keys:
    "the keys that made articles, kept for good as HMACs under the install's secret (which an export does not carry): a retry does not cross installs",
  import_runs: "the install's own history of imports started from the newsroom (who uploaded which file, its report)",
  media_sources: 'which remote address gave the bytes of an upload already in the library: a cache of fetches, an address is fetched once more',
};

/** Tables emptied before an import, children before parents (channels are handled apart: they refer to themselves). */
/** The order `--replace` empties tables in, children first; a test fails when a table that holds rows is missing. */
export const CLEAR_ORDER = [
  'comment_likes',
  'comment_bans',
  'comments',
  'comment_settings',
  'moderation_words',
  'outbox',
  'poll_choices',
  'poll_ballots',
  'poll_options',
  'polls',
  'live_entry_keys',
  'live_entry_media',
  'live_entries',
  'live_streams',
  'old_urls',
  'import_sources',
  'search_synonym_words',
  'search_synonyms',
  'media_usage',
  'media_sources',
  'related_picks',
  'reaction_votes',
  'reaction_counts',
  'reaction_buckets',
  'view_buckets',
  'slot_items',
  'topic_articles',
  'article_tags',
  'revisions',
  'article_presence',
  'search_docs',
  'draft_docs',
  'draft_search_docs',
  'search_docs_legacy',
  'draft_docs_legacy',
  'related_items',
  'related_terms',
  'related_buckets',
  'related_fingerprints',
  'articles',
  // After the tables whose triggers set lists aside (related_items, related_picks, articles).
  'related_lists',
  'topics',
  'tags',
  'media',
  'sources',
  'channels',
  'audit_events',
  'sessions',
  'import_runs',
  'api_tokens',
  'login_failures',
  'idempotency_keys',
  // Before the import's articles take the ids these name.
  'article_creation_keys',
  'accounts',
];

/** What makes an install non-empty: any of these rows (accounts and the audit log of a first start do not). */
const CONTENT_TABLES = ['articles', 'channels', 'topics', 'media', 'sources', 'tags', 'slot_items'];

/** The advisory lock every import takes on PostgreSQL (an arbitrary constant: 'inks' in ASCII). */
const IMPORT_LOCK = 0x696e6b73;

const specOf = (table: string): TableSpec => {
  const spec = EXPORTED_TABLES.find((s) => s.table === table);
  if (!spec) throw new TransferError('incompatible', `归档中有本站不认识的数据表 (unknown table in the archive): ${table.slice(0, 60)}`);
  return spec;
};

/** The tables of the live database (for the test that every one is either exported or named in NOT_EXPORTED). */
export async function liveTables(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db);
  return rows.map((r) => r.name).sort();
}

/** The columns of a live table, for the test that an archive writes every column (but the withheld ones). */
export async function liveColumns(db: Kysely<any>, dialect: Dialect, table: string): Promise<string[]> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db)
      : await sql<{ name: string }>`select column_name as name from information_schema.columns
          where table_schema = current_schema() and table_name = ${table}`.execute(db);
  return rows.map((r) => r.name).sort();
}

/** The archive's tables over Kysely, on SQLite and PostgreSQL alike. */
export class SqlTransferTables implements TransferTables {
  readonly tables = EXPORTED_TABLES.map((s) => s.table);
  readonly dialect: Dialect;
  private readonly db: Kysely<any>;

  constructor(database: Database) {
    this.db = database.db as unknown as Kysely<any>;
    this.dialect = database.dialect;
  }

  async schemaVersion(): Promise<string> {
    const row = await this.db.selectFrom('kysely_migration').select('name').orderBy('name', 'desc').limit(1).executeTakeFirst();
    return (row?.name as string | undefined) ?? '';
  }

  contentCounts(): Promise<Record<string, number>> {
    return countContent(this.db);
  }

  snapshot<T>(fn: (read: TransferReader) => Promise<T>): Promise<T> {
    // SQLite in WAL mode: a read transaction (deferred: it takes no write lock, sqlite-turns.ts) sees one snapshot while
    // other processes write. PostgreSQL: the same with repeatable read.
    const begin = this.db.transaction().setAccessMode('read only');
    const tx = this.dialect === 'postgres' ? begin.setIsolationLevel('repeatable read') : begin;
    return tx.execute((trx) => fn(reader(trx)));
  }

  load<T>(fn: (write: TransferWriter) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(writer(trx, this.dialect)));
  }
}

function reader(db: Kysely<any>): TransferReader {
  return {
    async *rows(table) {
      const spec = specOf(table);
      if (table === 'channels') {
        // A channel moved under a newer one has a larger id than its child: parents first by depth.
        const all = (await db.selectFrom('channels').select(spec.columns).orderBy('id').execute()) as TransferRow[];
        const depth = (r: TransferRow) => String(r.path).split('/').length;
        all.sort((a, b) => depth(a) - depth(b) || Number(a.id) - Number(b.id));
        for (let i = 0; i < all.length; i += spec.batch) yield all.slice(i, i + spec.batch);
        return;
      }
      let last: TransferRow | undefined;
      for (;;) {
        let q = db.selectFrom(table).select(spec.columns);
        if (last) {
          const after = last;
          q = q.where(sql<boolean>`(${sql.join(spec.key.map((k) => sql.ref(k)))}) > (${sql.join(spec.key.map((k) => after[k]))})`);
        }
        for (const k of spec.key) q = q.orderBy(k);
        const rows = (await q.limit(spec.batch).execute()) as TransferRow[];
        if (rows.length === 0) return;
        yield rows;
        if (rows.length < spec.batch) return;
        last = rows[rows.length - 1];
      }
    },

    async passwords() {
      const rows = (await db.selectFrom('accounts').select(['username', 'password_hash']).orderBy('id').execute()) as {
        username: string;
        password_hash: string;
      }[];
      return rows.map((r) => ({ username: r.username, passwordHash: r.password_hash }));
    },

    async tokens() {
      const rows = (await db
        .selectFrom('api_tokens')
        .innerJoin('accounts', 'accounts.id', 'api_tokens.account_id')
        .select(['accounts.username', 'api_tokens.name', 'api_tokens.token_hash', 'api_tokens.created_at', 'api_tokens.last_used_at', 'api_tokens.revoked_at'])
        .orderBy('api_tokens.id')
        .execute()) as {
        username: string;
        name: string;
        token_hash: string;
        created_at: number;
        last_used_at: number | null;
        revoked_at: number | null;
      }[];
      const time = (v: number | null) => (v === null ? null : Number(v));
      return rows.map((r) => ({
        username: r.username,
        name: r.name,
        tokenHash: r.token_hash,
        createdAt: Number(r.created_at),
        lastUsedAt: time(r.last_used_at),
        revokedAt: time(r.revoked_at),
      }));
    },
  };
}

/**
 * Checks a row against its table: exactly the table's columns, each text, a finite number or null, and a whole number
 * (or null) in every column of `integers` — SQLite would otherwise keep `"昨天"` or `1.5` in an integer column as
 * it came (PostgreSQL refuses them), and the site would then read a time that is not one.
 */
export function checkRow(spec: TableSpec, row: unknown, integers: ReadonlySet<string> = new Set()): TransferRow {
  const bad = (why: string) => new TransferError('corrupt', `归档中 ${spec.table} 的一行数据有误 (a row of ${spec.table} is malformed): ${why}`);
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw bad('not an object');
  const record = row as Record<string, unknown>;
  const keys = Object.keys(record);
  const older = Object.keys(spec.added ?? {}).filter((c) => !Object.hasOwn(record, c));
  if (keys.length + older.length !== spec.columns.length) throw bad(`${keys.length} columns instead of ${spec.columns.length}`);
  const out: TransferRow = { ...spec.withheld };
  for (const column of spec.columns) {
    if (older.includes(column)) {
      out[column] = spec.added![column]!;
      continue;
    }
    if (!Object.hasOwn(record, column)) throw bad(`no column ${column}`);
    const value = record[column];
    if (value !== null && typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value)))
      throw bad(`column ${column} holds a ${typeof value}`);
    if (value !== null && integers.has(column) && !Number.isSafeInteger(value))
      throw bad(`column ${column} holds ${JSON.stringify(value).slice(0, 40)}, not a whole number`);
    out[column] = value;
  }
  return out;
}

async function countContent(db: Kysely<any>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of CONTENT_TABLES) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** The columns of a live table declared as integers (SQLite's INTEGER, PostgreSQL's smallint/integer/bigint). */
async function integerColumns(db: Kysely<any>, dialect: Dialect, table: string): Promise<Set<string>> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{ name: string; type: string }>`select name, type from pragma_table_info(${table})`.execute(db)
      : await sql<{ name: string; type: string }>`select column_name as name, data_type as type from information_schema.columns
          where table_schema = current_schema() and table_name = ${table}`.execute(db);
  return new Set(rows.filter((r) => /^(integer|int|bigint|smallint)$/i.test(r.type)).map((r) => r.name));
}

function writer(db: Kysely<any>, dialect: Dialect): TransferWriter {
  const integers = new Map<string, Set<string>>();
  return {
    async claim() {
      // SQLite: a write (of nothing) takes the write lock before anything is read, so the counts cannot go stale.
      // PostgreSQL: a transaction-scoped advisory lock that every import takes.
      if (dialect === 'sqlite') await sql`update accounts set id = id where 0 = 1`.execute(db);
      else await sql`select pg_advisory_xact_lock(${IMPORT_LOCK})`.execute(db);
      return countContent(db);
    },

    async clear() {
      const present = new Set(await liveTables(db, dialect));
      const accounts = (await db
        .selectFrom('accounts')
        .select(['username', 'display_name', 'role', 'password_hash', 'created_at', 'updated_at'])
        .orderBy('id')
        .execute()) as { username: string; display_name: string; role: string; password_hash: string; created_at: number; updated_at: number }[];
      for (const table of CLEAR_ORDER) {
        if (!present.has(table)) continue;
        if (table === 'channels') await db.updateTable('channels').set({ parent_id: null }).execute();
        await db.deleteFrom(table).execute();
      }
      return accounts.map((a) => ({
        username: a.username,
        displayName: a.display_name,
        role: a.role,
        passwordHash: a.password_hash,
        createdAt: Number(a.created_at),
        updatedAt: Number(a.updated_at),
      }));
    },

    async insert(table, rows) {
      if (rows.length === 0) return;
      const spec = specOf(table);
      let whole = integers.get(table);
      if (!whole) integers.set(table, (whole = await integerColumns(db, dialect, table)));
      await db
        .insertInto(table)
        .values(rows.map((r) => checkRow(spec, r, whole)))
        .execute();
    },

    async finish() {
      if (dialect !== 'postgres') return;
      for (const { table, key } of EXPORTED_TABLES) {
        if (key !== ID) continue;
        await sql`select setval(pg_get_serial_sequence(${table}, 'id'), greatest(coalesce(max(id), 0), 1), max(id) is not null) from ${sql.table(table)}`.execute(
          db,
        );
      }
    },

    async setPasswords(passwords: AccountPassword[]) {
      for (const p of passwords) {
        await db.updateTable('accounts').set({ password_hash: p.passwordHash }).where('username', '=', p.username).execute();
      }
    },

    async setTokens(tokens: AccountToken[]) {
      for (const t of tokens) {
        const owner = (await db.selectFrom('accounts').select('id').where('username', '=', t.username).executeTakeFirst()) as { id: number } | undefined;
        if (!owner) continue;
        await db
          .insertInto('api_tokens')
          .values({
            account_id: owner.id,
            name: t.name,
            token_hash: t.tokenHash,
            created_at: t.createdAt,
            last_used_at: t.lastUsedAt,
            revoked_at: t.revokedAt,
          })
          .execute();
      }
    },

    async addLocalAccounts(accounts: LocalAccount[]) {
      for (const a of accounts) {
        const updated = await db.updateTable('accounts').set({ password_hash: a.passwordHash }).where('username', '=', a.username).executeTakeFirst();
        if (Number(updated.numUpdatedRows) > 0) continue;
        await db
          .insertInto('accounts')
          .values({
            username: a.username,
            display_name: a.displayName,
            role: a.role,
            password_hash: a.passwordHash,
            created_at: a.createdAt,
            updated_at: a.updatedAt,
          })
          .execute();
      }
      const rows = (await db.selectFrom('accounts').select('username').where('password_hash', '=', '').orderBy('id').execute()) as { username: string }[];
      return rows.map((r) => r.username);
    },
  };
}
