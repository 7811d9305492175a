// Font size switch: standard → large → x-large, remembered per device.

import { $$ } from './dom.ts';

const KEY = 'inkstone:font-size';
const SIZES = ['', 'l', 'xl'];
const NAMES = ['标准', '大', '特大'];

function stored(): number {
  try {
    return Math.max(0, SIZES.indexOf(localStorage.getItem(KEY) || ''));
  } catch {
    return 0; // storage disabled (private mode, some in-app browsers)
  }
}

function apply(i: number): void {
  document.documentElement.dataset.fontSize = SIZES[i] ?? '';
  // The visible text stays the accessible name; the current size is read out from a hidden span.
  for (const state of $$('[data-font-state]')) state.textContent = '：' + NAMES[i];
}

/** Runs as soon as the script does, before the DOM is ready. */
export function applyFontSize(): void {
  apply(stored());
}

export function initFontSize(): void {
  const buttons = $$('[data-font-toggle]');
  if (!buttons.length) return;
  let current = stored();
  apply(current);
  const click = () => {
    current = (current + 1) % SIZES.length;
    apply(current);
    try {
      if (current) localStorage.setItem(KEY, SIZES[current]!);
      else localStorage.removeItem(KEY);
    } catch {
      // not remembered, but still applied for this page
    }
  };
  for (const b of buttons) {
    b.addEventListener('click', click);
    b.hidden = false; // rendered hidden: without this script it could do nothing
  }
  // Another tab changed the size.
  addEventListener('storage', (e) => {
    if (e.key === KEY) apply((current = stored()));
  });
}
