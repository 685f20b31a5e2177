"""The tables peers have (issue 15): policy rules and mappings, API tokens,
custom roles, permissions and resource sets, group owners, authorization
server objects, and the device, app user and group additions. Rows against
the fixture, pushdown and fan-out request counts, and 403 behaviour."""

import json
import re
import sqlite3

import pytest

from conftest import fresh, plan, rows


def paths(fake):
    return [r["path"] for r in fake.requests()]


def warnings(db):
    return json.loads(db.execute("SELECT okta_warnings()").fetchone()[0])


def forbid(fake, *regexes):
    fake.config(forbidden=list(regexes))


def all_policies(truth):
    return [p for pl in truth.policies.values() for p in pl]


# ------------------------------------------------------------ policy rules

def test_policy_rules_fan_out_over_every_policy_of_every_type(db, fake, truth):
    got = rows(db, "SELECT policy_id, id, name, status, priority, system, type, conditions, actions "
                   "FROM okta_policy_rules")
    want = [(pid, r["id"], r["name"], r["status"], r["priority"], int(r["system"]), r["type"], r["conditions"],
             r["actions"]) for pid, rl in truth.policy_rules.items() for r in rl]
    assert sorted(g[:7] for g in got) == sorted(w[:7] for w in want)
    by_id = {w[1]: w for w in want}
    for g in got:
        assert (json.loads(g[7]) if g[7] else None) == by_id[g[1]][7]
        assert json.loads(g[8]) == by_id[g[1]][8]
    # one listing per policy type, then one rules request per policy
    reqs = fake.requests()
    assert sorted(r["query"]["type"] for r in reqs if r["path"] == "/api/v1/policies") == sorted(
        ["OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "ACCESS_POLICY", "IDP_DISCOVERY", "PROFILE_ENROLLMENT",
         "POST_AUTH_SESSION", "ENTITY_RISK", "SESSION_VIOLATION_DETECTION", "CLIENT_UPDATE",
         "DEVICE_SIGNAL_COLLECTION", "IDENTITY_CLAIM_SOURCING"])
    assert sorted(p for p in paths(fake) if p.endswith("/rules")) == sorted(
        "/api/v1/policies/%s/rules" % p["id"] for p in all_policies(truth))
    # the two Early Access types the fake org lacks answer 400: skipped, with a warning each
    assert sorted(w["message"].split("type=")[1].split(")")[0] for w in warnings(db)) == [
        "DEVICE_SIGNAL_COLLECTION", "IDENTITY_CLAIM_SOURCING"]


def test_policy_rules_of_one_policy(db, fake, truth):
    pid = next(p for p, rl in truth.policy_rules.items() if len(rl) >= 3)
    got = rows(db, "SELECT name, priority FROM okta_policy_rules WHERE policy_id = ? ORDER BY priority", pid)
    assert got == sorted(((r["name"], r["priority"]) for r in truth.policy_rules[pid]), key=lambda x: x[1])
    assert [(r["path"], r["query"]) for r in fake.requests()] == [("/api/v1/policies/%s/rules" % pid, {})]
    assert re.search(r"by-policy policy_id= used=[0-9a-f]+$", plan(db, "SELECT * FROM okta_policy_rules WHERE policy_id = 'x'"))


def test_policy_rules_skip_a_type_the_org_lacks(db, fake, truth):
    fake.faults({"path": "^/api/v1/policies$", "query": "type=ACCESS_POLICY", "kind": "status", "status": 400})
    got = rows(db, "SELECT id FROM okta_policy_rules")
    assert sorted(r[0] for r in got) == sorted(
        r["id"] for t, pl in truth.policies.items() if t != "ACCESS_POLICY" for p in pl
        for r in truth.policy_rules.get(p["id"], []))
    w = [x for x in warnings(db) if "type=ACCESS_POLICY" in x["message"]]
    assert len(w) == 1 and w[0]["source"] == "okta_policy_rules"
    assert w[0]["message"].startswith("policy type not available in this org (skipped)")


