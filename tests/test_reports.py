"""The sql/ reports, run in the sqlite3 shell against the fake org, with their
results checked against the fixture."""

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from conftest import EXT, HERE
from test_graph import is_person

SQL = os.path.join(HERE, "..", "sql")


def run_report(fake, name, params=None, mode="json", env=None):
    """Runs sql/<name>.sql; in json mode every result set is decoded."""
    with open(os.path.join(SQL, name + ".sql"), encoding="utf-8") as f:
        text = f.read()
    if mode == "json":
        text = ".mode json\n" + "\n".join(l for l in text.splitlines() if not l.startswith((".mode", ".headers")))
    cmd = ["sqlite3", "-bail", ":memory:", "-cmd", ".load " + EXT]
    for k, v in (params or {}).items():
        cmd += ["-cmd", ".parameter set @%s %s" % (k, v)]
    e = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, OKTA_SQLITE_PROGRESS="off")
    e.update(env or {})
    p = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=300, env=e)
    assert p.returncode == 0, p.stderr
    if mode != "json":
        return p.stdout
    out, dec, i, s = [], json.JSONDecoder(), 0, p.stdout
    while True:
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s):
            return out
        v, i = dec.raw_decode(s, i)
        out.append(v)


def test_effective_access(fake, truth):
    summary, findings, detail = run_report(fake, "effective-access")[:3]
    by_app = {r["application"]: r for r in summary}
    for a in truth.apps:
        assert by_app[a["label"]]["users"] == len({au["id"] for au in truth.app_users[a["id"]]}), a["label"]
    want = {(truth.user_by_id[au["id"]]["profile"]["login"], truth.app_by_id[aid]["label"])
            for aid, aus in truth.app_users.items() for au in aus
            if truth.user_by_id[au["id"]]["status"] in ("DEPROVISIONED", "SUSPENDED")}
    assert {(r["login"], r["application"]) for r in findings} == want
    # paths: direct assignments, groups, rule-managed groups
    paths = {r["path"] for r in detail}
    assert "direct" in paths
    assert 'group "Everyone"' in paths
    assert 'rule "Engineering by department" -> group "Engineering"' in paths
    aws = next(a for a in truth.apps if a["label"] == "AWS Production")
    au = truth.app_users[aws["id"]][0]
    login = truth.user_by_id[au["id"]]["profile"]["login"]
    roles = {r["aws_role"] for r in detail if r["login"] == login and r["application"] == "AWS Production"}
    assert roles == {"arn:aws:iam::123456789012:role/%s" % v for v in au["profile"]["samlRoles"]}
    u = truth.user_by_id[au["id"]]
    assert {r["person"] for r in detail if r["login"] == login} == \
        {u["profile"]["email"].lower() if is_person(u) else "(not a person)"}


def test_mfa_coverage(fake, truth):
    # the fake org has authenticator enrollments (an Identity Engine org): the report uses them
    totals, by_type, missing = run_report(fake, "mfa-coverage")[:3]
    active = [u for u in truth.users if u["status"] == "ACTIVE"]

    def methods(u):
        return [e for e in truth.enrollments.get(u["id"], []) if e["key"] != "okta_password" and e["status"] == "ACTIVE"]
    without = [u for u in active if not methods(u)]
    assert totals[0]["source"] == "authenticator enrollments"
    assert totals[0]["active_users"] == len(active)
    assert totals[0]["without_mfa"] == len(without)
    assert sorted(r["login"] for r in missing) == sorted(u["profile"]["login"] for u in without)
    ov = next(r for r in by_type if r["method"] == "okta_verify")
    assert ov["kind"] == "app"
    assert ov["active_users_with_it"] == sum(1 for u in active if any(e["key"] == "okta_verify" for e in methods(u)))


