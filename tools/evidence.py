#!/usr/bin/env python3
"""Renders the access review into one self-contained HTML file for auditors.

    python3 tools/evidence.py [--out okta-evidence.html] [--snapshots DIR] [--limit N]

Runs the sql/ reports (effective access, MFA coverage, admins, stale
accounts) against the configured org (OKTA_CLIENT_ORGURL ... or okta.yaml),
takes a snapshot into DIR and, when DIR holds an earlier one, adds the
changes since then. The page names the org and the time of collection,
shows every query used, prints well, and needs nothing but itself.
Needs Python's sqlite3 module with extension loading (Debian's
/usr/bin/python3 has it).
"""

import argparse
import datetime
import glob
import html
import os
import sqlite3
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORTS = [("effective-access", "Effective access"), ("mfa-coverage", "MFA coverage"),
           ("admins", "Administrators"), ("stale-accounts", "Stale accounts")]

CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d232a; margin: 2em auto;
       max-width: 1200px; padding: 0 1.5em; }
h1 { font-size: 1.7em; margin-bottom: .2em; } h2 { margin-top: 2.2em; border-bottom: 2px solid #2d5bd8;
padding-bottom: .2em; } .meta td { padding: .15em 1.2em .15em 0; } .meta td:first-child { color: #5a6472; }
p.what { color: #39424e; white-space: pre-line; }
table.result { border-collapse: collapse; margin: .8em 0 1.4em; width: 100%; font-size: 12.5px; }
table.result th { background: #eef2fb; text-align: left; position: sticky; top: 0; }
table.result th, table.result td { border: 1px solid #cfd6e2; padding: .25em .5em; vertical-align: top;
  word-break: break-word; }
table.result tr:nth-child(even) td { background: #f8f9fc; }
td.null { color: #9aa3ae; } .count { color: #5a6472; font-size: 12px; } .empty { color: #5a6472; font-style: italic; }
details { margin: .3em 0 1em; } details pre { background: #f4f5f7; padding: .8em; overflow-x: auto; font-size: 12px; }
.warn { background: #fff5db; border-left: 4px solid #e0a800; padding: .5em .8em; }
nav ol { columns: 2; } footer { margin-top: 3em; color: #5a6472; font-size: 12px; }
@media print { body { max-width: none; margin: 0; } h2 { page-break-before: always; } details { display: none; }
  table.result th { position: static; } a { color: inherit; text-decoration: none; } }
"""


def parse_report(path):
    """(title, description, [statements]) of a sql/ report."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    head = []
    for line in lines:
        if not line.startswith("--"):
            break
        head.append(line[2:].strip())
    desc = []
    for h in head:
        if h.startswith("Run:") or h.startswith("Optional:"):
            break
        desc.append(h)
    statements, buf = [], ""
    for line in lines:
        if line.startswith(".") and not buf.strip():
            continue  # dot-commands of the sqlite3 shell
        if line.startswith("--") and not buf.strip():
            continue
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    return " ".join(desc).strip(), statements


def cell(v):
    if v is None:
        return '<td class="null">NULL</td>'
    return "<td>%s</td>" % html.escape(str(v))


def render_rows(cur, limit):
    cols = [d[0] for d in cur.description]
    out = ['<table class="result"><thead><tr>%s</tr></thead><tbody>' % "".join(
        "<th>%s</th>" % html.escape(c) for c in cols)]
    n = 0
    for row in cur:
        n += 1
        if limit is None or n <= limit:
            out.append("<tr>%s</tr>" % "".join(cell(v) for v in row))
    out.append("</tbody></table>")
    if n == 0:
        return '<p class="empty">No rows.</p>'
    note = '<p class="count">%d row%s%s</p>' % (n, "" if n == 1 else "s",
                                                 " (first %d shown)" % limit if limit is not None and n > limit else "")
    return note + "".join(out)


def run_statements(conn, statements, params, limit):
    parts = []
    for sql in statements:
        cur = conn.execute(sql, params if "@" in sql else ())
        if cur.description and not sql.lstrip().upper().startswith(("CREATE", "DROP", "INSERT", "ATTACH", "DETACH")):
            parts.append(render_rows(cur, limit))
        else:
            cur.fetchall()
    return "\n".join(parts)


def section(anchor, title, what, body, statements):
    queries = "\n\n".join(statements)
    return ('<section id="%s"><h2>%s</h2><p class="what">%s</p>%s<details><summary>Queries used</summary>'
            "<pre>%s</pre></details></section>" % (anchor, html.escape(title), html.escape(what), body,
                                                    html.escape(queries)))


def connect(ext):
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(ext)
    conn.enable_load_extension(False)
    return conn


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="okta-evidence.html")
    ap.add_argument("--snapshots", default=".", help="folder of okta-snapshot-*.db files (a new one is added)")
    ap.add_argument("--ext", default=os.path.join(ROOT, "build", "okta"))
    ap.add_argument("--limit", type=int, default=None, help="rows shown per table (all by default)")
    args = ap.parse_args()
    conn = connect(args.ext)
    started = datetime.datetime.now(datetime.timezone.utc)
    org_url = conn.execute("SELECT okta_config('orgUrl')").fetchone()[0]
    try:
        company = conn.execute("SELECT company_name FROM okta_org").fetchone()[0]
    except sqlite3.Error as e:
        sys.exit("okta: cannot read the org: %s" % e)
    params = {"limit": None}
    sections, toc = [], []
    for name, title in REPORTS:
        what, statements = parse_report(os.path.join(ROOT, "sql", name + ".sql"))
        statements = [s for s in statements if "okta_warnings" not in s]
        sections.append(section(name, title, what, run_statements(conn, statements, params, args.limit), statements))
        toc.append((name, title))

    # Changes since the last snapshot, then this one becomes the last.
    os.makedirs(args.snapshots, exist_ok=True)
    earlier = sorted(glob.glob(os.path.join(args.snapshots, "okta-snapshot-*.db")))
    new = os.path.join(args.snapshots, "okta-snapshot-%s.db" % started.strftime("%Y-%m-%dT%H%M%SZ"))
    _, snap = parse_report(os.path.join(ROOT, "sql", "snapshot.sql"))
    run_statements(conn, snap, {"file": new}, None)
    what, changes = parse_report(os.path.join(ROOT, "sql", "changes.sql"))
    if earlier:
        body = run_statements(conn, changes, {"old": earlier[-1], "new": new}, args.limit)
        what += " Compared: %s and %s." % (os.path.basename(earlier[-1]), os.path.basename(new))
    else:
        body = '<p class="empty">First snapshot (%s): no earlier snapshot to compare with.</p>' % html.escape(
            os.path.basename(new))
    sections.append(section("changes", "Changes since the last snapshot", what, body, changes))
    toc.append(("changes", "Changes since the last snapshot"))

    warnings = conn.execute("SELECT source, message FROM okta_warnings").fetchall()
    warn_html = "".join('<p class="warn"><b>%s</b>: %s</p>' % (html.escape(s), html.escape(m)) for s, m in warnings)
    finished = datetime.datetime.now(datetime.timezone.utc)
    version = conn.execute("SELECT okta_version(), sqlite_version()").fetchone()
    page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Okta access review: %(company)s</title>
<style>%(css)s</style></head><body>
<h1>Okta access review: %(company)s</h1>
<table class="meta">
<tr><td>Org</td><td>%(org)s</td></tr>
<tr><td>Collected</td><td>%(start)s to %(end)s (UTC)</td></tr>
<tr><td>Snapshot</td><td>%(snap)s</td></tr>
<tr><td>Tool</td><td>sqlite-okta %(ver)s on SQLite %(sqlite)s</td></tr>
</table>
%(warnings)s
<nav><ol>%(toc)s</ol></nav>
%(sections)s
<footer>Generated by sqlite-okta tools/evidence.py from the Okta Management API. Each section lists the
queries that produced it.</footer>
</body></html>
""" % {"company": html.escape(company or "?"), "css": CSS, "org": html.escape(org_url or "?"),
       "start": started.strftime("%Y-%m-%d %H:%M:%S"), "end": finished.strftime("%Y-%m-%d %H:%M:%S"),
       "snap": html.escape(os.path.basename(new)), "ver": html.escape(version[0]), "sqlite": version[1],
       "warnings": ("<h3>Sources skipped</h3>" + warn_html) if warnings else "",
       "toc": "".join('<li><a href="#%s">%s</a></li>' % (a, html.escape(t)) for a, t in toc),
       "sections": "\n".join(sections)}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(page)
    print("evidence report: %s (snapshot %s)" % (args.out, new))


if __name__ == "__main__":
    main()
