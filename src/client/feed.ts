// 推荐阅读 + 加载更多: append the next page of the feed in place, without duplicates.

import { $, $$, el, isObject, requestJson, say } from './dom.ts';
import { relativeTimeNode } from './format-time.ts';

interface Item {
  id: string | number;
  title: string;
  summary?: string | null;
  url: string;
  publishedAt: string;
}

function itemNode(item: Item): HTMLLIElement {
  const li = el('li', 'feed-item');
  li.dataset.id = String(item.id);
  const a = el('a', 'feed-link');
  a.href = new URL(item.url, location.href).pathname; // stays on this origin
  a.appendChild(el('h3', 'feed-title', item.title));
  if (item.summary) a.appendChild(el('p', 'feed-summary', item.summary));
  const time = el('time', 'feed-time');
  time.dateTime = item.publishedAt;
  relativeTimeNode(time);
  li.append(a, time);
  return li;
}

export function initFeed(): void {
  for (const section of $$('[data-feed]')) {
    const list = $('[data-feed-list]', section);
    const more = $<HTMLAnchorElement>('a[data-load-more]', section);
    if (!list || !more || !window.fetch) continue;
    const channel = section.dataset.feedChannel;
    const label = more.textContent || '加载更多';
    let live: HTMLElement | null = null;
    let loading = false;

    const announce = (text: string) => {
      if (!live) {
        live = el('p', 'visually-hidden');
        live.setAttribute('role', 'status');
        section.appendChild(live);
      }
      say(live, text);
    };

    more.addEventListener('click', (e) => {
      const cursor = more.dataset.cursor;
      if (!cursor) return; // follow the link
      e.preventDefault();
      if (loading) return;
      const keyboard = e.detail === 0;
      loading = true;
      more.textContent = '加载中…';
      more.setAttribute('aria-busy', 'true');
      let url = '/api/v1/feed?limit=10&cursor=' + encodeURIComponent(cursor);
      if (channel) url += '&channel=' + encodeURIComponent(channel);
      requestJson(url)
        .then((data) => {
          if (!isObject(data) || !Array.isArray(data.items)) throw new Error('bad response');
          const seen: Record<string, true> = {};
          for (const li of $$('[data-id]', list)) seen[li.dataset.id!] = true;
          const added: HTMLLIElement[] = [];
          for (const item of data.items as Item[]) {
            if (!item || seen[String(item.id)]) continue;
            seen[String(item.id)] = true;
            added.push(list.appendChild(itemNode(item)));
          }
          const next = data.nextCursor;
          let focusTarget: HTMLElement | null = added[0] ? $('a', added[0]) : null;
          if (typeof next === 'string' && next) {
            more.dataset.cursor = next;
            const u = new URL(more.href);
            u.searchParams.set('cursor', next);
            more.href = u.pathname + u.search + u.hash;
            more.textContent = label;
          } else {
            const end = el('p', 'feed-end', '没有更多了');
            end.tabIndex = -1;
            more.replaceWith(end);
            focusTarget = focusTarget || end;
          }
          announce(added.length ? '已加载 ' + added.length + ' 篇' : '没有新的文章');
          if (keyboard && focusTarget) focusTarget.focus();
        })
        .catch(() => {
          more.textContent = '加载失败，点击重试';
          announce('加载失败');
        })
        .then(() => {
          loading = false;
          more.removeAttribute('aria-busy');
        });
    });
  }
}
