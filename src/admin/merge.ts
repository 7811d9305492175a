// Three-way merge of an article for the newsroom: when a save is refused because someone else saved first (412
// stale_revision), the editor merges the revision it started from (base), what is on its screen (mine) and the
// current revision (theirs). Pure functions over strings: no DOM, so they run in unit tests as they run in the browser.
//
// The body merges block by block. Its HTML is the editor's own serialization (editor/extensions.ts normalizeBody),
// so equal blocks are equal strings. Top-level blocks are paragraphs, headings, figures, and the items of lists and
// paragraphs of quotes: a list or quote is its opening tag, its children, and its closing tag, each one block, so
// two people editing different items of one list do not collide. Each side's changes are hunks (a run of base blocks
// replaced by other blocks) from a longest-common-subsequence alignment; hunks of the two sides that do not overlap
// all apply, identical changes apply once, deletions overlapping deletions delete both, and only the rest (the same
// block changed differently, two different insertions at the same place, an edit of a block the other side deleted)
// is a conflict for a person to decide. Fields (title, summary, tags…) merge the same way, one value each.

/** Who a conflict's resolution keeps: mine, theirs, or (for two insertions at the same place) mine then theirs. */
export type Choice = 'mine' | 'theirs' | 'both';

/** An article's content as the merge sees it: named one-line fields and the body HTML. */
export interface Content<K extends string = string> {
  fields: Record<K, string>;
  body: string;
}

export interface BodyConflict {
  /** Key for the person's choice: `body:<n>`, n counting from 0 in body order. */
  key: string;
  /** The base blocks both sides changed (empty for two insertions at the same place). */
  base: string[];
  mine: string[];
  theirs: string[];
}

export interface FieldConflict<K extends string = string> {
  /** Key for the person's choice: `field:<name>`. */
  key: string;
  field: K;
  base: string;
  mine: string;
  theirs: string;
}

/** Merged blocks, or a conflict in their place. */
export type BodyPart = { blocks: string[] } | { conflict: BodyConflict };

export interface Merge<K extends string = string> {
  /** Every field merged; a conflicting field holds mine until resolved. */
  fields: Record<K, string>;
  fieldConflicts: FieldConflict<K>[];
  body: BodyPart[];
  bodyConflicts: BodyConflict[];
}

/** A run of base blocks, [start, end), replaced by `blocks` on one side; start === end for a pure insertion. */
interface Hunk {
  start: number;
  end: number;
  blocks: string[];
}

