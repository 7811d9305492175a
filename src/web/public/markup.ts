import type { VNode } from 'preact';
import { jsxTemplate } from 'preact/jsx-runtime';
import { renderToString } from 'preact-render-to-string';

const ESCAPED = /["&<]/;
const EVERY_ESCAPED = new RegExp(ESCAPED.source, 'g');
/**
 * Text and attribute values escaped as preact-render-to-string escapes them (`"`, `&` and `<`). Most values (times,
 * paths, titles) have nothing to escape: testing first costs about half of a replace that finds nothing.
 */
const escapeMarkup = (s: string): string => (ESCAPED.test(s) ? s.replace(EVERY_ESCAPED, (c) => (c === '"' ? '&quot;' : c === '&' ? '&amp;' : '&lt;')) : s);

/**
 * Markup placed as it is, with no element around it: the node Preact's precompiled JSX uses for its templates, which
 * preact-render-to-string writes out unescaped. Only for markup we made and escaped.
 */
export const Markup = (html: string): VNode => jsxTemplate([html]) as VNode;

/** Where a stand-in sits: inside text, or as an attribute's whole value (whose empty form Preact writes as a bare name). */
interface Slot {
  key: number;
  wholeAttribute: boolean;
}

export interface MarkupTemplate<K extends string> {
  /** The markup for these values, escaped as Preact escapes them. */
  (values: Readonly<Record<K, string>>): string;
  /** The same markup rendered by Preact with these values (what the template must equal; the tests compare them). */
  rendered(values: Readonly<Record<K, string>>): string;
}

/**
 * Markup whose values only fill it, from its JSX: Preact renders the JSX once with a stand-in for each value, and
 * each call joins the pieces with its own values, escaped. An uncached page renders each element through Preact
 * at about 1 µs; a template's call costs what its values' escaping costs. The JSX must put each value in the markup
 * as it is — as text, an attribute's value or part of one — never branch on it, transform it (encodeURIComponent,
 * a sum) or drop it: a stand-in that does not come out whole is refused when the template is built. `raw` values are
 * markup already (made and escaped by us): the JSX places them with Markup(), and they are filled in unescaped. Built on
 * the first call.
 */
export function markupTemplate<K extends string>(
  keys: readonly K[],
  render: (values: Readonly<Record<K, string>>) => VNode,
  { raw = [] }: { raw?: readonly K[] } = {},
): MarkupTemplate<K> {
  let built: { pieces: string[]; slots: Slot[] } | undefined;
  const escaped = keys.map((k) => !raw.includes(k));
  const build = () => {
    const standIns = Object.fromEntries(keys.map((k, i) => [k, `\u0001${i}\u0001`])) as Record<K, string>;
    const split = renderToString(render(standIns)).split(/\u0001(\d+)\u0001/);
    const pieces: string[] = [];
    const slots: Slot[] = [];
    for (let i = 0; i < split.length; i++) {
      if (i % 2 === 0) pieces.push(split[i]!);
      else slots.push({ key: Number(split[i]), wholeAttribute: split[i - 1]!.endsWith('="') && split[i + 1]!.startsWith('"') });
    }
    const missing = keys.filter((_, i) => !slots.some((s) => s.key === i));
    if (missing.length > 0 || pieces.some((p) => p.includes('\u0001')))
      throw new Error(`markupTemplate: ${missing.join(', ') || 'a value'} does not come out as given`);
    return { pieces, slots };
  };
  const fill = (values: Readonly<Record<K, string>>): string => {
    built ??= build();
    const { pieces, slots } = built;
    let html = pieces[0]!;
    for (let i = 0; i < slots.length; i++) {
      const { key, wholeAttribute } = slots[i]!;
      const value = values[keys[key]!];
      const next = pieces[i + 1]!;
      // Preact writes an attribute whose value is empty as its name alone.
      if (value === '' && wholeAttribute) html = html.slice(0, -2) + next.slice(1);
      else html += (escaped[key] ? escapeMarkup(value) : value) + next;
    }
    return html;
  };
  return Object.assign(fill, { rendered: (values: Readonly<Record<K, string>>) => renderToString(render(values)) });
}

/**
 * Markup templates for the variants of one JSX: its flags choose what it prints (a subtitle or none), its values fill
 * it. Each variant is built on its first use; `keys` names the values that variant prints.
 */
export function markupVariants<F extends boolean[], K extends string>(
  keys: (...flags: F) => readonly K[],
  render: (values: Readonly<Record<K, string>>, ...flags: F) => VNode,
  options: { raw?: readonly K[] } = {},
): (...flags: F) => MarkupTemplate<K> {
  const variants = new Map<string, MarkupTemplate<K>>();
  return (...flags) => {
    const variant = flags.join(' ');
    let template = variants.get(variant);
    if (!template) {
      template = markupTemplate(keys(...flags), (values) => render(values, ...flags), options);
      variants.set(variant, template);
    }
    return template;
  };
}
