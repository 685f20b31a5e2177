"""Real exchanges replayed: the fake answers with what real Okta orgs
answered (tests/fakeorg/recorded, server.py --replay), and every table whose
requests the recordings answer is read and checked column by column against
the recorded JSON. The expected value of a column comes from the real body
by the column's name (last_updated -> lastUpdated) or by EXPECT below,
written from the recorded bodies, not from the table descriptors; a column
that reads NULL while the real item carries a field of its name anywhere is
a failure too (the descriptor reads the wrong path)."""

import json
import os
import re
import sqlite3
import sys
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import HERE, connect, start_fake

sys.path.insert(0, os.path.join(HERE, "fakeorg"))
from replay import Replay  # noqa: E402

RECORDED = os.path.join(HERE, "fakeorg", "recorded", "recorded.jsonl")
REPLAY = Replay(RECORDED)
ID = "([^/]+)"

# Secret-named keys, as the README documents for redacted columns.
SECRET_WORDS = ("secret", "password", "privatekey", "accesskey", "apikey", "sharedkey", "passphrase")


def secret_key(k):
    """1 for a secret word in the key, 2 for a key ending in "token" (only
    its own string value is a secret: an IdP's endpoints.token is a URL)."""
    low = k.replace("_", "").replace("-", "").lower()
    return 1 if any(w in low for w in SECRET_WORDS) else 2 if low.endswith("token") else 0


def redacted(v, inside=False):
    """A real value as the redacted columns must show it."""
    if isinstance(v, dict):
        return {k: "(redacted)" if secret_key(k) == 2 and isinstance(x, str)
                else redacted(x, inside or secret_key(k) == 1) for k, x in v.items()}
    if isinstance(v, list):
        return [redacted(x, inside) for x in v]
    return "(redacted)" if inside and isinstance(v, str) else v


def at(item, path):
    for p in path.split("."):
        item = item.get(p) if isinstance(item, dict) else None
    return item


def aws_account(app):
    arn = at(app, "settings.app.identityProviderArn") or ""
    m = re.match(r"arn:[^:]+:iam::(\d+):", arn)
    return m.group(1) if m else None


# Columns whose real field is not their camelCased name (None: not checked
# here: hidden inputs, whose value is the constraint).
EXPECT = {
    "okta_users": {"login": "profile.login", "email": "profile.email", "first_name": "profile.firstName",
                   "last_name": "profile.lastName", "user_type": "profile.userType", "type_id": "type.id",
                   "search": None, "filter": None},
    "okta_groups": {"name": "profile.name", "description": "profile.description",
                    "users_count": "_embedded.stats.usersCount", "search": None},
    "okta_group_members": {"login": "profile.login", "email": "profile.email"},
    "okta_group_rules": {"expression": "conditions.expression.value",
                         "group_ids": "actions.assignUserToGroups.groupIds",
                         "excluded_user_ids": "conditions.people.users.exclude"},
    "okta_applications": {"settings": lambda a: redacted(a.get("settings")),
                          "credentials": lambda a: redacted(a.get("credentials")),
                          "aws_account_id": aws_account, "user_id": None, "group_id": None},
    "okta_app_users": {"user_id": "id", "user_name": "credentials.userName", "email": "profile.email"},
    "okta_app_groups": {"group_id": "id"},
    "okta_user_types": {"is_default": "default"},
    "okta_devices": {"display_name": "profile.displayName", "platform": "profile.platform",
                     "serial_number": "profile.serialNumber", "registered": "profile.registered",
                     "users": "_embedded.users",
                     "user_ids": lambda d: [u["user"]["id"] for u in at(d, "_embedded.users") or []]},
    "okta_identity_providers": {"protocol": lambda i: redacted(i.get("protocol"))},
}


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def expected(table, col, item, extra):
    if col in extra:
        return extra[col]
    how = EXPECT.get(table, {}).get(col, camel(col))
    return how(item) if callable(how) else at(item, how)


def same(got, want):
    if isinstance(want, (dict, list)):
        return got is not None and json.loads(got) == want
    if isinstance(want, bool):
        return got == int(want)
    return got == want


def sniff(item, names, depth=0, path=""):
    """Paths in item of non-null values under any of names."""
    out = []
    if isinstance(item, dict) and depth < 4:
        for k, v in item.items():
            if k in names and v not in (None, [], {}, ""):
                out.append(path + k)
            if k != "_links":
                out += sniff(v, names, depth + 1, path + k + ".")
    return out


def body(ex):
    return json.loads(ex["body"]) if ex["body"] else None


def find(host, path, query=()):
    return REPLAY.find(host, path, list(query))


