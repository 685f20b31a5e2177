"""Fewest requests, hidden latency, bounded memory: the behaviours behind the
benchmark, asserted through request logs (never wall-clock times)."""

import math
import re
import time

from conftest import connect, fresh, rows


def max_overlap(reqs):
    """Most requests the server was handling at the same moment."""
    events = sorted([(r["t"], 1) for r in reqs] + [(r["done"], -1) for r in reqs])
    best = cur = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def test_repeated_subquery_never_refetches(db, fake, truth):
    got = rows(db, "SELECT (SELECT count(*) FROM okta_users), (SELECT count(*) FROM okta_users WHERE 1)")
    assert got == [(len(truth.users), len(truth.users))]
    deprov = sum(1 for u in truth.users if u["status"] == "DEPROVISIONED")
    assert len(fake.requests()) == math.ceil((len(truth.users) - deprov) / 200) + math.ceil(deprov / 200)


def test_cache_ttl_and_clear_and_off(fake):
    conn = connect(fake, **{"cache.ttl": "1"})
    q = "SELECT count(*) FROM okta_users WHERE status = 'RECOVERY'"
    rows(conn, q)
    rows(conn, q)
    assert len(fake.requests()) == 1
    time.sleep(1.3)  # past the TTL: a new statement sees fresh data
    rows(conn, q)
    assert len(fake.requests()) == 2
    assert conn.execute("SELECT okta_cache_clear()").fetchone()[0] == 1
    rows(conn, q)
    assert len(fake.requests()) == 3
    fake.reset()
    off = connect(fake, **{"cache.enabled": "false"})
    rows(off, q)
    rows(off, q)
    assert len(fake.requests()) == 2


def test_cache_stays_within_its_budget(fake):
    conn = connect(fake, **{"cache.maxMemory": "1"})
    rows(conn, "SELECT * FROM okta_users")
    m = re.search(r"cache: (\d+) responses, (\d+) bytes", conn.execute("SELECT okta_debug()").fetchone()[0])
    assert 0 < int(m.group(2)) <= 1024 * 1024


def test_next_page_is_requested_while_rows_are_read(db, fake):
    cur = db.execute("SELECT id FROM okta_users")
    cur.fetchone()  # one row read, the first page held
    deadline = time.time() + 5
    while time.time() < deadline and len(fake.requests("/api/v1/users")) < 3:
        time.sleep(0.02)
    reqs = fake.requests("/api/v1/users")
    # page 2 of the plain list, and the first DEPROVISIONED page, are already asked for
    assert any("after" in r["query"] for r in reqs)
    assert any(r["query"].get("filter") == 'status eq "DEPROVISIONED"' for r in reqs)
    cur.close()


def test_fan_out_is_concurrent_and_bounded(fake, truth):
    conn = connect(fake, concurrency="6")
    fake.config(latency_ms=30)
    ids = list(truth.factors)[:60]
    got = rows(conn, "SELECT count(*) FROM okta_user_factors WHERE user_id IN (%s)" % ",".join("?" * 60), *ids)
    assert got[0][0] == sum(len(truth.factors[u]) for u in ids)
    reqs = fake.requests()
    assert len(reqs) == 60
    assert 4 <= max_overlap(reqs) <= 6


def test_join_looks_ahead(fake, truth):
    conn = connect(fake, concurrency="8")
    fake.config(latency_ms=30)
    got = rows(conn, "SELECT count(*) FROM okta_users u JOIN okta_user_factors f ON f.user_id = u.id "
                     "WHERE u.status = 'LOCKED_OUT'")
    locked = [u for u in truth.users if u["status"] == "LOCKED_OUT"]
    assert got[0][0] == sum(len(truth.factors.get(u["id"], [])) for u in locked)
    factor_reqs = [r for r in fake.requests() if r["path"].endswith("/factors")]
    assert len(factor_reqs) == len(locked)  # every lookup once, prefetched or not
    assert 4 <= max_overlap(factor_reqs) <= 8


def test_passes_start_together(db, fake, truth):
    fake.config(latency_ms=30)
    rows(db, "SELECT id FROM okta_policies")
    reqs = fake.requests()
    assert len(reqs) == 12 and max_overlap(reqs) >= 4  # one per PolicyType of the spec


