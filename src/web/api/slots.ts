import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { notFound } from '../../domain/errors.ts';
import { isSlotName, listSlot, setSlot, SLOTS } from '../../domain/slots/service.ts';
import { AUTH_OPTIONAL, AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { readerLoad } from '../reads.ts';
import { slotOut } from '../presenters/articles.ts';

const SlotParams = Type.Object({ slot: Type.String({ maxLength: 40 }) });
const SlotBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { article: Type.Integer({ minimum: 1 }), expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time', maxLength: 40 }), Type.Null()])) },
        { additionalProperties: false },
      ),
      { maxItems: 20 },
    ),
  },
  { additionalProperties: false },
);

function slotName(slot: string) {
  if (!isSlotName(slot)) throw notFound(`Slot ${slot} (known: ${Object.keys(SLOTS).join(', ')})`);
  return slot;
}

/** The home page's hand-picked places (视觉焦点, 头条): public to read, set by editors. */
export function slotRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { ctx } = deps;
  const api = typed(app);

  api.get('/slots/:slot', { config: AUTH_OPTIONAL, schema: { params: SlotParams } }, async (req, reply) => {
    // Editors see the slot's unpublished articles too: only the anonymous answer may be shared by caches.
    if (req.auth) reply.header('cache-control', 'no-store');
    return slotOut(await readerLoad(deps, req, (c) => listSlot(c, req.auth?.actor, slotName(req.params.slot))));
  });

  api.put('/slots/:slot', { config: AUTH_REQUIRED, schema: { params: SlotParams, body: SlotBody } }, async (req) => {
    const items = req.body.items.map((i) => ({ articleId: i.article, expiresAt: i.expiresAt ? Date.parse(i.expiresAt) : null }));
    return slotOut(await setSlot(ctx, req.actor, slotName(req.params.slot), items));
  });
}
