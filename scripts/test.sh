#!/bin/sh
# npm test: the type check runs beside the tests instead of before them; either one failing fails the command.
# The quiet project (latency assertions) runs last, alone, once the machine is idle.
# Arguments go to vitest instead (npm test -- --project unit).
if [ "$#" -gt 0 ]; then exec vitest run "$@"; fi
sh "$(dirname "$0")/test-deps.sh" || exit 1
tsc --noEmit -p . &
typecheck=$!
vitest run --project unit --project integration --project processes --project e2e
tests=$?
if ! wait "$typecheck"; then
  echo 'npm test: the type check failed (errors above)' >&2
  exit 1
fi
[ "$tests" -eq 0 ] || exit "$tests"
exec vitest run --project quiet
