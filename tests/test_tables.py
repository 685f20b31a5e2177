"""Every table: rows against the fixture, pushdown and fan-out request counts,
and the 400/403/404 behaviours."""

import json
import math
import sqlite3

import pytest

from conftest import connect, fresh, plan, rows

TABLES = ["okta_users", "okta_groups", "okta_group_members", "okta_group_roles", "okta_group_rules",
          "okta_applications", "okta_app_users", "okta_app_groups", "okta_user_factors",
          "okta_user_authenticator_enrollments", "okta_user_roles",
          "okta_system_log", "okta_org", "okta_user_types", "okta_devices", "okta_policies",
          "okta_network_zones", "okta_trusted_origins", "okta_authorization_servers",
          "okta_identity_providers", "okta_authenticators", "okta_policy_rules", "okta_policy_mappings",
          "okta_api_tokens", "okta_custom_roles", "okta_role_permissions", "okta_resource_sets",
          "okta_resource_set_resources", "okta_group_owners", "okta_auth_server_policies",
          "okta_auth_server_policy_rules", "okta_auth_server_scopes", "okta_auth_server_claims",
          "okta_auth_server_clients"]


def paths(fake):
    return [r["path"] for r in fake.requests()]


def count_paths(fake, prefix):
    return sum(1 for p in paths(fake) if p.startswith(prefix))


# ------------------------------------------------------------------ groups

def test_groups_rows_and_stats(db, fake, truth):
    got = {r[0]: r[1:] for r in rows(db, "SELECT id, name, type, users_count, object_class FROM okta_groups")}
    assert set(got) == {g["id"] for g in truth.groups}
    for g in truth.groups:
        name, gtype, count, oc = got[g["id"]]
        assert (name, gtype, count) == (g["profile"]["name"], g["type"], len(truth.members[g["id"]]))
        assert json.loads(oc) == g["objectClass"]
    reqs = fake.requests()
    # real orgs fail large expand=stats pages (graph-okta): pages of 200
    assert [r["query"] for r in reqs] == [{"expand": "stats", "limit": "200"}]


def test_groups_pushdown(db, fake, truth):
    g = next(x for x in truth.groups if x["profile"]["name"].startswith('Project "Q'))
    assert rows(db, "SELECT id FROM okta_groups WHERE name = ?", g["profile"]["name"]) == [(g["id"],)]
    assert fake.requests()[0]["query"]["search"] == 'profile.name eq "Project \\"Q0\\""'
    fresh(db, fake)
    n = sum(1 for x in truth.groups if x["type"] == "APP_GROUP")
    assert rows(db, "SELECT count(*) FROM okta_groups WHERE type = 'APP_GROUP'")[0][0] == n
    assert fake.requests()[0]["query"]["filter"] == 'type eq "APP_GROUP"'
    fresh(db, fake)
    assert rows(db, "SELECT name FROM okta_groups WHERE id = ?", g["id"]) == [(g["profile"]["name"],)]
    assert paths(fake) == ["/api/v1/groups/" + g["id"]]
    fresh(db, fake)
    # name and type together: search carries both
    got = rows(db, "SELECT id FROM okta_groups WHERE name = 'Everyone' AND type = 'BUILT_IN'")
    assert len(got) == 1
    assert fake.requests()[0]["query"]["search"] == 'profile.name eq "Everyone" and type eq "BUILT_IN"'


def test_group_members_by_group(db, fake, truth):
    g = next(x for x in truth.groups if x["profile"]["name"] == "Engineering")
    got = rows(db, "SELECT user_id, login, status FROM okta_group_members WHERE group_id = ?", g["id"])
    assert sorted(r[0] for r in got) == sorted(truth.members[g["id"]])
    u = truth.user_by_id[got[0][0]]
    assert got[0][1:] == (u["profile"]["login"], u["status"])
    assert paths(fake) == ["/api/v1/groups/%s/users" % g["id"]] * math.ceil(len(truth.members[g["id"]]) / 1000)