def case_for(host, ex):
    """(table, WHERE, args, [(item, extra columns)]) of the query whose
    requests are this exchange, or None when no table asks for it (groups
    with q=, rules with search=: the tables do not send those)."""
    u = urlsplit(ex["url"])
    path, q = u.path, dict(parse_qsl(u.query))
    b = body(ex)
    m = re.fullmatch(r"/api/v1/(\w+(?:/types/user)?)/" + ID, path)
    gets = {"users": "okta_users", "groups": "okta_groups", "apps": "okta_applications", "policies": "okta_policies",
            "meta/types/user": "okta_user_types", "zones": "okta_network_zones",
            "trustedOrigins": "okta_trusted_origins", "authorizationServers": "okta_authorization_servers",
            "idps": "okta_identity_providers", "authenticators": "okta_authenticators"}
    # Not devices/{id}: okta_devices reads one device with search=id eq "..."
    # and expand=user (its users), which the recordings do not hold.
    if m and m.group(1) in gets and not q:
        # an alias (authorizationServers/default) answers an object with another id: SQL's id = drops it
        return gets[m.group(1)], "id = ?", [m.group(2)], [(b, {})] if ex["status"] == 200 and b["id"] == m.group(2) \
            else []
    m = re.fullmatch(r"/api/v1/groups/rules/" + ID, path)
    if m:
        return "okta_group_rules", "id = ?", [m.group(1)], [(b, {})]
    lists = {"/api/v1/apps": "okta_applications", "/api/v1/meta/types/user": "okta_user_types",
             "/api/v1/authenticators": "okta_authenticators"}
    if path in lists and not (set(q) - {"limit"}):
        return lists[path], "1", [], [(x, {}) for x in b]
    if path == "/api/v1/users" and set(q) - {"limit", "sortOrder"} == {"search"}:
        return "okta_users", "search = ?", [q["search"]], [(x, {"search": q["search"]}) for x in b]
    if path == "/api/v1/groups" and set(q) - {"limit"} == {"filter"}:
        t = re.fullmatch(r'type eq "(\w+)"', q["filter"])
        return "okta_groups", "type = ?", [t.group(1)], [(x, {}) for x in b]
    if path == "/api/v1/policies" and set(q) == {"type"}:
        return "okta_policies", "type = ?", [q["type"]], [(x, {}) for x in b]
    if path == "/api/v1/apps" and set(q) - {"limit"} == {"q", "filter"} and q["filter"] == 'status eq "ACTIVE"':
        return ("okta_applications", "label = ? AND status = 'ACTIVE'", [q["q"]],
                [(x, {}) for x in b if x["label"] == q["q"] and x["status"] == "ACTIVE"])
    m = re.fullmatch(r"/api/v1/users/%s/(roles|groups)" % ID, path)
    if m and m.group(2) == "roles":
        return "okta_user_roles", "user_id = ?", [m.group(1)], [(x, {"user_id": m.group(1)}) for x in b]
    if m:
        user = find(host, "/api/v1/users/" + m.group(1))
        if not user:
            return None
        u = body(user)
        return "okta_group_members", "user_id = ?", [m.group(1)], [
            (u, {"group_id": g["id"], "user_id": u["id"]}) for g in b]
    m = re.fullmatch(r"/api/v1/groups/%s/users" % ID, path)
    if m:
        return "okta_group_members", "group_id = ?", [m.group(1)], [(x, {"group_id": m.group(1), "user_id": x["id"]})
                                                                    for x in b]
    m = re.fullmatch(r"/api/v1/apps/%s/(users|groups)" % ID, path)
    if m:
        table = "okta_app_users" if m.group(2) == "users" else "okta_app_groups"
        return table, "app_id = ?", [m.group(1)], [(x, {"app_id": m.group(1)}) for x in b]
    m = re.fullmatch(r"/api/v1/apps/%s/(users|groups)/%s" % (ID, ID), path)
    if m and find(host, "/api/v1/apps/%s/%s" % m.group(1, 2)):
        table, col = ("okta_app_users", "user_id") if m.group(2) == "users" else ("okta_app_groups", "group_id")
        return table, "app_id = ? AND %s = ?" % col, [m.group(1), m.group(3)], [(b, {"app_id": m.group(1)})]
    return None


CASES = [(host, ex) for (host, _, _), ex in sorted(REPLAY.exchanges.items(), key=lambda kv: kv[0])
         if case_for(host, ex)]


@pytest.fixture(scope="module")
def replay_org():
    f = start_fake(users=20, extra=["--replay", RECORDED])
    yield f
    f.proc.terminate()
    f.proc.wait()


def case_id(c):
    host, ex = c
    return "%s:%s" % (host.split(".")[0], urlsplit(ex["url"]).path[8:] + ("?" + urlsplit(ex["url"]).query
                                                                          if urlsplit(ex["url"]).query else ""))


