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
