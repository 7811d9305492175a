import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ColumnDataType, ColumnDefinitionBuilder, Kysely, Migration, MigrationProvider } from 'kysely';
import { BUNDLED, packageFile } from '../../package-files.ts';

export type Dialect = 'sqlite' | 'postgres';

/** What differs between the stores in DDL; each migration gets it instead of asking for the dialect. */
export interface MigrationContext {
  dialect: Dialect;
  /** Column type of a surrogate key. */
  id: ColumnDataType;
  /** Makes a surrogate key column the primary key (AUTOINCREMENT on SQLite so ids are never reused). */
  pk: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
  /** Column type of millisecond timestamps and other large integers. */
  bigint: ColumnDataType;
}

export function migrationContext(dialect: Dialect): MigrationContext {
  return dialect === 'sqlite'
    ? { dialect, id: 'integer', pk: (c) => c.primaryKey().autoIncrement(), bigint: 'integer' }
    : { dialect, id: 'serial', pk: (c) => c.primaryKey(), bigint: 'bigint' };
}

interface MigrationModule {
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
  down?(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}

// The production build (scripts/build.js) compiles each dated file to dist/migrations/<same name>.js.
const folder = BUNDLED ? packageFile('dist/migrations') : path.dirname(fileURLToPath(import.meta.url));
const DATED = BUNDLED ? /^\d{4}-\d{2}-\d{2}T\d{4}-[\w-]+\.js$/ : /^\d{4}-\d{2}-\d{2}T\d{4}-[\w-]+\.ts$/;

/** The names of the dated migrations (without reading the files), as Kysely records them once applied. */
export async function migrationNames(): Promise<string[]> {
  return (await readdir(folder))
    .filter((f) => DATED.test(f))
    .map((f) => f.replace(/\.[jt]s$/, ''))
    .sort();
}

/** Migrations are the dated files beside this one, applied in name order; Kysely records which ran (by name, without the extension). */
export class DatedFileMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const ctx = migrationContext(this.dialect);
    const files = (await readdir(folder)).filter((f) => DATED.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const mod = (await import(pathToFileURL(path.join(folder, file)).href)) as MigrationModule;
      const down = mod.down;
      migrations[file.replace(/\.[jt]s$/, '')] = {
        up: (db) => mod.up(db, ctx),
        ...(down ? { down: (db: Kysely<unknown>) => down(db, ctx) } : {}),
      };
    }
    return migrations;
  }
}
