import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseTrustProxy } from '../../src/config.ts';

const dir = () => mkdtempSync(path.join(os.tmpdir(), 'inkstone-config-'));

describe('configuration', () => {
  it('has the documented defaults', () => {
    const dataDir = dir();
    const c = loadConfig({ INKSTONE_DATA_DIR: dataDir });
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      demo: true,
      trustProxy: false,
      timeZone: 'Asia/Shanghai',
      siteUrl: 'http://127.0.0.1:3000',
    });
    // The generated secret is kept in the data dir and reused on the next start.
    expect(readFileSync(path.join(dataDir, 'secret'), 'utf8').trim()).toBe(c.secret);
    expect(loadConfig({ INKSTONE_DATA_DIR: dataDir }).secret).toBe(c.secret);
  });

  it('fails at start with a clear message on bad values', () => {
    expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), DATABASE_URL: 'mysql://x' })).toThrow(/postgres/);
    expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), INKSTONE_SITE_URL: 'ftp://x' })).toThrow(ConfigError);
    expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), INKSTONE_SECRET: 'short' })).toThrow(ConfigError);
  });

  it('reads INKSTONE_DEMO=0 and TRUST_PROXY forms', () => {
    expect(loadConfig({ INKSTONE_DATA_DIR: dir(), INKSTONE_DEMO: '0' }).demo).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1')).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(parseTrustProxy(undefined)).toBe(false);
  });

  it('takes DATABASE_READ_URL only beside a PostgreSQL DATABASE_URL', () => {
    const primary = 'postgres://inkstone@db1/inkstone';
    expect(loadConfig({ INKSTONE_DATA_DIR: dir() })).toMatchObject({ databaseReadUrl: undefined, replicaMaxLagMs: 5000 });
    const c = loadConfig({
      INKSTONE_DATA_DIR: dir(),
      DATABASE_URL: primary,
      DATABASE_READ_URL: ' postgres://inkstone@db2/inkstone ',
      INKSTONE_REPLICA_MAX_LAG: '20',
    });
    expect(c).toMatchObject({ databaseUrl: primary, databaseReadUrl: 'postgres://inkstone@db2/inkstone', replicaMaxLagMs: 20_000 });
    // SQLite has no replicas: refused at start, naming both settings, rather than silently ignored.
    expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), DATABASE_READ_URL: 'postgres://inkstone@db2/inkstone' })).toThrow(
      /DATABASE_READ_URL is set but DATABASE_URL is not.*SQLite/,
    );
    expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), DATABASE_URL: primary, DATABASE_READ_URL: 'mysql://db2' })).toThrow(ConfigError);
    expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), DATABASE_URL: primary, INKSTONE_REPLICA_MAX_LAG: 'soon' })).toThrow(ConfigError);
    expect(loadConfig({ INKSTONE_DATA_DIR: dir(), DATABASE_URL: primary, DATABASE_READ_URL: '' }).databaseReadUrl).toBeUndefined();
  });
});
