import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import type * as IoRedis from 'ioredis';

/**
 * Client libraries a process may never need, loaded on first use: a SQLite site without Redis pays for neither
 * node-postgres nor ioredis at start-up (together ~100 ms of CPU and several MB per process; bench/startup.ts).
 * Both are CommonJS, so `require` loads them synchronously where a pool or client is made.
 */
const require = createRequire(import.meta.url);

let pg: typeof Pg | undefined;

export function pgDriver(): typeof Pg {
  if (!pg) {
    pg = require('pg') as typeof Pg;
    // int8 (bigint timestamps, count(*)) arrives from pg as a string; every value we keep fits a JS number.
    pg.types.setTypeParser(20, (v) => Number(v));
  }
  return pg;
}

export const redisDriver = (): typeof IoRedis => require('ioredis') as typeof IoRedis;
