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

# The mirror: a first sync, a churn of the bundled fake org (1% of its users'
# worth of changes of every kind, with their System Log events), an
# incremental sync, and what it changed. Skipped against a real org.
if [ -n "$pid" ]; then
  mirror_dir=$(mktemp -d)
  trap 'kill $pid 2>/dev/null; rm -rf "$mirror_dir"' EXIT INT TERM
  summary="SELECT printf('%s sync: %d requests, %d changes, %.1f s', j->>'mode', j->>'requests', j->>'changes', j->>'seconds')
           FROM (SELECT okta_sync('$mirror_dir/okta.db') AS j)"
  echo "== okta_sync('okta.db'): the first run pulls the org"
  sqlite3 -bail -cmd ".load $EXT" :memory: "$summary"
  echo "== the org changes (20 changes of every kind, written to the System Log)"
  $PY -c 'import json, sys, urllib.request
r = urllib.request.Request(sys.argv[1] + "/__fake/mutate", json.dumps({"random": {"seed": 1, "count": 20}}).encode())
print(", ".join(sorted({a["kind"] for a in json.load(urllib.request.urlopen(r))["applied"]})))' "$OKTA_CLIENT_ORGURL"
  echo "== okta_sync('okta.db') again: only what the log and lastUpdated name"
  sqlite3 -bail -cmd ".load $EXT" :memory: "$summary"
  echo "== sql/changes.sql on the mirror"
  sqlite3 -bail "$mirror_dir/okta.db" < sql/changes.sql | head -n 12
  sqlite3 -bail "$mirror_dir/okta.db" < sql/changes.sql | tail -n 1
fi
