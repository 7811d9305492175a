import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { Container } from './container.ts';
import type { Ctx } from './domain/context.ts';
import { invalid, notFound } from './domain/errors.ts';
import { ImportJobs } from './domain/imports/jobs.ts';
import { JSON_MAX_DEPTH, jsonDepthExceeds } from './web/json.ts';
import { registerLingeringClose } from './web/linger.ts';
import { ConnectionDrain } from './web/drain.ts';
import { isTempPath } from './domain/media/files.ts';
import { etagMatches, IMMUTABLE_CACHE, isMediaPath, mediaEtag, parseRange } from './domain/media/media-store.ts';
import { publicMediaOrigin, publicMediaRewriter } from './web/media-url.ts';
import { OutboxRunner } from './jobs/outbox.ts';
import { packageFile } from './package-files.ts';
import { startScheduler } from './jobs/scheduler.ts';
import { ping } from './storage/database.ts';
import { adminRoutes } from './web/admin/routes.tsx';
import { apiV1 } from './web/api/index.ts';
import { answerClientError, isApiRequest, sendApiError, toApiError } from './web/errors.ts';
import { registerMetrics } from './web/metrics.ts';
import { forgetPublicMemos } from './web/public/memo.ts';
import type { Broadcast } from './storage/broadcast.ts';
import { CdnPurger } from './web/cdn-purge.ts';
import { PageCache, purgeKeysFor, registerPageCache, serveFromCache } from './web/page-cache.ts';
import { sendHtml } from './web/public/html.ts';
import { answerOldAddress } from './web/public/old-addresses.ts';
import { publicRoutes, type ErrorRenderer } from './web/public/routes.tsx';
import { hantRoutes } from './web/public/hant.tsx';
import { careRedirect, careRoutes, registerCareRedirect } from './web/public/care.ts';
import { reactionFormRoutes } from './web/public/reactions.ts';
import { commentFormRoutes } from './web/public/comments.tsx';
import { LiveHub } from './web/live-hub.ts';
import { liveReaderRoutes } from './web/public/live-routes.ts';
import { registerAssets } from './web/assets.ts';
import { registerAuth } from './web/auth.ts';
import { registerSecurityHeaders } from './web/security-headers.ts';
import { badTextField, validatorCompiler } from './web/validation.ts';

/** JSON request bodies above this are refused with 413 before they are parsed. Article bodies are ≤ 2 MB. */
export const BODY_LIMIT = 3 * 1024 * 1024;

export interface AppOptions {
  /** The process's parts (src/container.ts): the app serves its Ctx and connects and closes its counters. */
  container: Container;
  /** Run the scheduled-publishing job in this process (off in most tests). */
  jobs?: boolean;
  /** Fastify's logger options, or `loggerInstance`: a logger the caller shares with the container (server.ts). */
  logger?: FastifyServerOptions['logger'];
  /** Tells the site's other app processes (other machines too) what this one purged, and hears theirs. */
  broadcast?: Broadcast;
  loggerInstance?: FastifyBaseLogger;
}

export interface App {
  app: FastifyInstance;
  ctx: Ctx;
  pageCache: PageCache;
  /** Search indexing and related reading after each commit (see jobs/outbox.ts). */
  outbox: OutboxRunner;
  /** Imports started from the newsroom's 导入 page. */
  imports: ImportJobs;
  /** This process's open live streams (图文直播, server-sent events). */
  live: LiveHub;
}