def test_group_members_by_user(db, fake, truth):
    uid = max(truth.user_groups, key=lambda k: len(truth.user_groups[k]))
    u = truth.user_by_id[uid]
    got = rows(db, "SELECT group_id, user_id, login, email, status FROM okta_group_members WHERE user_id = ?", uid)
    assert sorted(r[0] for r in got) == sorted(truth.user_groups[uid])
    assert all(r[1:] == (uid, u["profile"]["login"], u["profile"]["email"], u["status"]) for r in got)
    assert paths(fake) == ["/api/v1/users/" + uid, "/api/v1/users/%s/groups" % uid]
    assert plan(db, "SELECT * FROM okta_group_members WHERE user_id = 'x'").endswith("INDEX 1:by-user user_id= used=1f")


def test_group_members_fan_out_over_every_group(db, fake, truth):
    got = rows(db, "SELECT group_id, user_id FROM okta_group_members")
    want = sorted((g, u) for g, us in truth.members.items() for u in us)
    assert sorted(got) == want
    assert count_paths(fake, "/api/v1/groups") == 1 + sum(
        max(1, math.ceil(len(v) / 1000)) for v in truth.members.values())


def test_group_roles(db, fake, truth):
    want = sorted((gid, r["type"]) for gid, rs in truth.group_roles.items() for r in rs)
    assert sorted(rows(db, "SELECT group_id, type FROM okta_group_roles")) == want
    # only groups whose stats say they hold a role are asked
    assert count_paths(fake, "/api/v1/groups/") == len([g for g in truth.group_roles if truth.group_roles[g]])
    gid = want[0][0]
    fresh(db, fake)
    assert rows(db, "SELECT label, assignment_type FROM okta_group_roles WHERE group_id = ?", gid) == \
        [("Help Desk Administrator", "GROUP")]
    assert paths(fake) == ["/api/v1/groups/%s/roles" % gid]


def test_group_rules(db, fake, truth):
    got = {r[0]: r[1:] for r in rows(db, "SELECT id, name, status, expression, group_ids, excluded_user_ids FROM okta_group_rules")}
    assert set(got) == {r["id"] for r in truth.rules}
    for r in truth.rules:
        name, status, expression, gids, excl = got[r["id"]]
        assert (name, status, expression) == (r["name"], r["status"], r["conditions"]["expression"]["value"])
        assert json.loads(gids) == r["actions"]["assignUserToGroups"]["groupIds"]
        assert json.loads(excl) == r["conditions"]["people"]["users"]["exclude"]
    assert fake.requests()[0]["query"] == {"limit": "200"}


def test_group_rules_not_enabled_is_a_warning(db, fake):
    fake.config(rules_disabled=True)
    assert rows(db, "SELECT * FROM okta_group_rules") == []
    w = json.loads(db.execute("SELECT okta_warnings()").fetchone()[0])
    assert len(w) == 1 and w[0]["source"] == "okta_group_rules"
    assert w[0]["message"].startswith("group rules are not available in this org (skipped): GET /api/v1/groups/rules: 400")


# -------------------------------------------------------------------- apps

def test_applications(db, fake, truth):
    got = {r[0]: r[1:] for r in rows(db, "SELECT id, name, label, status, sign_on_mode, aws_account_id FROM okta_applications")}
    assert set(got) == {a["id"] for a in truth.apps}
    aws = {a["id"]: a["settings"]["app"]["identityProviderArn"].split(":")[4]
           for a in truth.apps if a["name"] == "amazon_aws" and a["settings"]["app"]["identityProviderArn"]}
    for a in truth.apps:
        assert got[a["id"]][:4] == (a["name"], a["label"], a["status"], a["signOnMode"])
        assert got[a["id"]][4] == aws.get(a["id"])
    assert len(fake.requests()) == math.ceil(len(truth.apps) / 200)