def test_policy_rules_403_names_the_scope(db, fake):
    forbid(fake, "^/api/v1/policies/[^/]+/rules$")
    with pytest.raises(sqlite3.Error) as e:
        rows(db, "SELECT * FROM okta_policy_rules WHERE policy_id = '00p1'")
    assert str(e.value).startswith("okta: GET /api/v1/policies/{key}/rules: 403 E0000006 ")
    assert str(e.value).endswith("(needs scope okta.policies.read or any administrator role)")


# --------------------------------------------------------- policy mappings

def test_policy_mappings_name_the_apps(db, fake, truth):
    got = rows(db, "SELECT policy_id, id, app_id FROM okta_policy_mappings")
    want = [(pid, m["id"], m["_links"]["application"]["href"].rsplit("/", 1)[1])
            for pid, ml in truth.policy_mappings.items() for m in ml]
    assert sorted(got) == sorted(want)
    assert {a for _, _, a in got} <= set(truth.app_by_id)
    # only the types apps are mapped to are listed, then one request per policy
    reqs = fake.requests()
    assert sorted(r["query"]["type"] for r in reqs if r["path"] == "/api/v1/policies") == \
        ["ACCESS_POLICY", "PROFILE_ENROLLMENT"]
    mappable = [p for t in ("ACCESS_POLICY", "PROFILE_ENROLLMENT") for p in truth.policies[t]]
    assert sorted(p for p in paths(fake) if p.endswith("/mappings")) == sorted(
        "/api/v1/policies/%s/mappings" % p["id"] for p in mappable)


def test_policy_mappings_of_one_policy_and_a_policy_without_mappings(db, fake, truth):
    pid = next(p for p, ml in truth.policy_mappings.items() if len(ml) == 2)
    got = rows(db, "SELECT a.label FROM okta_policy_mappings m JOIN okta_applications a ON a.id = m.app_id "
                   "WHERE m.policy_id = ?", pid)
    assert sorted(r[0] for r in got) == ["Legacy Payroll", "Wiki"]
    assert paths(fake)[0] == "/api/v1/policies/%s/mappings" % pid
    fresh(db, fake)
    # a password policy has no mappings: no rows, no error
    assert rows(db, "SELECT * FROM okta_policy_mappings WHERE policy_id = ?", truth.policies["PASSWORD"][0]["id"]) == []


# -------------------------------------------------------------- API tokens

def test_api_tokens_metadata(db, fake, truth):
    got = rows(db, "SELECT id, name, user_id, client_name, token_window, network_connection, network, expires_at, "
                   "created, last_updated FROM okta_api_tokens")
    want = [(t["id"], t["name"], t["userId"], t["clientName"], t["tokenWindow"], t["network"]["connection"],
             t["network"], t["expiresAt"], t["created"], t["lastUpdated"]) for t in truth.api_tokens]
    assert sorted(g[:6] + g[7:] for g in got) == sorted(w[:6] + w[7:] for w in want)
    assert {g[0]: json.loads(g[6]) for g in got} == {w[0]: w[6] for w in want}
    assert [(r["path"], r["query"]) for r in fake.requests()] == [("/api/v1/api-tokens", {})]
    # a token's owner, by a join on the users table
    fresh(db, fake)
    t = truth.api_tokens[1]
    assert rows(db, "SELECT u.login FROM okta_api_tokens t JOIN okta_users u ON u.id = t.user_id WHERE t.id = ?",
                t["id"]) == [(truth.user_by_id[t["userId"]]["profile"]["login"],)]
    assert paths(fake) == ["/api/v1/api-tokens/" + t["id"], "/api/v1/users/" + t["userId"]]


def test_api_tokens_403_names_the_scope(db, fake):
    forbid(fake, "^/api/v1/api-tokens")
    with pytest.raises(sqlite3.Error, match=r"403 E0000006 .*\(needs scope okta\.apiTokens\.read"):
        rows(db, "SELECT * FROM okta_api_tokens")


# -------------------------------------------- custom roles and resource sets

