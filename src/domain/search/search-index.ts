import type { Article } from '../articles/article.ts';
import type { GramPhrase } from './grams.ts';

/**
 * The search index as the domain sees it (a port of the Store): documents the domain makes go in (document.ts,
 * with jieba), article ids come out. One implementation per store in storage/search/; nothing there segments text.
 */

/** What the index keeps of an article: its words (jieba search mode) and its grams, per weighted field. */
export interface SearchField {
  readonly words: string[];
  readonly grams: string[];
  /** The words joined by spaces, when the field arrived so (from a worker thread): stores that write text take it as is. */
  readonly wordText?: string;
  /** The grams joined likewise. */
  readonly gramText?: string;
}

/** A field's words as one space-separated string (tokens never hold a space). */
export const wordText = (f: SearchField): string => f.wordText ?? f.words.join(' ');
/** A field's grams as one space-separated string. */
export const gramText = (f: SearchField): string => f.gramText ?? f.grams.join(' ');

export const SEARCH_FIELDS = ['title', 'tags', 'summary', 'body'] as const;
export type SearchFieldName = (typeof SEARCH_FIELDS)[number];

export interface SearchDocument {
  articleId: number;
  channelId: number;
  publishedAt: number;
  fields: Record<SearchFieldName, SearchField>;
  /** Title and tags as ranking reads them (searchHead): kept beside the document, read for each candidate. */
  head: string;
}

/** What a document is made from; a rebuild reads these of every published article. */
export type IndexableArticle = Pick<Article, 'id' | 'title' | 'subtitle' | 'summary' | 'bodyText' | 'tags' | 'channelId' | 'publishedAt' | 'updatedAt'>;

/**
 * Makes an article's document. `ahead`, when there: works out the documents of articles about to be written (in a
 * worker thread) while the caller writes others; the maker then uses that work for an article whose texts are still
 * those. A store's rebuild and fill call it one batch ahead; without it every document is made when written.
 */
export type DocumentMaker = ((article: IndexableArticle) => SearchDocument) & {
  ahead?: (articles: readonly IndexableArticle[]) => Promise<void>;
};

/**
 * A query term. `word`: the article has this word (one of jieba's search-mode tokens). `text`: the article has
 * this exact string somewhere, found through the bigram index.
 */
export type WordTerm = { kind: 'word'; token: string };
/**
 * Exact text, found through the grams. `words`: the same text as dictionary words in a row (国家发展和改革委员会 →
 * 国家 发展 和 改革 委员会), each with its distance in index positions from the one before (search mode puts a long
 * word's parts before it: 委员 委员会): a body keeps grams only where jieba knows no word, so there the text is found
 * as these words at these distances (PostgreSQL: `<N>`; SQLite: NEAR within their total span).
 */
export type TextTerm = { kind: 'text'; text: string; phrase: GramPhrase; words?: { token: string; gap: number }[] };
/** Any one of several words or texts: a query word and its synonyms from the newsroom's list (北大 | 北京大学). */
export type AnyTerm = { kind: 'any'; of: (WordTerm | TextTerm)[] };
export type Term = WordTerm | TextTerm | AnyTerm;

/**
 * Bounds that keep every query fast however broad it is. Relevance is computed for at most `candidates`
 * matches, the newest ones (a word in most articles ranks the latest 500, not the whole archive); a search's matches
 * are counted up to `total` (a reader pages through the candidates only, and is told 1000 篇以上 past that: counting
 * further visits every match's row, most of PostgreSQL's time in a common word's search), and one term's, for its
 * rarity in partial matches, up to `termCount`.
 */
export const SEARCH_CAPS = { candidates: 500, total: 1_000, termCount: 10_000 };

export interface SearchRequest {
  /** Every term must match (see query.ts). */
  terms: Term[];
  /** Only articles in these channels (a channel and its subchannels). */
  channelIds?: number[];
  /** Published at or after (ms). */
  from?: number;
  /** Published before (ms). */
  to?: number;
}

export interface SearchCandidates {
  /** Article ids, best first: relevance, then newer, then higher id. */
  ids: number[];
  /** Matching articles, counted up to SEARCH_CAPS.total. */
  total: number;
}

