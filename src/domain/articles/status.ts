export const ARTICLE_STATUSES = ['draft', 'submitted', 'scheduled', 'published', 'unpublished'] as const;
export type ArticleStatus = (typeof ARTICLE_STATUSES)[number];

export type Transition = 'submit' | 'publish' | 'schedule' | 'unpublish' | 'return';

const allowed: Record<Transition, readonly ArticleStatus[]> = {
  submit: ['draft'],
  publish: ['draft', 'submitted', 'scheduled', 'unpublished'],
  schedule: ['draft', 'submitted', 'scheduled', 'unpublished'],
  unpublish: ['published', 'scheduled'],
  // An editor sends a submitted article back to its reporter with a comment.
  return: ['submitted'],
};

export function canTransition(from: ArticleStatus, transition: Transition): boolean {
  return allowed[transition].includes(from);
}

export const statusNames: Record<ArticleStatus, string> = {
  draft: '草稿',
  submitted: '待审',
  scheduled: '定时发布',
  published: '已发布',
  unpublished: '已撤稿',
};

/**
 * What may go to the 回收站: copy that never reached readers. A published, scheduled or unpublished (撤稿) article was
 * or is about to be public: its page answers 410 once taken down, feeds and search engines have seen its address,
 * and its record is what the newsroom answers for, so it is unpublished instead (a scheduled one first unpublished).
 */
export const DELETABLE_STATUSES: readonly ArticleStatus[] = ['draft', 'submitted'];

export const isDeletable = (status: ArticleStatus): boolean => DELETABLE_STATUSES.includes(status);
