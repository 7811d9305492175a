import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import type * as IoRedis from 'ioredis';
import { statementName, substituteParameters } from './prepared.ts';

/**
 * Client libraries a process may never need, loaded on first use: a SQLite site without Redis pays for neither
 * node-postgres nor ioredis at start-up (together ~100 ms of CPU and several MB per process; bench/startup.ts).
 * Both are CommonJS, so `require` loads them synchronously where a pool or client is made.
 */
const require = createRequire(import.meta.url);

let pg: typeof Pg | undefined;
let namedClient: typeof Pg.Client | undefined;

export function pgDriver(): typeof Pg {
  if (!pg) {
    pg = require('pg') as typeof Pg;
    // int8 (bigint timestamps, count(*)) arrives from pg as a string; every value we keep fits a JS number.
    pg.types.setTypeParser(20, (v) => Number(v));
  }
  return pg;
}

/** Breaks of its named statements after which a client stops naming them (see pgClient). */
const RENAMES_BEFORE_UNNAMED = 3;

/**
 * Marks a write whose answer its caller never reads (writeBehind in write-behind.ts): inside a transaction on
 * PostgreSQL it is sent with the statement after it, or with the commit (see pgClient). A comment, so the text stays
 * valid SQL wherever it goes (SQLite runs it as it is).
 */
export const WRITE_BEHIND = '/* write-behind */ ';

/** Characters of values a statement may carry written into its text (see inlined); past it, it is sent as it came. */
const INLINE_MAX = 256 * 1024;

/** A result for a statement kept back: Kysely reads nothing of a begin's or a write-behind's. */
const keptBack = (command: string) => ({ command, rowCount: null, rows: [], fields: [], oid: 0 }) as unknown as Pg.QueryResult;

/** The last statement's result of a text of several (node-postgres gives an array for more than one). */
const lastResult = (r: Pg.QueryResult | Pg.QueryResult[]): Pg.QueryResult => (Array.isArray(r) ? r[r.length - 1]! : r);

let roundTrips = 0;
/** Statements sent to the server by this process's pools so far, one per round trip (tests and benchmarks). */
export const pgRoundTrips = (): number => roundTrips;

const BROKEN = Symbol('a named statement broken under the client');

/**
 * Whether PostgreSQL refused a statement because one of this client's named statements was broken under it ("cached
 * plan must not change result type", gone, its name taken; see pgClient): the client has named its statements anew,
 * and a transaction the error ended may be run again from the start.
 */
export const brokenNamedStatement = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { [BROKEN]?: true })[BROKEN] === true;

/**
 * The client our pools make (`new Pool({ Client: pgClient() })`).
 *
 * **Round trips.** Each statement is a round trip, and under load a write waits its turn on a busy event loop (and
 * the server's process for a core) once per round trip: a create through the API was 14 of them. Inside a transaction
 * begun with `begin` the client keeps back what needs no answer yet and sends it with the next statement as one text
 * (the simple query protocol, values written into it as literals): the `begin` itself, and writes marked WRITE_BEHIND
 * (an audit entry, a revision, an outbox row: their callers read nothing back). So a transaction's first statement
 * carries its `begin`, a read after two such writes carries them, and the commit carries the last ones; a transaction
 * that ran no statement sends nothing. The server runs the statements of a text one after another, each seeing the ones
 * before, as it would have run them one by one. What changes is only when a kept-back write's error shows: with the
 * next statement or the commit, which then fails — the transaction as a whole fails either way. A statement is sent
 * as it came (after what was kept back) when a value cannot be a literal (bytes, a NUL character), when its values
 * are large (INLINE_MAX) or when its text has a `$` that is not a parameter. A named statement (below) carrying
 * what was kept back goes in the same text as `EXECUTE name(literals…)` once the connection has parsed it (its plan
 * kept, as when it goes alone: sent unnamed, a publish's reads in its transactions were planned afresh each time,
 * ~0.3 ms of the server's CPU for an article's read against ~0.05 to run it); the first time, alone, to be parsed.
 *
 * **Named statements.** A prepared query (prepared.ts; an article page's reads) runs as a named statement, which
 * PostgreSQL parses and plans once per connection; every other query as node-postgres sends it. At 20,000 articles an
 * uncached article page's six reads cost the server 1.2 ms of CPU unnamed and 0.55 ms named (bench/server-cpu.ts on a
 * PostgreSQL archive).
 *
 * A named statement outlives schema changes badly. Its columns are named (never `select *`), so a column a migration
 * adds leaves it whole; but a column's type changed by another process's migration makes it fail with "cached plan
 * must not change result type" (0A000), and a pooler's DISCARD ALL or a DEALLOCATE drops it under the client (26000).
 * Either way this connection's statements are given new names, parsed afresh; the query is run again at once unless
 * a transaction was open (which the error has ended: SqlStore.transaction runs it again).
 *
 * Names are this client's own (a per-process random tag and a per-client number): a pooler in transaction mode
 * before PgBouncer 1.21 hands one server connection to many clients in turn, and a name another client prepared there
 * would collide (42P05, also named anew and run again). There a statement is mostly missing where the client's query
 * lands: after RENAMES_BEFORE_UNNAMED breaks a client sends its prepared queries unnamed, as every other query, so
 * that statements do not pile up on the pooler's server connections.
 */