def test_rate_limit_budget_slows_down_before_429(fake, truth):
    # 30 requests per 2-second window, 20% reserved: no more than 24 a window
    fake.config(rate_limits={"/api/v1/users*": 30}, rate_window_s=2)
    conn = connect(fake, concurrency="8", **{"rateLimit.reserve": "20"})
    ids = list(truth.factors)[:60]
    got = rows(conn, "SELECT count(*) FROM okta_user_factors WHERE user_id IN (%s)" % ",".join("?" * 60), *ids)
    assert got[0][0] == sum(len(truth.factors[u]) for u in ids)
    reqs = fake.requests()
    assert all(r["status"] == 200 for r in reqs) and len(reqs) == 60
    per_window = {}
    for r in reqs:
        per_window[int(r["t"] // 2)] = per_window.get(int(r["t"] // 2), 0) + 1
    assert max(per_window.values()) <= 30


def test_concurrency_429_backs_off_and_completes(fake, truth):
    fake.config(concurrency_limit=3, latency_ms=20)
    conn = connect(fake, concurrency="12")
    ids = list(truth.factors)[:40]
    got = rows(conn, "SELECT count(*) FROM okta_user_factors WHERE user_id IN (%s)" % ",".join("?" * 40), *ids)
    assert got[0][0] == sum(len(truth.factors[u]) for u in ids)
    reqs = fake.requests()
    limited = [r for r in reqs if r["status"] == 429]
    assert limited  # the server pushed back
    assert sum(1 for r in reqs if r["status"] == 200) == 40
    # it adapted: far fewer 429s than requests
    assert len(limited) < 40


def test_id_in_is_one_request_per_chunk_for_groups_and_apps(db, fake, truth):
    gids = [g["id"] for g in truth.groups[:12]]
    got = rows(db, "SELECT id FROM okta_groups WHERE id IN (%s)" % ",".join("?" * len(gids)), *gids)
    assert sorted(r[0] for r in got) == sorted(gids)
    assert len(fake.requests()) == 1
    fresh(db, fake)
    # /apps takes one filter expression: "id eq a or id eq b" is not one, so
    # each id is a GET, unless the listing costs fewer requests
    aids = [a["id"] for a in truth.apps[:5]]
    got = rows(db, "SELECT id FROM okta_applications WHERE id IN (%s)" % ",".join("?" * len(aids)), *aids)
    assert sorted(r[0] for r in got) == sorted(aids)
    reqs = fake.requests()
    assert all(" or " not in r["query"].get("filter", "") for r in reqs)
    assert len(reqs) <= len(aids)
    assert all(r["path"] in ["/api/v1/apps"] + ["/api/v1/apps/" + a for a in aids] for r in reqs)


def test_stats_table(db, fake, truth):
    rows(db, "SELECT count(*) FROM okta_users")
    rows(db, "SELECT count(*) FROM okta_users")  # served from the cache
    fake.faults({"path": "/factors$", "kind": "status", "status": 503, "times": 2})
    ids = list(truth.factors)[:5]
    rows(db, "SELECT count(*) FROM okta_user_factors WHERE user_id IN (%s)" % ",".join("?" * 5), *ids)
    stats = {r[0]: r[1:] for r in rows(db, "SELECT * FROM okta_stats")}
    users = stats["/api/v1/users"]
    deprov = sum(1 for u in truth.users if u["status"] == "DEPROVISIONED")
    pages = math.ceil((len(truth.users) - deprov) / 200) + math.ceil(deprov / 200)
    assert users[0] == pages and users[1] == 0 and users[4] > 100000  # requests, retries, bytes
    assert users[5] == pages and users[6] == pages  # cache hits, misses
    f = stats["/api/v1/users/{key}/factors"]
    assert f[0] == 7 and f[1] == 2 and f[7] == 0  # 5 + 2 retries, no failure
    assert [d[1] for d in db.execute("SELECT * FROM okta_stats LIMIT 0").description] != []
    assert [d[0] for d in db.execute("SELECT * FROM okta_stats LIMIT 0").description] == [
        "endpoint", "requests", "retries", "rate_limited", "waited_seconds", "bytes", "cache_hits", "cache_misses",
        "errors"]


def test_warnings_table(db, fake):
    fake.config(rules_disabled=True)
    rows(db, "SELECT * FROM okta_group_rules")
    rows(db, "SELECT * FROM okta_group_rules WHERE 1")
    w = rows(db, "SELECT source, count, message FROM okta_warnings")
    assert len(w) == 1 and w[0][0] == "okta_group_rules" and w[0][1] == 2  # one warning, seen twice
    assert w[0][2].startswith("group rules are not available in this org (skipped)")


def test_progress_on_stderr(fake, tmp_path):
    import os
    import subprocess
    from conftest import EXT
    fake.config(latency_ms=150)
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token)
    for mode, want in (("on", True), ("off", False), ("auto", False)):  # auto: stderr is not a terminal
        env["OKTA_SQLITE_PROGRESS"] = mode
        p = subprocess.run(["sqlite3", ":memory:", "-cmd", ".load " + EXT, "SELECT count(*) FROM okta_users"],
                           capture_output=True, text=True, env=env, timeout=60)
        assert p.stdout.strip() == "2000"
        assert ("okta: okta_users: " in p.stderr and " rows, " in p.stderr and " in flight" in p.stderr) == want, \
            (mode, p.stderr)
