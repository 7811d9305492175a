import type { Compilable, CompiledQuery, Kysely, RawBuilder } from 'kysely';

/** A raw `sql` query (compiled against a database) rather than a builder's (compiled alone). */
const isRawBuilder = <R>(b: Compilable<R> | RawBuilder<R>): b is RawBuilder<R> => (b as Partial<RawBuilder<R>>).isRawBuilder === true;

/**
 * What a prepared query binds: scalars, and on PostgreSQL whole arrays, each one parameter (`= any(?::int4[])`,
 * `unnest(?::text[])`); never the items of an IN list, whose text changes with their number.
 */
type Scalar = string | number | null | readonly string[] | readonly number[];

/** The SQL text of every prepared query compiled in this process, and its statement name on PostgreSQL. */
const statementNames = new Map<string, string>();

/**
 * On PostgreSQL a prepared query's text is also a named statement on each connection (drivers.ts): parsed and planned
 * once per connection instead of on every call. Undefined for any other text (IN lists, searches): those keep
 * the unnamed statement, planned with each call's values.
 */
export const statementName = (text: string): string | undefined => statementNames.get(text);

/**
 * A query compiled once per database and then only bound. Kysely builds a query's immutable nodes and walks them into
 * SQL on every call: for the dozen small reads of an uncached article page that was a quarter of a millisecond of CPU
 * (and the garbage of it). For a query whose text depends on nothing but the values it binds, `build` runs once per
 * database with a stand-in for each argument, and each call puts the arguments where the stand-ins were; constants
 * the builder bound itself stay as they are. Arguments are scalars only: a list would change the text (IN (?, ?, …)),
 * and a stand-in must reach the parameters untouched (never compared, concatenated or made into SQL by the builder).
 */
export function prepared<A extends Scalar[], R>(
  build: (db: Kysely<any>, ...args: A) => Compilable<R> | RawBuilder<R>,
): (db: Kysely<any>, ...args: A) => Promise<R[]> {
  // Keyed by the database's adapter: SQLite and PostgreSQL compile different text, and a process may hold both (tests).
  const compiled = new WeakMap<object, { query: CompiledQuery<R>; slots: number[] }>();
  return async (db, ...args) => {
    const adapter = db.getExecutor().adapter;
    let entry = compiled.get(adapter);
    if (!entry) {
      const standIns = args.map((_, i) => `\u0000prepared-argument-${i}\u0000`);
      const built = build(db, ...(standIns as unknown as A));
      const query = isRawBuilder(built) ? built.compile(db) : built.compile();
      const slots = query.parameters.map((p) => (typeof p === 'string' ? standIns.indexOf(p) : -1));
      // Every argument must reach the parameters (one made into SQL text or compared by the builder would not).
      if (args.some((_, i) => !slots.includes(i))) throw new Error(`prepared: the query does not bind every argument: ${query.sql}`);
      entry = { query, slots };
      compiled.set(adapter, entry);
      if (!statementNames.has(query.sql)) statementNames.set(query.sql, `inkstone_${statementNames.size}`);
    }
    const { query, slots } = entry;
    const parameters = query.parameters.map((p, i) => (slots[i]! >= 0 ? args[slots[i]!] : p));
    return (await db.executeQuery<R>({ ...query, parameters })).rows;
  };
}
