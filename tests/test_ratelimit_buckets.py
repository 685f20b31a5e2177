"""Okta's rate-limit buckets (issue 13, item 3): sibling paths draw down one
counter (ext/ratelimit.c, tests/fakeorg/server.py bucket_of), a fan-out keeps
each bucket's reserve without a single 429, and a 429 pauses every path of
its bucket."""

import math
import time
import urllib.request

from conftest import connect, rows
from test_errors import error_of

WINDOW = 2  # seconds: the fake's scaled "minute"


def fake_get(fake, path):
    """One GET on the fake with the token; the rate-limit headers it answered."""
    req = urllib.request.Request(fake.url + path, headers={"Authorization": "SSWS " + fake.token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return {k: int(r.headers[k]) for k in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")}


def per_window(reqs, bucket):
    """Requests the fake counted in each fixed window of one bucket."""
    out = {}
    for r in reqs:
        if r["bucket"] == bucket:
            out[r["window_end"]] = out.get(r["window_end"], 0) + 1
    return out


# Three sibling paths of one bucket: /users, /users/{id}/factors, /users/{id}/roles.
FANOUT = ("SELECT u.id, u.login, f.id, f.factor_type, f.status, r.id FROM okta_users u "
          "JOIN okta_user_factors f ON f.user_id = u.id LEFT JOIN okta_user_roles r ON r.user_id = u.id "
          "WHERE u.status = 'LOCKED_OUT' ORDER BY u.id, f.id, r.id")


def test_factor_fanout_keeps_the_shared_bucket_reserve_without_429(fake, truth):
    locked = [u for u in truth.users if u["status"] == "LOCKED_OUT"]
    unlimited = rows(connect(fake, **{"cache.enabled": "false"}), FANOUT)
    assert {(u, f) for u, _, f, _, _, _ in unlimited} == {(u["id"], f["id"]) for u in locked
                                                          for f in truth.factors.get(u["id"], [])}
    unlimited_requests = len(fake.requests())
    fake.reset()
    # The users listing and every factor lookup share /api/v1/users*: 20 a
    # window, 25 % reserved, so at most 15 may be spent in any window.
    limit, reserve = 20, 25
    fake.config(rate_limits={"/api/v1/users*": limit}, rate_window_s=WINDOW)
    conn = connect(fake, concurrency="8", **{"rateLimit.reserve": str(reserve), "cache.enabled": "false"})
    assert rows(conn, FANOUT) == unlimited
    reqs = fake.requests()
    assert [r for r in reqs if r["status"] == 429] == []
    assert all(r["bucket"] == "/api/v1/users*" for r in reqs)
    assert len(reqs) == unlimited_requests > 3 * limit  # the same requests, over three windows' budget
    windows = per_window(reqs, "/api/v1/users*")
    assert len(windows) >= 3
    assert max(windows.values()) <= limit - math.ceil(limit * reserve / 100)


def test_fake_counts_sibling_paths_in_one_bucket(fake, truth):
    fake.config(rate_limits={"/api/v1/users*": 50, "GET /api/v1/users/{id}": 70}, rate_window_s=60)
    uid = truth.users[0]["id"]
    seen = [fake_get(fake, p) for p in ("/api/v1/users?limit=1", "/api/v1/users/%s/factors" % uid,
                                         "/api/v1/users/%s/roles" % uid, "/api/v1/users/%s" % uid)]
    shared, own = seen[:3], seen[3]
    assert [h["X-Rate-Limit-Limit"] for h in shared] == [50, 50, 50]
    if len({h["X-Rate-Limit-Reset"] for h in shared}) == 1:  # not split by a minute boundary
        assert [h["X-Rate-Limit-Remaining"] for h in shared] == [49, 48, 47]
    assert own["X-Rate-Limit-Limit"] == 70 and own["X-Rate-Limit-Remaining"] == 69
    for h in seen:  # the window ends at the minute
        assert h["X-Rate-Limit-Reset"] % 60 == 0 and 0 < h["X-Rate-Limit-Reset"] - time.time() <= 61
    assert [r["bucket"] for r in fake.requests()] == ["/api/v1/users*"] * 3 + ["GET /api/v1/users/{id}"]


def test_extension_draws_users_and_factors_from_one_bucket_and_get_user_from_its_own(fake, truth):
    """A listing of /users that spends the bucket stops the factor lookups of
    the same bucket; GET /users/{id} and /groups are other buckets."""
    conn = connect(fake, **{"cache.enabled": "false"})
    reset = int(time.time()) + 3600
    fake.faults({"path": "^/api/v1/users$", "kind": "status", "status": 200, "body": "[]",
                 "headers": {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0",
                             "X-Rate-Limit-Reset": str(reset)}})
    assert rows(conn, "SELECT id FROM okta_users WHERE status = 'SUSPENDED'") == []
    uid = truth.users[0]["id"]
    msg = error_of(conn, "SELECT id FROM okta_user_factors WHERE user_id = ?", uid)
    assert msg.startswith("okta: GET /api/v1/users/{key}/factors: rate limit: bucket /api/v1/users* has no "
                          "requests left (X-Rate-Limit-Remaining 0 of 600)"), msg
    msg = error_of(conn, "SELECT id FROM okta_user_roles WHERE user_id = ?", uid)
    assert "bucket /api/v1/users* has no requests left" in msg, msg
    assert rows(conn, "SELECT id FROM okta_users WHERE id = ?", uid) == [(uid,)]
    assert len(rows(conn, "SELECT id FROM okta_groups")) == len(truth.groups)
    paths = fake.paths()
    assert not [p for p in paths if p.endswith("/factors") or p.endswith("/roles")]  # never sent
    assert "/api/v1/users/" + uid in paths


def test_a_429_pauses_every_path_of_its_bucket(fake, truth):
    uid, other = truth.users[0]["id"], truth.users[1]["id"]
    fake.faults({"path": "^/api/v1/users/%s/roles$" % uid, "kind": "status", "status": 429, "reset_in": 3600})
    # The 429 asks for an hour; the pause is maxBackoff (5 s) and a request
    # may wait at most requestTimeout (1 s): the retry and the sibling fail
    # at once instead of waiting.
    conn = connect(fake, requestTimeout="1", **{"cache.enabled": "false", "rateLimit.maxBackoff": "5"})
    msg = error_of(conn, "SELECT id FROM okta_user_roles WHERE user_id = ?", uid)
    assert "429 E0000047" in msg, msg
    msg = error_of(conn, "SELECT id FROM okta_user_factors WHERE user_id = ?", other)
    assert msg.startswith("okta: GET /api/v1/users/{key}/factors: rate limit: bucket /api/v1/users* is paused "
                          "after a 429 until"), msg
    assert "longer than requestTimeout (1 s) allows; not waiting" in msg
    # Other buckets go on: GET /users/{id} and /groups.
    assert rows(conn, "SELECT id FROM okta_users WHERE id = ?", other) == [(other,)]
    assert len(rows(conn, "SELECT id FROM okta_groups")) == len(truth.groups)
    paths = fake.paths()
    assert paths.count("/api/v1/users/%s/roles" % uid) == 1
    assert "/api/v1/users/%s/factors" % other not in paths

