// Share: WeChat guide overlay inside WeChat, else the Web Share API, else copy the link.

import { $, $$, media, say } from './dom.ts';

const COPIED = '链接已复制，可粘贴发送给朋友';
const COPY_FAILED = '复制失败，请长按链接复制';

function legacyCopy(text: string): boolean {
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  const s = ta.style;
  s.position = 'fixed';
  s.top = '0';
  s.opacity = '0';
  s.fontSize = '16px'; // no zoom on iOS
  document.body.appendChild(ta);
  let ok = false;
  try {
    ta.select();
    ta.setSelectionRange(0, text.length);
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

function copy(text: string): Promise<void> {
  const fail = () => (legacyCopy(text) ? undefined : Promise.reject());
  const c = navigator.clipboard;
  return c?.writeText ? c.writeText(text).catch(fail) : new Promise((ok) => ok(fail()));
}

export function initShare(): void {
  const roots = $$('[data-share]');
  if (!roots.length) return;
  const wechat = /MicroMessenger/i.test(navigator.userAgent);
  const guide = $('[data-wechat-guide]');
  const close = guide && $('[data-wechat-guide-close]', guide);
  let opener: HTMLElement | null = null;

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' || e.key === 'Esc') hideGuide();
    else if (e.key === 'Tab' && close) {
      e.preventDefault(); // the close button is the dialog's only control
      close.focus();
    }
  };
  function hideGuide(): void {
    if (!guide || guide.hidden) return;
    guide.hidden = true;
    guide.classList.remove('is-open');
    document.removeEventListener('keydown', onKey);
    if (opener) opener.focus();
  }
  function showGuide(from: HTMLElement): void {
    if (!guide) return;
    opener = from;
    guide.hidden = false;
    guide.classList.add('is-open');
    document.addEventListener('keydown', onKey);
    (close || guide).focus();
  }
  if (guide) {
    if (!close) guide.tabIndex = -1;
    guide.addEventListener('click', (e) => {
      if (e.target === guide) hideGuide(); // the backdrop itself
    });
    if (close) close.addEventListener('click', hideGuide);
  }

  for (const root of roots) {
    const button = $('[data-share-button]', root);
    if (!button) continue;
    const status = $('[data-share-status]', root);
    const qr = $('[data-share-qr]', root);
    const d = root.dataset;
    const url = d.shareUrl || location.href;
    let clearTimer = 0;
    const tell = (text: string) => {
      say(status, text);
      clearTimeout(clearTimer);
      clearTimer = window.setTimeout(() => say(status, ''), 4000);
    };
    const copyLink = () =>
      copy(url).then(
        () => tell(COPIED),
        () => tell(COPY_FAILED),
      );

    button.addEventListener('click', (e) => {
      e.preventDefault(); // the share page is for readers without this script
      if (wechat && guide) return showGuide(button);
      if (qr?.hidden && !wechat && media('(hover: hover) and (pointer: fine)')) {
        const img = $<HTMLImageElement>('img[data-src]', qr);
        if (img && !img.getAttribute('src')) img.src = img.dataset.src!;
        qr.hidden = false;
        // Escape puts the QR code away again, focus back on 分享.
        const onEscape = (e: KeyboardEvent) => {
          if (e.key !== 'Escape' && e.key !== 'Esc') return;
          qr.hidden = true;
          document.removeEventListener('keydown', onEscape);
          button.focus();
        };
        document.addEventListener('keydown', onEscape);
      }
      if (navigator.share) {
        navigator.share({ title: d.shareTitle || document.title, text: d.shareText || '', url }).catch((e: unknown) => {
          // The reader closed the share sheet: nothing to do. Any other failure: copy instead.
          if (!e || (e as Error).name !== 'AbortError') copyLink();
        });
      } else copyLink();
    });
  }
}
