#!/usr/bin/env python3
"""Renders the access review into one self-contained HTML file for auditors.

    python3 tools/evidence.py [--out okta-evidence.html] [--snapshots DIR] [--limit N]
    python3 tools/evidence.py --mirror okta.db [--out okta-evidence.html] [--limit N]

Runs the sql/ reports (effective access, MFA coverage, admins, stale
accounts) against the configured org (OKTA_CLIENT_ORGURL ... or okta.yaml),
takes a snapshot into DIR and, when DIR holds an earlier one, adds the
changes since then. With --mirror it reads a mirror file made by
okta_sync() instead, without the extension and without network, and takes
the changes of the mirror's last sync from its okta_changes feed.

The page opens with a summary (key figures and charts drawn here as inline
SVG), then the findings, each table sorted by severity (SEVERITIES and
FINDINGS below say how), then the reports' detail tables and every query
used. Empty values show as a dash, timestamps as UTC dates with the exact
value in a tooltip. Every table is also written in full as CSV (UTF-8 with
a byte-order mark, for spreadsheets) into <out>-csv/ beside the page, which
links to them. The page needs nothing but itself: no script, no network,
no web font, and it prints cleanly.
Needs Python's sqlite3 module with extension loading (Debian's
/usr/bin/python3 has it) for the live org; a mirror needs only sqlite3.
"""

import argparse
import collections
import csv
import datetime
import glob
import html
import json
import math
import os
import re
import sqlite3
import sys
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORTS = [("effective-access", "Effective access"), ("mfa-coverage", "MFA coverage"),
           ("admins", "Administrators"), ("stale-accounts", "Stale accounts")]

# Caption and CSV name of each report's result sets, in the order the report
# returns them (a report with more results than listed gets "Result N").
TABLES = {
    "effective-access": [("applications", "Access per application"),
                         ("findings", "Suspended or deprovisioned users still assigned"),
                         ("access", "Every user's access and the path that grants it")],
    "mfa-coverage": [("coverage", "MFA coverage of active users"), ("factor-types", "Factor types in use"),
                     ("without-mfa", "Active users without an active MFA factor")],
    "admins": [("roles", "Holders per role"), ("holders", "Who holds which admin role"),
               ("inactive-admins", "Admin roles held by users who are not active"),
               ("okta-support", "Okta Support access")],
    "stale-accounts": [("stale", "Active users with no sign-in for 90 days (or never)"),
                       ("never-activated", "Accounts never activated")],
    "changes": [("changes", "Changes"), ("count", "Count")],
}

SEVERITIES = [
    ("High", "#b42318", "Privileged access: an admin role or an AWS IAM role held by an account that is not "
                        "active, or an admin role on an account without MFA. Fix now."),
    ("Medium", "#b54708", "Ordinary access held by an account that is not active, an active user without MFA, "
                          "an admin who has not signed in for 90 days. Fix within the review cycle."),
    ("Low", "#475467", "Hygiene: active accounts unused for 90 days or more, accounts never activated. Clean up."),
]
RANK = {name: k for k, (name, _, _) in enumerate(SEVERITIES)}

# Result sets that list findings, in the order the page shows them:
# (report, table) -> (kind, how its severity is set, severity of a row given
# the logins holding an admin role).
FINDINGS = {
    ("admins", "inactive-admins"): (
        "Admin role on an inactive account", "High: always.", lambda r, admins: "High"),
    ("effective-access", "findings"): (
        "Inactive user still assigned", "High when the assignment grants an AWS IAM role, otherwise Medium.",
        lambda r, admins: "High" if r.get("aws_role") else "Medium"),
    ("mfa-coverage", "without-mfa"): (
        "Active user without MFA", "High when the user holds an admin role, otherwise Medium.",
        lambda r, admins: "High" if r.get("login") in admins else "Medium"),
    ("stale-accounts", "stale"): (
        "No sign-in for 90 days", "Medium when the user holds an admin role, otherwise Low.",
        lambda r, admins: "Medium" if r.get("login") in admins else "Low"),
    ("stale-accounts", "never-activated"): (
        "Account never activated", "Low: always.", lambda r, admins: "Low"),
}

STATUS_ORDER = ["ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY", "SUSPENDED", "PROVISIONED", "STAGED",
                "DEPROVISIONED"]
STATUS_COLORS = {"ACTIVE": "#1f7a4d", "PASSWORD_EXPIRED": "#c4860b", "LOCKED_OUT": "#c4860b",
                 "RECOVERY": "#c4860b", "SUSPENDED": "#b54708", "PROVISIONED": "#3b6fc9", "STAGED": "#7d9bd6",
                 "DEPROVISIONED": "#8a94a3"}
ACCENT = "#1f3f8f"

# The summary's own queries, over the temp tables the reports leave behind
# (ea_users, mfa_users, mfa_methods, adm), so they cost no request.
SUMMARY_SQL = {
    "users-by-status": "SELECT status, count(*) FROM temp.ea_users GROUP BY status",
    "mfa": "SELECT count(*) AS active_users,\n"
           "       coalesce(sum(EXISTS (SELECT 1 FROM temp.mfa_methods m WHERE m.user_id = u.id "
           "AND m.status = 'ACTIVE')), 0) AS with_mfa\n  FROM temp.mfa_users u",
    "admins-by-role": "SELECT role, count(DISTINCT login) FROM temp.adm GROUP BY role ORDER BY 2 DESC, 1",
    "admin-logins": "SELECT DISTINCT login FROM temp.adm",
}

