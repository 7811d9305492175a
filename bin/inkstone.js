#!/usr/bin/env node
// The package bin (`npm start`, `npm run inkstone`): runs the production build, dist/inkstone.js, building it first when
// it is missing or older than the sources (scripts/build.js), so a fresh checkout's `npm start` just works. When the
// build cannot be made (a read-only install without esbuild's binary, say) the sources run through tsx's loader instead.
import { build, isFresh } from '../scripts/build.js';

let built = isFresh();
if (!built) {
  try {
    process.stderr.write('Building dist/ from the sources (npm run build)…\n');
    const { ms } = await build();
    process.stderr.write(`Built in ${Math.round(ms)} ms.\n`);
    built = true;
  } catch (err) {
    process.stderr.write(`The build failed (${err instanceof Error ? err.message : String(err)}); running the sources through tsx instead.\n`);
  }
}
if (built) {
  // Stack traces point into src/*.ts through dist/*.js.map.
  process.setSourceMapsEnabled(true);
  await import('../dist/inkstone.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