/** Builds the whole app without listening, so tests can inject requests. */
export async function buildApp(options: AppOptions): Promise<App> {
  const { container } = options;
  const { config, database, ctx } = container;
  const pageCache = new PageCache({ ttlMs: config.pageCacheTtlMs, maxBytes: config.pageCacheMaxBytes });
  // Live streams follow changes to their live: this process's own at once, other processes' through the broadcast.
  const live = new LiveHub(ctx, {
    rewrite: publicMediaRewriter(config.mediaPublicUrl, config.siteUrl),
    onError: (err) => app.log.warn({ err }, 'live stream failed'),
  });
  // A shutdown closes each connection once its answer is sent, and cuts what is left after config.shutdownMs.
  const drain = new ConnectionDrain();
  // Set once the reader routes and the security headers are registered (below); requests come only after that.
  let renderError: ErrorRenderer | undefined;
  let pageSecurityHeaders: Record<string, string> = {};
  /** The one answer to an error: JSON for the API (and uploads), else the site's error page. */
  const answerError = async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(err);
    if (apiError.status >= 500) req.log.error({ err }, 'request failed');
    if (isApiRequest(req) || !renderError || apiError.status === 413 || apiError.status === 415) return sendApiError(reply, apiError);
    return sendHtml(reply, apiError.status, await renderError(apiError.status), 'no-store');
  };
  const app: FastifyInstance = Fastify({
    // Cached reader pages are answered before Fastify's routing; see serveFromCache.
    // Idle keep-alive connections outlive a load balancer's (60 s is common), so it is never the server that closes a
    // connection the balancer is about to reuse; headers must arrive within that time plus a margin.
    serverFactory: (handler) =>
      createServer(
        { keepAliveTimeout: config.keepAliveMs, headersTimeout: config.keepAliveMs + 5_000, requestTimeout: 300_000 },
        // A reader who chose 关怀版 is redirected to the care page by Fastify (registerCareRedirect), not served this one.
        // Live streams (held for hours) are answered here too, so each keeps a socket, not a framework request.
        (req, res) => {
          drain.request(res);
          return (
            (careRedirect(req.method, req.url, req.headers.cookie) === undefined && serveFromCache(pageCache, req, res)) ||
            live.handle(req, res) ||
            handler(req, res)
          );
        },
      ),
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
    // Fastify accepts a hop count at run time though its types omit it.
    trustProxy: config.trustProxy as boolean | string[],
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A URL the router refuses before any route or hook runs (malformed percent-encoding, a path parameter over
    // maxParamLength) gets the same error answer as any other request, not Fastify's own JSON shape.
    clientErrorHandler: answerClientError,
    frameworkErrors: (err, req, reply) => {
      reply.headers(pageSecurityHeaders);
      answerError(err, req, reply).catch((failure: unknown) => sendApiError(reply, toApiError(failure)));
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  // A committed change purges the pages that show it, here and (through the webhook) at a CDN; other app processes
  // hear of it through server.ts (workers) or the page cache's expiry.
  const cdn = config.cdnPurge && new CdnPurger({ ...config.cdnPurge, log: app.log });
  const { broadcast } = options;
  const unsubscribe = ctx.events.subscribe((change) => {
    const found = purgeKeysFor(change);
    if (!found) return;
    const keys = found === 'all' ? undefined : found;
    // Before the purge: the renders it lets through must not read a replica that has not replayed this change.
    container.reads?.written();
    pageCache.purge(keys);
    cdn?.purge(keys);
    broadcast?.publish({ type: 'purge', keys });
  });
  // An article taken down (or deleted) ends its streams: its room reads again and finds it no longer public.
  const unsubscribeLive = ctx.events.subscribe((change) => {
    if ((change.kind !== 'live' && change.kind !== 'article') || !change.public) return;
    const seq = change.kind === 'live' ? change.seq : 0;
    live.changed(change.articleId, seq);
    broadcast?.publish({ type: 'live', articleId: change.articleId, seq });
  });
  broadcast?.onMessage((message) => {
    // Another process committed what it tells of: the reads after its message see it (Database.fresh).
    database.fresh();
    if (message.type === 'live') return live.notify(message.articleId);
    container.reads?.written();
    pageCache.purge(message.keys, { propagate: false });
  });
  // Open streams would keep the server from closing: they end first, and browsers reconnect elsewhere.
  app.addHook('preClose', async () => {
    drain.start(app.server, config.shutdownMs);
    unsubscribeLive();
    live.close();
  });
  // Whatever purged pages (a change here, or one heard from another process) also outdates what pages are made of,
  // read on either server.
  pageCache.afterPurge = () => {
    forgetPublicMemos(ctx);
    if (container.reads) forgetPublicMemos(container.reads.replica);
  };
  app.addHook('onClose', async () => {
    unsubscribe();
    await cdn?.flush();
  });
  app.addHook('onReady', () => container.ready());
  app.addHook('onClose', () => container.close());

  // An empty JSON body (e.g. POST /articles/1/publish with a JSON content type) means "no body", not an error.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (req, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    if (jsonDepthExceeds(body as string, JSON_MAX_DEPTH)) return done(invalid(`JSON may nest at most ${JSON_MAX_DEPTH} levels`, undefined, 'too_deep'));
    return defaultJson(req, body as string, done);
  });

  const siteIsHttps = config.siteUrl.startsWith('https:');
  const mediaOrigin = publicMediaOrigin(config.mediaPublicUrl);
  pageSecurityHeaders = registerSecurityHeaders(app, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Never another site's images on our pages: remote images in bodies are re-hosted on save (docs/SECURITY.md).
        // …and our own media, from this site or from the public media host (INKSTONE_MEDIA_PUBLIC_URL, a CDN).
        imgSrc: ["'self'", 'data:', ...(mediaOrigin ? [mediaOrigin] : [])],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    strictTransportSecurity: siteIsHttps ? { maxAge: 31536000 } : false,
  });
  await app.register(cookie);
  // A request may follow a commit its client saw elsewhere (another worker or machine): its reads begin afresh, not in
  // a read snapshot a timer began earlier in this turn of the event loop (storage/sqlite-turns.ts).
  app.addHook('onRequest', (_req, _reply, done) => {
    database.fresh();
    done();
  });
  // A NUL character or half a surrogate pair in a path, query or body is refused before any handler sees it (see badTextField).
  app.addHook('preValidation', (req, _reply, done) => {
    for (const part of [req.params, req.query, req.body]) {
      const field = badTextField(part);
      if (field !== undefined) {
        return done(invalid('Text must not contain NUL characters (U+0000) or half of a surrogate pair', field || undefined, 'invalid_input'));
      }
    }
    done();
  });
  // Before any route: routes declare who may call them (config.auth) and get their gate from here.
  registerAuth(app, { ctx, siteUrl: config.siteUrl });
  registerCareRedirect(app);
  registerPageCache(app, pageCache);
  // Answers to requests that were under way when a close began say Connection: close (see ConnectionDrain).
  app.addHook('onSend', (_req, reply, payload, done) => {
    drain.request(reply.raw);
    done(null, payload);
  });
  registerLingeringClose(app);

  app.setErrorHandler(answerError);
  app.setNotFoundHandler(async (req, reply) => {
    if (isApiRequest(req) || !renderError) return sendApiError(reply, toApiError(notFound('Route')));
    // An old address of an imported article (inkstone import): 301 to its page, 410 when it is not public.
    const old = await answerOldAddress(ctx, req, reply, renderError, 3600);
    if (old) return old;
    return sendHtml(reply, 404, await renderError(404), 'public, max-age=30');
  });

  app.get('/healthz', async (_req, reply) => {
    await ping(database);
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  registerMetrics(app, config.metricsToken, () => ctx.store.outbox.backlog(), container.reads);

  const mediaDir = path.join(config.dataDir, 'media');
  mkdirSync(mediaDir, { recursive: true });
  await app.register(fastifyStatic, { root: packageFile('static'), prefix: '/static/', maxAge: '1h', decorateReply: false });
  const assets = await registerAssets(app);
  if (config.mediaStore.kind === 'local') {
    // Uploads in progress sit in media/tmp and are never served; send refuses ".." and stays inside the root.
    await app.register(fastifyStatic, {
      root: mediaDir,
      prefix: '/media/',
      maxAge: '365d',
      immutable: true,
      decorateReply: false,
      allowedPath: (pathname) => !isTempPath(pathname),
    });
  } else {
    // Media in a bucket: streamed from the store with the same headers (a CDN in front keeps them for a year).
    // Ranges (video seeking, resumed downloads) and revalidation work as for the local folder.
    app.get<{ Params: { '*': string } }>('/media/*', async (req, reply) => {
      const mediaPath = req.params['*'];
      if (!isMediaPath(mediaPath)) return reply.callNotFound();
      // A path never holds other bytes: its tag is made from the path, and a revalidation costs the bucket nothing.
      const etag = mediaEtag(mediaPath);
      reply.header('etag', etag).header('cache-control', IMMUTABLE_CACHE).header('accept-ranges', 'bytes');
      if (etagMatches(req.headers['if-none-match'], etag) && (await ctx.media.exists(mediaPath))) return reply.code(304).send();
      const stored = await ctx.media.open(mediaPath, parseRange(req.headers.range));
      if (!stored) return reply.callNotFound();
      if ('unsatisfiable' in stored) return reply.code(416).header('content-range', `bytes */${stored.totalBytes}`).send();
      reply.header('content-type', stored.contentType).header('content-length', stored.bytes);
      if (stored.range) reply.code(206).header('content-range', `bytes ${stored.range.start}-${stored.range.end}/${stored.totalBytes}`);
      if (req.method === 'HEAD') {
        stored.body.destroy();
        return reply.send();
      }
      return reply.send(stored.body);
    });
  }

  // Imports started from the newsroom run in the process that received the file; stopping the app interrupts its run.
  const imports = new ImportJobs(ctx, { log: app.log });
  app.addHook('onClose', () => imports.close());
  const deps = { ctx, config, reads: container.reads, imports };
  await app.register(async (api) => apiV1(api, deps), { prefix: '/api/v1' });
  renderError = publicRoutes(app, deps, assets);
  liveReaderRoutes(app, deps, live);
  hantRoutes(app, config.siteUrl);
  careRoutes(app, config.siteUrl);
  // Form bodies are parsed only where a no-JavaScript form posts (a mood vote); everywhere else they are 415.
  await app.register(async (scope) => reactionFormRoutes(scope, deps));
  await app.register(async (scope) => commentFormRoutes(scope, deps, assets));
  adminRoutes(app, deps, assets);

  // Every app process does the outbox's work: its own changes' at once, others' left behind when it polls.
  const outbox = new OutboxRunner(ctx, app.log).start();
  app.addHook('onClose', () => outbox.stop());
  if (options.jobs) {
    const stop = startScheduler(ctx, app.log);
    app.addHook('onClose', async () => stop());
  }
  return { app, ctx, pageCache, outbox, imports, live };
}
