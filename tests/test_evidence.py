"""The evidence report: one HTML page that opens with a summary (key figures
and inline SVG charts, checked here against the fixture), then the findings
sorted by severity, the reports' tables, the changes since the last snapshot
and every query; each table also as CSV beside it. It renders in a real
browser (headless Chromium, which takes the screenshots and prints it), and
it runs from a mirror file without any request to Okta.

UPDATE_SCREENSHOTS=1 also copies the summary's screenshot to
docs/evidence-summary.png (the README shows it)."""

import collections
import copy
import csv
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import urllib.request
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from conftest import EXT, HERE
from server import mutate_v2

ROOT = os.path.join(HERE, "..")
OUT_DIR = os.path.join(ROOT, "build", "evidence")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HUMAN_TIME = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d$")
SEVERITY_RANK = {"High": 0, "Medium": 1, "Low": 2}


class Shape(HTMLParser):
    """What an auditor looks for in the page: sections, tables, cells, the
    summary's figures and charts (from their data- attributes), links."""

    def __init__(self):
        super().__init__()
        self.tables = 0
        self.sections = []
        self.h1 = ""
        self.text = []
        self.cells = []           # text of every table cell
        self.times = []           # (datetime attribute, title, text) of each <time>
        self.charts = {}          # chart -> {key: value}
        self.svgs = {}            # chart -> attributes of its <svg>
        self.stacks = {}          # findings chart: kind -> {severity: value}
        self.figures = {}         # data-figure -> element attributes
        self.links = []
        self._tag = []
        self._chart = None
        self._time = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("class") == "result":
            self.tables += 1
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "svg" and "data-chart" in a:
            self._chart = a["data-chart"]
            self.charts[self._chart] = {}
            self.svgs[self._chart] = a
        if tag == "g" and self._chart and "data-key" in a:
            self.charts[self._chart][a["data-key"]] = int(a["data-value"])
            if "data-high" in a:
                self.stacks[a["data-key"]] = {s: int(a["data-" + s.lower()]) for s in SEVERITY_RANK}
        if "data-figure" in a:
            self.figures[a["data-figure"]] = a
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "time":
            self._time = [a.get("datetime"), a.get("title"), ""]
            self.times.append(self._time)
        if tag == "td":
            self.cells.append("")
        if tag not in ("rect", "circle", "br", "meta", "i"):
            self._tag.append(tag)

    def handle_endtag(self, tag):
        if tag == "svg":
            self._chart = None
        if tag == "time":
            self._time = None
        while self._tag and self._tag.pop() != tag:
            pass

    def handle_data(self, data):
        if "h1" in self._tag:
            self.h1 += data
        if "td" in self._tag:
            self.cells[-1] += data
        if self._time is not None:
            self._time[2] += data
        self.text.append(data)


def parse(page):
    shape = Shape()
    shape.feed(page)
    return shape


def evidence(fake, out, *args):
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, OKTA_SQLITE_PROGRESS="off")
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "evidence.py"), "--out", out,
                        "--ext", EXT, "--limit", "40", *args], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    with open(out, encoding="utf-8") as f:
        page = f.read()
    return page, parse(page)


