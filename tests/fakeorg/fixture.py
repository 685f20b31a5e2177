"""A deterministic fake Okta organization.

build_org(n_users, seed, now) returns an Org whose objects have the shapes of
Okta's real responses: every object starts from a recorded or spec body in
shapes/ (copied from Okta's OpenAPI spec and the terraform provider's
recorded cassettes) with ids, names and dates replaced. The same arguments
always give the same org, so tests can assert exact counts and keys.

The org is built to exercise what access reviews look at: every user status
(DEPROVISIONED included), names with quotes, backslashes and non-ASCII
letters, service and bot accounts, nested access through groups and group
rules, AWS apps with SAML roles, users without MFA, admins direct and through
groups, and System Log events for app creation.
"""

import copy
import json
import os
import random
import re
import unicodedata
from datetime import datetime, timedelta, timezone

SHAPES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shapes")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

USER_STATUSES = ["ACTIVE", "STAGED", "PROVISIONED", "RECOVERY", "LOCKED_OUT",
                 "PASSWORD_EXPIRED", "SUSPENDED", "DEPROVISIONED"]
STATUS_WEIGHTS = [70, 3, 4, 2, 2, 3, 6, 10]

FIRST = ["Alice", "Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
         "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter",
         "Zoë", "José", "Åsa", "Łukasz", "Søren", "Chloé", "Björn", "Anaïs", "Renée", "Mårten"]
LAST = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts",
        "Müller", "García", "Núñez", "Nguyễn", "Kowalski", "O'Brien", "D'Angelo", "Øster",
        "van der Berg", "Schröder", "李", "山田", "Иванов"]
DEPARTMENTS = ["Engineering", "Sales", "Finance", "Support", "Marketing", "Legal", "IT", "People"]

# Users whose names try to break filter escaping; each test can look them up.
TRICKY = [
    ("Quote", 'Has "Quotes"', 'quote"user@example.com'),
    ("Back", "Slash\\Name", "back\\slash@example.com"),
    ("Inject", '" or status eq "ACTIVE', "inject@example.com"),
    ("Amp", "A&B#C%D", "amp&hash#pct%@example.com"),
    ("Line", "Multi\nLine", "newline@example.com"),
    ("Ünï", "Cödé 日本", "unicode.ü@example.com"),
]

# Logins are derived the way a directory does it: names transliterated to
# ASCII (Björn -> bjorn, Müller -> muller, Nguyễn -> nguyen, ß -> ss), names
# in other scripts romanized, and a number only when first.last is taken.
# The profile keeps the real names; the TRICKY users keep a Unicode login on
# purpose (Okta accepts them, and filters must escape them).
ROMANIZED = {"李": "li", "山田": "yamada", "Иванов": "ivanov"}
# Letters Unicode does not decompose into a base letter and an accent.
LATIN_EXTRA = {"ß": "ss", "ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}

FACTOR_SHAPES = ["factor_push_okta_verify.json", "factor_totp_okta_verify.json",
                 "factor_sms.json", "factor_totp_google.json", "factor_webauthn.json",
                 "factor_email.json", "factor_question.real.json", "factor_u2f.json"]

ROLE_LABELS = {
    "SUPER_ADMIN": "Super Administrator",
    "ORG_ADMIN": "Organizational Administrator",
    "APP_ADMIN": "Application Administrator",
    "USER_ADMIN": "Group Administrator",
    "HELP_DESK_ADMIN": "Help Desk Administrator",
    "READ_ONLY_ADMIN": "Read-only Administrator",
    "REPORT_ADMIN": "Report Administrator",
}
# Okta's role assignment ids are fixed per role type.
ROLE_IDS = {
    "SUPER_ADMIN": "IFIFAX2BIRGUSTQ", "ORG_ADMIN": "JBCUYUC7IRCVGS27IFCE2SKO",
    "APP_ADMIN": "IFIFAX2BIRGUSTQAPP", "USER_ADMIN": "KVJUKUS7IFCE2SKO",
    "HELP_DESK_ADMIN": "KVJUKUS7HELPDESK", "READ_ONLY_ADMIN": "KVJUKUS7READONLY",
    "REPORT_ADMIN": "KVJUKUS7REPORT",
}

AWS_ACCOUNTS = ["123456789012", "210987654321"]
AWS_ROLES = ["Admin", "ReadOnly", "Developer", "Billing"]


def ascii_name(name):
    """A name as a directory spells it in a login: lowercase ASCII letters only."""
    name = ROMANIZED.get(name, name).lower()
    name = "".join(LATIN_EXTRA.get(ch, ch) for ch in name)
    name = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in name if ch.isascii() and ch.isalnum())


def login_slug(first, last, i):
    """first.last for a login; a name with no Latin reading gives the user's number."""
    a, b = ascii_name(first), ascii_name(last)
    if a and b:
        return "%s.%s" % (a, b)
    return "%s.user%d" % (a or b or "user", i)


