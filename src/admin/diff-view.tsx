// The diff as the newsroom shows it (history page, edit conflicts): paragraphs first, then characters.
import { useMemo } from 'preact/hooks';
import { diffParagraphs, diffTokens, tokens, type LineDiff, type Piece } from './diff.ts';

/** The body's text, one entry per paragraph-like block; images show as [图片 …]. */
export function paragraphs(html: string): string[] {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const out: string[] = [];
  for (const el of doc.body.querySelectorAll('p, h2, h3, h4, li, blockquote > p, figure')) {
    if (el.tagName === 'FIGURE') {
      const img = el.querySelector('img');
      out.push(`[图片 ${img?.getAttribute('src') ?? ''}] ${el.querySelector('figcaption')?.textContent ?? ''}`.trim());
    } else if (!el.querySelector('p')) out.push(el.textContent?.trim() ?? '');
  }
  return out.filter(Boolean);
}

export function Pieces({ pieces }: { pieces: Piece[] }) {
  return <>{pieces.map((p) => (p.op === 'eq' ? <span>{p.text}</span> : p.op === 'del' ? <del>{p.text}</del> : <ins>{p.text}</ins>))}</>;
}

/** Body HTML `from` → `to`, paragraph by paragraph, changed paragraphs character by character. */
export function BodyDiff({ from, to }: { from: string; to: string }) {
  const lines = useMemo(() => diffParagraphs(paragraphs(from), paragraphs(to)), [from, to]);
  return (
    <>
      {lines.map((l: LineDiff) => (
        <p class={`diff-line diff-${l.op}`}>
          <Pieces pieces={l.pieces} />
        </p>
      ))}
    </>
  );
}

/** One line of text `from` → `to`, character by character. */
export function TextDiff({ from, to }: { from: string; to: string }) {
  return <Pieces pieces={diffTokens(tokens(from), tokens(to))} />;
}
