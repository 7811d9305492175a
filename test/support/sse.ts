import { waitFor } from './wait.ts';

/** One server-sent event as a browser's EventSource would dispatch it (or an id-only block, which moves the cursor). */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** Events with data, in order of arrival. */
  events: SseEvent[];
  /** Comment lines (heartbeats). */
  comments: string[];
  /** The last id the stream named, as the browser's Last-Event-ID would be. */
  lastId(): string | undefined;
  /** Resolves once at least `n` events arrived. */
  waitFor(n: number, timeout?: number): Promise<SseEvent[]>;
  ended(): boolean;
  close(): void;
}

/** Opens a text/event-stream with fetch and parses it as the EventSource spec does (fields, comments, blank-line dispatch). */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let lastId: string | undefined;
  let done = false;
  if (res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done: finished } = await reader.read();
          if (finished) break;
          buffer += decoder.decode(value, { stream: true });
          for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            const event: SseEvent = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              const m = /^(id|event|data|retry): ?(.*)$/.exec(line);
              if (!m) continue;
              if (m[1] === 'id') event.id = m[2];
              if (m[1] === 'event') event.event = m[2];
              if (m[1] === 'data') event.data = event.data === undefined ? m[2] : `${event.data}\n${m[2]}`;
            }
            if (event.id !== undefined) lastId = event.id;
            if (event.data !== undefined) events.push(event);
          }
        }
      } catch {
        // aborted
      } finally {
        done = true;
      }
    })();
  }
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    lastId: () => lastId,
    waitFor: (n, timeout = 5_000) => waitFor(() => (events.length >= n ? events : undefined), { timeout, message: `${n} events (have ${events.length})` }),
    ended: () => done,
    close: () => controller.abort(),
  };
}

export const dataOf = (e: SseEvent) => JSON.parse(e.data ?? 'null');
