// 网友留言: posting and liking in place. Without this script the form posts and a page says what happened.

import { $, el, isObject, say } from './dom.ts';

// The server's refusals in the reader's words (the JSON API's messages are the developers').
const REFUSALS: Record<string, string> = {
  comment_blocked: '留言含有不允许发布的内容，请修改后再提交',
  comment_banned: '您暂时不能在本站留言',
  too_many_comments: '留言过于频繁，请稍后再试',
  duplicate_comment: '相同的留言刚刚已经提交过，请勿重复提交',
  too_many_votes: '操作过于频繁，请稍后再试',
  too_long: '留言不能超过 500 字，昵称不超过 20 字',
  required: '请填写留言内容',
};

async function post(url: string, body: unknown): Promise<{ ok: boolean; status: number; data: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { ok: res.ok, status: res.status, data: await res.json().catch(() => null) };
}

function refusal(status: number, data: unknown): string {
  const code = isObject(data) && isObject(data.error) && typeof data.error.code === 'string' ? data.error.code : '';
  return REFUSALS[code] ?? (status === 404 ? '文章已撤下，不能留言' : '提交失败，请稍后再试');
}

function initLikes(section: HTMLElement): void {
  section.addEventListener('submit', (e) => {
    const form = e.target as HTMLFormElement;
    const button = $<HTMLButtonElement>('button[data-comment-like]', form);
    if (!button) return;
    e.preventDefault();
    if (button.disabled || button.getAttribute('aria-pressed') === 'true') return;
    button.disabled = true;
    post('/api/v1/comments/' + encodeURIComponent(button.dataset.commentLike!) + '/likes', {})
      .then((answer) => {
        const data = answer.data;
        if (!answer.ok || !isObject(data) || typeof data.likes !== 'number') return;
        const count = $('[data-like-count]', button);
        if (count) count.textContent = String(data.likes);
        button.setAttribute('aria-pressed', 'true');
      })
      .catch(() => undefined)
      .then(() => {
        button.disabled = false;
      });
  });
}

export function initComments(): void {
  const section = $('[data-comments]');
  const form = section && $<HTMLFormElement>('form[data-comment-form]', section);
  const id = section?.dataset.articleId;
  if (!section || !form || !id || !window.fetch) return;
  initLikes(section);
  const status = $('[data-comment-status]', form);
  const textarea = $<HTMLTextAreaElement>('textarea[name="body"]', form)!;
  const nickname = $<HTMLInputElement>('input[name="nickname"]', form)!;
  const submit = $<HTMLButtonElement>('button[type="submit"]', form)!;
  let busy = false;

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (busy) return;
    if (textarea.value.trim() === '') {
      say(status, '请填写留言内容');
      textarea.focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    say(status, '正在提交…');
    post('/api/v1/articles/' + encodeURIComponent(id) + '/comments', { nickname: nickname.value, body: textarea.value })
      .then((answer) => {
        const data = answer.data;
        if (!answer.ok) return say(status, refusal(answer.status, data));
        const comment = isObject(data) && isObject(data.comment) ? data.comment : null;
        textarea.value = '';
        if (comment && comment.status === 'approved') {
          // Shown at once (a post-moderated channel): put it at the top of the list as the page would.
          const list = $('[data-comment-list]', section);
          const item = el('li', 'comment');
          const meta = el('p', 'comment-meta');
          meta.append(el('span', 'comment-nickname', String(comment.nickname)), el('span', 'comment-time', '刚刚'));
          item.append(meta, el('p', 'comment-body', String(comment.body)));
          list?.prepend(item);
          $('[data-comments-empty]', section)?.remove();
          say(status, '留言已发布');
        } else {
          say(status, '留言已提交，审核后显示');
        }
      })
      .catch(() => say(status, '提交失败，请检查网络后重试'))
      .then(() => {
        busy = false;
        submit.disabled = false;
        form.removeAttribute('aria-busy');
      });
  });
}