const CONTAINERS: ReadonlySet<string> = new Set(['ul', 'ol', 'blockquote']);
const VOID: ReadonlySet<string> = new Set(['img', 'br', 'hr', 'wbr', 'source']);
// A tag, with double- or single-quoted attribute values that may hold ">".
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>"']|"[^"]*"|'[^']*')*>/g;
const OPEN_CONTAINER = /^<(ul|ol|blockquote)(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?>$/;
const CLOSE_CONTAINER = /^<\/(ul|ol|blockquote)>$/;

/**
 * The body's blocks in order: each top-level element whole, except lists and quotes, which give their opening tag,
 * each child element, and their closing tag. Whitespace between blocks is dropped; stray top-level text is a block.
 */
export function splitBlocks(html: string): string[] {
  const blocks: string[] = [];
  let depth = 0;
  // The top-level list or quote we are inside, whose children are blocks of their own.
  let container: string | null = null;
  let blockStart = -1;
  let pos = 0;
  const looseText = (text: string) => {
    const t = text.trim();
    if (t && blockStart < 0) blocks.push(t);
  };
  for (const m of html.matchAll(TAG)) {
    const at = m.index;
    const end = at + m[0].length;
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    const level = container ? 1 : 0;
    if (depth === level) looseText(html.slice(pos, at));
    pos = end;
    if (!closing) {
      if (depth === 0 && CONTAINERS.has(name)) {
        blocks.push(m[0]);
        container = name;
        depth = 1;
        continue;
      }
      if (VOID.has(name) || m[0].endsWith('/>')) {
        if (depth === level) blocks.push(m[0]);
        continue;
      }
      if (depth === level) blockStart = at;
      depth++;
      continue;
    }
    if (container && depth === 1 && blockStart < 0) {
      if (name === container) {
        blocks.push(`</${name}>`);
        container = null;
        depth = 0;
      }
      continue;
    }
    if (depth === level) continue; // a stray closing tag
    depth--;
    if (depth === level && blockStart >= 0) {
      blocks.push(html.slice(blockStart, end));
      blockStart = -1;
    }
  }
  if (blockStart >= 0) blocks.push(html.slice(blockStart));
  else looseText(html.slice(pos));
  if (container) blocks.push(`</${container}>`);
  return blocks;
}

/**
 * Blocks back into HTML, repaired so any merge of them is well formed: list items outside a list get one, other
 * blocks inside a list end it, stray closing tags go, unclosed lists and quotes are closed, empty ones are dropped.
 */
export function joinBlocks(blocks: readonly string[]): string {
  const out: string[] = [];
  let open: { name: string; at: number; children: number } | null = null;
  const close = () => {
    if (!open) return;
    if (open.children === 0) out.splice(open.at, 1);
    else out.push(`</${open.name}>`);
    open = null;
  };
  for (const b of blocks) {
    const opening = OPEN_CONTAINER.exec(b);
    const closing = CLOSE_CONTAINER.exec(b);
    if (opening) {
      close();
      out.push(b);
      open = { name: opening[1]!, at: out.length - 1, children: 0 };
    } else if (closing) {
      if (open?.name === closing[1]) close();
    } else {
      const item = /^<li[\s>]/.test(b);
      const list = open?.name === 'ul' || open?.name === 'ol';
      if (item && !list) {
        close();
        out.push('<ul>');
        open = { name: 'ul', at: out.length - 1, children: 0 };
      } else if (!item && list) close();
      out.push(b);
      if (open) open.children++;
    }
  }
  close();
  return out.join('');
}

/** Above this many cells the LCS table is not worth it: the differing middle is one hunk. */
const MAX_CELLS = 4_000_000;

/** Index pairs [i, j] with a[i] === b[j] of a longest common subsequence, in increasing order. */
function commonPairs(a: readonly string[], b: readonly string[]): [number, number][] {
  const pairs: [number, number][] = [];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) {
    pairs.push([start, start]);
    start++;
  }
  let endA = a.length;
  let endB = b.length;
  const tail: [number, number][] = [];
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
    tail.push([endA, endB]);
  }
  const n = endA - start;
  const m = endB - start;
  if (n > 0 && m > 0 && n * m <= MAX_CELLS) {
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[start + i] === b[start + j]) {
        pairs.push([start + i, start + j]);
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) i++;
      else j++;
    }
  }
  return pairs.concat(tail.reverse());
}

/** One side's changes to base, as hunks in base order. A replacement of n blocks by n blocks is n hunks of one. */
function hunksOf(base: readonly string[], side: readonly string[]): Hunk[] {
  const out: Hunk[] = [];
  let i0 = 0;
  let j0 = 0;
  for (const [i, j] of [...commonPairs(base, side), [base.length, side.length] as const]) {
    if (i > i0 || j > j0) {
      const blocks = side.slice(j0, j);
      if (i - i0 === blocks.length) {
        blocks.forEach((b, k) => {
          out.push({ start: i0 + k, end: i0 + k + 1, blocks: [b] });
        });
      } else out.push({ start: i0, end: i, blocks });
    }
    i0 = i + 1;
    j0 = j + 1;
  }
  return out;
}

