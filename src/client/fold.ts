// 阅读剩余全文: unfold a long article in place instead of loading ?full=1.

import { $, $$, media } from './dom.ts';

export function initFold(): void {
  const body = $('#article-body[data-foldable]') || $('[data-foldable]');
  const links = $$('[data-fold-more]');
  if (!body || !links.length) return;
  const unfold = () => {
    body.classList.add('is-unfolded');
    for (const l of links) l.remove();
  };
  // Without the (scripting) media query the CSS never folded the text: the link has no purpose.
  if (!media('(scripting: enabled)')) {
    unfold();
    return;
  }
  for (const link of links)
    link.addEventListener('click', (e) => {
      e.preventDefault();
      const y = scrollY;
      // Keep focus near where the reader is rather than losing it with the removed link.
      body.tabIndex = -1;
      unfold();
      body.focus({ preventScroll: true });
      if (scrollY !== y) scrollTo(scrollX, y); // browsers that ignore preventScroll
    });
}
