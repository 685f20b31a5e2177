"""Hostile networks and bad input: TLS, the token's confinement, interrupts,
threads, and every fault the fake org can inject, each with its exact outcome."""

import glob
import json
import os
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import EXT, connect, fresh, rows, start_fake

LIST_ALL = "SELECT id FROM okta_users ORDER BY id"


def error_of(conn, sql, *args):
    with pytest.raises(sqlite3.Error) as e:
        conn.execute(sql, args).fetchall()
    return str(e.value)


# ------------------------------------------------------------------- TLS

def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """A test CA, and server certificates: good, wrong host, expired, self-signed."""
    d = tmp_path_factory.mktemp("tls")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=sqlite-okta test CA", cwd=d)

    def signed(name, san, dates=None):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + name, cwd=d)
        (d / (name + ".ext")).write_text("subjectAltName=%s\n" % san)
        if dates is None:
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext", cwd=d)
        else:
            (d / "index.txt").write_text("")
            (d / "serial").write_text("1000\n")
            (d / "ca.cnf").write_text(
                "[ca]\ndefault_ca=d\n[d]\ndir=.\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
                "default_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n")
            openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in",
                    name + ".csr", "-out", name + ".pem", "-startdate", dates[0], "-enddate", dates[1],
                    "-extfile", name + ".ext", "-notext", cwd=d)
    signed("good", "DNS:localhost,IP:127.0.0.1")
    signed("wronghost", "DNS:wrong.example.com")
    signed("expired", "DNS:localhost,IP:127.0.0.1", ("20200101000000Z", "20200201000000Z"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "selfsigned.key", "-out",
            "selfsigned.pem", "-days", "2", "-subj", "/CN=localhost", "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=d)
    return d


@pytest.fixture(scope="session")
def tls_servers(certs):
    servers = {}
    for name in ("good", "wronghost", "expired", "selfsigned"):
        servers[name] = start_fake(users=60, extra=("--tls-cert", str(certs / (name + ".pem")),
                                                     "--tls-key", str(certs / (name + ".key"))),
                                   scheme="https", host="localhost")
    yield servers
    for s in servers.values():
        s.proc.terminate()


def test_tls_with_the_test_ca(tls_servers, certs):
    conn = connect(tls_servers["good"], caFile=str(certs / "ca.pem"))
    assert rows(conn, "SELECT count(*) FROM okta_users")[0][0] == 60


@pytest.mark.parametrize("name,needle", [
    ("wronghost", "SSL: no alternative certificate subject name matches"),
    ("expired", "certificate has expired"),
    ("selfsigned", "self-signed certificate"),
])
def test_tls_failures(tls_servers, certs, name, needle):
    fake = tls_servers[name]
    fake.reset()
    conn = connect(fake, caFile=str(certs / "ca.pem"))
    msg = error_of(conn, "SELECT count(*) FROM okta_users")
    assert msg.startswith("okta: GET /api/v1/users: ") and needle in msg, msg
    assert fake.requests() == []  # no request reached the server


def test_tls_without_the_ca_is_untrusted(tls_servers):
    conn = connect(tls_servers["good"])
    msg = error_of(conn, "SELECT count(*) FROM okta_users")
    assert "SSL certificate problem: unable to get local issuer certificate" in msg


def test_missing_ca_file_is_a_clear_error(tls_servers):
    conn = connect(tls_servers["good"], caFile="/nonexistent/ca.pem")
    assert "error setting certificate file: /nonexistent/ca.pem" in error_of(conn, "SELECT count(*) FROM okta_users")


# ----------------------------------------------------------- the token

@pytest.fixture
def evil():
    """Another server: the token must never reach it."""
    e = start_fake(users=10)
    yield e
    e.proc.terminate()


def test_token_never_follows_a_foreign_next_link_or_redirect(db, fake, evil):
    fake.faults({"path": "^/api/v1/users$", "kind": "foreign_next", "target": evil.url})
    assert "next-page link points to another origin (%s" % evil.url in error_of(db, "SELECT * FROM okta_users")
    fresh(db, fake)
    fake.faults({"path": "^/api/v1/groups$", "kind": "redirect", "target": evil.url})
    assert error_of(db, "SELECT * FROM okta_groups").startswith("okta: GET /api/v1/groups: 302 (empty body)")
    # a next link to the same host on another port is another origin too
    port = int(evil.url.rsplit(":", 1)[1])
    fresh(db, fake)
    fake.faults({"path": "^/api/v1/apps$", "kind": "foreign_next", "target": "http://127.0.0.1:%d" % port})
    assert "another origin" in error_of(db, "SELECT * FROM okta_applications")
    assert evil.requests() == []


FAILURE_SQL = """
.bail off
SELECT okta_debug();
SELECT okta_config('token');
SELECT count(*) FROM okta_users;
SELECT count(*) FROM okta_groups;
SELECT count(*) FROM okta_applications;
SELECT count(*) FROM okta_group_rules;
SELECT count(*) FROM okta_user_roles;
SELECT count(*) FROM okta_org;
SELECT count(*) FROM okta_system_log;
SELECT count(*) FROM okta_relationships WHERE type = 'okta_user_assigned_role';
SELECT okta_warnings();
SELECT okta_config('token', 'bad-token-value-xyz');
SELECT count(*) FROM okta_policies;
ATTACH '%(db)s' AS keep;
CREATE TABLE keep.users AS SELECT * FROM okta_users WHERE status = 'STAGED';
CREATE TABLE keep.dbg AS SELECT okta_debug() AS d, okta_warnings() AS w;
"""


def test_the_token_appears_nowhere(fake, tmp_path):
    """Every failure mode, with tracing on: the token is in no output and not in the database file."""
    fake.faults({"path": "^/api/v1/users$", "kind": "status", "status": 503, "times": 3},
                {"path": "^/api/v1/groups$", "kind": "html"},
                {"path": "^/api/v1/apps$", "kind": "foreign_next"},
                {"path": "^/api/v1/logs$", "kind": "truncate"})
    fake.config(rules_disabled=True, roles_forbidden=True, support_forbidden=True)
    dbfile = tmp_path / "evidence.db"
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, OKTA_SQLITE_TRACE="1",
               OKTA_SQLITE_BACKOFF_BASE="0.01", OKTA_SQLITE_PROGRESS="on")
    p = subprocess.run(["sqlite3", ":memory:", "-cmd", ".load " + EXT], input=FAILURE_SQL % {"db": dbfile},
                       capture_output=True, text=True, env=env, timeout=120)
    out = p.stdout + p.stderr
    assert "okta: trace: GET %s/api/v1/users" % fake.url in out  # tracing was on
    assert "503" in out and "text/html" in out and "another origin" in out and "malformed JSON" in out
    assert "401 E0000011" in out  # the bad token was tried, and is not shown either
    assert fake.token not in out and "bad-token-value-xyz" not in out
    assert "Authorization" not in out and "SSWS 00" not in out
    data = dbfile.read_bytes()
    assert fake.token.encode() not in data and b"bad-token-value-xyz" not in data


# --------------------------------------------------------- URL building

def test_ids_cannot_change_the_path_or_query(db, fake):
    # a key that is not a user id never reaches the network
    assert rows(db, "SELECT * FROM okta_users WHERE id = 'a#b?c=d&limit=1%2F'") == []
    assert rows(db, "SELECT * FROM okta_user_factors WHERE user_id = '../../groups'") == []
    assert fake.requests() == []
    # a key of a kind without an id syntax stays one path segment
    assert rows(db, "SELECT * FROM okta_policies WHERE id = 'a#b?c=d&limit=1%2F'") == []
    assert fake.requests()[0]["path"] == "/api/v1/policies/a%23b%3Fc%3Dd%26limit%3D1%252F"


def test_app_filter_value_is_escaped(db, fake):
    assert rows(db, """SELECT * FROM okta_applications WHERE name = 'x" or name pr or "'""") == []
    assert fake.requests()[0]["query"]["filter"] == r'name eq "x\" or name pr or \""'


# -------------------------------------------------- interrupt and threads

def test_interrupt_stops_in_flight_requests(db, fake):
    fake.config(latency_ms=30000)
    t0 = time.time()
    threading.Timer(0.3, db.interrupt).start()
    assert error_of(db, "SELECT count(*) FROM okta_user_factors") == "okta: interrupted"
    assert time.time() - t0 < 10  # not the 30 s the server would take
    fake.config(latency_ms=0)
    assert rows(db, "SELECT count(*) FROM okta_users WHERE status = 'RECOVERY'")[0][0] > 0


def test_two_connections_in_two_threads(fake, truth):
    results, errors = {}, []

    def work(name, sql):
        try:
            conn = connect(fake, **{"cache.enabled": "false"})
            results[name] = conn.execute(sql).fetchall()
            conn.close()
        except Exception as e:  # reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=("users", "SELECT id FROM okta_users ORDER BY id")),
               threading.Thread(target=work, args=("factors", "SELECT user_id, id FROM okta_user_factors ORDER BY 1, 2")),
               threading.Thread(target=work, args=("graph", "SELECT count(*) FROM okta_relationships "
                                                            "WHERE class = 'HAS'"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r[0] for r in results["users"]] == sorted(u["id"] for u in truth.users)
    assert results["factors"] == sorted((u, f["id"]) for u, fs in truth.factors.items() for f in fs)
    assert results["graph"][0][0] > len(truth.users)


# ------------------------------------------------------------------ faults

def test_429_storm_recovers_identically(db, fake):
    clean = rows(db, LIST_ALL)
    fresh(db, fake)
    fake.faults({"path": "^/api/v1/users$", "kind": "status", "status": 429, "reset_in": 0, "times": 3})
    assert rows(db, LIST_ALL) == clean
    assert sum(1 for r in fake.requests() if r["status"] == 429) == 3


def test_concurrency_429_storm_recovers_identically(db, fake, truth):
    clean = rows(db, "SELECT user_id, id FROM okta_user_factors WHERE user_id IN (%s) ORDER BY 1, 2" %
                 ",".join("'%s'" % u for u in list(truth.factors)[:30]))
    fresh(db, fake)
    fake.faults({"path": "/factors$", "kind": "status", "status": 429, "limit": 0, "times": 12})
    got = rows(db, "SELECT user_id, id FROM okta_user_factors WHERE user_id IN (%s) ORDER BY 1, 2" %
               ",".join("'%s'" % u for u in list(truth.factors)[:30]))
    assert got == clean


def test_stall_after_headers_times_out(fake):
    conn = connect(fake, requestTimeout="2")
    fake.faults({"path": "^/api/v1/users$", "kind": "stall", "seconds": 30, "times": -1})
    t0 = time.time()
    msg = error_of(conn, "SELECT * FROM okta_users")
    assert msg.startswith("okta: GET /api/v1/users: Timeout was reached") and "requestTimeout" in msg, msg
    assert time.time() - t0 < 10


def test_deep_json_is_an_error_not_a_crash(db, fake):
    fake.faults({"path": "^/api/v1/users$", "kind": "deep", "depth": 5000})
    assert "malformed JSON in the response" in error_of(db, "SELECT * FROM okta_users")


def test_moderately_deep_json_is_returned(db, fake):
    fake.faults({"path": "^/api/v1/users$", "kind": "deep", "depth": 200})
    got = rows(db, "SELECT id, profile FROM okta_users WHERE 1 LIMIT 1")
    assert got == [(None, None)]  # one odd item, no id, no profile: returned as is, no crash


def test_unexpected_types_come_back_as_sent(db, fake, truth):
    # Every value of every user replaced by one of another type: strings by
    # numbers, arrays by objects, numbers by null. Rows come back as sent.
    fake.faults({"path": "^/api/v1/users$", "kind": "types", "times": -1})
    got = rows(db, "SELECT id, status, login, typeof(login), typeof(credentials) FROM okta_users")
    assert len(got) == len(truth.users)
    assert {(r[1], r[2], r[3], r[4]) for r in got} == {(12345, 12345, "integer", "text")}


def test_a_listing_that_is_not_a_list_is_an_error(db, fake):
    fake.faults({"path": "^/api/v1/users$", "kind": "status", "status": 200, "body": '{"id": "x"}'})
    fake.faults({"path": "^/api/v1/groups$", "kind": "status", "status": 200, "body": "[]"})
    assert "unexpected response shape: expected a JSON array" in error_of(db, "SELECT * FROM okta_users")


def test_page_over_the_size_cap(fake):
    conn = connect(fake, maxResponseSize="1")
    fake.faults({"path": "^/api/v1/users$", "kind": "big", "mb": 3})
    assert error_of(conn, "SELECT * FROM okta_users").startswith(
        "okta: GET /api/v1/users: response larger than 1 MiB (setting maxResponseSize) (request req")


def test_connection_reset_mid_body_recovers(db, fake):
    clean = rows(db, LIST_ALL)
    fresh(db, fake)
    fake.faults({"path": "^/api/v1/users$", "kind": "reset", "times": 2})
    assert rows(db, LIST_ALL) == clean


def test_fuzz_regressions_are_kept():
    here = os.path.dirname(os.path.abspath(__file__))
    for target in ("link", "filter", "json", "config"):
        assert glob.glob(os.path.join(here, "fuzz", "corpus", target, "*")), target