def read_csv(out, name):
    with open(os.path.join(out[:-len(".html")] + "-csv", name), encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --- what the summary must say, computed from the fixture ---------------------

def admin_ids(org):
    """role label -> ids of the users holding it, directly or through a group."""
    holders = collections.defaultdict(set)
    for uid, rs in org.user_roles.items():
        for r in rs:
            holders[r["label"]].add(uid)
    for gid, rs in org.group_roles.items():
        for r in rs:
            holders[r["label"]].update(org.members[gid])
    return holders


def expected(org):
    """The summary's figures for an org, as the page's charts key them."""
    login = {u["id"]: u["profile"]["login"] for u in org.users}
    holders = admin_ids(org)
    admins = set().union(*holders.values())
    active = [u for u in org.users if u["status"] == "ACTIVE"]
    # sql/mfa-coverage.sql counts authenticator enrollments where the org has
    # them (the fake org does), the password aside
    no_mfa = [u for u in active if not any(e["status"] == "ACTIVE" and e["key"] != "okta_password"
                                           for e in org.enrollments.get(u["id"], []))]
    aws = {a["id"] for a in org.apps if a["name"] == "amazon_aws"}
    assigned = collections.defaultdict(set)  # user id -> apps
    for aid, aus in org.app_users.items():
        for au in aus:
            assigned[au["id"]].add(aid)
    cutoff = (datetime.now(timezone.utc) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%S")

    def grade(users, rule):
        return dict(collections.Counter(rule(u) for u in users))

    inactive_assigned = [u for u in org.users if u["status"] in ("DEPROVISIONED", "SUSPENDED") and assigned[u["id"]]]
    stale = [u for u in active if not u["lastLogin"] or u["lastLogin"] < cutoff]
    findings = {
        "Admin role on an inactive account": grade([u for u in org.users if u["id"] in admins
                                                    and u["status"] != "ACTIVE"], lambda u: "High"),
        "Inactive user still assigned": grade(inactive_assigned,
                                              lambda u: "High" if assigned[u["id"]] & aws else "Medium"),
        "Active user without MFA": grade(no_mfa, lambda u: "High" if u["id"] in admins else "Medium"),
        "No sign-in for 90 days": grade(stale, lambda u: "Medium" if u["id"] in admins else "Low"),
        "Account never activated": grade([u for u in org.users if u["activated"] is None
                                          and u["status"] in ("STAGED", "PROVISIONED")], lambda u: "Low"),
    }
    return {"users-by-status": dict(collections.Counter(u["status"] for u in org.users)),
            "admins-by-role": {label: len(ids) for label, ids in holders.items()},
            "active": len(active), "with_mfa": len(active) - len(no_mfa),
            "admins": len(admins), "admins_without_mfa": len({u["id"] for u in no_mfa} & admins),
            "findings": {k: v for k, v in findings.items() if v},
            "no_mfa_admin_logins": {login[u["id"]] for u in no_mfa if u["id"] in admins}}


def access(org):
    """Users' statuses, the access edges and the admin roles of an org, as sql/changes.sql compares them."""
    edges, roles = set(), set()
    for gid, uids in org.members.items():
        edges |= {("member", gid, uid) for uid in uids}
    for aid, aus in org.app_users.items():
        for au in aus:
            edges.add(("app", au["id"], aid))
            edges |= {("aws", au["id"], aid, r) for r in au["profile"].get("samlRoles", [])}
    for aid, ags in org.app_groups.items():
        for ag in ags:
            edges.add(("app", ag["id"], aid))
            edges |= {("aws", ag["id"], aid, r) for r in ag["profile"].get("samlRoles", [])}
    for owner in (org.user_roles, org.group_roles):
        roles |= {(k, r["label"]) for k, rs in owner.items() for r in rs}
    return {u["id"]: u["status"] for u in org.users}, edges, roles


def expected_changes(old, new):
    """The changes between two states of the org, counted by kind as changes.sql names them."""
    (u0, e0, r0), (u1, e1, r1) = access(old), access(new)
    counts = {"user added": len(set(u1) - set(u0)), "user removed": len(set(u0) - set(u1)),
              "user status changed": sum(1 for k in set(u0) & set(u1) if u0[k] != u1[k]),
              "access granted": len(e1 - e0), "access revoked": len(e0 - e1),
              "admin role granted": len(r1 - r0), "admin role revoked": len(r0 - r1)}
    return {k: v for k, v in counts.items() if v}


def nonzero(d):
    return {k: v for k, v in d.items() if v}


def assert_summary(shape, want):
    """The summary's figures and charts say what the fixture holds."""
    assert shape.charts["users-by-status"] == want["users-by-status"]
    assert shape.charts["admins-by-role"] == want["admins-by-role"]
    mfa = shape.svgs["mfa-coverage"]
    assert (int(mfa["data-covered"]), int(mfa["data-total"])) == (want["with_mfa"], want["active"])
    assert shape.figures["admins-without-mfa"]["data-value"] == str(want["admins_without_mfa"])
    assert {k: nonzero(v) for k, v in shape.stacks.items() if any(v.values())} == want["findings"]
    assert nonzero(shape.charts["findings-by-kind"]) == {k: sum(v.values()) for k, v in want["findings"].items()}
    assert len(shape.charts["findings-by-kind"]) == 5  # every kind, those without findings too
    text = " ".join(shape.text)
    assert "%.1f%%" % (100.0 * want["with_mfa"] / want["active"]) in text
    assert "{:,}".format(sum(want["users-by-status"].values())) in text
    assert "{:,} active users without MFA".format(want["active"] - want["with_mfa"]) in text


# --- the reports ------------------------------------------------------------------

@pytest.fixture(scope="module")
def report(fake_server, truth, tmp_path_factory):
    """The page of the org's first snapshot, and of a later state with changes."""
    fake_server.reset()
    snaps = str(tmp_path_factory.mktemp("snapshots"))
    os.makedirs(OUT_DIR, exist_ok=True)
    first = os.path.join(OUT_DIR, "first.html")
    evidence(fake_server, first, "--snapshots", snaps)
    try:
        fake_server.rebuild(version=2)
        out = os.path.join(OUT_DIR, "report.html")
        evidence(fake_server, out, "--snapshots", snaps)
    finally:
        fake_server.rebuild(version=1)
    later = copy.deepcopy(truth)
    mutate_v2(later)
    return {"first": first, "out": out, "snaps": snaps, "later": later}


def page_of(path):
    with open(path, encoding="utf-8") as f:
        page = f.read()
    return page, parse(page)


def test_first_report_summary_matches_the_fixture(report, truth):
    page, shape = page_of(report["first"])
    assert_summary(shape, expected(truth))
    assert "changes" not in shape.charts and "First snapshot: nothing to compare with yet." in page


def test_report_summary_and_changes_match_the_fixture(report, truth, fake_server):
    page, shape = page_of(report["out"])
    want = expected(report["later"])
    assert_summary(shape, want)
    changes = expected_changes(truth, report["later"])
    assert shape.charts["changes"] == changes and sum(changes.values()) == 6
    assert "6 changes between" in " ".join(shape.text) and "new.hire@example.com" in shape.cells
    assert len(read_csv(report["out"], "changes-changes.csv")) == 6
    # the page: title, org, time of collection, summary first, then findings, reports, changes, queries
    assert shape.h1 == "Okta access review: Acme Corp"
    assert fake_server.url in page and "Collected" in page
    assert shape.sections == ["summary", "findings", "effective-access", "mfa-coverage", "admins",
                              "stale-accounts", "changes", "queries"]
    assert shape.tables >= 12
    assert "SELECT" in " ".join(shape.text) and "okta_app_users" in page  # the queries used
    assert "<script" not in page and "<link" not in page and "url(" not in page and "@import" not in page
    assert "http://" not in page.replace(fake_server.url, "") and "https://" not in page  # self-contained
    assert fake_server.token not in page


def test_cells_show_dashes_and_readable_times(report):
    page, shape = page_of(report["out"])
    assert "NULL" not in shape.cells and "None" not in shape.cells
    assert shape.cells.count("\u2013") > 10  # empty values: a dash
    stamps = [t for t in shape.times if t[0] == t[1] and HUMAN_TIME.match(t[2])]
    assert len(stamps) > 50  # timestamps for people, the exact value in the tooltip
    assert not any(re.match(r"\d{4}-\d\d-\d\dT", c) for c in shape.cells)
    # the CSV keeps the exact values and empty cells empty
    stale = read_csv(report["out"], "stale-accounts-stale.csv")
    assert any(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r["last_login"]) for r in stale)
    mfa = read_csv(report["out"], "mfa-coverage-without-mfa.csv")
    assert any(r["inactive_methods"] == "" for r in mfa)


def test_findings_are_sorted_by_severity_and_exported_in_full(report):
    page, shape = page_of(report["out"])
    want = expected(report["later"])
    for name, kind in (("admins-inactive-admins", "Admin role on an inactive account"),
                       ("effective-access-findings", "Inactive user still assigned"),
                       ("mfa-coverage-without-mfa", "Active user without MFA"),
                       ("stale-accounts-stale", "No sign-in for 90 days"),
                       ("stale-accounts-never-activated", "Account never activated")):
        rows = read_csv(report["out"], name + ".csv")
        ranks = [SEVERITY_RANK[r["severity"]] for r in rows]
        assert ranks == sorted(ranks), name
        worst = {}
        for r in rows:
            worst.setdefault(r["login"], r["severity"])  # sorted: the first row of a login is its worst
        assert dict(collections.Counter(worst.values())) == want["findings"].get(kind, {}), name
    mfa = read_csv(report["out"], "mfa-coverage-without-mfa.csv")
    assert {r["login"] for r in mfa if r["severity"] == "High"} == want["no_mfa_admin_logins"]
    assert len(mfa) > 40 and "first 40 shown" in page  # the page shows 40 rows, the CSV all
    for s in ("High", "Medium", "Low"):
        assert ">%s</span></td><td>" % s in page  # each severity is defined in the page


def test_every_table_links_its_csv(report):
    page, shape = page_of(report["out"])
    base = os.path.dirname(report["out"])
    csvs = {h for h in shape.links if h.endswith(".csv")}
    assert len(csvs) == shape.tables + 1  # each table, and the summary's figures
    assert csvs == {"report-csv/" + f for f in os.listdir(os.path.join(base, "report-csv"))}
    summary = read_csv(report["out"], "summary.csv")
    assert {"figure", "item", "value"} == set(summary[0])
    assert any(r["figure"] == "mfa" and r["item"] == "active users" and int(r["value"]) ==
               expected(report["later"])["active"] for r in summary)


def test_make_evidence_without_an_org_uses_the_fake_org(report, truth):
    # What `make evidence` runs on a fresh clone: no org in the environment
    # or okta.yaml (conftest points HOME at an empty folder).
    env = dict(os.environ, OKTA_EXT=EXT, PYTHON="/usr/bin/python3")
    p = subprocess.run(["sh", os.path.join(HERE, "demo.sh"), "evidence", "--limit", "5"], capture_output=True,
                       text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr
    url = re.search(r'using the bundled fake org "Acme Corp" at (http://127\.0\.0\.1:\d+)', p.stderr).group(1)
    out = os.path.join(ROOT, "build", "demo", "okta-evidence.html")
    assert p.stdout.startswith("evidence report: build/demo/okta-evidence.html (every table as CSV in "
                               "build/demo/okta-evidence-csv/, snapshot okta-snapshot-")
    page, shape = page_of(out)
    assert url in page
    assert_summary(shape, expected(report["later"]))
    assert shape.charts["changes"] == expected_changes(truth, report["later"])  # the demo's baseline, then changes
    assert len(os.listdir(os.path.join(ROOT, "build", "demo", "snapshots"))) == 2
    with pytest.raises(OSError):  # the fake org it started is gone
        urllib.request.urlopen(url + "/api/v1/org", timeout=5)


# --- from a mirror file -----------------------------------------------------------

MIRROR_LAST_SYNC = "2025-03-04T05:06:07Z"


def make_mirror(snapshot, path):
    """A mirror as okta_sync() leaves it: the snapshot's okta_* tables plus
    okta_sync_runs and the change feed okta_changes (two runs; the last one
    changed a user's status, added a membership and removed an assignment)."""
    shutil.copy(snapshot, path)
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE okta_sync_runs(id INTEGER PRIMARY KEY, started TEXT, finished TEXT, mode TEXT,
                                    requests INTEGER, changes INTEGER, warnings TEXT);
        CREATE TABLE okta_changes(run INTEGER, table_name TEXT, row_key TEXT, op TEXT, old TEXT, new TEXT);
        INSERT INTO okta_sync_runs VALUES (1, '2025-03-03T05:00:00Z', '2025-03-03T05:01:10Z', 'full', 2100, 0, '[]');
        INSERT INTO okta_sync_runs VALUES (2, '2025-03-04T05:06:00Z', '%s', 'incremental', 12, 3, '[]');
        INSERT INTO okta_changes VALUES (1, 'okta_users', 'x', 'insert', NULL, '{"login": "earlier@example.com"}');
    """ % MIRROR_LAST_SYNC)

    def row(table, where):
        cur = db.execute("SELECT * FROM %s WHERE %s LIMIT 1" % (table, where))
        return dict(zip([d[0] for d in cur.description], cur.fetchone()))

    u = row("okta_users", "status = 'ACTIVE'")
    m = row("okta_group_members", "1")
    a = row("okta_app_users", "1")
    db.executemany("INSERT INTO okta_changes VALUES (2, ?, ?, ?, ?, ?)", [
        ("okta_users", u["id"], "update", json.dumps(u), json.dumps(dict(u, status="SUSPENDED"))),
        ("okta_group_members", m["group_id"] + "/" + m["user_id"], "insert", None, json.dumps(m)),
        ("okta_app_users", a["app_id"] + "/" + a["user_id"], "delete", json.dumps(a), None)])
    db.commit()
    db.close()
    return u["login"]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_report_from_a_mirror_makes_no_request(report, truth, fake_server, tmp_path):
    first_snapshot = sorted(os.listdir(report["snaps"]))[0]
    mirror = str(tmp_path / "okta.db")
    login = make_mirror(os.path.join(report["snaps"], first_snapshot), mirror)
    before = digest(mirror)
    fake_server.reset()
    out = os.path.join(OUT_DIR, "mirror.html")
    page, shape = evidence(fake_server, out, "--mirror", mirror)
    assert fake_server.requests() == []  # no network, though an org is configured
    assert digest(mirror) == before  # read-only
    assert_summary(shape, expected(truth))
    assert shape.charts["changes"] == {"user changed": 1, "group membership added": 1, "app assignment removed": 1}
    assert "status ACTIVE \u2192 SUSPENDED" in shape.cells and login in shape.cells
    assert "earlier@example.com" not in page  # an earlier run's change
    assert "mirror file <b>okta.db</b>" in page
    assert [MIRROR_LAST_SYNC, MIRROR_LAST_SYNC, "4 Mar 2025 05:06 UTC"] in shape.times
    assert "Changes since the last sync" in page and shape.sections[-2:] == ["changes", "queries"]


def test_mirror_tables_shadow_the_live_ones(report, fake_server, tmp_path):
    # Were the extension loaded on a mirror, its plain okta_* tables would be
    # read, not the org: evidence.py does not load it, and need not.
    mirror = str(tmp_path / "okta.db")
    shutil.copy(os.path.join(report["snaps"], sorted(os.listdir(report["snaps"]))[0]), mirror)
    fake_server.reset()
    conn = sqlite3.connect(mirror)
    conn.execute("DELETE FROM okta_users WHERE rowid = 1")  # the mirror now differs from the org
    conn.execute("DROP TABLE okta_group_roles")  # and lacks a table
    conn.commit()
    n = conn.execute("SELECT count(*) FROM okta_users").fetchone()[0]
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    for k, v in (("orgUrl", fake_server.url), ("token", fake_server.token)):
        conn.execute("SELECT okta_config(?, ?)", (k, v))
    assert conn.execute("SELECT count(*) FROM okta_users").fetchone()[0] == n
    assert conn.execute("SELECT count(*) FROM okta_user_factors").fetchone()[0] > 0
    assert fake_server.requests() == []
    # a table the file does not hold is the live one
    gid = conn.execute("SELECT id FROM okta_groups WHERE name = 'Helpdesk'").fetchone()[0]
    assert conn.execute("SELECT type FROM okta_group_roles WHERE group_id = ?", (gid,)).fetchall() == \
        [("HELP_DESK_ADMIN",)]
    assert [r["path"] for r in fake_server.requests()] == ["/api/v1/groups/%s/roles" % gid]
    conn.close()


def test_not_a_mirror_is_a_clear_error(fake_server, tmp_path):
    bad = tmp_path / "notes.db"
    sqlite3.connect(str(bad)).execute("CREATE TABLE notes(x)")
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "evidence.py"), "--mirror", str(bad),
                        "--out", str(tmp_path / "x.html")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert p.stderr.strip() == ("okta: %s is not a mirror made by okta_sync(): no table okta_users, "
                                "okta_relationships, okta_sync_runs, okta_changes" % bad)
    assert not os.path.exists(tmp_path / "x.html")


# --- in a browser -------------------------------------------------------------------

def chromium(tmp_path, *args):
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
             "--user-data-dir=%s" % tmp_path]
    # A browser under the sanitizers' LD_PRELOAD (make test-asan) would crawl.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    return subprocess.run(flags + list(args), capture_output=True, text=True, timeout=120, env=env)


def screenshot(tmp_path, url, png, height):
    if os.path.exists(png):
        os.unlink(png)
    p = chromium(tmp_path, "--window-size=1280,%d" % height, "--screenshot=%s" % png, url)
    assert os.path.exists(png), p.stderr[-2000:]
    with open(png, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000
    return png


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/deps installs it)")
def test_report_renders_in_chromium(report, truth, tmp_path):
    url = "file://" + os.path.abspath(report["out"])
    screenshot(tmp_path, url, os.path.join(OUT_DIR, "report.png"), 2400)
    # The summary alone, for the README: the same page without the sections after it.
    with open(report["out"], encoding="utf-8") as f:
        page = f.read()
    only = os.path.join(OUT_DIR, "summary-only.html")
    with open(only, "w", encoding="utf-8") as f:
        f.write(page.replace("</style>", "section.major, footer { display: none; }</style>", 1))
    png = screenshot(tmp_path, "file://" + os.path.abspath(only), os.path.join(OUT_DIR, "summary.png"), 980)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copy(png, os.path.join(ROOT, "docs", "evidence-summary.png"))
    # What the browser made of the page: the same summary figures and charts.
    shape = parse(chromium(tmp_path, "--dump-dom", url).stdout)
    assert shape.h1 == "Okta access review: Acme Corp" and shape.tables >= 12
    assert_summary(shape, expected(report["later"]))
    assert shape.charts["changes"] == expected_changes(truth, report["later"])
    # It prints: A4 pages, the summary on the first.
    pdf = os.path.join(OUT_DIR, "report.pdf")
    if os.path.exists(pdf):
        os.unlink(pdf)
    chromium(tmp_path, "--no-pdf-header-footer", "--print-to-pdf=%s" % pdf, url)
    with open(pdf, "rb") as f:
        data = f.read()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert data[:5] == b"%PDF-" and 5 <= pages <= 80, pages
    print("evidence report screenshots: %s, %s" % (os.path.relpath(os.path.join(OUT_DIR, "report.png"), ROOT),
                                                   os.path.relpath(png, ROOT)))
