import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './net.ts';
import { findBin } from './postgres.ts';

/**
 * A PostgreSQL primary with a real hot-standby replica fed by streaming replication, both throwaway clusters from
 * Debian's binaries: the replica is a `pg_basebackup -R` of the primary (so it starts as a standby that streams from
 * it) on its own port. Run as Debian's postgres user when we are root, as the shared test server is. Both load
 * pg_stat_statements, so a test can count the statements each server ran for a database.
 */
export interface ReplicatedPostgres {
  /** Admin URLs (database `postgres`). */
  primaryUrl: string;
  replicaUrl: string;
  /** A new database on the primary (it reaches the replica by replication); URLs of it on each server. */
  createDatabase(name: string): Promise<{ primary: string; replica: string }>;
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Resolves once the replica has replayed everything the primary had written when called. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Statements the replica ran in a database, our own replay-position checks left out. */
  replicaStatements(database: string): Promise<number>;
  stopReplica(): void;
  startReplica(): void;
  stop(): void;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const bin = findBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inkstone-pg-replica-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]] : [path.join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const primaryData = path.join(dir, 'primary');
  const replicaData = path.join(dir, 'replica');
  const primaryPort = await freePort();
  let replicaPort = await freePort();
  while (replicaPort === primaryPort) replicaPort = await freePort();
  // Durability off (a test), but commits stay synchronous so the replica can be as close as a real one.
  const options = (port: number) =>
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off -c full_page_writes=off -c shared_preload_libraries=pg_stat_statements -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on`;
  const start = (data: string, port: number) => run('pg_ctl', ['-D', data, '-o', options(port), '-w', '-t', '60', '-l', `${data}.log`, 'start']);
  const stopCluster = (data: string) => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  const url = (port: number, database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;

  let primaryUp = false;
  let replicaUp = false;
  try {
    // initdb's default pg_hba.conf trusts local replication connections, which pg_basebackup and the standby use.
    run('initdb', ['-D', primaryData, '-E', 'UTF8', '--locale=C.UTF-8', '-A', 'trust', '-U', 'postgres']);
    start(primaryData, primaryPort);
    primaryUp = true;
    await query(url(primaryPort), 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    // -R writes standby.signal and primary_conninfo: the copy starts as a standby streaming from the primary.
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaData, '-R', '-X', 'stream', '-c', 'fast']);
    start(replicaData, replicaPort);
    replicaUp = true;
  } catch (err) {
    if (replicaUp) stopCluster(replicaData);
    if (primaryUp) stopCluster(primaryData);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const [recovering] = await query<{ standby: boolean }>(url(replicaPort), 'select pg_is_in_recovery() as standby');
  if (!recovering?.standby) throw new Error('the replica cluster did not start as a standby');

  const replicated: ReplicatedPostgres = {
    primaryUrl: url(primaryPort),
    replicaUrl: url(replicaPort),
    async createDatabase(name) {
      await query(url(primaryPort), `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`);
      await replicated.caughtUp();
      return { primary: url(primaryPort, name), replica: url(replicaPort, name) };
    },
    async pauseReplay() {
      await query(url(replicaPort), 'select pg_wal_replay_pause()');
      // Pausing is asked for; wait until replay has actually stopped.
      for (let i = 0; i < 200; i++) {
        const [row] = await query<{ state: string }>(url(replicaPort), 'select pg_get_wal_replay_pause_state() as state');
        if (row?.state === 'paused') return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('replay did not pause');
    },
    async resumeReplay() {
      await query(url(replicaPort), 'select pg_wal_replay_resume()');
    },
    async caughtUp(timeoutMs = 10_000) {
      const [target] = await query<{ lsn: string }>(url(primaryPort), 'select pg_current_wal_insert_lsn()::text as lsn');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await query<{ done: boolean }>(url(replicaPort), 'select pg_last_wal_replay_lsn() >= $1::pg_lsn as done', [target!.lsn]);
        if (row?.done) return;
        if (Date.now() > deadline) throw new Error(`the replica did not replay up to ${target!.lsn} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async replicaStatements(database) {
      const [row] = await query<{ calls: string | number }>(
        url(replicaPort),
        `select coalesce(sum(s.calls), 0) as calls from pg_stat_statements s join pg_database d on d.oid = s.dbid
         where d.datname = $1 and s.query not like '%pg_last_wal_replay_lsn%'`,
        [database],
      );
      return Number(row?.calls ?? 0);
    },
    stopReplica() {
      run('pg_ctl', ['-D', replicaData, '-m', 'fast', '-w', 'stop']);
    },
    startReplica() {
      start(replicaData, replicaPort);
    },
    stop() {
      try {
        for (const data of [replicaData, primaryData]) {
          try {
            stopCluster(data);
          } catch {
            // Already stopped (a test stopped the replica).
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return replicated;
}