def test_custom_roles_page_in_the_body(db, fake, truth):
    fake.config(iam_page_size=2)
    got = rows(db, "SELECT id, label, description, created FROM okta_custom_roles")
    assert sorted(got) == sorted((r["id"], r["label"], r["description"], r["created"]) for r in truth.custom_roles)
    reqs = fake.requests()
    assert [r["path"] for r in reqs] == ["/api/v1/iam/roles"] * 2
    assert "after" not in reqs[0]["query"] and "after" in reqs[1]["query"]
    fresh(db, fake)
    r = truth.custom_roles[0]
    assert rows(db, "SELECT label FROM okta_custom_roles WHERE id = ?", r["id"]) == [(r["label"],)]
    assert paths(fake) == ["/api/v1/iam/roles/" + r["id"]]


def test_role_permissions_fan_out_and_by_role(db, fake, truth):
    got = rows(db, "SELECT role_id, label, conditions FROM okta_role_permissions")
    want = [(rid, p["label"], p["conditions"]) for rid, pl in truth.role_permissions.items() for p in pl]
    assert sorted((g[0], g[1]) for g in got) == sorted((w[0], w[1]) for w in want)
    cond = {(g[0], g[1]): json.loads(g[2]) if g[2] else None for g in got}
    assert cond == {(w[0], w[1]): w[2] for w in want}
    assert paths(fake)[0] == "/api/v1/iam/roles"
    assert sorted(paths(fake)[1:]) == sorted("/api/v1/iam/roles/%s/permissions" % r["id"] for r in truth.custom_roles)
    fresh(db, fake)
    rid = truth.custom_roles[0]["id"]
    assert len(rows(db, "SELECT * FROM okta_role_permissions WHERE role_id = ?", rid)) == \
        len(truth.role_permissions[rid])
    assert paths(fake) == ["/api/v1/iam/roles/%s/permissions" % rid]


def test_resource_sets_and_their_resources(db, fake, truth):
    assert sorted(rows(db, "SELECT id, label FROM okta_resource_sets")) == \
        sorted((s["id"], s["label"]) for s in truth.resource_sets)
    fresh(db, fake)
    got = rows(db, "SELECT resource_set_id, id, orn, href FROM okta_resource_set_resources")
    want = [(sid, r["id"], r["orn"], r["_links"]["self"]["href"])
            for sid, rl in truth.resource_set_resources.items() for r in rl]
    assert sorted(got) == sorted(want)
    reqs = fake.requests()
    assert reqs[0]["path"] == "/api/v1/iam/resource-sets" and len(reqs) == 1 + len(truth.resource_sets)
    assert all(r["query"] == {"limit": "100"} for r in reqs[1:])


def test_custom_role_assignments_name_role_and_resource_set(db, fake, truth):
    got = rows(db, "SELECT r.user_id, c.label, s.label, r.assignment_type FROM okta_user_roles r "
                   "JOIN okta_custom_roles c ON c.id = r.role_id JOIN okta_resource_sets s ON s.id = r.resource_set "
                   "WHERE r.type = 'CUSTOM'")
    role = {r["id"]: r["label"] for r in truth.custom_roles}
    rset = {s["id"]: s["label"] for s in truth.resource_sets}
    want = [(u, role[r["role"]], rset[r["resource-set"]], r["assignmentType"])
            for u in truth.admins() for r in truth.roles_of_user(u) if r["type"] == "CUSTOM"]
    assert sorted(got) == sorted(want) and any(w[3] == "USER" for w in want) and any(w[3] == "GROUP" for w in want)
    got = rows(db, "SELECT group_id, id, role_id, resource_set FROM okta_group_roles WHERE type = 'CUSTOM'")
    assert got == [(g, r["id"], r["role"], r["resource-set"]) for g, rl in truth.group_roles.items() for r in rl
                   if r["type"] == "CUSTOM"]
    # standard roles have neither
    assert rows(db, "SELECT count(*) FROM okta_user_roles WHERE type <> 'CUSTOM' AND "
                    "(role_id IS NOT NULL OR resource_set IS NOT NULL)") == [(0,)]


