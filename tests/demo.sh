#!/bin/sh
# make demo: the access review against your org (OKTA_CLIENT_ORGURL set) or,
# without one, against the bundled fake org on a local port.
set -e
cd "$(dirname "$0")/.."
EXT=${OKTA_EXT:-build/okta}
PY=${PYTHON:-/usr/bin/python3}
REPORTS=${REPORTS:-sql/effective-access.sql sql/mfa-coverage.sql}
if [ -z "$OKTA_CLIENT_ORGURL" ]; then
  port_file=$(mktemp -u)
  $PY tests/fakeorg/server.py --port 0 --users 2000 --port-file "$port_file" 2>/dev/null &
  pid=$!
  trap 'kill $pid 2>/dev/null' EXIT INT TERM
  while [ ! -s "$port_file" ]; do
    kill -0 $pid 2>/dev/null || { echo "the fake org did not start" >&2; exit 1; }
    sleep 0.1
  done
  OKTA_CLIENT_ORGURL="http://127.0.0.1:$(cat "$port_file")"
  OKTA_CLIENT_TOKEN=$($PY -c 'import sys; sys.path.insert(0, "tests/fakeorg"); from server import DEFAULT_TOKEN; print(DEFAULT_TOKEN)')
  export OKTA_CLIENT_ORGURL OKTA_CLIENT_TOKEN
  rm -f "$port_file"
  echo "No OKTA_CLIENT_ORGURL set: using the bundled fake org at $OKTA_CLIENT_ORGURL" >&2
fi
for report in $REPORTS; do
  echo "== $report"
  sqlite3 -bail -cmd ".load $EXT" -cmd ".parameter set @limit ${LIMIT:-20}" :memory: < "$report"
done