/** Every match the archive filters and sorts itself, newest first, up to a cap; `capped` when there were more. */
export interface SearchMatches {
  ids: number[];
  capped: boolean;
}

/**
 * Told after each batch: articles indexed by this run, and the highest id done (where a stopped run resumes). The next
 * batch waits for a promise it returns.
 */
export type RebuildProgress = (indexed: number, lastId: number) => void | Promise<void>;

/** Where a rebuild begins: after this id (a run stopped half-way resumes there); 0 or none from the start. */
export interface RebuildStart {
  afterId: number;
}

/** Where in an article a term was found, best first (the order of SEARCH_FIELDS). */
export type FieldRank = 0 | 1 | 2 | 3;

/** One term's newest matches, each with the best field it is in, and how many articles have it. */
export interface TermMatches {
  hits: { id: number; at: number; field: FieldRank }[];
  /** Articles having the term (within the request's filters), counted up to SEARCH_CAPS.termCount. */
  count: number;
}

export interface RebuildReport {
  indexed: number;
  removed: number;
}

/**
 * A full-text index kept in step inside article transactions (see service.ts, indexArticle): `store.search` holds the
 * published articles (what readers search), `store.draftSearch` every other one (what the newsroom's archive adds).
 */
export interface SearchIndex {
  /**
   * Kept outside the database (an external engine, INKSTONE_SEARCH_URL): its writes are not part of the article's
   * transaction, so none is made inside one that the outbox makes anyway.
   */
  readonly external?: boolean;
  /** Writes a published article's document in place of its previous one. */
  put(document: SearchDocument): Promise<void>;
  /** put for many new documents at once (a bulk import): fewer statements where the store can batch them. */
  putMany(documents: readonly SearchDocument[]): Promise<void>;
  /** Takes an article out (it is not, or no longer, published); nothing when it is not in. */
  remove(articleId: number): Promise<void>;
  /**
   * Folds the entries written since the last call into the index's main structure, so that searches stop paying for
   * them; called after writes have committed (the outbox's runner, at most every 5 s). PostgreSQL merges its GIN
   * index's pending list, which every search reads whole; the other stores have nothing to do.
   */
  settle(): Promise<void>;
  search(request: SearchRequest): Promise<SearchCandidates>;
  /**
   * For each of the request's terms alone (not all of them together): its newest `cap` matches within the
   * request's channels and dates, with the best field each is in, and its count. For partial matches. `known`: counts
   * the caller has already (by term, undefined where not), given back as they are and not counted again.
   */
  termMatches(request: SearchRequest, cap: number, known?: readonly (number | undefined)[]): Promise<TermMatches[]>;
  /** The ids of every match (by the index's time, newest first), at most `cap` of them. */
  matching(request: SearchRequest, cap: number): Promise<SearchMatches>;
  /**
   * Whether any article matches, for a hint (您是不是要找) rather than a result: undefined when the index cannot tell
   * at a small, bounded cost (PostgreSQL checks lexemes in order on a bounded number of loose matches).
   */
  anyMatch(request: SearchRequest): Promise<boolean | undefined>;
  /** Re-indexes every published article in batches, each made a document by `document` (reads stay served), and drops the rest. */
  rebuild(document: DocumentMaker, progress?: RebuildProgress, from?: RebuildStart): Promise<RebuildReport>;
  /**
   * Indexes the articles of the index's scope that have no document yet, in batches, oldest id first: a first start on
   * a bulk-loaded, restored or imported archive fills the index in the background, and an interrupted fill goes on
   * where it stopped. Never replaces a document (a change indexed meanwhile by the outbox is newer); first gives the
   * documents written before heads were kept (see ranking.ts) their heads. Returns documents written or given a head.
   */
  fill(document: DocumentMaker, progress?: (indexed: number) => void, signal?: AbortSignal): Promise<number>;
  /** How many whole documents the index holds (an index-only count; see fill). */
  count(): Promise<number>;
  /** Whether no article is indexed (cheap, unlike stats). */
  isEmpty(): Promise<boolean>;
  /** Indexed articles and the index's size on disk in bytes. */
  stats(): Promise<{ documents: number; bytes: number }>;
}