# Changes of a mirror's last sync, with readable names for their rows.
MIRROR_CHANGES_SQL = """SELECT c.table_name, c.op, c.row_key,
       coalesce(c.j->>'login', (SELECT login FROM okta_users WHERE id = c.j->>'user_id'),
                c.j->>'name', c.j->>'label', c.row_key) AS subject,
       coalesce((SELECT label FROM okta_applications WHERE id = c.j->>'app_id'),
                (SELECT name FROM okta_groups WHERE id = c.j->>'group_id'), c.j->>'label') AS object,
       c.old, c.new
  FROM (SELECT *, CASE WHEN json_valid(coalesce(new, old)) THEN coalesce(new, old) END AS j
          FROM okta_changes WHERE run = :run) c
 ORDER BY c.table_name, c.op, subject"""
NOUNS = {"okta_users": "user", "okta_groups": "group", "okta_group_members": "group membership",
         "okta_applications": "application", "okta_app_users": "app assignment",
         "okta_app_groups": "app group assignment", "okta_user_factors": "MFA factor",
         "okta_user_roles": "admin role", "okta_group_roles": "group admin role", "okta_group_rules": "group rule"}
OPS = {"insert": "added", "update": "changed", "delete": "removed"}

ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

CSS = """
:root { --ink: #1b2430; --muted: #5b6675; --line: #d5dbe4; --soft: #f5f7fa; --accent: %(accent)s; }
* { box-sizing: border-box; }
body { font: 13.5px/1.5 "Segoe UI", "Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 28px 36px 40px; }
header.doc { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 8px; }
.kicker { text-transform: uppercase; letter-spacing: .12em; font-size: 11px; color: var(--accent); font-weight: 600; }
h1 { font-size: 26px; margin: 2px 0 10px; letter-spacing: -.01em; }
h2 { font-size: 19px; margin: 34px 0 6px; padding-bottom: 5px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14.5px; margin: 22px 0 4px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 0; font-size: 13px; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; }
nav.toc { font-size: 12.5px; color: var(--muted); margin: 10px 0 0; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 14px; white-space: nowrap; }
p.what { color: #3a4452; margin: 4px 0 10px; max-width: 900px; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin: 16px 0 18px; }
.card { border: 1px solid var(--line); border-top: 3px solid var(--accent); border-radius: 4px; padding: 10px 12px;
  background: #fff; }
.card .label { font-size: 11.5px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
.card .value { font-size: 26px; font-weight: 650; line-height: 1.2; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card .sub { font-size: 12px; color: var(--muted); }
.charts { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 14px; }
.chart { border: 1px solid var(--line); border-radius: 4px; padding: 10px 12px 8px; margin: 0; break-inside: avoid; }
.chart.wide { grid-column: span 2; }
.chart figcaption { font-weight: 600; font-size: 13px; margin-bottom: 6px; }
.chart .none { color: var(--muted); font-style: italic; font-size: 12.5px; padding: 18px 0; }
.chart svg { display: block; max-width: 100%%; height: auto; }
.chart svg text { font-family: inherit; font-size: 12px; fill: var(--ink); }
.chart svg text.num { font-variant-numeric: tabular-nums; }
.legend { font-size: 12px; color: var(--muted); margin-top: 4px; }
.legend span { margin-right: 12px; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
table.sev { border-collapse: collapse; margin: 8px 0 4px; font-size: 12.5px; width: 100%%; }
table.sev td { border-top: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
table.result { border-collapse: collapse; margin: 4px 0 8px; width: 100%%; font-size: 12px; }
table.result th { background: #eef1f6; text-align: left; font-weight: 600; position: sticky; top: 0;
  border-bottom: 1px solid #b9c2cf; }
table.result th, table.result td { padding: 4px 8px; vertical-align: top; border-bottom: 1px solid #e4e8ee;
  overflow-wrap: break-word; }
table.result td:first-child .pill { white-space: nowrap; }
table.result td.n, table.result th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.result tr:nth-child(even) td { background: #fafbfc; }
td.nil { color: #a3acb8; } td time { white-space: nowrap; }
.pill { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff; font-size: 11px; font-weight: 600;
  line-height: 17px; }
.tablehead { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin-top: 18px; }
.tablehead h3 { margin: 0; }
.count, .links { color: var(--muted); font-size: 12px; }
.links a { color: var(--accent); }
.empty { color: var(--muted); font-style: italic; margin: 4px 0 10px; }
p.note { margin: 6px 0 10px; }
.warn { background: #fff6e0; border-left: 4px solid #dc9b00; padding: 6px 10px; margin: 6px 0; }
pre.sql { background: var(--soft); border: 1px solid var(--line); padding: 8px 10px; font-size: 11.5px;
  white-space: pre-wrap; margin: 4px 0 14px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  @page { size: A4; margin: 14mm 12mm 16mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav.toc { display: none; }
  section.major { break-before: page; }
  .cards { gap: 8px; } .card { padding: 8px; } .card .value { font-size: 20px; } .card .sub { font-size: 8.5pt; }
  .charts { grid-template-columns: 1fr 1fr; grid-auto-flow: dense; gap: 10px; }
  .card, .chart, .tablehead, table.sev tr { break-inside: avoid; }
  .tablehead { break-after: avoid; }
  table.result { font-size: 8pt; }
  table.result th, table.result td { padding: 3px 5px; } table.result td { overflow-wrap: anywhere; }
  table.result th { position: static; }
  thead { display: table-header-group; }
  table.result tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  pre.sql { break-inside: avoid; }
}
""" % {"accent": ACCENT}


