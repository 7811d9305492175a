/**
 * The direction of dependencies in src/, checked by `npm run lint:deps` (see docs/ARCHITECTURE.md):
 * web → domain ← storage, with the composition root (app.ts, container.ts, server.ts, bootstrap.ts, cli/) the only
 * code that sees both sides; the browser bundles apart from the server. Type-only imports count: the rules are about
 * what a module depends on, not about what survives compilation.
 */

/** The composition root: the only modules (besides storage itself) that may reach into storage. */
const COMPOSITION_ROOT = '^src/(app|container|server|bootstrap)[.]ts$|^src/cli/';

/** Server-side libraries the domain must not know: HTTP, SQL, database drivers, Redis. */
const INFRASTRUCTURE_PACKAGES = '(^|/)node_modules/(fastify|@fastify/[^/]+|kysely|pg|better-sqlite3|ioredis)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules in a cycle cannot be understood, tested or loaded one without the other.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'domain-not-to-outer-layers',
      severity: 'error',
      comment: 'The domain is plain TypeScript: it declares the ports it needs (domain/store.ts) and never sees their implementations.',
      from: { path: '^src/domain/' },
      to: { path: [`^src/(storage|web|jobs|cli|demo)/`, COMPOSITION_ROOT] },
    },
    {
      name: 'domain-not-to-infrastructure',
      severity: 'error',
      comment: 'No HTTP framework, query builder, database driver or Redis client in the domain.',
      from: { path: '^src/domain/' },
      to: { path: INFRASTRUCTURE_PACKAGES },
    },
    {
      name: 'storage-not-to-web',
      severity: 'error',
      comment: 'Storage implements the domain’s ports; it knows nothing of requests, pages or jobs.',
      from: { path: '^src/storage/' },
      to: { path: [`^src/(web|jobs|cli|demo)/`, COMPOSITION_ROOT] },
    },
    {
      name: 'storage-only-from-composition-root',
      severity: 'error',
      comment: 'Web, jobs and demo code reach storage through the Ctx the composition root (src/container.ts) hands them.',
      from: { path: '^src/', pathNot: [`^src/storage/`, COMPOSITION_ROOT] },
      to: { path: '^src/storage/' },
    },
    {
      name: 'bundles-not-to-server',
      severity: 'error',
      comment: 'src/client and src/admin run in browsers: of the server they see only the contract in src/shared.',
      from: { path: '^src/(client|admin)/' },
      to: { path: '^src/', pathNot: '^src/(client|admin|shared)/' },
    },
    {
      name: 'bundles-take-shared-types-only',
      severity: 'error',
      comment: 'src/shared describes the server’s answers with types taken from its presenters: importing a value would bundle server code.',
      from: { path: '^src/(client|admin)/' },
      to: { path: '^src/shared/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    // Type-only imports are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
