import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.ts';
import type { Ctx } from '../domain/context.ts';
import type { ImportJobs } from '../domain/imports/jobs.ts';

export interface WebDeps {
  ctx: Ctx;
  config: Config;
  /** Reader-side reads on a PostgreSQL read replica (DATABASE_READ_URL); absent = everything on ctx. See reads.ts. */
  reads?: ReaderReads;
  /** Imports started from the newsroom (the app makes one per process); absent = no import routes. */
  imports?: ImportJobs;
}

/** The composition root's choice of server for reader-side reads (container.ts). */
export interface ReaderReads {
  /**
   * Runs a read-only load with the replica's Ctx when the replica has replayed every change purged so far (else with
   * the primary's); a load that fails on the replica for any reason but a domain error runs again on the primary.
   */
  run<T>(load: (ctx: Ctx) => Promise<T>): Promise<T>;
  /** The replica's Ctx (its store is the replica's; events, clock and the rest are the primary Ctx's own). */
  replica: Ctx;
  /** A change readers can see committed here or elsewhere: reads stay on the primary until the replica has it. */
  written(): void;
  stats(): { replicaReads: number; primaryReads: number; fallbacks: Record<'behind' | 'down' | 'error', number>; up: boolean; lagBytes: number | undefined };
}

export const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();
