// Small DOM and network helpers shared by the reader enhancements.

export const $ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T | null => root.querySelector<T>(sel);

export const $$ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T[] => Array.prototype.slice.call(root.querySelectorAll<T>(sel));

/** createElement with an optional class and text (always textContent, never HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

export const media = (query: string): boolean => !!window.matchMedia && matchMedia(query).matches;

export const reducedMotion = (): boolean => media('(prefers-reduced-motion: reduce)');

export class HttpError extends Error {
  constructor(readonly status: number) {
    super('HTTP ' + status);
  }
}

/** fetch + JSON on the same origin; rejects with HttpError on a non-2xx status. */
export async function requestJson(url: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { credentials: 'same-origin', headers };
  if (body !== undefined) {
    init.method = 'POST';
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  if (!res.ok) throw new HttpError(res.status);
  return res.json();
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Writes a message into a live region so that a repeated message is announced again. */
export function say(region: Element | null, text: string): void {
  if (!region) return;
  region.textContent = '';
  if (text) setTimeout(() => (region.textContent = text), 60);
}