def shape(name):
    with open(os.path.join(SHAPES, name), encoding="utf-8") as f:
        return json.load(f)


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % (dt.microsecond // 1000)


class Ids:
    """Okta-like 20 character ids, deterministic per prefix."""

    def __init__(self, rng):
        self.rng = rng
        self.seen = set()

    def new(self, prefix):
        while True:
            s = prefix + "".join(self.rng.choice(BASE62) for _ in range(20 - len(prefix) - 4)) + "1d7"
            s = s[:20]
            if s not in self.seen:
                self.seen.add(s)
                return s


class Org:
    """Every resource of the fake org, plus derived indexes."""

    def __init__(self):
        self.users = []          # list of user dicts
        self.groups = []
        self.members = {}        # group id -> [user id]
        self.apps = []
        self.app_users = {}      # app id -> [app user dicts]
        self.app_groups = {}     # app id -> [app group dicts]
        self.factors = {}        # user id -> [factor dicts]
        self.user_roles = {}     # user id -> [role dicts] (direct)
        self.group_roles = {}    # group id -> [role dicts]
        self.rules = []
        self.logs = []
        self.org = None
        self.support = None
        self.user_types = []
        self.devices = []
        self.policies = {}       # type -> [policy]
        self.zones = []
        self.trusted_origins = []
        self.auth_servers = []
        self.idps = []
        self.authenticators = []
        self.enrollments = {}    # user id -> [authenticator enrollments]

    def index(self):
        self.user_by_id = {u["id"]: u for u in self.users}
        self.group_by_id = {g["id"]: g for g in self.groups}
        self.app_by_id = {a["id"]: a for a in self.apps}
        self.user_groups = {}
        for gid, uids in self.members.items():
            for uid in uids:
                self.user_groups.setdefault(uid, []).append(gid)
        for g in self.groups:
            g["_embedded"] = {"stats": {"usersCount": len(self.members.get(g["id"], [])),
                                        "appsCount": sum(1 for a in self.apps if any(
                                            ag["id"] == g["id"] for ag in self.app_groups.get(a["id"], []))),
                                        "groupPushMappingsCount": 0,
                                        "hasAdminPrivilege": bool(self.group_roles.get(g["id"]))}}

    def roles_of_user(self, uid):
        """A user's roles as /users/{id}/roles lists them: direct and via groups."""
        out = [dict(r) for r in self.user_roles.get(uid, [])]
        for gid in self.user_groups.get(uid, []):
            for r in self.group_roles.get(gid, []):
                rr = dict(r)
                rr["assignmentType"] = "GROUP"
                out.append(rr)
        return out

    def admins(self):
        """Users with any role, as /iam/assignees/users lists them."""
        ids = set(self.user_roles)
        for gid, roles in self.group_roles.items():
            if roles:
                ids.update(self.members.get(gid, []))
        return sorted(ids)


# Emails whose lowercase needs Unicode's rules (JupiterOne keys a person by
# profile.email.toLowerCase(): JupiterOne/graph-okta src/converters/user.ts).
# The first two are one person: their emails differ only in the case of a
# non-ASCII letter.
UNICODE_EMAILS = ["ZOË.ÅSA@EXAMPLE.COM", "zoë.åsa@example.com", "ΣΊΣΥΦΟΣ@EXAMPLE.COM", "İPEK@EXAMPLE.COM"]


def unicode_emails(users):
    """Gives a few employees (from the 30th user on, past the tricky ones
    and the first of each status) the emails of UNICODE_EMAILS."""
    for email, u in zip(UNICODE_EMAILS, users[30:]):
        u["profile"]["email"] = email
        u["profile"]["userType"] = "employee"


def build_org(n_users=2000, seed=7, now=None, base_url="https://acme.okta.com"):
    rng = random.Random(seed)
    ids = Ids(rng)
    now = now or datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    epoch = datetime(2020, 1, 1, tzinfo=timezone.utc)
    o = Org()
    o.now = now
    o.base_url = base_url

    def when(days_back_max, days_back_min=0):
        d = rng.uniform(days_back_min, days_back_max)
        return now - timedelta(days=d, seconds=rng.randint(0, 86399))

    # --- org
    org = shape("org.json")
    org.update({"id": ids.new("00o"), "subdomain": "acme", "companyName": "Acme Corp",
                "website": "https://acme.example.com", "created": iso(epoch),
                "lastUpdated": iso(now - timedelta(days=30)), "status": "ACTIVE"})
    org.pop("expiresAt", None)
    o.org = org
    sup = shape("org_okta_support.json")
    sup.update({"support": "ENABLED", "expiration": iso(now + timedelta(days=7))})
    o.support = sup

    # --- user types
    ut = shape("user_types.real.json")
    default_type, custom_type = ut[0], ut[1]
    default_type["id"] = ids.new("oty")
    custom_type.update({"id": ids.new("oty"), "name": "contractor", "displayName": "Contractor",
                        "description": "Contractors", "default": False})
    o.user_types = [default_type, custom_type]

    # --- users
    template = shape("user.real.json")
    template.pop("realmId", None)
    statuses = list(USER_STATUSES)  # first users cover every status
    taken = {}  # login slug -> users holding it so far
    for i in range(n_users):
        u = copy.deepcopy(template)
        uid = ids.new("00u")
        if i < len(statuses):
            status = statuses[i]
        else:
            status = rng.choices(USER_STATUSES, STATUS_WEIGHTS)[0]
        if i < len(TRICKY):
            first, last, login = TRICKY[i][0], TRICKY[i][1], TRICKY[i][2]
            email = login
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            slug = login_slug(first, last, i)
            taken[slug] = taken.get(slug, 0) + 1
            login = "%s%s@example.com" % (slug, taken[slug] if taken[slug] > 1 else "")
            # every 11th email is in capitals: the graph keys persons by lowercased email
            email = login if i % 11 else login.upper()
        created = when(2000, 100)
        user_type = None
        r = rng.random()
        if i == len(TRICKY):
            user_type = "service"
        elif r < 0.03:
            user_type = rng.choice(["service", "bot", "generic"])
        elif r < 0.95:
            user_type = "employee"
        u["id"] = uid
        u["status"] = status
        u["created"] = iso(created)
        activated = None if status in ("STAGED",) else created + timedelta(hours=1)
        u["activated"] = iso(activated) if activated else None
        u["statusChanged"] = iso(created + timedelta(days=rng.randint(1, 90))) if status != "STAGED" else None
        if status in ("ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY", "SUSPENDED", "DEPROVISIONED") and rng.random() < 0.9:
            # about a quarter of logins are older than 90 days
            u["lastLogin"] = iso(when(400 if rng.random() < 0.25 else 80))
        else:
            u["lastLogin"] = None
        u["lastUpdated"] = iso(when(99, 0) if i % 3 else created + timedelta(days=2))
        u["passwordChanged"] = iso(created + timedelta(hours=2)) if activated else None
        u["transitioningToStatus"] = None
        u["type"] = {"id": default_type["id"] if i % 13 else custom_type["id"]}
        profile = {"firstName": first, "lastName": last, "mobilePhone": None, "secondEmail": None,
                   "login": login, "email": email, "department": rng.choice(DEPARTMENTS)}
        if user_type:
            profile["userType"] = user_type
        u["profile"] = profile
        u["credentials"] = {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}}
        u["_links"] = {"self": {"href": "%s/api/v1/users/%s" % (base_url, uid)}}
        o.users.append(u)

    unicode_emails(o.users)
    live = [u for u in o.users if u["status"] != "DEPROVISIONED"]

    # --- groups
    gtemplate = shape("group.json")

    def group(name, desc, gtype, oc):
        g = copy.deepcopy(gtemplate)
        gid = ids.new("00g")
        g.update({"id": gid, "type": gtype, "objectClass": [oc],
                  "created": iso(when(2000, 500)), "lastUpdated": iso(when(300)),
                  "lastMembershipUpdated": iso(when(60)),
                  "profile": {"name": name, "description": desc}})
        g["_links"] = {"users": {"href": "%s/api/v1/groups/%s/users" % (base_url, gid)},
                       "apps": {"href": "%s/api/v1/groups/%s/apps" % (base_url, gid)}}
        o.groups.append(g)
        return g

    everyone = group("Everyone", "All users in your organization", "BUILT_IN", "okta:user_group")
    o.members[everyone["id"]] = [u["id"] for u in o.users]
    dept_groups = {}
    for d in DEPARTMENTS:
        g = group(d, "Everyone in %s" % d, "OKTA_GROUP", "okta:user_group")
        dept_groups[d] = g
        o.members[g["id"]] = [u["id"] for u in o.users if u["profile"]["department"] == d]
    n_extra = max(6, n_users // 100)
    extra = []
    for k in range(n_extra):
        name = 'Project "Q%d"' % k if k == 0 else ("R&D\\Team %d" % k if k == 1 else "Team %d" % k)
        g = group(name, "Project team %d" % k, "OKTA_GROUP", "okta:user_group")
        extra.append(g)
        o.members[g["id"]] = sorted(rng.sample([u["id"] for u in o.users], min(len(o.users), rng.randint(3, 40))))
    helpdesk = group("Helpdesk", "Help desk staff", "OKTA_GROUP", "okta:user_group")
    o.members[helpdesk["id"]] = [u["id"] for u in rng.sample(live, min(4, len(live)))]
    ad_groups = []
    for name in ("Domain Users", "VPN Users", "aws_123456789012_Developer"):
        g = group(name, "Imported from Active Directory", "APP_GROUP", "okta:windows_security_principal")
        ad_groups.append(g)
        o.members[g["id"]] = sorted(rng.sample([u["id"] for u in live], min(len(live), rng.randint(5, 60))))
    o.members[helpdesk["id"]].sort()

    # --- group rules (and the memberships they manage)
    rtemplate = shape("group_rule_list.real.json")[0]
    rule_specs = [("Engineering by department", 'user.department=="Engineering"', [dept_groups["Engineering"]["id"]], "ACTIVE"),
                  ("Sales to Team 2", 'user.department=="Sales"', [extra[2]["id"]], "ACTIVE"),
                  ("Old contractors rule", 'user.userType=="contractor"', [extra[3]["id"]], "INACTIVE")]
    excluded = live[5]["id"] if len(live) > 5 else None
    for name, expr, gids, status in rule_specs:
        r = copy.deepcopy(rtemplate)
        r.update({"id": ids.new("0pr"), "name": name, "status": status,
                  "created": iso(when(900, 200)), "lastUpdated": iso(when(100))})
        r["conditions"]["expression"]["value"] = expr
        r["conditions"]["people"]["users"]["exclude"] = [excluded] if (excluded and status == "ACTIVE" and name.startswith("Eng")) else []
        r["actions"]["assignUserToGroups"]["groupIds"] = gids
        o.rules.append(r)
    for u in o.users:  # Sales people are put into Team 2 by the rule
        if u["profile"]["department"] == "Sales" and u["id"] not in o.members[extra[2]["id"]]:
            o.members[extra[2]["id"]].append(u["id"])
    o.members[extra[2]["id"]].sort()

    # --- applications
    def app_from(shape_name, name, label, status="ACTIVE"):
        a = shape(shape_name)
        aid = ids.new("0oa")
        a.update({"id": aid, "name": name, "label": label, "status": status,
                  "created": iso(when(700, 95)), "lastUpdated": iso(when(90))})
        a.pop("orn", None)
        a["_links"] = {"users": {"href": "%s/api/v1/apps/%s/users" % (base_url, aid)},
                       "groups": {"href": "%s/api/v1/apps/%s/groups" % (base_url, aid)}}
        o.apps.append(a)
        return a

    salesforce = app_from("app_saml.real.json", "salesforce", "Salesforce")
    oidc = app_from("app_oidc.real.json", "oidc_client", "Internal Portal")
    oidc.setdefault("credentials", {}).setdefault("oauthClient", {}).update(
        {"client_id": oidc["id"], "client_secret": "s3cr3t-client-secret-value", "token_endpoint_auth_method": "client_secret_basic"})
    bookmark = app_from("app_bookmark.json", "bookmark", "Wiki")
    swa = app_from("app_swa_browser_plugin.json", "template_swa", "Legacy Payroll", status="INACTIVE")
    aws_apps = []
    for k, acct in enumerate(AWS_ACCOUNTS):
        a = app_from("app_aws.real.json", "amazon_aws", "AWS %s" % ("Production" if k == 0 else "Sandbox"))
        a["signOnMode"] = "SAML_2_0"
        a["settings"]["app"]["identityProviderArn"] = "arn:aws:iam::%s:saml-provider/Okta" % acct
        a["settings"]["app"]["secretKey"] = "aws-secret-key-should-not-leak" if k == 0 else None
        aws_apps.append(a)
    for k in range(max(0, n_users // 400 - 1)):
        app_from("app_bookmark.json", "bookmark", "Bookmark %d" % k)

    au_template = shape("app_user_list_oidc.real.json")[0]

    def app_user(app, u, scope, profile=None):
        au = copy.deepcopy(au_template)
        au.update({"id": u["id"], "externalId": None, "created": iso(when(300, 10)),
                   "lastUpdated": iso(when(10)), "scope": scope,
                   "status": "ACTIVE" if u["status"] != "DEPROVISIONED" else "INACTIVE",
                   "statusChanged": iso(when(100)), "syncState": "DISABLED",
                   "credentials": {"userName": u["profile"]["login"]},
                   "profile": profile or {}})
        au["_links"] = {"app": {"href": "%s/api/v1/apps/%s" % (base_url, app["id"])},
                        "user": {"href": "%s/api/v1/users/%s" % (base_url, u["id"])}}
        return au

    def app_group(app, g, priority, profile=None):
        return {"id": g["id"], "lastUpdated": iso(when(200)), "priority": priority,
                "profile": profile or {},
                "_links": {"app": {"href": "%s/api/v1/apps/%s" % (base_url, app["id"])},
                           "group": {"href": "%s/api/v1/groups/%s" % (base_url, g["id"])}}}

    assignments = {
        salesforce["id"]: [dept_groups["Sales"]],
        oidc["id"]: [everyone],
        bookmark["id"]: [dept_groups["Engineering"], extra[0]],
        swa["id"]: [dept_groups["Finance"]],
        aws_apps[0]["id"]: [ad_groups[2], extra[1]],
        aws_apps[1]["id"]: [dept_groups["Engineering"]],
    }
    for a in o.apps:
        groups = assignments.get(a["id"], [])
        is_aws = a["name"] == "amazon_aws"
        o.app_groups[a["id"]] = []
        for prio, g in enumerate(groups):
            profile = None
            if is_aws:
                roles = sorted(rng.sample(AWS_ROLES, 2))
                profile = {"role": roles[0], "samlRoles": roles}
            o.app_groups[a["id"]].append(app_group(a, g, prio, profile))
        users = {}
        by_id = {u["id"]: u for u in o.users}
        for g in groups:
            for uid in o.members[g["id"]]:
                if by_id[uid]["status"] == "DEPROVISIONED" and rng.random() < 0.7:
                    continue  # Okta removes most, not all, assignments on deactivation
                prof = None
                if is_aws:
                    prof = {"role": rng.choice(AWS_ROLES), "samlRoles": sorted(rng.sample(AWS_ROLES, 2))}
                users[uid] = app_user(a, by_id[uid], "GROUP", prof)
        # direct assignments, including a few to deprovisioned users (stale access)
        for u in rng.sample(o.users, min(len(o.users), 3 + n_users // 200)):
            prof = None
            if is_aws:
                prof = {"role": rng.choice(AWS_ROLES), "samlRoles": [rng.choice(AWS_ROLES)]}
            users[u["id"]] = app_user(a, u, "USER", prof)
        o.app_users[a["id"]] = [users[k] for k in sorted(users)]

    # --- MFA factors: most active users have some, some have none
    for u in o.users:
        if u["status"] in ("STAGED", "PROVISIONED"):
            continue
        if rng.random() < 0.15:
            continue
        fl = []
        for fname in rng.sample(FACTOR_SHAPES, rng.randint(1, 3)):
            f = shape(fname)
            f.pop("_embedded", None)
            f["id"] = ids.new(f["id"][:3])
            f["status"] = "ACTIVE" if rng.random() < 0.85 else rng.choice(["PENDING_ACTIVATION", "INACTIVE"])
            f["created"] = iso(when(600, 30))
            f["lastUpdated"] = iso(when(30))
            f["_links"] = {"user": {"href": "%s/api/v1/users/%s" % (base_url, u["id"])}}
            fl.append(f)
        o.factors[u["id"]] = fl

    # --- admin roles: direct assignments and one group
    rtmpl = shape("role_list_user.real.json")[0]

    def role(rtype, assignment):
        r = copy.deepcopy(rtmpl)
        r.update({"id": ROLE_IDS[rtype], "label": ROLE_LABELS[rtype], "type": rtype, "status": "ACTIVE",
                  "created": iso(when(500, 50)), "lastUpdated": iso(when(50)), "assignmentType": assignment})
        r["_links"] = {}
        return r

    admin_types = ["SUPER_ADMIN", "ORG_ADMIN", "APP_ADMIN", "READ_ONLY_ADMIN", "USER_ADMIN", "REPORT_ADMIN"]
    active = [u for u in o.users if u["status"] == "ACTIVE"]
    for k, rtype in enumerate(admin_types):
        u = active[k * 3 % len(active)]
        o.user_roles.setdefault(u["id"], []).append(role(rtype, "USER"))
    o.user_roles.setdefault(active[0]["id"], []).append(role("APP_ADMIN", "USER"))
    # a suspended super admin: a finding
    susp = next((u for u in o.users if u["status"] == "SUSPENDED"), None)
    if susp:
        o.user_roles.setdefault(susp["id"], []).append(role("SUPER_ADMIN", "USER"))
    o.group_roles[helpdesk["id"]] = [role("HELP_DESK_ADMIN", "GROUP")]

    # --- System Log: logins, app creation (API and admin console), noise
    ltemplate = shape("log_event.json")
    admin_user = active[0]

    def event(etype, actor, target, published, uri=None, message=None):
        e = copy.deepcopy(ltemplate)
        e["uuid"] = "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                                                   rng.getrandbits(16), rng.getrandbits(48))
        e["published"] = iso(published)
        e["eventType"] = etype
        e["displayMessage"] = message or etype
        e["severity"] = "INFO"
        e["actor"] = {"id": actor["id"], "type": "User", "alternateId": actor["profile"]["login"],
                      "displayName": "%s %s" % (actor["profile"]["firstName"], actor["profile"]["lastName"]),
                      "detailEntry": None}
        e["outcome"] = {"result": "SUCCESS", "reason": None}
        e["target"] = target
        e.setdefault("debugContext", {})["debugData"] = {"requestUri": uri or "/api/v1/authn"}
        return e

    def app_target(a):
        return [{"id": a["id"], "type": "AppInstance", "alternateId": a["label"], "displayName": a["label"],
                 "detailEntry": None}]

    o.logs.append(event("application.lifecycle.create", admin_user, app_target(salesforce), when(60, 1),
                        "/api/v1/apps", "Add application"))
    o.logs.append(event("application.lifecycle.update", active[1], app_target(aws_apps[0]), when(50, 1),
                        "/admin/app/amazon_aws/instance/_new_", "Update application"))
    o.logs.append(event("application.lifecycle.update", active[1], app_target(aws_apps[1]), when(50, 1),
                        "/admin/app/amazon_aws/instance/%s/settings" % aws_apps[1]["id"], "Update application"))
    ghost = {"id": "00uGHOSTdeletedUser1d7", "profile": {"login": "ghost@example.com", "firstName": "Ghost", "lastName": "User"}}
    o.logs.append(event("application.lifecycle.create", ghost, app_target(bookmark), when(40, 1), "/api/v1/apps",
                        "Add application"))
    o.logs.append(event("application.lifecycle.create", admin_user,
                        [{"id": "0oaDELETEDappXXXX1d7", "type": "AppInstance", "alternateId": "Gone",
                          "displayName": "Gone", "detailEntry": None}], when(30, 1), "/api/v1/apps", "Add application"))
    o.logs.append(event("application.lifecycle.create", admin_user, app_target(oidc), now - timedelta(days=120),
                        "/api/v1/apps", "Add application"))
    log_edge = datetime.now(timezone.utc) - timedelta(days=90)
    for k in range(min(3 * n_users, 6000)):
        u = rng.choice(active)
        # Sign-ins span the whole retention, but none lies near its 90-day
        # edge. The server keeps 90 days back from the wall clock (not from
        # the fixture's midnight), so that edge moves while a suite runs, and
        # an event crossing it between two reads of one test (a slow ASan
        # run) leaves one read and not the other. An event less than six
        # hours inside the edge at build time is moved a day past it, with no
        # draw from rng, so the rest of the org is the same at any hour.
        t = when(89.9)
        if log_edge <= t < log_edge + timedelta(hours=6):
            t = log_edge - timedelta(days=1, seconds=k * 7919 % 86400)
        o.logs.append(event("user.session.start", u, [], t, "/api/v1/authn", "User login to Okta"))
    o.logs.sort(key=lambda e: (e["published"], e["uuid"]))

    # --- devices (with their users)
    dtemplate = shape("devices.json")[1]
    for k in range(max(3, n_users // 20)):
        d = copy.deepcopy(dtemplate)
        did = ids.new("guo")
        d.update({"id": did, "resourceId": did, "created": iso(when(400, 10)), "lastUpdated": iso(when(10))})
        d["profile"]["displayName"] = "Laptop %d" % k
        d["profile"]["serialNumber"] = "SN%06d" % k
        d["resourceDisplayName"] = {"value": "Laptop %d" % k, "sensitive": False}
        owners = rng.sample(active, 1 if k % 5 else 2)
        d["_embedded"] = {"users": [{"created": iso(when(400, 10)), "managementStatus": "MANAGED",
                                     "screenLockType": "BIOMETRIC",
                                     "user": {"id": u["id"], "status": u["status"], "profile": {"login": u["profile"]["login"]}}}
                                    for u in owners]}
        d.pop("_links", None)
        o.devices.append(d)

    # --- policies, zones, trusted origins, authorization servers, IdPs, authenticators
    for ptype, fname in (("OKTA_SIGN_ON", "policies_okta_sign_on.json"), ("PASSWORD", "policies_password.json"),
                         ("MFA_ENROLL", "policies_mfa_enroll.json"), ("ACCESS_POLICY", "policies_access.json")):
        pl = shape(fname)
        for p in pl:
            p["id"] = ids.new("00p")
            p["type"] = ptype
            # the spec's examples say "createdDate"/"lastUpdated" where a real org
            # answers timestamps (recorded-gets.jsonl: /api/v1/policies)
            for k in ("created", "lastUpdated"):
                if not re.match(r"^\d{4}-", str(p.get(k) or "")):
                    p[k] = iso(epoch)
        o.policies[ptype] = pl
    o.policies["IDP_DISCOVERY"] = []
    o.policies["PROFILE_ENROLLMENT"] = []
    o.zones = shape("zones.json")
    o.trusted_origins = shape("trusted_origins.json")
    o.auth_servers = shape("authorization_servers.json")
    o.auth_servers[0]["id"] = "aus" + "default1234567" + "1d7"
    o.idps = shape("idps.json")
    for key, name, typ in (("okta_password", "Password", "password"), ("okta_email", "Email", "email"),
                           ("phone_number", "Phone", "phone"), ("okta_verify", "Okta Verify", "app"),
                           ("webauthn", "Passkey (FIDO2 WebAuthn)", "security_key")):
        o.authenticators.append({"type": typ, "id": ids.new("aut"), "key": key,
                                 "status": "ACTIVE" if key != "phone_number" else "INACTIVE",
                                 "name": name, "created": iso(epoch), "lastUpdated": iso(when(200)),
                                 "settings": {}, "_links": {}})
    aws_without_idp_arn(o, app_from, app_user, app_group, active, helpdesk)
    as_recorded(o, base_url)
    o.enrollments = authenticator_enrollments(o, random.Random(seed + 8), base_url)
    # events with several targets, as the spec's ListLogs example has
    # (log_events.json: user.session.start targets an AuthenticatorEnrollment
    # and an AppInstance): adding a user to a group targets both
    for k in range(12):
        u, g = active[(40 + k) % len(active)], extra[k % len(extra)]
        o.logs.append(event("group.user_membership.add", admin_user,
                            [{"id": u["id"], "type": "User", "alternateId": u["profile"]["login"],
                              "displayName": "%s %s" % (u["profile"]["firstName"], u["profile"]["lastName"]),
                              "detailEntry": None},
                             {"id": g["id"], "type": "UserGroup", "alternateId": "unknown",
                              "displayName": g["profile"]["name"], "detailEntry": None}],
                            when(30, 1), "/api/v1/groups/%s/users/%s" % (g["id"], u["id"]),
                            "Add user to group membership"))
    o.logs.sort(key=lambda e: (e["published"], e["uuid"]))
    add_peer_objects(o, seed, base_url)
    o.index()
    return o


# ------------------------------------------------------------------ peers
# The objects of the tables peers have (issue 15): policy rules and
# mappings, API tokens, custom admin roles and resource sets, group owners,
# authorization server objects, device details. Built with their own random
# stream so the rest of the org stays as it was.

def add_peer_objects(o, seed, base_url):
    rng = random.Random(seed * 1000 + 15)
    ids = Ids(rng)
    now = o.now

    def when(days_back_max, days_back_min=0):
        return now - timedelta(days=rng.uniform(days_back_min, days_back_max), seconds=rng.randint(0, 86399))

    live = [u for u in o.users if u["status"] == "ACTIVE"]

    def active(k):  # the k-th active user (small test orgs have few)
        return live[k % len(live)]
    group = {g["profile"]["name"]: g for g in o.groups}
    app = {a["label"]: a for a in o.apps}
    zone = {z["name"]: z for z in o.zones}
    admin_host = base_url.replace("://acme.", "://acme-admin.")  # IAM links name the -admin host (recorded)

    # --- policy rules. Shapes: the recorded ACCESS_POLICY rule
    # (policy_rule_access.real.json) and the spec's rule examples per type.
    o.policy_rules = {}
    o.policy_mappings = {}

    def rule(policy, shape_name, name, priority, status="ACTIVE", system=False, conditions=None, actions=None):
        r = shape(shape_name)
        r = r[0] if isinstance(r, list) else r
        rid = ids.new("rul")
        r.update({"id": rid, "name": name, "priority": priority, "status": status, "system": system,
                  "created": iso(when(400, 60)), "lastUpdated": iso(when(60))})
        if conditions is not None or system:
            r["conditions"] = conditions
        if actions is not None:
            r["actions"] = actions
        r["_links"] = {"self": {"href": "%s/api/v1/policies/%s/rules/%s" % (base_url, policy["id"], rid),
                                "hints": {"allow": ["GET", "PUT"]}}}
        o.policy_rules.setdefault(policy["id"], []).append(r)
        return r

    def app_sign_on(factor_mode, access="ALLOW"):
        return {"appSignOn": {"access": access, "verificationMethod": {
            "factorMode": factor_mode, "type": "ASSURANCE", "reauthenticateIn": "PT12H"}}}

    def people(*groups):
        return {"people": {"groups": {"include": [g["id"] for g in groups]}}, "network": {"connection": "ANYWHERE"}}

    def access_policy(name, app_labels):
        p = shape("policy_access.real.json")[0]
        pid = ids.new("rst")
        p.update({"id": pid, "name": name, "created": iso(when(700, 100)), "lastUpdated": iso(when(100))})
        for rel in ("mappings", "self", "rules", "deactivate"):
            p["_links"][rel]["href"] = "%s/api/v1/policies/%s%s" % (
                base_url, pid, "" if rel == "self" else "/lifecycle/deactivate" if rel == "deactivate" else "/" + rel)
        o.policies["ACCESS_POLICY"].append(p)
        o.policy_mappings[pid] = []
        for label in app_labels:
            mid = ids.new("rpm")
            o.policy_mappings[pid].append({"id": mid, "_links": {
                "application": {"href": "%s/api/v1/apps/%s" % (base_url, app[label]["id"]),
                                "hints": {"allow": ["GET", "PUT", "DELETE"]}},
                "self": {"href": "%s/api/v1/policies/%s/mappings/%s" % (base_url, pid, mid),
                         "hints": {"allow": ["GET", "PUT", "DELETE"]}},
                "policy": {"href": "%s/api/v1/policies/%s" % (base_url, pid),
                           "hints": {"allow": ["GET", "PUT", "DELETE"]}}}})
        return p

    def catch_all(policy, factor_mode):
        # Every app sign-in policy ends in a system catch-all rule (recorded).
        return rule(policy, "policy_rules_access_catchall.real.json", "Catch-all Rule", 99, system=True,
                    actions=app_sign_on(factor_mode))

    # The default app sign-in policy (the spec example, system): apps mapped
    # nowhere else use it; its catch-all is the spec example's, one factor.
    default = o.policies["ACCESS_POLICY"][0]
    o.policy_mappings[default["id"]] = []
    catch_all(default, "1FA")
    sales = access_policy("Sales apps", ["Salesforce"])
    rule(sales, "policy_rule_access.real.json", "Sales needs MFA", 1, conditions=people(group["Sales"]),
         actions=app_sign_on("2FA"))
    catch_all(sales, "2FA")
    catch_all(access_policy("Password only", ["Wiki", "Legacy Payroll"]), "1FA")
    portal = access_policy("Portal: one factor on the office network", ["Internal Portal"])
    office = people(group["Engineering"])
    office["network"] = {"connection": "ZONE", "include": [zone["MyIpZone"]["id"]]}
    rule(portal, "policy_rule_access.real.json", "Engineering in the office", 1, conditions=office,
         actions=app_sign_on("1FA"))
    catch_all(portal, "2FA")
    aws = access_policy("AWS", ["AWS Production", "AWS Sandbox"])
    rule(aws, "policy_rule_access.real.json", "Old password-only rule", 1, status="INACTIVE",
         conditions=people(group["Engineering"]), actions=app_sign_on("1FA"))
    rule(aws, "policy_rule_access.real.json", "Block contractors", 2, conditions=people(group["Team 3"]),
         actions=app_sign_on("1FA", access="DENY"))
    catch_all(aws, "2FA")

    # The global session policy: MFA for the help desk, none by default.
    session = o.policies["OKTA_SIGN_ON"][0]
    signon = shape("policy_rules_okta_sign_on.json")[0]["actions"]["signon"]
    rule(session, "policy_rules_okta_sign_on.json", "Help desk needs MFA", 1, conditions=people(group["Helpdesk"]),
         actions={"signon": dict(signon, requireFactor=True, factorPromptMode="ALWAYS")})
    rule(session, "policy_rules_okta_sign_on.json", "Default Rule", 99, system=True,
         conditions={"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}},
         actions={"signon": dict(signon, requireFactor=False)})
    rule(o.policies["PASSWORD"][0], "policy_rules_password.json", "Default Rule", 1, system=True)
    rule(o.policies["MFA_ENROLL"][0], "policy_rules_mfa_enroll.json", "Default Rule", 1, system=True)

    # --- API tokens (api_token.real.json: the recorded token, ANYWHERE and ZONE variants)
    o.api_tokens = []
    for name, owner, network in (("Okta API", active(0), {"connection": "ANYWHERE"}),
                                 ("sqlite-okta audit", active(3),
                                  {"connection": "ZONE", "include": [zone["MyIpZone"]["id"]]}),
                                 ("CI deploy", active(6),
                                  {"connection": "ZONE", "exclude": [zone["BlockedIpZone"]["id"]]})):
        t = shape("api_token.real.json")
        tid = ids.new("00T")
        created = when(200, 10)
        t.update({"id": tid, "name": name, "userId": owner["id"], "network": network, "created": iso(created),
                  "lastUpdated": iso(created + timedelta(days=3)), "expiresAt": iso(now + timedelta(days=rng.randint(5, 29)))})
        t["_links"] = {"self": {"href": "%s/api/v1/api-tokens/%s" % (base_url, tid), "hints": {"allow": ["GET", "DELETE"]}},
                       "user": {"href": "%s/api/v1/users/%s" % (base_url, owner["id"]), "hints": {"allow": ["GET"]}}}
        o.api_tokens.append(t)

    # --- custom admin roles and their permissions (iam_role.real.json,
    # iam_role_permissions.real.json; a permission with conditions as in the spec example)
    o.custom_roles = []
    o.role_permissions = {}
    for label, desc, perms in (("Help desk tier 2", "Reset passwords", ["okta.users.read", "okta.users.credentials.resetPassword"]),
                               ("App assigner", "Assign apps", ["okta.apps.read", "okta.apps.assignment.manage"]),
                               ("Unused role", "Not assigned to anyone", ["okta.groups.read"])):
        r = shape("iam_role.real.json")
        rid = ids.new("cr0")
        r.update({"id": rid, "label": label, "description": desc, "created": iso(when(300, 30)), "lastUpdated": iso(when(30))})
        r["_links"] = {"permissions": {"href": "%s/api/v1/iam/roles/%s/permissions" % (admin_host, rid)},
                       "self": {"href": "%s/api/v1/iam/roles/%s" % (admin_host, rid)}}
        o.custom_roles.append(r)
        o.role_permissions[rid] = []
        for perm in perms:
            pm = shape("iam_role_permissions.real.json")["permissions"][0]
            pm.update({"label": perm, "created": r["created"], "lastUpdated": r["lastUpdated"]})
            if perm == "okta.users.read":
                pm["conditions"] = {"include": {"okta:ResourceAttribute/User/Profile": ["city", "state", "zipCode"]}}
            pm["_links"] = {"role": {"href": r["_links"]["self"]["href"]},
                            "self": {"href": "%s/api/v1/iam/roles/%s/permissions/%s" % (admin_host, rid, perm)}}
            o.role_permissions[rid].append(pm)
    role_by_label = {r["label"]: r for r in o.custom_roles}

    # --- resource sets and their resources (spec examples; ORNs as the spec writes them)
    o.resource_sets = []
    o.resource_set_resources = {}
    org_id = o.org["id"]
    sets = (("Sales resources", "The Sales group and Salesforce",
             [("orn:okta:directory:%s:groups:%s" % (org_id, group["Sales"]["id"]),
               "%s/api/v1/groups/%s" % (base_url, group["Sales"]["id"])),
              ("orn:okta:idp:%s:apps:salesforce:%s" % (org_id, app["Salesforce"]["id"]),
               "%s/api/v1/apps/%s" % (base_url, app["Salesforce"]["id"]))]),
            ("All users", "Every user of the org", [("orn:okta:directory:%s:users" % org_id, "%s/api/v1/users" % base_url)]))
    for label, desc, resources in sets:
        rs = shape("iam_resource_sets.json")["resource-sets"][0]
        sid = ids.new("iam")
        rs.update({"id": sid, "label": label, "description": desc, "created": iso(when(300, 30)), "lastUpdated": iso(when(30))})
        rs["_links"] = {k: {"href": "%s/api/v1/iam/resource-sets/%s%s" % (admin_host, sid, "" if k == "self" else "/" + k)}
                        for k in ("self", "resources", "bindings")}
        o.resource_sets.append(rs)
        o.resource_set_resources[sid] = []
        for orn, href in resources:
            res = shape("iam_resource_set_resources.json")["resources"][0]
            rid = ids.new("ire")
            res.update({"id": rid, "orn": orn, "created": rs["created"], "lastUpdated": rs["lastUpdated"]})
            res["_links"] = {"self": {"href": href},
                             "resource": {"href": "%s/api/v1/iam/resource-sets/%s/resources/%s" % (admin_host, sid, rid)}}
            o.resource_set_resources[sid].append(res)
    set_by_label = {r["label"]: r for r in o.resource_sets}

    # --- custom role assignments (role_list_user_custom.json, the spec's
    # CUSTOM elements: id is the binding, role and resource-set name the rest)
    def custom_assignment(role, rset, assignment, assignee_href):
        a = copy.deepcopy(shape("role_list_user_custom.json")[4])
        bid = ids.new("irb")
        a.update({"id": bid, "role": role["id"], "label": role["label"], "resource-set": rset["id"],
                  "assignmentType": assignment, "created": iso(when(200, 20)), "lastUpdated": iso(when(20))})
        a["_links"] = {"assignee": {"href": assignee_href},
                       "resource-set": {"href": rset["_links"]["self"]["href"]},
                       "role": {"href": role["_links"]["self"]["href"]},
                       "permissions": {"href": role["_links"]["permissions"]["href"]}}
        return a
    tier2 = active(9)
    o.user_roles.setdefault(tier2["id"], []).append(custom_assignment(
        role_by_label["Help desk tier 2"], set_by_label["All users"], "USER", "%s/api/v1/users/%s" % (base_url, tier2["id"])))
    team4 = group["Team 4"]
    o.group_roles[team4["id"]] = [custom_assignment(
        role_by_label["App assigner"], set_by_label["Sales resources"], "GROUP", "%s/api/v1/groups/%s" % (base_url, team4["id"]))]

    # --- group owners (group_owners.real.json: users; a group owner as in the spec example)
    o.group_owners = {}
    deprovisioned = next(u for u in o.users if u["status"] == "DEPROVISIONED")

    def owner(kind, ident, display):
        w = shape("group_owners.real.json")[0]
        w.update({"id": ident, "type": kind, "displayName": display,
                  "lastUpdated": when(90).strftime("%Y-%m-%d %H:%M:%S.0")})  # the real format, not ISO 8601
        return w

    def user_owner(u):
        return owner("USER", u["id"], "%s %s" % (u["profile"]["firstName"], u["profile"]["lastName"]))
    o.group_owners[group["Engineering"]["id"]] = [user_owner(active(1)), user_owner(active(2))]
    o.group_owners[group["Helpdesk"]["id"]] = [owner("GROUP", group["IT"]["id"], "IT")]
    o.group_owners[group['Project "Q0"']["id"]] = [user_owner(deprovisioned)]

    # --- authorization servers: a second server; policies, rules, scopes,
    # claims, clients (auth_server_*.real.json recorded, clients from the spec)
    second = copy.deepcopy(o.auth_servers[0])
    second.update({"id": "aus" + "partnerApi0001" + "1d7", "name": "Partner API", "description": "Partner access",
                   "audiences": ["api://partners"]})
    second["issuer"] = "%s/oauth2/%s" % (base_url, second["id"])
    o.auth_servers.append(second)
    o.as_policies, o.as_rules, o.as_scopes, o.as_claims, o.as_clients = {}, {}, {}, {}, {}
    portal_app = app["Internal Portal"]
    plans = {
        o.auth_servers[0]["id"]: [("Default Policy", ["ALL_CLIENTS"], [
            ("Default Policy Rule", ["authorization_code", "client_credentials"], ["*"], [group["Everyone"]], 60),
            ("Engineering refresh", ["authorization_code", "refresh_token"], ["openid", "payments:read"],
             [group["Engineering"]], 15)]),
            ("Portal only", [portal_app["id"]], [
                ("Portal users", ["implicit"], ["openid", "profile"], [group["Everyone"]], 5)])],
        second["id"]: [("Partner policy", ["ALL_CLIENTS"], [
            ("Partners", ["client_credentials"], ["partner:read"], [], 60)])],
    }
    for sid, policies in plans.items():
        o.as_policies[sid] = []
        for pname, clients, rules in policies:
            p = shape("auth_server_policy.real.json")
            pid = ids.new("00p")
            p.update({"id": pid, "name": pname, "description": pname, "priority": len(o.as_policies[sid]) + 1,
                      "conditions": {"clients": {"include": clients}}, "created": iso(when(500, 50)),
                      "lastUpdated": iso(when(50))})
            p["_links"] = {"self": {"href": "%s/api/v1/authorizationServers/%s/policies/%s" % (base_url, sid, pid)},
                           "rules": {"href": "%s/api/v1/authorizationServers/%s/policies/%s/rules" % (base_url, sid, pid)}}
            o.as_policies[sid].append(p)
            o.as_rules[(sid, pid)] = []
            for k, (rname, grants, scopes, groups, lifetime) in enumerate(rules):
                r = shape("auth_server_policy_rule.real.json")
                rid = ids.new("0pr")
                r.update({"id": rid, "name": rname, "priority": k + 1, "created": iso(when(400, 40)),
                          "lastUpdated": iso(when(40))})
                r["conditions"] = {"people": {"users": {"exclude": []}, "groups": {"include": [g["id"] for g in groups]}},
                                   "grantTypes": {"include": grants}, "scopes": {"include": scopes}}
                r["actions"]["token"]["accessTokenLifetimeMinutes"] = lifetime
                r["_links"] = {"self": {"href": "%s/api/v1/authorizationServers/%s/policies/%s/rules/%s" % (base_url, sid, pid, rid)}}
                o.as_rules[(sid, pid)].append(r)
        o.as_scopes[sid] = []
        names = ["openid", "profile", "email", "offline_access"] if sid != second["id"] else []
        names += ["payments:read", "payments:write"] if sid != second["id"] else ["partner:read"]
        for name in names:
            sc = shape("auth_server_scope.real.json")
            sc.update({"id": ids.new("scp"), "name": name, "displayName": name, "description": "Scope " + name,
                       "system": name in ("openid", "profile", "email", "offline_access"),
                       "consent": "IMPLICIT" if name != "payments:write" else "REQUIRED"})
            sc["_links"] = {"self": {"href": "%s/api/v1/authorizationServers/%s/scopes/%s" % (base_url, sid, sc["id"])}}
            o.as_scopes[sid].append(sc)
        o.as_claims[sid] = []
        for c in shape("auth_server_claims.real.json") + [shape("auth_server_claim_expression.real.json")]:
            c["id"] = ids.new("ocl")
            c["_links"] = {"self": {"href": "%s/api/v1/authorizationServers/%s/claims/%s" % (base_url, sid, c["id"])}}
            o.as_claims[sid].append(c)
        o.as_clients[sid] = []
        if sid != second["id"]:
            cl = shape("auth_server_clients.json")[0]
            cl.update({"client_id": portal_app["id"], "client_name": portal_app["label"], "client_uri": None,
                       "logo_uri": None})
            cl["_links"] = {"client": {"href": "%s/oauth2/v1/clients/%s" % (base_url, portal_app["id"]), "title": portal_app["label"]},
                            "tokens": {"href": "%s/api/v1/authorizationServers/%s/clients/%s/tokens" % (base_url, sid, portal_app["id"])}}
            o.as_clients[sid].append(cl)

    # --- device details as the real device (device.real.json) and the spec's
    # examples have them, per platform; and a deactivated device nobody uses
    platforms = [("MACOS", "Apple", "MacBookPro18,3", "14.4.1"), ("WINDOWS", "Dell Inc.", "Latitude 7440", "10.0.22631"),
                 ("ANDROID", "samsung", "SM-S921B", "16:2025-09-01"), ("IOS", "Apple", "iPhone15,2", "17.4")]
    for k, d in enumerate(o.devices):
        plat, maker, model, osv = platforms[k % 4]
        d["profile"].update({"platform": plat, "manufacturer": maker, "model": model, "osVersion": osv,
                             "registered": k % 7 != 3, "secureHardwarePresent": k % 3 != 0})
        for key in ("sid", "udid", "imei"):
            d["profile"].pop(key, None)
        if plat == "WINDOWS":
            d["profile"]["sid"] = "S-1-5-21-%d-%d-%d-500" % (1000 + k, 2000 + k, 3000 + k)
        elif plat == "MACOS":
            d["profile"]["udid"] = "954F4D56-C574-E7D3-FC3A-%012X" % k
        else:
            d["profile"]["imei"] = "35%013d" % k
    spare = shape("device.real.json")
    spare.update({"id": ids.new("guo"), "status": "DEACTIVATED", "_embedded": {"users": []}})
    spare["resourceId"] = spare["id"]
    spare.pop("_links", None)
    o.devices.append(spare)

    # --- app users: provisioning sync time and password change times
    for au in o.app_users[app["Salesforce"]["id"]]:
        au["lastSync"] = iso(when(5))
    for au in o.app_users[app["Legacy Payroll"]["id"]]:
        au["passwordChanged"] = iso(when(200, 10))
        au["credentials"]["password"] = {}  # an empty object says a password is set (spec AppUserPasswordCredential)


def as_recorded(o, base_url):
    """Where the spec examples the org starts from differ from what real
    orgs answer (tests/fakeorg/recorded/recorded.jsonl), the real shape wins."""
    for u in o.users:
        if u.get("transitioningToStatus") is None:
            u.pop("transitioningToStatus", None)  # real users only have it while transitioning
    for a in o.apps:
        # real apps carry their ORN (recorded GET /api/v1/apps/{id})
        a["orn"] = "orn:okta:idp:%s:apps:%s:%s" % (o.org["id"], a["name"], a["id"])
    for t in o.trusted_origins:
        # the spec example misspells them (lastedUpdated); real: recorded GET /api/v1/trustedOrigins/{id}
        for bad, good in (("lastedUpdated", "lastUpdated"), ("lastedUpdatedBy", "lastUpdatedBy")):
            if bad in t:
                t[good] = t.pop(bad)
    for z in o.zones:
        # spec example typos ("create", "exclue"); real: recorded GET /api/v1/zones/{id}
        if "create" in z:
            z["created"] = z.pop("create")
        cats = z.get("ipServiceCategories") or {}
        if "exclue" in cats:
            cats["exclude"] = cats.pop("exclue")
    for i in o.idps:
        # real IdPs have these (recorded GET /api/v1/idps/{id})
        i.setdefault("issuerMode", "ORG_URL")
        i.setdefault("policy", {}).setdefault("transformedUsernameMatchingEnabled", False)
    # an Identity Engine org's authenticators as recorded (shapes/authenticators.real.json is the body of
    # GET https://oie-00.dne-okta.com/api/v1/authenticators in recorded.jsonl)
    recorded = json.dumps(shape("authenticators.real.json")).replace("https://oie-00.dne-okta.com", base_url)
    o.authenticators = json.loads(recorded)


# factorType and provider -> (key, type, name) of the authenticator it
# belongs to (Okta's spec: AuthenticatorKeyEnum, AuthenticatorType).
AUTHENTICATOR_OF_FACTOR = {
    ("push", "OKTA"): ("okta_verify", "app", "Okta Verify"),
    ("token:software:totp", "OKTA"): ("okta_verify", "app", "Okta Verify"),
    ("token:software:totp", "GOOGLE"): ("google_otp", "app", "Google Authenticator"),
    ("sms", "OKTA"): ("phone_number", "phone", "Phone"),
    ("call", "OKTA"): ("phone_number", "phone", "Phone"),
    ("email", "OKTA"): ("okta_email", "email", "Email"),
    ("question", "OKTA"): ("security_question", "security_question", "Security Question"),
    ("webauthn", "FIDO"): ("webauthn", "security_key", "Security Key or Biometric"),
    ("u2f", "FIDO"): ("webauthn", "security_key", "Security Key or Biometric"),
}


def authenticator_enrollments(o, rng, base_url):
    """user id -> what GET /api/v1/users/{id}/authenticator-enrollments
    lists (shape: the spec's AuthenticatorEnrollmentResponseListAll): every
    enrollment, the password included. /users/{id}/factors lists only the
    factors REQUIRED or OPTIONAL in the highest-priority enrollment policy
    (spec, listFactors), so about one user in ten has an Okta Verify
    enrollment their factors do not show."""
    auth_ids = {a["key"]: a["id"] for a in o.authenticators}
    out = {}
    for u in o.users:
        if u["status"] in ("STAGED", "PROVISIONED"):
            continue
        el = []

        def enroll(key, typ, name, status, created, profile=None):
            aid = auth_ids.setdefault(key, "aut%s1d7" % (key.replace("_", "")[:10] + "x" * 14)[:14])
            eid = "%s%s%03d" % (key[:3], u["id"][3:14], len(el))
            e = {"type": typ, "id": eid, "key": key, "status": status, "name": name}
            if profile:
                e["profile"] = profile  # the spec's password enrollment has none
            e.update({"nickname": None, "created": created, "lastUpdated": created,
                      "_links": {"self": {"href": "%s/api/v1/users/%s/authenticator-enrollments/%s"
                                                  % (base_url, u["id"], eid)},
                                 "user": {"href": "%s/api/v1/users/%s" % (base_url, u["id"])},
                                 "authenticator": {"href": "%s/api/v1/authenticators/%s" % (base_url, aid)}}})
            el.append(e)
        if u["passwordChanged"]:
            enroll("okta_password", "password", "Password", "ACTIVE", u["passwordChanged"])
        for f in o.factors.get(u["id"], []):
            key, typ, name = AUTHENTICATOR_OF_FACTOR[(f["factorType"], f["provider"])]
            if any(e["key"] == key for e in el):
                continue
            # phone numbers are masked unless discloseIdentifiers=phone (spec example)
            profile = {"phoneNumber": "+1 XXX-XXX-" + f["profile"]["phoneNumber"][-4:]} if typ == "phone" else None
            if typ == "email":
                profile = {"email": u["profile"]["email"]}
            enroll(key, typ, name, "ACTIVE" if f["status"] == "ACTIVE" else "INACTIVE", f["created"], profile)
        if rng.random() < 0.1 and not any(e["key"] == "okta_verify" for e in el):
            enroll("okta_verify", "app", "Okta Verify", "ACTIVE", u["created"])
        out[u["id"]] = el
    # one temporary access code, whose profile carries the code itself
    # (spec example AuthenticatorEnrollmentResponseTac): never to reach SQL
    holder = next(el for el in out.values() if any(e["key"] == "okta_verify" for e in el))
    tac = dict(holder[-1], type="tac", key="tac", name="Temporary Access Code", id="tac" + holder[-1]["id"][3:])
    tac["profile"] = {"tac": "n@C*bU26-secret-tac", "multiUse": True, "expiresAt": "2025-05-28T19:21:14"}
    tac["_links"] = dict(tac["_links"], authenticator={"href": "%s/api/v1/authenticators/auttacxxxxxxxxx1d7" % base_url})
    holder.append(tac)
    return out


# Role values of the AWS app without an identityProviderArn, one per form
# Okta sends: a role ARN, the roleValuePattern pair "provider ARN,role ARN"
# (app_aws.real.json settings.app.roleValuePattern), "[account] -- role" when
# the app spans accounts (Okta's AWS SAML guide; the SYNTHESIZED
# app_user_aws_role.SYNTHESIZED.json), and a bare role name, which without
# the app's account gives no ARN.
AWS_NO_IDP_ROLES = ["arn:aws:iam::345678901234:role/Admin",
                    "arn:aws:iam::345678901234:saml-provider/OKTA,arn:aws:iam::345678901234:role/Billing",
                    "[345678901234] -- ReadOnly", "Developer"]


def aws_without_idp_arn(o, app_from, app_user, app_group, active, group):
    """An AWS app as recorded from a real org (app_aws.real.json:
    settings.app.identityProviderArn null), assigned to a few users directly
    with every form of role value, and to a group with a bare role name."""
    app = app_from("app_aws.real.json", "amazon_aws", "AWS Federation")
    app["settings"]["app"]["identityProviderArn"] = None  # as recorded
    users = {}
    for k, u in enumerate(active[20:20 + 2 * len(AWS_NO_IDP_ROLES)]):
        roles = [AWS_NO_IDP_ROLES[k % len(AWS_NO_IDP_ROLES)]] + ([AWS_NO_IDP_ROLES[0]] if k % 2 else [])
        users[u["id"]] = app_user(app, u, "USER", {"role": roles[0], "samlRoles": roles})
    o.app_groups[app["id"]] = [app_group(app, group, 0, {"role": "Developer", "samlRoles": ["Developer"]})]
    by_id = {u["id"]: u for u in o.users}
    for uid in o.members[group["id"]]:
        users.setdefault(uid, app_user(app, by_id[uid], "GROUP", {"role": "Developer", "samlRoles": ["Developer"]}))
    o.app_users[app["id"]] = [users[k] for k in sorted(users)]
