import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The security headers of every response (CSP, nosniff, frame and referrer policies…), as helmet writes them for
 * these options, worked out once at start: they depend on the configuration alone (no nonces), so each request only
 * copies them instead of running helmet's dozen middlewares (a few hundredths of a millisecond per uncached page).
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers = new Map<string, [string, string]>();
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), [name, String(value)]);
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  let failed: unknown;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    failed = err;
  });
  if (failed) throw failed;
  return Object.fromEntries(headers.values());
}

/** Sets the headers on every routed response, and returns them for answers the router gives before any hook runs. */
export function registerSecurityHeaders(app: FastifyInstance, options: HelmetOptions): Record<string, string> {
  const headers = securityHeaders(options);
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
  return headers;
}
