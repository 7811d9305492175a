import { atLeast, type Actor } from './accounts/roles.ts';
import { forbidden } from './errors.ts';
import { canTransition, isDeletable, type ArticleStatus, type Transition } from './articles/status.ts';

/** Every newsroom permission in one place: reporter < editor < admin. */
export type Action =
  | 'article.create'
  | 'article.read'
  | 'article.edit'
  | 'article.submit'
  | 'article.publish'
  | 'article.schedule'
  | 'article.unpublish'
  | 'article.return'
  | 'article.revisions'
  | 'article.delete'
  | 'article.undelete'
  | 'article.bulk'
  | 'article.list_all'
  | 'article.assist'
  | 'article.curate_related'
  | 'channel.manage'
  | 'topic.manage'
  | 'account.manage'
  | 'account.list'
  | 'source.create'
  | 'token.manage'
  | 'audit.read'
  | 'media.upload'
  | 'media.browse'
  | 'reactions.review'
  | 'search.synonyms'
  | 'import.run'
  | 'poll.create'
  | 'poll.close'
  | 'poll.review'
  | 'comments.moderate'
  | 'comments.configure'
  | 'live.manage'
  | 'live.post'
  | 'live.moderate';

export interface ArticleRef {
  authorId: number;
  status: ArticleStatus;
}

export function can(actor: Actor, action: Action, article?: ArticleRef): boolean {
  const own = article !== undefined && article.authorId === actor.id;
  switch (action) {
    // Reporters add pictures to their drafts.
    case 'media.upload':
    // The picture library is the newsroom's: everyone may find and reuse any image.
    case 'media.browse':
    case 'article.create':
    // Editor assists read only what the caller sends, plus titles the caller may read.
    case 'article.assist':
    case 'account.list':
    case 'source.create':
      return true;
    // Editors make polls anywhere; reporters for their own articles (checked with the article), as they write those.
    case 'poll.create':
      return atLeast(actor.role, 'editor') || own;
    // Live coverage: whoever may read the article posts entries (reporters on the scene); editors and the article's
    // author open and close it; editors edit or delete anyone's entry (each their own: the service decides).
    case 'live.post':
    case 'article.read':
      return atLeast(actor.role, 'editor') || own || article?.status === 'published';
    // The history holds what readers never saw (removed sources, return notes): the newsroom's, not every reporter's.
    case 'article.revisions':
      return atLeast(actor.role, 'editor') || own;
    case 'article.edit':
      // Reporters may change their own copy only until an editor has taken it over.
      return atLeast(actor.role, 'editor') || (own && (article.status === 'draft' || article.status === 'submitted'));
    case 'article.submit':
      return atLeast(actor.role, 'editor') || own;
    // To the 回收站: reporters their own copy while it is still theirs to edit; which statuses may go is the service's rule.
    case 'article.delete':
      return atLeast(actor.role, 'editor') || (own && (article.status === 'draft' || article.status === 'submitted'));
    case 'article.undelete':
    case 'live.manage':
      return atLeast(actor.role, 'editor') || own;
    case 'article.publish':
    case 'article.schedule':
    case 'article.unpublish':
    case 'article.return':
    case 'article.bulk':
    case 'article.list_all':
    case 'article.curate_related':
    case 'topic.manage':
    case 'reactions.review':
    // Closing a poll and reviewing its held ballots decide what readers see as the result: an editor's call.
    case 'poll.close':
    case 'poll.review':
    // Readers' comments: the queue, replies and bans are the editors'.
    case 'comments.moderate':
    case 'audit.read':
    case 'live.moderate':
      return atLeast(actor.role, 'editor');
    case 'channel.manage':
    case 'account.manage':
    case 'token.manage':
    // Synonyms change what every reader's search finds.
    case 'search.synonyms':
    // An import writes hundreds of articles, channels and accounts at once.
    case 'import.run':
    // The sensitive-word list and channels' moderation mode change what every reader may post.
    case 'comments.configure':
      return atLeast(actor.role, 'admin');
  }
}

