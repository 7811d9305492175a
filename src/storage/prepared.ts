import { type Compilable, type CompiledQuery, type Kysely, PostgresAdapter, type RawBuilder } from 'kysely';

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
  { batched = false }: { /** A page's light read, which on PostgreSQL may share a round trip (below). */ batched?: boolean } = {},
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
    if (batched && adapter instanceof PostgresAdapter && !db.isTransaction && READ.test(query.sql)) return batchedRead<R>(db, { ...query, parameters });
    return (await db.executeQuery<R>({ ...query, parameters })).rows;
  };
}

/**
 * PostgreSQL: the batched prepared reads (a page's light reads by id) made together outside a transaction go to the
 * server as ONE statement, each read a subquery whose rows come back as a JSON array. Heavy reads
 * (a publish's candidate search) are never batched: a page must not wait for them. An uncached article page makes seven (the
 * article and its tags, then its related list, first comments, mood counts and live stream), and a round trip costs
 * node-postgres and the socket ~45 µs of CPU and the server ~35 µs whatever the query does: five of those reads
 * separately cost 220 µs of our CPU and 180 µs of the server's, together 50 and 70 (measured on a 20,000-article archive
 * with a throwaway script). What comes back is what the reads alone would give: JSON carries our columns' values as
 * node-postgres parses them (bigint as a number, as drivers.ts sets; text, booleans, floats, json, null); no prepared
 * read returns bytea or timestamps. Rows keep their order (each subquery is aggregated as it is ordered, with nothing
 * joined above it). All the reads see one snapshot, which separate reads on several pooled connections did not.
 * If the combined statement fails, each read is made alone, so that each gets its own answer or error; a combination
 * the server refuses (a type it cannot infer, a read ending in a semicolon) is not tried again; a read with a line comment
 * (--) or dollar quoting is not combined at all (substituteParameters). Combinations vary (a
 * page whose related list is not kept reads its parts; two callers' reads may meet): one becomes a named statement
 * (parsed and planned once per connection) only once it has been made NAME_AFTER times, and at most MAX_NAMED of them
 * are; the others are sent unnamed.
 */
const READ = /^\s*select\b/i;

interface PendingRead {
  db: Kysely<any>;
  query: CompiledQuery<unknown>;
  resolve: (rows: unknown[]) => void;
  reject: (err: unknown) => void;
}

/** The reads waiting to be sent together, by the executor they run on (a replica's apart from the primary's). */
const pendingReads = new WeakMap<object, PendingRead[]>();

function batchedRead<R>(db: Kysely<any>, query: CompiledQuery<unknown>): Promise<R[]> {
  const executor = db.getExecutor();
  let queue = pendingReads.get(executor);
  if (!queue) {
    const reads: PendingRead[] = [];
    queue = reads;
    pendingReads.set(executor, reads);
    // Sent once the reads made by the code now running, and by what it awaits for a hop or two, are all in: a page
    // issues its reads together (Promise.all). Not at setImmediate: under load the poll phase first runs every other
    // ready request's callbacks, and each read of a write's path would wait for them.
    queueMicrotask(() =>
      queueMicrotask(() => {
        pendingReads.delete(executor);
        void runReads(reads);
      }),
    );
  }
  return new Promise<R[]>((resolve, reject) => queue.push({ db, query, resolve: resolve as (rows: unknown[]) => void, reject }));
}

async function runAlone(read: PendingRead): Promise<void> {
  try {
    read.resolve((await read.db.executeQuery(read.query)).rows);
  } catch (err) {
    read.reject(err);
  }
}

/** Combinations most recently made, by their reads' texts in statement order; null for one the server refused. */
const combinations = new Map<string, { sql: string; uses: number } | null>();
const MAX_COMBINATIONS = 256;
const NAME_AFTER = 3;
const MAX_NAMED = 32;
let named = 0;

