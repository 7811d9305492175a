import type { Server, ServerResponse } from 'node:http';

/** How often, while closing, connections that finished their answer are closed. */
const SWEEP_MS = 100;

/**
 * Closing a server whose connections are kept alive. Node's `server.close()` closes the connections idle at that
 * moment and waits for the others: one that was answering a request stays open after its answer (sent as
 * `Connection: keep-alive`) until the client closes it or the keep-alive timeout ends (75 s by default here), and one
 * whose client stopped reading a large answer never ends at all. A shutdown (SIGTERM) waited on them.
 *
 * While closing, answers say `Connection: close` (and Node closes the connection after them), connections that
 * finished their answer anyway (its head was on its way when the close began) are closed within SWEEP_MS, and
 * whatever is still open after the grace period is cut.
 */
export class ConnectionDrain {
  private closing = false;

  /**
   * Called first for every request the server receives, and again just before an answer's head is written (the
   * requests that were under way when the close began): while closing, the answer says `Connection: close`.
   */
  request(res: ServerResponse): void {
    if (this.closing) res.shouldKeepAlive = false;
  }

  /**
   * Called as the server starts closing (before `server.close()`). Until the server has closed, never past the grace
   * period; a server that never listened (an app used through inject) has nothing to drain and no 'close' to wait for.
   */
  start(server: Server, graceMs: number): void {
    if (this.closing) return;
    this.closing = true;
    if (!server.listening) return;
    const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
    const cut = setTimeout(() => {
      clearInterval(sweep);
      server.closeAllConnections();
    }, graceMs);
    // The server itself keeps the process alive until it is closed; these timers must not outlive it.
    sweep.unref();
    cut.unref();
    server.once('close', () => {
      clearInterval(sweep);
      clearTimeout(cut);
    });
  }
}
