import type { FastifyBaseLogger } from 'fastify';

/** Keys sent in one call: CDNs cap a purge request (Fastly at 256 keys). */
const KEYS_PER_CALL = 256;
/** Changes made within this time go out in one call. */
const BATCH_MS = 200;
const ATTEMPTS = 3;
const TIMEOUT_MS = 5_000;

export interface CdnPurgeOptions {
  /** Where purges are POSTed; `{keys}` in it is replaced by the keys, comma-separated and URL-encoded. */
  url: string;
  /** Sent as `Authorization: Bearer …` when set. */
  token?: string;
  log: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  /** How long to wait before retry n (1-based); tests shorten it. */
  backoffMs?: (attempt: number) => number;
}

/**
 * Tells a CDN in front of the site what the page cache purged, by the same surrogate keys the pages carry in
 * `Surrogate-Key` / `Cache-Tag`: `POST <url>` with `{"keys": [...]}`, or `{"all": true}` for everything. Keys of
 * changes close together go in one call; a failed call is retried (three attempts), then logged — a CDN that
 * missed a purge serves the page until its own max-age (60 s for reader pages).
 */
export class CdnPurger {
  private pending = new Set<string>();
  private all = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: CdnPurgeOptions) {}

  purge(keys: readonly string[] | undefined): void {
    if (keys === undefined) this.all = true;
    else for (const k of keys) this.pending.add(k);
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /** Sends what is pending now; resolves when every call made so far has finished. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const bodies: { keys?: string[]; all?: true }[] = [];
    if (this.all) bodies.push({ all: true });
    else {
      const keys = [...this.pending];
      for (let i = 0; i < keys.length; i += KEYS_PER_CALL) bodies.push({ keys: keys.slice(i, i + KEYS_PER_CALL) });
    }
    this.all = false;
    this.pending = new Set();
    for (const body of bodies) {
      const call = this.send(body).finally(() => this.inFlight.delete(call));
      this.inFlight.add(call);
    }
    await Promise.all([...this.inFlight]);
  }

  private async send(body: { keys?: string[]; all?: true }): Promise<void> {
    const { url, token, log, backoffMs = (n) => 1000 * 4 ** (n - 1) } = this.options;
    const target = url.replace('{keys}', encodeURIComponent((body.keys ?? []).join(',')));
    let failure = '';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(TIMEOUT_MS),
          redirect: 'error',
        });
        await res.body?.cancel();
        if (res.ok) return;
        failure = `HTTP ${res.status}`;
        // A refusal (bad token, bad request) will not change on a retry.
        if (res.status < 500 && res.status !== 429) break;
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
      if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, backoffMs(attempt)));
    }
    log.error({ failure, keys: body.keys?.length ?? 'all' }, 'CDN purge failed; the CDN serves those pages until they expire');
  }
}