def test_application_secrets_are_redacted(db, truth):
    dump = "".join(r[0] + (r[1] or "") for r in rows(db, "SELECT credentials, settings FROM okta_applications"))
    assert "s3cr3t-client-secret-value" not in dump and "aws-secret-key-should-not-leak" not in dump
    oidc = next(a for a in truth.apps if a["name"] == "oidc_client")
    cred = json.loads(rows(db, "SELECT credentials FROM okta_applications WHERE id = ?", oidc["id"])[0][0])
    assert cred["oauthClient"]["client_secret"] == "(redacted)"
    assert cred["oauthClient"]["token_endpoint_auth_method"] == "client_secret_basic"
    assert cred["oauthClient"]["client_id"] == oidc["id"]


def test_applications_pushdown(db, fake, truth):
    n = sum(1 for a in truth.apps if a["name"] == "amazon_aws")
    assert rows(db, "SELECT count(*) FROM okta_applications WHERE name = 'amazon_aws'")[0][0] == n
    assert fake.requests()[0]["query"]["filter"] == 'name eq "amazon_aws"'
    fresh(db, fake)
    assert rows(db, "SELECT count(*) FROM okta_applications WHERE status = 'INACTIVE'")[0][0] == 1
    assert fake.requests()[0]["query"]["filter"] == 'status eq "INACTIVE"'
    fresh(db, fake)
    assert rows(db, "SELECT label FROM okta_applications WHERE label = 'Wiki'") == [("Wiki",)]
    assert fake.requests()[0]["query"]["q"] == "Wiki"


def test_applications_of_a_user_and_group(db, fake, truth):
    uid = truth.app_users[truth.apps[0]["id"]][0]["id"]
    want = sorted(a for a, aus in truth.app_users.items() if any(x["id"] == uid for x in aus))
    got = rows(db, "SELECT id, user_id FROM okta_applications WHERE user_id = ?", uid)
    assert sorted(r[0] for r in got) == want and all(r[1] == uid for r in got)
    assert fake.requests()[0]["query"]["filter"] == 'user.id eq "%s"' % uid
    fresh(db, fake)
    gid = truth.app_groups[truth.apps[0]["id"]][0]["id"]
    want = sorted(a for a, ags in truth.app_groups.items() if any(x["id"] == gid for x in ags))
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_applications WHERE group_id = ?", gid)) == want
    # with an id as well, the hidden input still reaches the API
    fresh(db, fake)
    assert rows(db, "SELECT id FROM okta_applications WHERE id = ? AND user_id = ?", want[0], "00uNOBODY") == []


def test_app_users_by_app_and_all(db, fake, truth):
    aws = next(a for a in truth.apps if a["name"] == "amazon_aws")
    got = rows(db, "SELECT user_id, scope, profile FROM okta_app_users WHERE app_id = ?", aws["id"])
    want = truth.app_users[aws["id"]]
    assert sorted(r[0] for r in got) == sorted(x["id"] for x in want)
    by_id = {x["id"]: x for x in want}
    for uid, scope, profile in got:
        assert scope == by_id[uid]["scope"]
        assert json.loads(profile)["samlRoles"] == by_id[uid]["profile"]["samlRoles"]
    assert paths(fake) == ["/api/v1/apps/%s/users" % aws["id"]] * math.ceil(len(want) / 500)
    fresh(db, fake)
    total = sum(len(v) for v in truth.app_users.values())
    assert rows(db, "SELECT count(*) FROM okta_app_users")[0][0] == total
    assert count_paths(fake, "/api/v1/apps") == 1 + sum(max(1, math.ceil(len(v) / 500)) for v in truth.app_users.values())


def test_app_users_of_one_user(db, fake, truth):
    uid = truth.app_users[truth.apps[0]["id"]][0]["id"]
    want = sorted(a for a, aus in truth.app_users.items() if any(x["id"] == uid for x in aus))
    got = rows(db, "SELECT app_id, user_id FROM okta_app_users WHERE user_id = ?", uid)
    assert sorted(r[0] for r in got) == want and all(r[1] == uid for r in got)
    # apps?filter=user.id eq, then one GET per assigned app: not every app's users
    assert len(fake.requests()) == 1 + len(want)
    assert fake.requests()[0]["query"]["filter"] == 'user.id eq "%s"' % uid