class Table:
    """One result set: where it came from, its columns and every row."""

    def __init__(self, report, slug, caption, columns, rows, sql):
        self.report, self.slug, self.caption = report, slug, caption
        self.columns, self.rows, self.sql = list(columns), [list(r) for r in rows], sql
        self.finding = FINDINGS.get((report, slug))
        self.order = list(FINDINGS).index((report, slug)) if self.finding else None
        self.qid = None

    def dicts(self):
        """Rows keyed by column name."""
        return [dict(zip(self.columns, r)) for r in self.rows]

    def is_note(self):
        """A one-value result (the count of changes) reads as a sentence, not a table."""
        return len(self.columns) == 1 and len(self.rows) == 1

    def csv_name(self):
        """File name of the table's CSV export."""
        return "%s-%s.csv" % (self.report, self.slug)


def parse_report(path):
    """(description, [statements]) of a sql/ report."""
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


def run_statements(conn, report, statements, params):
    """Runs a report's statements; the result sets become Tables."""
    out = []
    names = TABLES.get(report, [])
    for sql in statements:
        cur = conn.execute(sql, params if "@" in sql else ())
        if cur.description and not sql.lstrip().upper().startswith(("CREATE", "DROP", "INSERT", "ATTACH", "DETACH")):
            slug, caption = names[len(out)] if len(out) < len(names) else ("result-%d" % (len(out) + 1),
                                                                             "Result %d" % (len(out) + 1))
            out.append(Table(report, slug, caption, [d[0] for d in cur.description], cur.fetchall(), sql))
        else:
            cur.fetchall()
    return out


def finding_tables(tables):
    """The tables that list findings, in FINDINGS order."""
    return sorted((t for t in tables if t.finding), key=lambda t: t.order)


def grade(tables, admins):
    """Adds the severity column to finding tables and sorts them by it (stable: the report's order stays)."""
    for t in tables:
        if not t.finding:
            continue
        rate = t.finding[2]
        graded = [[rate(d, admins)] + r for d, r in zip(t.dicts(), t.rows)]
        graded.sort(key=lambda r: RANK[r[0]])
        t.columns, t.rows = ["severity"] + t.columns, graded


# --- formatting --------------------------------------------------------------

def human_time(v, seconds=False):
    """An ISO 8601 UTC timestamp as people read it (4 Mar 2025 14:22), or None."""
    m = ISO.match(v)
    if not m or m.group(8) != "Z":
        return None
    y, mo, d, hh, mm = (int(m.group(k)) for k in range(1, 6))
    if not 1 <= mo <= 12:
        return None
    return "%d %s %d %02d:%02d%s" % (d, MONTHS[mo - 1], y, hh, mm, (m.group(6) or ":00")[:3] if seconds else "")


def human_column(c):
    """A column name as a table header: aws_role -> AWS role."""
    words = c.replace("_", " ").split()
    fix = {"aws": "AWS", "mfa": "MFA", "id": "ID", "okta": "Okta", "url": "URL"}
    words = [fix.get(w.lower(), w) for w in words]
    return (words[0][:1].upper() + words[0][1:] + (" " + " ".join(words[1:]) if len(words) > 1 else "")) if words else c


def num(n):
    """A count with thousands separators."""
    return "{:,}".format(n)


def cell(v, column):
    """One table cell: a dash for nothing, a readable time with the exact value as tooltip."""
    if v is None or v == "":
        return '<td class="nil" title="no value">&ndash;</td>'
    if column == "severity" and v in RANK:
        return '<td><span class="pill" style="background:%s">%s</span></td>' % (SEVERITIES[RANK[v]][1], v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return '<td class="n">%s</td>' % (num(v) if isinstance(v, int) else html.escape(str(v)))
    s = str(v)
    t = human_time(s) if len(s) < 40 else None
    if t:
        return '<td><time datetime="%s" title="%s">%s</time></td>' % (html.escape(s), html.escape(s), t)
    return "<td>%s</td>" % html.escape(s)


def render_table(t, csv_dir, limit):
    """A result set as a captioned HTML table with its CSV link and query reference."""
    n = len(t.rows)
    head = '<div class="tablehead"><h3 id="t-%s-%s">%s</h3><span class="count">%s row%s%s</span>' \
           '<span class="links"><a href="%s/%s">CSV</a> &middot; <a href="#q%d">query Q%d</a></span></div>' % (
               t.report, t.slug, html.escape(t.caption), num(n), "" if n == 1 else "s",
               ", first %s shown (all in the CSV)" % num(limit) if limit is not None and n > limit else "",
               html.escape(csv_dir), html.escape(t.csv_name()), t.qid, t.qid)
    if n == 0:
        return head + '<p class="empty">None.</p>'
    numeric = [all(isinstance(r[k], (int, float)) or r[k] is None for r in t.rows) for k in range(len(t.columns))]
    ths = "".join('<th%s>%s</th>' % (' class="n"' if numeric[k] else "", html.escape(human_column(c)))
                  for k, c in enumerate(t.columns))
    body = "".join("<tr>%s</tr>" % "".join(cell(v, c) for v, c in zip(r, t.columns))
                   for r in (t.rows if limit is None else t.rows[:limit]))
    return head + '<table class="result"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (ths, body)


def render_note(t):
    """A one-value result (such as the count of changes) as a sentence, its times readable."""
    text = html.escape(str(t.rows[0][0]))
    return '<p class="note">%s</p>' % STAMP.sub(
        lambda m: '<time datetime="%s" title="%s">%s UTC</time>' % (
            m.group(0), m.group(0), human_time(m.group(0), seconds=True) or m.group(0)), text)


# --- charts (inline SVG, no script) -----------------------------------------

def text_width(s, px=12):
    """Rough width of a label in the page's sans-serif font, for laying out a chart."""
    em = sum(0.28 if ch in " .,'il" else 0.7 if ch.isupper() else 0.56 if ch.isdigit() else 0.56 for ch in s)
    return int(em * px) + 4


def shorten(label, px):
    """A label cut to fit px, with an ellipsis."""
    if text_width(label) <= px:
        return label
    while len(label) > 4 and text_width(label + "\u2026") > px:
        label = label[:-1]
    return label.rstrip() + "\u2026"


def bar_chart(name, items, width=334):
    """Horizontal bars: items are (key, label, value, color); each bar carries its key and value."""
    if not items:
        return None
    label_w = min(max(text_width(label) for _, label, _, _ in items) + 8, int(width * 0.6))
    top = max(v for _, _, v, _ in items) or 1
    row, bar_h = 24, 15
    span = width - label_w - 48
    out = ['<svg data-chart="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (
        name, width, row * len(items) + 4, width, row * len(items) + 4)]
    for k, (key, label, value, color) in enumerate(items):
        y = k * row + 4
        w = max(2.0, span * value / top) if value else 0
        out.append('<g data-key="%s" data-value="%d"><title>%s: %s</title>'
                   '<text x="%d" y="%d" text-anchor="end">%s</text>'
                   '<rect x="%d" y="%d" width="%.1f" height="%d" rx="2" fill="%s"/>'
                   '<text class="num" x="%.1f" y="%d">%s</text></g>' % (
                       html.escape(key), value, html.escape(label), num(value),
                       label_w - 8, y + 12, html.escape(shorten(label, label_w)), label_w, y, w, bar_h, color,
                       label_w + w + 6, y + 12, num(value)))
    out.append("</svg>")
    return "".join(out)


