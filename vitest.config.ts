import os from 'node:os';
import { defineConfig } from 'vitest/config';

// Only the projects that use PostgreSQL start it (once for all of them; see test/support/postgres.ts).
const postgres = ['test/support/postgres.ts'];

/**
 * Tests in layers, each runnable alone (npm run test:unit, test:integration, test:processes, test:e2e):
 * unit: pure code, no database server, no processes; integration: the app in-process (app.inject, in-process
 * stores); processes: real `inkstone` server and CLI processes; e2e: the demo site in Chromium; quiet: latency
 * figures a test asserts (readers served while the worst body is processed), run alone after the rest by npm test.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time even on two cores (Vitest's default would be one): process and browser tests mostly wait.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    reporters: ['default'],
    // argon2 at its minimum cost in tests (honoured only with NODE_ENV=test); spawned processes inherit it (support/server.ts).
    env: { INKSTONE_ARGON2_COST: 'test' },
    projects: [
      // Files share a worker's modules (isolate: false): each builds its own app and database, and the server code,
      // jieba's dictionary and the client bundles load once per worker instead of once per file.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.{ts,tsx}', 'src/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.{ts,tsx}'], globalSetup: postgres, isolate: false } },
      { extends: true, test: { name: 'processes', include: ['test/processes/**/*.test.{ts,tsx}'], globalSetup: postgres } },
      // Browser flows (sign in, edit, moderate, read) take tens of seconds on a loaded machine: 90 s each.
      // In CI a failed browser test runs once more: headless Chromium now and then stops painting a page under load (see
      // replaceIfFrozen in test/e2e/browser.ts), which no change of ours can prevent; a real failure fails twice.
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.{ts,tsx}'], isolate: false, testTimeout: 90_000, retry: process.env.CI ? 1 : 0 } },
      { extends: true, test: { name: 'quiet', include: ['test/quiet/**/*.test.{ts,tsx}'], globalSetup: postgres, fileParallelism: false } },
    ],
  },
});
