/**
 * Text and attribute values that markup made as strings must escape exactly as Preact does: markup, quotes, ampersands
 * (escaped already or not), nothing, spaces, astral characters, line separators, a way out of an attribute, `$`
 * patterns (String.replace's), and a value shaped like a markup template's stand-in.
 */
export const HOSTILE_VALUES: readonly string[] = [
  '<script>alert(1)</script>',
  '"引号" & \'单引号\' <b>粗</b> > 大于',
  '&amp; 已转义的 &lt;',
  '',
  '   前后空格  ',
  '表情 😀 与 𠀀 扩展汉字',
  '</a><a href="javascript:alert(1)">',
  '\u2028行分隔\u2029段分隔',
  '"><img src=x onerror=alert(1)>',
  '\u00010\u0001 像替身的值',
  '$& $1 $$',
  'https://news.example/a/1?x=1&y="2"',
];
