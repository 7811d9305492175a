import { convertPastedLists, listDefinitions } from './word-lists.ts';

// Clean-up of HTML pasted from Word, WPS, Google Docs or WeChat articles before TipTap parses it. The editor's schema
// is the real gate (anything it does not know is dropped) and the server sanitizes again; this only fixes what the
// schema would otherwise misread: Word's conditional comments and list paragraphs (see word-lists.ts), WeChat's lazy
// images, h1/h5/h6.

export function cleanPastedHtml(html: string): string {
  // Word's list definitions live in the <style> removed below; an item without a marker text is told by them.
  const definitions = listDefinitions(html);
  const marked = html
    // The bullet or number of a Word list item, in either form of Word's supportLists conditional: kept in a span
    // the list converter reads (and removes), not dropped with the other conditionals.
    .replace(/<!(?:--)?\[if !supportLists\](?:--)?>([\s\S]*?)<!(?:--)?\[endif\](?:--)?>/gi, '<span data-mso-marker>$1</span>')
    // Word: <!--[if gte mso 9]><xml>…</xml><![endif]--> (hidden from other browsers: dropped with its content), the
    // <![if …]> <![endif]> brackets of content shown to other browsers (dropped, the content kept), every other
    // comment, <style>, <o:p>, <xml>.
    .replace(/<!--\[if[^\]]*\]>[\s\S]*?<!\[endif\]-->/gi, '')
    .replace(/<!\[(?:if[^\]]*|endif)\]>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(style|script|xml|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<(meta|link)\b[^>]*>/gi, '')
    .replace(/<\/?o:p[^>]*>/gi, '');
  return (
    convertPastedLists(marked, definitions)
      // Word's list bullets and numbers left outside a list paragraph: drop them, keep the text.
      .replace(/<span[^>]*mso-list:\s*Ignore[^>]*>[\s\S]*?<\/span>/gi, '')
      // Inline styles and event handlers: the schema would drop them anyway, but the browser would first
      // report each one as a CSP violation while parsing the pasted markup.
      .replace(/\s(on[a-z]+|style)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '')
      // WeChat: images load lazily from data-src and carry an empty or placeholder src.
      .replace(/<img\b([^>]*?)\sdata-src=(["'])([^"']+)\2([^>]*)>/gi, (_m, before: string, _q: string, src: string, after: string) => {
        const rest = `${before} ${after}`.replace(/\s(src|srcset)=(["'])[^"']*\2/gi, '');
        return `<img src="${src}"${rest}>`;
      })
      // Headings the schema does not have: h1 becomes h2, h5 and h6 become h4.
      .replace(/<(\/?)h1\b/gi, '<$1h2')
      .replace(/<(\/?)h[56]\b/gi, '<$1h4')
  );
}
