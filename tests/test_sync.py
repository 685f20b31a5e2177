"""okta_sync: the mirror kept current from the System Log.

The property test syncs a seeded org in full, applies a random batch of
changes of every kind through the fake org's control endpoint (which writes
the System Log events real Okta writes), syncs incrementally, and compares
the mirror with a fresh full sync into another file: every table, every row,
every column. make test runs a few seeds on a 300-user org; more with

    OKTA_SYNC_SEEDS=1-200 OKTA_SYNC_USERS=2000 python3 -m pytest tests/test_sync.py -k property
"""

import hashlib
import json
import os
import re
import random
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import EXT, HERE, connect, start_fake

USERS = int(os.environ.get("OKTA_SYNC_USERS", "300"))
SEED = 7
BOOKKEEPING = ("okta_sync_runs", "okta_changes", "okta_sync_tables", "okta_sync_seen")
SQL = os.path.join(HERE, "..", "sql")


def seeds():
    spec = os.environ.get("OKTA_SYNC_SEEDS", "1-5")
    out = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


@pytest.fixture(scope="module")
def org():
    f = start_fake(users=USERS, seed=SEED)
    yield f
    f.proc.terminate()
    f.proc.wait()


@pytest.fixture
def fake(org):
    org.rebuild(users=USERS, seed=SEED)
    org.reset()
    yield org
    org.reset()


def mutate(fake, ops=None, lag=0, random_batch=None, seed=None):
    body = {"lag": lag, "seed": seed}
    if random_batch:
        body["random"] = random_batch
    else:
        body["ops"] = ops
    return fake._call("/__fake/mutate", body)["applied"]


def unexpected(warnings):
    """A run's warnings other than the graph's edges that are no edge (the
    fixture holds an AWS app whose roles give no IAM role ARN)."""
    return [w for w in warnings if "gives no IAM role ARN" not in w]


def sync(conn, path, mode=None):
    args = (str(path),) if mode is None else (str(path), mode)
    return json.loads(conn.execute("SELECT okta_sync(%s)" % ", ".join("?" * len(args)), args).fetchone()[0])


def tables(path, skip=()):
    """Every okta_* table of a mirror (bookkeeping aside), rows sorted."""
    db = sqlite3.connect(str(path))
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'okta%'")
             if r[0] not in BOOKKEEPING and r[0] not in skip]
    out = {n: sorted(db.execute('SELECT * FROM "%s"' % n).fetchall(), key=repr) for n in names}
    out["columns"] = {n: [r[1] for r in db.execute("SELECT * FROM pragma_table_info(?)", (n,))] for n in names}
    db.close()
    return out


def assert_same(a, b):
    assert a["columns"] == b["columns"]
    for name in sorted(set(a) - {"columns"}):
        if a[name] != b[name]:
            sa, sb = set(map(repr, a[name])), set(map(repr, b[name]))
            pytest.fail("%s differs: %d rows vs %d; only in the incremental mirror %s; only in the full pull %s" % (
                name, len(a[name]), len(b[name]), sorted(sa - sb)[:3], sorted(sb - sa)[:3]))


def assert_as_full(conn, path, tmp_path):
    """The mirror at path equals a fresh full sync of the org."""
    assert sync(conn, tmp_path / "full.db")["mode"] == "full"
    assert_same(tables(path), tables(tmp_path / "full.db"))


KEYS = {"okta_users": [0], "okta_groups": [0], "okta_applications": [0], "okta_group_members": [0, 1],
        "okta_app_users": [0, 1], "okta_app_groups": [0, 1], "okta_user_factors": [0, 1], "okta_user_roles": [0, 1, 5],
        "okta_group_roles": [0, 1], "okta_group_rules": [0]}


def spec_keys():
    """Each mirrored table's key columns as vtab/sync.c's table list names them
    (the columns its change feed keys rows by)."""
    src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vtab", "sync.c")).read()
    return {t: k.split() for t, k in re.findall(r'\{"(okta_\w+)", R_\w+, "([^"]+)"', src)}