def stacked_chart(name, items, width=708):
    """Horizontal stacked bars by severity: items are (label, {severity: value})."""
    if not items:
        return None
    label_w = min(max(text_width(label) for label, _ in items) + 8, int(width * 0.45))
    top = max(sum(parts.values()) for _, parts in items) or 1
    row, bar_h = 26, 16
    span = width - label_w - 56
    out = ['<svg data-chart="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (
        name, width, row * len(items) + 4, width, row * len(items) + 4)]
    for k, (label, parts) in enumerate(items):
        y = k * row + 4
        total = sum(parts.values())
        out.append('<g data-key="%s" data-value="%d"%s><title>%s: %s</title>'
                   '<text x="%d" y="%d" text-anchor="end">%s</text>' % (
                       html.escape(label), total,
                       "".join(' data-%s="%d"' % (s.lower(), parts.get(s, 0)) for s, _, _ in SEVERITIES),
                       html.escape(label), ", ".join("%s %s" % (num(parts[s]), s) for s, _, _ in SEVERITIES
                                                     if parts.get(s)),
                       label_w - 8, y + 13, html.escape(shorten(label, label_w))))
        x = label_w
        for sev, color, _ in SEVERITIES:
            v = parts.get(sev, 0)
            if v:
                w = max(2.0, span * v / top)
                out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>' % (x, y, w, bar_h, color))
                x += w
        out.append('<text class="num" x="%.1f" y="%d">%s</text></g>' % (x + 6, y + 13, num(total)))
    out.append("</svg>")
    return "".join(out)


def donut(name, covered, total, size=132):
    """A ring showing covered/total, with the percentage in the middle."""
    r, sw = size / 2 - 12, 18
    c = 2 * math.pi * r
    frac = covered / total if total else 0
    return ('<svg data-chart="%s" data-covered="%d" data-total="%d" viewBox="0 0 %d %d" width="%d" height="%d" '
            'role="img"><title>%s of %s covered</title>'
            '<circle cx="%g" cy="%g" r="%g" fill="none" stroke="#e3b4ae" stroke-width="%d"/>'
            '<circle cx="%g" cy="%g" r="%g" fill="none" stroke="#1f7a4d" stroke-width="%d" '
            'stroke-dasharray="%.2f %.2f" transform="rotate(-90 %g %g)"/>'
            '<text x="%g" y="%g" text-anchor="middle" style="font-size:22px;font-weight:650">%s</text>'
            '<text x="%g" y="%g" text-anchor="middle" style="font-size:11px;fill:#5b6675">of active users</text>'
            '</svg>' % (name, covered, total, size, size, size, size, num(covered), num(total),
                        size / 2, size / 2, r, sw, size / 2, size / 2, r, sw, c * frac, c, size / 2, size / 2,
                        size / 2, size / 2 + 4, percent(covered, total), size / 2, size / 2 + 22))


def percent(part, whole):
    """part/whole as a percentage with one decimal."""
    return "%.1f%%" % (100.0 * part / whole) if whole else "n/a"


def sentence(text):
    """text with a capital and a full stop."""
    return text[:1].upper() + text[1:] + "."


def chart_box(title, svg, empty, legend="", wide=False):
    """A captioned chart, or a sentence when there is nothing to draw."""
    body = svg if svg else '<div class="none">%s</div>' % html.escape(empty)
    return '<figure class="chart%s"><figcaption>%s</figcaption>%s%s</figure>' % (
        " wide" if wide else "", html.escape(title), body, legend)


