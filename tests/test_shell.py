"""okta-sqlite3 (make static): SQLite's own shell with the extension built in,
driven as a person would, through a pseudo-terminal (readline, prompts,
Ctrl-C), and from scripts. The shell under test is OKTA_SHELL, or
okta-sqlite3 beside OKTA_EXT (build/okta-sqlite3; build/asan/okta-sqlite3
under make test-asan)."""

import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import EXT, connect, start_fake

SHELL = os.environ.get("OKTA_SHELL") or os.path.join(os.path.dirname(os.path.abspath(EXT)), "okta-sqlite3")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


class Terminal:
    """The shell on a pseudo-terminal of its own (its controlling terminal,
    so Ctrl-C there is a SIGINT), read back with terminal escapes removed."""

    def __init__(self, argv, env, cwd):
        pid, fd = pty.fork()
        if pid == 0:  # the child: becomes the shell
            try:
                os.chdir(cwd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
        self.pid, self.fd, self.seen = pid, fd, ""

    def send(self, text):
        os.write(self.fd, text.encode())

    def expect(self, pattern, timeout=60):
        """Reads until pattern matches what the shell printed; returns the
        text up to the end of the match and keeps what follows."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.seen)
            if m:
                out, self.seen = self.seen[:m.end()], self.seen[m.end():]
                return out
            left = deadline - time.monotonic()
            assert left > 0, "no %r in the shell's output:\n%s" % (pattern, self.seen[-3000:])
            if select.select([self.fd], [], [], left)[0]:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # the shell exited
                    data = b""
                assert data, "the shell exited before printing %r:\n%s" % (pattern, self.seen[-3000:])
                self.seen += ANSI.sub("", data.decode("utf-8", "replace"))

    def run(self, line, timeout=60):
        """Types one line and returns what it printed before the next prompt."""
        self.send(line + "\r")
        out = self.expect(r"\nsqlite> ", timeout)
        return out[:-len("\nsqlite> ")]

    def wait(self, timeout=30):
        """Reads to the end of the shell's output; returns its exit status."""
        deadline = time.monotonic() + timeout
        while select.select([self.fd], [], [], max(0, deadline - time.monotonic()))[0]:
            try:
                if not os.read(self.fd, 65536):
                    break
            except OSError:  # the shell exited
                break
        assert time.monotonic() < deadline, "the shell did not exit"
        pid, self.pid = self.pid, None
        return os.waitpid(pid, 0)[1]

    def close(self):
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def shell_env(fake, **extra):
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, TERM="xterm",
               OKTA_SQLITE_BACKOFF_BASE="0.01")
    env.pop("LINES", None)
    env.pop("COLUMNS", None)
    env.update(extra)
    return env


@pytest.fixture
def term(fake, tmp_path):
    # The shell's history goes to SQLITE_HISTORY, else to the passwd entry's
    # home (not $HOME): keep it in the test's directory.
    t = Terminal([SHELL], shell_env(fake, SQLITE_HISTORY=str(tmp_path / "history")), str(tmp_path))
    t.expect(r"SQLite version 3\.\d+\.\d+ .*\nsqlite> ")
    yield t
    t.close()


def run(args, fake=None, env=None):
    if env is None:
        env = shell_env(fake) if fake else dict(os.environ)
    return subprocess.run([SHELL, *args], capture_output=True, text=True, env=env, timeout=120)


def okta_tables():
    conn = connect()
    names = {r[0] for r in conn.execute("SELECT name FROM pragma_module_list WHERE name GLOB 'okta_*'")}
    conn.close()
    return names


# ------------------------------------------------------------- the binary

def test_is_sqlites_own_shell_at_the_systems_version():
    system = shutil.which("sqlite3")
    assert system, "Debian's sqlite3 (package sqlite3) is needed to compare"
    ours = run(["-version"])
    theirs = subprocess.run([system, "-version"], capture_output=True, text=True)
    assert ours.returncode == 0 and ours.stdout == theirs.stdout  # same version and source id
    # Built as Debian builds its sqlite3: the same dot-commands, the same
    # compile options.
    for args in ([":memory:", ".help"], [":memory:", "PRAGMA compile_options"]):
        assert run(args).stdout == subprocess.run([system, *args], capture_output=True, text=True).stdout, args


def test_links_sqlite_and_the_extensions_libraries_in():
    deps = subprocess.run(["ldd", SHELL], capture_output=True, text=True).stdout
    for lib in ("libsqlite3", "libcurl", "libssl", "libcrypto", "libcjson", "libyaml", "libreadline", "libz.so",
                "libgnutls", "libnghttp2"):
        assert lib not in deps, (lib, deps)
    # What stays dynamic, and why, is in the Makefile (STATIC_LIBS).
    assert "libgssapi_krb5" in deps and "libc.so" in deps


# ---------------------------------------------------- as a person uses it

