#!/bin/sh
# What the tests need from Debian: PostgreSQL and Redis binaries (throwaway servers), Chromium and a CJK font for
# the browser tests. Installed here when missing and we are root (as on a fresh machine or in CI); otherwise the
# exact command to run is printed and the test run stops at once instead of failing half-way.
missing=""
# PostgreSQL's binaries even with INKSTONE_TEST_DATABASE_URL: the read-replica test makes its own primary and a
# streaming standby of it (initdb, pg_basebackup, pg_ctl; pg_stat_statements ships in the same package).
ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1 || missing="$missing postgresql"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing="$missing chromium"
ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || missing="$missing fonts-noto-cjk"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "npm test: installing the Debian packages the tests need:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null && exit 0
  echo "npm test: apt-get could not install:$missing" >&2
  exit 1
fi
echo "npm test needs Debian packages that are not installed. Run:" >&2
echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
exit 1
