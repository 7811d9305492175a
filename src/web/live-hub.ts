import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Article } from '../domain/articles/article.ts';
import type { Ctx } from '../domain/context.ts';
import { liveChanges, type LiveChange } from '../domain/live/service.ts';
import { liveChangeOut } from './presenters/live.ts';

/** Comment lines keep proxies and load balancers (often 60 s idle) from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;
/** A reader whose unsent bytes pile up past this is cut off; their browser reconnects and resumes from its cursor. */
const MAX_BUFFERED = 512 * 1024;
/** Browsers wait this long before reconnecting a dropped stream. */
const RETRY_MS = 3_000;

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // Never stored or transformed (compressed) by anything between us and the reader: events must arrive one by one.
  'cache-control': 'no-store, no-transform',
  'x-accel-buffering': 'no',
  'x-content-type-options': 'nosniff',
  // Data, never a document: nothing in it may load or run.
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  connection: 'keep-alive',
} as const;

/** `/a/<id>/live/events`, with the page's starting cursor as `?after=`. */
const STREAM_PATH = /^\/a\/(\d{1,10})\/live\/events(?:\?(.*))?$/;

interface Subscriber {
  res: ServerResponse;
  /** The highest change number this reader has been sent. */
  cursor: number;
  /** Catching up from its own cursor: the room's fan-outs are not sent to it meanwhile, only noted. */
  catchingUp: boolean;
  missed: boolean;
}

interface Room {
  /** The article (without its body) as last read: published, and a live. */
  article: Article;
  subscribers: Set<Subscriber>;
  /** The highest change number the room has read and sent to every reader not catching up. */
  cursor: number;
  fetching: boolean;
  again: boolean;
}

export interface LiveHubOptions {
  heartbeatMs?: number;
  /** Turns /media/ paths in the JSON sent into the public media host's (INKSTONE_MEDIA_PUBLIC_URL). */
  rewrite?: (json: string) => string;
  onError?: (err: unknown) => void;
}

