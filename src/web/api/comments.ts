import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { COMMENT_STATUSES } from '../../domain/comments/comment.ts';
import {
  banCommenter,
  COMMENT_LIMITS,
  commentQueue,
  commentSettings,
  decideComment,
  likeComment,
  likedComments,
  liftBan,
  listBans,
  postComment,
  publicComments,
  replyToComment,
  setChannelModeration,
} from '../../domain/comments/service.ts';
import { addWords, deleteWord, listWords, updateWord, WORD_LIMITS } from '../../domain/moderation/service.ts';
import { WORD_ACTIONS } from '../../domain/moderation/word.ts';
import { AUTH_REQUIRED, requireSameOrigin } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { banOut, commentNewsroom, commentPosted, commentPublic, sensitiveWordOut } from '../presenters/comments.ts';
import { readerOf, setReaderCookie } from '../reader.ts';
import { IdParams, MAX_ID } from './schemas.ts';

// Bounds of the shape only: the domain counts characters (≤ 500) and says so in its words.
const PostBody = Type.Object(
  { nickname: Type.Optional(Type.String({ maxLength: 200 })), body: Type.String({ maxLength: 4000 }) },
  { additionalProperties: false },
);
const PublicQuery = Type.Object(
  { before: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) },
  { additionalProperties: false },
);
const QueueQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(COMMENT_STATUSES.map((s) => Type.Literal(s)))),
    articleId: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })),
    after: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
const ReplyBody = Type.Object({ text: Type.String({ maxLength: 4000 }) }, { additionalProperties: false });
const BanBody = Type.Union([
  Type.Object(
    { commentId: Type.Integer({ minimum: 1, maximum: MAX_ID }), kind: Type.Union([Type.Literal('reader'), Type.Literal('prefix')]) },
    { additionalProperties: false },
  ),
  Type.Object({ prefix: Type.String({ minLength: 1, maxLength: 60 }) }, { additionalProperties: false }),
]);
const SettingBody = Type.Object({ moderation: Type.Union([Type.Literal('pre'), Type.Literal('post')]) }, { additionalProperties: false });
const Action = Type.Union(WORD_ACTIONS.map((a) => Type.Literal(a)));
const WordBody = Type.Union([
  Type.Object({ word: Type.String({ maxLength: 200 }), action: Action }, { additionalProperties: false }),
  // A pasted or uploaded list: one word a line, an action after it or `action` for all (domain/moderation/service.ts).
  Type.Object({ text: Type.String({ maxLength: 2_000_000 }), action: Action }, { additionalProperties: false }),
]);
const WordPatch = Type.Object({ word: Type.String({ maxLength: 200 }), action: Action }, { additionalProperties: false });

/** A comment is a few hundred characters: anonymous posts take small bodies. */
const ANONYMOUS_BODY_LIMIT = 16 * 1024;

/**
 * Readers' comments (public: post, list, like) and their moderation (newsroom: the queue, decisions, replies, bans,
 * channels' modes, the sensitive-word list). Every newsroom change is audited.
 */
export function commentRoutes(app: FastifyInstance, { ctx, config }: WebDeps): void {
  const api = typed(app);
  const siteOrigin = new URL(config.siteUrl).origin;

  api.get('/articles/:id/comments', { schema: { params: IdParams, querystring: PublicQuery } }, async (req) => {
    const { items, total } = await publicComments(ctx, req.params.id, req.query);
    const liked = await likedComments(
      ctx,
      readerOf(req, config),
      items.map((c) => c.id),
    );
    return { items: items.map(commentPublic), total, liked, nextBefore: items.length === (req.query.limit ?? COMMENT_LIMITS.page) ? items.at(-1)!.id : null };
  });

  api.post('/articles/:id/comments', { schema: { params: IdParams, body: PostBody }, bodyLimit: ANONYMOUS_BODY_LIMIT }, async (req, reply) => {
    requireSameOrigin(req, siteOrigin);
    const posted = await postComment(ctx, {
      articleId: req.params.id,
      nickname: req.body.nickname,
      body: req.body.body,
      readerId: readerOf(req, config),
      address: req.ip,
    });
    if (posted.newReader) setReaderCookie(reply, config, posted.readerId);
    return reply.code(posted.repeated ? 200 : 201).send({ comment: commentPosted(posted.comment), repeated: posted.repeated });
  });

  api.post('/comments/:id/likes', { schema: { params: IdParams }, bodyLimit: 1024 }, async (req, reply) => {
    requireSameOrigin(req, siteOrigin);
    const like = await likeComment(ctx, { commentId: req.params.id, readerId: readerOf(req, config), address: req.ip });
    if (like.newReader) setReaderCookie(reply, config, like.readerId);
    return { likes: like.likes, liked: true, added: like.added };
  });

  // ——— The newsroom ———

  api.get('/comments', { config: AUTH_REQUIRED, schema: { querystring: QueueQuery } }, async (req) => {
    const limit = req.query.limit ?? 50;
    const { items, counts } = await commentQueue(ctx, req.actor, { ...req.query, status: req.query.status ?? 'pending', limit });
    return { items: items.map((c) => commentNewsroom(c, req.actor)), counts, nextAfter: items.length === limit ? items.at(-1)!.id : null };
  });

  api.post('/comments/:id/approve', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req) =>
    commentNewsroom(await decideComment(ctx, req.actor, req.params.id, 'approve'), req.actor),
  );

  api.post('/comments/:id/reject', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req) =>
    commentNewsroom(await decideComment(ctx, req.actor, req.params.id, 'reject'), req.actor),
  );

  api.put('/comments/:id/reply', { config: AUTH_REQUIRED, schema: { params: IdParams, body: ReplyBody } }, async (req) =>
    commentNewsroom(await replyToComment(ctx, req.actor, req.params.id, req.body.text), req.actor),
  );

  api.get('/comments/bans', { config: AUTH_REQUIRED }, async (req) => ({ items: (await listBans(ctx, req.actor)).map(banOut) }));

  api.post('/comments/bans', { config: AUTH_REQUIRED, schema: { body: BanBody } }, async (req, reply) =>
    reply.code(201).send(banOut(await banCommenter(ctx, req.actor, req.body))),
  );

  api.delete('/comments/bans/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) => {
    await liftBan(ctx, req.actor, req.params.id);
    return reply.code(204).send();
  });

  api.get('/comments/settings', { config: AUTH_REQUIRED }, async (req) => ({ channels: await commentSettings(ctx, req.actor) }));

  api.put('/comments/settings/:id', { config: AUTH_REQUIRED, schema: { params: IdParams, body: SettingBody } }, async (req) => {
    await setChannelModeration(ctx, req.actor, req.params.id, req.body.moderation);
    return { channelId: req.params.id, moderation: req.body.moderation };
  });

  api.get('/moderation/words', { config: AUTH_REQUIRED }, async (req) => ({
    items: (await listWords(ctx, req.actor)).map(sensitiveWordOut),
    limits: WORD_LIMITS,
  }));

  api.post('/moderation/words', { config: AUTH_REQUIRED, schema: { body: WordBody } }, async (req, reply) => {
    return reply.code(201).send(await addWords(ctx, req.actor, req.body));
  });

  api.patch('/moderation/words/:id', { config: AUTH_REQUIRED, schema: { params: IdParams, body: WordPatch } }, async (req) =>
    sensitiveWordOut(await updateWord(ctx, req.actor, req.params.id, req.body)),
  );

  api.delete('/moderation/words/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req, reply) => {
    await deleteWord(ctx, req.actor, req.params.id);
    return reply.code(204).send();
  });
}
