#!/usr/bin/env python3
"""Differential test: every answer of the virtual tables must equal the same
query over plain tables holding their full scans.

    python3 tests/difftest.py [--seed N] [--queries N] [--users N] [--ext build/okta]
    make difftest SEED=N QUERIES=N

It starts a fake org, reads every table once in full (the plain copies live
in a second connection without the extension, under the same names), then
runs seeded random queries on both connections and compares the answers as
sorted multisets (as lists when ORDER BY fixes the order). The queries cover
equality, IN with duplicates and NULL, ranges on every timestamp column in
several spellings, OR, NOT, IS NULL, LIKE and GLOB, COLLATE NOCASE and RTRIM,
LIMIT/OFFSET with ORDER BY, joins in both orders, correlated subqueries,
EXISTS, a table joined to itself, and the hidden input columns (checked
against an equivalent plain predicate). A failure prints the seed, the query
number, the SQL and a differing row. `make test` runs a few hundred queries
with a fixed seed (tests/test_difftest.py).
"""

import argparse
import os
import random
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Tables the generator draws from, and the natural joins between them:
# (table, column, table, column).
TABLES = ["okta_users", "okta_groups", "okta_group_members", "okta_group_roles", "okta_group_rules",
          "okta_applications", "okta_app_users", "okta_app_groups", "okta_user_factors", "okta_user_roles",
          "okta_system_log", "okta_org", "okta_user_types", "okta_devices", "okta_policies",
          "okta_network_zones", "okta_trusted_origins", "okta_authorization_servers",
          "okta_identity_providers", "okta_authenticators", "okta_entities", "okta_relationships",
          "okta_user_authenticator_enrollments", "okta_policy_rules", "okta_policy_mappings", "okta_api_tokens",
          "okta_custom_roles", "okta_role_permissions", "okta_resource_sets", "okta_resource_set_resources",
          "okta_group_owners", "okta_auth_server_policies", "okta_auth_server_policy_rules",
          "okta_auth_server_scopes", "okta_auth_server_claims", "okta_auth_server_clients"]
JOINS = [
    ("okta_users", "id", "okta_group_members", "user_id"),
    ("okta_groups", "id", "okta_group_members", "group_id"),
    ("okta_users", "id", "okta_user_factors", "user_id"),
    ("okta_users", "id", "okta_user_roles", "user_id"),
    ("okta_users", "id", "okta_app_users", "user_id"),
    ("okta_applications", "id", "okta_app_users", "app_id"),
    ("okta_applications", "id", "okta_app_groups", "app_id"),
    ("okta_groups", "id", "okta_app_groups", "group_id"),
    ("okta_groups", "id", "okta_group_roles", "group_id"),
    ("okta_users", "login", "okta_user_factors", "user_id"),   # never equal: a login is not a key
    ("okta_users", "id", "okta_system_log", "actor_id"),
    ("okta_applications", "id", "okta_system_log", "target_id"),
    ("okta_relationships", "to_key", "okta_entities", "key"),
    ("okta_relationships", "from_key", "okta_entities", "key"),
    ("okta_users", "id", "okta_relationships", "from_key"),
    ("okta_group_members", "user_id", "okta_user_factors", "user_id"),
    ("okta_app_users", "user_id", "okta_group_members", "user_id"),
]
# Hidden inputs with an equivalent plain predicate: (table, column, value, plain predicate).
HIDDEN = [
    ("okta_users", "search", 'status eq "{status}"', "status = '{status}'"),
    ("okta_users", "filter", 'status eq "{status}"', "status = '{status}'"),
    ("okta_users", "filter", 'profile.login eq "{login}"', "login = '{login}'"),
    ("okta_users", "search", 'id eq "{user}"', "id = '{user}'"),
    ("okta_applications", "user_id", "{user}",
     "id IN (SELECT app_id FROM okta_app_users WHERE user_id = '{user}')"),
    ("okta_applications", "group_id", "{group}",
     "id IN (SELECT app_id FROM okta_app_groups WHERE group_id = '{group}')"),
]
COLLATIONS = ["NOCASE", "RTRIM", "BINARY"]


def qi(name):
    return '"%s"' % name


def lit(v):
    """A SQL literal for a Python value."""
    if v is None:
        return "NULL"
    if isinstance(v, bytes):
        return "x'%s'" % v.hex()
    if isinstance(v, (int, float)):
        return repr(v)
    return "'%s'" % str(v).replace("'", "''")