async function runReads(reads: PendingRead[]): Promise<void> {
  if (reads.length === 1) return runAlone(reads[0]!);
  const order = reads.map((_, i) => i).sort((a, b) => (reads[a]!.query.sql < reads[b]!.query.sql ? -1 : reads[a]!.query.sql > reads[b]!.query.sql ? 1 : 0));
  const key = order.map((i) => reads[i]!.query.sql).join('\u0000');
  let combined = combinations.get(key);
  if (combined === undefined) {
    const text = combine(order.map((i) => reads[i]!.query));
    combined = text === undefined ? null : { sql: text, uses: 0 };
    if (combinations.size >= MAX_COMBINATIONS) combinations.delete(combinations.keys().next().value!);
    combinations.set(key, combined);
  }
  if (!combined) {
    await Promise.all(reads.map(runAlone));
    return;
  }
  const sqlText = combined.sql;
  if (++combined.uses === NAME_AFTER && named < MAX_NAMED && !statementNames.has(sqlText)) {
    named++;
    statementNames.set(sqlText, `inkstone_${statementNames.size}`);
  }
  const parameters = order.flatMap((i) => reads[i]!.query.parameters);
  let row: Record<string, unknown[]> | undefined;
  try {
    row = (await reads[0]!.db.executeQuery<Record<string, unknown[]>>({ ...reads[0]!.query, sql: sqlText, parameters })).rows[0];
  } catch (err) {
    // 42xxx: the server refused the combination itself (syntax, a parameter's type); never try it again.
    if (/^42/.test((err as { code?: string }).code ?? '')) combinations.set(key, null);
    await Promise.all(reads.map(runAlone));
    return;
  }
  for (const [at, i] of order.entries()) reads[i]!.resolve(row![`r${at}`] ?? []);
}

/**
 * One statement of several reads: `select (select coalesce(json_agg(q), '[]') from (<read>) q) as r0, …`, each read's
 * parameters numbered after the ones before. Undefined for a text this cannot renumber safely (a `$` that is not a
 * parameter outside quotes: dollar quoting).
 */
export function combine(reads: readonly Pick<CompiledQuery<unknown>, 'sql' | 'parameters'>[]): string | undefined {
  let offset = 0;
  const parts: string[] = [];
  for (const [i, read] of reads.entries()) {
    const renumbered = renumber(read.sql, offset, read.parameters.length);
    if (renumbered === undefined) return undefined;
    parts.push(`(select coalesce(json_agg(q), '[]'::json) from (${renumbered}) q) as r${i}`);
    offset += read.parameters.length;
  }
  return `select ${parts.join(', ')}`;
}

/**
 * The text with each `$n` outside quotes made `$(n + offset)`; undefined at any other `$` (dollar quoting) or an n past
 * the read's own parameters.
 */
function renumber(text: string, offset: number, parameters: number): string | undefined {
  return substituteParameters(text, parameters, (n) => `$${n + offset}`);
}

/**
 * The text with each parameter `$n` outside quotes and comments replaced by `by(n)`; undefined where that cannot be
 * done surely: any other `$` (dollar quoting), an n past `parameters`, an E'…' string (its quotes escaped by
 * backslashes), a `--` comment, an unterminated quote or comment.
 */
export function substituteParameters(text: string, parameters: number, by: (n: number) => string): string | undefined {
  let out = '';
  let from = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== undefined) {
      if (text[i] === quote) quote = undefined; // a doubled quote closes and opens again: the same text either way
      continue;
    }
    if (c === 39 /* ' */ || c === 34 /* " */) {
      if (c === 39 && i > 0 && /[eE]/.test(text[i - 1]!) && !/[\w$]/.test(text[i - 2] ?? ' ')) return undefined;
      quote = text[i];
      continue;
    }
    if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) return undefined; // a comment could hold a quote
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 1;
      continue;
    }
    if (c !== 36 /* $ */) continue;
    let j = i + 1;
    while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    const n = Number(text.slice(i + 1, j));
    if (j === i + 1 || n < 1 || n > parameters) return undefined;
    out += text.slice(from, i) + by(n);
    from = j;
    i = j - 1;
  }
  if (quote !== undefined) return undefined;
  return out + text.slice(from);
}
