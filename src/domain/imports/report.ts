import type { SourceSite } from '../../transfer/source.ts';

/** What an import tells as it goes and at its end (the CLI prints it; the newsroom's 导入 page shows it). */
export interface ImportProgress {
  phase: 'reading' | 'writing';
  /** Items read (reading) or posts handled (writing). */
  done: number;
  /** Posts in the file, once the first pass counted them. */
  total?: number;
}

export interface ImportWarning {
  postId: string;
  line: number;
  message: string;
}

export interface ImportReport {
  format: SourceSite['format'];
  site: string;
  dryRun: boolean;
  posts: number;
  imported: number;
  updated: number;
  unchanged: number;
  /** Not imported, by kind: pages, attachments, menu items, comments, other post types, trash, newsroom edits kept… */
  skipped: Record<string, number>;
  channelsCreated: number;
  authorsCreated: number;
  images: { found: number; missing: string[]; notLookedFor: number };
  redirects: number;
  shortcodes: Record<string, number>;
  warnings: ImportWarning[];
  /** Warnings beyond the first MAX_WARNINGS, counted only. */
  moreWarnings: number;
  seconds: number;
}
