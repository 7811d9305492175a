// 正在阅读: a slim bar with the title once the headline has scrolled away, with reading progress.

import { $ } from './dom.ts';

export function initReadingBar(): void {
  const bar = $('[data-reading-bar]');
  const title = $('[data-article-title]');
  if (!bar || !title) return;
  const progress = $('[data-reading-progress]', bar);
  const body = $('#article-body');
  let shown = false;
  let frame = 0;
  let hideTimer = 0;
  bar.setAttribute('aria-hidden', 'true'); // a visual echo of the <h1>; nothing to operate

  const measure = () => {
    frame = 0;
    if (!shown || !progress || !body) return;
    const r = body.getBoundingClientRect();
    const p = Math.min(1, Math.max(0, -r.top / Math.max(1, r.height - innerHeight)));
    progress.style.transform = 'scaleX(' + p.toFixed(4) + ')';
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(measure);
  };
  const show = (on: boolean) => {
    if (on === shown) return;
    shown = on;
    clearTimeout(hideTimer);
    if (on) {
      bar.hidden = false;
      measure();
      requestAnimationFrame(() => shown && bar.classList.add('is-visible'));
    } else {
      bar.classList.remove('is-visible');
      hideTimer = window.setTimeout(() => (bar.hidden = !shown), 200);
    }
  };

  if (window.IntersectionObserver) {
    new IntersectionObserver((entries) => {
      const e = entries[entries.length - 1];
      if (e) show(!e.isIntersecting && e.boundingClientRect.bottom <= 0);
    }).observe(title);
  } else {
    addEventListener('scroll', () => show(title.getBoundingClientRect().bottom <= 0), { passive: true });
  }
  addEventListener('scroll', schedule, { passive: true });
  addEventListener('resize', schedule, { passive: true });
}
