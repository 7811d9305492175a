/** Size limits of an article's fields; the API schema and the domain check the same numbers. */
export const LIMITS = {
  title: 200,
  subtitle: 200,
  summary: 500,
  source: 100,
  byline: 200,
  editor: 50,
  tag: 32,
  tags: 20,
  /** UTF-8 bytes of the body as sent and as stored (after sanitizing, which can make it longer). */
  bodyBytes: 2 * 1024 * 1024,
  // Real articles (Word/WeChat paste included) nest < 30 deep and have < 10,000 elements; parser work per tag grows with depth.
  bodyDepth: 100,
  bodyElements: 50_000,
};
