// 图文直播: new, edited and deleted entries arrive by server-sent events and are shown in place, without a reload.
// The page lists every entry without this script; the stream starts at the page's cursor, and the browser's own
// reconnects resume from the last event's id (Last-Event-ID), so nothing is missed or shown twice.

import { $, $$, el, isObject, say } from './dom.ts';
import { formatTime } from './format-time.ts';

interface LiveImage {
  src: string;
  width: number;
  height: number;
  alt: string;
  caption: string;
}

interface LiveEntry {
  id: number;
  deleted?: true;
  postedAt?: string;
  editedAt?: string | null;
  author?: string;
  body?: string;
  quote?: { text: string; source: string } | null;
  images?: LiveImage[];
  pinned?: boolean;
}

const STATUS: Record<string, string> = { live: '直播中', ended: '已结束' };

/** The same markup as the server's LiveEntryItem (src/web/public/live.tsx), built with textContent only. */
function entryNode(e: LiveEntry): HTMLLIElement {
  const li = el('li', e.pinned ? 'live-entry live-pinned' : 'live-entry');
  li.id = 'live-' + e.id;
  li.dataset.entryId = String(e.id);
  const meta = el('p', 'live-meta');
  const time = el('time', 'live-time', formatTime(e.postedAt || ''));
  time.setAttribute('datetime', e.postedAt || '');
  meta.appendChild(time);
  if (e.pinned) meta.appendChild(el('span', 'live-pin', '置顶'));
  if (e.author) meta.appendChild(el('span', 'live-author', e.author));
  if (e.editedAt) meta.appendChild(el('span', 'live-edited', '已编辑'));
  li.appendChild(meta);
  for (const line of (e.body || '').split('\n')) if (line.trim()) li.appendChild(el('p', 'live-text', line));
  if (e.quote) {
    const q = el('blockquote', 'live-quote');
    q.appendChild(el('p', undefined, e.quote.text));
    if (e.quote.source) q.appendChild(el('cite', undefined, '—— ' + e.quote.source));
    li.appendChild(q);
  }
  for (const i of e.images || []) {
    const fig = el('figure', 'live-image');
    const img = el('img');
    img.src = i.src;
    img.width = i.width;
    img.height = i.height;
    img.alt = i.alt;
    img.loading = 'lazy';
    fig.appendChild(img);
    if (i.caption) fig.appendChild(el('figcaption', undefined, i.caption));
    li.appendChild(fig);
  }
  return li;
}

function parse(data: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(data) as unknown;
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function initLive(): void {
  const section = $('[data-live]');
  const list = section && $<HTMLOListElement>('[data-live-entries]', section);
  if (!section || !list || typeof EventSource === 'undefined' || section.dataset.liveState !== 'live') return;
  const count = $('[data-live-count]', section);
  const status = $('[data-live-status]', section);
  const announce = $('[data-live-announce]', section);
  const empty = $('.live-empty', section);
  const refresh = () => {
    if (count) count.textContent = String(list.children.length);
    if (empty) empty.hidden = list.children.length > 0;
  };

  const place = (e: LiveEntry) => {
    const old = document.getElementById('live-' + e.id);
    if (e.deleted) {
      old?.remove();
      return refresh();
    }
    const node = entryNode(e);
    if (old && old.classList.contains('live-pinned') === !!e.pinned) {
      // Edited: in its place.
      list.replaceChild(node, old);
      return;
    }
    old?.remove();
    if (e.pinned) {
      for (const other of $$('.live-pinned', list)) other.remove();
      list.insertBefore(node, list.firstChild);
    } else {
      // Newest first (entries are numbered as they are posted), under the pinned one; an unpinned entry goes back to its place.
      const next = $$<HTMLLIElement>('.live-entry:not(.live-pinned)', list).find((li) => Number(li.dataset.entryId) < e.id);
      list.insertBefore(node, next || null);
      if (!old) say(announce, '直播有新消息');
    }
    refresh();
  };

  const source = new EventSource('/a/' + section.dataset.live + '/live/events?after=' + encodeURIComponent(section.dataset.liveCursor || '0'));
  // Marks the section while the stream is open (also what tests wait for); a dropped stream reconnects by itself.
  source.addEventListener('open', () => (section.dataset.liveConnected = ''));
  source.addEventListener('error', () => delete section.dataset.liveConnected);
  source.addEventListener('entry', (ev) => {
    const data = parse((ev as MessageEvent<string>).data);
    if (data && isObject(data.entry) && typeof data.entry.id === 'number') place(data.entry as unknown as LiveEntry);
  });
  source.addEventListener('status', (ev) => {
    const data = parse((ev as MessageEvent<string>).data);
    const value = data && typeof data.status === 'string' ? data.status : '';
    if (!STATUS[value]) return;
    section.dataset.liveState = value;
    if (status) {
      status.textContent = STATUS[value];
      status.className = 'live-status live-status-' + value;
    }
    if (value === 'ended') source.close();
  });
  // The live was taken down: nothing more will come.
  source.addEventListener('end', () => source.close());
}