export function pgClient(): typeof Pg.Client {
  if (!namedClient) {
    const Base = pgDriver().Client;
    const processTag = Math.random().toString(36).slice(2, 8);
    let clients = 0;
    namedClient = class NamedStatementClient extends Base {
      #generation = 0;
      readonly #tag = `${processTag}${(clients++).toString(36)}`;
      /** Between a `begin` and its commit or rollback. */
      #inTransaction = false;
      /** Statements kept back, values written in, to go before the next one. */
      #kept: string[] = [];

      // node-postgres's query has a dozen overloads: every call but a statement with its values (Kysely's calls) is
      // passed on as it came, after anything kept back (node-postgres sends a client's queries in the order asked).
      override query(...args: any[]): any {
        const [text, values, callback] = args;
        if (typeof text !== 'string' || callback !== undefined || (values !== undefined && !Array.isArray(values))) {
          if (this.#kept.length > 0) this.#send(this.#takeKept()).catch(() => {}); // its error fails the query after it
          return (super.query as (...a: any[]) => any)(...args);
        }
        return this.#statement(text, (values ?? []) as unknown[]);
      }

      /**
       * Literals are written for UTF-8 (see quoteLiteral). A client_encoding set to another (GBK, where a backslash's
       * byte can end another character) gets nothing written in: its statements go as they came.
       */
      #utf8(): boolean {
        const encoding = (this as unknown as { connectionParameters?: { client_encoding?: string } }).connectionParameters?.client_encoding;
        return !encoding || /^utf-?8$/i.test(encoding);
      }

      #takeKept(): string {
        const text = this.#kept.join(';\n');
        this.#kept = [];
        return text;
      }

      #send(text: string, values?: unknown[]): Promise<Pg.QueryResult> {
        roundTrips++;
        return values === undefined ? super.query(text) : super.query(text, values);
      }

      async #statement(text: string, values: unknown[]): Promise<Pg.QueryResult> {
        if (!this.#inTransaction) {
          if (text === 'begin' && values.length === 0) {
            this.#inTransaction = true;
            this.#kept.push('begin');
            return keptBack('BEGIN');
          }
          return this.#run(text, values);
        }
        if (text === 'commit' || text === 'rollback') {
          this.#inTransaction = false;
          const kept = this.#kept;
          this.#kept = [];
          if (text === 'rollback') {
            // A transaction whose begin never left has nothing on the server to roll back; its writes kept back go.
            return kept[0] === 'begin' ? keptBack('ROLLBACK') : this.#send(text);
          }
          // A transaction of nothing but its begin: nothing to send.
          if (kept.length === 1 && kept[0] === 'begin') return keptBack('COMMIT');
          return lastResult(await this.#send([...kept, text].join(';\n')));
        }
        const behind = text.startsWith(WRITE_BEHIND);
        // A prepared read carrying what was kept back goes in the same simple query as an EXECUTE of its named
        // statement (planned once, as when it goes alone). The first time on a connection it goes alone, after what was
        // kept back, to be parsed: a statement that always opens its transaction would else never be.
        const named = behind ? undefined : this.#statementOf(text);
        if (named !== undefined && !named.parsed) {
          if (this.#kept.length > 0) await this.#send(this.#takeKept());
          return this.#run(text, values);
        }
        const written = (behind || this.#kept.length > 0) && this.#utf8() ? (this.#executed(named, values) ?? inlined(text, values)) : undefined;
        if (behind && written !== undefined) {
          this.#kept.push(written);
          return keptBack('');
        }
        if (this.#kept.length === 0) return this.#run(text, values);
        if (written !== undefined) return lastResult(await this.#sendWith(written));
        await this.#send(this.#takeKept());
        return this.#run(text, values);
      }

      /** A prepared query's statement name on this connection in a generation of its names. */
      #nameOf(name: string, generation: number): string {
        return `${name}_${this.#tag}_${generation}`;
      }

      /** A prepared query's statement name on this connection now, and whether the connection has parsed it. */
      #statementOf(text: string): { name: string; parsed: boolean } | undefined {
        const name = this.#generation < RENAMES_BEFORE_UNNAMED ? statementName(text) : undefined;
        if (name === undefined) return undefined;
        const full = this.#nameOf(name, this.#generation);
        const parsed = (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements;
        return { name: full, parsed: parsed[full] === text };
      }

      /** `EXECUTE name(literals…)` of a named statement this connection has parsed. */
      #executed(named: { name: string; parsed: boolean } | undefined, values: readonly unknown[]): string | undefined {
        if (!named?.parsed) return undefined;
        const literals = literalsOf(values);
        if (literals === undefined) return undefined;
        return literals.length === 0 ? `EXECUTE ${named.name}` : `EXECUTE ${named.name}(${literals.join(', ')})`;
      }

      /**
       * What was kept back, then one more statement, in one simple query. An EXECUTE of a named statement broken under
       * the client fails the transaction, as the statement does when it goes alone (#named).
       */
      async #sendWith(last: string): Promise<Pg.QueryResult> {
        const generation = this.#generation;
        try {
          return await this.#send(`${this.#takeKept()};\n${last}`);
        } catch (err) {
          this.#broken(err, generation);
          throw err;
        }
      }

      /**
       * Whether the error is one of a named statement broken under this connection (see above); if so the connection's
       * statements are named anew and the error is marked, so that a transaction it ended is run again
       * (brokenNamedStatement, SqlStore.transaction). `generation`: the names the failed statement was sent under.
       */
      #broken(err: unknown, generation: number): boolean {
        const code = (err as { code?: string }).code;
        if (code !== '0A000' && code !== '26000' && code !== '42P05') return false;
        if (this.#generation === generation) this.#generation++;
        (err as { [BROKEN]?: true })[BROKEN] = true;
        return true;
      }

      #run(text: string, values: unknown[]): Promise<Pg.QueryResult> {
        const name = this.#generation < RENAMES_BEFORE_UNNAMED ? statementName(text) : undefined;
        return name === undefined ? this.#send(text, values) : this.#named(name, text, values);
      }

      async #named(name: string, text: string, values: unknown[]): Promise<Pg.QueryResult> {
        const generation = this.#generation;
        try {
          roundTrips++;
          return await super.query({ name: this.#nameOf(name, generation), text, values });
        } catch (err) {
          if (!this.#broken(err, generation)) throw err;
          if ((this as unknown as { getTransactionStatus(): string | null }).getTransactionStatus() !== 'I') throw err;
          if (this.#generation >= RENAMES_BEFORE_UNNAMED) return this.#send(text, values);
          roundTrips++;
          return super.query({ name: this.#nameOf(name, this.#generation), text, values });
        }
      }
    };
  }
  return namedClient;
}

/**
 * A statement's text with its values written in as literals (what node-postgres would send for each, quoted), for the
 * simple query protocol; undefined when that cannot be done exactly: a value that is bytes or holds a NUL character,
 * values past INLINE_MAX characters, a `$` outside quotes that is not one of its parameters. A NULL and a quoted
 * literal are, like a parameter sent without a type, of a type the server infers from where they stand.
 */
export function inlined(text: string, values: readonly unknown[]): string | undefined {
  if (values.length === 0) return text.includes('$') ? undefined : text;
  const literals = literalsOf(values);
  return literals && substituteParameters(text, literals.length, (n) => literals[n - 1]!);
}

/** The values as SQL literals (see inlined), or undefined when one cannot be written so exactly. */
function literalsOf(values: readonly unknown[]): string[] | undefined {
  // node-postgres's own conversion (lib/utils.js): arrays, dates, JSON, toPostgres, as a parameter would go.
  const prepare = (pgDriver() as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;
  const literals: string[] = [];
  let size = 0;
  for (const value of values) {
    const v = prepare(value);
    if (v === null) {
      literals.push('NULL');
      continue;
    }
    if (typeof v !== 'string' || v.includes('\0')) return undefined;
    size += v.length;
    if (size > INLINE_MAX) return undefined;
    literals.push(quoteLiteral(v));
  }
  return literals;
}

/**
 * A string literal: quotes doubled, and backslashes too in an E'…' literal, whatever standard_conforming_strings is.
 * The text goes as UTF-8 (node-postgres writes it so; the server's default client encoding is the database's, always
 * one PostgreSQL allows on a server, all safe here), where no byte of a quote or a backslash hides inside another
 * character, as a backslash can in GBK (a client_encoding set to anything else gets no literals: pgClient).
 */
function quoteLiteral(v: string): string {
  const doubled = v.replaceAll("'", "''");
  return v.includes('\\') ? ` E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}

export const redisDriver = (): typeof IoRedis => require('ioredis') as typeof IoRedis;
