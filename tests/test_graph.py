"""The access graph: every entity and edge type against the fixture, the
pushdowns' request counts, and skipped sources."""

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from conftest import fresh, plan, rows

AWS = "amazon_aws"


def is_person(u):
    return u["profile"].get("email") and (u["profile"].get("userType") or "").lower() not in ("generic", "service", "bot")


def group_type(truth, gid):
    return truth.group_by_id[gid]["type"]


def role_key(r):
    """Standard roles by type, custom roles by their role id (issue 13 item 9)."""
    return r["role"] if r["type"] == "CUSTOM" else r["type"]


def role_arn(value, acct):
    """The IAM role ARN of an AWS role value: a role ARN as it is (alone or
    in a "provider ARN,role ARN" pair), "[account] -- role", or a role name
    with the app's account; None when it gives none."""
    for part in value.split(","):
        if re.fullmatch(r"arn:[^:]+:iam::\d{12}:role/.+", part):
            return part
    m = re.fullmatch(r"\[(\d{12})\] -- ([\w+=,.@/-]+)", value)
    if m:
        return "arn:aws:iam::%s:role/%s" % m.groups()
    if acct and re.fullmatch(r"[\w+=,.@-][\w+=,.@/-]*", value):
        return "arn:aws:iam::%s:role/%s" % (acct, value)
    return None


def arns(app, profile):
    idp = app["settings"]["app"]["identityProviderArn"]
    acct = idp.split(":")[4] if idp else None
    values = profile.get("samlRoles") if isinstance(profile.get("samlRoles"), list) else [profile.get("role")]
    return {role_arn(v, acct) for v in values if v} - {None}