def test_iam_403_names_the_permission(db, fake):
    fake.config(roles_forbidden=True)
    for sql in ("SELECT * FROM okta_custom_roles", "SELECT * FROM okta_role_permissions",
                "SELECT * FROM okta_resource_sets", "SELECT * FROM okta_resource_set_resources"):
        with pytest.raises(sqlite3.Error) as e:
            rows(db, sql)
        assert " 403 E0000006 " in str(e.value)
        assert str(e.value).endswith("(needs a Super Administrator token or scope okta.roles.read)")


def test_iam_listing_of_the_wrong_shape_is_an_error(db, fake):
    fake.faults({"path": "^/api/v1/iam/roles$", "kind": "types"})
    with pytest.raises(sqlite3.Error, match="GET /api/v1/iam/roles: unexpected response shape: expected an object "
                                            "with a roles array"):
        rows(db, "SELECT * FROM okta_custom_roles")


# ------------------------------------------------------------- group owners

def test_group_owners_by_group_and_type_pushdown(db, fake, truth):
    gid = next(g for g, ol in truth.group_owners.items() if len(ol) == 2)
    got = rows(db, "SELECT id, type, display_name, resolved, origin_type, last_updated FROM okta_group_owners "
                   "WHERE group_id = ?", gid)
    assert sorted(got) == sorted((w["id"], w["type"], w["displayName"], int(w["resolved"]), w["originType"],
                                  w["lastUpdated"]) for w in truth.group_owners[gid])
    assert [(r["path"], r["query"]) for r in fake.requests()] == [("/api/v1/groups/%s/owners" % gid, {"limit": "1000"})]
    fresh(db, fake)
    gid = next(g for g, ol in truth.group_owners.items() if ol[0]["type"] == "GROUP")
    assert rows(db, "SELECT display_name FROM okta_group_owners WHERE group_id = ? AND type = 'GROUP'", gid) == [("IT",)]
    assert rows(db, "SELECT display_name FROM okta_group_owners WHERE group_id = ? AND type = 'USER'", gid) == []
    assert [r["query"].get("search") for r in fake.requests()] == ['type eq "GROUP"', 'type eq "USER"']


def test_group_owners_of_every_group(db, fake, truth):
    got = rows(db, "SELECT group_id, id FROM okta_group_owners")
    assert sorted(got) == sorted((g, w["id"]) for g, ol in truth.group_owners.items() for w in ol)
    assert len(fake.requests()) == 1 + len(truth.groups)
    # an owner who is no longer active: a finding the join makes
    fresh(db, fake)
    got = rows(db, "SELECT g.name, u.login FROM okta_group_owners o JOIN okta_groups g ON g.id = o.group_id "
                   "JOIN okta_users u ON u.id = o.id WHERE o.type = 'USER' AND u.status = 'DEPROVISIONED'")
    want = [(truth.group_by_id[g]["profile"]["name"], truth.user_by_id[w["id"]]["profile"]["login"])
            for g, ol in truth.group_owners.items() for w in ol
            if w["type"] == "USER" and truth.user_by_id[w["id"]]["status"] == "DEPROVISIONED"]
    assert got == want and want


# ------------------------------------------------- authorization servers

def server_ids(truth):
    return [s["id"] for s in truth.auth_servers]


