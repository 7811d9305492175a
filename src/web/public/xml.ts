/** Text for XML content or attributes: escaped, without the characters XML 1.0 forbids. */
export const xmlText = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/**
 * Site-relative addresses in article HTML (`src="/media/…"`, `href="/a/12"`) made absolute on the site's URL: feed
 * readers and aggregators do not resolve them against the feed. Bodies are sanitized HTML whose attribute values are
 * always double-quoted and never protocol-relative, so the attribute's start is enough to find them.
 */
export const absoluteUrls = (html: string, siteUrl: string): string =>
  html.replace(/(\s(?:src|href)=")\/(?!\/)/g, (_all, attribute: string) => `${attribute}${siteUrl}/`);
