import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { heartbeat } from '../../domain/articles/presence.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { presenceOut } from '../presenters/articles.ts';
import { IdParams } from './schemas.ts';

const PresenceBody = Type.Object({ editing: Type.Boolean() }, { additionalProperties: false });

/** The editor's heartbeat (every 5 s while an article is open): records the caller, answers who else is there. */
export function presenceRoutes(app: FastifyInstance, { ctx }: WebDeps): void {
  const api = typed(app);

  api.post('/articles/:id/presence', { config: AUTH_REQUIRED, schema: { params: IdParams, body: PresenceBody }, bodyLimit: 1024 }, async (req) =>
    presenceOut(await heartbeat(ctx, req.actor, req.params.id, req.body)),
  );
}
