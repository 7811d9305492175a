import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** How much of a refused body we read and throw away so the client hears the refusal, and for how long at most. */
export const LINGER = { bytes: 64 * 1024 * 1024, ms: 30_000 };

/**
 * A refused request body (413, or any error answered while the client is still sending) would otherwise be cut off:
 * closing a socket with unread data resets it, and browsers and Node's fetch then report a network error instead of
 * our answer. Like nginx's lingering close, the rest of the body is read and dropped, up to a bound, and the
 * connection stays usable; past the bound it is closed.
 */
export function registerLingeringClose(app: FastifyInstance): void {
  app.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode < 400 || req.raw.complete) return done(null, payload);
    reply.removeHeader('connection');
    reply.raw.shouldKeepAlive = true;
    drain(req.raw);
    done(null, payload);
  });
}

function drain(raw: IncomingMessage): void {
  let seen = 0;
  // app.inject's requests have no real socket: nothing to read on or to close.
  const socket = raw.socket as { destroy?: () => void } | null;
  if (typeof socket?.destroy !== 'function') return;
  const stop = () => socket.destroy!();
  const timer = setTimeout(stop, LINGER.ms);
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > LINGER.bytes) stop();
  });
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  raw.resume();
}
