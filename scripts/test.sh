#!/bin/sh
# npm test: the type check, the import rules and Biome (format + lint) run beside the tests instead of before
# them; any one failing fails the command. The quiet project (latency assertions) runs last, alone, once the machine is idle.
# Arguments go to vitest instead (npm test -- --project unit).
if [ "$#" -gt 0 ]; then exec vitest run "$@"; fi
sh "$(dirname "$0")/test-deps.sh" || exit 1
# Vitest's output is kept too: when a run fails, what failed is printed again at the very end (a CI log's tail is
# often all that is read, and an unhandled error's message is printed far above the summary).
log=$(mktemp /tmp/inkstone-test-log.XXXXXX)
# A run's output into the log as well, its exit status kept (sh has no pipefail).
tests_logged() {
  { vitest run "$@" 2>&1; echo "$?" > "$log.rc"; } | tee -a "$log"
  return "$(cat "$log.rc")"
}
# The failed tests and unhandled errors of the log, each with its message: a few lines each, colours left out.
digest() {
  echo 'npm test: what failed (the whole output is above):' >&2
  sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
    /^ *FAIL |Unhandled (Error|Rejection) ⎯/ { n = 3 }
    /originated in|latest test that might/ { n = 1 }
    n > 0 && !/^ *⎯+ *$/ { print; n-- }' | head -30 >&2
}
tsc --noEmit -p . &
typecheck=$!
depcruise src --config .dependency-cruiser.cjs &
imports=$!
biome check . > /tmp/inkstone-biome.$$ 2>&1 &
style=$!
tests_logged --project unit --project integration --project processes --project e2e
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
if [ "$tests" -eq 0 ] && [ "$failed" -eq 0 ]; then
  tests_logged --project quiet
  tests=$?
fi
[ "$tests" -eq 0 ] || digest
rm -f "$log" "$log.rc"
[ "$failed" -eq 0 ] || exit 1
exit "$tests"
