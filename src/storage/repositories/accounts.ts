import { sql, type Kysely, type Selectable } from 'kysely';
import { prepared } from '../prepared.ts';
import type { Account, AccountChanges, NewAccount, NewToken, SessionRecord, TokenListing, TokenRecord } from '../../domain/accounts/account.ts';
import type { Role } from '../../domain/accounts/roles.ts';
import type { Dialect } from '../migrations/index.ts';
import type { AccountTable, DB } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

/** Accounts and their credentials: sessions, API tokens, failed logins. Secrets are stored only as hashes. */
// Key of the advisory lock that changes to roles and access take (pg_advisory_xact_lock(bigint)).
const ROLES_LOCK = 0x726f6c65;
// Namespace of the sign-in attempts' advisory locks (pg_advisory_xact_lock(int, int)); the second key hashes the address.
const LOGIN_LOCK = 0x6c6f6769;

export class AccountRepository implements Port.AccountRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {}

  async lockRoles(): Promise<void> {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(ROLES_LOCK)})`.execute(this.db);
  }

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  async findByUsername(username: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
    return row ? toAccount(row) : undefined;
  }

  async findById(id: number): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAccount(row) : undefined;
  }

  async holdAccount(id: number): Promise<Account | undefined> {
    if (this.dialect === 'sqlite') await sql`update accounts set updated_at = updated_at where id = ${id}`.execute(this.db);
    const row = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .$if(this.dialect === 'postgres', (q) => q.forShare())
      .executeTakeFirst();
    return row ? toAccount(row) : undefined;
  }

  async list(): Promise<Account[]> {
    const rows = await this.db.selectFrom('accounts').selectAll().orderBy('id').execute();
    return rows.map(toAccount);
  }

  async insert(a: NewAccount): Promise<number> {
    const { id } = await this.db
      .insertInto('accounts')
      .values({
        username: a.username,
        display_name: a.displayName,
        role: a.role,
        password_hash: a.passwordHash,
        created_at: a.at,
        updated_at: a.at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }

  async update(id: number, changes: AccountChanges, at: number): Promise<void> {
    await this.db
      .updateTable('accounts')
      .set({
        role: changes.role,
        display_name: changes.displayName,
        disabled_at: changes.disabledAt,
        password_hash: changes.passwordHash,
        updated_at: at,
      })
      .where('id', '=', id)
      .execute();
  }

  // Sessions

  async insertSession(s: SessionRecord): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: s.id,
        account_id: s.accountId,
        csrf_token: s.csrfToken,
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
        expires_at: s.expiresAt,
      })
      .execute();
  }

  async findSession(id: string): Promise<SessionRecord | undefined> {
    const [r] = await sessionById(this.db, id);
    return r
      ? { id: r.id, accountId: r.account_id, csrfToken: r.csrf_token, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at }
      : undefined;
  }

  async touchSession(id: string, at: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async deleteSessionsOf(accountId: number, exceptId?: string): Promise<void> {
    let q = this.db.deleteFrom('sessions').where('account_id', '=', accountId);
    if (exceptId) q = q.where('id', '!=', exceptId);
    await q.execute();
  }

  // API tokens

  async insertToken(t: NewToken): Promise<number> {
    const { id } = await this.db
      .insertInto('api_tokens')
      .values({ account_id: t.accountId, name: t.name, token_hash: t.tokenHash, created_at: t.at })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }

  async findLiveToken(tokenHash: string): Promise<{ token: TokenRecord; owner: Account } | undefined> {
    const [r] = await liveToken(this.db, tokenHash);
    if (!r) return undefined;
    return {
      token: {
        id: r.token_id,
        accountId: r.id,
        name: r.token_name,
        createdAt: r.token_created_at,
        lastUsedAt: r.token_last_used_at,
        revokedAt: r.token_revoked_at,
      },
      owner: toAccount(r),
    };
  }

  /** Every token, newest first, with its owner; never the hash. */
  async listTokens(accountId?: number): Promise<TokenListing[]> {
    let q = this.db
      .selectFrom('api_tokens')
      .innerJoin('accounts', 'accounts.id', 'api_tokens.account_id')
      .select([
        'api_tokens.id',
        'api_tokens.account_id',
        'api_tokens.name',
        'api_tokens.created_at',
        'api_tokens.last_used_at',
        'api_tokens.revoked_at',
        'accounts.username',
      ]);
    if (accountId !== undefined) q = q.where('api_tokens.account_id', '=', accountId);
    const rows = await q.orderBy('api_tokens.id', 'desc').execute();
    return rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      name: r.name,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
      username: r.username,
    }));
  }

  async revokeToken(id: number, at: number): Promise<boolean> {
    const result = await this.db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async tokenExists(id: number): Promise<boolean> {
    return (await this.db.selectFrom('api_tokens').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }

  async touchToken(id: number, at: number): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  // Failed logins, for throttling

  async lockLoginAttempts(address: string): Promise<void> {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(LOGIN_LOCK)}, hashtext(${address}))`.execute(this.db);
  }

  async recordLoginFailure(username: string, address: string, at: number): Promise<void> {
    await this.db.insertInto('login_failures').values({ username, address, at }).execute();
  }

  /** Times of failures for this account from this address since `since`, oldest first. */
  async loginFailuresSince(username: string, address: string, since: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('login_failures')
      .select('at')
      .where('username', '=', username)
      .where('address', '=', address)
      .where('at', '>', since)
      .orderBy('at')
      .execute();
    return rows.map((r) => r.at);
  }

  /** Times of failures from this address for any account since `since`, oldest first. */
  async loginFailuresFromAddress(address: string, since: number): Promise<number[]> {
    const rows = await this.db.selectFrom('login_failures').select('at').where('address', '=', address).where('at', '>', since).orderBy('at').execute();
    return rows.map((r) => r.at);
  }

  /** Times of failures for this account from any address since `since`, oldest first. */
  async loginFailuresForAccount(username: string, since: number): Promise<number[]> {
    const rows = await this.db.selectFrom('login_failures').select('at').where('username', '=', username).where('at', '>', since).orderBy('at').execute();
    return rows.map((r) => r.at);
  }

  /** Old failures no longer count for anything. */
  async pruneLoginFailures(before: number): Promise<void> {
    await this.db.deleteFrom('login_failures').where('at', '<', before).execute();
  }

  async clearLoginFailures(username: string, address: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('username', '=', username).where('address', '=', address).execute();
  }
}