def test_app_groups(db, fake, truth):
    want = sorted((a, g["id"], g["priority"]) for a, gs in truth.app_groups.items() for g in gs)
    assert sorted(rows(db, "SELECT app_id, group_id, priority FROM okta_app_groups")) == want
    gid = want[0][1]
    fresh(db, fake)
    got = rows(db, "SELECT app_id FROM okta_app_groups WHERE group_id = ?", gid)
    assert sorted(r[0] for r in got) == sorted(a for a, g, _ in want if g == gid)
    assert fake.requests()[0]["query"]["filter"] == 'group.id eq "%s"' % gid


# ------------------------------------------------------- factors and roles

def test_user_factors_of_one_user(db, fake, truth):
    uid = next(u for u in truth.factors if len(truth.factors[u]) >= 2)
    got = rows(db, "SELECT id, factor_type, provider, status FROM okta_user_factors WHERE user_id = ?", uid)
    assert sorted(got) == sorted((f["id"], f["factorType"], f["provider"], f["status"]) for f in truth.factors[uid])
    assert paths(fake) == ["/api/v1/users/%s/factors" % uid]


def test_user_factors_fan_out_over_every_user(db, fake, truth):
    got = rows(db, "SELECT user_id, id FROM okta_user_factors")
    want = sorted((u, f["id"]) for u, fs in truth.factors.items() for f in fs)
    assert sorted(got) == want
    assert count_paths(fake, "/api/v1/users/") == len(truth.users)
    # results stream in parent order: the users listing order
    order = [r[0] for r in rows(db, "SELECT id FROM okta_users")]
    seen = []
    for u, _ in got:
        if not seen or seen[-1] != u:
            seen.append(u)
    assert seen == [u for u in order if truth.factors.get(u)]


def test_user_factors_in_list_fans_out(db, fake, truth):
    uids = list(truth.factors)[:30]
    got = rows(db, "SELECT user_id FROM okta_user_factors WHERE user_id IN (%s)" % ",".join("?" * 30), *uids)
    assert len(got) == sum(len(truth.factors[u]) for u in uids)
    assert len(fake.requests()) == 30


def test_user_roles(db, fake, truth):
    admins = truth.admins()
    want = sorted((u, r["type"], r["assignmentType"]) for u in admins for r in truth.roles_of_user(u))
    assert sorted(rows(db, "SELECT user_id, type, assignment_type FROM okta_user_roles")) == want
    # one listing of the admins, then one request per admin: not one per user
    assert paths(fake)[0] == "/api/v1/iam/assignees/users"
    assert len(fake.requests()) == math.ceil(len(admins) / 100) + len(admins)


def test_user_roles_fall_back_when_assignees_listing_is_missing(db, fake, truth):
    fake.faults({"path": "^/api/v1/iam/assignees/users$", "kind": "status", "status": 404})
    admins = truth.admins()
    want = sorted((u, r["type"]) for u in admins for r in truth.roles_of_user(u))
    assert sorted(rows(db, "SELECT user_id, type FROM okta_user_roles")) == want
    assert count_paths(fake, "/api/v1/users/") == len(truth.users)


def test_roles_403_names_the_permission(db, fake, truth):
    fake.config(roles_forbidden=True)
    with pytest.raises(sqlite3.Error) as e:
        rows(db, "SELECT * FROM okta_user_roles WHERE user_id = ?", truth.users[0]["id"])
    assert str(e.value).startswith("okta: GET /api/v1/users/{key}/roles: 403 E0000006 ")
    assert str(e.value).endswith("(needs a Super Administrator token or scope okta.roles.read)")


def test_parent_deleted_while_paging_is_skipped(db, fake, truth):
    victim = list(truth.factors)[3]
    fake.faults({"path": "^/api/v1/users/%s/factors$" % victim, "kind": "status", "status": 404})
    got = rows(db, "SELECT user_id FROM okta_user_factors")
    assert victim not in {r[0] for r in got}
    assert len(got) == sum(len(v) for v in truth.factors.values()) - len(truth.factors[victim])


# --------------------------------------------------------------- system log

