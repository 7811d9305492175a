/**
 * Article bodies that stress the HTML pipeline (sanitizing, text extraction), shared by the security tests and
 * bench/body-complexity.ts. The "issue" shapes reproduce the report; `worstAccepted` sits just under the limits.
 */

/** 128k nested tags from the report: each `<b>` opens inside the last one and none is closed. */
export const nested128k = (): string => '<b>x'.repeat(128_000);

/** The report's 1.5 MB tag-heavy body: half a million empty, nested `<b>` (stored at 8.5 MB by the old code). */
export const tagHeavy1_5MB = (): string => '<b>'.repeat(500_000);

/** `n` elements, none nested: many empty paragraphs (Word's spacing), each of which the sanitizer drops. */
export const emptyParagraphs = (n: number, text = '本报讯 江城地铁新线今日开通运营，全长32.6公里。'): string =>
  `<p>${text}</p><p>&nbsp;</p>`.repeat(Math.floor(n / 2));

/**
 * The most expensive body the limits accept, padded to `bytes` (about 2 MB): chains of `depth` nested `<b>`s
 * (strong after sanitizing, so the output grows), then empty paragraphs the sanitizer must drop, up to `elements`
 * elements in all; Chinese text keeps segmentation and analysis busy too.
 */
export function worstAccepted({ depth, elements, bytes }: { depth: number; elements: number; bytes: number }): string {
  const parts: string[] = [];
  let count = 0;
  const chain = '<b>x'.repeat(depth) + '</b>'.repeat(depth);
  // Half the element budget as nesting to the limit, half as paragraphs the exclusive filter removes.
  while (count + depth <= elements / 2) {
    parts.push(chain);
    count += depth;
  }
  const line = '江城地铁新线开通运营，沿线居民出行更加便捷，市民王女士说以后上班能省半小时。';
  while (count + 2 <= elements) {
    parts.push(`<p>${line}</p><p> </p>`);
    count += 2;
  }
  let html = parts.join('');
  // Text without tags fills up to the byte budget (3 bytes per Chinese character in UTF-8).
  const room = bytes - Buffer.byteLength(html, 'utf8');
  if (room > 0) html = html.replace(/<\/p>/, `${line.repeat(Math.floor(room / Buffer.byteLength(line, 'utf8')))}</p>`);
  return html;
}