def test_admins(fake, truth):
    _, holders, findings, support = run_report(fake, "admins")[:4]
    want = set()
    for uid, rs in truth.user_roles.items():
        for r in rs:
            want.add((truth.user_by_id[uid]["profile"]["login"], r["label"], "direct"))
    for gid, rs in truth.group_roles.items():
        for r in rs:
            for uid in truth.members[gid]:
                want.add((truth.user_by_id[uid]["profile"]["login"], r["label"],
                          'group "%s"' % truth.group_by_id[gid]["profile"]["name"]))
    assert {(r["login"], r["role"], r["via"]) for r in holders} == want
    assert any(f["role"] == "Super Administrator" and f["finding"] == "admin is SUSPENDED" for f in findings)
    assert support == [{"company_name": "Acme Corp", "okta_support_access": "ENABLED",
                        "support_expiration": truth.support["expiration"]}]


def test_admins_with_a_token_that_may_not_read_roles(fake):
    fake.config(roles_forbidden=True, support_forbidden=True)
    results = run_report(fake, "admins")
    support, warnings = results[-2], results[-1]
    assert support[0]["okta_support_access"] == "unknown (token may not read it)"
    assert any("skipped okta_user_assigned_role" in w["warning"] for w in warnings)
    assert any(w["source"] == "okta_org" for w in warnings)


