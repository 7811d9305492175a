/**
 * The port an archive (export, import, the export form of a backup) reads and writes the database through: rows of
 * the tables a newsroom owns, as plain column records, table by table in an order that satisfies every reference.
 * Implemented in storage/transfer.ts; src/transfer/ turns it into an archive file and back.
 */

/** One row as stored: column name → text, number (times are milliseconds) or null. */
export type TransferRow = Record<string, string | number | null>;

export interface TransferReader {
  /** The table's rows in batches, in the order they can be inserted again (key order; channels parents first). */
  rows(table: string): AsyncIterable<TransferRow[]>;
  /** Every account's password hash (a backup's, never an export's: see exportInkstoneArchive's `backup`). */
  passwords(): Promise<AccountPassword[]>;
  /** Every API token as stored (its hash, never the token), by its owner's username: a backup's, never an export's. */
  tokens(): Promise<AccountToken[]>;
}

/** An account's password hash by username, carried by a backup written as an export archive (no pg_dump). */
export interface AccountPassword {
  username: string;
  passwordHash: string;
}

/**
 * An API token as stored, carried by a backup written as an export archive (no pg_dump): integrations keep working
 * after a restore. Only the hash (sha256 of the token) travels, as the database keeps it.
 */
export interface AccountToken {
  username: string;
  name: string;
  tokenHash: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface TransferWriter {
  /**
   * Takes the install's write lock first (so two imports never both find it empty) and counts, under it, the rows
   * that make an install non-empty (see contentCounts).
   */
  claim(): Promise<Record<string, number>>;
  /**
   * Empties every table a newsroom owns (and what hangs off them: sessions, tokens, search, related reading) before
   * rows arrive. The accounts that were there are handed back to be added again after the archive's own
   * (addLocalAccounts): the operator who prepared the install keeps signing in.
   */
  clear(): Promise<LocalAccount[]>;
  /** Inserts rows of one table; each must have exactly the table's exported columns. */
  insert(table: string, rows: TransferRow[]): Promise<void>;
  /**
   * After the archive's rows: the install's own accounts come back, the one of the same username taking over the
   * imported account's password, the others as new accounts. Returns the usernames left without a password.
   */
  addLocalAccounts(accounts: LocalAccount[]): Promise<string[]>;
  /** A backup's password hashes, set on the imported accounts of those usernames (others are left alone). */
  setPasswords(passwords: AccountPassword[]): Promise<void>;
  /** A backup's API tokens, given to the imported accounts of those usernames (a token of another username is dropped). */
  setTokens(tokens: AccountToken[]): Promise<void>;
  /** Brings id sequences past the imported ids (PostgreSQL; SQLite's AUTOINCREMENT follows by itself). */
  finish(): Promise<void>;
}

/** An account of the install an import replaces, kept for addLocalAccounts. */
export interface LocalAccount {
  username: string;
  displayName: string;
  role: string;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

export interface TransferTables {
  /** The tables an archive holds, in insertion order (see storage/transfer.ts for the decision on every table). */
  readonly tables: readonly string[];
  /** 'sqlite' or 'postgres', recorded in an archive's manifest. */
  readonly dialect: string;
  /** The newest migration applied: an archive records the schema it was written from. */
  schemaVersion(): Promise<string>;
  /** Rows per table of the content that makes an install non-empty (accounts and the audit log aside). */
  contentCounts(): Promise<Record<string, number>>;
  /** Runs fn over one consistent snapshot of the database (a read transaction; writers elsewhere go on). */
  snapshot<T>(fn: (read: TransferReader) => Promise<T>): Promise<T>;
  /** Runs fn in one write transaction: everything fn inserted commits together or not at all. */
  load<T>(fn: (write: TransferWriter) => Promise<T>): Promise<T>;
}

/**
 * An archive or backup that cannot be used (corrupt, truncated, hostile paths), an install that is not empty, a disk
 * that is full: the operator's to fix, printed as one line by the CLI. Nothing was written when it is thrown.
 */
export class TransferError extends Error {
  constructor(
    readonly reason: 'corrupt' | 'unsafe' | 'not_empty' | 'disk_full' | 'incompatible',
    message: string,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}