def test_auth_server_policies_scopes_claims_clients(db, fake, truth):
    n = len(truth.auth_servers)
    assert len(server_ids(truth)) >= 2
    got = rows(db, "SELECT auth_server_id, id, name, priority, clients FROM okta_auth_server_policies")
    assert sorted(g[:4] for g in got) == sorted(
        (s, p["id"], p["name"], p["priority"]) for s, pl in truth.as_policies.items() for p in pl)
    assert {g[1]: json.loads(g[4]) for g in got} == {
        p["id"]: p["conditions"]["clients"]["include"] for pl in truth.as_policies.values() for p in pl}
    assert len(fake.requests()) == 1 + n
    for table, attr, cols, key in (
            ("okta_auth_server_scopes", "as_scopes", "id, name, consent, system", ("id", "name", "consent", "system")),
            ("okta_auth_server_claims", "as_claims", "id, name, claim_type, value_type",
             ("id", "name", "claimType", "valueType")),
            ("okta_auth_server_clients", "as_clients", "client_id, client_name, client_uri, logo_uri",
             ("client_id", "client_name", "client_uri", "logo_uri"))):
        fresh(db, fake)
        got = rows(db, "SELECT auth_server_id, %s FROM %s" % (cols, table))
        want = [(s,) + tuple(int(x[k]) if isinstance(x[k], bool) else x[k] for k in key)
                for s, xl in getattr(truth, attr).items() for x in xl]
        assert sorted(got, key=repr) == sorted(want, key=repr), table
        assert len(fake.requests()) == 1 + n, table
    sid = server_ids(truth)[0]
    fresh(db, fake)
    assert len(rows(db, "SELECT * FROM okta_auth_server_claims WHERE auth_server_id = ?", sid)) == \
        len(truth.as_claims[sid])
    assert paths(fake) == ["/api/v1/authorizationServers/%s/claims" % sid]


def test_auth_server_scope_name_pushdown(db, fake, truth):
    sid = server_ids(truth)[0]
    assert rows(db, "SELECT name FROM okta_auth_server_scopes WHERE auth_server_id = ? AND name = 'payments:read'",
                sid) == [("payments:read",)]
    assert [(r["path"], r["query"]) for r in fake.requests()] == [
        ("/api/v1/authorizationServers/%s/scopes" % sid, {"q": "payments:read", "limit": "200"})]


def test_auth_server_policy_rules_two_levels_down(db, fake, truth):
    got = rows(db, "SELECT auth_server_id, policy_id, id, name, grant_types, scopes, group_ids, "
                   "access_token_lifetime_minutes FROM okta_auth_server_policy_rules")
    want = [(s, p, r["id"], r["name"], r["conditions"]["grantTypes"]["include"], r["conditions"]["scopes"]["include"],
             r["conditions"]["people"]["groups"]["include"], r["actions"]["token"]["accessTokenLifetimeMinutes"])
            for (s, p), rl in truth.as_rules.items() for r in rl]
    assert sorted(g[:4] + g[7:] for g in got) == sorted(w[:4] + w[7:] for w in want)
    assert {g[2]: tuple(json.loads(x) for x in g[4:7]) for g in got} == {w[2]: tuple(w[4:7]) for w in want}
    # every server, each server's policies, each policy's rules
    assert paths(fake).count("/api/v1/authorizationServers") == 1
    assert sorted(p for p in paths(fake) if p.endswith("/policies")) == sorted(
        "/api/v1/authorizationServers/%s/policies" % s for s in server_ids(truth))
    assert sorted(p for p in paths(fake) if p.endswith("/rules")) == sorted(
        "/api/v1/authorizationServers/%s/policies/%s/rules" % k for k in truth.as_rules)
    assert len(fake.requests()) == 1 + len(truth.auth_servers) + len(truth.as_rules)
    assert plan(db, "SELECT * FROM okta_auth_server_policy_rules").endswith("all-servers")


def test_auth_server_policy_rules_of_one_server_and_policy(db, fake, truth):
    sid = server_ids(truth)[0]
    pid = truth.as_policies[sid][0]["id"]
    got = rows(db, "SELECT id FROM okta_auth_server_policy_rules WHERE auth_server_id = ?", sid)
    assert sorted(r[0] for r in got) == sorted(r["id"] for (s, _), rl in truth.as_rules.items() if s == sid for r in rl)
    assert len(fake.requests()) == 1 + len(truth.as_policies[sid])
    fresh(db, fake)
    got = rows(db, "SELECT id FROM okta_auth_server_policy_rules WHERE auth_server_id = ? AND policy_id = ?", sid, pid)
    assert sorted(r[0] for r in got) == sorted(r["id"] for r in truth.as_rules[(sid, pid)])
    assert "/api/v1/authorizationServers" not in paths(fake)


