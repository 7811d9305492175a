import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.ts';
import type { Ctx } from '../domain/context.ts';

export interface WebDeps {
  ctx: Ctx;
  config: Config;
}

export const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();