def card(key, label, value, sub):
    """One key figure."""
    return ('<div class="card" data-figure="%s"><div class="label">%s</div><div class="value">%s</div>'
            '<div class="sub">%s</div></div>' % (key, html.escape(label), html.escape(value), sub))


# --- the summary ---------------------------------------------------------------

def summarize(conn, tables, changes, admins):
    """The summary's figures: users by status, MFA, admins by role, findings and changes by kind."""
    s = {}
    by_status = dict(conn.execute(SUMMARY_SQL["users-by-status"]).fetchall())
    order = STATUS_ORDER + sorted(set(by_status) - set(STATUS_ORDER), key=str)
    s["users"] = [(st, by_status[st]) for st in order if st in by_status]
    s["active"], s["with_mfa"] = conn.execute(SUMMARY_SQL["mfa"]).fetchone()
    s["roles"] = conn.execute(SUMMARY_SQL["admins-by-role"]).fetchall()
    s["admins"] = len(admins)
    s["admins_without_mfa"] = len(admins & {d.get("login") for t in tables if t.finding and t.slug == "without-mfa"
                                            for d in t.dicts()})
    findings = []
    for t in finding_tables(tables):
        if t.finding:
            worst = {}
            for d in t.dicts():  # an account counts once per kind, at its highest severity
                key = d.get("login")
                if key not in worst or RANK[d["severity"]] < RANK[worst[key]]:
                    worst[key] = d["severity"]
            findings.append((t.finding[0], collections.Counter(worst.values())))
    s["findings"] = findings
    s["changes"] = None if changes is None else collections.Counter(
        r[0] for r in changes.rows).most_common() if changes.rows else []
    return s


def summary_rows(s):
    """The summary's figures as rows for summary.csv."""
    rows = [("users by status", st, n) for st, n in s["users"]]
    rows += [("mfa", "active users", s["active"]), ("mfa", "active users with an active factor", s["with_mfa"]),
             ("mfa", "active users without", s["active"] - s["with_mfa"])]
    rows += [("admins by role", role, n) for role, n in s["roles"]] + [("admins", "accounts with a role", s["admins"]),
                                                                         ("admins", "without MFA", s["admins_without_mfa"])]
    for kind, parts in s["findings"]:
        rows += [("findings (accounts)", "%s: %s" % (kind, sev), parts.get(sev, 0)) for sev, _, _ in SEVERITIES]
    rows += [("changes", kind, n) for kind, n in (s["changes"] or [])]
    return rows


def render_summary(s, changes_note, since, csv_dir):
    """The first section: key figures, charts and what the severities mean."""
    total = sum(n for _, n in s["users"])
    active = dict(s["users"]).get("ACTIVE", 0)
    sev_totals = collections.Counter()
    for _, parts in s["findings"]:
        sev_totals.update(parts)
    n_changes = None if s["changes"] is None else sum(n for _, n in s["changes"])
    cards = "".join([
        card("users", "Users", num(total), "%s active" % num(active)),
        card("mfa-coverage", "MFA coverage", percent(s["with_mfa"], s["active"]),
             "%s active users without MFA" % num(s["active"] - s["with_mfa"])),
        card("admins", "Admin accounts", num(s["admins"]), "%d role%s held" % (len(s["roles"]), "" if len(s["roles"]) == 1 else "s")),
        card("findings", "Findings", num(sum(sev_totals.values())),
             " &middot; ".join('<span style="color:%s;font-weight:600">%s %s</span>' % (c, num(sev_totals.get(n, 0)), n)
                               for n, c, _ in SEVERITIES)),
        card("changes", "Changes", "&ndash;" if n_changes is None else num(n_changes), html.escape(changes_note)),
    ])
    users_svg = bar_chart("users-by-status", [(st, st.replace("_", " ").capitalize(), n, STATUS_COLORS.get(st, "#8a94a3"))
                                              for st, n in s["users"]])
    mfa_svg = donut("mfa-coverage", s["with_mfa"], s["active"]) if s["active"] else None
    mfa_legend = ('<div class="legend"><span><i class="swatch" style="background:#1f7a4d"></i>%s with an active factor'
                  '</span><span><i class="swatch" style="background:#e3b4ae"></i>%s without</span></div>' % (
                      num(s["with_mfa"]), num(s["active"] - s["with_mfa"])) +
                  '<div class="legend" data-figure="admins-without-mfa" data-value="%d">Admins without MFA: <b>%s</b>'
                  '</div>' % (s["admins_without_mfa"], num(s["admins_without_mfa"])))
    roles_svg = bar_chart("admins-by-role", [(r, r, n, ACCENT) for r, n in s["roles"]])
    findings_svg = stacked_chart("findings-by-kind", [(k, p) for k, p in s["findings"]])
    sev_legend = '<div class="legend">%s<span>Accounts, each counted once per kind at its highest severity.</span></div>' % (
        "".join('<span><i class="swatch" style="background:%s"></i>%s</span>' % (c, n) for n, c, _ in SEVERITIES))
    changes_svg = bar_chart("changes", [(k, k[:1].upper() + k[1:], n, "#5a6f96") for k, n in s["changes"] or []])
    charts = "".join([
        chart_box("Users by status", users_svg, "No users."),
        chart_box("MFA coverage", mfa_svg, "No active users.", mfa_legend if mfa_svg else ""),
        chart_box("Admins by role", roles_svg, "No admin roles found."),
        chart_box("Findings by kind", findings_svg, "No findings.", sev_legend, wide=True),
        chart_box("Changes since the last %s" % since, changes_svg,
                  sentence(("no changes " if s["changes"] == [] else "") + changes_note)),
    ])
    return ('<section id="summary"><h2>Summary</h2><div class="cards">%s</div><div class="charts">%s</div>'
            '<p class="count">These figures as CSV: <span class="links"><a href="%s/summary.csv">summary.csv</a></span>'
            '</p></section>' % (cards, charts, html.escape(csv_dir)))