def test_auth_server_403_names_the_scope(db, fake):
    forbid(fake, "^/api/v1/authorizationServers/[^/]+/clients$")
    with pytest.raises(sqlite3.Error, match=r"403 E0000006 .*\(needs scope okta\.authorizationServers\.read"):
        rows(db, "SELECT * FROM okta_auth_server_clients")


# ------------------------------------------------------------------ devices

def test_device_columns(db, truth):
    got = {r[0]: r[1:] for r in rows(db, "SELECT id, platform, manufacturer, model, os_version, serial_number, udid, "
                                         "imei, sid, registered, secure_hardware_present, display_name, resource_id, "
                                         "resource_display_name, resource_type, disk_encryption_type, status "
                                         "FROM okta_devices")}
    assert set(got) == {d["id"] for d in truth.devices}
    for d in truth.devices:
        p = d["profile"]
        assert got[d["id"]] == (p["platform"], p.get("manufacturer"), p.get("model"), p.get("osVersion"),
                                p.get("serialNumber"), p.get("udid"), p.get("imei"), p.get("sid"), int(p["registered"]),
                                int(p["secureHardwarePresent"]), p["displayName"], d["resourceId"],
                                d["resourceDisplayName"]["value"], d["resourceType"], p.get("diskEncryptionType"),
                                d["status"])
    assert {r[0] for r in got.values()} == {"ANDROID", "IOS", "MACOS", "WINDOWS"}


def test_device_search_pushdown(db, fake, truth):
    got = rows(db, "SELECT id FROM okta_devices WHERE platform = 'MACOS' AND manufacturer = 'Apple'")
    assert sorted(r[0] for r in got) == sorted(
        d["id"] for d in truth.devices if d["profile"]["platform"] == "MACOS" and d["profile"].get("manufacturer") == "Apple")
    q = fake.requests()[0]["query"]
    assert sorted(q["search"].split(" and ")) == ['profile.manufacturer eq "Apple"', 'profile.platform eq "MACOS"']
    assert q["expand"] == "user" and len(fake.requests()) == 1
    fresh(db, fake)
    d = truth.devices[5]
    got = rows(db, "SELECT id FROM okta_devices WHERE last_updated >= ? AND status = 'ACTIVE'", d["lastUpdated"])
    assert sorted(r[0] for r in got) == sorted(
        x["id"] for x in truth.devices if x["lastUpdated"] >= d["lastUpdated"] and x["status"] == "ACTIVE")
    assert sorted(fake.requests()[0]["query"]["search"].split(" and ")) == [
        'lastUpdated ge "%s"' % d["lastUpdated"], 'status eq "ACTIVE"']
    fresh(db, fake)
    # a value the API does not know stays with SQLite
    assert rows(db, "SELECT count(*) FROM okta_devices WHERE platform = 'AMIGA'") == [(0,)]
    assert "search" not in fake.requests()[0]["query"]


def test_device_raw_search_ignores_case_like_okta(db, fake, truth):
    got = rows(db, "SELECT id, search FROM okta_devices WHERE search = 'profile.platform eq \"ios\"'")
    assert sorted(r[0] for r in got) == sorted(d["id"] for d in truth.devices if d["profile"]["platform"] == "IOS")
    assert {r[1] for r in got} == {'profile.platform eq "ios"'}
    assert fake.requests()[0]["query"]["search"] == 'profile.platform eq "ios"'


def test_device_by_id_and_in_list_keep_user_ids(db, fake, truth):
    d = next(x for x in truth.devices if len(x["_embedded"]["users"]) == 2)
    got = rows(db, "SELECT user_ids FROM okta_devices WHERE id = ?", d["id"])
    assert [json.loads(r[0]) for r in got] == [[u["user"]["id"] for u in d["_embedded"]["users"]]]
    assert [(r["path"], r["query"]) for r in fake.requests()] == [
        ("/api/v1/devices", {"expand": "user", "search": 'id eq "%s"' % d["id"], "limit": "200"})]
    fresh(db, fake)
    ids = [x["id"] for x in truth.devices[:5]]
    got = rows(db, "SELECT id FROM okta_devices WHERE id IN (?, ?, ?, ?, ?)", *ids)
    assert sorted(r[0] for r in got) == sorted(ids)
    assert len(fake.requests()) == 1
    assert sorted(fake.requests()[0]["query"]["search"].split(" or ")) == sorted('id eq "%s"' % i for i in ids)


