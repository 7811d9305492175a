// 云投: vote in place and show the results as bars, without leaving the page. The poll's <form> works without this.

import { $, $$, el, HttpError, isObject, requestJson, say } from './dom.ts';

interface PollState {
  options: string[];
  open: boolean;
  mine: number[] | null;
  counts: { votes: number[]; voters: number } | null;
  held: boolean;
}

function parse(data: unknown): PollState | null {
  if (!isObject(data) || !isObject(data.poll) || !Array.isArray(data.poll.options)) return null;
  const counts =
    isObject(data.counts) && Array.isArray(data.counts.votes) ? { votes: data.counts.votes.map(Number), voters: Number(data.counts.voters) || 0 } : null;
  return {
    options: data.poll.options.map(String),
    open: data.open === true,
    mine: Array.isArray(data.mine) ? data.mine.map(Number) : null,
    counts,
    held: data.held === true,
  };
}

/** The results as bars: <progress> elements (no inline styles, which the page's CSP forbids), each labelled. */
function renderResults(section: HTMLElement, s: PollState): void {
  const old = $('[data-poll-results]', section);
  const hidden = $('.poll-hidden', section);
  if (!s.counts) return;
  const list = el('ol', 'poll-results');
  list.setAttribute('data-poll-results', '');
  const voters = s.counts.voters;
  s.options.forEach((label, i) => {
    const n = s.counts!.votes[i] || 0;
    const chosen = s.mine ? s.mine.indexOf(i) >= 0 : false;
    const li = el('li', chosen ? 'poll-result is-mine' : 'poll-result');
    const name = el('span', 'poll-result-label', label);
    if (chosen) name.appendChild(el('span', 'poll-mine', '（您的选择）'));
    const bar = el('progress', 'poll-bar');
    bar.max = Math.max(1, voters);
    bar.value = n;
    bar.setAttribute('aria-hidden', 'true');
    li.append(name, bar, el('span', 'poll-result-count', `${n} 票 · ${voters > 0 ? Math.round((n / voters) * 100) : 0}%`));
    list.appendChild(li);
  });
  if (old) old.replaceWith(list);
  else if (hidden) hidden.replaceWith(list);
  else $('[data-poll-status]', section)?.before(list);
  const count = $('[data-poll-voters]', section);
  if (count) count.textContent = ` · ${voters} 人参与`;
  else {
    const meta = $('.poll-meta', section);
    const span = el('span', undefined, ` · ${voters} 人参与`);
    span.setAttribute('data-poll-voters', '');
    meta?.appendChild(span);
  }
}

function render(section: HTMLElement, s: PollState): void {
  const form = $<HTMLFormElement>('[data-poll-form]', section);
  // Once the reader has voted, or the poll closed, the form goes: one ballot per reader.
  if (form && (s.mine !== null || !s.open)) form.remove();
  renderResults(section, s);
}

export function initPolls(): void {
  for (const section of $$('[data-poll]')) {
    const id = section.dataset.poll;
    if (!id || !window.fetch) continue;
    const url = '/api/v1/polls/' + encodeURIComponent(id);
    const status = $('[data-poll-status]', section);
    const form = $<HTMLFormElement>('[data-poll-form]', section);
    let voted = false;

    // The page may be cached: this reader's vote and the live counts come from the API.
    requestJson(url).then(
      (data) => {
        const s = parse(data);
        if (s && !voted) render(section, s);
      },
      () => undefined, // the server-rendered poll stays
    );

    if (!form) continue;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const choices = $$<HTMLInputElement>('input[name="choice"]', form)
        .filter((i) => i.checked)
        .map((i) => Number(i.value));
      if (choices.length === 0) {
        say(status, '请先选择一个选项');
        return;
      }
      const button = $<HTMLButtonElement>('button[type="submit"]', form);
      if (button) button.disabled = true;
      section.setAttribute('aria-busy', 'true');
      say(status, '');
      requestJson(url + '/votes', { choices })
        .then((data) => {
          const s = parse(data);
          if (!s) throw new Error('bad response');
          voted = true;
          render(section, s);
          say(status, s.held ? '感谢参与！您所在网络投票集中，选票待审核后计入。' : '感谢参与，您的选票已计入。');
        })
        .catch((err: unknown) => {
          if (button) button.disabled = false;
          const code = err instanceof HttpError ? err.status : 0;
          say(status, code === 409 ? '投票已截止，或您已投过票' : code === 429 ? '操作太频繁，请稍后再试' : '投票失败，请稍后再试');
          // A closed poll or an earlier ballot: show what the server knows now.
          if (code === 409)
            requestJson(url).then(
              (d) => {
                const s = parse(d);
                if (s) render(section, s);
              },
              () => undefined,
            );
        })
        .then(() => section.removeAttribute('aria-busy'));
    });
  }
}
