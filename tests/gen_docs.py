#!/usr/bin/env python3
"""Generates docs/tables.md, the table reference, from okta_schema() (the
table descriptors themselves). `make docs` writes it; tests/test_docs.py
fails when the committed file differs from what the code says."""

import json
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXT = os.environ.get("OKTA_EXT") or os.path.join(HERE, "..", "build", "okta")
OUT = os.path.join(HERE, "..", "docs", "tables.md")

ROUTE_WORDS = {
    "get": "one object by id",
    "batch": "`IN` lists, batched into filters",
    "list": "the listing (pushdown goes here)",
    "all-groups": "every group (fan-out)",
    "all-users": "every user (fan-out)",
    "all-apps": "every application (fan-out)",
    "admins": "every user holding a role (fan-out)",
}


def schema():
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    return json.loads(conn.execute("SELECT okta_schema()").fetchone()[0])


def esc(s):
    return s.replace("|", "\\|")


def render(tables):
    out = ["# Table reference", "",
           "Generated from the table descriptors by `make docs` (tests/gen_docs.py); "
           "do not edit by hand. The same data is available in SQL as `SELECT okta_schema()`.", "",
           "Every table is eponymous (no `CREATE VIRTUAL TABLE`). JSON columns hold Okta's nested objects "
           "as JSON text. A constraint that is pushed down is still checked by SQLite, so results are "
           "exactly what the SQL says; constraints that are not pushed down are evaluated by SQLite. "
           "Hidden columns are inputs: they are not in `SELECT *` and read back as the value given.", ""]
    out.append("| table | what | needs |")
    out.append("|---|---|---|")
    for t in tables:
        out.append("| [%s](#%s) | %s | %s |" % (t["name"], t["name"], esc(t["doc"]), esc(t["needs"])))
    out.append("")
    for t in tables:
        out += ["## %s" % t["name"], "", t["doc"][0].upper() + t["doc"][1:] + ".", "",
                "Needs: %s." % t["needs"], "", "Requests:", ""]
        for r in t["routes"]:
            when = "`%s` constrained" % r["when"] if r["when"] else "otherwise"
            line = "- %s (%s): `%s`" % (when, r["name"], r["request"])
            if r.get("keys_from"):
                line += ", keys from `%s`" % r["keys_from"]
            if r.get("args_from"):
                line += " for each item of `%s`" % r["args_from"]
            if r.get("passes"):
                line += "; without pushdown one pass per: %s" % ", ".join(
                    "`%s`" % p if p else "(plain)" for p in r["passes"])
            out.append(line)
        if t.get("also"):
            out.append("- and per row: `%s`" % t["also"])
        out += ["", "| column | type | from | pushed down |", "|---|---|---|---|"]
        for c in t["columns"]:
            name = c["name"] + (" (hidden)" if c["hidden"] else "")
            src = c["source"] or c["doc"]
            if c["source"] and c["doc"]:
                src += ": " + c["doc"]
            out.append("| %s | %s | %s | %s |" % (name, c["type"], esc(src), esc(c["pushdown"])))
        out.append("")
    return "\n".join(out)


def main():
    text = render(schema())
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        with open(OUT, encoding="utf-8") as f:
            return 0 if f.read() == text else 1
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
