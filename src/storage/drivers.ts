import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import type * as IoRedis from 'ioredis';
import { statementName } from './prepared.ts';

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
 * The client our pools make (`new Pool({ Client: pgClient() })`): a prepared query (prepared.ts; an article page's
 * reads) runs as a named statement, which PostgreSQL parses and plans once per connection; every other query as
 * node-postgres sends it. At 20,000 articles an uncached article page's six reads cost the server 1.2 ms of CPU
 * unnamed and 0.55 ms named (bench/server-cpu.ts on a PostgreSQL archive).
 *
 * A named statement outlives schema changes badly. Its columns are named (never `select *`), so a column a migration
 * adds leaves it whole; but a column's type changed by another process's migration makes it fail with "cached plan
 * must not change result type" (0A000), and a pooler's DISCARD ALL or a DEALLOCATE drops it under the client (26000).
 * Either way this connection's statements are given new names, parsed afresh; the query is run again at once unless
 * a transaction was open (which the error has ended: its caller sees it).
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

      // node-postgres's query has a dozen overloads: every call but a prepared query's is passed on as it came.
      override query(...args: any[]): any {
        const [text, values, callback] = args;
        const named = typeof text === 'string' && Array.isArray(values) && callback === undefined && this.#generation < RENAMES_BEFORE_UNNAMED;
        const name = named ? statementName(text) : undefined;
        if (name === undefined) return (super.query as (...a: any[]) => any)(...args);
        return this.#named(name, text, values);
      }

      async #named(name: string, text: string, values: unknown[]): Promise<Pg.QueryResult> {
        const generation = this.#generation;
        try {
          return await super.query({ name: `${name}_${this.#tag}_${generation}`, text, values });
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== '0A000' && code !== '26000' && code !== '42P05') throw err;
          if (this.#generation === generation) this.#generation++;
          if ((this as unknown as { getTransactionStatus(): string | null }).getTransactionStatus() !== 'I') throw err;
          if (this.#generation >= RENAMES_BEFORE_UNNAMED) return super.query(text, values);
          return super.query({ name: `${name}_${this.#tag}_${this.#generation}`, text, values });
        }
      }
    };
  }
  return namedClient;
}

export const redisDriver = (): typeof IoRedis => require('ioredis') as typeof IoRedis;
