import { describe, expect, it } from 'vitest';
import { commentsHead } from '../../src/web/public/comments.tsx';
import { headerMarkup, headMarkup, jsonLdHtml, shareMarkup } from '../../src/web/public/components.tsx';
import { articleHead, articleHeader, articleTagMeta } from '../../src/web/public/pages.tsx';
import { HOSTILE_VALUES } from '../support/hostile-values.ts';
import { Markup, type MarkupTemplate, markupTemplate, markupVariants } from '../../src/web/public/markup.ts';

/**
 * Markup templates (web/public/markup.ts) stand in for Preact's render of the same JSX on every uncached page: for any
 * values their markup must be byte for byte what Preact renders, escaping and empty attributes included.
 */

/** Every value in turn from HOSTILE_VALUES, the others from it shifted, so each sits beside every other somewhere. */
function* fillings<K extends string>(keys: readonly K[]): Generator<Record<K, string>> {
  for (let i = 0; i < HOSTILE_VALUES.length; i++)
    yield Object.fromEntries(keys.map((k, j) => [k, HOSTILE_VALUES[(i + j * 3) % HOSTILE_VALUES.length]!])) as Record<K, string>;
}

function holds<K extends string>(template: MarkupTemplate<K>, keys: readonly K[]) {
  for (const values of fillings(keys)) expect(template(values)).toBe(template.rendered(values));
}

describe('a markup template', () => {
  it('fills text, whole attribute values and parts of them as Preact renders them', () => {
    const t = markupTemplate(['a', 'b', 'c'], (v) => (
      <p title={v.a} data-x={v.b} data-y={`/a/${v.c}/x`}>
        {v.a}
        <span>{v.b}</span>—{v.c}
      </p>
    ));
    holds(t, ['a', 'b', 'c']);
    // Preact writes an empty attribute value as the bare name; so must the template.
    expect(t({ a: '', b: '', c: '' })).toBe('<p title data-x data-y="/a//x"><span></span>—</p>');
  });

  it('places raw values unescaped, as Markup places them', () => {
    const t = markupTemplate(
      ['html', 'text'],
      (v) => (
        <nav aria-label={v.text}>
          {Markup(v.html)}
          {v.text}
        </nav>
      ),
      { raw: ['html'] },
    );
    expect(t({ html: '<ul><li>甲 &amp; 乙</li></ul>', text: '<i>' })).toBe('<nav aria-label="&lt;i>"><ul><li>甲 &amp; 乙</li></ul>&lt;i></nav>');
    expect(t({ html: '<b>x</b>', text: 'y' })).toBe(t.rendered({ html: '<b>x</b>', text: 'y' }));
  });

  it('keeps one template per variant, each asking only for the values it prints', () => {
    const variants = markupVariants(
      (withNote: boolean) => (withNote ? (['title', 'note'] as const) : (['title'] as const)),
      (v, withNote) => (
        <p>
          {v.title}
          {withNote ? <small>{v.note}</small> : null}
        </p>
      ),
    );
    expect(variants(true)).toBe(variants(true));
    expect(variants(false)).not.toBe(variants(true));
    expect(variants(true)({ title: '甲', note: '<乙>' })).toBe('<p>甲<small>&lt;乙></small></p>');
    expect(variants(false)({ title: '甲' } as never)).toBe('<p>甲</p>');
  });

  it('refuses JSX that transforms or drops a value (its output would not be the value)', () => {
    const encoded = markupTemplate(['to'], (v) => <a href={`/care/on?to=${encodeURIComponent(v.to)}`}>关怀版</a>);
    expect(() => encoded({ to: '/a/1' })).toThrow(/to does not come out/);
    const dropped = markupTemplate(['a', 'b'], (v) => <p>{v.a}</p>);
    expect(() => dropped({ a: '1', b: '2' })).toThrow(/b does not come out/);
  });
});

describe('the reader pages’ templates', () => {
  it('print the head for every combination of description and canonical address', () => {
    for (const description of [false, true])
      for (const canonical of [false, true])
        holds(headMarkup(description, canonical), ['title', 'description', 'canonical', 'hans', 'hant', 'style', 'print', 'script', 'feeds']);
    // A value a variant does not print is not asked for.
    expect(headMarkup(false, false)({ title: 't', style: 's', print: 'p', script: 'j', feeds: 'f' } as never)).toContain('<title>t</title>');
  });

  it('print the site header, the share box and the comment form', () => {
    holds(headerMarkup, ['name', 'hans', 'hant', 'care', 'channels']);
    holds(shareMarkup, ['url', 'title', 'text', 'id']);
    holds(commentsHead, ['total', 'action']);
  });

  it('print an article’s meta tags and its header in every variant', () => {
    const head = ['name', 'title', 'summary', 'url', 'image', 'published', 'modified', 'section', 'tags', 'jsonLd'] as const;
    for (const image of [false, true]) holds(articleHead(image), head);
    holds(articleTagMeta, ['tag']);
    for (const subtitle of [false, true])
      for (const source of [false, true]) holds(articleHeader(subtitle, source), ['title', 'subtitle', 'source', 'iso', 'time', 'minutes']);
  });

  it('print JSON-LD that no value can break out of', () => {
    const html = jsonLdHtml({ headline: '</script><script>alert(1)</script>', keywords: HOSTILE_VALUES.join(',') });
    expect(html.startsWith('<script type="application/ld+json">')).toBe(true);
    expect(html.indexOf('</script>')).toBe(html.length - '</script>'.length);
    expect(html.match(/<script/g)).toHaveLength(1);
  });
});
