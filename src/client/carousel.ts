// 视觉焦点: prev/next, dots and arrow keys over the native scroll-snap list. No autoplay.

import { $, $$, el, reducedMotion } from './dom.ts';

export function initCarousel(): void {
  // 关怀版 shows the slides as a list: nothing moves.
  if (document.documentElement.dataset.mode === 'care') return;
  for (const root of $$('[data-carousel]')) {
    const track = $('[data-carousel-track]', root);
    const controls = $('[data-carousel-controls]', root);
    if (!track || !controls) continue;
    const slides = Array.prototype.slice.call(track.children) as HTMLElement[];
    if (slides.length < 2) continue;
    const dotsBox = $('[data-carousel-dots]', controls);
    const dots: HTMLButtonElement[] = [];
    let current = -1;
    let frame = 0;
    let target = -1; // slide being scrolled to by a control; intermediate positions are not reported
    let targetTimer = 0;

    const mark = (i: number) => {
      if (i === current) return;
      current = i;
      dots.forEach((d, j) => {
        if (j === i) d.setAttribute('aria-current', 'true');
        else d.removeAttribute('aria-current');
      });
    };
    const offset = (slide: HTMLElement) => slide.getBoundingClientRect().left - track.getBoundingClientRect().left;
    const go = (i: number) => {
      i = (i + slides.length) % slides.length;
      const slide = slides[i]!;
      const left = track.scrollLeft + offset(slide);
      // Arrow keys on a slide's link: focus follows the slide.
      const a = track.contains(document.activeElement) && $('a', slide);
      if (a) a.focus({ preventScroll: true });
      if (track.scrollTo) track.scrollTo({ left, behavior: reducedMotion() ? 'auto' : 'smooth' });
      else track.scrollLeft = left;
      mark(i);
      target = i;
      clearTimeout(targetTimer);
      targetTimer = window.setTimeout(() => {
        target = -1;
        sync();
      }, 1000);
    };
    const sync = () => {
      frame = 0;
      let best = 0;
      let bestDist = Infinity;
      slides.forEach((s, i) => {
        const dist = Math.abs(offset(s));
        if (dist < bestDist) (bestDist = dist), (best = i);
      });
      // At the end of the track the last slides cannot reach the left edge.
      if (track.scrollLeft > 0 && track.scrollLeft + track.clientWidth >= track.scrollWidth - 2) best = slides.length - 1;
      if (target >= 0) {
        if (best !== target) return;
        target = -1;
      }
      mark(best);
    };

    if (dotsBox)
      slides.forEach((_, i) => {
        const dot = el('button', 'carousel-dot');
        dot.type = 'button';
        dot.setAttribute('aria-label', '第' + (i + 1) + '张');
        dot.addEventListener('click', () => go(i));
        dots.push(dotsBox.appendChild(dot));
      });
    const prev = $('[data-carousel-prev]', controls);
    const next = $('[data-carousel-next]', controls);
    if (prev) prev.addEventListener('click', () => go(current - 1));
    if (next) next.addEventListener('click', () => go(current + 1));
    root.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowLeft' || e.key === 'Left' ? -1 : e.key === 'ArrowRight' || e.key === 'Right' ? 1 : 0;
      if (!step || e.altKey || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      go(current + step);
    });
    track.addEventListener(
      'scroll',
      () => {
        if (!frame) frame = requestAnimationFrame(sync);
      },
      { passive: true },
    );
    controls.hidden = false;
    sync();
  }
}
