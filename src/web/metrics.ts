import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutboxBacklog } from '../domain/store.ts';
import { safeEqual } from '../domain/crypto.ts';
import { notFound, unauthorized } from '../domain/errors.ts';

/**
 * Prometheus metrics: one registry per app, so several apps in one test process do not collide. The numbers
 * (Node version, heap, per-route timings) help an attacker too: `/metrics` answers only with the bearer token
 * of INKSTONE_METRICS_TOKEN, and not at all without one.
 */
export function registerMetrics(app: FastifyInstance, token: string | undefined, outbox?: () => Promise<OutboxBacklog>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'inkstone_' });
  const duration = new Histogram({
    name: 'inkstone_http_request_duration_seconds',
    help: 'HTTP request duration by route and status class',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const errors = new Counter({ name: 'inkstone_http_errors_total', help: '5xx responses', labelNames: ['route'], registers: [registry] });
  if (outbox) {
    // Work waiting after commits: a count that grows, or an age past seconds, means search and related reading lag.
    let last: Promise<OutboxBacklog> | undefined;
    const read = () => (last ??= outbox().finally(() => setImmediate(() => (last = undefined))));
    new Gauge({
      name: 'inkstone_outbox_waiting',
      help: 'outbox rows waiting',
      registers: [registry],
      collect: async function () {
        this.set((await read()).count);
      },
    });
    new Gauge({
      name: 'inkstone_outbox_failing',
      help: 'outbox rows that failed at least once',
      registers: [registry],
      collect: async function () {
        this.set((await read()).failing);
      },
    });
    new Gauge({
      name: 'inkstone_outbox_oldest_seconds',
      help: 'age of the oldest waiting outbox row',
      registers: [registry],
      collect: async function () {
        const oldest = (await read()).oldestAt;
        this.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
      },
    });
  }
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = `${Math.floor(reply.statusCode / 100)}xx`;
    duration.observe({ method: req.method, route, status }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) errors.inc({ route });
  });
  app.get('/metrics', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    if (token === undefined) throw notFound('Route');
    const sent = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (sent === undefined || !safeEqual(sent, token)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw unauthorized('/metrics needs the bearer token of INKSTONE_METRICS_TOKEN');
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