function toAccount(r: Selectable<AccountTable>): Account {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role as Role,
    passwordHash: r.password_hash,
    disabledAt: r.disabled_at,
    createdAt: r.created_at,
  };
}

/**
 * The reads every signed-in request makes, prepared (parsed and planned once per connection on PostgreSQL). Columns
 * named, not `select *`: a named statement's result must not change under it when a later migration adds one.
 */
const ACCOUNT_COLUMNS = ['id', 'username', 'display_name', 'role', 'password_hash', 'disabled_at', 'created_at', 'updated_at'] as const;
const liveToken = prepared((db: Kysely<DB>, tokenHash: string) =>
  db
    .selectFrom('api_tokens')
    .innerJoin('accounts', 'accounts.id', 'api_tokens.account_id')
    .select(ACCOUNT_COLUMNS.map((c) => `accounts.${c}` as const))
    .select([
      'api_tokens.id as token_id',
      'api_tokens.name as token_name',
      'api_tokens.created_at as token_created_at',
      'api_tokens.last_used_at as token_last_used_at',
      'api_tokens.revoked_at as token_revoked_at',
    ])
    .where('api_tokens.token_hash', '=', tokenHash)
    .where('api_tokens.revoked_at', 'is', null),
);
const sessionById = prepared((db: Kysely<DB>, id: string) =>
  db.selectFrom('sessions').select(['id', 'account_id', 'csrf_token', 'created_at', 'last_seen_at', 'expires_at']).where('id', '=', id),
);
