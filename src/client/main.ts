// Reader page enhancements; every feature starts only where its markup is on the page.
// The pages work fully without this script.

import { initBeacon } from './beacon.ts';
import { initCarousel } from './carousel.ts';
import { initComments } from './comments.ts';
import { initFeed } from './feed.ts';
import { initFold } from './fold.ts';
import { initLive } from './live.ts';
import { applyFontSize, initFontSize } from './font-size.ts';
import { initMoods } from './moods.ts';
import { initPolls } from './polls.ts';
import { initReadingBar } from './reading-bar.ts';
import { initShare } from './share.ts';
import { initTimes } from './format-time.ts';
import { initReadAloud } from './read-aloud.ts';

// First, before anything else: the reader's font size, to keep the text from jumping later.
try {
  applyFontSize();
} catch {
  // keep the standard size
}

function start(): void {
  for (const init of [
    initFontSize,
    initTimes,
    initFold,
    initReadingBar,
    initReadAloud,
    initShare,
    initMoods,
    initPolls,
    initComments,
    initFeed,
    initCarousel,
    initBeacon,
    initLive,
  ]) {
    try {
      init();
    } catch (err) {
      // One broken feature must not stop the others; still report it.
      setTimeout(() => {
        throw err;
      });
    }
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
