"""Errors, retries, rate limits, origin pinning and configuration."""

import re
import sqlite3

import pytest

from conftest import connect, fresh, rows

LIST_ALL = "SELECT id FROM okta_users ORDER BY id"


def error_of(conn, sql, *args):
    with pytest.raises(sqlite3.Error) as e:
        conn.execute(sql, args).fetchall()
    return str(e.value)


def test_401_message(fake):
    conn = connect(fake, token="wrong-token")
    msg = error_of(conn, "SELECT * FROM okta_users")
    assert re.fullmatch(r"okta: GET /api/v1/users: 401 E0000011 Invalid token provided \(request req\d+X+\) "
                        r"\(check OKTA_CLIENT_TOKEN: .*\)", msg), msg
    assert "wrong-token" not in msg


def test_403_message_names_the_permission(db, fake):
    fake.faults({"path": "^/api/v1/users$", "kind": "status", "status": 403})
    msg = error_of(db, "SELECT * FROM okta_users")
    assert msg.startswith("okta: GET /api/v1/users: 403 E0000006 You do not have permission")
    assert msg.endswith("(needs scope okta.users.read or any administrator role)")


def test_404_on_a_listing_is_an_error(db, fake):
    fake.faults({"path": "^/api/v1/users$", "kind": "status", "status": 404})
    assert "404 E0000007" in error_of(db, "SELECT * FROM okta_users")


def test_400_bad_raw_filter(db, fake):
    msg = error_of(db, "SELECT * FROM okta_users WHERE filter = 'status eqq \"x\"'")
    assert msg.startswith("okta: GET /api/v1/users: 400 E0000031 Invalid search criteria.")
    assert "(request req" in msg


def test_429_waits_for_reset_and_retries_with_headers(db, fake):
    clean = rows(db, LIST_ALL)
    fresh(db, fake)
    fake.faults({"path": "^/api/v1/users$", "query": "after=", "kind": "status", "status": 429, "reset_in": 0})
    assert rows(db, "SELECT id FROM okta_users ORDER BY id") == clean
    reqs = fake.requests()
    limited = [r for r in reqs if r["status"] == 429]
    assert len(limited) == 1
    retry = next(r for r in reqs if r["retry_for"] == limited[0]["request_id"])
    assert retry["retry_for"] == limited[0]["request_id"]
    assert retry["retry_count"] == "1"
    assert retry["query"] == limited[0]["query"]
    # Reset - Date + 1 seconds later
    assert retry["t"] - limited[0]["t"] >= 0.9


def test_5xx_bursts_recover_with_identical_rows(db, fake):
    clean = rows(db, LIST_ALL)
    fresh(db, fake)
    fake.faults({"path": "^/api/v1/users$", "kind": "status", "status": 500, "times": 2},
                {"path": "^/api/v1/users$", "query": "DEPROVISIONED", "kind": "status", "status": 503, "times": 3},
                {"path": "^/api/v1/users$", "query": "after=", "kind": "status", "status": 502, "times": 1},
                {"path": "^/api/v1/users$", "query": "after=", "skip": 2, "kind": "status", "status": 504, "times": 1})
    assert rows(db, LIST_ALL) == clean
    assert sum(1 for r in fake.requests() if r["status"] >= 500) == 7


def test_transport_errors_recover(db, fake):
    clean = rows(db, LIST_ALL)
    fresh(db, fake)
    fake.faults({"path": "^/api/v1/users$", "query": "after=", "kind": "reset", "times": 1},
                {"path": "^/api/v1/users$", "kind": "close", "skip": 3, "times": 1})
    assert rows(db, LIST_ALL) == clean


def test_retry_budget_exhausted_fails_without_partial_result(fake):
    conn = connect(fake, **{"rateLimit.maxRetries": "3"})
    fake.faults({"path": "^/api/v1/users$", "query": "after=", "kind": "status", "status": 503, "times": -1})
    msg = error_of(conn, LIST_ALL)
    assert msg.startswith("okta: GET /api/v1/users: 503 E0000010")
    assert "(gave up after 4 attempts)" in msg
    assert sum(1 for r in fake.requests() if r["status"] == 503) == 4


def test_429_without_reset_header_uses_backoff(db, fake):
    clean = rows(db, LIST_ALL)
    fresh(db, fake)
    fake.faults({"path": "^/api/v1/users$", "kind": "status", "status": 429, "times": 2,
                 "headers": {"X-Rate-Limit-Reset": "garbage"}})
    assert rows(db, LIST_ALL) == clean


def test_foreign_next_link_is_never_followed(db, fake):
    fake.faults({"path": "^/api/v1/users$", "kind": "foreign_next"})
    msg = error_of(db, "SELECT * FROM okta_users")
    assert "next-page link points to another origin (http://evil.example.com" in msg
    assert "may only go to %s" % fake.url in msg
    assert len(fake.requests()) <= 2  # the first page (and the DEPROVISIONED listing), nothing after


