"""make install: the extension, the static shell (okta-sqlite3, for hosts
that cannot load extensions; tests/test_shell.py drives it), and the Python
loader (python/sqlite_okta.py) from a checkout and from an installed tree."""

import json
import os
import shutil
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
    for f in ("usr/lib/sqlite-okta/okta.so", "usr/bin/okta-sqlite3", "usr/lib/sqlite-okta/python/sqlite_okta.py", "usr/share/sqlite-okta/sql/effective-access.sql",
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


# ------------------------------------------------------ the Python loader

LOADER_SCRIPT = """
import json, sqlite3, sys
import sqlite_okta
conn = sqlite3.connect(":memory:")
sqlite_okta.load(conn)
try:
    conn.execute("SELECT load_extension('nothing')")
    loading = "still enabled"
except sqlite3.OperationalError as e:
    loading = str(e)
n = conn.execute("SELECT count(*) FROM okta_users").fetchone()[0]
print(json.dumps({"module": sqlite_okta.__file__, "path": sqlite_okta.loadable_path(), "users": n,
                  "loading": loading}))
"""


def python(pythonpath, fake):
    """Runs LOADER_SCRIPT in Debian's Python, as a user's program would."""
    env = dict(os.environ, PYTHONPATH=pythonpath, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token)
    p = subprocess.run(["/usr/bin/python3", "-c", LOADER_SCRIPT], capture_output=True, text=True, env=env,
                       timeout=120, cwd="/")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_python_loader_from_the_checkout(fake, truth):
    got = python(os.path.join(ROOT, "python"), fake)
    assert got["module"] == os.path.join(ROOT, "python", "sqlite_okta.py")
    assert got["path"] == os.path.join(ROOT, "build", "okta")  # no suffix: load_extension adds it
    assert got["users"] == len(truth.users)
    assert got["loading"] == "not authorized"  # load() turned extension loading off again


def test_python_loader_from_an_installed_tree(installed, fake, truth):
    lib = os.path.join(installed, "usr/lib/sqlite-okta")
    got = python(os.path.join(lib, "python"), fake)
    assert got["path"] == os.path.join(lib, "okta")  # the installed okta.so, not the checkout's
    assert got["users"] == len(truth.users)
    assert got["loading"] == "not authorized"


def test_python_loader_in_another_directory_finds_the_prefix(tmp_path, fake, truth):
    prefix, pydir = tmp_path / "prefix", tmp_path / "site-packages"
    p = subprocess.run(["make", "-C", ROOT, "install", "PREFIX=%s" % prefix, "PYTHONDIR=%s" % pydir],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    got = python(str(pydir), fake)
    assert got["module"] == str(pydir / "sqlite_okta.py")
    assert got["path"] == str(prefix / "lib/sqlite-okta/okta")
    assert got["users"] == len(truth.users)


def test_python_loader_names_where_it_looked(tmp_path):
    shutil.copy(os.path.join(ROOT, "python", "sqlite_okta.py"), tmp_path)
    p = subprocess.run(["/usr/bin/python3", "-c", "import sqlite_okta; sqlite_okta.loadable_path()"],
                       capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(tmp_path)), cwd="/")
    assert p.returncode == 1
    assert ("FileNotFoundError: sqlite-okta: okta.so not found in %s, %s, %s (build it with make, or make install)"
            % (tmp_path, tmp_path.parent, tmp_path.parent / "build")) in p.stderr