class Schema:
    """Columns of every table (hidden ones apart) and value pools drawn from
    the data."""

    def __init__(self, vt):
        self.cols, self.hidden, self.types = {}, {}, {}
        for t in TABLES:
            info = vt.execute("PRAGMA table_xinfo(%s)" % t).fetchall()
            self.cols[t] = [r[1] for r in info if not r[6]]
            self.hidden[t] = [r[1] for r in info if r[6]]
            self.types[t] = {r[1]: r[2] for r in info}
        self.values = {}

    def key_columns(self, t):
        return [c for c in self.cols[t] if c in ("id", "key", "uuid")] or self.cols[t][:2]


def materialize(vt, schema):
    """The plain copies: a connection without the extension, every table
    filled from one full scan of the virtual table (hidden input columns
    left out: a plain table has none)."""
    plain = sqlite3.connect(":memory:")
    for t in TABLES:
        cols = schema.cols[t]
        decl = ", ".join("%s %s" % (qi(c), schema.types[t][c].replace(" HIDDEN", "") or "TEXT") for c in cols)
        plain.execute("CREATE TABLE %s (%s)" % (t, decl))
        got = vt.execute("SELECT %s FROM %s" % (", ".join(qi(c) for c in schema.cols[t]), t)).fetchall()
        marks = ", ".join("?" * len(schema.cols[t]))
        plain.executemany("INSERT INTO %s (%s) VALUES (%s)" % (t, ", ".join(qi(c) for c in schema.cols[t]), marks),
                          got)
        pool = {}
        for i, c in enumerate(schema.cols[t]):
            vals = [r[i] for r in got if r[i] is not None]
            pool[c] = vals
        schema.values[t] = pool
    plain.commit()
    return plain


TIME_COLS = ("created", "last_updated", "last_login", "published", "activated", "status_changed",
             "password_changed", "last_membership_updated", "support_expiration")