/** One server-sent event: `id` is the change's number, so a reconnecting browser sends it back as Last-Event-ID. */
function eventText(change: LiveChange, rewrite: (json: string) => string): string {
  const out = liveChangeOut(change);
  return `id: ${change.seq}\nevent: ${out.type}\ndata: ${rewrite(JSON.stringify(out))}\n\n`;
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** A change number as a client sends it back: a whole number of at most 15 digits. */
const CURSOR = /^\d{1,15}$/;

/**
 * The open live streams of this process (`GET /a/:id/live/events`), by article. A change to a live — made here
 * (content events) or in another process (the broadcast) — makes the article's room read what changed after its
 * cursor once, and send each reader what is newer than what that reader was sent: one query per change however
 * many readers, never a duplicate, and the order of the live's sequence. Every heartbeat each room also reads once,
 * so a broadcast lost while a connection was down delays an entry by at most that long. A reader joining a room at
 * its cursor (the page it loaded is current) costs no query at all: what holds 10,000 readers is a socket each.
 */
export class LiveHub {
  private readonly rooms = new Map<number, Room>();
  private readonly timer: NodeJS.Timeout;
  private readonly rewrite: (json: string) => string;
  private closed = false;
  /** Told of every change this process made (server.ts relays it to other workers without a broadcast). */
  onLocalChange: ((articleId: number, seq: number) => void) | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly options: LiveHubOptions = {},
  ) {
    this.rewrite = options.rewrite ?? ((json) => json);
    this.timer = setInterval(() => this.heartbeat(), options.heartbeatMs ?? HEARTBEAT_MS);
    this.timer.unref();
  }

  get connections(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.subscribers.size;
    return n;
  }

  /**
   * Answers a stream request straight from the HTTP server, before Fastify (as cached pages are): a stream is held
   * for hours, and what it keeps should be its socket and a few fields, not a framework request. False when the
   * request is not for a stream. Refusals are JSON like the API's: 400 for a malformed cursor, 404 when the article
   * is not a published live.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const m = req.method === 'GET' || req.method === 'HEAD' ? STREAM_PATH.exec(req.url ?? '') : null;
    if (!m) return false;
    const after = new URLSearchParams(m[2] ?? '').get('after') ?? undefined;
    this.serve({ id: m[1]!, lastEventId: req.headers['last-event-id'], after, head: req.method === 'HEAD' }, res);
    return true;
  }

  /**
   * A stream request whose parts are known (from the raw URL above, or from Fastify's route for an address it decoded,
   * `/a/%31/live/events`): a reconnect's Last-Event-ID wins over the page's `after`.
   */
  serve(request: { id: string; lastEventId: string | string[] | undefined; after: string | undefined; head: boolean }, res: ServerResponse): void {
    const id = /^\d{1,10}$/.test(request.id) ? Number(request.id) : 0;
    if (id < 1 || id > 2_147_483_647) return void refuse(res, 404, 'not_found', 'Live not found');
    const given = typeof request.lastEventId === 'string' ? request.lastEventId.trim() : (request.after ?? '');
    if (given !== '' && !CURSOR.test(given)) return void refuse(res, 400, 'invalid_cursor', 'Last-Event-ID and after must be cursors from a previous answer');
    // HEAD says what a GET would answer, and holds nothing open.
    if (request.head) return void res.writeHead(200, SSE_HEADERS).end();
    void this.open(id, given === '' ? 0 : Number(given), res).catch((err) => {
      this.options.onError?.(err);
      if (!res.headersSent) refuse(res, 500, 'internal', 'Something went wrong on our side');
      else res.destroy();
    });
  }

  private async open(articleId: number, after: number, res: ServerResponse): Promise<void> {
    const known = this.rooms.get(articleId);
    let article = known?.article;
    if (!article) {
      const found = await this.ctx.store.articles.findWithBody(articleId, { bodyHtml: '', bodyText: '' });
      if (found?.status !== 'published' || !(await this.ctx.store.live.find(articleId))) return refuse(res, 404, 'not_found', 'Live not found');
      article = found;
    }
    return this.subscribe(article, res, after);
  }

  /**
   * Streams the live of a published article to `res` (its headers not yet written), starting after `after`: first
   * what the reader missed, then every change as it happens, until either side closes.
   */
  async subscribe(article: Article, res: ServerResponse, after: number): Promise<void> {
    res.writeHead(200, SSE_HEADERS);
    res.write(`retry: ${RETRY_MS}\n\n`);
    if (this.closed) return void res.end();
    let room = this.rooms.get(article.id);
    const created = room === undefined;
    if (!room) {
      // A new room starts at its first reader's cursor and reads at once: that read is the reader's catch-up.
      room = { article, subscribers: new Set(), cursor: after, fetching: false, again: false };
      this.rooms.set(article.id, room);
    }
    // A reader already as far as the room (its page was current) needs no catch-up: the room's reads are its own.
    const current = after >= room.cursor;
    const sub: Subscriber = { res, cursor: after, catchingUp: !current, missed: false };
    room.subscribers.add(sub);
    const articleId = article.id;
    res.once('close', () => {
      const r = this.rooms.get(articleId);
      if (!r) return;
      r.subscribers.delete(sub);
      if (r.subscribers.size === 0) this.rooms.delete(articleId);
    });
    res.socket?.setNoDelay(true);
    if (current) {
      if (created || after > room.cursor) void this.fetch(room);
      return;
    }
    try {
      // The reader's own catch-up, from its own cursor; whatever the room read meanwhile is read again after it.
      do {
        sub.missed = false;
        if (!(await this.catchUp(room, sub))) return;
      } while (sub.missed && !res.destroyed);
      sub.catchingUp = false;
    } catch (err) {
      this.options.onError?.(err);
      res.destroy();
    }
  }

  private async catchUp(room: Room, sub: Subscriber): Promise<boolean> {
    for (;;) {
      const found = await liveChanges(this.ctx.store, room.article, sub.cursor);
      if (!found) {
        this.end(sub);
        return false;
      }
      this.send(sub, found.changes, found.cursor);
      // The room's cursor only moves past what every reader in it was sent: with one reader, that reader's.
      if (room.subscribers.size === 1 && room.subscribers.has(sub)) room.cursor = Math.max(room.cursor, sub.cursor);
      if (!found.more) return true;
    }
  }

  /** Something changed in the live (here or in another process): its room, if any, reads what is new. */
  notify(articleId: number): void {
    const room = this.rooms.get(articleId);
    if (room) void this.fetch(room);
  }

  /** A change this process made: its own streams, and through `onLocalChange` other workers'. */
  changed(articleId: number, seq: number): void {
    this.notify(articleId);
    this.onLocalChange?.(articleId, seq);
  }

  private async fetch(room: Room): Promise<void> {
    // One read at a time per room; changes arriving meanwhile make it read once more afterwards.
    if (room.fetching) {
      room.again = true;
      return;
    }
    room.fetching = true;
    try {
      do {
        room.again = false;
        const article = await this.ctx.store.articles.findWithBody(room.article.id, { bodyHtml: '', bodyText: '' });
        if (article) room.article = article;
        for (;;) {
          const found = article && (await liveChanges(this.ctx.store, article, room.cursor));
          if (!found) {
            // Taken down, deleted, or no longer a live: its readers are told and let go.
            for (const sub of room.subscribers) this.end(sub);
            this.rooms.delete(room.article.id);
            return;
          }
          room.cursor = found.cursor;
          // Each event's text is made once for all the room's readers.
          const texts = found.changes.map((c) => eventText(c, this.rewrite));
          for (const sub of room.subscribers) {
            if (sub.catchingUp) sub.missed = true;
            else this.send(sub, found.changes, found.cursor, texts);
          }
          if (!found.more) break;
        }
      } while (room.again && this.rooms.get(room.article.id) === room);
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      room.fetching = false;
    }
  }

  private send(sub: Subscriber, changes: readonly LiveChange[], cursor: number, texts?: readonly string[]): void {
    if (sub.res.destroyed) return;
    let text = '';
    let last = sub.cursor;
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i]!;
      if (change.seq <= sub.cursor) continue;
      text += texts?.[i] ?? eventText(change, this.rewrite);
      last = change.seq;
    }
    // The cursor can pass numbers no event carries (a deletion a reader starting from nothing never needs, an opening
    // already shown): an id line alone moves the browser's Last-Event-ID without dispatching an event.
    if (cursor > last) text += `id: ${cursor}\n\n`;
    sub.cursor = Math.max(sub.cursor, cursor);
    if (!text) return;
    sub.res.write(text);
    if (sub.res.writableLength > MAX_BUFFERED) sub.res.destroy();
  }

  private end(sub: Subscriber): void {
    if (sub.res.destroyed) return;
    sub.res.end('event: end\ndata: {}\n\n');
  }

  private heartbeat(): void {
    for (const room of this.rooms.values()) {
      for (const sub of room.subscribers) {
        if (sub.res.destroyed) continue;
        sub.res.write(': ping\n\n');
        if (sub.res.writableLength > MAX_BUFFERED) sub.res.destroy();
      }
      void this.fetch(room);
    }
  }

  /** Ends every stream (the server is stopping): browsers reconnect to another process and resume. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const room of this.rooms.values()) for (const sub of room.subscribers) sub.res.end();
    this.rooms.clear();
  }
}
