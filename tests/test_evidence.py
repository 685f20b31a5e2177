"""The evidence report: one HTML file with the reports, the org, the time of
collection and the queries; it renders in a real browser (headless Chromium)."""

import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import EXT, HERE

ROOT = os.path.join(HERE, "..")
OUT_DIR = os.path.join(ROOT, "build", "evidence")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Shape(HTMLParser):
    """Counts what an auditor looks for in the page."""

    def __init__(self):
        super().__init__()
        self.tables = self.sections = self.details = 0
        self.h1 = ""
        self._in_h1 = False
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("class") == "result":
            self.tables += 1
        self.sections += tag == "section"
        self.details += tag == "details"
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data
        self.text.append(data)


def evidence(fake, out, snaps):
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, OKTA_SQLITE_PROGRESS="off")
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "evidence.py"), "--out", out,
                        "--snapshots", snaps, "--ext", EXT, "--limit", "40"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    with open(out, encoding="utf-8") as f:
        page = f.read()
    shape = Shape()
    shape.feed(page)
    return page, shape


@pytest.fixture(scope="module")
def report(fake_server, tmp_path_factory):
    fake_server.reset()
    snaps = str(tmp_path_factory.mktemp("snapshots"))
    os.makedirs(OUT_DIR, exist_ok=True)
    first, _ = evidence(fake_server, os.path.join(OUT_DIR, "first.html"), snaps)
    try:
        fake_server.rebuild(version=2)
        page, shape = evidence(fake_server, os.path.join(OUT_DIR, "report.html"), snaps)
    finally:
        fake_server.rebuild(version=1)
    return first, page, shape


def test_report_content(report, fake_server):
    first, page, shape = report
    assert "First snapshot (okta-snapshot-" in first
    assert shape.h1 == "Okta access review: Acme Corp"
    assert fake_server.url in page and "Collected" in page
    assert shape.sections == 5 and shape.details == 5  # four reports and the changes, each with its queries
    assert shape.tables >= 12
    text = " ".join(shape.text)
    assert "new.hire@example.com" in text and "6 changes between" in text
    assert "SELECT" in text and "okta_app_users" in text  # the queries used
    assert "<script" not in page and "http://" not in page.replace(fake_server.url, "")  # self-contained
    assert fake_server.token not in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/deps installs it)")
def test_report_renders_in_chromium(report, tmp_path):
    png = os.path.join(OUT_DIR, "report.png")
    if os.path.exists(png):
        os.unlink(png)
    url = "file://" + os.path.abspath(os.path.join(OUT_DIR, "report.html"))
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=%s" % tmp_path]
    # A browser under the sanitizers' LD_PRELOAD (make test-asan) would crawl.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    p = subprocess.run(flags + ["--window-size=1280,2400", "--screenshot=%s" % png, url],
                       capture_output=True, text=True, timeout=120, env=env)
    assert os.path.exists(png), p.stderr[-2000:]
    with open(png, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120, env=env).stdout
    shape = Shape()
    shape.feed(dom)
    assert shape.h1 == "Okta access review: Acme Corp" and shape.tables >= 12
    print("evidence report screenshot: %s" % os.path.relpath(png, ROOT))
