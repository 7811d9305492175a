import type { ImportProgress, ImportReport } from '../domain/imports/service.ts';

/** The import's report as the CLI prints it: counts first, then the lists (missing images, warnings with post ids). */
export function formatImportReport(r: ImportReport): string {
  const lines: string[] = [];
  const kinds = Object.entries(r.skipped)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  lines.push(
    `${r.dryRun ? 'Dry run (nothing written): ' : ''}${r.format.toUpperCase()} from ${r.site || 'an unnamed site'}, ${r.posts} posts in ${r.seconds.toFixed(1)} s`,
  );
  lines.push(`  imported ${r.imported}, updated ${r.updated}, unchanged ${r.unchanged}${r.dryRun ? ' (would be)' : ''}`);
  lines.push(`  not imported: ${kinds || 'nothing'}`);
  lines.push(`  channels created ${r.channelsCreated}, accounts created ${r.authorsCreated}, old addresses redirected ${r.redirects}`);
  const shortcodes = Object.entries(r.shortcodes)
    .map(([k, n]) => `[${k}] ×${n}`)
    .join(', ');
  if (shortcodes) lines.push(`  shortcodes dropped: ${shortcodes}`);
  lines.push(
    `  images: ${r.images.found} found in the uploads folder, ${r.images.missing.length} missing${r.images.notLookedFor ? `, ${r.images.notLookedFor} not looked for (no --uploads)` : ''}`,
  );
  for (const m of r.images.missing.slice(0, 200)) lines.push(`    missing: ${m}`);
  if (r.images.missing.length > 200) lines.push(`    … and ${r.images.missing.length - 200} more`);
  if (r.warnings.length > 0) lines.push(`  warnings (${r.warnings.length + r.moreWarnings}):`);
  for (const w of r.warnings) lines.push(`    post ${w.postId || '?'} (line ${w.line}): ${w.message}`);
  if (r.moreWarnings > 0) lines.push(`    … and ${r.moreWarnings} more`);
  return lines.join('\n');
}

/** Progress on a terminal: one line redrawn (counts and rate); elsewhere a plain line every 10 s and at the end of a pass. */
export function progressPrinter(out: NodeJS.WriteStream): { update: (p: ImportProgress) => void; end: () => void } {
  const started = Date.now();
  let printed = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      const rate = Math.round((p.done * 1000) / Math.max(1, now - started));
      const what = p.phase === 'reading' ? `reading: ${p.done} items` : `writing: ${p.done}${p.total ? `/${p.total}` : ''} posts`;
      if (out.isTTY) {
        const width = 30;
        const bar = p.total ? `[${'#'.repeat(Math.round((width * p.done) / p.total)).padEnd(width, '.')}] ` : '';
        out.write(`\r${bar}${what}, ${rate}/s   `);
        drawn = true;
      } else if (now - printed >= 10_000 || (p.total !== undefined && p.done === p.total)) {
        printed = now;
        out.write(`${what}, ${rate}/s\n`);
      }
    },
    end() {
      if (drawn) out.write('\n');
    },
  };
}