@pytest.mark.parametrize("host,ex", CASES, ids=[case_id(c) for c in CASES])
def test_table_reads_the_recorded_answer(replay_org, host, ex):
    replay_org.reset()
    replay_org.config(replay_host=host)
    table, where, args, items = case_for(host, ex)
    conn = connect(replay_org)
    cols = [c["name"] for t in json.loads(conn.execute("SELECT okta_schema()").fetchone()[0]) if t["name"] == table
            for c in t["columns"]]
    sql = "SELECT %s FROM %s WHERE %s" % (", ".join(cols), table, where)
    if ex["status"] >= 400 and ex["status"] != 404:
        with pytest.raises(sqlite3.Error) as e:
            conn.execute(sql, args).fetchall()
        assert ": %d %s " % (ex["status"], body(ex)["errorCode"]) in str(e.value)
        return
    got = [dict(zip(cols, r)) for r in conn.execute(sql, args).fetchall()]
    # every request the query made was a recorded one: nothing here is the fake's invention
    for r in replay_org.requests():
        assert find(host, r["path"], r["query"].items()), r
    assert len(got) == len(items)
    for row, (item, extra) in zip(got, items):
        for col in cols:
            if col in EXPECT.get(table, {}) and EXPECT[table][col] is None and col not in extra:
                continue
            want = expected(table, col, item, extra)
            assert same(row[col], want), "%s.%s: got %r, the real body has %r" % (table, col, row[col], want)
            if row[col] is None:
                found = sniff(item, {camel(col), col})
                assert not found, "%s.%s reads NULL, the real body has %s" % (table, col, found)


def test_every_table_the_recordings_answer_is_covered():
    tables = {case_for(h, ex)[0] for h, ex in CASES}
    assert tables == {"okta_users", "okta_groups", "okta_group_members", "okta_user_roles", "okta_group_rules",
                      "okta_applications", "okta_app_users", "okta_app_groups", "okta_user_types",
                      "okta_policies", "okta_network_zones", "okta_trusted_origins", "okta_authorization_servers",
                      "okta_identity_providers", "okta_authenticators"}
    # both kinds of org: Classic Engine and Identity Engine
    assert {h for h, _ in CASES} >= {"classic-00.dne-okta.com", "oie-00.dne-okta.com"}


def test_identity_provider_client_secrets_never_reach_sql(replay_org):
    replay_org.reset()
    replay_org.config(replay_host="classic-00.dne-okta.com")
    conn = connect(replay_org)
    dump = json.dumps(conn.execute("SELECT * FROM okta_identity_providers WHERE id = '0oasxi59a4G5UIbnt1d7'")
                      .fetchall())
    assert "aaaaaaaaaaaaaaaa" not in dump and "(redacted)" in dump


def test_unrecorded_requests_are_not_found(replay_org):
    replay_org.reset()
    replay_org.config(replay_host="oie-00.dne-okta.com")
    conn = connect(replay_org)
    assert conn.execute("SELECT * FROM okta_users WHERE id = '00uNOTRECORDED'").fetchall() == []
    assert replay_org.requests()[0]["status"] == 404


# Fields only one side has, and why that is fine: the generated org's AWS
# roles and departments, users with passwords, expand=user and stats
# embeds, the spec examples' extra policy conditions and zone kinds.
SHAPE_EXTRAS = {"credentials.password", "profile.department", "profile.userType", "realmId", "_embedded",
                "gateways", "proxies", "properties", "policy.mapAMRClaims", "credentials.oauthClient",
                "credentials.revealPassword", "credentials.scheme", "settings.oauthClient", "profile.serialNumber"}


def shape_keys(items):
    out = set()
    for it in items:
        for k, v in it.items():
            if k == "_links":
                continue
            out.add(k)
            if isinstance(v, dict) and k in ("credentials", "policy", "profile", "settings"):
                out.update("%s.%s" % (k, kk) for kk in v)
    return out


@pytest.mark.parametrize("rx,attr", [(r"/api/v1/users/[^/]+", "users"), (r"/api/v1/apps/[^/]+", "apps"),
                                     (r"/api/v1/trustedOrigins/[^/]+", "trusted_origins"),
                                     (r"/api/v1/zones/[^/]+", "zones"), (r"/api/v1/idps/[^/]+", "idps"),
                                     (r"/api/v1/authenticators", "authenticators"),
                                     (r"/api/v1/meta/types/user", "user_types")])
def test_the_generated_org_has_the_real_shapes(truth, rx, attr):
    real = []
    for ex in REPLAY.exchanges.values():
        if re.fullmatch(rx, urlsplit(ex["url"]).path) and ex["status"] == 200:
            b = body(ex)
            real += b if isinstance(b, list) else [b]
    fake = getattr(truth, attr)
    if attr == "users":
        fake = [u for u in fake if u["status"] == "ACTIVE"]  # the recorded users are active
    real_keys = {k for k in shape_keys(real) if not k.startswith("profile.") or attr != "users"}
    fake_keys = {k for k in shape_keys(fake) if not k.startswith("profile.") or attr != "users"}
    if attr == "apps":  # app-specific settings: compare the common part
        real_keys = {k for k in real_keys if not k.startswith("settings.")}
        fake_keys = {k for k in fake_keys if not k.startswith("settings.")}
    assert real_keys - fake_keys - SHAPE_EXTRAS - {"licensing", "profile", "universalLogout"} == set()
    assert fake_keys - real_keys - SHAPE_EXTRAS == set()


def test_the_generated_org_reads_like_a_real_one(db):
    # the spec example's trusted origin misspells lastUpdated: real orgs do not
    assert db.execute("SELECT count(*) FROM okta_trusted_origins WHERE last_updated IS NULL").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM okta_network_zones WHERE created IS NULL").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM okta_identity_providers WHERE issuer_mode IS NULL").fetchone() == (0,)
