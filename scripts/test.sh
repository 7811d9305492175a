#!/bin/sh
# npm test: the type check runs beside the tests instead of before them; either one failing fails the command.
# Arguments go to vitest (npm test -- --project unit).
tsc --noEmit -p . &
typecheck=$!
vitest run "$@"
tests=$?
if ! wait "$typecheck"; then
  echo 'npm test: the type check failed (errors above)' >&2
  exit 1
fi
exit "$tests"
