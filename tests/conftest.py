"""Shared fixtures: the fake Okta org (a subprocess), a connection with the
extension loaded and pointed at it, and the same org built in-process as
ground truth."""

import json
import os
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fakeorg"))
import fixture  # noqa: E402
from server import DEFAULT_TOKEN  # noqa: E402

EXT = os.environ.get("OKTA_EXT") or os.path.join(HERE, "..", "build", "okta")
N_USERS = 2000
SEED = 7

# The user's own Okta settings must not leak into the tests.
for k in list(os.environ):
    if k.startswith("OKTA_CLIENT_") or k.startswith("OKTA_SQLITE_"):
        del os.environ[k]
_home = tempfile.mkdtemp(prefix="okta-test-home-")
os.environ["HOME"] = _home
os.chdir(_home)


class FakeOrg:
    """Client of the fake org's control API."""

    def __init__(self, url, proc):
        self.url = url
        self.proc = proc
        self.token = DEFAULT_TOKEN

    def _call(self, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST" if data is not None else "GET")
        # The control API of a TLS test server uses certificates made to fail.
        ctx = ssl._create_unverified_context() if self.url.startswith("https") else None
        with urllib.request.urlopen(req, timeout=60, context=ctx) as r:
            return json.loads(r.read())

    def reset(self):
        self._call("/__fake/reset", {})

    def config(self, **kw):
        self._call("/__fake/config", kw)

    def faults(self, *specs):
        self._call("/__fake/faults", list(specs))

    def rebuild(self, **kw):
        self._call("/__fake/org", kw)

    def requests(self, prefix=None):
        log = self._call("/__fake/requests")
        return [e for e in log if prefix is None or e["path"].startswith(prefix)]

    def paths(self):
        return [e["path"] for e in self.requests()]


def start_fake(users=N_USERS, seed=SEED, extra=(), scheme="http", host="127.0.0.1"):
    port_file = tempfile.mktemp(prefix="fakeokta-port-")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fakeorg", "server.py"), "--port", "0",
                             "--users", str(users), "--seed", str(seed), "--port-file", port_file, *extra],
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 900  # a 100,000-user org takes a while to build
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("the fake org did not start")
        time.sleep(0.05)
    with open(port_file) as f:
        port = int(f.read())
    os.unlink(port_file)
    return FakeOrg("%s://%s:%d" % (scheme, host, port), proc)


@pytest.fixture(scope="session")
def fake_server():
    f = start_fake()
    yield f
    f.proc.terminate()
    f.proc.wait()


@pytest.fixture(scope="session")
def truth():
    """The fake org's data, built the same way in this process."""
    return fixture.build_org(N_USERS, SEED)


@pytest.fixture
def fake(fake_server):
    fake_server.reset()
    yield fake_server
    fake_server.reset()


def connect(fake=None, **settings):
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    conn.enable_load_extension(False)
    if fake is not None:
        settings.setdefault("orgUrl", fake.url)
        settings.setdefault("token", fake.token)
    settings.setdefault("rateLimit.backoffBase", "0.01")
    for k, v in settings.items():
        conn.execute("SELECT okta_config(?, ?)", (k, str(v)))
    return conn


@pytest.fixture
def db(fake):
    conn = connect(fake)
    yield conn
    conn.close()


def fresh(conn, fake):
    """Forget the connection's cached responses and the fake's request log,
    so the next query's requests can be counted."""
    conn.execute("SELECT okta_cache_clear()")
    fake.reset()


def rows(conn, sql, *args):
    return conn.execute(sql, args).fetchall()


def plan(conn, sql, *args):
    return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall())
