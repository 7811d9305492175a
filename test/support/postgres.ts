import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.ts';
import type { TestProject } from 'vitest/node';

/**
 * Every storage test runs on PostgreSQL too. Use INKSTONE_TEST_DATABASE_URL when given (a server where we may
 * CREATE DATABASE); otherwise start a throwaway cluster from Debian's PostgreSQL binaries for this run.
 * Without either the run fails: PostgreSQL tests are never silently skipped.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

function findBin(): string {
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

export default async function setup(project: TestProject) {
  const given = process.env.INKSTONE_TEST_DATABASE_URL;
  if (given) {
    project.provide('pgUrl', given);
    return;
  }
  const pg = await startThrowawayPostgres();
  project.provide('pgUrl', pg.url);
  return () => pg.stop();
}
