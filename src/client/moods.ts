// 您此时的心情: live counts and one vote per reader, without leaving the page.

import { $, $$, HttpError, isObject, requestJson, say } from './dom.ts';

interface Reactions {
  counts: Record<string, number>;
  mine: string | null;
}

function parse(data: unknown): Reactions | null {
  if (!isObject(data) || !isObject(data.counts)) return null;
  return { counts: data.counts as Record<string, number>, mine: typeof data.mine === 'string' ? data.mine : null };
}

export function initMoods(): void {
  for (const section of $$('[data-moods]')) {
    const id = section.dataset.articleId;
    const buttons = $$<HTMLButtonElement>('button[data-mood]', section);
    if (!id || !buttons.length || !window.fetch) continue;
    const url = '/api/v1/articles/' + encodeURIComponent(id) + '/reactions';
    const status = $('[data-moods-status]', section);
    let busy = false;
    let version = 0; // a vote supersedes the initial load if that answers late

    const countOf = (b: HTMLElement) => $('[data-mood-count]', b);
    const snapshot = (): Reactions => {
      const r: Reactions = { counts: {}, mine: null };
      for (const b of buttons) {
        const key = b.dataset.mood!;
        r.counts[key] = parseInt(countOf(b)?.textContent || '', 10) || 0;
        if (b.getAttribute('aria-pressed') === 'true') r.mine = key;
      }
      return r;
    };
    const render = (r: Reactions) => {
      for (const b of buttons) {
        const key = b.dataset.mood!;
        const n = r.counts[key];
        const c = countOf(b);
        if (c && typeof n === 'number' && Number.isFinite(n)) c.textContent = String(n);
        const mine = r.mine === key;
        b.setAttribute('aria-pressed', String(mine));
        b.classList.toggle('is-mine', mine);
      }
    };

    const v0 = version;
    requestJson(url).then(
      (data) => {
        const r = parse(data);
        if (r && version === v0) render(r);
      },
      () => undefined, // the server-rendered counts stay
    );

    for (const button of buttons)
      button.addEventListener('click', (e) => {
        e.preventDefault();
        if (busy) return;
        const mood = button.dataset.mood!;
        const before = snapshot();
        version++;
        busy = true;
        const hadFocus = document.activeElement === button;
        // Optimistic: move the reader's vote now, reconcile with the answer.
        if (before.mine !== mood) {
          const next: Reactions = { counts: { ...before.counts }, mine: mood };
          if (before.mine) next.counts[before.mine] = Math.max(0, (next.counts[before.mine] || 0) - 1);
          next.counts[mood] = (next.counts[mood] || 0) + 1;
          render(next);
        }
        section.setAttribute('aria-busy', 'true');
        for (const b of buttons) b.disabled = true;
        say(status, '');
        requestJson(url, { mood })
          .then((data) => {
            const r = parse(data);
            if (!r) throw new Error('bad response');
            render(r);
          })
          .catch((err: unknown) => {
            render(before);
            say(status, err instanceof HttpError && err.status === 429 ? '操作太频繁，请稍后再试' : '投票失败，请稍后再试');
          })
          .then(() => {
            busy = false;
            section.removeAttribute('aria-busy');
            for (const b of buttons) b.disabled = false;
            // Disabling a focused button drops focus in some browsers: give it back.
            if (hadFocus && document.activeElement !== button) button.focus();
          });
      });
  }
}