/** base[start, end) with one side's hunks (all inside it) applied. */
function applyHunks(base: readonly string[], start: number, end: number, hunks: readonly Hunk[]): string[] {
  const out: string[] = [];
  let at = start;
  for (const h of hunks) {
    out.push(...base.slice(at, h.start), ...h.blocks);
    at = h.end;
  }
  out.push(...base.slice(at, end));
  return out;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Three-way merge of block lists (see the top of this file). */
export function mergeBlocks(base: readonly string[], mine: readonly string[], theirs: readonly string[]): BodyPart[] {
  const all = [...hunksOf(base, mine).map((h) => ({ ...h, mine: true })), ...hunksOf(base, theirs).map((h) => ({ ...h, mine: false }))];
  // By start; at one start a pure insertion comes first (it goes before the blocks that start there).
  all.sort((a, b) => a.start - b.start || a.end - b.end);
  const groups: { start: number; end: number; hunks: typeof all }[] = [];
  for (const h of all) {
    const g = groups[groups.length - 1];
    // Overlapping: sharing a base block, an insertion strictly inside the other's run, or two insertions at one place.
    const overlaps = g && (h.start < g.end || (h.start === h.end && g.start === g.end && h.start === g.start));
    if (overlaps) {
      g.end = Math.max(g.end, h.end);
      g.hunks.push(h);
    } else groups.push({ start: h.start, end: h.end, hunks: [h] });
  }

  const parts: BodyPart[] = [];
  const keep = (blocks: string[]) => {
    if (blocks.length === 0) return;
    const last = parts[parts.length - 1];
    if (last && 'blocks' in last) last.blocks.push(...blocks);
    else parts.push({ blocks });
  };
  let at = 0;
  let conflicts = 0;
  for (const g of groups) {
    keep(base.slice(at, g.start));
    at = g.end;
    const mineHunks = g.hunks.filter((h) => h.mine);
    const theirHunks = g.hunks.filter((h) => !h.mine);
    const m = applyHunks(base, g.start, g.end, mineHunks);
    const t = applyHunks(base, g.start, g.end, theirHunks);
    if (mineHunks.length === 0) keep(t);
    else if (theirHunks.length === 0 || sameList(m, t)) keep(m);
    // Deletions overlapping deletions: every block of the run was deleted by one side and changed by neither.
    else if (g.hunks.every((h) => h.blocks.length === 0)) continue;
    else parts.push({ conflict: { key: `body:${conflicts++}`, base: base.slice(g.start, g.end), mine: m, theirs: t } });
  }
  keep(base.slice(at));
  return parts;
}

/**
 * Merges an article field by field and its body block by block. `same` says whether two values of a field mean the
 * same (tags typed with different separators, say); by default they must be equal.
 */
export function mergeContent<K extends string>(
  base: Content<K>,
  mine: Content<K>,
  theirs: Content<K>,
  same: (field: K, a: string, b: string) => boolean = (_f, a, b) => a === b,
): Merge<K> {
  const fields = { ...mine.fields };
  const fieldConflicts: FieldConflict<K>[] = [];
  for (const field of Object.keys(mine.fields) as K[]) {
    const b = base.fields[field] ?? '';
    const m = mine.fields[field];
    const t = theirs.fields[field] ?? '';
    if (same(field, m, t) || same(field, t, b)) fields[field] = m;
    else if (same(field, m, b)) fields[field] = t;
    else fieldConflicts.push({ key: `field:${field}`, field, base: b, mine: m, theirs: t });
  }
  const body = mergeBlocks(splitBlocks(base.body), splitBlocks(mine.body), splitBlocks(theirs.body));
  const bodyConflicts = body.flatMap((p) => ('conflict' in p ? [p.conflict] : []));
  return { fields, fieldConflicts, body, bodyConflicts };
}

export const conflictCount = (m: Merge<string>) => m.fieldConflicts.length + m.bodyConflicts.length;

/** The merged content with each conflict decided (a conflict without a choice keeps mine). */
export function resolveMerge<K extends string>(merge: Merge<K>, choices: Readonly<Record<string, Choice>> = {}): Content<K> {
  const fields = { ...merge.fields };
  for (const c of merge.fieldConflicts) fields[c.field] = choices[c.key] === 'theirs' ? c.theirs : c.mine;
  const blocks = merge.body.flatMap((p) => {
    if ('blocks' in p) return p.blocks;
    const choice = choices[p.conflict.key] ?? 'mine';
    return choice === 'theirs' ? p.conflict.theirs : choice === 'both' ? [...p.conflict.mine, ...p.conflict.theirs] : p.conflict.mine;
  });
  return { fields, body: joinBlocks(blocks) };
}
