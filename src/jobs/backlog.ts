import type { FastifyBaseLogger } from 'fastify';
import { prepareRelatedBatch } from '../domain/articles/body.ts';
import { fillRelatedVectors } from '../domain/articles/related.ts';
import { analyseRelatedBacklog } from '../domain/articles/related-bulk.ts';
import type { Ctx } from '../domain/context.ts';
import { fillSearchIndexes, searchBacklog } from '../domain/search/service.ts';

const PROGRESS_EVERY_MS = 10_000;

type Log = Pick<FastifyBaseLogger, 'info' | 'error'>;

/**
 * Indexes the articles missing from the search indexes, then analyses articles never analysed for related reading, in the background, after the server listens: a first start
 * on a bulk-loaded or restored archive serves at once, and an interrupted run resumes where it stopped. Returns a
 * stop function; its promise settles once the article in hand is done.
 */
export function startBacklog(ctx: Ctx, log: Log): { stop: () => Promise<void>; done: Promise<number> } {
  const controller = new AbortController();
  const done = (async () => {
    // An external search engine that is down holds nothing up: its fill is tried again at the next start.
    const searchFailed = (err: unknown) => {
      log.error({ err }, 'search: filling the indexes failed; it resumes at the next start');
      return 0;
    };
    const missing = await searchBacklog(ctx).catch((err: unknown) => ({ published: searchFailed(err), unpublished: 0 }));
    if (missing.published + missing.unpublished > 0) {
      log.info(missing, 'search: indexing the articles missing from the indexes, in the background');
      const started = Date.now();
      let reported = started;
      const indexed = await fillSearchIndexes(ctx, {
        signal: controller.signal,
        progress: (n) => {
          if (Date.now() - reported < PROGRESS_EVERY_MS) return;
          reported = Date.now();
          log.info({ indexed: n, of: missing.published + missing.unpublished, perSecond: Math.round((n * 1000) / (reported - started)) }, 'search: indexing');
        },
      }).catch(searchFailed);
      log.info({ indexed, seconds: Math.round((Date.now() - started) / 1000), stopped: controller.signal.aborted }, 'search: indexes filled');
    }
    if (controller.signal.aborted) return 0;
    // Not counted first: a count over the archive would hold the event loop at every start; the first article found
    // unanalysed says there is a backlog, and progress gives the id reached of the newest.
    const started = Date.now();
    let reported = started;
    let begun = false;
    // Many articles (an import, a restore) go the bulk path: batches scored together, written a part at a time.
    const analysed = await analyseRelatedBacklog(ctx, {
      signal: controller.signal,
      prepare: prepareRelatedBatch,
      progress: (n, at, last) => {
        if (!begun) log.info({ from: at, upTo: last }, 'related reading: analysing the articles never analysed, in the background');
        begun = true;
        if (Date.now() - reported < PROGRESS_EVERY_MS) return;
        reported = Date.now();
        log.info({ analysed: n, atId: at, upTo: last, perSecond: Math.round((n * 1000) / (reported - started)) }, 'related reading: analysing');
      },
    });
    if (analysed > 0 || controller.signal.aborted)
      log.info({ analysed, seconds: Math.round((Date.now() - started) / 1000), stopped: controller.signal.aborted }, 'related reading: backlog done');
    if (controller.signal.aborted) return analysed;
    // Articles analysed before their vectors were kept beside their fingerprints (an upgrade): publishes score them
    // from related_terms, more slowly, until this fills them.
    const vectorsFrom = Date.now();
    reported = vectorsFrom;
    let announced = false;
    const filled = await fillRelatedVectors(ctx, {
      signal: controller.signal,
      progress: (n) => {
        if (!announced) log.info('related reading: keeping the term vectors of articles analysed before an upgrade, in the background');
        announced = true;
        if (Date.now() - reported < PROGRESS_EVERY_MS) return;
        reported = Date.now();
        log.info({ filled: n, perSecond: Math.round((n * 1000) / (reported - vectorsFrom)) }, 'related reading: keeping term vectors');
      },
    });
    if (filled > 0)
      log.info({ filled, seconds: Math.round((Date.now() - vectorsFrom) / 1000), stopped: controller.signal.aborted }, 'related reading: term vectors kept');
    return analysed;
  })().catch((err: unknown) => {
    log.error({ err }, 'related reading: the background analysis failed; it resumes at the next start');
    return 0;
  });
  return {
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}