SPEC_KEYS = spec_keys()


def changed_keys(before, after):
    """(table, row_key) of the rows that differ, keyed as the feed keys them
    (the key columns joined by '|'; the graph's by type and keys)."""
    out = set()
    graph = {"okta_entities": ("type", "key"), "okta_relationships": ("type", "from_key", "to_key")}
    for t in before:
        if t == "columns" or t == "okta_system_log":
            continue
        cols = before["columns"][t]
        idx = KEYS.get(t) or [cols.index(c) for c in graph.get(t, SPEC_KEYS.get(t, ("id",)))]

        def group(rows):
            g = {}
            for r in rows:
                g.setdefault("|".join("" if r[i] is None else str(r[i]) for i in idx), []).append(r)
            return {k: sorted(v, key=repr) for k, v in g.items()}
        a, b = group(before[t]), group(after[t])
        out |= {(t, k) for k in set(a) | set(b) if a.get(k) != b.get(k)}
    return out


def count(path, sql, *args):
    db = sqlite3.connect(str(path))
    try:
        return db.execute(sql, args).fetchone()[0]
    finally:
        db.close()


def digest(path):
    with open(str(path), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_full_sync_mirrors_every_table_with_the_live_columns(fake, tmp_path):
    conn = connect(fake)
    out = sync(conn, tmp_path / "m.db")
    assert out["mode"] == "full" and out["run"] == 1 and unexpected(out["warnings"]) == []
    # The fixture's AWS app whose roles give no ARN: warned as the live graph does.
    assert any("gives no IAM role ARN" in w for w in out["warnings"])
    # Each reason once, with its count of rows (the graph meets a reason once
    # per app user holding that role).
    assert len(out["warnings"]) == len(set(out["warnings"]))
    assert any(re.search(r"gives no IAM role ARN .* \(\d+ rows\)$", w) for w in out["warnings"])
    db = sqlite3.connect(str(tmp_path / "m.db"))
    live = connect(fake)
    for name, t in out["tables"].items():
        cols = [r[1] for r in live.execute("SELECT * FROM pragma_table_xinfo(?) WHERE hidden = 0", (name,))]
        assert [r[1] for r in db.execute("SELECT * FROM pragma_table_info(?)", (name,))] == cols, name
        assert t["rows"] == db.execute('SELECT count(*) FROM "%s"' % name).fetchone()[0]
    for name in ("okta_users", "okta_group_members", "okta_app_users", "okta_user_factors", "okta_user_roles"):
        cols = ", ".join(r[1] for r in live.execute("SELECT * FROM pragma_table_xinfo(?) WHERE hidden = 0", (name,)))
        assert sorted(db.execute("SELECT %s FROM %s" % (cols, name)).fetchall(), key=repr) == \
            sorted(live.execute("SELECT %s FROM %s" % (cols, name)).fetchall(), key=repr), name
    # The graph built from the mirror is the live graph.
    for name in ("okta_entities", "okta_relationships"):
        assert sorted(db.execute("SELECT * FROM %s" % name).fetchall(), key=repr) == \
            sorted(live.execute("SELECT * FROM %s" % name).fetchall(), key=repr), name
    # Keys are indexed.
    idx = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'index'")}
    assert {"okta_users_id", "okta_group_members_group_id", "okta_group_members_user_id", "okta_app_users_app_id",
            "okta_app_users_user_id", "okta_relationships_from_key_to_key", "okta_relationships_to_key",
            "okta_entities_key_type"} <= idx
    # The first run loads; its feed is empty; its bookkeeping is there.
    assert db.execute("SELECT count(*) FROM okta_changes").fetchone()[0] == 0
    run = db.execute("SELECT mode, requests, org, json(hwm) ->> 'time' FROM okta_sync_runs").fetchone()
    assert run[0] == "full" and run[1] == out["requests"] and run[2] == fake.url and run[3]


def test_full_sync_makes_no_more_requests_than_the_snapshot(fake, tmp_path):
    fake.reset()
    sync(connect(fake), tmp_path / "m.db")
    ours = len(fake.requests())
    fake.reset()
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, OKTA_SQLITE_PROGRESS="off")
    p = subprocess.run(["sqlite3", "-bail", ":memory:", "-cmd", ".load " + EXT, "-cmd",
                        ".parameter set @file %s" % (tmp_path / "snap.db")],
                       stdin=open(os.path.join(SQL, "snapshot.sql")), capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    snapshot = len(fake.requests())
    assert ours <= snapshot, (ours, snapshot)


@pytest.mark.parametrize("seed", seeds())
def test_property_incremental_equals_full(fake, tmp_path, seed):
    conn = connect(fake)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    sync(conn, a)
    before = tables(a)
    n = random.Random(seed).randint(1, 200)
    applied = [x for x in mutate(fake, random_batch={"seed": seed, "count": n}) if not x.get("skipped")]
    assert len(applied) == n
    out = sync(conn, a)
    assert out["mode"] == "incremental" and unexpected(out["warnings"]) == []
    assert sync(conn, b)["mode"] == "full"
    assert_same(tables(a), tables(b))
    # The feed names exactly the rows that changed.
    changed = changed_keys(before, tables(a))
    db = sqlite3.connect(str(a))
    fed = {(t, k) for t, k in db.execute("SELECT table_name, row_key FROM okta_changes WHERE run = 2")}
    assert fed == changed
    assert out["changes"] == db.execute("SELECT count(*) FROM okta_changes WHERE run = 2").fetchone()[0] > 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_assignments_that_follow_groups_need_no_event_per_user(fake, tmp_path, seed):
    # Group assignments, memberships and status changes log no
    # application.user_membership event for the users they bring or take.
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    kinds = ["app.assign_group", "app.unassign_group", "group.member_add", "group.member_remove", "group.delete",
             "user.create", "user.deactivate", "rule.activate"]
    applied = mutate(fake, random_batch={"seed": seed, "count": 40, "kinds": kinds, "quiet": True})
    assert any(x.get("app_users") for x in applied)
    sync(conn, path)
    assert_as_full(conn, path, tmp_path)


def test_nothing_changed_costs_four_requests_and_no_change(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    mutate(fake, random_batch={"seed": 3, "count": 30})
    sync(conn, path)
    fake.reset()
    out = sync(conn, path)
    assert out["mode"] == "incremental" and out["changes"] == 0 and out["requests"] == 4
    assert sorted(e["path"] for e in fake.requests()) == ["/api/v1/groups", "/api/v1/groups/rules", "/api/v1/logs",
                                                           "/api/v1/users"]
    assert {k for k, t in out["tables"].items() if t["refresh"] not in ("unchanged", "rebuilt")} == {
        "okta_users", "okta_groups", "okta_group_rules", "okta_system_log"}
    assert count(path, "SELECT count(*) FROM okta_changes WHERE run = 3") == 0


def test_deletions_disappear_everywhere(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    created = mutate(fake, [{"kind": "app.create"}, {"kind": "app.assign_user"}], seed=1)
    sync(conn, path)
    gone_user = mutate(fake, [{"kind": "user.delete"}], seed=2)[0]["user"]
    db = sqlite3.connect(str(path))
    before = {t: db.execute("SELECT count(*) FROM %s WHERE user_id = ?" % t, (gone_user,)).fetchone()[0]
              for t in ("okta_group_members", "okta_app_users", "okta_user_factors")}
    assert before["okta_group_members"] > 0
    gone_group = mutate(fake, [{"kind": "group.delete"}], seed=3)[0]["group"]
    gone_app = mutate(fake, [{"kind": "app.delete"}], seed=4)[0]["app"]
    assert gone_app == created[0]["app"]
    out = sync(conn, path)
    for t in ("okta_group_members", "okta_app_users", "okta_user_factors", "okta_user_roles"):
        assert db.execute("SELECT count(*) FROM %s WHERE user_id = ?" % t, (gone_user,)).fetchone()[0] == 0, t
    assert db.execute("SELECT count(*) FROM okta_users WHERE id = ?", (gone_user,)).fetchone()[0] == 0
    for t, c in (("okta_groups", "id"), ("okta_group_members", "group_id"), ("okta_app_groups", "group_id"),
                 ("okta_group_roles", "group_id")):
        assert db.execute("SELECT count(*) FROM %s WHERE %s = ?" % (t, c), (gone_group,)).fetchone()[0] == 0, t
    for t, c in (("okta_applications", "id"), ("okta_app_users", "app_id"), ("okta_app_groups", "app_id")):
        assert db.execute("SELECT count(*) FROM %s WHERE %s = ?" % (t, c), (gone_app,)).fetchone()[0] == 0, t
    for key in (gone_user, gone_group, gone_app):
        assert db.execute("SELECT count(*) FROM okta_entities WHERE key = ?", (key,)).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM okta_relationships WHERE ? IN (from_key, to_key)", (key,)).fetchone()[0] == 0
    deleted = {r[0] for r in db.execute("SELECT table_name FROM okta_changes WHERE run = 2 AND op = 'delete'")}
    assert {"okta_users", "okta_groups", "okta_applications", "okta_group_members", "okta_entities",
            "okta_relationships"} <= deleted
    assert out["tables"]["okta_users"]["deleted"] == 1
    assert_as_full(conn, path, tmp_path)


def test_change_feed_and_the_changes_report(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    done = mutate(fake, [{"kind": "user.suspend"}, {"kind": "app.assign_user"}, {"kind": "role.grant_user"},
                         {"kind": "user.signin"}], seed=11)
    out = sync(conn, path)
    db = sqlite3.connect(str(path))
    login = lambda uid: db.execute("SELECT login FROM okta_users WHERE id = ?", (uid,)).fetchone()[0]
    suspended, assigned, admin, signed_in = (d["user"] for d in done)
    app = db.execute("SELECT label FROM okta_applications WHERE id = ?", (done[1]["app"],)).fetchone()[0]
    old, new = db.execute("SELECT old, new FROM okta_changes WHERE table_name = 'okta_users' AND row_key = ? AND op = "
                          "'update'", (suspended,)).fetchone()
    assert json.loads(old)["status"] == "ACTIVE" and json.loads(new)["status"] == "SUSPENDED"
    assert "last_updated" in json.loads(new) and "login" not in json.loads(new)  # only what changed
    # A sign-in moves lastLogin only.
    _, new = db.execute("SELECT old, new FROM okta_changes WHERE table_name = 'okta_users' AND row_key = ?",
                        (signed_in,)).fetchone()
    assert set(json.loads(new)) == {"last_login"}
    assert out["changes"] == db.execute("SELECT count(*) FROM okta_changes WHERE run = 2").fetchone()[0]
    p = subprocess.run(["sqlite3", "-bail", str(path)], stdin=open(os.path.join(SQL, "changes.sql")),
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert "user status changed | %s |  | ACTIVE -> SUSPENDED" % login(suspended) in lines
    assert "access granted | %s | %s | okta_user_assigned_application" % (login(assigned), app) in lines
    assert any(l.startswith("admin role granted | %s | " % login(admin)) for l in lines)
    assert lines[-1].startswith("%d changes between " % (len(lines) - 3))


def test_reports_run_unchanged_on_the_mirror_without_a_request(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, OKTA_SQLITE_PROGRESS="off")
    for report in ("admins", "mfa-coverage", "effective-access", "stale-accounts", "rule-managed-membership",
                   "non-person-accounts"):
        outs = []
        for db in (":memory:", str(path)):
            fake.reset()
            p = subprocess.run(["sqlite3", "-bail", db, "-cmd", ".load " + EXT], stdin=open(os.path.join(
                SQL, report + ".sql")), capture_output=True, text=True, env=env)
            assert p.returncode == 0, p.stderr
            outs.append(p.stdout)
            if db != ":memory:":
                assert fake.requests() == [], report  # the mirror's plain tables hide the live ones
        # Identical up to the live connection's warnings (a mirror read makes
        # none: the sync run recorded them in okta_sync_runs.warnings).
        def before_warnings(o):
            i = o.find("│       source       │")
            return o if i < 0 else o[:o.rfind("\n", 0, o.rfind("\n", 0, i)) + 1]
        live, mirrored = (before_warnings(o) for o in outs)
        assert live == mirrored, report
        if live != outs[0]:
            runs = [" ".join(json.loads(r[0] or "[]")) for r in
                    sqlite3.connect(str(path)).execute("SELECT warnings FROM okta_sync_runs")]
            for line in outs[0].split("│       source       │")[1].splitlines():
                if "okta_relationships" in line:
                    app = line.split("│")[2].strip()[:30]
                    assert any(app in r for r in runs), (report, app)
    assert len(outs[1]) > 100


def test_sync_from_a_connection_on_the_mirror_itself(fake, tmp_path):
    path = tmp_path / "m.db"
    sync(connect(fake), path)
    mutate(fake, [{"kind": "user.create"}], seed=5)
    conn = sqlite3.connect(str(path))
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    conn.execute("SELECT okta_config('orgUrl', ?)", (fake.url,))
    conn.execute("SELECT okta_config('token', ?)", (fake.token,))
    # Its okta_users is the mirror's table, yet the sync reads the org.
    before = conn.execute("SELECT count(*) FROM okta_users").fetchone()[0]
    out = sync(conn, path)
    assert out["mode"] == "incremental" and out["tables"]["okta_users"]["inserted"] == 1
    assert conn.execute("SELECT count(*) FROM okta_users").fetchone()[0] == before + 1


def test_events_that_arrive_late_are_applied_on_the_next_run(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    # An app assignment only the log reveals, written 2 s before it can be read.
    done = mutate(fake, [{"kind": "app.assign_user"}], lag=2, seed=8)[0]
    scope = "SELECT coalesce(max(scope), 'none') FROM okta_app_users WHERE app_id = ? AND user_id = ?"
    t = sync(conn, path)["tables"]["okta_app_users"]
    assert t["inserted"] + t["updated"] == 0
    assert count(path, scope, done["app"], done["user"]) in ("none", "GROUP")
    time.sleep(2.2)
    t = sync(conn, path)["tables"]["okta_app_users"]
    assert t["inserted"] + t["updated"] == 1
    assert count(path, scope, done["app"], done["user"]) == "USER"
    assert_as_full(conn, path, tmp_path)


def test_a_failed_sync_leaves_the_last_good_run(fake, tmp_path):
    conn = connect(fake, **{"rateLimit.maxRetries": 1})
    path = tmp_path / "m.db"
    sync(conn, path)
    before = tables(path)
    mutate(fake, random_batch={"seed": 21, "count": 80})
    # Late in the run, after most tables were written.
    fake.faults({"path": "/api/v1/groups/rules$", "kind": "status", "status": 503, "times": -1})
    with pytest.raises(sqlite3.OperationalError, match=r"okta_sync: .*503.*the mirror is as the last completed run left it"):
        sync(conn, path)
    assert_same(tables(path), before)
    assert count(path, "SELECT max(run) FROM okta_sync_runs") == 1
    fake.reset()
    out = sync(conn, path)
    assert out["run"] == 2 and out["mode"] == "incremental"
    assert_as_full(conn, path, tmp_path)


def test_an_interrupted_sync_leaves_the_last_good_run(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    before = tables(path)
    fake.config(latency_ms=60)
    threading.Timer(0.6, conn.interrupt).start()
    t0 = time.time()
    with pytest.raises(sqlite3.OperationalError, match="okta_sync: interrupted; .* is as the last completed run left it"):
        sync(conn, path, "full")
    assert time.time() - t0 < 10
    assert_same(tables(path), before)
    assert count(path, "PRAGMA integrity_check") == "ok"
    fake.config(latency_ms=0)
    assert sync(conn, path)["run"] == 2  # the connection and the mirror work on


def test_two_syncs_of_one_file_at_once(fake, tmp_path):
    fake.config(latency_ms=15)
    path = tmp_path / "m.db"
    results = []

    def one():
        c = connect(fake)
        try:
            results.append(sync(c, path))
        except sqlite3.OperationalError as e:
            results.append(str(e))
        c.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fake.config(latency_ms=0)
    ok = [r for r in results if isinstance(r, dict)]
    assert ok, results
    for r in results:
        assert isinstance(r, dict) or "locked" in r or "being written by another process" in r, r
    assert count(path, "PRAGMA integrity_check") == "ok"
    assert sorted(r["mode"] for r in ok) == ["full", "incremental"][:len(ok)]
    assert_as_full(connect(fake), path, tmp_path)


def test_refuses_what_is_not_a_mirror(fake, tmp_path):
    conn = connect(fake)
    mine = tmp_path / "mine.db"
    db = sqlite3.connect(str(mine))
    db.execute("CREATE TABLE budget(item, amount)")
    db.execute("INSERT INTO budget VALUES ('coffee', 3)")
    db.commit()
    db.close()
    before = digest(mine)
    with pytest.raises(sqlite3.OperationalError, match="is not a mirror made by okta_sync .* left untouched"):
        sync(conn, mine)
    assert digest(mine) == before
    text = tmp_path / "notes.txt"
    text.write_text("not a database, just notes\n" * 100)
    with pytest.raises(sqlite3.OperationalError, match="is not a SQLite database"):
        sync(conn, text)
    assert text.read_text() == "not a database, just notes\n" * 100
    assert fake.requests() == []


def test_refuses_a_mirror_of_another_org(fake, tmp_path):
    path = tmp_path / "m.db"
    sync(connect(fake), path)
    other = connect(fake, orgUrl=fake.url.replace("127.0.0.1", "localhost"))
    with pytest.raises(sqlite3.OperationalError, match="mirrors http://127.0.0.1:.*, not http://localhost:"):
        sync(other, path)


def test_bad_arguments_and_untrusted_schemas(fake, tmp_path):
    conn = connect(fake)
    for args in ((None,), ("",), (":memory:",)):
        with pytest.raises(sqlite3.OperationalError, match="give the mirror's file name"):
            conn.execute("SELECT okta_sync(?)", args).fetchone()
    with pytest.raises(sqlite3.OperationalError, match="'full' .* or 'auto'"):
        conn.execute("SELECT okta_sync(?, 'everything')", (str(tmp_path / "m.db"),)).fetchone()
    conn.execute("CREATE VIEW sneaky AS SELECT okta_sync('%s')" % (tmp_path / "x.db"))
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of okta_sync"):
        conn.execute("SELECT * FROM sneaky").fetchone()
    assert not (tmp_path / "x.db").exists()


def test_when_the_log_cannot_be_read_everything_is_pulled(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    mutate(fake, random_batch={"seed": 4, "count": 60})
    fake.config(logs_forbidden=True)
    out = sync(conn, path)
    assert out["mode"] == "full"
    assert any("System Log cannot be read" in w and "403" in w for w in out["warnings"])
    assert out["tables"]["okta_system_log"]["refresh"] == "skipped"
    sync(conn, tmp_path / "full.db")
    # The log's own rows (and the CREATED edges) are kept from the last run that could read it.
    skip = ("okta_system_log", "okta_relationships", "okta_entities")
    assert_same(tables(path, skip), tables(tmp_path / "full.db", skip))


def test_tables_the_token_cannot_read_are_skipped(fake, tmp_path):
    fake.config(roles_forbidden=True)
    out = sync(connect(fake), tmp_path / "m.db")
    assert out["tables"]["okta_user_roles"]["refresh"] == "skipped"
    assert out["tables"]["okta_group_roles"]["refresh"] == "skipped"
    assert any(w.startswith("okta_user_roles not refreshed") and "403" in w for w in out["warnings"])
    assert out["tables"]["okta_users"]["rows"] == USERS


def test_a_gap_beyond_the_log_retention_pulls_everything(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    db = sqlite3.connect(str(path))
    db.execute("UPDATE okta_sync_runs SET hwm = json_set(hwm, '$.time', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-100 days'))")
    db.commit()
    db.close()
    out = sync(conn, path)
    assert out["mode"] == "full"
    assert any("over 90 days ago" in w for w in out["warnings"])


def test_an_unknown_event_type_re_pulls_what_it_names(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    # A factor enrolled, logged under an event type okta_sync does not know.
    done = mutate(fake, [{"kind": "factor.enroll", "event_type": "acme.factor.enrolled"}], seed=9)[0]
    out = sync(conn, path)
    assert any("acme.factor.enrolled" in w and "User" in w for w in out["warnings"])
    assert count(path, "SELECT count(*) FROM okta_user_factors WHERE id = ?", done["factor"]) == 1
    assert_as_full(conn, path, tmp_path)


def test_forced_full_records_what_changed(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    done = mutate(fake, [{"kind": "user.suspend"}], seed=2)[0]
    out = sync(conn, path, "full")
    assert out["mode"] == "full" and out["tables"]["okta_users"]["updated"] == 1
    assert count(path, "SELECT count(*) FROM okta_changes WHERE run = 2 AND row_key = ?", done["user"]) == 1


def test_demo_shows_a_sync_a_churn_and_an_incremental_sync():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKTA_CLIENT_")}
    env.update(OKTA_EXT=EXT, REPORTS=" ")  # the bundled fake org, without the reports
    p = subprocess.run(["sh", os.path.join(HERE, "demo.sh")], capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    full = next(l for l in lines if l.startswith("full sync: "))
    inc = next(l for l in lines if l.startswith("incremental sync: "))
    requests = lambda l: int(l.split(": ")[1].split()[0])
    assert requests(full) > 2000 and 0 < requests(inc) < requests(full) * 0.03
    assert "change | subject | object | detail" in lines
    summary = [l for l in lines if " changes between " in l]
    assert summary and summary[-1].endswith(tuple("0123456789Z"))


def test_configuration_tables_follow_their_events_and_a_day(fake, tmp_path):
    conn = connect(fake)
    path = tmp_path / "m.db"
    sync(conn, path)
    mutate(fake, [{"kind": "event", "eventType": "policy.lifecycle.update",
                   "targets": [{"id": "00pX", "type": "PolicyEntity", "alternateId": "unknown", "displayName": "x"}]}])
    fake.reset()
    out = sync(conn, path)
    assert out["tables"]["okta_policies"]["refresh"] == "full"
    assert out["tables"]["okta_policies"]["why"] == "event policy.lifecycle.update"
    assert out["tables"]["okta_network_zones"]["refresh"] == "unchanged"
    listed = [e for e in fake.requests() if e["path"] == "/api/v1/policies"]
    read = [e["query"]["type"] for e in listed if e["status"] == 200]
    # One pass per policy type the org has (a type it lacks answers 400; its
    # errors are not cached, so the rules' and mappings' fan-outs ask again).
    assert len(read) == len(set(read)) == 10 and len({e["query"]["type"] for e in listed}) == 12
    db = sqlite3.connect(str(path))
    db.execute("UPDATE okta_sync_tables SET full_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-21 hours') "
               "WHERE table_name = 'okta_network_zones'")
    db.commit()
    db.close()
    out = sync(conn, path)
    assert out["tables"]["okta_network_zones"]["refresh"] == "full"
    assert out["tables"]["okta_network_zones"]["why"] == "last pulled over 20 hours ago"
    assert out["tables"]["okta_policies"]["refresh"] == "unchanged"
    assert "okta_api_tokens" in out["absent"] or "okta_api_tokens" in out["tables"]
