#!/bin/sh
# npm test: the type check, the import rules and Biome (format + lint) run beside the tests instead of before
# them; any one failing fails the command. The quiet project (latency assertions) runs last, alone, once the machine is idle.
# Arguments go to vitest instead (npm test -- --project unit).
if [ "$#" -gt 0 ]; then exec vitest run "$@"; fi
sh "$(dirname "$0")/test-deps.sh" || exit 1
tsc --noEmit -p . &
typecheck=$!
depcruise src --config .dependency-cruiser.cjs &
imports=$!
biome check . > /tmp/inkstone-biome.$$ 2>&1 &
style=$!
vitest run --project unit --project integration --project processes --project e2e
tests=$?
failed=0
if ! wait "$typecheck"; then
  echo 'npm test: the type check failed (errors above)' >&2
  failed=1
fi
if ! wait "$imports"; then
  echo 'npm test: an import breaks the dependency rules of .dependency-cruiser.cjs (npm run lint:deps)' >&2
  failed=1
fi
if ! wait "$style"; then
  cat /tmp/inkstone-biome.$$ >&2
  echo 'npm test: formatting or lint rules fail (npx biome check --write . fixes what it can)' >&2
  failed=1
fi
rm -f /tmp/inkstone-biome.$$
[ "$failed" -eq 0 ] || exit 1
[ "$tests" -eq 0 ] || exit "$tests"
exec vitest run --project quiet