def test_system_log_default_window_and_until(db, fake, truth):
    # without a bound the table is Okta's whole retention (90 days), not
    # Okta's silent 7-day default
    got = rows(db, "SELECT uuid FROM okta_system_log")
    q = fake.requests()[0]["query"]
    assert "until" in q and "since" in q and q["limit"] == "1000"
    from datetime import datetime, timedelta, timezone
    start = datetime.now(timezone.utc) - timedelta(days=90)
    assert abs(datetime.fromisoformat(q["since"].replace("Z", "+00:00")) - start) < timedelta(minutes=5)
    want = [e for e in truth.logs if e["published"] >= start.strftime("%Y-%m-%dT%H:%M:%S")]
    assert abs(len(got) - len(want)) <= 2  # events at the edge of the moving window


def test_system_log_pushdown(db, fake, truth):
    since = "2026-01-01T00:00:00.000Z"
    got = rows(db, "SELECT uuid, event_type, actor_id, target_id FROM okta_system_log "
                   "WHERE published >= ? AND event_type = 'application.lifecycle.create'", since)
    from datetime import datetime, timedelta, timezone
    kept = (datetime.now(timezone.utc) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%S")  # Okta keeps 90 days
    want = [e for e in truth.logs if e["published"] >= max(since, kept) and e["eventType"] == "application.lifecycle.create"]
    assert sorted(r[0] for r in got) == sorted(e["uuid"] for e in want)
    q = fake.requests()[0]["query"]
    assert q["since"] == since and q["filter"] == 'eventType eq "application.lifecycle.create"' and "until" in q
    fresh(db, fake)
    e = want[0]
    got = rows(db, "SELECT uuid FROM okta_system_log WHERE published > ? AND published <= ? AND actor_id = ?",
               since, e["published"], e["actor"]["id"])
    assert (e["uuid"],) in got
    q = fake.requests()[0]["query"]
    assert q["filter"] == 'actor.id eq "%s"' % e["actor"]["id"]
    assert q["until"] > e["published"]  # <= X becomes until X + 1 ms


def test_system_log_columns(db, truth):
    e = next(x for x in truth.logs if x["eventType"] == "application.lifecycle.update")
    r = rows(db, "SELECT published, event_type, display_message, actor_id, actor_alternate_id, client_ip, "
                 "outcome_result, target_id, debug_context->>'$.debugData.requestUri', event->>'$.uuid' "
                 "FROM okta_system_log WHERE published >= '2020-01-01' AND uuid = ?", e["uuid"])
    assert r == [(e["published"], e["eventType"], e["displayMessage"], e["actor"]["id"], e["actor"]["alternateId"],
                  e["client"]["ipAddress"], e["outcome"]["result"], e["target"][0]["id"],
                  e["debugContext"]["debugData"]["requestUri"], e["uuid"])]


def test_system_log_403(db, fake):
    fake.config(logs_forbidden=True)
    with pytest.raises(sqlite3.Error, match=r"403 .*\(needs scope okta.logs.read"):
        rows(db, "SELECT * FROM okta_system_log")


# --------------------------------------------------------------------- org

def test_org_with_support(db, fake, truth):
    got = rows(db, "SELECT id, subdomain, company_name, status, support_enabled, support_expiration FROM okta_org")
    assert got == [(truth.org["id"], "acme", "Acme Corp", "ACTIVE", 1, truth.support["expiration"])]
    assert paths(fake) == ["/api/v1/org", "/api/v1/org/privacy/oktaSupport"]


def test_org_support_forbidden_is_null_with_warning(db, fake):
    fake.config(support_forbidden=True)
    assert rows(db, "SELECT subdomain, support_enabled, support_expiration FROM okta_org") == [("acme", None, None)]
    w = json.loads(db.execute("SELECT okta_warnings()").fetchone()[0])
    assert [x["source"] for x in w] == ["okta_org"]
    assert "Okta Support access needs a Super Administrator token" in w[0]["message"]


# ------------------------------------------------------ configuration objects

def test_configuration_tables(db, truth):
    assert sorted(rows(db, "SELECT id, name FROM okta_user_types")) == sorted((t["id"], t["name"]) for t in truth.user_types)
    got = {r[0]: json.loads(r[1]) for r in rows(db, "SELECT id, user_ids FROM okta_devices")}
    assert got == {d["id"]: [x["user"]["id"] for x in d["_embedded"]["users"]] for d in truth.devices}
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_network_zones")) == sorted(z["id"] for z in truth.zones)
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_trusted_origins")) == sorted(z["id"] for z in truth.trusted_origins)
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_authorization_servers")) == sorted(z["id"] for z in truth.auth_servers)
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_identity_providers")) == sorted(z["id"] for z in truth.idps)
    assert sorted(r[0] for r in rows(db, "SELECT key, status FROM okta_authenticators")) == \
        sorted(a["key"] for a in truth.authenticators)


def test_policies_every_type_and_pushdown(db, fake, truth):
    want = sorted((p["id"], t) for t, pl in truth.policies.items() for p in pl)
    assert sorted(rows(db, "SELECT id, type FROM okta_policies")) == want
    types = [r["query"]["type"] for r in fake.requests()]
    assert len(types) == len(set(types)) == 12  # every PolicyType of the spec
    fresh(db, fake)
    got = rows(db, "SELECT id FROM okta_policies WHERE type = 'PASSWORD'")
    assert sorted(r[0] for r in got) == sorted(p["id"] for p in truth.policies["PASSWORD"])
    assert [r["query"] for r in fake.requests()] == [{"type": "PASSWORD"}]


def test_policy_type_the_org_lacks_is_skipped(db, fake, truth):
    fake.faults({"path": "^/api/v1/policies$", "query": "type=ENTITY_RISK", "kind": "status", "status": 400})
    want = sorted(p["id"] for pl in truth.policies.values() for p in pl)
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_policies")) == want
    w = json.loads(db.execute("SELECT okta_warnings()").fetchone()[0])
    assert w[0]["source"] == "okta_policies"


def test_get_by_id_routes(db, fake, truth):
    z = truth.zones[0]
    assert rows(db, "SELECT name FROM okta_network_zones WHERE id = ?", z["id"]) == [(z["name"],)]
    assert paths(fake) == ["/api/v1/zones/" + z["id"]]


# ------------------------------------------------------------------- joins

def test_join_users_and_app_users_matches_the_fixture(db, truth):
    got = rows(db, """
        SELECT u.login, a.label FROM okta_users u
          JOIN okta_app_users au ON au.user_id = u.id
          JOIN okta_applications a ON a.id = au.app_id
         WHERE u.status = 'DEPROVISIONED' AND au.status = 'ACTIVE'""")
    want = []
    for aid, aus in truth.app_users.items():
        for au in aus:
            u = truth.user_by_id[au["id"]]
            if u["status"] == "DEPROVISIONED" and au["status"] == "ACTIVE":
                want.append((u["profile"]["login"], truth.app_by_id[aid]["label"]))
    assert sorted(got) == sorted(want)


def test_join_users_without_active_factor(db, truth):
    got = rows(db, """
        SELECT u.id FROM okta_users u
         WHERE u.status = 'ACTIVE'
           AND NOT EXISTS (SELECT 1 FROM okta_user_factors f WHERE f.user_id = u.id AND f.status = 'ACTIVE')""")
    want = [u["id"] for u in truth.users if u["status"] == "ACTIVE" and
            not any(f["status"] == "ACTIVE" for f in truth.factors.get(u["id"], []))]
    assert sorted(r[0] for r in got) == sorted(want)


def test_join_group_members_groups(db, truth):
    got = rows(db, """
        SELECT g.name, count(*) FROM okta_groups g JOIN okta_group_members m ON m.group_id = g.id
         WHERE g.type = 'OKTA_GROUP' GROUP BY g.name""")
    want = {}
    for g in truth.groups:
        if g["type"] == "OKTA_GROUP" and truth.members[g["id"]]:
            want[g["profile"]["name"]] = len(truth.members[g["id"]])
    assert dict(got) == want
