import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './net.ts';
import { selectedStores } from './store-selection.ts';
import type { TestProject } from 'vitest/node';

/**
 * Every storage test runs on PostgreSQL too. Use INKSTONE_TEST_DATABASE_URL when given (a server where we may
 * CREATE DATABASE); otherwise start a throwaway cluster from Debian's PostgreSQL binaries for this run.
 * Without either the run fails: PostgreSQL tests are never silently skipped (only INKSTONE_TEST_STORES=sqlite
 * leaves PostgreSQL out, and then nothing is started).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the server; '' when PostgreSQL is not among the selected stores. */
    pgUrl: string;
    /** A database with every migration applied; test databases are cloned from it (see stores.ts). */
    pgTemplate: string;
  }
}

export function findBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) {
    throw new Error(
      'PostgreSQL is needed for the tests: install it (apt-get install -y postgresql) or set INKSTONE_TEST_DATABASE_URL to a server where the tests may create databases.',
    );
  }
  return path.join(base, versions[0], 'bin');
}

/**
 * A throwaway PostgreSQL cluster from Debian's binaries in a temp folder, on a free port, with a UTF-8 locale.
 * `durable: false` turns fsync off, for tests; benchmarks keep PostgreSQL's stock durability.
 */
export async function startThrowawayPostgres({ durable = false } = {}): Promise<{ url: string; stop(): void }> {
  const bin = findBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-pg-'));
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root: run the cluster as Debian's postgres user then.
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    const r = spawnSync(file, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  run(path.join(bin, 'initdb'), ['-D', data, '-E', 'UTF8', '--locale=C.UTF-8', '-A', 'trust', '-U', 'postgres']);
  const port = await freePort();
  const fast = durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300${fast}`;
  run(path.join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-w', '-l', path.join(dir, 'log'), 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates the migrated template once per run; nobody may connect to it afterwards, so clones never find it busy. */
async function createTemplate(adminUrl: string): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `inkstone_template_${process.pid}_${Date.now().toString(36)}`;
  const admin = async (query: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(query);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // Loaded here, not at the top: a run without PostgreSQL never needs the storage code in the main process.
  const { migrate, openDatabase } = await import('../../src/storage/database.ts');
  const database = openDatabase({ databaseUrl: url.toString(), dataDir: os.tmpdir(), poolSize: 1 });
  try {
    await migrate(database);
  } finally {
    await database.close();
  }
  // CREATE DATABASE … TEMPLATE fails while anyone is connected to the template: from here on nobody can be.
  await admin(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
  return { name, drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

interface SharedPostgres {
  users: number;
  ready: Promise<{ url: string; template: string; stop(): Promise<void> }>;
}

async function startShared(): Promise<Awaited<SharedPostgres['ready']>> {
  const given = process.env.INKSTONE_TEST_DATABASE_URL;
  const server = given ? { url: given, stop() {} } : await startThrowawayPostgres();
  try {
    const template = await createTemplate(server.url);
    return {
      url: server.url,
      template: template.name,
      async stop() {
        try {
          // A throwaway cluster goes as a whole; on a given server, clean up after ourselves.
          if (given) await template.drop();
        } finally {
          server.stop();
        }
      },
    };
  } catch (err) {
    server.stop();
    throw err;
  }
}

// Every project that needs PostgreSQL lists this setup, and Vitest runs it once per project in its main process:
// they share one server and one template, and the last teardown stops it.
const SHARED = Symbol.for('inkstone.test.postgres');
const registry = globalThis as { [SHARED]?: SharedPostgres };

export default async function setup(project: TestProject) {
  if (!selectedStores().includes('postgres')) {
    project.provide('pgUrl', '');
    project.provide('pgTemplate', '');
    return;
  }
  const shared = (registry[SHARED] ??= { users: 0, ready: startShared() });
  shared.users++;
  const release = async () => {
    if (--shared.users > 0) return;
    delete registry[SHARED];
    await (await shared.ready).stop();
  };
  try {
    const { url, template } = await shared.ready;
    project.provide('pgUrl', url);
    project.provide('pgTemplate', template);
  } catch (err) {
    if (--shared.users === 0) delete registry[SHARED];
    throw err;
  }
  return release;
}
