#!/bin/sh
# make demo and make evidence: the access review against your org (an org
# URL set in OKTA_CLIENT_ORGURL or okta.yaml) or, without one, against the
# bundled fake org on a local port.
#
#   sh tests/demo.sh                  reports in the sqlite3 shell (REPORTS, LIMIT rows each)
#   sh tests/demo.sh evidence [ARGS]  tools/evidence.py ARGS: the HTML evidence report
#
# With the fake org, evidence first saves a snapshot of it, then moves the
# fake org to a later state (one user deprovisioned, one hired, an app
# assignment removed, an admin role granted) so the page has changes to
# show; the page and its CSVs go to build/demo/. --mirror FILE needs no org.
set -e
cd "$(dirname "$0")/.."
EXT=${OKTA_EXT:-build/okta}
PY=${PYTHON:-/usr/bin/python3}
REPORTS=${REPORTS:-sql/effective-access.sql sql/mfa-coverage.sql sql/admins.sql}
mode=reports
if [ "$1" = evidence ]; then mode=evidence; shift; fi
case " $* " in *" --mirror"*) mirror=1 ;; *) mirror= ;; esac

# The org the extension would use (environment, then okta.yaml), if any.
org=$(sqlite3 -bail -cmd ".load $EXT" :memory: "SELECT coalesce(okta_config('orgUrl'), '')")
fake=
if [ -z "$org" ] && [ -z "$mirror" ]; then
  port_file=$(mktemp -u)
  $PY tests/fakeorg/server.py --port 0 --users 2000 --port-file "$port_file" 2>/dev/null &
  pid=$!
  trap 'status=$?; kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; exit $status' EXIT  # the fake org ends with us
  trap 'exit 130' INT TERM
  while [ ! -s "$port_file" ]; do
    kill -0 $pid 2>/dev/null || { echo "the fake org did not start" >&2; exit 1; }
    sleep 0.1
  done
  OKTA_CLIENT_ORGURL="http://127.0.0.1:$(cat "$port_file")"
  OKTA_CLIENT_TOKEN=$($PY -c 'import sys; sys.path.insert(0, "tests/fakeorg"); from server import DEFAULT_TOKEN; print(DEFAULT_TOKEN)')
  export OKTA_CLIENT_ORGURL OKTA_CLIENT_TOKEN
  rm -f "$port_file"
  fake=1
  echo "No org configured (OKTA_CLIENT_ORGURL or okta.yaml): using the bundled fake org \"Acme Corp\" at $OKTA_CLIENT_ORGURL" >&2
fi

if [ "$mode" = evidence ]; then
  if [ -n "$fake" ]; then
    rm -rf build/demo && mkdir -p build/demo/snapshots
    sqlite3 -bail -cmd ".load $EXT" \
      -cmd ".parameter set @file build/demo/snapshots/okta-snapshot-$(date -u +%Y-%m-%dT%H%M%SZ).db" :memory: \
      < sql/snapshot.sql >/dev/null
    $PY -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/__fake/org", data=b"{\"version\": 2}"), timeout=120).read()' "$OKTA_CLIENT_ORGURL"
    echo "Demo: saved a snapshot of the fake org, then changed the org (a user deprovisioned, one hired, an app assignment removed, an admin role granted)" >&2
    sleep 1  # the next snapshot is named by the second it is taken
    set -- --out build/demo/okta-evidence.html --snapshots build/demo/snapshots "$@"
  fi
  $PY tools/evidence.py --ext "$EXT" "$@"
  exit 0
fi

for report in $REPORTS; do
  echo
  echo "== $report: $(sed -n '1,/^--$/s/^-- //p' "$report" | sed '/^Run:/,$d' | tr '\n' ' ' | sed 's/ *$//')"
  sqlite3 -bail -cmd ".load $EXT" -cmd ".parameter set @limit ${LIMIT:-10}" :memory: < "$report"
done

# The mirror: a first sync, a churn of the bundled fake org (1% of its users'
# worth of changes of every kind, with their System Log events), an
# incremental sync, and what it changed. Skipped against a real org.
if [ -n "$fake" ]; then
  mirror_dir=$(mktemp -d)
  trap 'status=$?; kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$mirror_dir"; exit $status' EXIT
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
echo
echo "Every report is in sql/ (README: Reports). The evidence report, one HTML page with charts and CSVs: make evidence"
