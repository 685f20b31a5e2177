"""make install and the static shell (okta-sqlite3, for hosts that cannot
load extensions)."""

import json
import os
import subprocess

import pytest

from conftest import HERE

ROOT = os.path.abspath(os.path.join(HERE, ".."))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dest = tmp_path_factory.mktemp("dest")
    p = subprocess.run(["make", "-C", ROOT, "install", "DESTDIR=%s" % dest, "PREFIX=/usr"], capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return dest


def test_install_layout(installed):
    for f in ("usr/lib/sqlite-okta/okta.so", "usr/bin/okta-sqlite3", "usr/share/sqlite-okta/sql/effective-access.sql",
              "usr/share/sqlite-okta/sql/snapshot.sql", "usr/share/doc/sqlite-okta/README.md",
              "usr/share/doc/sqlite-okta/tables.md"):
        assert os.path.isfile(os.path.join(installed, f)), f
    assert os.access(os.path.join(installed, "usr/bin/okta-sqlite3"), os.X_OK)


def test_static_shell_has_the_extension_built_in(installed, fake, truth):
    shell = os.path.join(installed, "usr/bin/okta-sqlite3")
    deps = subprocess.run(["ldd", shell], capture_output=True, text=True).stdout
    assert "libsqlite3" not in deps  # SQLite is inside
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token)
    p = subprocess.run([shell, "-json", ":memory:", "SELECT status, count(*) AS n FROM okta_users GROUP BY status",
                        "SELECT okta_version() AS v"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    dec, i, results = json.JSONDecoder(), 0, []
    while i < len(p.stdout.rstrip()):
        value, i = dec.raw_decode(p.stdout, i)
        results.append(value)
        while i < len(p.stdout) and p.stdout[i].isspace():
            i += 1
    first, second = results
    got = {r["status"]: r["n"] for r in first}
    want = {}
    for u in truth.users:
        want[u["status"]] = want.get(u["status"], 0) + 1
    assert got == want
    assert second == [{"v": "0.1.0"}]


def test_static_shell_runs_a_report(installed, fake, truth):
    shell = os.path.join(installed, "usr/bin/okta-sqlite3")
    report = os.path.join(installed, "usr/share/sqlite-okta/sql/mfa-coverage.sql")
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token)
    with open(report) as f:
        p = subprocess.run([shell, "-bail", "-cmd", ".parameter set @limit 5"], stdin=f, capture_output=True,
                           text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    active = sum(1 for u in truth.users if u["status"] == "ACTIVE")
    assert "│ active_users │" in p.stdout and "│ %d " % active in p.stdout