def test_next_link_loop_is_an_error(db, fake):
    fake.faults({"path": "^/api/v1/users$", "query": "after=", "kind": "loop_next"})
    assert "loops back to a page already read" in error_of(db, "SELECT * FROM okta_users")


@pytest.mark.parametrize("kind,needle", [
    ("html", "text/html body where JSON was expected"),
    ("empty", "empty body where JSON was expected"),
    ("truncate", "malformed JSON in the response"),
    ("badutf8", "not valid UTF-8"),
])
def test_bad_bodies_fail_with_clear_errors(db, fake, kind, needle):
    fake.faults({"path": "^/api/v1/users$", "kind": kind})
    msg = error_of(db, "SELECT * FROM okta_users")
    assert msg.startswith("okta: GET /api/v1/users: ") and needle in msg, msg


def test_missing_org_url_is_a_clear_error_without_network(fake):
    conn = connect(None)
    msg = error_of(conn, "SELECT * FROM okta_users")
    assert msg.startswith("okta: OKTA_CLIENT_ORGURL is not set")
    assert fake.requests() == []


def test_missing_token(fake):
    conn = connect(None, orgUrl=fake.url)
    assert error_of(conn, "SELECT * FROM okta_users").startswith("okta: OKTA_CLIENT_TOKEN is not set")
    assert fake.requests() == []


@pytest.mark.parametrize("url,why", [
    ("http://acme.okta.com", "must use https://"),
    ("acme.okta.com", "must start with https://"),
    ("http://127.evil.com", "must use https://"),
])
def test_bad_org_urls(url, why):
    conn = connect(None, orgUrl=url, token="t")
    msg = error_of(conn, "SELECT * FROM okta_users")
    assert msg.startswith("okta: okta_config('orgUrl') '%s' " % url) and why in msg, msg


def test_org_url_is_normalised(fake):
    conn = connect(fake, orgUrl=fake.url + "/some/path/")
    assert rows(conn, "SELECT count(*) FROM okta_users WHERE status = 'STAGED'")[0][0] > 0
    assert "org: %s\n" % fake.url in conn.execute("SELECT okta_debug()").fetchone()[0]


def test_env_configuration(fake, monkeypatch):
    monkeypatch.setenv("OKTA_CLIENT_ORGURL", fake.url + "/")
    monkeypatch.setenv("OKTA_CLIENT_TOKEN", fake.token)
    conn = connect(None)
    assert rows(conn, "SELECT count(*) FROM okta_users WHERE status = 'STAGED'")[0][0] > 0
    monkeypatch.setenv("OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES", "many")
    conn = connect(None)
    assert error_of(conn, "SELECT * FROM okta_users") == \
        "okta: OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES: rateLimit.maxRetries must be a number, got 'many'"


def test_okta_config_validates(db):
    with pytest.raises(sqlite3.Error, match="okta_config: unknown setting 'nope'"):
        db.execute("SELECT okta_config('nope', '1')").fetchall()
    with pytest.raises(sqlite3.Error, match="concurrency must be between 1 and 75, got '500'"):
        db.execute("SELECT okta_config('concurrency', '500')").fetchall()
    assert db.execute("SELECT okta_config('concurrency', '4')").fetchone()[0] == "4"
    assert db.execute("SELECT okta_config('concurrency', NULL)").fetchone()[0] == "16"
    assert db.execute("SELECT okta_config('token')").fetchone()[0] == "(set, hidden)"


def test_debug_never_shows_the_token(db, fake):
    out = db.execute("SELECT okta_debug()").fetchone()[0]
    assert fake.token not in out
    assert out.startswith("sqlite-okta 0.1.0\nsqlite 3.")
    assert "libcurl " in out and "org: %s\nauth: SSWS\n" % fake.url in out
    assert "  token = (set, hidden) (okta_config())" in out


def test_module_and_function_lists(db):
    mods = sorted(r[0] for r in db.execute("SELECT name FROM pragma_module_list WHERE name LIKE 'okta%'"))
    from test_tables import TABLES  # the full list lives with the table tests
    assert mods == sorted(TABLES + ["okta_entities", "okta_relationships", "okta_stats", "okta_warnings"])
    funcs = sorted({r[0] for r in db.execute("SELECT name FROM pragma_function_list WHERE name LIKE 'okta%'")})
    assert funcs == ["okta_aws_role_arn", "okta_cache_clear", "okta_config", "okta_debug", "okta_lower", "okta_schema",
                     "okta_sync", "okta_version", "okta_warnings"]
    assert db.execute("SELECT okta_version()").fetchone()[0] == "0.1.0"


def test_config_functions_are_direct_only(db):
    db.execute("CREATE VIEW leak AS SELECT okta_config('orgUrl', 'https://evil.example.com')")
    with pytest.raises(sqlite3.Error, match="unsafe use of okta_config"):
        db.execute("SELECT * FROM leak").fetchall()


def test_tables_are_eponymous_only(db):
    with pytest.raises(sqlite3.Error):
        db.execute("CREATE VIRTUAL TABLE x USING okta_users(token)")
