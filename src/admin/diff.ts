// A small diff for revisions: paragraphs first, then characters inside changed paragraphs (Chinese has no spaces
// to split words on, and a character diff reads naturally for it).

export type Op = 'eq' | 'del' | 'ins';
export interface Piece {
  op: Op;
  text: string;
}

/** Above this many cells the quadratic table is not worth it: the whole span shows as replaced. */
const MAX_CELLS = 4_000_000;

/** Longest-common-subsequence diff of two token lists, merged into runs of the same operation. */
export function diffTokens(a: readonly string[], b: readonly string[], join = ''): Piece[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out: Piece[] = [];
  const push = (op: Op, text: string) => {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += join + text;
    else out.push({ op, text });
  };
  for (const t of a.slice(0, start)) push('eq', t);
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  if (x.length * y.length > MAX_CELLS) {
    for (const t of x) push('del', t);
    for (const t of y) push('ins', t);
  } else {
    // lcs[i][j]: length of the LCS of x[i..] and y[j..], in one flat array.
    const w = y.length + 1;
    const lcs = new Uint32Array((x.length + 1) * w);
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) {
        lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        push('eq', x[i]!);
        i++;
        j++;
      } else if (i < x.length && (j === y.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
        // On a tie the deletion comes first: old text, then what replaced it.
        push('del', x[i]!);
        i++;
      } else {
        push('ins', y[j]!);
        j++;
      }
    }
  }
  for (const t of a.slice(endA)) push('eq', t);
  return out;
}

/** Characters, keeping a Latin word or number whole so "2026" does not diff digit by digit. */
export function tokens(text: string): string[] {
  return text.match(/[A-Za-z0-9]+|\s+|./gsu) ?? [];
}

export interface LineDiff {
  op: Op | 'change';
  /** For 'change': the character-level pieces of old → new. */
  pieces: Piece[];
}

/** Paragraph-level diff; a deleted paragraph directly followed by an inserted one is shown as a change inside it. */
export function diffParagraphs(a: readonly string[], b: readonly string[]): LineDiff[] {
  const lines = diffTokens(a, b, '\n');
  const out: LineDiff[] = [];
  for (let k = 0; k < lines.length; k++) {
    const cur = lines[k]!;
    const next = lines[k + 1];
    if (cur.op === 'del' && next?.op === 'ins') {
      const olds = cur.text.split('\n');
      const news = next.text.split('\n');
      const n = Math.max(olds.length, news.length);
      for (let i = 0; i < n; i++) {
        const o = olds[i];
        const nw = news[i];
        if (o !== undefined && nw !== undefined) out.push({ op: 'change', pieces: diffTokens(tokens(o), tokens(nw)) });
        else if (o !== undefined) out.push({ op: 'del', pieces: [{ op: 'del', text: o }] });
        else out.push({ op: 'ins', pieces: [{ op: 'ins', text: nw! }] });
      }
      k++;
      continue;
    }
    for (const line of cur.text.split('\n')) out.push({ op: cur.op, pieces: [{ op: cur.op, text: line }] });
  }
  return out;
}