def expected_edges(truth, org_url):
    """Every edge of the fixture org: type -> set of (from_key, to_key)."""
    e = {}

    def add(t, f, to):
        e.setdefault(t, set()).add((f, to))
    for a in truth.apps:
        add("okta_account_has_application", org_url, a["id"])
    for g in truth.groups:
        app_group = g["type"] == "APP_GROUP"
        add("okta_account_has_app_user_group" if app_group else "okta_account_has_user_group", org_url, g["id"])
        for u in truth.members[g["id"]]:
            add("okta_app_user_group_has_user" if app_group else "okta_group_has_user", g["id"], u)
    for r in truth.rules:
        add("okta_account_has_rule", org_url, r["id"])
        for gid in r["actions"]["assignUserToGroups"]["groupIds"]:
            app_group = group_type(truth, gid) == "APP_GROUP"
            add("okta_rule_manages_app_user_group" if app_group else "okta_rule_manages_user_group", r["id"], gid)
    add("okta_account_has_service", org_url, org_url + "/service/sso")
    add("okta_account_has_service", org_url, org_url + "/service/mfa")
    for u in truth.users:
        add("okta_account_has_user", org_url, u["id"])
        if is_person(u):
            add("okta_user_is_person", u["id"], u["profile"]["email"].lower())
    for a in truth.apps:
        aws = a["name"] == AWS
        for au in truth.app_users[a["id"]]:
            add("okta_user_assigned_application", au["id"], a["id"])
            if aws:
                for arn in arns(a, au["profile"]):
                    add("okta_user_assigned_aws_iam_role", au["id"], arn)
        for ag in truth.app_groups[a["id"]]:
            app_group = group_type(truth, ag["id"]) == "APP_GROUP"
            add("okta_app_user_group_assigned_application" if app_group else "okta_group_assigned_application",
                ag["id"], a["id"])
            if aws:
                for arn in arns(a, ag["profile"]):
                    add("okta_app_user_group_assigned_aws_iam_role" if app_group
                        else "okta_user_group_assigned_aws_iam_role", ag["id"], arn)
    for uid, fs in truth.factors.items():
        for f in fs:
            add("okta_user_assigned_mfa_device", uid, f["id"])
    for uid, rs in truth.user_roles.items():
        for r in rs:
            add("okta_user_assigned_role", uid, role_key(r))
    for gid, rs in truth.group_roles.items():
        for r in rs:
            app_group = group_type(truth, gid) == "APP_GROUP"
            add("okta_app_user_group_assigned_role" if app_group else "okta_user_group_assigned_role", gid, role_key(r))
    for d in truth.devices:
        add("okta_account_has_device", org_url, d["id"])
        for link in d["_embedded"]["users"]:
            add("okta_user_has_device", link["user"]["id"], d["id"])
    cutoff = (datetime.now(timezone.utc) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%S")
    for ev in truth.logs:
        if ev["published"] < cutoff:
            continue
        uri = ev["debugContext"]["debugData"]["requestUri"]
        if ev["eventType"] == "application.lifecycle.create" or (
                ev["eventType"] == "application.lifecycle.update" and uri.endswith("/_new_")):
            target = ev["target"][0]["id"]
            if ev["actor"]["id"] in truth.user_by_id and target in truth.app_by_id:
                add("okta_user_created_application", ev["actor"]["id"], target)
    return e


def test_every_edge_type_matches_the_fixture(db, fake, truth):
    want = expected_edges(truth, fake.url)
    got = {}
    for t, f, to in rows(db, "SELECT type, from_key, to_key FROM okta_relationships"):
        got.setdefault(t, []).append((f, to))
    assert sorted(got) == sorted(want)
    for t in want:
        assert len(got[t]) == len(set(got[t])), t  # no duplicates
        assert set(got[t]) == want[t], t
    # the creation edges include the console's "_new_" update, not the deleted user or app
    assert len(want["okta_user_created_application"]) == 2


def test_edge_classes_and_types(db):
    got = set(rows(db, "SELECT DISTINCT from_type, class, to_type, type FROM okta_relationships"))
    assert ("okta_user_group", "HAS", "okta_user", "okta_group_has_user") in got
    assert ("okta_user", "ASSIGNED", "aws_iam_role", "okta_user_assigned_aws_iam_role") in got
    assert ("okta_rule", "MANAGES", "okta_user_group", "okta_rule_manages_user_group") in got
    assert ("okta_user", "CREATED", "okta_application", "okta_user_created_application") in got
    assert ("okta_user", "IS", "person", "okta_user_is_person") in got
    assert {c for _, c, _, _ in got} == {"HAS", "ASSIGNED", "MANAGES", "CREATED", "IS"}


def test_entities_match_the_fixture(db, fake, truth):
    got = Counter(t for (t,) in rows(db, "SELECT type FROM okta_entities"))
    persons = {u["profile"]["email"].lower() for u in truth.users if is_person(u)}
    roles = {role_key(r) for rs in list(truth.user_roles.values()) + list(truth.group_roles.values()) for r in rs}
    for uid in truth.admins():
        roles |= {role_key(r) for r in truth.roles_of_user(uid)}
    roles |= {r["id"] for r in truth.custom_roles}  # defined, held or not
    assert got == Counter({
        "okta_account": 1, "okta_service": 2, "okta_user": len(truth.users),
        "okta_user_group": sum(1 for g in truth.groups if g["type"] != "APP_GROUP"),
        "okta_app_user_group": sum(1 for g in truth.groups if g["type"] == "APP_GROUP"),
        "okta_application": len(truth.apps), "mfa_device": sum(len(v) for v in truth.factors.values()),
        "okta_role": len(roles), "okta_rule": len(truth.rules), "person": len(persons),
        "okta_device": len(truth.devices)})
    classes = dict(rows(db, "SELECT DISTINCT type, class FROM okta_entities"))
    assert classes["mfa_device"] == "Key,AccessKey" and classes["okta_service"] == "Service,Control"
    assert classes["okta_role"] == "AccessRole" and classes["okta_rule"] == "Configuration"


def test_user_and_account_properties(db, fake, truth):
    u = next(x for x in truth.users if x["profile"]["email"] != x["profile"]["email"].lower())
    p = json.loads(rows(db, "SELECT properties FROM okta_entities WHERE type = 'okta_user' AND key = ?", u["id"])[0][0])
    assert p["email"] == u["profile"]["email"].lower() and p["login"] == u["profile"]["login"]
    assert p["active"] is (u["status"] == "ACTIVE") and p["status"] == u["status"]
    acct = rows(db, "SELECT key, name, properties FROM okta_entities WHERE type = 'okta_account'")[0]
    assert acct[0] == fake.url and acct[1] == "Acme Corp"
    assert json.loads(acct[2])["supportEnabled"] is True
    aws = next(a for a in truth.apps if a["name"] == AWS)
    p = json.loads(rows(db, "SELECT properties FROM okta_entities WHERE type = 'okta_application' AND key = ?",
                        aws["id"])[0][0])
    assert p["awsAccountId"] == aws["settings"]["app"]["identityProviderArn"].split(":")[4]


def test_one_users_edges_do_not_page_the_org(db, fake, truth):
    uid = next(u["id"] for u in truth.users if u["status"] == "ACTIVE" and truth.factors.get(u["id"]))
    got = {(t, to) for t, to in rows(db, "SELECT type, to_key FROM okta_relationships WHERE from_key = ?", uid)}
    want = {(t, to) for t, pairs in expected_edges(truth, fake.url).items() for f, to in pairs if f == uid}
    assert got == want
    paths = [r["path"] for r in fake.requests()]
    assert "/api/v1/users" not in paths  # no user listing
    assert not any(p.startswith("/api/v1/groups/") and p.endswith("/users") for p in paths)  # no member paging
    assert not any(p.endswith("/users") and p.startswith("/api/v1/apps/") for p in paths)  # no app user listings
    # a handful of lookups plus two per assigned app (its assignment, then the app)
    n_apps = sum(1 for t, _ in want if t == "okta_user_assigned_application")
    assert len(paths) <= 14 + 2 * n_apps


def test_type_pushdown_prunes_sources(db, fake, truth):
    assert rows(db, "SELECT count(*) FROM okta_relationships WHERE type = 'okta_account_has_application'")[0][0] == \
        len(truth.apps)
    assert [r["path"] for r in fake.requests()] == ["/api/v1/apps"]
    fresh(db, fake)
    uid = next(iter(truth.factors))
    got = rows(db, "SELECT to_key FROM okta_relationships WHERE type = 'okta_user_assigned_mfa_device' AND from_key = ?", uid)
    assert sorted(r[0] for r in got) == sorted(f["id"] for f in truth.factors[uid])
    assert [r["path"] for r in fake.requests()] == ["/api/v1/users/%s/factors" % uid]
    fresh(db, fake)
    rows(db, "SELECT * FROM okta_relationships WHERE class = 'MANAGES'")
    assert sorted({r["path"] for r in fake.requests()}) == ["/api/v1/groups", "/api/v1/groups/rules"]
    fresh(db, fake)
    assert rows(db, "SELECT count(*) FROM okta_entities WHERE type = 'okta_service'")[0][0] == 2
    assert fake.requests() == []


def test_to_key_pushdown(db, fake, truth):
    app = next(a for a in truth.apps if a["label"] == "Wiki")
    got = rows(db, "SELECT from_key FROM okta_relationships WHERE type = 'okta_user_assigned_application' AND to_key = ?",
               app["id"])
    assert sorted(r[0] for r in got) == sorted(au["id"] for au in truth.app_users[app["id"]])
    assert {r["path"] for r in fake.requests()} == {"/api/v1/apps/%s/users" % app["id"]}


def test_everyone_is_not_paged(db, fake, truth):
    everyone = next(g for g in truth.groups if g["profile"]["name"] == "Everyone")
    got = rows(db, "SELECT count(*) FROM okta_relationships WHERE type = 'okta_group_has_user' AND from_key = ?",
               everyone["id"])
    assert got[0][0] == len(truth.users)
    assert "/api/v1/groups/%s/users" % everyone["id"] not in [r["path"] for r in fake.requests()]


def test_recursive_walk_from_a_user_to_aws_roles(db, truth):
    aws = next(a for a in truth.apps if a["name"] == AWS)
    gid = truth.app_groups[aws["id"]][0]["id"]
    uid = truth.members[gid][0]
    got = rows(db, """
        WITH RECURSIVE reach(key, depth) AS (
          SELECT ?, 0
          UNION
          SELECT r.to_key, reach.depth + 1 FROM okta_relationships r JOIN reach ON r.from_key = reach.key
           WHERE reach.depth < 2 AND r.type IN ('okta_user_assigned_aws_iam_role', 'okta_user_assigned_application'))
        SELECT key FROM reach WHERE key LIKE 'arn:aws:iam::%'""", uid)
    want = {arn for au in truth.app_users[aws["id"]] if au["id"] == uid for arn in arns(aws, au["profile"])}
    assert want and want <= {r[0] for r in got}


def test_roles_forbidden_skips_with_warnings(db, fake, truth):
    fake.config(roles_forbidden=True)
    got = Counter(t for (t,) in rows(db, "SELECT type FROM okta_relationships"))
    assert "okta_user_assigned_role" not in got and "okta_user_group_assigned_role" not in got
    assert got["okta_user_assigned_application"] == sum(len(v) for v in truth.app_users.values())
    ents = Counter(t for (t,) in rows(db, "SELECT type FROM okta_entities"))
    assert "okta_role" not in ents and ents["okta_user"] == len(truth.users)
    # (the AWS app without an account warns about its role names too: test_real_okta)
    w = [x for x in json.loads(db.execute("SELECT okta_warnings()").fetchone()[0])
         if not x["message"].startswith("AWS app ")]
    skipped = sorted(x["message"].split(":")[0] for x in w)
    assert skipped == ["skipped okta_app_user_group_assigned_role", "skipped okta_role", "skipped okta_role",
                       "skipped okta_user_assigned_role", "skipped okta_user_group_assigned_role"]
    assert all("403 E0000006" in x["message"] for x in w)


def test_logs_forbidden_skips_created_edges(db, fake):
    fake.config(logs_forbidden=True)
    assert rows(db, "SELECT count(*) FROM okta_relationships WHERE class = 'CREATED'") == [(0,)]
    w = json.loads(db.execute("SELECT okta_warnings()").fetchone()[0])
    assert [x["message"].split(":")[0] for x in w] == ["skipped okta_user_created_application"]


def test_other_errors_still_fail(db, fake):
    fake.faults({"path": "^/api/v1/apps$", "kind": "status", "status": 401, "times": -1})
    with pytest.raises(Exception, match="401 E0000011"):
        rows(db, "SELECT * FROM okta_relationships WHERE type = 'okta_account_has_application'")


def test_graph_plan_lists_pushed_columns(db):
    assert plan(db, "SELECT * FROM okta_relationships WHERE from_key = 'x' AND type = 'y'") in (
        "SCAN okta_relationships VIRTUAL TABLE INDEX 0:15", "SCAN okta_relationships VIRTUAL TABLE INDEX 0:51")


def test_whole_graph_request_count(db, fake, truth):
    n = rows(db, "SELECT count(*) FROM okta_relationships")[0][0]
    assert n > 10000
    reqs = fake.requests()
    users, apps = len(truth.users), len(truth.apps)
    # JupiterOne's formula for the same graph: N/200 + 2N + A + 2A
    assert len(reqs) < (users / 200 + 2 * users + apps + 2 * apps) * 0.6
    # per-group member listings, not per-user group listings
    assert not any(r["path"].endswith("/groups") and r["path"].startswith("/api/v1/users/") for r in reqs)


# ------------------------------------------ devices and custom roles (issue 15)

def test_device_entities_and_edges(db, fake, truth):
    d = next(x for x in truth.devices if len(x["_embedded"]["users"]) == 2)
    key, cls, name, props = rows(db, "SELECT key, class, name, properties FROM okta_entities "
                                     "WHERE type = 'okta_device' AND key = ?", d["id"])[0]
    p = json.loads(props)
    assert (key, cls, name) == (d["id"], "Device", d["resourceDisplayName"]["value"])
    assert (p["platform"], p["model"], p["osVersion"], p["registered"], p["status"]) == (
        d["profile"]["platform"], d["profile"]["model"], d["profile"]["osVersion"], d["profile"]["registered"],
        d["status"])
    got = rows(db, "SELECT from_type, from_key, class, properties FROM okta_relationships WHERE to_key = ? "
                   "ORDER BY from_type, from_key", d["id"])
    users = sorted(d["_embedded"]["users"], key=lambda u: u["user"]["id"])
    assert [g[:3] for g in got] == [("okta_account", fake.url, "HAS")] + [
        ("okta_user", u["user"]["id"], "HAS") for u in users]
    assert [json.loads(g[3]) for g in got[1:]] == [
        {"managementStatus": u["managementStatus"], "screenLockType": u["screenLockType"]} for u in users]


def test_custom_roles_are_keyed_by_role_id(db, fake, truth):
    got = {r[0]: (r[1], json.loads(r[2])) for r in rows(
        db, "SELECT key, name, properties FROM okta_entities WHERE type = 'okta_role' AND properties->>'roleType' = 'CUSTOM'")}
    assert set(got) == {r["id"] for r in truth.custom_roles}  # the unused role too
    for r in truth.custom_roles:
        name, p = got[r["id"]]
        assert name == r["label"] and p["description"] == r["description"]
        assert sorted(p["permissions"]) == sorted(x["label"] for x in truth.role_permissions[r["id"]])
    # assignments point at the role id and carry their resource set
    want = {(u, r["role"], r["resource-set"]) for u, rl in truth.user_roles.items() for r in rl if r["type"] == "CUSTOM"}
    got = {(f, to, json.loads(p)["resourceSet"]) for f, to, p in rows(
        db, "SELECT from_key, to_key, properties FROM okta_relationships WHERE type = 'okta_user_assigned_role' "
            "AND to_key LIKE 'cr0%'")}
    assert got == want and want
    want = {(g, r["role"], r["resource-set"]) for g, rl in truth.group_roles.items() for r in rl if r["type"] == "CUSTOM"}
    got = {(f, to, json.loads(p)["resourceSet"]) for f, to, p in rows(
        db, "SELECT from_key, to_key, properties FROM okta_relationships WHERE type = 'okta_user_group_assigned_role' "
            "AND to_key LIKE 'cr0%'")}
    assert got == want and want


def test_devices_forbidden_skips_device_arms_with_warnings(db, fake, truth):
    fake.config(forbidden=["^/api/v1/devices$"])
    got = Counter(t for (t,) in rows(db, "SELECT type FROM okta_relationships"))
    assert "okta_user_has_device" not in got and "okta_account_has_device" not in got
    assert got["okta_account_has_user"] == len(truth.users)
    assert "okta_device" not in {t for (t,) in rows(db, "SELECT type FROM okta_entities")}
    w = json.loads(db.execute("SELECT okta_warnings()").fetchone()[0])
    w = [x for x in w if x["message"].startswith("skipped ")]  # not the AWS app whose roles give no ARN
    assert sorted(x["message"].split(":")[0] for x in w) == [
        "skipped okta_account_has_device", "skipped okta_device", "skipped okta_user_has_device"]
    assert all("403 E0000006" in x["message"] for x in w)