def render_severities(tables):
    """What each severity means, and how each kind of finding is graded."""
    rows = "".join('<tr><td><span class="pill" style="background:%s">%s</span></td><td>%s</td></tr>' % (
        c, n, html.escape(what)) for n, c, what in SEVERITIES)
    kinds = "".join('<tr><td>%s</td><td>%s</td></tr>' % (html.escape(t.finding[0]), html.escape(t.finding[1]))
                    for t in finding_tables(tables))
    return ('<p class="what">Every finding row has a severity; each table lists High first, then Medium, then Low, '
            'in the report\'s own order within a severity.</p><table class="sev">%s</table>'
            '<h3>How each kind is graded</h3><table class="sev">%s</table>' % (rows, kinds))


# --- sources -------------------------------------------------------------------

def connect(ext):
    """An in-memory database with the extension loaded."""
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(ext)
    conn.enable_load_extension(False)
    return conn


def open_mirror(path, ext):
    """The mirror file as the main database, read-only and without the extension: no network."""
    if not os.path.isfile(path):
        sys.exit("okta: mirror %s: no such file" % path)
    conn = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(path)), uri=True)
    # The reports' SQL calls the extension's pure functions (okta_lower,
    # okta_aws_role_arn): its second entry point registers those alone, no
    # table that could reach the network.
    conn.enable_load_extension(True)
    conn.execute("SELECT load_extension(?, 'sqlite3_okta_functions_init')", (ext,))
    conn.enable_load_extension(False)
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    missing = [t for t in ("okta_users", "okta_relationships", "okta_sync_runs", "okta_changes") if t not in have]
    if missing:
        sys.exit("okta: %s is not a mirror made by okta_sync(): no table %s" % (path, ", ".join(missing)))
    return conn


def last_sync(conn):
    """The mirror's last sync run (a dict), its run key, and whether an earlier run exists."""
    cur = conn.execute("SELECT rowid AS rowid_, * FROM okta_sync_runs "
                       "ORDER BY coalesce(finished, started) DESC, rowid DESC LIMIT 2")
    cols = [d[0] for d in cur.description]
    runs = [dict(zip(cols, r)) for r in cur.fetchall()]
    if not runs:
        sys.exit("okta: the mirror has no sync run yet (okta_sync_runs is empty)")
    run = runs[0]
    key = run["id"] if "id" in run else run["run"] if "run" in run else run["rowid_"]
    return run, key, len(runs) > 1


def diff(old, new):
    """What an update changed: 'status ACTIVE -> SUSPENDED; profile'."""
    try:
        a, b = json.loads(old or "{}"), json.loads(new or "{}")
    except ValueError:
        return ""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return ""
    parts = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if x == y:
            continue
        if all(v is None or (isinstance(v, (str, int, float)) and len(str(v)) <= 40) for v in (x, y)):
            parts.append("%s %s \u2192 %s" % (k, "\u2013" if x is None else x, "\u2013" if y is None else y))
        else:
            parts.append(k)
    return "; ".join(parts)


def mirror_changes(conn, run_key):
    """The last sync's changes from okta_changes, as a Table like changes.sql's."""
    rows = []
    for table, op, key, subject, obj, old, new in conn.execute(MIRROR_CHANGES_SQL, {"run": run_key}):
        change = "%s %s" % (NOUNS.get(table, table[5:] if table.startswith("okta_") else table), OPS.get(op, op))
        rows.append((change, subject, obj, diff(old, new) if op == "update" else "", table, key))
    rows.sort(key=lambda r: (r[0], str(r[1]), str(r[2])))
    return Table("changes", "changes", "Changes", ["change", "subject", "object", "detail", "table_name", "row_key"],
                 rows, MIRROR_CHANGES_SQL)


