import { writeBehind } from '../write-behind.ts';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  SEARCH_FIELDS,
  type DocumentMaker,
  type RebuildProgress,
  type RebuildReport,
  type RebuildStart,
  type SearchCandidates,
  type SearchDocument,
  type SearchIndex,
  type SearchMatches,
  type SearchRequest,
  type Term,
  type TermMatches,
  type TextTerm,
  type WordTerm,
} from '../../domain/search/search-index.ts';
import { conflict } from '../../domain/errors.ts';
import type { DB } from '../schema.ts';
import { headField, headScore } from '../../domain/search/ranking.ts';
import { closeShadow, openShadow, shadowOf } from './postgres-rebuild.ts';
import { articleBatch, byRelevance, fillHeads, pipelinedBatches, REBUILD_BATCH, SEARCH_CAPS, wholeDocuments, type IndexScope } from './shared.ts';

/**
 * PostgreSQL: search_docs holds each published article's tokens as two `simple` tsvectors built here from our
 * own tokens (no parser in between): `words` (with the channel as one more lexeme, `c:ID`) and `grams` (for
 * exact phrases), weighted A title, B tags, C summary, D body (labels nothing reads now; they cost no space), under
 * one two-column GIN index, so one index scan answers every query and nothing is tested outside the index. Matches are cut to the newest
 * SEARCH_CAPS.candidates, which their heads rank (domain/search/ranking.ts): no ts_rank, which decompressed every
 * candidate's vectors.
 */

const WEIGHTS = ['A', 'B', 'C', 'D'] as const;
/** tsvector positions end here; later ones are clamped to it. */
const MAX_POSITION = 16383;
/** tsvector keeps at most this many positions of one lexeme. */
const MAX_POSITIONS_PER_LEXEME = 256;
/** Between fields, so a phrase never runs from the end of one field into the next. */
const FIELD_GAP = 2;