def test_devices_of_a_user(db, fake, truth):
    owners = {}
    for d in truth.devices:
        for u in d["_embedded"]["users"]:
            owners.setdefault(u["user"]["id"], []).append(d)
    uid = max(owners, key=lambda k: len(owners[k]))
    got = rows(db, "SELECT id, user_id, user_ids FROM okta_devices WHERE user_id = ?", uid)
    assert sorted(r[0] for r in got) == sorted(d["id"] for d in owners[uid])
    assert all(r[1] == uid and uid in json.loads(r[2]) for r in got)
    assert paths(fake) == ["/api/v1/users/%s/devices" % uid] + ["/api/v1/devices"] * len(owners[uid])
    # IN on the hidden input: each user, never a scan that cannot answer it
    fresh(db, fake)
    two = sorted(owners)[:2]
    got = rows(db, "SELECT user_id, id FROM okta_devices WHERE user_id IN (?, ?)", *two)
    assert sorted(got) == sorted((u, d["id"]) for u in two for d in owners[u])
    assert sorted(p for p in paths(fake) if p.startswith("/api/v1/users/")) == sorted(
        "/api/v1/users/%s/devices" % u for u in two)


# ---------------------------------------------------------------- app users

def test_app_user_columns(db, truth):
    for label in ("Salesforce", "Legacy Payroll"):
        app = next(a for a in truth.apps if a["label"] == label)
        got = {r[0]: r[1:] for r in rows(db, "SELECT user_id, status_changed, last_sync, password_changed, credentials "
                                             "FROM okta_app_users WHERE app_id = ?", app["id"])}
        assert set(got) == {au["id"] for au in truth.app_users[app["id"]]}
        for au in truth.app_users[app["id"]]:
            sc, ls, pc, cred = got[au["id"]]
            assert (sc, ls, pc) == (au["statusChanged"], au.get("lastSync"), au.get("passwordChanged"))
            assert json.loads(cred) == au["credentials"]
    assert any(au.get("lastSync") for a in truth.apps for au in truth.app_users[a["id"]])


def test_app_users_q_pushdown(db, fake, truth):
    app = next(a for a in truth.apps if a["label"] == "Wiki")
    au = truth.app_users[app["id"]][3]
    name = au["credentials"]["userName"]
    got = rows(db, "SELECT user_id FROM okta_app_users WHERE app_id = ? AND user_name = ?", app["id"], name)
    assert got == [(x["id"],) for x in truth.app_users[app["id"]] if x["credentials"]["userName"] == name]
    assert [(r["path"], r["query"]) for r in fake.requests()] == [
        ("/api/v1/apps/%s/users" % app["id"], {"q": name, "limit": "500"})]
    fresh(db, fake)
    # without an app: q goes to every app's listing
    got = rows(db, "SELECT app_id FROM okta_app_users WHERE user_name = ?", name)
    assert sorted(r[0] for r in got) == sorted(
        a for a, aus in truth.app_users.items() if any(x["credentials"]["userName"] == name for x in aus))
    per_app = [r for r in fake.requests() if r["path"].endswith("/users")]
    assert len(per_app) == len(truth.apps) and all(r["query"]["q"] == name for r in per_app)


# ---------------------------------------------------------------- groups

def test_groups_raw_filter(db, fake, truth):
    got = rows(db, "SELECT id, filter FROM okta_groups WHERE filter = 'type eq \"APP_GROUP\"'")
    assert sorted(r[0] for r in got) == sorted(g["id"] for g in truth.groups if g["type"] == "APP_GROUP")
    assert {r[1] for r in got} == {'type eq "APP_GROUP"'}
    assert fake.requests()[0]["query"]["filter"] == 'type eq "APP_GROUP"'
