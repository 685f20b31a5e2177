"""The security review (issue 12): one regression test per finding, each
failing on the code before the fix (a crash, a hang, a request that reached
the wrong server, or a secret in the output). SECURITY.md names the test
that proves each promise.

Tests that crashed or hung the host process before the fix run their SQL in
a child process, so a regression fails the test instead of the test run."""

import copy
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from conftest import EXT, connect, rows, start_fake
from test_oauth import CLIENT_ID, keys, oauth_conn, service_app, yaml_files  # noqa: F401 (fixtures)

PY = sys.executable


def error_of(conn, sql, *args):
    with pytest.raises(sqlite3.Error) as e:
        conn.execute(sql, args).fetchall()
    return str(e.value)


CHILD = """
import json, os, sqlite3, sys
def connect(**settings):
    c = sqlite3.connect(":memory:")
    c.enable_load_extension(True)
    c.load_extension(%r)
    for k, v in settings.items():
        c.execute("SELECT okta_config(?, ?)", (k, v))
    return c
""" % EXT


def child(code, timeout=120, env=None, cwd=None):
    """Runs Python code (after CHILD) in a child process: a crash or hang
    there fails the calling test."""
    try:
        return subprocess.run([PY, "-c", CHILD + code], capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        pytest.fail("the child process hung: %s" % (e.stderr or b"")[-2000:])


def settle(fake, conn=None):
    """Closes conn and waits until requests it had sent have all reached
    the fake, so none lands in the next test's request log."""
    if conn is not None:
        conn.close()
    n = -1
    while n != len(fake.requests()):
        n = len(fake.requests())
        time.sleep(0.3)


@pytest.fixture
def evil():
    """Another server that must never see a request."""
    e = start_fake(users=10)
    yield e
    e.proc.terminate()
    e.proc.wait()


def unshare_ok():
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def in_namespace(binds, code, timeout=120, env=None):
    """Runs child Python code in a private mount namespace where each
    (source, target) of binds is bind-mounted: a machine's /etc/hosts or CA
    store, as a test needs it, without touching the real ones."""
    if not unshare_ok():
        pytest.skip("unprivileged mount namespaces (unshare -rm) are not available")
    script = "".join("mount --bind %s %s && " % (s, t) for s, t in binds)
    try:
        return subprocess.run(["unshare", "-rm", "sh", "-c", script + 'exec "$0" -c "$1"', PY, CHILD + code],
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        pytest.fail("the child process hung: %s" % (e.stderr or b"")[-2000:])


# ------------------------------------------- 1. okta_config() while scanning

def test_okta_config_inside_the_scan_that_uses_the_client(fake):
    """The function is called for each row of a scan whose cursor holds the
    client: the cursor keeps its client (heap-use-after-free in
    transfer_end before, under make test-asan)."""
    want = rows(connect(fake), "SELECT id FROM okta_users LIMIT 300 OFFSET 150")
    fake.config(latency_ms=100)  # the next page is still on its way when the function runs
    p = child("""
c = connect(orgUrl=%r, token=%r)
print(json.dumps(c.execute("SELECT okta_config('concurrency', '4'), id FROM okta_users LIMIT 300 OFFSET 150").fetchall()))
""" % (fake.url, fake.token))
    assert p.returncode == 0, p.stderr[-3000:]
    assert len(want) == 300 and json.loads(p.stdout) == [["4", r[0]] for r in want]


def test_okta_config_in_another_statement_while_one_scans(fake, truth):
    """A second statement changes settings while the first iterates: the
    first finishes with every row (it hung or crashed before)."""
    p = child("""
c = connect(orgUrl=%r, token=%r)
n = 0
for row in c.execute("SELECT id FROM okta_users"):
    n += 1
    if n in (5, 250, 1200):
        c.execute("SELECT okta_config('concurrency', ?)", (str(n %% 7 + 1),)).fetchall()
        c.execute("SELECT count(*) FROM okta_groups").fetchall()
print(n)
""" % (fake.url, fake.token))
    assert p.returncode == 0, p.stderr[-3000:]
    assert int(p.stdout) == len(truth.users)


def test_a_setting_applies_to_the_next_statement(db, fake):
    rows(db, "SELECT id FROM okta_groups")
    rows(db, "SELECT id FROM okta_groups")
    assert len(fake.requests("/api/v1/groups")) == 1  # the second came from the cache
    db.execute("SELECT okta_config('cache.enabled', 'false')")
    rows(db, "SELECT id FROM okta_groups")
    rows(db, "SELECT id FROM okta_groups")
    assert len(fake.requests("/api/v1/groups")) == 3


# ------------------------------------------------------- 2. YAML aliases

@pytest.mark.parametrize("text,message", [
    ("okta:\n  client: &a\n    x: *a\n", ": unknown key okta.client.x"),
    ("okta:\n  client: &a\n    rateLimit: *a\n", ": okta.client.rateLimit refers to itself through an alias"),
    # 10^9 pairs through aliases; the leaves' keys are sequences, which the
    # walk skips, so nothing stopped it at the first leaf.
    ("x0: &m0 {[a]: 1, [b]: 2, [c]: 3, [d]: 4, [e]: 5, [f]: 6, [g]: 7, [h]: 8, [i]: 9, [j]: 10}\n" +
     "".join("x%d: &m%d {%s}\n" % (i, i, ", ".join("k%d: *m%d" % (j, i - 1) for j in range(10)))
             for i in range(1, 9)) + "okta:\n  client:\n    cache: *m8\n", ": unknown key okta.client.cache.k0"),
], ids=["cycle", "cycle-in-a-group", "expansion-bomb"])
def test_yaml_alias_cycles_and_bombs_are_errors(fake, tmp_path, text, message):
    """A cycle overflowed the stack; the bomb (10^8 keys) never finished."""
    (tmp_path / ".okta.yaml").write_text(text)
    p = child("""
c = connect(orgUrl=%r, token=%r)
try:
    c.execute("SELECT 1 FROM okta_users").fetchall()
except sqlite3.Error as e:
    print(e)
""" % (fake.url, fake.token), cwd=str(tmp_path), timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.startswith("okta: .okta.yaml" + message), p.stdout
    assert fake.requests() == []


def test_the_yaml_crasher_is_in_the_fuzz_corpus():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz", "corpus", "config")
    texts = [open(os.path.join(here, f), "rb").read() for f in os.listdir(here)]
    assert b"okta:\n  client: &a\n    x: *a\n" in texts
    assert sum(1 for t in texts if b"&" in t and b"*" in t) >= 4


# ------------------------------------ 3. credentials bound to the org URL

HOME_YAML = "okta:\n  client:\n    orgUrl: %s\n    token: %s\n"


def test_project_yaml_cannot_redirect_the_home_token(fake, evil, yaml_files):
    """The reproduced leak: ./.okta.yaml sets only orgUrl, the token came
    from ~/.okta/okta.yaml and went to the file's host."""
    yaml_files["write"](yaml_files["home"], HOME_YAML % (fake.url, fake.token))
    yaml_files["write"](yaml_files["cwd"], "okta:\n  client:\n    orgUrl: %s\n" % evil.url)
    conn = connect(None)
    msg = error_of(conn, "SELECT count(*) FROM okta_users")
    assert msg == ("okta: .okta.yaml sets orgUrl but not token (it comes from %s): credentials are only sent to "
                   "the org they were configured with; set token in the same place as orgUrl" % yaml_files["home"])
    assert evil.requests() == [] and fake.requests() == []


def test_project_yaml_cannot_swap_the_ca(fake, yaml_files, tmp_path):
    yaml_files["write"](yaml_files["home"], HOME_YAML % (fake.url, fake.token))
    yaml_files["write"](yaml_files["cwd"], "okta:\n  client:\n    caFile: %s\n" % (tmp_path / "evil-ca.pem"))
    msg = error_of(connect(None), "SELECT count(*) FROM okta_users")
    assert msg.startswith("okta: .okta.yaml sets caFile but not token (it comes from %s)" % yaml_files["home"]), msg
    assert fake.requests() == []


def test_project_yaml_with_a_dummy_token_cannot_take_the_env_token(fake, evil, yaml_files, monkeypatch):
    """The file brings a token of its own, but the environment's wins: the
    user's token would go to the file's org."""
    yaml_files["write"](yaml_files["cwd"], "okta:\n  client:\n    orgUrl: %s\n    token: dummy\n" % evil.url)
    monkeypatch.setenv("OKTA_CLIENT_TOKEN", fake.token)
    msg = error_of(connect(None), "SELECT count(*) FROM okta_users")
    assert msg.startswith("okta: .okta.yaml sets orgUrl, so token must come from that file too, not from "
                          "OKTA_CLIENT_TOKEN"), msg
    # and okta_config('token') is no different
    monkeypatch.delenv("OKTA_CLIENT_TOKEN")
    msg = error_of(connect(None, token=fake.token), "SELECT count(*) FROM okta_users")
    assert "so token must come from that file too, not from okta_config('token')" in msg
    assert evil.requests() == []


def test_env_or_sql_org_url_needs_its_own_credentials(fake, evil, yaml_files, monkeypatch):
    yaml_files["write"](yaml_files["home"], HOME_YAML % (fake.url, fake.token))
    monkeypatch.setenv("OKTA_CLIENT_ORGURL", evil.url)
    msg = error_of(connect(None), "SELECT count(*) FROM okta_users")
    assert msg.startswith("okta: OKTA_CLIENT_ORGURL sets orgUrl but not token (it comes from %s)" %
                          yaml_files["home"]), msg
    monkeypatch.delenv("OKTA_CLIENT_ORGURL")
    monkeypatch.setenv("OKTA_CLIENT_TOKEN", fake.token)
    msg = error_of(connect(None, orgUrl=evil.url), "SELECT count(*) FROM okta_users")
    assert msg.startswith("okta: okta_config('orgUrl') sets orgUrl but not token (it comes from "
                          "OKTA_CLIENT_TOKEN)"), msg
    assert evil.requests() == []


def test_private_key_stays_with_its_org(fake, evil, yaml_files, keys):  # noqa: F811
    yaml_files["write"](yaml_files["home"], "okta:\n  client:\n    orgUrl: %s\n    authorizationMode: PrivateKey\n"
                                            "    clientId: %s\n    privateKey: %s\n" % (fake.url, CLIENT_ID,
                                                                                        keys["rsa"]))
    yaml_files["write"](yaml_files["cwd"], "okta:\n  client:\n    orgUrl: %s\n    clientId: mine\n" % evil.url)
    msg = error_of(connect(None), "SELECT count(*) FROM okta_users")
    assert msg.startswith("okta: .okta.yaml sets orgUrl but not privateKey (it comes from %s)" %
                          yaml_files["home"]), msg
    assert evil.requests() == []


def test_layer_combinations_that_are_fine(fake, yaml_files, monkeypatch, truth):
    """Credentials from the URL's own layer or a higher one (the user's
    environment or SQL) work, and okta_debug() says where each came from."""
    home = yaml_files["write"](yaml_files["home"], HOME_YAML % (fake.url, "wrong-token"))
    monkeypatch.setenv("OKTA_CLIENT_TOKEN", fake.token)       # home URL, env token
    conn = connect(None)
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    dbg = conn.execute("SELECT okta_debug()").fetchone()[0]
    assert "orgUrl from: %s\ncredentials from: token OKTA_CLIENT_TOKEN\n" % home in dbg
    monkeypatch.delenv("OKTA_CLIENT_TOKEN")
    conn = connect(None, token=fake.token)                     # home URL, SQL token
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    assert "credentials from: token okta_config('token')" in conn.execute("SELECT okta_debug()").fetchone()[0]
    with open(home, "w") as f:
        f.write("okta:\n  client:\n    concurrency: 4\n")
    yaml_files["write"](yaml_files["cwd"], HOME_YAML % (fake.url, fake.token))  # project file with both
    conn = connect(None)
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    assert "orgUrl from: .okta.yaml\ncredentials from: token .okta.yaml\n" in \
        conn.execute("SELECT okta_debug()").fetchone()[0]
    conn = connect(fake)                                       # SQL overrides everything
    assert "orgUrl from: okta_config('orgUrl')\ncredentials from: token okta_config('token')" in \
        conn.execute("SELECT okta_debug()").fetchone()[0]
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)


# ------------------------------------------------- 4. failed prefetches

def test_followers_of_a_failed_prefetch_get_its_error(fake, keys, truth):  # noqa: F811
    """OAuth, users JOIN factors; the token endpoint starts refusing
    mid-query. Requests that waited for a prefetch whose token request
    failed waited forever (interrupted here after 30 s). One request at a
    time, so the next user's prefetch is still queued when its request
    starts following it."""
    service_app(fake, keys["rsa_jwk"], expires_in=2)
    # Without the cache the probes stay per user (no store answers them from
    # one listing), so requests are still due after the key changes.
    conn = oauth_conn(fake, keys["rsa"], concurrency="1", **{"cache.enabled": "false"})
    cur = conn.execute("SELECT u.id, f.id FROM okta_users u JOIN okta_user_factors f ON f.user_id = u.id")
    for _ in range(5):
        assert cur.fetchone()
    service_app(fake, keys["other_jwk"], expires_in=2)  # our key is no longer the app's
    time.sleep(2.2)                                     # the token is due for renewal
    timer = threading.Timer(30, conn.interrupt)
    timer.start()
    try:
        with pytest.raises(sqlite3.Error) as e:
            cur.fetchall()
    finally:
        timer.cancel()
    msg = str(e.value)
    assert msg.startswith("okta: GET /api/v1/users/{key}/factors: POST /oauth2/v1/token: 401 invalid_client: "
                          "The client_assertion signature is invalid."), msg
    settle(fake, conn)


# ------------------------------------------------------- 5. redaction

SECRETS = {
    "keep": "visible-marker",
    "revealPassword": True,
    "client_secret": "LEAK-client-secret",
    "client": {"client_id": "cid-visible", "client_secret": "LEAK-idp-client-secret"},
    "sharedSecret": "LEAK-shared-secret",
    "app": {"secretKey": "LEAK-aws-secret", "accessKey": "LEAK-aws-key-id", "password": "LEAK-app-password",
            "passwordField": "pwfield-visible", "authToken": "LEAK-auth-token", "integrationKey": "LEAK-duo-ikey"},
    "privateKey": "LEAK-private-key",
    "password": {"value": "LEAK-password", "hash": {"algorithm": "BCRYPT", "salt": "LEAK-salt", "value": "LEAK-hash"}},
    "authScheme": {"type": "HEADER", "key": "Authorization", "value": "LEAK-hook-secret"},
    "signing": {"kid": "kid-visible", "secret": "LEAK-signing-secret"},
    "jwks": {"keys": [{"kty": "RSA", "kid": "k1", "n": "n-visible", "e": "AQAB", "d": "LEAK-jwk-d", "p": "LEAK-jwk-p",
                       "q": "LEAK-jwk-q", "dp": "LEAK-jwk-dp", "dq": "LEAK-jwk-dq", "qi": "LEAK-jwk-qi"},
                      {"kty": "oct", "k": "LEAK-jwk-oct"}]},
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nLEAK-pem\n-----END RSA PRIVATE KEY-----\n",
    "certificate": "-----BEGIN CERTIFICATE-----\ncert-visible\n-----END CERTIFICATE-----\n",
    "apiToken": "LEAK-api-token",
    "refresh_token": {"rotation_type": "rotate-visible", "leeway": 30},
    "endpoints": {"token": {"url": "https://idp.example.com/token-visible", "binding": "HTTP-POST"}},
    "recovery_question": {"question": "question-visible", "answer": "LEAK-answer"},
    "passwordChanged": "2024-01-01T00:00:00.000Z",
    "pin": {"passphrase": 123456},
}


def secret_item(schema):
    """One item that carries the secrets at every JSON column's path of
    every table, and at its top (for whole-object columns)."""
    item = copy.deepcopy(SECRETS)
    item.update({"id": "00uSECRETITEM0001d7", "status": "ACTIVE", "type": "PASSWORD", "name": "n", "label": "l"})
    for t in schema:
        for c in t["columns"]:
            if c["type"] != "JSON" or not re.match(r"^[A-Za-z_][\w.]*$", c["source"] or ""):
                continue
            node = item
            parts = c["source"].split(".")
            for p in parts[:-1]:
                node = node.setdefault(p, {}) if isinstance(node.get(p, {}), dict) else node
            if isinstance(node, dict) and not isinstance(node.get(parts[-1]), dict):
                node[parts[-1]] = [copy.deepcopy(SECRETS)] if parts[-1] == "target" else copy.deepcopy(SECRETS)
    item["settings"] = copy.deepcopy(SECRETS)
    item["credentials"] = copy.deepcopy(SECRETS)
    item["protocol"] = copy.deepcopy(SECRETS)  # okta_identity_providers.protocol: a derived column
    return item


def test_every_json_column_of_every_table_is_redacted(db, fake):
    """Every request answers with items that carry secrets everywhere; no
    table, graph table included, returns one (okta_identity_providers
    returned client_secret before)."""
    schema = json.loads(db.execute("SELECT okta_schema()").fetchone()[0])
    item = secret_item(schema)
    fake.faults({"path": "^/api/v1/org$", "kind": "status", "status": 200, "body": json.dumps(item), "times": -1},
                {"path": "^/api/v1/org/", "kind": "status", "status": 200, "body": json.dumps(item), "times": -1},
                {"path": "^/api/v1/iam/assignees/users$", "kind": "status", "status": 200,
                 "body": json.dumps({"value": [item]}), "times": -1},
                # the IAM listings wrap their items in an object (Okta's OpenAPI spec)
                {"path": "^/api/v1/iam/roles$", "kind": "status", "status": 200,
                 "body": json.dumps({"roles": [item]}), "times": -1},
                {"path": "^/api/v1/iam/roles/[^/]+/permissions$", "kind": "status", "status": 200,
                 "body": json.dumps({"permissions": [item]}), "times": -1},
                {"path": "^/api/v1/iam/resource-sets$", "kind": "status", "status": 200,
                 "body": json.dumps({"resource-sets": [item]}), "times": -1},
                {"path": "^/api/v1/iam/resource-sets/[^/]+/resources$", "kind": "status", "status": 200,
                 "body": json.dumps({"resources": [item]}), "times": -1},
                {"path": "^/api/v1/(?!org)", "kind": "status", "status": 200, "body": json.dumps([item]),
                 "times": -1})
    tables = [t["name"] for t in schema] + ["okta_entities", "okta_relationships"]
    for name in tables:
        try:
            got = db.execute("SELECT * FROM %s" % name).fetchall()
        except sqlite3.Error as e:
            raise AssertionError((name, str(e)))
        dump = json.dumps(got)
        assert "LEAK" not in dump, (name, re.findall(r"LEAK[-\w]*", dump)[:5])
        json_cols = [c for t in schema if t["name"] == name for c in t["columns"] if c["type"] == "JSON"]
        if json_cols:
            assert got and "visible-marker" in dump, name
    protocol = json.loads(db.execute("SELECT protocol FROM okta_identity_providers").fetchone()[0])
    assert protocol["client"] == {"client_id": "cid-visible", "client_secret": "(redacted)"}
    assert protocol["revealPassword"] is True and protocol["passwordChanged"] == "2024-01-01T00:00:00.000Z"
    assert protocol["app"]["passwordField"] == "pwfield-visible" and protocol["signing"]["kid"] == "kid-visible"
    assert protocol["jwks"]["keys"][0]["n"] == "n-visible" and protocol["jwks"]["keys"][0]["d"] == "(redacted)"
    assert protocol["endpoints"]["token"]["url"] == "https://idp.example.com/token-visible"
    assert protocol["refresh_token"]["rotation_type"] == "rotate-visible"
    assert protocol["recovery_question"] == {"question": "question-visible", "answer": "(redacted)"}
    assert protocol["password"]["hash"] == {"algorithm": "(redacted)", "salt": "(redacted)", "value": "(redacted)"}
    assert protocol["pem"] == "(redacted)" and "cert-visible" in protocol["certificate"]
    assert protocol["pin"] == {"passphrase": "(redacted)"}
    settle(fake, db)


def secret_name(key):
    k = key.lower().replace("_", "").replace("-", "")
    return bool(re.search(r"secret|privatekey|passphrase|apikey|sharedkey|accesskey|integrationkey", k) or
                (("password" in k or k.endswith("token")) and not re.search(r"(changed|field|selector|expired|intoken)$", k)))


def test_no_text_column_reads_a_secret_path(db):
    """JSON columns are redacted centrally; a text column's path must not
    lead to a secret in the first place (a new table is checked here)."""
    for t in json.loads(db.execute("SELECT okta_schema()").fetchone()[0]):
        for c in t["columns"]:
            parts = re.findall(r"[A-Za-z_]\w*", c["source"] or "")
            if parts and re.search(r"(minutes|seconds|lifetime|count)$", parts[-1].lower()):
                continue  # a duration or count under a secret's name (actions.token.accessTokenLifetimeMinutes)
            assert not any(secret_name(p) for p in parts), (t["name"], c["name"], c["source"])


# ------------------------------------------------ 6. secrets in errors

@pytest.mark.parametrize("value", [
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7s3cr3tk3ym4t3r14l",
    '{"kty":"RSA","n":"x","e":"AQAB","d":"s3cr3t-jwk-d"}',
    "pasted key material\nsecond line s3cr3t",
])
def test_a_private_key_value_is_never_printed(fake, value):
    conn = connect(None, orgUrl=fake.url, authorizationMode="PrivateKey", clientId=CLIENT_ID, privateKey=value)
    msg = error_of(conn, "SELECT 1 FROM okta_users")
    assert msg.startswith("okta: okta_config('privateKey'): is neither PEM key text nor a readable file"), msg
    assert value not in msg and "s3cr3t" not in msg and "MIIE" not in msg
    assert fake.requests() == []


@pytest.mark.parametrize("where", ["sql", "env"])
def test_org_url_user_info_is_refused_and_never_shown(fake, monkeypatch, where):
    url = "https://admin:hunter2@acme.okta.com"
    if where == "env":
        monkeypatch.setenv("OKTA_CLIENT_ORGURL", url)
        monkeypatch.setenv("OKTA_CLIENT_TOKEN", "t")
        conn, src = connect(None), "OKTA_CLIENT_ORGURL"
    else:
        conn, src = connect(None, orgUrl=url, token="t"), "okta_config('orgUrl')"
    msg = error_of(conn, "SELECT * FROM okta_users")
    assert msg == ("okta: %s 'https://***@acme.okta.com' contains user info: user names and passwords are not "
                   "allowed in the org URL" % src), msg
    out = conn.execute("SELECT okta_debug(), okta_config('orgUrl')").fetchone()
    assert "hunter2" not in "".join(out) and "admin" not in "".join(out)
    assert "orgUrl = https://***@acme.okta.com" in out[0] and out[1] == "https://***@acme.okta.com"


# ------------------------------------------------ 9. rate-limit waits

# The groups listing that spends the bucket, and the next one (their own
# filters, so a late request of an earlier test cannot take the fault).
SPEND = "SELECT id FROM okta_groups WHERE type = 'OKTA_GROUP'"
NEXT = "SELECT id FROM okta_groups WHERE type = 'APP_GROUP'"


def spent_bucket(fake, conn, reset_in=3600):
    reset = int(time.time()) + reset_in
    while not 10 <= reset % 60 <= 50:  # the error shows it to the minute: no rounding across one
        reset -= 1                     # (and a reset is taken as at most an hour away)
    fake.faults({"path": "^/api/v1/groups$", "query": "OKTA_GROUP", "kind": "status", "status": 200,
                 "body": "[]", "headers": {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0",
                                           "X-Rate-Limit-Reset": str(reset)}})
    assert rows(conn, SPEND) == []
    return reset


def group_listings(fake):
    """The requests SPEND and NEXT made."""
    return [r for r in fake.requests("/api/v1/groups") if "type eq" in r["query"].get("filter", "")]


def interrupt_after(conn, seconds):
    t = threading.Timer(seconds, conn.interrupt)
    t.start()
    return t


def test_a_spent_budget_an_hour_away_fails_at_once(fake):
    """It waited for the hour (interrupted here after 30 s before)."""
    conn = connect(fake, **{"cache.enabled": "false"})
    reset = spent_bucket(fake, conn)
    t = interrupt_after(conn, 30)
    try:
        msg = error_of(conn, NEXT)
    finally:
        t.cancel()
    when = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(reset))
    assert msg.startswith("okta: GET /api/v1/groups: rate limit: bucket /api/v1/groups* has no requests left "
                          "(X-Rate-Limit-Remaining 0 of 600) until it resets at %s" % when), msg
    assert "longer than rateLimit.maxBackoff (60 s) allows; not waiting" in msg
    assert len(group_listings(fake)) == 1  # the second request was never sent


def test_a_budget_wait_is_bounded_by_request_timeout(fake):
    conn = connect(fake, requestTimeout="2", **{"cache.enabled": "false", "rateLimit.maxBackoff": "3600"})
    spent_bucket(fake, conn, reset_in=600)
    t = interrupt_after(conn, 30)
    try:
        msg = error_of(conn, NEXT)
    finally:
        t.cancel()
    assert "longer than requestTimeout (2 s) allows" in msg, msg
    assert len(group_listings(fake)) == 1


def test_interrupt_ends_a_budget_wait(fake):
    conn = connect(fake, requestTimeout="0", **{"cache.enabled": "false", "rateLimit.maxBackoff": "3600"})
    spent_bucket(fake, conn, reset_in=1800)
    t = interrupt_after(conn, 0.5)
    try:
        assert error_of(conn, NEXT) == "okta: interrupted"
    finally:
        t.cancel()
    assert len(group_listings(fake)) == 1


# ---------------------------------------------- 10. encrypted private keys

@pytest.fixture(scope="module")
def encrypted_key(keys, tmp_path_factory):  # noqa: F811
    d = tmp_path_factory.mktemp("enc")
    path = d / "enc.pem"
    subprocess.run(["openssl", "pkey", "-in", keys["rsa"], "-aes256", "-passout", "pass:correct horse",
                    "-out", str(path)], check=True, capture_output=True)
    return str(path)


def run_on_a_terminal(code, timeout=60):
    """Runs child Python code with a terminal as its controlling tty (where
    OpenSSL's default callback prompts); returns everything written to it.
    A prompt fails at once: nobody would answer it."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(PY, [PY, "-c", CHILD + code])
    out, deadline = b"", time.time() + timeout
    try:
        while time.time() < deadline and b"pass phrase" not in out.lower():
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return out.decode(errors="replace")


def test_an_encrypted_key_never_prompts(fake, keys, encrypted_key):  # noqa: F811
    service_app(fake, keys["rsa_jwk"])
    out = run_on_a_terminal("""
c = connect(orgUrl=%r, authorizationMode="PrivateKey", clientId=%r, privateKey=%r)
try:
    c.execute("SELECT count(*) FROM okta_users").fetchall()
except sqlite3.Error as e:
    print("ERROR:", e)
""" % (fake.url, CLIENT_ID, encrypted_key))
    assert "pass phrase" not in out.lower(), out
    assert ("ERROR: okta: okta_config('privateKey'): %s is an encrypted private key and no passphrase is set"
            % encrypted_key) in out, out
    assert fake.requests() == []


def test_an_encrypted_key_with_its_passphrase(fake, keys, encrypted_key, truth):  # noqa: F811
    service_app(fake, keys["rsa_jwk"])
    conn = oauth_conn(fake, encrypted_key, privateKeyPassphrase="correct horse")
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    dbg = conn.execute("SELECT okta_debug()").fetchone()[0]
    assert "privateKeyPassphrase = (set, hidden)" in dbg and "correct horse" not in dbg
    conn = oauth_conn(fake, encrypted_key, privateKeyPassphrase="wrong")
    assert "is an encrypted private key and privateKeyPassphrase does not decrypt it" in \
        error_of(conn, "SELECT 1 FROM okta_users")


# ------------------------------------------- 11. plain http only to loopback

@pytest.mark.parametrize("host", ["127.0.0.256", "127.999.1.1", "0x7f.1", "2130706433", "127.1", "127.0.0.01",
                                  "localhost.", "[::ffff:127.0.0.1]"])
def test_plain_http_to_what_only_looks_like_loopback_is_refused(fake, host):
    port = fake.url.rsplit(":", 1)[1]
    conn = connect(None, orgUrl="http://%s:%s" % (host, port), token=fake.token)
    msg = error_of(conn, "SELECT count(*) FROM okta_users")
    assert "must use https:// (http:// is only allowed to a literal loopback address" in msg, msg
    assert fake.requests() == []


def test_a_resolver_cannot_make_a_name_look_like_loopback(fake, tmp_path):
    """127.999.1.1 was taken for loopback; a hosts file (any resolver) then
    decided where the token went in clear: here, to the fake."""
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost 127.999.1.1\n")
    port = fake.url.rsplit(":", 1)[1]
    p = in_namespace([(hosts, "/etc/hosts")], """
c = connect(orgUrl="http://127.999.1.1:%s", token=%r)
try:
    print(c.execute("SELECT count(*) FROM okta_groups").fetchall())
except sqlite3.Error as e:
    print("ERROR:", e)
""" % (port, fake.token))
    assert "ERROR: okta: okta_config('orgUrl') 'http://127.999.1.1:%s' must use https://" % port in p.stdout, \
        p.stdout + p.stderr
    assert fake.requests() == []


def test_plain_http_never_goes_through_a_proxy(fake, monkeypatch, truth):
    """http_proxy in the environment: the request (with the token, in
    clear) went to the proxy before."""
    seen = []
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(5)

    def accept():
        while True:
            try:
                c, _ = proxy.accept()
            except OSError:
                return
            seen.append(c.recv(4096))
            c.close()
    threading.Thread(target=accept, daemon=True).start()
    try:
        for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.setenv(var, "http://127.0.0.1:%d" % proxy.getsockname()[1])
        conn = connect(fake, **{"rateLimit.maxRetries": "0"})
        assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    finally:
        proxy.close()
    assert seen == []


def test_localhost_is_pinned_to_127_0_0_1(fake, tmp_path):
    """Whatever the hosts file says, localhost is 127.0.0.1 (libcurl before
    7.78 asked the resolver)."""
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.2 localhost\n")
    port = fake.url.rsplit(":", 1)[1]
    p = in_namespace([(hosts, "/etc/hosts")], """
c = connect(orgUrl="http://localhost:%s", token=%r)
print(c.execute("SELECT count(*) FROM okta_groups").fetchall()[0][0])
""" % (port, fake.token))
    assert p.returncode == 0, p.stderr[-2000:]
    assert int(p.stdout) > 0 and len(fake.requests("/api/v1/groups")) == 1


# ------------------------------------------------- 12. caFile replaces the store

def openssl(*args, cwd):
    return subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def two_cas(tmp_path_factory):
    """A "system" CA (bind-mounted as the machine's store in a namespace),
    another CA for caFile, and a server certificate from each."""
    d = tmp_path_factory.mktemp("cas")
    for ca in ("sysca", "fileca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem",
                "-days", "2", "-subj", "/CN=sqlite-okta %s" % ca, cwd=d)
        name = ca + "-server"
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=localhost", cwd=d)
        (d / (name + ".ext")).write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext", cwd=d)
    store = d / "store"
    store.mkdir()
    h = openssl("x509", "-hash", "-noout", "-in", "sysca.pem", cwd=d).decode().strip()
    shutil.copy(d / "sysca.pem", store / (h + ".0"))
    shutil.copy(d / "sysca.pem", store / "ca-certificates.crt")
    servers = {ca: start_fake(users=20, extra=("--tls-cert", str(d / (ca + "-server.pem")),
                                               "--tls-key", str(d / (ca + "-server.key"))),
                              scheme="https", host="localhost") for ca in ("sysca", "fileca")}
    yield d, store, servers
    for s in servers.values():
        s.proc.terminate()


def test_ca_file_replaces_the_system_store(two_cas):
    """A server the system store trusts is refused when caFile names
    another CA (curl's built-in CA path stayed in use before)."""
    d, store, servers = two_cas
    code = """
def count(url, **kw):
    try:
        return connect(orgUrl=url, token=%r, **kw).execute("SELECT count(*) FROM okta_users").fetchone()[0]
    except sqlite3.Error as e:
        return str(e)
print(json.dumps([count(%r), count(%r, caFile=%r), count(%r, caFile=%r)]))
""" % (servers["sysca"].token, servers["sysca"].url, servers["sysca"].url, str(d / "fileca.pem"),
       servers["fileca"].url, str(d / "fileca.pem"))
    p = in_namespace([(store, "/etc/ssl/certs")], code)
    assert p.returncode == 0, p.stderr[-2000:]
    system_only, with_other_ca, with_its_ca = json.loads(p.stdout)
    assert system_only == 20  # the namespace's system store trusts the server
    assert with_its_ca == 20
    assert isinstance(with_other_ca, str) and "unable to get local issuer certificate" in with_other_ca, with_other_ca


# ------------------------------------------ 13. untrusted database files

def test_views_and_triggers_in_a_database_file_cannot_read_the_org(fake, tmp_path, truth):
    path = tmp_path / "received.db"
    raw = sqlite3.connect(str(path))  # made without the extension, as an attacker would
    raw.executescript("""
        CREATE TABLE loot(v TEXT);
        CREATE TABLE t(x);
        INSERT INTO t VALUES (0);
        CREATE VIEW v_users AS SELECT login FROM okta_users;
        CREATE VIEW v_graph AS SELECT * FROM okta_relationships;
        CREATE TRIGGER steal AFTER INSERT ON t BEGIN INSERT INTO loot SELECT login FROM okta_users; END;
        CREATE TRIGGER steal_graph AFTER UPDATE ON t BEGIN INSERT INTO loot SELECT to_key FROM okta_entities; END;
    """)
    raw.close()
    for trusted in ("ON", "OFF"):
        conn = sqlite3.connect(str(path))
        conn.enable_load_extension(True)
        conn.load_extension(EXT)
        conn.execute("SELECT okta_config('orgUrl', ?)", (fake.url,))
        conn.execute("SELECT okta_config('token', ?)", (fake.token,))
        conn.execute("PRAGMA trusted_schema = %s" % trusted)
        for sql, table in (("SELECT * FROM v_users", "okta_users"), ("SELECT * FROM v_graph", "okta_relationships"),
                           ("INSERT INTO t VALUES (1)", "okta_users"), ("UPDATE t SET x = 2", "okta_entities")):
            msg = error_of(conn, sql)
            assert msg == 'unsafe use of virtual table "%s"' % table, (trusted, sql, msg)
        assert conn.execute("SELECT count(*) FROM loot").fetchone()[0] == 0
        assert fake.requests() == []
        # Typed by the user, the tables (and the graph's own statements) work,
        # and so does a TEMP view (not part of the file's schema).
        assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
        assert rows(conn, "SELECT count(*) FROM okta_relationships WHERE class = 'HAS' AND from_type = "
                          "'okta_account' AND to_type = 'okta_user_group'")[0][0] == len(truth.groups) - sum(
            1 for g in truth.groups if g["type"] == "APP_GROUP")
        conn.execute("CREATE TEMP VIEW mine AS SELECT id FROM okta_groups")
        assert rows(conn, "SELECT count(*) FROM mine")[0][0] == len(truth.groups)
        conn.close()
        fake.reset()


# ---------------------------------------------------------- also fixed

def test_jti_needs_a_secure_random_source(fake, keys, tmp_path):  # noqa: F811
    """Without a CSPRNG the assertion's jti came from rand(); now the token
    request is not made."""
    shim = tmp_path / "norandom.c"
    shim.write_text("#include <errno.h>\n#include <stddef.h>\n#include <sys/types.h>\n"
                    "int RAND_bytes(unsigned char *b, int n) { (void)b; (void)n; return 0; }\n"
                    "ssize_t getrandom(void *b, size_t n, unsigned f) { (void)b; (void)n; (void)f; "
                    "errno = ENOSYS; return -1; }\n")
    so = tmp_path / "norandom.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(so), str(shim)], check=True, capture_output=True)
    service_app(fake, keys["rsa_jwk"])
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_AUTHORIZATIONMODE="PrivateKey",
               OKTA_CLIENT_CLIENTID=CLIENT_ID, OKTA_CLIENT_PRIVATEKEY=keys["rsa"],
               LD_PRELOAD=" ".join(x for x in (os.environ.get("LD_PRELOAD"), str(so)) if x))
    p = subprocess.run(["sqlite3", ":memory:", "-cmd", ".load " + EXT, "SELECT count(*) FROM okta_groups"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert "no secure random number source (OpenSSL RAND_bytes and getrandom failed): cannot make a client " \
           "assertion" in p.stderr, p.stdout + p.stderr
    assert fake.requests() == []


def test_a_readable_okta_yaml_with_a_secret_is_warned_about(fake, yaml_files, truth):
    path = yaml_files["write"](yaml_files["home"], HOME_YAML % (fake.url, fake.token))
    os.chmod(path, 0o644)
    conn = connect(None)
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)  # a warning, not an error
    w = json.loads(conn.execute("SELECT okta_warnings()").fetchone()[0])
    assert [(x["source"], x["message"]) for x in w] == [
        ("okta.yaml", "%s holds a secret but is readable by others: chmod 600 %s" % (path, path))]
    p = subprocess.run(["sqlite3", ":memory:", "-cmd", ".load " + EXT, "SELECT count(*) FROM okta_groups;",
                        "SELECT count(*) FROM okta_users WHERE status = 'STAGED';"],
                       capture_output=True, text=True, timeout=120)
    assert p.stderr.count("okta: warning: %s holds a secret but is readable by others" % path) == 1, p.stderr
    os.chmod(path, 0o600)
    conn = connect(None)
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    assert json.loads(conn.execute("SELECT okta_warnings()").fetchone()[0]) == []


def copies_in_memory(pid, needles):
    """How many times each needle occurs in the writable memory of a
    (stopped, child) process."""
    counts = [0] * len(needles)
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            a, b = int(m.group(1), 16), int(m.group(2), 16)
            if not m.group(3).startswith("rw") or b - a > (1 << 30):
                continue  # read-only, or a sanitizer's shadow reservation
            try:
                mem.seek(a)
                data = mem.read(b - a)
            except (OSError, OverflowError):
                continue
            for i, n in enumerate(needles):
                counts[i] += data.count(n)
    return counts


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="ASan's allocator moves every realloc'd block and never reuses the old one, so the "
                           "copies libyaml's growing scalar buffers leave behind (not ours to wipe) stay readable")
def test_the_private_key_is_wiped_from_memory(fake, keys, tmp_path, truth):  # noqa: F811
    """The key in okta.yaml as PEM text, used, then the connection closed:
    no line of it is left in the process's memory (libyaml's input buffer
    and parsed document, the settings and the key text each kept a copy
    before: 5 to 8 of each line)."""
    service_app(fake, keys["rsa_jwk"])
    pem = open(keys["rsa"]).read()
    home = tmp_path / "home"
    (home / ".okta").mkdir(parents=True)
    cfg = home / ".okta" / "okta.yaml"
    cfg.write_text("okta:\n  client:\n    orgUrl: %s\n    authorizationMode: PrivateKey\n    clientId: %s\n"
                   "    privateKey: |\n%s" % (fake.url, CLIENT_ID, "".join("      %s\n" % l for l in pem.splitlines())))
    os.chmod(cfg, 0o600)
    p = subprocess.Popen([PY, "-c", CHILD + """
c = connect()
print(c.execute("SELECT count(*) FROM okta_groups").fetchone()[0])
c.execute("SELECT okta_config('concurrency', '3')")  # retires the session that held the key
c.execute("SELECT okta_cache_clear()")
c.close()
print("closed", flush=True)
sys.stdin.readline()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ, HOME=str(home)))
    try:
        assert int(p.stdout.readline()) == len(truth.groups)
        assert p.stdout.readline().strip() == "closed"
        lines = [line.encode() for line in pem.splitlines()[1:-1]]
        assert copies_in_memory(p.pid, lines) == [0] * len(lines)
    finally:
        p.kill()
        p.wait()
