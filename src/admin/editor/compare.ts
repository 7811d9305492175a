import type { Content } from '../merge.ts';

/**
 * When two values of the editor's form mean the same text (pure: used by the editor's merge, and to tell whether the
 * browser's copy of unsaved text says anything the server does not already have).
 */

/** The tags of the form's one line, whatever separates them (，、,;； or spaces). */
export const splitTags = (s: string) =>
  s
    .split(/[,，、;；\s]+/)
    .map((t) => t.trim())
    .filter(Boolean);

/** Two values of a field mean the same: tags whatever the separators, other fields whatever the outer spaces. */
export const sameValue = (field: string, a: string, b: string) =>
  field === 'tags' ? splitTags(a).join('\n') === splitTags(b).join('\n') : a.trim() === b.trim();

/**
 * Whether a browser's copy says nothing the server does not already have: every field the same value as the editor
 * compares them, the body the same in the editor's serialization (both given normalized). Fields the copy lacks (or
 * holds damaged) count as the server's.
 */
export function copyMatches(server: Content, copy: Content): boolean {
  const fields = copy.fields as Record<string, unknown>;
  return (
    Object.entries(server.fields).every(([k, v]) => {
      const mine = fields[k];
      return sameValue(k, typeof mine === 'string' ? mine : v, v);
    }) && copy.body === server.body
  );
}
