import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { pgClient } from '../../src/storage/drivers.ts';
import type { DB } from '../../src/storage/schema.ts';
import { ArticleRepository } from '../../src/storage/repositories/articles.ts';
import { SqlStore } from '../../src/storage/store.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createArticle, createStoryChannels, publish } from '../support/factories.ts';
import { birds } from '../support/newsroom-texts.ts';
import { runsOn } from '../support/stores.ts';

/**
 * On PostgreSQL an article page's reads are named statements, parsed and planned once per connection (drivers.ts).
 * A named statement can be broken under a running server: another process's migration changes the type of a column it
 * returns ("cached plan must not change result type"), or a pooler deallocates it. A reader must never see either:
 * the read is made again under a new name. A column added to a table it reads must not even break it (columns named).
 */
describe.skipIf(!runsOn('postgres'))('named statements on PostgreSQL', () => {
  let t: TestApp;
  let database: Database;
  let articles: ArticleRepository;
  let other: pg.Client;
  let id: number;

  beforeAll(async () => {
    t = await startTestApp('postgres');
    const admin = await t.user('admin');
    const editor = (await t.user('editor')).auth;
    await createStoryChannels(t.app, admin.auth);
    id = (await createArticle(t.app, editor, birds.arrival)).id;
    await publish(t.app, editor, id);
    // One connection, so that what the test does to "the" connection is done to the one the reads use.
    database = openDatabase({ databaseUrl: t.db.databaseUrl, dataDir: t.db.dataDir, poolSize: 1 });
    articles = new ArticleRepository(database.db, 'postgres');
    other = new pg.Client({ connectionString: t.db.databaseUrl });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await database?.close();
    await t?.close();
  });

  const named = async () => (await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(database.db)).rows.map((r) => r.name);

  it('prepares an article page’s read once on the connection and reads the article through it', async () => {
    // The article and its tags are read as one statement (prepared.ts), which is named from its third use.
    for (let i = 0; i < 3; i++) expect((await articles.findById(id))?.title).toBe(birds.arrival.title);
    const before = await named();
    expect(before.some((n) => n.startsWith('inkstone_'))).toBe(true);
    expect((await articles.findById(id))?.title).toBe(birds.arrival.title);
    expect(await named()).toEqual(before);
  });

  it('reads on after another process’s migration added a column to the table it reads', async () => {
    expect((await articles.findById(id))?.title).toBe(birds.arrival.title);
    const before = await named();
    await other.query('alter table articles add column named_statement_probe text');
    try {
      expect((await articles.findById(id))?.title).toBe(birds.arrival.title);
      // Not even prepared again: the statement's columns are named, so its result did not change.
      expect(await named()).toEqual(before);
    } finally {
      await other.query('alter table articles drop column named_statement_probe');
    }
  });

  it('reads on after another process’s migration changed the type of a column it returns', async () => {
    expect((await articles.findById(id))?.title).toBe(birds.arrival.title);
    await other.query('alter table articles alter column subtitle type varchar(500)');
    try {
      const article = await articles.findById(id);
      expect(article?.id).toBe(id);
      expect(article?.title).toBe(birds.arrival.title);
    } finally {
      await other.query('alter table articles alter column subtitle type text');
    }
    expect((await articles.findById(id))?.title).toBe(birds.arrival.title);
  });

  it('reads on after the statements were deallocated under the client (a pooler’s DISCARD ALL)', async () => {
    expect((await articles.findById(id))?.title).toBe(birds.arrival.title);
    await sql`deallocate all`.execute(database.db);
    expect(await named()).toEqual([]);
    expect((await articles.findById(id))?.title).toBe(birds.arrival.title);
  });

  it('reads on when the server already holds a statement of the name it prepares (a pooler’s shared server connection)', async () => {
    // Our own pool of one, so the test can reach its connection.
    const pool = new pg.Pool({ connectionString: t.db.databaseUrl, max: 1, Client: pgClient() });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    try {
      const repository = new ArticleRepository(db, 'postgres');
      expect((await repository.findById(id))?.title).toBe(birds.arrival.title);
      // The client forgets what it prepared while the server keeps it: its next Parse of that name collides (42P05),
      // as a Parse does on a server connection where another client of a transaction-mode pooler prepared the name.
      const client = await pool.connect();
      (client as unknown as { connection: { parsedStatements: object } }).connection.parsedStatements = {};
      client.release();
      expect((await repository.findById(id))?.title).toBe(birds.arrival.title);
      expect((await repository.findById(id))?.title).toBe(birds.arrival.title);
      // Broken again and again (a pooler in transaction mode): the client stops naming, so statements stop piling up.
      const prepared = async () => (await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(db)).rows[0]!.n;
      for (let i = 0; i < 3; i++) {
        const again = await pool.connect();
        (again as unknown as { connection: { parsedStatements: object } }).connection.parsedStatements = {};
        again.release();
        expect((await repository.findById(id))?.title).toBe(birds.arrival.title);
      }
      const settled = await prepared();
      const forgetful = await pool.connect();
      (forgetful as unknown as { connection: { parsedStatements: object } }).connection.parsedStatements = {};
      forgetful.release();
      for (let i = 0; i < 5; i++) expect((await repository.findById(id))?.title).toBe(birds.arrival.title);
      expect(await prepared()).toBe(settled);
    } finally {
      await db.destroy();
    }
  });

  it('inside a transaction the broken statement fails that run: the store runs it again, and every read after succeeds', async () => {
    // A client of its own, not yet broken (the cases above broke the shared one into sending its reads unnamed).
    const fresh = openDatabase({ databaseUrl: t.db.databaseUrl, dataDir: t.db.dataDir, poolSize: 1 });
    const repository = new ArticleRepository(fresh.db, 'postgres');
    // Inside a transaction the reads go one by one; outside, the two of findById as one statement (prepared.ts): both
    // are named on the connection before the change. A transaction's first statement carries its begin (drivers.ts),
    // as an EXECUTE of the named statement once the connection has parsed it: the read is the first or the second.
    const inTransaction = (first: boolean) =>
      fresh.db.transaction().execute(async (tx) => {
        if (!first) await sql`select 1`.execute(tx);
        return new ArticleRepository(tx, 'postgres').findById(id);
      });
    const store = SqlStore.of(fresh, 'test-secret');
    try {
      expect((await inTransaction(false))?.title).toBe(birds.arrival.title);
      expect((await inTransaction(true))?.title).toBe(birds.arrival.title);
      expect((await repository.findById(id))?.title).toBe(birds.arrival.title);
      await other.query('alter table articles alter column subtitle type varchar(500)');
      try {
        await expect(inTransaction(true)).rejects.toMatchObject({ code: '0A000' });
        // Named anew after the failure: the next transaction parses its statements again.
        expect((await inTransaction(true))?.title).toBe(birds.arrival.title);
        expect((await repository.findById(id))?.title).toBe(birds.arrival.title);
      } finally {
        await other.query('alter table articles alter column subtitle type text');
      }
      // The store runs such a transaction again (SqlStore.transaction): its caller never sees the broken statement.
      expect((await store.transaction((s) => s.articles.findById(id)))?.title).toBe(birds.arrival.title);
      await other.query('alter table articles alter column subtitle type varchar(500)');
      try {
        expect((await store.transaction((s) => s.articles.findById(id)))?.title).toBe(birds.arrival.title);
        expect((await store.transaction(async (s) => (await s.articles.findMany([id], { bodies: false }))[0]))?.title).toBe(birds.arrival.title);
      } finally {
        await other.query('alter table articles alter column subtitle type text');
      }
    } finally {
      await fresh.close();
    }
  });
});