/** Quoted for a tsvector/tsquery literal; the replacing only for the rare token that needs it (it cost ~0.5 µs each). */
const lexeme = (s: string) => (/['\\]/.test(s) ? `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'` : `'${s}'`);
/** Channel and month lexemes have punctuation, which word tokens never have: they never meet. */
const channelLexeme = (id: number) => lexeme(`c:${id}`);
const monthLexeme = (ms: number) => lexeme(`m:${new Date(ms).toISOString().slice(0, 7)}`);

/** The month of `ms`, the `back` months before it and the one after (clocks differ), as a tsquery. */
export function recentMonths(ms: number, back: number): string {
  const d = new Date(ms);
  const months: string[] = [];
  for (let delta = 1; delta >= -back; delta--) months.push(monthLexeme(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + delta, 1)));
  return `(${months.join(' | ')})`;
}

/** Date ranges spanning at most this many months are also asked of the index as their months' lexemes. */
const MAX_RANGE_MONTHS = 36;

/**
 * The months a date range touches, as a tsquery, so GIN finds only the matches of those months (the date bounds are
 * still checked on published_at): without it, a common word's every match was read from the heap to test its date.
 * Undefined for an open range or one longer than MAX_RANGE_MONTHS.
 */
export function rangeMonths(from: number | undefined, to: number | undefined): string | undefined {
  if (from === undefined || to === undefined) return undefined;
  const end = new Date(to - 1);
  const start = new Date(from);
  const first = start.getUTCFullYear() * 12 + start.getUTCMonth();
  const last = end.getUTCFullYear() * 12 + end.getUTCMonth();
  if (last - first >= MAX_RANGE_MONTHS) return undefined;
  const months: string[] = [];
  for (let i = first; i <= last; i++) months.push(monthLexeme(Date.UTC(Math.floor(i / 12), i % 12, 1)));
  return months.length ? `(${months.join(' | ')})` : undefined;
}

/** How far back the index is asked first for the newest matches, in months, before all of them are. */
const RECENT_WINDOWS = [1, 11];

/**
 * A tsvector literal from tokens in order, one weight per field, positions counted from 1 across the fields. Built as
 * one string per lexeme, appended to as its positions come: a document has hundreds of tokens, and an import or a
 * rebuild writes them by the hundred thousand (a list of small strings per lexeme cost ~0.5 ms a document).
 */
export function tsvectorLiteral(fields: string[][]): string {
  const lexemes = new Map<string, { text: string; count: number; last: number }>();
  let position = 1;
  for (let i = 0; i < fields.length; i++) {
    const w = Math.min(i, WEIGHTS.length - 1);
    const weight = WEIGHTS[w];
    for (const token of fields[i]!) {
      const p = Math.min(position++, MAX_POSITION);
      // Position and weight as one number: a lexeme repeated at the clamped last position is kept once.
      const code = p * WEIGHTS.length + w;
      const known = lexemes.get(token);
      if (known === undefined) lexemes.set(token, { text: `${lexeme(token)}:${p}${weight}`, count: 1, last: code });
      else if (known.count < MAX_POSITIONS_PER_LEXEME && known.last !== code) {
        known.text += `,${p}${weight}`;
        known.count++;
        known.last = code;
      }
    }
    position += FIELD_GAP;
  }
  const out: string[] = [];
  for (const l of lexemes.values()) out.push(l.text);
  return out.join(' ');
}

/** The two tsvectors of a document. */
export function documentVectors(d: SearchDocument): { words: string; grams: string } {
  return {
    words: `${tsvectorLiteral(SEARCH_FIELDS.map((f) => d.fields[f].words))} ${channelLexeme(d.channelId)} ${monthLexeme(d.publishedAt)}`,
    grams: tsvectorLiteral(SEARCH_FIELDS.map((f) => d.fields[f].grams)),
  };
}

export interface TsQueries {
  /** Finds articles by their words and channel; undefined when neither is asked for. */
  words: string | undefined;
  /** The words with their distances dropped (`&`), which the index answers alone. */
  wordsLoose: string | undefined;
  /** Finds (and ranks) articles by exact text. */
  grams: string | undefined;
  /** The grams without their order, which the index answers alone: for counting past the candidates. */
  gramsLoose: string | undefined;
  /** Terms with both word and text alternatives (a synonym that is a phrase): each is words OR grams. */
  mixed: { words: string; wordsLoose: string; grams: string; gramsLoose: string }[];
  /** Whether any part asks for an order of lexemes, which only a document's tsvector (read outside GIN) can check. */
  ordered: boolean;
}

const wordQuery = (t: WordTerm) => lexeme(t.token);

/** A text term as its grams in order (`<->`), or `loose`ly (`&`, which the index answers alone). */
function textQuery(t: TextTerm, loose = false): string {
  const last = t.phrase.grams.length - 1;
  const g = t.phrase.grams.map((x, i) => lexeme(x) + (i === last && t.phrase.prefix ? ':*' : ''));
  return g.length === 1 ? g[0]! : `(${g.join(loose ? ' & ' : ' <-> ')})`;
}

/** A text term as its dictionary words at their distances (where a body has no grams for the text), or `loose`ly. */
const allWords = (t: TextTerm, loose = false) => `(${t.words!.map((w, i) => `${i === 0 ? '' : loose ? ' & ' : ` <${w.gap}> `}${lexeme(w.token)}`).join('')})`;

const either = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(' | ')})`);

/** tsquery literals built from terms only: every lexeme is quoted, so no input is ever syntax. */
export function tsqueryLiterals(terms: Term[], channelIds?: number[]): TsQueries {
  const words: string[] = [];
  const wordsLoose: string[] = [];
  const grams: string[] = [];
  const loose: string[] = [];
  const mixed: TsQueries['mixed'] = [];
  let ordered = false;
  for (const t of terms) {
    if (t.kind === 'word') {
      words.push(wordQuery(t));
      wordsLoose.push(wordQuery(t));
    } else if (t.kind === 'text' && !t.words) {
      grams.push(textQuery(t));
      loose.push(textQuery(t, true));
      ordered ||= t.phrase.grams.length > 1;
    } else {
      const of = t.kind === 'any' ? t.of : [t];
      const wordAlternatives = of.filter((a): a is WordTerm => a.kind === 'word').map((a) => wordQuery(a));
      const phrases = of.filter((a): a is TextTerm => a.kind === 'text' && a.words !== undefined);
      const w = [...wordAlternatives, ...phrases.map((a) => allWords(a))];
      const wl = [...wordAlternatives, ...phrases.map((a) => allWords(a, true))];
      const texts = of.filter((a): a is TextTerm => a.kind === 'text');
      const g = texts.map((a) => textQuery(a));
      const gl = texts.map((a) => textQuery(a, true));
      ordered ||= phrases.length > 0 || texts.some((a) => a.phrase.grams.length > 1);
      if (g.length === 0) {
        words.push(either(w));
        wordsLoose.push(either(wl));
      } else if (w.length === 0) {
        grams.push(either(g));
        loose.push(either(gl));
      } else mixed.push({ words: either(w), wordsLoose: either(wl), grams: either(g), gramsLoose: either(gl) });
    }
  }
  const channels = channelIds ? `(${channelIds.length ? channelIds.map(channelLexeme).join(' | ') : channelLexeme(0)})` : undefined;
  const filter = channels ? [...words, channels] : words;
  const filterLoose = channels ? [...wordsLoose, channels] : wordsLoose;
  return {
    words: filter.length ? filter.join(' & ') : undefined,
    wordsLoose: filterLoose.length ? filterLoose.join(' & ') : undefined,
    grams: grams.length ? grams.join(' & ') : undefined,
    gramsLoose: loose.length ? loose.join(' & ') : undefined,
    mixed,
    ordered,
  };
}

/**
 * Mixed terms (words OR grams) spread into arms for the index (2^n of them), at most this many: a query of more keeps
 * them as ORs beside the rest.
 */
const MAX_SPREAD_TERMS = 4;

/**
 * The WHERE conditions of a query: its words (with months when `monthsBack` is given), its grams, mixed terms, dates.
 * `loose`: every order of lexemes dropped (`&`), so the GIN index answers alone and no tsvector is read; a superset.
 *
 * Mixed terms are spread into an OR of arms, each one tsquery per column: words W and grams G with (words A1 or grams
 * B1) and (words A2 or grams B2) is (words W&A1&A2, grams G) or (words W&A1, grams G&B2) or … Written as it reads,
 * the planner, which guesses a few rows for lexemes outside its statistics, answered one OR from the index and tested
 * the other on each of its rows, reading their tsvectors (300,000 articles: 5,039 rows, 213 ms for 公司营收 疗三年);
 * an OR of arms it can only answer from the index.
 */
export function queryConditions(q: TsQueries, request: SearchRequest, loose: boolean, monthsBack?: number): RawBuilder<unknown> {
  const c: RawBuilder<unknown>[] = [];
  const grams = loose ? q.gramsLoose : q.grams;
  const months = monthsBack === undefined ? undefined : recentMonths(request.to ?? Date.now(), monthsBack);
  // With no words to join them, months would be scanned alone and a mixed term tested outside the index (see newest).
  const range = q.words !== undefined || q.mixed.length === 0 ? rangeMonths(request.from, request.to) : undefined;
  const words = [loose ? q.wordsLoose : q.words, months, range].filter((x): x is string => x !== undefined);
  const mixed = q.mixed.map((m) => (loose ? { words: m.wordsLoose, grams: m.gramsLoose } : m));
  // Without order, exact and loose are one test, which the index answers; with it, the exact test is read per row.
  if (mixed.length > 0 && mixed.length <= MAX_SPREAD_TERMS && (loose || !q.ordered)) {
    const arms: RawBuilder<unknown>[] = [];
    for (let choice = 0; choice < 1 << mixed.length; choice++) {
      const w = [...words];
      const g = grams === undefined ? [] : [grams];
      for (const [i, m] of mixed.entries()) {
        if ((choice >> i) & 1) g.push(m.grams);
        else w.push(m.words);
      }
      const both: RawBuilder<unknown>[] = [];
      if (w.length) both.push(sql`words @@ ${w.join(' & ')}::tsquery`);
      if (g.length) both.push(sql`grams @@ ${g.join(' & ')}::tsquery`);
      arms.push(sql`(${sql.join(both, sql` and `)})`);
    }
    c.push(sql`(${sql.join(arms, sql` or `)})`);
  } else {
    if (words.length) c.push(sql`words @@ ${words.join(' & ')}::tsquery`);
    if (grams !== undefined) c.push(sql`grams @@ ${grams}::tsquery`);
    for (const m of mixed) c.push(sql`(words @@ ${m.words}::tsquery or grams @@ ${m.grams}::tsquery)`);
  }
  if (request.from !== undefined) c.push(sql`published_at >= ${request.from}`);
  if (request.to !== undefined) c.push(sql`published_at < ${request.to}`);
  return sql.join(c, sql` and `);
}

/**
 * The newest `cap` rows meeting `conditions`, which the index answers alone (no order of lexemes to test); with
 * `count`, also how many rows meet them (`count(*) over ()`: the matches are all read from the heap to be sorted
 * anyway, so counting them costs no second pass of the index).
 */
async function newestInIndex(
  db: Kysely<DB>,
  docs: RawBuilder<unknown>,
  conditions: RawBuilder<unknown>,
  cap: number,
  count: boolean,
): Promise<{ rows: Match[]; counted?: number }> {
  const { rows } = await sql<Match & { n?: number | string }>`select article_id as id, published_at as at, head
      ${count ? sql`, count(*) over () as n` : sql``} from ${docs} where ${conditions}
      order by published_at desc, article_id desc limit ${cap}`.execute(db);
  if (!count) return { rows };
  return { rows: rows.map(({ id, at, head }) => ({ id, at, head })), counted: rows.length > 0 ? Number(rows[0]!.n) : 0 };
}

/** Loose matches read in the first round when a query's order of lexemes is checked outside the index. */
const ORDERED_WINDOW = 1000;

/**
 * Loose matches a hint (anyMatch) checks for an order of lexemes, at most: each check reads a document's tsvectors,
 * ~60 µs, so a phrase of common words (在江城出: 在, 江城 and 出 are in a fifth of a synthetic archive, in that order in one
 * article) costs tens of milliseconds, not seconds.
 */
const HINT_CHECKS = 1000;

interface Match {
  id: number;
  at: number;
  head: string | null;
}

/**
 * The newest `cap` matches of a query (within `monthsBack` months when given). Lexemes in order (exact text, words at
 * their distances) are not in GIN, which answers them by testing every loose match's tsvectors (detoasted, kilobytes
 * each) before the newest are sorted out. So such a query asks the index for its loose matches newest first, a window
 * at a time, and checks the order only on the window, stopping once `cap` hold; the next window is sized by the share
 * of the last one that matched, so a rare order is not asked for in many rounds.
 */
export async function newestMatches(
  db: Kysely<DB>,
  docs: RawBuilder<unknown>,
  q: TsQueries,
  request: SearchRequest,
  cap: number,
  monthsBack?: number,
  firstWindow = ORDERED_WINDOW,
): Promise<Match[]> {
  const exact = queryConditions(q, request, false, monthsBack);
  if (!q.ordered) return (await newestInIndex(db, docs, exact, cap, false)).rows;
  const loose = queryConditions(q, request, true, monthsBack);
  const out: Match[] = [];
  let after: { at: number; id: number } | undefined;
  let window = firstWindow;
  while (out.length < cap) {
    const before = after ? sql`and (published_at, article_id) < (${after.at}, ${after.id})` : sql``;
    // The inner LIMIT keeps the exact test (in the outer select list) to the window's rows.
    const { rows } = await sql<Match & { ok: boolean }>`select article_id as id, published_at as at, head, ${exact} as ok from (
        select article_id, published_at, head, words, grams from ${docs} where ${loose} ${before}
        order by published_at desc, article_id desc limit ${window}) w`.execute(db);
    let hits = 0;
    for (const r of rows)
      if (r.ok && out.length < cap) {
        out.push({ id: r.id, at: Number(r.at), head: r.head });
        hits++;
      }
    if (rows.length < window) break;
    const last = rows[rows.length - 1]!;
    after = { at: Number(last.at), id: last.id };
    // Enough for what is missing at the rate seen, with a margin; at least four times the last.
    window = Math.max(window * 4, Math.ceil(((cap - out.length) * rows.length * 1.5) / Math.max(hits, 1)));
  }
  return out;
}

/** Terms of a partial search asked of the index at once, each on its own connection. */
const TERM_LANES = 3;

/** A query's newest matches, the window they came from (months back; none: the whole archive) and, when the statement counted them, how many that window holds. */
interface Newest {
  rows: Match[];
  monthsBack?: number;
  counted?: number;
}

export class PostgresSearchIndex implements SearchIndex {
  /** search_docs for the published articles; draft_search_docs, the same table, for the others (the draft index). */
  private readonly table: 'search_docs' | 'draft_search_docs';
  private readonly docs;
  /** Articles a rebuild reads and writes at a time (smaller in tests, to stop a run between two). */
  rebuildBatch = REBUILD_BATCH;
  /** The database refused to merge the pending list (not the index's owner): left to autovacuum. */
  private unsettleable = false;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly scope: IndexScope = 'published',
  ) {
    this.table = scope === 'published' ? 'search_docs' : 'draft_search_docs';
    this.docs = sql.table(this.table);
  }

  async put(document: SearchDocument): Promise<void> {
    // With the commit (or the next statement) of the outbox's transaction, on the way (writeBehind).
    await writeBehind(this.db, this.insertion([document])!);
  }

  async putMany(documents: readonly SearchDocument[]): Promise<void> {
    for (let i = 0; i < documents.length; i += 200) await this.write(this.db, documents.slice(i, i + 200));
  }

  async remove(articleId: number): Promise<void> {
    await writeBehind(this.db, sql`delete from ${this.docs} where article_id = ${articleId}`);
  }

  private async write(db: Kysely<DB>, docs: SearchDocument[]): Promise<void> {
    await this.insertion(docs)?.execute(db);
  }

  /** The statement writing these documents (their vectors made now), or none for none. */
  private insertion(docs: SearchDocument[], table = this.docs) {
    if (docs.length === 0) return undefined;
    const values = docs.map((d) => {
      const v = documentVectors(d);
      return sql`(${d.articleId}, ${d.publishedAt}, ${v.words}::tsvector, ${v.grams}::tsvector, ${d.head})`;
    });
    return sql`insert into ${table} (article_id, published_at, words, grams, head) values ${sql.join(values)}
      on conflict (article_id) do update set published_at = excluded.published_at, words = excluded.words, grams = excluded.grams, head = excluded.head`;
  }

  async search(request: SearchRequest): Promise<SearchCandidates> {
    if (request.terms.length === 0) return { ids: [], total: 0 };
    const q = tsqueryLiterals(request.terms, request.channelIds);
    return this.withIndexPlans(async (db) => {
      const found = await this.newest(db, q, request, SEARCH_CAPS.candidates);
      // Their heads rank the candidates (ranking.ts): no vector leaves the index's recheck.
      const rows = found.rows.map((r) => ({ id: r.id, at: r.at, score: headScore(r.head, request.terms) }));
      rows.sort(byRelevance);
      const total = rows.length < SEARCH_CAPS.candidates ? rows.length : await this.matchCount(db, q, request, SEARCH_CAPS.total, found, true);
      return { ids: rows.map((r) => r.id), total };
    });
  }

  /**
   * The newest `cap` matches. A common word's are all in its last months: asking the index for those months too spares
   * reading and sorting every match. When they are fewer than `cap`, a longer span is asked, then every match.
   */
  private async newest(db: Kysely<DB>, q: TsQueries, request: SearchRequest, cap: number): Promise<Newest> {
    let rows: Match[] = [];
    // Months go into the words' tsquery: with no words to join, the planner would scan the months alone and test the
    // rest outside the index.
    const windows = q.words === undefined ? [undefined] : [...RECENT_WINDOWS, undefined];
    for (let i = 0; i < windows.length; i++) {
      const back = windows[i];
      if (!q.ordered) {
        // Counted in the same statement, the separate count (GIN building the words' bitmap again, then the heap
        // visited again) is seldom needed. Without an order of lexemes to test, these are the loose matches
        // countLoosely counts.
        const found = await newestInIndex(db, this.docs, queryConditions(q, request, false, back), cap, true);
        rows = found.rows;
        if (rows.length === cap) return { rows, monthsBack: back, counted: found.counted };
      } else {
        rows = await newestMatches(db, this.docs, q, request, cap, back);
        if (rows.length === cap) return { rows, monthsBack: back };
      }
      // At this window's rate (its months with articles: this one and `back` before), the next window would hold
      // fewer than half the cap: it is skipped for every match, which are few.
      const next = windows[i + 1];
      if (back !== undefined && next !== undefined && (rows.length * (next + 1)) / (back + 1) < cap / 2) i++;
    }
    return { rows };
  }

  /**
   * How many articles match, up to `cap`, for a query whose newest filled their cap: from the statement that found
   * them when it counted the whole archive, or a window holding at least `cap`; else counted (countLoosely): in the
   * window first when `windowFirst` and it was not counted already, then over the whole archive.
   */
  private async matchCount(db: Kysely<DB>, q: TsQueries, request: SearchRequest, cap: number, found: Newest, windowFirst: boolean): Promise<number> {
    if (found.counted !== undefined && (found.monthsBack === undefined || found.counted >= cap)) return Math.min(found.counted, cap);
    return this.countLoosely(db, q, request, cap, windowFirst && found.counted === undefined ? found.monthsBack : undefined);
  }

  /**
   * Matches counted up to `cap`, past the candidates: loosely (lexemes in any order), which the index answers alone;
   * checking every match's positions would read thousands of tsvectors for a number already in the hundreds. First in
   * the months the candidates came from, when they came from a window: GIN builds a word's whole bitmap before a count
   * sees its first row (no LIMIT shortens that), and with the months' lexemes it intersects a fraction of it
   * (a common word counted to 1,000: 7.3 ms over the archive). Over the whole archive when the window holds fewer.
   */
  private async countLoosely(db: Kysely<DB>, q: TsQueries, request: SearchRequest, cap: number, monthsBack?: number): Promise<number> {
    const count = async (back?: number) => {
      const { rows } = await sql<{ n: number }>`select count(*) as n from (
        select 1 from ${this.docs} where ${queryConditions(q, request, true, back)} limit ${cap}) x`.execute(db);
      return Number(rows[0]?.n ?? 0);
    };
    if (monthsBack !== undefined) {
      const inWindow = await count(monthsBack);
      if (inWindow >= cap) return inWindow;
    }
    return count();
  }

  async matching(request: SearchRequest, cap: number): Promise<SearchMatches> {
    if (request.terms.length === 0) return { ids: [], capped: false };
    const q = tsqueryLiterals(request.terms, request.channelIds);
    const rows = await this.withIndexPlans((db) => newestMatches(db, this.docs, q, request, cap + 1));
    return { ids: rows.slice(0, cap).map((r) => r.id), capped: rows.length > cap };
  }

  async anyMatch(request: SearchRequest): Promise<boolean | undefined> {
    if (request.terms.length === 0) return false;
    const q = tsqueryLiterals(request.terms, request.channelIds);
    return this.withIndexPlans(async (db) => {
      const exact = queryConditions(q, request, false);
      if (!q.ordered) return (await sql`select 1 from ${this.docs} where ${exact} limit 1`.execute(db)).rows.length > 0;
      // Loose matches in the heap's order, no sort of them all: the first that holds the order decides; none among
      // fewer than HINT_CHECKS is a no, none among that many is undecided.
      const { rows } = await sql<{ hit: boolean; seen: number }>`with w as materialized (
          select words, grams, published_at from ${this.docs} where ${queryConditions(q, request, true)} limit ${HINT_CHECKS})
        select exists (select 1 from w where ${exact}) as hit, (select count(*) from w) as seen`.execute(db);
      const { hit, seen } = rows[0]!;
      return hit ? true : Number(seen) < HINT_CHECKS ? false : undefined;
    });
  }

  async termMatches(request: SearchRequest, cap: number, known: readonly (number | undefined)[] = []): Promise<TermMatches[]> {
    const one = async (db: Kysely<DB>, i: number): Promise<TermMatches> => {
      const term = request.terms[i]!;
      const q = tsqueryLiterals([term], request.channelIds);
      const found = await this.newest(db, q, request, cap);
      const { rows } = found;
      // Over the whole archive at once: a window that held this term's few hundred newest seldom holds termCount.
      const count = rows.length < cap ? rows.length : (known[i] ?? (await this.matchCount(db, q, request, SEARCH_CAPS.termCount, found, false)));
      return { hits: rows.map((r) => ({ id: r.id, at: r.at, field: headField(r.head, term) })), count };
    };
    const out: TermMatches[] = new Array(request.terms.length);
    if (this.db.isTransaction) {
      for (let i = 0; i < out.length; i++) out[i] = await one(this.db, i);
      return out;
    }
    // The terms are independent: a few at a time, each on a connection of its own, so a query of several terms (a
    // headline pasted whole) waits for the slowest rather than for their sum, on a server's otherwise idle cores.
    let next = 0;
    const lane = async () => {
      while (next < out.length) {
        const i = next++;
        out[i] = await this.withIndexPlans((db) => one(db, i));
      }
    };
    await Promise.all(Array.from({ length: Math.min(TERM_LANES, out.length) }, lane));
    return out;
  }

  /**
   * Runs the search queries with the GIN index as the only way in. The planner prices `@@` as if tsvectors were
   * free to read, but each one it tests outside the index is detoasted and decompressed: it would scan the small
   * heap (or walk the primary key) testing thousands of rows, where the index answers in milliseconds.
   */
  private async withIndexPlans<T>(fn: (db: Kysely<DB>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this.db);
    return this.db.transaction().execute(async (tx) => {
      // No parallel workers either: starting them costs more than these queries take, and a small server has few cores.
      // Nothing is read back: the settings travel with the transaction's begin and its first query (writeBehind).
      await writeBehind(
        tx,
        sql`select set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true),
        set_config('max_parallel_workers_per_gather', '0', true)`,
      );
      return fn(tx);
    });
  }

  /** Writes a new table and puts it in the index's place (postgres-rebuild.ts); searches use the old one meanwhile. */
  async rebuild(document: DocumentMaker, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
    // One rebuild of an index at a time, held by a connection of its own for the run (a process that dies lets go):
    // a second one would drop and make again the table the first is writing, and the first swap in what it holds.
    return this.db.connection().execute(async (held) => {
      const key = sql`hashtextextended(${`inkstone search rebuild ${this.table}`}, 0)`;
      const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${key}) as ok`.execute(held);
      // 409 in the API, a plain message from the command line (`inkstone reindex` twice, or beside an import).
      if (!rows[0]?.ok) throw conflict('reindex_running', `Another rebuild of the search index (${this.table}) is running; try again when it has finished.`);
      try {
        return await this.rebuildAlone(document, progress, from);
      } finally {
        await sql`select pg_advisory_unlock(${key})`.execute(held);
      }
    });
  }

  private async rebuildAlone(document: DocumentMaker, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport> {
    const shadow = shadowOf(this.table);
    const after = await openShadow(this.db, shadow, (from?.afterId ?? 0) > 0);
    const into = sql.table(shadow.next);
    // One batch's insert runs in the database while the next batch's documents and vectors are made here (the two
    // took turns: each idle while the other worked). The table, not a checkpoint, says how far a stopped run got.
    let writing: Promise<unknown> = Promise.resolve();
    let indexed: number;
    try {
      indexed = await pipelinedBatches(
        document,
        (after) => articleBatch(this.db, this.scope, after, this.rebuildBatch, false),
        // Not locked: a write to an article meanwhile reaches the old table, and the swap takes those articles from it.
        async (after) => {
          const rows = await articleBatch(this.db, this.scope, after, this.rebuildBatch, false);
          const insert = this.insertion(rows.map(document), into);
          await writing;
          writing = insert?.execute(this.db) ?? Promise.resolve();
          // Its failure is thrown where it is awaited, not reported as unhandled meanwhile.
          writing.catch(() => {});
          return rows;
        },
        { from: after, progress },
      );
    } finally {
      // A run that fails leaves its last batch written or not, never half-way through the statement.
      await writing.catch(() => {});
    }
    await writing;
    const removed = await closeShadow(this.db, shadow, (a) =>
      this.scope === 'published' ? sql`${sql.ref(`${a}.status`)} = 'published'` : sql`${sql.ref(`${a}.status`)} <> 'published'`,
    );
    // The swap's own inserts (the articles written meanwhile) went into the new index's pending list.
    await this.settle();
    return { indexed, removed };
  }

  async fill(document: DocumentMaker, progress?: (indexed: number) => void, signal?: AbortSignal): Promise<number> {
    const heads = await fillHeads(this.db, this.docs, signal);
    if (heads > 0) progress?.(heads);
    const indexed = await pipelinedBatches(
      document,
      (after) => articleBatch(this.db, this.scope, after, REBUILD_BATCH, false, this.docs),
      // The rows stay locked (FOR SHARE) until the batch commits: an edit's own indexing lands after ours. An article
      // indexed by the outbox between the read and the write is written again from the same committed row.
      (after) =>
        this.db.transaction().execute(async (tx) => {
          const rows = await articleBatch(tx, this.scope, after, REBUILD_BATCH, true, this.docs);
          await this.write(tx, rows.map(document));
          return rows;
        }),
      { signal, progress: progress && ((n) => progress(heads + n)) },
    );
    if (indexed > 0) await this.settle();
    return heads + indexed;
  }

  /**
   * Merges the GIN index's pending list into its tree. New entries go to that list first (fastupdate), and every search
   * reads the whole list, up to gin_pending_list_limit (4 MB) of it before an insert merges it: on the 300,000-article
   * archive, with 389 pages pending (a few thousand articles written since the last merge), a search's p50 was 26 ms
   * against 16.5 ms with none. Rebuilds and imports settle when they end; the outbox's runner after its work.
   */
  async settle(): Promise<void> {
    if (this.unsettleable) return;
    try {
      await sql`select gin_clean_pending_list(${`${this.table}_terms`}::regclass)`.execute(this.db);
    } catch (err) {
      // Only the index's owner may merge it now (insufficient_privilege): autovacuum or an insert past the limit will;
      // not asked again. No index at all (undefined_table): dropped for a bulk load, to be built whole afterwards.
      const code = (err as { code?: string }).code;
      if (code === '42501') this.unsettleable = true;
      else if (code !== '42P01') throw err;
    }
  }

  async count(): Promise<number> {
    return wholeDocuments(this.db, this.docs);
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await sql`select 1 from ${this.docs} limit 1`.execute(this.db);
    return rows.length === 0;
  }

  async stats(): Promise<{ documents: number; bytes: number }> {
    const { rows } = await sql<{ n: number; bytes: number }>`select (select count(*) from ${this.docs}) as n,
      pg_total_relation_size(${this.table}::regclass) as bytes`.execute(this.db);
    return { documents: Number(rows[0]?.n ?? 0), bytes: Number(rows[0]?.bytes ?? 0) };
  }
}