export function authorize(actor: Actor, action: Action, article?: ArticleRef): void {
  if (!can(actor, action, article)) throw forbidden(`Your role (${actor.role}) may not ${action.replace('.', ' ')}`);
}

/** Whose an image is to change: its uploader's and every editor's (captions, alt text, deleting it). */
export function canManageMedia(actor: Actor, media: { accountId: number | null }): boolean {
  return atLeast(actor.role, 'editor') || (media.accountId !== null && media.accountId === actor.id);
}

export function authorizeMedia(actor: Actor, media: { accountId: number | null }, verb: 'edit' | 'delete'): void {
  if (!canManageMedia(actor, media)) throw forbidden(`Your role (${actor.role}) may ${verb} only the images you uploaded`);
}

/** Who may change a poll's wording and times: editors, and the reporter who made it while it belongs to their article. */
export function canEditPoll(actor: Actor, poll: { createdBy: number | null }): boolean {
  return atLeast(actor.role, 'editor') || (poll.createdBy !== null && poll.createdBy === actor.id);
}

/** What the newsroom shows as buttons for one poll. */
export function pollAbilities(actor: Actor, poll: { createdBy: number | null }) {
  return { edit: canEditPoll(actor, poll), close: can(actor, 'poll.close'), review: can(actor, 'poll.review'), results: canEditPoll(actor, poll) };
}

/** What the library shows as buttons for one image. */
export function mediaAbilities(actor: Actor, media: { accountId: number | null }) {
  const manage = canManageMedia(actor, media);
  return { edit: manage, delete: manage };
}

/**
 * What an actor may do with an article as it stands (its permission and, for a transition, its status), sent with
 * the article so the newsroom asks "may I publish?" instead of re-deriving the rules (Outline's presentPolicies).
 */
export function articleAbilities(actor: Actor, article: ArticleRef) {
  const may = (action: Action, transition?: Transition) =>
    can(actor, action, article) && (transition === undefined || canTransition(article.status, transition));
  return {
    edit: may('article.edit'),
    submit: may('article.submit', 'submit'),
    return: may('article.return', 'return'),
    publish: may('article.publish', 'publish'),
    schedule: may('article.schedule', 'schedule'),
    unpublish: may('article.unpublish', 'unpublish'),
    // Restoring writes the old content as a new revision: an edit.
    restore: may('article.edit'),
    // To the 回收站: only copy that never was public.
    delete: may('article.delete') && isDeletable(article.status),
    readRevisions: may('article.revisions'),
    curateRelated: may('article.curate_related'),
    // 图文直播: make the article a live, close or reopen it.
    manageLive: may('live.manage'),
  };
}

/** What an actor may do beyond single articles: the newsroom shows the pages and links for these only. */
export function actorAbilities(actor: Actor) {
  return {
    createArticle: can(actor, 'article.create'),
    listAllArticles: can(actor, 'article.list_all'),
    bulkArticles: can(actor, 'article.bulk'),
    manageTopics: can(actor, 'topic.manage'),
    // Home-page slots are curated by whoever curates topics.
    manageSlots: can(actor, 'topic.manage'),
    manageChannels: can(actor, 'channel.manage'),
    manageAccounts: can(actor, 'account.manage'),
    manageTokens: can(actor, 'token.manage'),
    manageSynonyms: can(actor, 'search.synonyms'),
    runImports: can(actor, 'import.run'),
    readAudit: can(actor, 'audit.read'),
    reviewReactions: can(actor, 'reactions.review'),
    // Everyone sees the 投票 page; reporters make polls for their own articles there.
    managePolls: true,
    reviewPolls: can(actor, 'poll.review'),
    moderateComments: can(actor, 'comments.moderate'),
    configureComments: can(actor, 'comments.configure'),
  };
}
