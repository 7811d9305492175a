import type { ServerResponse } from 'node:http';
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
  connection: 'keep-alive',
} as const;

interface Subscriber {
  res: ServerResponse;
  /** The highest change number this reader has been sent. */
  cursor: number;
  /** Catching up from its own cursor: the room's fan-outs are not sent to it meanwhile, only noted. */
  catchingUp: boolean;
  missed: boolean;
}

interface Room {
  articleId: number;
  subscribers: Set<Subscriber>;
  /** The highest change number the room has read. */
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

/**
 * The open live streams of this process (`GET /a/:id/live/events`), by article. A change to a live — made here
 * (content events) or in another process (the broadcast) — makes the article's room read what changed after its
 * cursor once, and send each reader what is newer than what that reader was sent: one query per change however
 * many readers, never a duplicate, and the order of the live's sequence. Every heartbeat each room also reads once,
 * so a broadcast lost while a connection was down delays an entry by at most that long.
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
   * Streams the live of a published article to `res` (its headers not yet written), starting after `after`: first
   * what the reader missed, then every change as it happens, until either side closes.
   */
  async subscribe(article: Article, res: ServerResponse, after: number): Promise<void> {
    res.writeHead(200, SSE_HEADERS);
    res.write(`retry: ${RETRY_MS}\n\n`);
    if (this.closed) return void res.end();
    let room = this.rooms.get(article.id);
    if (!room) {
      room = { articleId: article.id, subscribers: new Set(), cursor: after, fetching: false, again: false };
      this.rooms.set(article.id, room);
    }
    const sub: Subscriber = { res, cursor: after, catchingUp: true, missed: false };
    room.subscribers.add(sub);
    const leave = () => {
      const r = this.rooms.get(article.id);
      if (!r) return;
      r.subscribers.delete(sub);
      if (r.subscribers.size === 0) this.rooms.delete(article.id);
    };
    res.once('close', leave);
    res.socket?.setNoDelay(true);
    try {
      // The reader's own catch-up, from its own cursor; whatever the room read meanwhile is read again after it.
      do {
        sub.missed = false;
        if (!(await this.catchUp(room, sub, article))) return;
      } while (sub.missed && !res.destroyed);
      sub.catchingUp = false;
    } catch (err) {
      this.options.onError?.(err);
      res.destroy();
    }
  }

  private async catchUp(room: Room, sub: Subscriber, article: Article): Promise<boolean> {
    for (;;) {
      const found = await liveChanges(this.ctx.store, article, sub.cursor);
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
        const article = await this.ctx.store.articles.findWithBody(room.articleId, { bodyHtml: '', bodyText: '' });
        for (;;) {
          const found = article && (await liveChanges(this.ctx.store, article, room.cursor));
          if (!found) {
            // Taken down, deleted, or no longer a live: its readers are told and let go.
            for (const sub of room.subscribers) this.end(sub);
            return;
          }
          room.cursor = found.cursor;
          for (const sub of room.subscribers) {
            if (sub.catchingUp) sub.missed = true;
            else this.send(sub, found.changes, found.cursor);
          }
          if (!found.more) break;
        }
      } while (room.again && this.rooms.get(room.articleId) === room);
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      room.fetching = false;
    }
  }

  private send(sub: Subscriber, changes: readonly LiveChange[], cursor: number): void {
    if (sub.res.destroyed) return;
    let text = '';
    let last = sub.cursor;
    for (const change of changes) {
      if (change.seq <= sub.cursor) continue;
      text += eventText(change, this.rewrite);
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