def test_tables_schema_and_a_box_query(term, truth):
    # .tables lists the tables stored in the database; the okta tables are
    # eponymous virtual tables, stored nowhere, so a new database lists none,
    # and .schema with a pattern shows them (the shell adds modules there).
    assert term.run(".tables").strip() == ".tables"
    schema = term.run(".schema okta_*")
    assert set(re.findall(r"^/\* (okta_\w+)\(", schema, re.M)) == okta_tables()
    assert "/* okta_users(id,status,login,email," in schema
    term.run(".mode box")
    out = term.run("SELECT status, count(*) AS n FROM okta_users GROUP BY status ORDER BY status;")
    want = {}
    for u in truth.users:
        want[u["status"]] = want.get(u["status"], 0) + 1
    got = {m[0]: int(m[1]) for m in re.findall(r"^│ (\w+) +│ +(\d+) +│$", out, re.M)}
    assert got == want
    assert "┌" in out and "└" in out
    term.run("CREATE TABLE suspended AS SELECT id, login FROM okta_users WHERE status = 'SUSPENDED';")
    assert term.run(".tables").split("\n")[1:] == ["suspended"]


def test_once_writes_the_next_result_to_a_file(term, tmp_path, truth):
    term.run(".mode csv")
    term.run(".headers on")
    out = term.run(".once admins.csv")
    assert out.strip() == ".once admins.csv"
    shown = term.run("SELECT login FROM okta_users WHERE status = 'SUSPENDED' ORDER BY login;")
    assert "@" not in shown  # the rows went to the file, not the screen
    want = sorted(u["profile"]["login"] for u in truth.users if u["status"] == "SUSPENDED")
    assert want
    with open(tmp_path / "admins.csv") as f:
        assert f.read().splitlines() == ["login"] + want
    again = term.run("SELECT count(*) AS n FROM okta_users WHERE status = 'SUSPENDED';")
    assert again.split("\n")[1:] == ["n", str(len(want))]  # .once lasts one statement


def test_ctrl_c_interrupts_a_long_scan_and_the_shell_stays_usable(term, fake, truth):
    fake.config(latency_ms=10000)  # 10 s a page: the scan (a dozen pages, one after another) would take minutes
    term.send("SELECT count(*) FROM okta_users;\r")
    deadline = time.monotonic() + 60
    while not fake.requests("/api/v1/users"):
        assert time.monotonic() < deadline, "the scan sent no request"
        time.sleep(0.05)
    term.send("\x03")
    out = term.expect(r"\nsqlite> ", timeout=30)
    assert "Runtime error: okta: interrupted" in out, out
    assert len(fake.requests("/api/v1/users")) == 1  # it stopped at the first page
    fake.config(latency_ms=0)
    assert term.run("SELECT okta_version();").split("\n")[1:] == ["0.1.0"]
    n = term.run("SELECT count(*) FROM okta_users;").split("\n")[1:]
    assert n == [str(len(truth.users))]


def test_history_and_completion(term, tmp_path):
    assert term.run("SELECT okta_version();").split("\n")[1:] == ["0.1.0"]
    out = term.run("\x10")  # Ctrl-P: the previous line again
    assert out.split("\n") == ["SELECT okta_version();", "0.1.0"]
    term.run("CREATE TABLE snapshot_users AS SELECT id FROM okta_users LIMIT 3;")
    out = term.run("SELECT count(*) FROM snapsh\t;")  # Tab completes the table's name
    assert out.split("\n") == ["SELECT count(*) FROM snapshot_users ;", "3"]
    term.send(".quit\r")
    assert term.wait() == 0
    with open(tmp_path / "history") as f:
        assert "SELECT okta_version();" in f.read().splitlines()


# -------------------------------------------------------------- scripts

def test_a_file_that_reads_itself_stops_at_the_nesting_limit(tmp_path):
    script = tmp_path / "self.sql"
    script.write_text(".read %s\n" % script)
    p = run([":memory:", ".read %s" % script])
    assert p.returncode == 1  # an error, not a crash (a signal gives a negative code)
    assert "Input nesting limit (25) reached at line 1. Check recursion." in p.stderr


def test_json_of_no_rows_prints_nothing_and_rows_print_valid_json(fake, truth):
    p = run(["-json", ":memory:", "SELECT login FROM okta_users WHERE login = 'nobody@example.com'"], fake)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
    p = run(["-json", ":memory:", "SELECT login FROM okta_users WHERE status = 'SUSPENDED' ORDER BY login"], fake)
    assert p.returncode == 0, p.stderr
    want = sorted(u["profile"]["login"] for u in truth.users if u["status"] == "SUSPENDED")
    assert json.loads(p.stdout) == [{"login": x} for x in want]


# ------------------------------------------------ TLS, linked statically

@pytest.fixture(scope="module")
def tls_fake(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out",
                    "cert.pem", "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"], cwd=d, check=True, capture_output=True)
    f = start_fake(users=30, extra=("--tls-cert", str(d / "cert.pem"), "--tls-key", str(d / "key.pem")),
                   scheme="https", host="localhost")
    yield f, d / "cert.pem"
    f.proc.terminate()
    f.proc.wait()


def test_https_with_the_static_tls_stack(tls_fake):
    fake, cert = tls_fake
    sql = "SELECT count(*) FROM okta_users"
    p = run([":memory:", sql], env=shell_env(fake, OKTA_SQLITE_CA_FILE=str(cert)))
    assert p.returncode == 0 and p.stdout == "30\n", p.stderr
    p = run([":memory:", sql], fake)  # the system's CAs do not trust the test certificate
    assert p.returncode == 1 and "SSL certificate problem: self-signed certificate" in p.stderr, p.stderr
