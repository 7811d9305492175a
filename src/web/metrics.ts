import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type * as Prom from 'prom-client';
import type { Registry } from 'prom-client';
import type { OutboxBacklog } from '../domain/store.ts';
import type { ReaderReads } from './context.ts';
import { safeEqual } from '../domain/crypto.ts';
import { notFound, unauthorized } from '../domain/errors.ts';

// prom-client is loaded only where metrics are on (its load and the per-request timing cost every other process).
const prom = (): typeof Prom => createRequire(import.meta.url)('prom-client') as typeof Prom;

/**
 * Prometheus metrics: one registry per app, so several apps in one test process do not collide. The numbers
 * (Node version, heap, per-route timings) help an attacker too: `/metrics` answers only with the bearer token
 * of INKSTONE_METRICS_TOKEN, and not at all without one — then nothing is measured either.
 */
export function registerMetrics(
  app: FastifyInstance,
  token: string | undefined,
  outbox?: () => Promise<OutboxBacklog>,
  reads?: ReaderReads,
): Registry | undefined {
  if (token === undefined) {
    app.get('/metrics', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
      throw notFound('Route');
    });
    return undefined;
  }
  const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = prom();
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
  if (reads) replicaMetrics(registry, reads);
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = `${Math.floor(reply.statusCode / 100)}xx`;
    duration.observe({ method: req.method, route, status }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) errors.inc({ route });
    done();
  });
  app.get('/metrics', async (req, reply) => {
    reply.header('cache-control', 'no-store');
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

/** With a read replica: where reader reads went, why they went to the primary, and how far the replica is behind. */
function replicaMetrics(registry: Registry, reads: ReaderReads): void {
  const { Counter, Gauge } = prom();
  new Counter({
    name: 'inkstone_reader_reads_total',
    help: 'Reader-side loads (pages, feeds, search, public JSON) by the server that answered them',
    labelNames: ['server'],
    registers: [registry],
    collect() {
      const s = reads.stats();
      this.reset();
      this.inc({ server: 'replica' }, s.replicaReads);
      this.inc({ server: 'primary' }, s.primaryReads);
    },
  });
  new Counter({
    name: 'inkstone_replica_fallbacks_total',
    help: 'Reader-side loads sent to the primary: behind (a change not yet replayed, or past the lag bound), down (unreachable), error (a read failed there)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const { fallbacks } = reads.stats();
      this.reset();
      for (const [reason, n] of Object.entries(fallbacks)) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: 'inkstone_replica_up',
    help: '1 while the read replica answers its checks',
    registers: [registry],
    collect() {
      this.set(reads.stats().up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'inkstone_replica_lag_bytes',
    help: 'WAL bytes the read replica had still to replay at its last check, against the newest primary position known',
    registers: [registry],
    collect() {
      const { lagBytes } = reads.stats();
      if (lagBytes === undefined) this.reset();
      else this.set(lagBytes);
    },
  });
}