def live_changes(conn, snapshots, started, notes):
    """Takes this run's snapshot and compares it with the last one: (Tables, description)."""
    os.makedirs(snapshots, exist_ok=True)
    earlier = sorted(glob.glob(os.path.join(snapshots, "okta-snapshot-*.db")))
    new = os.path.join(snapshots, "okta-snapshot-%s.db" % started.strftime("%Y-%m-%dT%H%M%SZ"))
    if os.path.exists(new):
        sys.exit("okta: snapshot %s exists already: one snapshot a second, run again" % new)
    _, snap = parse_report(os.path.join(ROOT, "sql", "snapshot.sql"))
    run_statements(conn, "snapshot", snap, {"file": new})
    notes["snapshot"], notes["snapshot_sql"] = os.path.basename(new), snap
    what, changes = parse_report(os.path.join(ROOT, "sql", "changes.sql"))
    if not earlier:
        notes["changes"] = "first snapshot: nothing to compare with yet"
        return [], what, []
    notes["compared"] = os.path.basename(earlier[-1])
    try:
        stamp = datetime.datetime.strptime(earlier[-1].rsplit("okta-snapshot-", 1)[-1][:-3], "%Y-%m-%dT%H%M%SZ")
        notes["changes"] = "since the snapshot of %s UTC" % human_time(stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:  # a snapshot someone named by hand
        notes["changes"] = "since %s" % os.path.basename(earlier[-1])
    tables = run_statements(conn, "changes", changes, {"old": earlier[-1], "new": new})
    return tables, what + " Compared: %s and %s." % (os.path.basename(earlier[-1]), os.path.basename(new)), changes


# --- the page -----------------------------------------------------------------

def render_queries(scripts):
    """The appendix: every statement each script ran, in order; those that made a table are numbered (t.qid)."""
    out, n = [], 0
    for title, source, got, statements in scripts:
        if not statements:
            continue
        made = {id(t.sql): t for t in got}
        out.append('<h3>%s <span class="count">%s</span></h3>' % (html.escape(title), html.escape(source)))
        setup = []
        for sql in statements + [None]:
            t = made.get(id(sql))
            if sql is not None and not t:
                setup.append(sql)
                continue
            if setup:  # statements that make no table, in one block
                out.append('<div class="q"><span class="count">set-up: the temp tables the next queries read'
                           '</span><pre class="sql">%s</pre></div>' % html.escape("\n".join(setup)))
                setup = []
            if t:
                n += 1
                t.qid = n
                out.append('<div class="q" id="q%d"><span class="count">Q%d &middot; %s</span><pre class="sql">%s'
                           '</pre></div>' % (n, n, html.escape(t.caption), html.escape(sql)))
    out.append("<h3>Summary</h3>" + "".join('<div class="q"><span class="count">%s</span><pre class="sql">%s</pre>'
                                            '</div>' % (k, html.escape(v)) for k, v in SUMMARY_SQL.items()))
    return ('<section id="queries" class="major"><h2>Queries used</h2><p class="what">Every statement each report '
            'ran, in order, as written in sql/; the tables above name the query (Q) that made them. The summary '
            'reads the temp tables the reports leave behind, and costs no request.</p>%s</section>' % "".join(out))


def write_csvs(csv_dir, tables, summary):
    """Every table in full, and the summary's figures, as CSV files."""
    os.makedirs(csv_dir, exist_ok=True)
    for old in glob.glob(os.path.join(csv_dir, "*.csv")):
        os.unlink(old)  # the folder belongs to this page: no stale tables from an earlier run
    with open(os.path.join(csv_dir, "summary.csv"), "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["figure", "item", "value"])
        w.writerows(summary_rows(summary))
    for t in tables:
        if t.is_note():
            continue
        with open(os.path.join(csv_dir, t.csv_name()), "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(t.columns)
            w.writerows(t.rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="okta-evidence.html")
    ap.add_argument("--snapshots", default=".", help="folder of okta-snapshot-*.db files (a new one is added)")
    ap.add_argument("--ext", default=os.path.join(ROOT, "build", "okta"))
    ap.add_argument("--mirror", help="read this okta_sync() mirror file instead of the org (no network)")
    ap.add_argument("--limit", type=int, default=None, help="rows shown per table (all by default; CSVs have all)")
    args = ap.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    notes = {}
    if args.mirror:
        conn = open_mirror(args.mirror, args.ext)
        run, run_key, has_earlier = last_sync(conn)
        org_url = None
        version = None
    else:
        conn = connect(args.ext)
        org_url = conn.execute("SELECT okta_config('orgUrl')").fetchone()[0]
        version = conn.execute("SELECT okta_version(), sqlite_version()").fetchone()
    try:
        company, subdomain = conn.execute("SELECT company_name, subdomain FROM okta_org").fetchone() or (None, None)
    except sqlite3.Error as e:
        sys.exit("okta: cannot read the org: %s" % e)

    tables, sections, scripts = [], [], []
    try:
        for name, title in REPORTS:
            what, statements = parse_report(os.path.join(ROOT, "sql", name + ".sql"))
            statements = [s for s in statements if "okta_warnings" not in s]
            got = run_statements(conn, name, statements, {"limit": None})
            tables += got
            sections.append((name, title, what, got))
            scripts.append((title, "sql/%s.sql" % name, got, statements))
        if args.mirror:
            if has_earlier:
                changes = mirror_changes(conn, run_key)
                when = str(run.get("finished") or run.get("started"))
                notes["changes"] = "in the last sync, %s UTC" % (human_time(when) or when)
                change_tables, change_what = [changes], (
                    "What the mirror's last sync changed, from its change feed okta_changes (run %s): one row per "
                    "inserted, updated or deleted row of a table; an update names the columns it changed." % run_key)
            else:
                changes, change_tables, change_what = None, [], "The mirror's only sync so far: nothing to compare."
                notes["changes"] = "first sync: nothing to compare with yet"
            scripts.append(("Changes of the last sync", "okta_changes in %s" % os.path.basename(args.mirror),
                            change_tables, [MIRROR_CHANGES_SQL] if change_tables else []))
        else:
            change_tables, change_what, change_sql = live_changes(conn, args.snapshots, started, notes)
            scripts.append(("Snapshot", "sql/snapshot.sql", [], notes.pop("snapshot_sql")))
            scripts.append(("Changes since the last snapshot", "sql/changes.sql", change_tables, change_sql))
            changes = change_tables[0] if change_tables else None
        tables += change_tables
        sections.append(("changes", "Changes since the last %s" % ("sync" if args.mirror else "snapshot"),
                         change_what, change_tables))
        admins = {r[0] for r in conn.execute(SUMMARY_SQL["admin-logins"])}
        grade(tables, admins)
        summary = summarize(conn, tables, changes, admins)
    except sqlite3.Error as e:
        sys.exit("okta: %s: %s" % (args.mirror or "the org", e))
    finished = datetime.datetime.now(datetime.timezone.utc)
    warnings = []
    if args.mirror:
        w = run.get("warnings")
        try:
            w = json.loads(w) if isinstance(w, str) else w
        except ValueError:
            pass
        if w:
            warnings = [("last sync", x if isinstance(x, str) else json.dumps(x)) for x in
                        (w if isinstance(w, list) else [w])]
    else:
        warnings = conn.execute("SELECT source, message FROM okta_warnings").fetchall()

    appendix = render_queries(scripts)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    csv_dir = os.path.splitext(os.path.abspath(args.out))[0] + "-csv"
    csv_rel = os.path.relpath(csv_dir, out_dir)
    write_csvs(csv_dir, tables, summary)

    def render(t):
        return render_note(t) if t.is_note() else render_table(t, csv_rel, args.limit)

    body = [render_summary(summary, notes["changes"], "sync" if args.mirror else "snapshot", csv_rel)]
    body.append('<section id="findings" class="major"><h2>Findings</h2>%s%s</section>' % (
        render_severities(tables), "".join(render(t) for t in finding_tables(tables))))
    toc = [("summary", "Summary"), ("findings", "Findings")]
    for name, title, what, got in sections:
        rest = [t for t in got if not t.finding]
        refs = [t for t in got if t.finding]
        if name == "changes" and not got:
            inner = '<p class="empty">%s</p>' % html.escape(sentence(notes["changes"]))
        else:
            inner = "".join(render(t) for t in rest)
        if refs:
            inner += '<p class="count">Findings of this report: %s.</p>' % ", ".join(
                '<a href="#t-%s-%s">%s</a>' % (t.report, t.slug, html.escape(t.caption)) for t in refs)
        body.append('<section id="%s" class="major"><h2>%s</h2><p class="what">%s</p>%s</section>' % (
            name, html.escape(title), html.escape(what), inner))
        toc.append((name, title))
    body.append(appendix)
    toc.append(("queries", "Queries"))

    meta = [("Org", html.escape(" ".join(x for x in (company, "(%s)" % org_url if org_url else
                                                          ("(%s)" % subdomain if subdomain else None)) if x) or "?"))]
    if args.mirror:
        when = run.get("finished") or run.get("started")
        meta.append(("Source", "mirror file <b>%s</b>, last sync %s (%s, %s requests, %s changes)" % (
            html.escape(os.path.basename(args.mirror)),
            '<time datetime="%s" title="%s">%s UTC</time>' % (html.escape(str(when)), html.escape(str(when)),
                                                              human_time(str(when)) or html.escape(str(when))),
            html.escape(str(run.get("mode", "?"))), html.escape(str(run.get("requests", "?"))),
            html.escape(str(run.get("changes", "?"))))))
        meta.append(("Rendered", "%s UTC, from the mirror only (no request to Okta)" % human_time(
            started.strftime("%Y-%m-%dT%H:%M:%SZ"))))
    else:
        meta.append(("Source", "the Okta Management API, read live"))
        meta.append(("Collected", '<time datetime="%s" title="%s">%s</time>&ndash;%s UTC' % (
            started.strftime("%Y-%m-%dT%H:%M:%SZ"), started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "%d %s %d, %s" % (started.day, MONTHS[started.month - 1], started.year, started.strftime("%H:%M:%S")),
            finished.strftime("%H:%M:%S"))))
        meta.append(("Snapshot", html.escape(notes["snapshot"]) + (
            " (compared with %s)" % html.escape(notes["compared"]) if "compared" in notes else "")))
    meta.append(("Tool", "sqlite-okta %s on SQLite %s" % (html.escape(version[0]), version[1]) if version else
                 "sqlite-okta tools/evidence.py on SQLite %s" % sqlite3.sqlite_version))
    meta.append(("Exports", 'every table as CSV in <a href="%s/">%s/</a>' % (html.escape(csv_rel),
                                                                             html.escape(csv_rel))))
    warn_html = "".join('<p class="warn"><b>%s</b>: %s</p>' % (html.escape(str(s)), html.escape(str(m)))
                        for s, m in warnings)
    page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Okta access review: %(company)s</title>
<style>%(css)s</style></head><body>
<header class="doc"><div class="kicker">Access review &middot; evidence report</div>
<h1>Okta access review: %(company)s</h1>
<dl class="meta">%(meta)s</dl>
%(warnings)s
<nav class="toc">%(toc)s</nav></header>
%(body)s
<footer>Generated by sqlite-okta tools/evidence.py. Times are UTC; hover a time for its exact value. A dash is a
value the org does not have. Every table is in the CSV folder in full.</footer>
</body></html>
""" % {"company": html.escape(company or "?"), "css": CSS,
       "meta": "".join("<dt>%s</dt><dd>%s</dd>" % (k, v) for k, v in meta),
       "warnings": ("<h3>Sources skipped</h3>" + warn_html) if warnings else "",
       "toc": "".join('<a href="#%s">%s</a>' % (a, html.escape(t)) for a, t in toc),
       "body": "\n".join(body)}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(page)
    print("evidence report: %s (every table as CSV in %s/%s)" % (
        args.out, os.path.splitext(args.out)[0] + "-csv", ", snapshot %s" % notes["snapshot"] if "snapshot" in notes else ""))


if __name__ == "__main__":
    main()
