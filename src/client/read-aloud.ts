// 朗读: the article's title and body read aloud by the browser's speech synthesis in Mandarin (a zh-CN voice when
// there is one), sentence by sentence, the sentence being read highlighted; play/pause and stop. The controls stay
// hidden where the browser cannot speak.

import { $, $$, reducedMotion, say } from './dom.ts';

interface Sentence {
  block: HTMLElement;
  start: number;
  end: number;
  text: string;
}

const BLOCKS = 'p, h2, h3, h4, li, blockquote, figcaption, td, th';
const SENTENCE = /[^。！？!?；;…\n]+[。！？!?；;…]*[”’」』）)]*|[。！？!?；;…]+/g;
const HIGHLIGHT = 'read-aloud';

/** The sentences of the title and the body's innermost text blocks, with their offsets in each block's text. */
export function sentencesOf(blocks: HTMLElement[]): Sentence[] {
  const out: Sentence[] = [];
  for (const block of blocks) {
    const text = block.textContent || '';
    // exec, not matchAll: the reader scripts run on browsers older than ES2020.
    const re = new RegExp(SENTENCE.source, 'g');
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[0].trim()) out.push({ block, start: m.index, end: m.index + m[0].length, text: m[0].trim() });
    }
  }
  return out;
}

/** A range over characters [start, end) of an element's text, across its text nodes. */
function rangeOf(block: HTMLElement, start: number, end: number): Range | null {
  const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let offset = 0;
  let started = false;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const length = (node.nodeValue || '').length;
    if (!started && start <= offset + length) {
      range.setStart(node, Math.max(0, start - offset));
      started = true;
    }
    if (started && end <= offset + length) {
      range.setEnd(node, Math.max(0, end - offset));
      return range;
    }
    offset += length;
  }
  return null;
}

interface HighlightRegistry {
  set(name: string, h: unknown): void;
  delete(name: string): void;
}

export function initReadAloud(): void {
  const root = $('[data-read-aloud]');
  const synth = window.speechSynthesis;
  if (!root || !synth || typeof window.SpeechSynthesisUtterance !== 'function') return;
  const play = $<HTMLButtonElement>('[data-read-aloud-play]', root);
  const stop = $<HTMLButtonElement>('[data-read-aloud-stop]', root);
  const status = $('[data-read-aloud-status]', root);
  const title = $('[data-article-title]');
  const body = $('#article-body');
  if (!play || !stop || !title || !body) return;

  const candidates = $$(BLOCKS, body);
  // Innermost blocks only (a quote's paragraphs, not the quote again).
  const blocks = [title, ...candidates.filter((b) => !candidates.some((o) => o !== b && b.contains(o)))];
  let sentences: Sentence[] = [];
  let state: 'idle' | 'speaking' | 'paused' = 'idle';
  let turn = 0; // utterances of a cancelled reading report their end too: they are ignored
  const registry = (window.CSS as unknown as { highlights?: HighlightRegistry } | undefined)?.highlights;
  const HighlightType = (window as unknown as { Highlight?: new (r: Range) => unknown }).Highlight;
  let lit: HTMLElement | null = null;

  const voice = () => {
    const voices = synth.getVoices();
    return voices.find((v) => /^zh[-_]CN/i.test(v.lang)) || voices.find((v) => /^(zh|cmn)/i.test(v.lang)) || null;
  };
  const clear = () => {
    if (lit) lit.classList.remove('is-reading');
    lit = null;
    root.removeAttribute('data-reading');
    if (registry) registry.delete(HIGHLIGHT);
  };
  const show = (s: Sentence, i: number) => {
    if (lit !== s.block) {
      if (lit) lit.classList.remove('is-reading');
      lit = s.block;
      lit.classList.add('is-reading');
      const box = lit.getBoundingClientRect();
      if (box.top < 0 || box.bottom > innerHeight)
        lit.scrollIntoView({ block: 'center', behavior: reducedMotion() || document.documentElement.dataset.mode === 'care' ? 'auto' : 'smooth' });
    }
    root.setAttribute('data-reading', String(i));
    const range = registry && HighlightType ? rangeOf(s.block, s.start, s.end) : null;
    if (registry && HighlightType && range) registry.set(HIGHLIGHT, new HighlightType(range));
  };
  const render = () => {
    play.textContent = state === 'speaking' ? '暂停' : state === 'paused' ? '继续朗读' : '朗读全文';
    play.setAttribute('aria-pressed', String(state === 'speaking'));
    stop.disabled = state === 'idle';
  };
  const finish = (message: string) => {
    turn++;
    state = 'idle';
    clear();
    render();
    say(status, message);
  };
  const speak = (i: number, mine: number) => {
    const s = sentences[i];
    if (!s) return finish('朗读完毕');
    const u = new SpeechSynthesisUtterance(s.text);
    u.lang = 'zh-CN';
    const v = voice();
    try {
      if (v) u.voice = v;
    } catch {
      // the lang alone picks a Mandarin voice
    }
    u.rate = 1;
    u.onstart = () => {
      if (mine === turn) show(s, i);
    };
    u.onend = () => {
      if (mine === turn && state !== 'idle') speak(i + 1, mine);
    };
    u.onerror = (e) => {
      if (mine !== turn || e.error === 'interrupted' || e.error === 'canceled') return;
      finish('无法朗读，请稍后再试');
    };
    // Highlighted as soon as it is queued too: some engines report onstart late or never.
    show(s, i);
    synth.speak(u);
  };

  play.addEventListener('click', () => {
    if (state === 'speaking') {
      synth.pause();
      state = 'paused';
      say(status, '已暂停');
    } else if (state === 'paused') {
      synth.resume();
      state = 'speaking';
      say(status, '继续朗读');
    } else {
      sentences = sentencesOf(blocks);
      synth.cancel();
      state = 'speaking';
      speak(0, ++turn);
      say(status, '开始朗读');
    }
    render();
  });
  stop.addEventListener('click', () => {
    synth.cancel();
    finish('已停止朗读');
  });
  addEventListener('pagehide', () => synth.cancel());
  // Voices load late in Chromium: nothing to do but let voice() find them at the next sentence.
  render();
  root.hidden = false;
}
