#!/bin/sh
# npm test: the type check and the import rules run beside the tests instead of before them; any one failing fails
# the command. Arguments go to vitest (npm test -- --project unit).
tsc --noEmit -p . &
typecheck=$!
depcruise src --config .dependency-cruiser.cjs &
imports=$!
vitest run "$@"
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
[ "$failed" -eq 0 ] || exit 1
exit "$tests"
