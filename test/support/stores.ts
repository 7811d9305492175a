import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, migrate, type Database } from '../../src/storage/database.ts';
import { selectedStores, type StoreKind } from './store-selection.ts';

export type { StoreKind };

/** The stores this run covers: both unless INKSTONE_TEST_STORES narrows them (see store-selection.ts). */
export const STORES: readonly StoreKind[] = selectedStores();

/** For tests wired to one store: `describe.skipIf(!runsOn('postgres'))(…)` skips them when their store is left out. */
export const runsOn = (kind: StoreKind): boolean => STORES.includes(kind);

export interface TestDatabase {
  database: Database;
  dataDir: string;
  databaseUrl: string | undefined;
  cleanup(): Promise<void>;
}

let counter = 0;

async function adminQuery(adminUrl: string, query: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(query);
  } finally {
    await admin.end();
  }
}

/**
 * A fresh database of the given kind, owned by one test file or test. Migrated unless asked not to: on PostgreSQL
 * a clone of the template the global setup migrated once (see postgres.ts), else an empty clone of template0.
 */
export async function openTestDatabase(kind: StoreKind, { migrated = true } = {}): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-test-'));
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (kind === 'postgres') {
    const adminUrl = inject('pgUrl');
    if (!adminUrl) throw new Error('PostgreSQL is not among INKSTONE_TEST_STORES, or this project does not run the PostgreSQL global setup');
    const name = `inkstone_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
    const template = migrated ? inject('pgTemplate') : 'template0';
    await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}" ENCODING 'UTF8'`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    drop = () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
  const database = openDatabase({ databaseUrl, dataDir, poolSize: 20 });
  if (migrated && kind === 'sqlite') await migrate(database);
  return {
    database,
    dataDir,
    databaseUrl,
    async cleanup() {
      await database.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
