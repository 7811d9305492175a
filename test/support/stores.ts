import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, migrate, type Database } from '../../src/storage/database.ts';

export const STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

export interface TestDatabase {
  database: Database;
  dataDir: string;
  databaseUrl: string | undefined;
  cleanup(): Promise<void>;
}

let counter = 0;

/** A fresh, migrated database of the given kind, owned by one test file or test. */
export async function openTestDatabase(kind: StoreKind, { migrated = true } = {}): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-test-'));
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (kind === 'postgres') {
    const adminUrl = inject('pgUrl');
    const name = `inkstone_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    };
  }
  const database = openDatabase({ databaseUrl, dataDir, poolSize: 20 });
  if (migrated) await migrate(database);
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