def test_stale_accounts(fake, truth):
    stale, never = run_report(fake, "stale-accounts")[:2]
    cutoff = (datetime.now(timezone.utc) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%S")
    want = [u for u in truth.users if u["status"] == "ACTIVE" and (not u["lastLogin"] or u["lastLogin"] < cutoff)]
    assert sorted(r["login"] for r in stale) == sorted(u["profile"]["login"] for u in want)
    want = [u for u in truth.users if u["activated"] is None and u["status"] in ("STAGED", "PROVISIONED")]
    assert sorted(r["login"] for r in never) == sorted(u["profile"]["login"] for u in want)


def test_rule_managed_membership(fake, truth):
    rules, members = run_report(fake, "rule-managed-membership")[:2]
    assert {r["rule"] for r in rules} == {r["name"] for r in truth.rules}
    want = set()
    for r in truth.rules:
        if r["status"] != "ACTIVE":
            continue
        for gid in r["actions"]["assignUserToGroups"]["groupIds"]:
            for uid in truth.members[gid]:
                if uid not in r["conditions"]["people"]["users"]["exclude"]:
                    want.add((r["name"], truth.user_by_id[uid]["profile"]["login"]))
    assert {(m["rule"], m["login"]) for m in members} == want


def test_non_person_accounts(fake, truth):
    got = run_report(fake, "non-person-accounts")[0]
    assert sorted(r["login"] for r in got) == sorted(u["profile"]["login"] for u in truth.users if not is_person(u))


def test_snapshot_and_changes(fake, tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    out = run_report(fake, "snapshot", {"file": str(a)}, mode="list")
    assert out.strip() == "snapshot saved: %s" % a
    try:
        fake.rebuild(version=2)
        run_report(fake, "snapshot", {"file": str(b)}, mode="list")
    finally:
        fake.rebuild(version=1)
    out = run_report(fake, "changes", {"old": str(a), "new": str(b)}, mode="list").strip().splitlines()
    assert out[0] == "change | subject | object | detail"
    changes = [tuple(x.split(" | ")) for x in out[1:-2]]
    kinds = sorted(c[0] for c in changes)
    assert kinds == ["access granted", "access granted", "access revoked", "admin role granted", "user added",
                     "user status changed"]
    assert ("user added", "new.hire@example.com", "", "ACTIVE") in changes
    assert any(c[0] == "user status changed" and c[3] == "ACTIVE -> DEPROVISIONED" for c in changes)
    assert any(c[0] == "access revoked" and c[2] == "Wiki" for c in changes)
    assert any(c[0] == "admin role granted" and c[2] == "Organizational Administrator" for c in changes)
    assert out[-1].startswith("6 changes between ")
    # the snapshot holds every table and the graph, and no secret
    import sqlite3
    conn = sqlite3.connect(str(a))
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"okta_users", "okta_relationships", "okta_entities", "snapshot_meta", "okta_applications"} <= tables
    dump = "\n".join(conn.iterdump())
    assert fake.token not in dump and "s3cr3t-client-secret-value" not in dump


def test_demo_runs_the_two_reports(fake):
    env = dict(os.environ, OKTA_EXT=EXT, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token)
    p = subprocess.run(["sh", os.path.join(HERE, "demo.sh")], capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    assert "== sql/effective-access.sql" in p.stdout and "== sql/mfa-coverage.sql" in p.stdout
    assert "AWS Production" in p.stdout and "active_users" in p.stdout


def test_apps_without_mfa(fake, truth):
    results = run_report(fake, "apps-without-mfa")
    assert len(results) == 2  # no third result: no warnings
    session, apps = results
    names = {g["id"]: g["profile"]["name"] for g in truth.groups}

    def who(r):
        gids = ((r.get("conditions") or {}).get("people") or {}).get("groups", {}).get("include") or []
        return ", ".join(names[g] for g in gids) or "everyone"

    def rules(policy):
        return [r for r in truth.policy_rules.get(policy["id"], []) if r["status"] == "ACTIVE"]
    want = [{"session_policy": p["name"], "rule": r["name"], "priority": r["priority"], "who": who(r)}
            for p in truth.policies["OKTA_SIGN_ON"] for r in rules(p)
            if r["actions"]["signon"]["access"] == "ALLOW" and not r["actions"]["signon"]["requireFactor"]]
    assert session == want == [{"session_policy": "Policy name", "rule": "Default Rule", "priority": 99,
                                "who": "everyone"}]
    mapped = {m["_links"]["application"]["href"].rsplit("/", 1)[1]: pid
              for pid, ml in truth.policy_mappings.items() for m in ml}
    default = next(p for p in truth.policies["ACCESS_POLICY"] if p["system"])
    policy_by_id = {p["id"]: p for p in truth.policies["ACCESS_POLICY"]}
    want = []
    for a in truth.apps:
        p = policy_by_id[mapped.get(a["id"], default["id"])]
        if a["status"] != "ACTIVE" or p["status"] != "ACTIVE":
            continue
        for r in rules(p):
            sign_on = r["actions"]["appSignOn"]
            if sign_on["access"] == "ALLOW" and sign_on["verificationMethod"]["factorMode"] == "1FA":
                want.append({"application": a["label"], "app_policy": p["name"],
                             "assigned": "mapped" if a["id"] in mapped else "default policy", "rule": r["name"],
                             "priority": r["priority"], "who": who(r),
                             "network": ((r.get("conditions") or {}).get("network") or {}).get("connection", "ANYWHERE")})
    assert apps == sorted(want, key=lambda x: (x["application"], x["priority"], x["rule"]))
    # the fixture's cases: the default policy's one-factor catch-all, a password-only policy (its inactive
    # app left out), Engineering on the office network; MFA, DENY and inactive rules do not count; the
    # recorded real AWS app (fixture: app_aws.real.json) falls under the default policy
    assert {r["application"] for r in apps} == {"Bookmark 0", "Bookmark 1", "Bookmark 2", "Bookmark 3", "Wiki",
                                                "Internal Portal", "AWS Federation"}
    portal = next(r for r in apps if r["application"] == "Internal Portal")
    assert (portal["who"], portal["network"]) == ("Engineering", "ZONE")


def test_apps_without_mfa_on_a_classic_org(fake, truth):
    # classic orgs answer 400 to ACCESS_POLICY (issue 13 item 7): the session result and a warning remain
    fake.faults({"path": "^/api/v1/policies$", "query": "type=ACCESS_POLICY", "kind": "status", "status": 400,
                 "times": -1})
    results = run_report(fake, "apps-without-mfa")
    session, warnings = results[0], results[-1]
    assert len(results) == 2 and session[0]["rule"] == "Default Rule"
    assert [w["source"] for w in warnings] == ["okta_policies"]
