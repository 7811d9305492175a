import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { pgDriver, redisDriver } from './drivers.ts';

/**
 * What app processes tell each other: which cached pages to drop (undefined keys: all), and that a live (图文直播)
 * changed, so each process's open streams of it fetch what is new.
 */
export type BroadcastMessage = { type: 'purge'; keys?: string[] } | { type: 'live'; articleId: number; seq: number };

/**
 * Messages between the app processes of one site, on one machine or many: each process hears every other's, never
 * its own. Best effort by design — a message lost while a connection is down costs a page that stays cached until
 * its TTL, never a wrong write.
 */
export interface Broadcast {
  publish(message: BroadcastMessage): void;
  onMessage(listener: (message: BroadcastMessage) => void): void;
  /** Resolves once subscribed (or after `ms`). */
  ready(ms?: number): Promise<boolean>;
  close(): Promise<void>;
}

const CHANNEL = 'inkstone_events';
/** PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more: longer key lists go in several messages. */
const PG_PAYLOAD_BYTES = 7_000;

type Envelope = BroadcastMessage & { from: string };

type Log = (err: Error) => void;

abstract class BaseBroadcast implements Broadcast {
  protected readonly origin = randomBytes(8).toString('hex');
  private readonly listeners: ((message: BroadcastMessage) => void)[] = [];

  abstract publish(message: BroadcastMessage): void;
  abstract ready(ms?: number): Promise<boolean>;
  abstract close(): Promise<void>;

  onMessage(listener: (message: BroadcastMessage) => void): void {
    this.listeners.push(listener);
  }

  protected receive(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.from === this.origin) return;
    if (envelope.type === 'live') {
      const { articleId, seq } = envelope;
      if (!Number.isSafeInteger(articleId) || !Number.isSafeInteger(seq)) return;
      for (const listener of this.listeners) listener({ type: 'live', articleId, seq });
      return;
    }
    if (envelope.type !== 'purge') return;
    const keys = Array.isArray(envelope.keys) ? envelope.keys.filter((k): k is string => typeof k === 'string') : undefined;
    for (const listener of this.listeners) listener({ type: 'purge', keys });
  }

  protected envelopes(message: BroadcastMessage, maxBytes: number): string[] {
    const whole = JSON.stringify({ ...message, from: this.origin });
    if (Buffer.byteLength(whole) <= maxBytes || message.type !== 'purge' || !message.keys) return [whole];
    const out: string[] = [];
    let keys: string[] = [];
    let bytes = 100;
    for (const key of message.keys) {
      if (bytes + key.length + 3 > maxBytes && keys.length) {
        out.push(JSON.stringify({ type: message.type, keys, from: this.origin }));
        keys = [];
        bytes = 100;
      }
      keys.push(key);
      bytes += Buffer.byteLength(key) + 3;
    }
    if (keys.length) out.push(JSON.stringify({ type: message.type, keys, from: this.origin }));
    return out;
  }
}

/** Redis pub/sub: one connection subscribed, one publishing; ioredis reconnects and resubscribes by itself. */
export class RedisBroadcast extends BaseBroadcast {
  private readonly sub: Redis;
  private readonly pub: Redis;
  private readonly subscribed: Promise<unknown>;

  constructor(url: string, onError: Log) {
    super();
    const options = { maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000 };
    this.sub = new (redisDriver().Redis)(url, { ...options, enableOfflineQueue: true });
    this.pub = new (redisDriver().Redis)(url, options);
    this.sub.on('error', onError);
    this.pub.on('error', onError);
    this.sub.on('message', (_channel: string, payload: string) => this.receive(payload));
    this.subscribed = this.sub.subscribe(CHANNEL).catch(onError);
  }

  publish(message: BroadcastMessage): void {
    if (this.pub.status !== 'ready') return;
    for (const payload of this.envelopes(message, 512 * 1024)) this.pub.publish(CHANNEL, payload).catch(() => undefined);
  }

  async ready(ms = 2000): Promise<boolean> {
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());
    return Promise.race([this.subscribed.then(() => this.sub.status === 'ready'), timeout]);
  }

  async close(): Promise<void> {
    this.sub.disconnect();
    this.pub.disconnect();
  }
}

/**
 * PostgreSQL LISTEN/NOTIFY, for several app machines without Redis: one dedicated connection listens (and is
 * re-opened after a failure); notifications go out through a second one.
 */
export class PostgresBroadcast extends BaseBroadcast {
  private listener: pg.Client | undefined;
  private readonly notifier: pg.Pool;
  private closed = false;
  private reconnecting = false;
  private listening: Promise<boolean>;

  constructor(
    private readonly url: string,
    private readonly onError: Log,
  ) {
    super();
    this.notifier = new (pgDriver().Pool)({ connectionString: url, max: 1 });
    this.notifier.on('error', onError);
    this.listening = this.listen();
  }

  private async listen(): Promise<boolean> {
    const client = new (pgDriver().Client)({ connectionString: this.url });
    client.on('error', (err) => {
      this.onError(err);
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    client.on('notification', (n) => {
      if (n.channel === CHANNEL && n.payload) this.receive(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (this.closed) await client.end();
      else this.listener = client;
      return true;
    } catch (err) {
      this.onError(err as Error);
      this.reconnect(client);
      return false;
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.closed || this.reconnecting || (this.listener !== undefined && this.listener !== client)) return;
    this.reconnecting = true;
    this.listener = undefined;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    setTimeout(() => {
      this.reconnecting = false;
      if (!this.closed && !this.listener) this.listening = this.listen();
    }, 1000).unref();
  }

  publish(message: BroadcastMessage): void {
    for (const payload of this.envelopes(message, PG_PAYLOAD_BYTES)) {
      this.notifier.query('select pg_notify($1, $2)', [CHANNEL, payload]).catch(this.onError);
    }
  }

  async ready(ms = 2000): Promise<boolean> {
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());
    return Promise.race([this.listening, timeout]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.listener;
    this.listener = undefined;
    client?.removeAllListeners('end');
    await client?.end().catch(() => undefined);
    await this.notifier.end();
  }
}

/** Redis when configured, else PostgreSQL's own channel; SQLite has one machine and needs none. */
export function openBroadcast(config: { redisUrl: string | undefined; databaseUrl: string | undefined }, onError: Log): Broadcast | undefined {
  if (config.redisUrl) return new RedisBroadcast(config.redisUrl, onError);
  if (config.databaseUrl) return new PostgresBroadcast(config.databaseUrl, onError);
  return undefined;
}