class Gen:
    """Seeded random queries."""

    def __init__(self, schema, rng):
        self.s = schema
        self.rng = rng

    def value(self, t, c):
        """A value for column c: from the data, or a twisted copy of one."""
        rng = self.rng
        pool = self.s.values[t].get(c) or []
        v = rng.choice(pool) if pool else None
        k = rng.random()
        if v is None or k < 0.05:
            return rng.choice([None, "", " ", "x", 0, 1, "00u", "..", ".", "%2e%2e", "a/b", "a?b", "a#b",
                               b"\x00\x01", "Zoë", 'q"uote', "back\\slash", "tab\there", "new\nline"])
        if isinstance(v, str):
            if k < 0.12:
                return v.upper()
            if k < 0.18:
                return v.lower()
            if k < 0.22:
                return v + "  "
            if k < 0.25:
                return " " + v
            if k < 0.28:
                return v[: max(1, len(v) // 2)]
            if k < 0.30 and c in TIME_COLS:
                return rng.choice([v[:4], v[:7], v[:10], v[:10] + " " + v[11:16], v[:19], v[:19] + "+05:00",
                                   v[:8] + "31", v[:5] + "02-30", v[:19] + "-26:00",
                                   int(v[:4]) if v[:4].isdigit() else v[:4], v[:10] + "T"])
        if isinstance(v, int) and k < 0.3:
            return str(v)
        return v

    def predicate(self, t, alias, depth=0):
        rng = self.rng
        cols = self.s.cols[t]
        c = rng.choice(cols)
        ref = "%s.%s" % (alias, qi(c))
        k = rng.random()
        if depth < 2 and k < 0.12:
            op = rng.choice(["AND", "OR"])
            return "(%s %s %s)" % (self.predicate(t, alias, depth + 1), op, self.predicate(t, alias, depth + 1))
        if depth < 2 and k < 0.16:
            return "NOT (%s)" % self.predicate(t, alias, depth + 1)
        if k < 0.45:
            coll = " COLLATE %s" % rng.choice(COLLATIONS) if rng.random() < 0.15 else ""
            return "%s = %s%s" % (ref, lit(self.value(t, c)), coll)
        if k < 0.55:
            vals = [self.value(t, c) for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.3:
                vals.append(vals[0])  # a duplicate
            if rng.random() < 0.2:
                vals.append(None)
            return "%s %sIN (%s)" % (ref, "NOT " if rng.random() < 0.1 else "", ", ".join(lit(v) for v in vals))
        if k < 0.72:
            op = rng.choice([">", ">=", "<", "<="])
            coll = " COLLATE NOCASE" if rng.random() < 0.05 else ""
            return "%s %s %s%s" % (ref, op, lit(self.value(t, c)), coll)
        if k < 0.78:
            return "%s IS %sNULL" % (ref, rng.choice(["", "NOT "]))
        if k < 0.85:
            v = self.value(t, c)
            s = str(v) if v is not None else ""
            return "%s LIKE %s" % (ref, lit(s[: rng.randint(0, max(1, len(s)))] + "%"))
        if k < 0.90:
            v = self.value(t, c)
            s = str(v) if v is not None else ""
            return "%s GLOB %s" % (ref, lit(s[: rng.randint(0, max(1, len(s)))] + "*"))
        if k < 0.95:
            lo, hi = self.value(t, c), self.value(t, c)
            return "%s BETWEEN %s AND %s" % (ref, lit(lo), lit(hi))
        return "%s = %s" % (ref, lit(self.value(t, c)))

    def where(self, t, alias):
        n = self.rng.choice([0, 1, 1, 1, 2, 2, 3])
        if n == 0:
            return ""
        joiner = self.rng.choice([" AND ", " AND ", " OR "])
        return " WHERE " + joiner.join(self.predicate(t, alias) for _ in range(n))

    def select_cols(self, t, alias):
        cols = self.s.cols[t]
        pick = self.rng.sample(cols, min(len(cols), self.rng.randint(1, 4)))
        return ", ".join("%s.%s" % (alias, qi(c)) for c in pick)

    def query(self):
        """(sql, ordered) for one random query."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.40:
            t = rng.choice(TABLES)
            return "SELECT %s FROM %s a%s" % (self.select_cols(t, "a"), t, self.where(t, "a")), False
        if kind < 0.48:
            t = rng.choice(TABLES)
            keys = ", ".join("a.%s" % qi(c) for c in self.s.cols[t])
            return ("SELECT %s FROM %s a%s ORDER BY %s LIMIT %d OFFSET %d" % (
                keys, t, self.where(t, "a"), keys, rng.randint(0, 30), rng.choice([0, 0, 1, 5, 200]))), True
        if kind < 0.75:
            t1, c1, t2, c2 = rng.choice(JOINS)
            if rng.random() < 0.5:
                t1, c1, t2, c2 = t2, c2, t1, c1
            cross = "CROSS JOIN" if rng.random() < 0.15 else "JOIN"
            w = []
            for t, a in ((t1, "a"), (t2, "b")):
                if rng.random() < 0.4:
                    w.append(self.predicate(t, a))
            return ("SELECT %s, %s FROM %s a %s %s b ON b.%s = a.%s%s" % (
                self.select_cols(t1, "a"), self.select_cols(t2, "b"), t1, cross, t2, qi(c2), qi(c1),
                (" WHERE " + " AND ".join(w)) if w else "")), False
        if kind < 0.85:
            t1, c1, t2, c2 = rng.choice(JOINS)
            neg = "NOT " if rng.random() < 0.3 else ""
            inner = self.predicate(t2, "b") if rng.random() < 0.5 else "1"
            return ("SELECT %s FROM %s a WHERE %sEXISTS (SELECT 1 FROM %s b WHERE b.%s = a.%s AND %s)" % (
                self.select_cols(t1, "a"), t1, neg, t2, qi(c2), qi(c1), inner)), False
        if kind < 0.90:
            t1, c1, t2, c2 = rng.choice(JOINS)
            return ("SELECT a.%s, (SELECT count(*) FROM %s b WHERE b.%s = a.%s) FROM %s a%s" % (
                qi(c1), t2, qi(c2), qi(c1), t1, self.where(t1, "a"))), False
        if kind < 0.95:
            # the same table twice, on a column that (nearly) identifies a row:
            # a common value would make the answer quadratic
            t = rng.choice([x for x in TABLES if self.s.keyish[x]])
            c = rng.choice(self.s.keyish[t])
            return ("SELECT a.%s, b.%s FROM %s a JOIN %s b ON a.%s = b.%s%s" % (
                qi(c), qi(c), t, t, qi(c), qi(c), self.where(t, "a"))), False
        return "SELECT %s FROM %s a WHERE a.%s IN (SELECT b.%s FROM %s b%s)" % self.in_subquery(), False

    def in_subquery(self):
        t1, c1, t2, c2 = self.rng.choice(JOINS)
        return (self.select_cols(t1, "a"), t1, qi(c1), qi(c2), t2, self.where(t2, "b"))

    def hidden_query(self):
        """(vt_sql, plain_sql): a hidden input against its plain equivalent."""
        rng = self.rng
        t, col, val, pred = rng.choice(HIDDEN)
        users = self.s.values["okta_users"]
        fill = {"status": rng.choice(["ACTIVE", "SUSPENDED", "DEPROVISIONED", "STAGED"]),
                "login": rng.choice(users["login"]), "user": rng.choice(users["id"]),
                "group": rng.choice(self.s.values["okta_groups"]["id"])}
        okta = {k: x.replace("\\", "\\\\").replace('"', '\\"') for k, x in fill.items()}
        v = val.format(**okta)
        p = pred.format(**{k: x.replace("'", "''") for k, x in fill.items()})
        cols = ", ".join(qi(c) for c in self.s.cols[t][:3])
        extra = ""
        if rng.random() < 0.5:
            extra = " AND " + self.predicate(t, t)
        return ("SELECT %s, %s FROM %s WHERE %s = %s%s" % (cols, qi(col), t, qi(col), lit(v), extra),
                "SELECT %s, %s FROM %s WHERE %s%s" % (cols, lit(v), t, p, extra))


BIG = 20000


def norm(rows, ordered):
    out = [tuple((type(v).__name__, v) if not isinstance(v, float) else ("float", round(v, 9)) for v in r)
           for r in rows]
    return out if ordered else sorted(out, key=repr)


def first_difference(a, b):
    sa, sb = list(a), list(b)
    for r in sa:
        if r in sb:
            sb.remove(r)
        else:
            return "only in the virtual tables: %r" % (r,)
    if sb:
        return "only in the plain tables: %r" % (sb[0],)
    return "same rows, different order"


def run(vt, plain, seed, n, out=sys.stdout, hidden_every=10):
    """Runs n queries; returns a list of failure texts."""
    schema = Schema(vt)
    gen = Gen(schema, random.Random(seed))
    gen.s.values = plain_values(plain, schema)
    gen.s.keyish = keyish_columns(plain, schema)
    failures = []
    for i in range(n):
        if hidden_every and i % hidden_every == hidden_every - 1:
            sql, psql = gen.hidden_query()
            ordered = False
        else:
            sql, ordered = gen.query()
            psql = sql
        try:
            big = plain.execute("SELECT count(*) FROM (%s)" % psql).fetchone()[0] > BIG
            if big:
                # a huge answer (a self-join on a common value): compare its
                # size, not its rows in memory
                psql, sql = ["SELECT count(*) FROM (%s)" % q for q in (psql, sql)]
            want = norm(plain.execute(psql).fetchall(), ordered)
        except sqlite3.Error:
            continue  # not a valid query for plain tables either (e.g. a misused collation)
        try:
            got = norm(vt.execute(sql).fetchall(), ordered)
        except sqlite3.Error as e:
            failures.append("seed %d query %d: error on the virtual tables: %s\n  %s" % (seed, i, e, sql))
            continue
        if got != want:
            failures.append("seed %d query %d: %d rows, want %d: %s\n  %s%s" % (
                seed, i, len(got), len(want), first_difference(got, want), sql,
                "\n  plain: " + psql if psql != sql else ""))
        if out and (i + 1) % 500 == 0:
            print("difftest: %d/%d queries, %d failures" % (i + 1, n, len(failures)), file=out, flush=True)
    return failures


def keyish_columns(plain, schema):
    """Per table, the columns whose values (nearly) identify a row."""
    out = {}
    for t in TABLES:
        n = plain.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
        out[t] = [c for c in schema.cols[t] if n and plain.execute(
            "SELECT count(DISTINCT %s) FROM %s" % (qi(c), t)).fetchone()[0] * 2 > n]
    return out


def plain_values(plain, schema):
    vals = {}
    for t in TABLES:
        vals[t] = {}
        for c in schema.cols[t]:
            vals[t][c] = [r[0] for r in plain.execute("SELECT %s FROM %s WHERE %s IS NOT NULL" % (qi(c), t, qi(c)))]
    return vals


def connect_vt(ext, url, token):
    vt = sqlite3.connect(":memory:")
    vt.enable_load_extension(True)
    vt.load_extension(ext)
    for k, v in (("orgUrl", url), ("token", token), ("cache.ttl", "86400"), ("cache.maxMemory", "1024"),
                 ("rateLimit.backoffBase", "0.01")):
        vt.execute("SELECT okta_config(?, ?)", (k, v))
    return vt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--users", type=int, default=600)
    ap.add_argument("--ext", default=os.path.join(HERE, "..", "build", "okta"))
    args = ap.parse_args()
    ext = os.path.abspath(args.ext)
    sys.path.insert(0, HERE)
    from conftest import start_fake  # noqa: E402 (also isolates HOME and OKTA_* settings)
    fake = start_fake(users=args.users)
    try:
        t0 = time.time()
        vt = connect_vt(ext, fake.url, fake.token)
        plain = materialize(vt, Schema(vt))
        print("difftest: seed %d, %d queries against a %d-user fake org (copies made in %.1f s)" % (
            args.seed, args.queries, args.users, time.time() - t0), flush=True)
        failures = run(vt, plain, args.seed, args.queries)
        for f in failures[:20]:
            print("FAIL " + f)
        print("difftest: seed %d: %d queries, %d agree, %d differ (%.0f s)" % (
            args.seed, args.queries, args.queries - len(failures), len(failures), time.time() - t0))
        sys.exit(1 if failures else 0)
    finally:
        fake.proc.terminate()


if __name__ == "__main__":
    main()
