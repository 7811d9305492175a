/** The outbox topics of an article's search index entries, and of its related reading (queued by the first). */
export const ARTICLE_INDEXING = 'article.index';
export const ARTICLE_RELATED = 'article.related';
