#!/usr/bin/env python3
"""A local fake Okta org that behaves like the real Management API.

It serves the fixture org (fixture.py) the way OKTA-API.md describes Okta:
cursor paging with Link headers (self, then next), per-endpoint default and
maximum page sizes, DEPROVISIONED users left out of the plain user list,
filter/search/q with Okta's attribute and operator rules (400 E0000031
otherwise), X-Rate-Limit-* headers on every response with per-bucket
budgets in fixed windows (bucket_of), 429 with Date and Reset, Okta error bodies, X-Okta-Request-Id, and
gzip. Every request is logged so tests can assert the calls a query made.

With --replay FILE it answers with real recorded exchanges instead
(replay.py; control setting replay_host picks the recorded org).

Control API (no auth), used by the tests:
    GET  /__fake/requests           the request log
    POST /__fake/reset              clear log, faults, config (keeps the org)
    POST /__fake/config   {...}     settings: token, latency_ms, rate_limits
                                    ({bucket: limit}, see bucket_of),
                                    default_rate_limit, rate_window_s (60),
                                    concurrency_limit, roles_forbidden, ...
    POST /__fake/faults   [{...}]   fault rules, see Fault below
    POST /__fake/org      {...}     rebuild the org: users, seed, version
    POST /__fake/mutate   {...}     change the org as an admin would, with the
                                    System Log events Okta writes (mutate.py):
                                    {"ops": [...]} or {"random": {"seed",
                                    "count", "kinds"}}, "lag": seconds before
                                    the events are visible in /logs

Run standalone:  python3 server.py --port 8080 --users 10000
"""

import argparse
import bisect
import gzip
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expr  # noqa: E402
import fixture  # noqa: E402
import mutate  # noqa: E402
import oauth  # noqa: E402
import replay  # noqa: E402

DEFAULT_TOKEN = "00fake-okta-token-0123456789abcdefghijkl"

# path template -> (default limit, max limit); None: not paged
LIMITS = {
    "/api/v1/users": (200, 200),
    "/api/v1/groups": (10000, 10000),
    "/api/v1/groups/{id}/users": (1000, 1000),
    "/api/v1/users/{id}/groups": (200, 200),
    "/api/v1/groups/rules": (50, 200),
    "/api/v1/apps": (20, 200),
    "/api/v1/apps/{id}/users": (50, 500),
    "/api/v1/apps/{id}/groups": (20, 200),
    "/api/v1/logs": (100, 1000),
    "/api/v1/devices": (200, 200),
    "/api/v1/trustedOrigins": (20, 200),
    "/api/v1/idps": (20, 200),
    "/api/v1/authorizationServers": (200, 200),
    "/api/v1/zones": (200, 200),
    "/api/v1/iam/assignees/users": (100, 100),
}

USER_FILTER = {"status": {"eq"}, "id": {"eq"}, "profile.login": {"eq"}, "profile.email": {"eq"},
               "profile.firstName": {"eq"}, "profile.lastName": {"eq"},
               "lastUpdated": {"eq", "gt", "ge", "lt", "le"}}
GROUP_FILTER = {"id": {"eq"}, "type": {"eq"}, "lastUpdated": {"eq", "gt", "ge", "lt", "le"},
                "lastMembershipUpdated": {"eq", "gt", "ge", "lt", "le"}}
APP_FILTER = {"status": {"eq"}, "name": {"eq"}, "id": {"eq"}, "user.id": {"eq"}, "group.id": {"eq"}}
LOG_FILTER = None  # any attribute, Okta's SCIM subset
SEARCH_OPS = {"eq", "ne", "sw", "co", "ew", "gt", "ge", "lt", "le", "pr"}

ERRORS = {
    400: ("E0000031", "Invalid search criteria."),
    401: ("E0000011", "Invalid token provided"),
    403: ("E0000006", "You do not have permission to perform the requested action"),
    404: ("E0000007", "Not found: Resource not found"),
    405: ("E0000022", "The endpoint does not support the provided HTTP method"),
    429: ("E0000047", "API call exceeded rate limit due to too many requests."),
    500: ("E0000009", "Internal Server Error"),
    502: ("E0000009", "Bad Gateway"),
    503: ("E0000010", "Service is temporarily unavailable"),
    504: ("E0000009", "Gateway Timeout"),
}


class HttpError(Exception):
    def __init__(self, status, code=None, summary=None, causes=None, headers=None, body=None):
        super().__init__(summary)
        self.status = status
        self.code = code or ERRORS.get(status, ("E0000009", ""))[0]
        self.summary = summary or ERRORS.get(status, ("", "Error"))[1]
        self.causes = causes or []
        self.headers = headers or {}
        self.body = body


def template_of(path):
    """/api/v1/users/00u123/roles -> /api/v1/users/{id}/roles"""
    parts = path.split("/")
    out = []
    for i, p in enumerate(parts):
        if i >= 4 and p and p not in ("users", "groups", "roles", "factors", "apps", "rules", "logs",
                                       "org", "privacy", "oktaSupport", "meta", "types", "user", "devices",
                                       "policies", "zones", "trustedOrigins", "authorizationServers", "idps",
                                       "authenticators", "iam", "assignees", "lifecycle",
                                       "authenticator-enrollments"):
            out.append("{id}")
        else:
            out.append(p)
    return "/".join(out)


# Okta's rate-limit buckets, most specific first: a path belongs to the
# first that matches. Okta's published management rate limits
# (https://developer.okta.com/docs/reference/rl-global-mgmt/: "endpoints
# that end with an asterisk ... refer to calls that use that base schema and
# don't match a specific endpoint"), and recorded traffic showing /users,
# /users/{id}/factors and /users/{id}/roles drawing down one counter (issue
# 13). The extension's table is the same (ext/ratelimit.c).
BUCKETS = [
    ("GET", re.compile(r"^/api/v1/users/[^/]+$"), "GET /api/v1/users/{id}"),
    (None, re.compile(r"^/api/v1/users(/|$)"), "/api/v1/users*"),
    (None, re.compile(r"^/api/v1/groups(/|$)"), "/api/v1/groups*"),
    (None, re.compile(r"^/api/v1/apps(/|$)"), "/api/v1/apps*"),
    (None, re.compile(r"^/api/v1/logs(/|$)"), "/api/v1/logs"),
    (None, re.compile(r"^/api/v1/"), "/api/v1/*"),
]


def bucket_of(method, path):
    """The rate-limit bucket of a request: /api/v1/users/00u1/factors -> /api/v1/users*"""
    for m, pattern, name in BUCKETS:
        if (m is None or m == method) and pattern.match(path):
            return name
    return template_of(path)


class Fake:
    """State of the fake org: data, settings, faults, request log."""

    def __init__(self, n_users=2000, seed=7):
        self.lock = threading.Lock()
        self.n_users, self.seed = n_users, seed
        self.org = fixture.build_org(n_users, seed)
        self.replay = None  # replay.Replay: answer with real recorded exchanges (--replay)
        self.reset()

    def reset(self):
        with self.lock:
            self.log = []
            self.faults = []
            self.config = {"token": DEFAULT_TOKEN, "latency_ms": 0, "rate_limits": {}, "default_rate_limit": 100000,
                           "concurrency_limit": 0, "roles_forbidden": False, "support_forbidden": False,
                           "logs_forbidden": False, "rules_disabled": False, "assignees_forbidden": False,
                           "gzip": True, "groups_max": None}
            self.windows = {}
            self.inflight = 0
            self.req_counter = 0
            self.cache = {}
            self.json_cache = {}
            self.keys_cache = {}
            self.oauth = None

    def rebuild(self, n_users=None, seed=None, version=None):
        self.n_users = n_users or self.n_users
        self.seed = seed or self.seed
        org = fixture.build_org(self.n_users, self.seed)
        if version == 2:
            mutate_v2(org)
        with self.lock:
            self.org = org
            self.cache = {}
            self.json_cache = {}
            self.keys_cache = {}

    # ------------------------------------------------------------ helpers
    def enc(self, obj, variant=""):
        """JSON of an org object, serialised once."""
        key = (id(obj), variant)
        s = self.json_cache.get(key)
        if s is None:
            s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            self.json_cache[key] = s
        return s

    def next_request_id(self):
        with self.lock:
            self.req_counter += 1
            return "req%06d%s" % (self.req_counter, "X" * 6)

    def rate(self, bucket):
        """Counts a request against its bucket's budget. Okta counts in fixed
        one-minute windows that end at the minute, and X-Rate-Limit-Reset is
        the window's end (OKTA-API.md, "Rate limits"); rate_window_s shortens
        the window for tests, default 60. A 429 counts too."""
        now = time.time()
        span = self.config.get("rate_window_s", 60)
        window = int(now // span) * span
        limits = self.config["rate_limits"]
        limit = limits.get(bucket, self.config["default_rate_limit"])
        with self.lock:
            w = self.windows.get(bucket)
            if not w or w[0] != window:
                w = [window, 0]
                self.windows[bucket] = w
            w[1] += 1
            used = w[1]
        remaining = max(0, limit - used)
        headers = {"X-Rate-Limit-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining),
                   "X-Rate-Limit-Reset": str(int(window + span))}
        return used > limit, headers


def mutate_v2(org):
    """A later state of the same org, for snapshot/changes tests: one user
    deprovisioned, one user added, an app assignment removed, a new admin."""
    active = [u for u in org.users if u["status"] == "ACTIVE"]
    victim = active[10]
    victim["status"] = "DEPROVISIONED"
    newbie = json.loads(json.dumps(active[11]))
    newbie["id"] = "00uNEWuserV2xxxxx1d7"
    newbie["profile"]["login"] = newbie["profile"]["email"] = "new.hire@example.com"
    org.users.append(newbie)
    for gid in list(org.members):
        if active[11]["id"] in org.members[gid]:
            org.members[gid] = sorted(org.members[gid] + [newbie["id"]])
    bookmark = next(a for a in org.apps if a["label"] == "Wiki")
    removed = org.app_users[bookmark["id"]][0]
    org.app_users[bookmark["id"]] = org.app_users[bookmark["id"]][1:]
    org.removed_assignment = (bookmark["id"], removed["id"])
    promoted = active[12]
    r = dict(next(iter(org.user_roles.values()))[0])
    r.update({"id": fixture.ROLE_IDS["ORG_ADMIN"], "type": "ORG_ADMIN", "label": fixture.ROLE_LABELS["ORG_ADMIN"],
              "assignmentType": "USER"})
    org.user_roles.setdefault(promoted["id"], []).append(r)
    org.index()


class Page:
    """A response: JSON body (text), status, headers, next cursor."""

    def __init__(self, body, status=200, headers=None):
        self.body = body
        self.status = status
        self.headers = headers or {}


def admin_base(base_url):
    """The org's admin host: the first DNS label with "-admin" appended
    (https://acme.okta.com -> https://acme-admin.okta.com). Real orgs link
    their /api/v1/iam/ responses there: recorded-gets.jsonl, GET
    https://classic-00.dne-okta.com/api/v1/iam/roles/cr0vuafawhsjD2QCC1d7
    answers Link: <https://classic-00-admin.dne-okta.com/api/v1/iam/roles/...>.
    An IP address (a test org on 127.0.0.1) has none: links stay on it."""
    scheme, _, hostport = base_url.partition("://")
    host, sep, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
    if not host or host.startswith("[") or re.fullmatch(r"[0-9.]+", host):
        return base_url
    label, dot, rest = host.partition(".")
    return "%s://%s-admin%s%s%s%s" % (scheme, label, dot, rest, sep, port)


def paginate(fake, req, items, tmpl, key="id", encode=None, polling=False, body_paged=False):
    """Cursor paging over items sorted by key; Link headers like Okta's."""
    default, maximum = LIMITS.get(tmpl, (200, 200))
    # tests shrink an endpoint's pages to see paging (config page_max: {template: n})
    maximum = min(maximum, fake.config.get("page_max", {}).get(tmpl, maximum))
    default = min(default, maximum)
    if tmpl == "/api/v1/groups" and fake.config.get("groups_max"):
        default = maximum = fake.config["groups_max"]
    q = req.query
    try:
        limit = int(q.get("limit", default))
    except ValueError:
        raise HttpError(400, "E0000001", "Api validation failed: limit")
    if limit < 1:
        limit = default
    limit = min(limit, maximum)
    after = q.get("after")
    cached_keys = fake.keys_cache.get((id(items), key))
    if cached_keys and cached_keys[0] is items:
        keys = cached_keys[1]
    else:
        keys = [it[key] for it in items]
        if len(items) > 1000:
            with fake.lock:
                fake.keys_cache[(id(items), key)] = (items, keys)
    start = 0
    if after:
        start = bisect.bisect_right(keys, after)
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    enc = encode or fake.enc
    body = "[" + ",".join(enc(it) for it in chunk) + "]"
    base = (admin_base(req.base_url) if tmpl.startswith("/api/v1/iam/") else req.base_url) + req.path
    params = [(k, v) for k, v in req.query_list if k not in ("after", "limit")]
    selfq = urllib.parse.urlencode(params + [("limit", str(limit))] + ([("after", after)] if after else []))
    links = ['<%s?%s>; rel="self"' % (base, selfq)]
    nxt = None
    if more or polling:
        cursor = chunk[-1][key] if chunk else (after or "")
        nxt = "%s?%s" % (base, urllib.parse.urlencode(params + [("after", cursor), ("limit", str(limit))]))
        links.append('<%s>; rel="next"' % nxt)
    if body_paged:
        value = [json.loads(enc(it)) for it in chunk]
        doc = {"value": value}
        if nxt:
            doc["_links"] = {"next": {"href": nxt}}
        return Page(json.dumps(doc))
    return Page(body, headers={"Link": links, "_next": nxt})


def parse_expr(s, allowed, code="E0000031", summary="Invalid search criteria.", no_not=False):
    try:
        tree = expr.parse(s)
        expr.check(tree, allowed)
        if no_not and expr.uses(tree, "not"):
            # spec, listUsers "filter": "The not operator isn't supported."
            raise expr.ExprError("The not operator isn't supported")
        return tree
    except expr.ExprError as e:
        raise HttpError(400, code, summary, [{"errorSummary": str(e)}])


def not_found(what, ident):
    raise HttpError(404, "E0000007", "Not found: Resource not found: %s (%s)" % (ident, what))


class Request:
    def __init__(self, method, raw_path, headers, base_url):
        self.method = method
        path, _, qs = raw_path.partition("?")
        self.raw_path = path
        # split before decoding: an encoded '/' must not change the route
        self.segments = [urllib.parse.unquote(s) for s in path.split("/")]
        self.path = path
        self.raw_query = qs
        self.query_list = urllib.parse.parse_qsl(qs, keep_blank_values=True)
        self.query = dict(self.query_list)
        self.headers = headers
        self.base_url = base_url


# ---------------------------------------------------------------- handlers

def cached(fake, key, compute):
    with fake.lock:
        v = fake.cache.get(key)
    if v is None:
        v = compute()
        with fake.lock:
            fake.cache[key] = v
    return v


def h_users(fake, req):
    org, q = fake.org, req.query
    if "q" in q:
        needle = q["q"].lower()
        items = [u for u in org.users if u["status"] != "DEPROVISIONED" and any(
            (u["profile"].get(f) or "").lower().startswith(needle) for f in ("firstName", "lastName", "email", "login"))]
        limit = min(int(q.get("limit", 10)), 200)
        return Page("[" + ",".join(fake.enc(u) for u in items[:limit]) + "]")
    if "filter" in q and "search" in q:
        raise HttpError(400, "E0000031", "Invalid search criteria.", [{"errorSummary": "filter and search cannot be combined"}])

    def compute():
        if "filter" in q:
            tree = parse_expr(q["filter"], USER_FILTER, no_not=True)
            items = [u for u in org.users if expr.evaluate(tree, u)]
        elif "search" in q:
            tree = parse_expr(q["search"], None)
            # string values compare case-insensitively (spec, listUsers "search")
            items = [u for u in org.users if expr.evaluate(tree, u, nocase=True)]
        else:
            items = [u for u in org.users if u["status"] != "DEPROVISIONED"]
        return sorted(items, key=lambda u: u["id"])
    items = cached(fake, ("users", q.get("filter"), q.get("search")), compute)
    return paginate(fake, req, items, "/api/v1/users")


def user_or_404(fake, uid):
    u = fake.org.user_by_id.get(uid)
    if not u:
        # Okta also accepts a login in place of the id
        u = next((x for x in fake.org.users if x["profile"]["login"] == uid), None)
    if not u:
        not_found("User", uid)
    return u


def group_variant(req):
    return "stats" if req.query.get("expand") == "stats" else "plain"


def group_encoder(fake, req):
    stats = group_variant(req) == "stats"

    def enc(g):
        if stats:
            return fake.enc(g, "stats")
        key = (id(g), "plain")
        s = fake.json_cache.get(key)
        if s is None:
            gg = {k: v for k, v in g.items() if k != "_embedded"}
            s = json.dumps(gg, ensure_ascii=False, separators=(",", ":"))
            fake.json_cache[key] = s
        return s
    return enc


def groups_stats_check(fake, req):
    """500 for a groups listing with expand=stats and more than 200 a page:
    large real orgs fail those (graph-okta's groups step dropped to smaller
    pages, halved on error, then dropped expand; issue 13, item 2). Config
    groups_stats_500 fails expand=stats at any page size."""
    if group_variant(req) != "stats":
        return
    try:
        limit = int(req.query.get("limit", LIMITS["/api/v1/groups"][0]))
    except ValueError:
        return  # paginate answers 400
    if limit > 200 or fake.config.get("groups_stats_500"):
        raise HttpError(500)


def h_groups(fake, req):
    org, q = fake.org, req.query
    enc = group_encoder(fake, req)
    groups_stats_check(fake, req)
    if "q" in q:
        items = sorted([g for g in org.groups if g["profile"]["name"].lower().startswith(q["q"].lower())],
                       key=lambda g: g["id"])
        limit = min(int(q.get("limit", 10000)), 10000)
        return Page("[" + ",".join(enc(g) for g in items[:limit]) + "]")

    def compute():
        if "filter" in q:
            tree = parse_expr(q["filter"], GROUP_FILTER, no_not=True)
        elif "search" in q:
            tree = parse_expr(q["search"], None)
        else:
            tree = None
        # search values compare case-insensitively, as the spec says of listUsers' search
        nocase = "filter" not in q
        items = [g for g in org.groups if tree is None or expr.evaluate(tree, g, nocase=nocase)]
        return sorted(items, key=lambda g: g["id"])
    items = cached(fake, ("groups", q.get("filter"), q.get("search")), compute)
    return paginate(fake, req, items, "/api/v1/groups", encode=enc)


def h_group(fake, req, gid):
    g = fake.org.group_by_id.get(gid) or not_found("UserGroup", gid)
    return Page(group_encoder(fake, req)(g))


def h_group_users(fake, req, gid):
    if gid not in fake.org.group_by_id:
        not_found("UserGroup", gid)
    items = cached(fake, ("members", gid), lambda: sorted(
        (fake.org.user_by_id[u] for u in fake.org.members.get(gid, [])), key=lambda u: u["id"]))
    return paginate(fake, req, items, "/api/v1/groups/{id}/users")


def h_user_groups(fake, req, uid):
    u = user_or_404(fake, uid)
    items = sorted((fake.org.group_by_id[g] for g in fake.org.user_groups.get(u["id"], [])), key=lambda g: g["id"])
    return paginate(fake, req, items, "/api/v1/users/{id}/groups", encode=group_encoder(fake, req))


def app_resolver(fake):
    org = fake.org

    def resolve(app, attr):
        if attr == "user.id":
            return [au["id"] for au in org.app_users.get(app["id"], [])]
        if attr == "group.id":
            return [ag["id"] for ag in org.app_groups.get(app["id"], [])]
        return expr.resolve(app, attr)
    return resolve


def single_app_filter(f):
    """400 E0000031 for an /apps filter of more than one expression: Okta's
    Apps reference said "Only a single expression is supported" until late
    2025, and every recorded client sends one term (issue 13, item 1)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', f)  # quoted values may hold anything
    if re.search(r"[()]|\s(and|or)\s", bare, re.I):
        raise HttpError(400, "E0000031", "Invalid search criteria.",
                        [{"errorSummary": "Only a single expression is supported"}])


def h_apps(fake, req):
    org, q = fake.org, req.query

    def compute():
        items = org.apps
        if "filter" in q:
            single_app_filter(q["filter"])
            tree = parse_expr(q["filter"], APP_FILTER)
            res = app_resolver(fake)
            items = [a for a in items if expr.evaluate(tree, a, res)]
        if "q" in q:
            needle = q["q"].lower()
            items = [a for a in items if a["name"].lower().startswith(needle) or a["label"].lower().startswith(needle)]
        return sorted(items, key=lambda a: a["id"])
    items = cached(fake, ("apps", q.get("filter"), q.get("q")), compute)
    return paginate(fake, req, items, "/api/v1/apps")


def app_or_404(fake, aid):
    return fake.org.app_by_id.get(aid) or not_found("AppInstance", aid)


def h_app(fake, req, aid):
    return Page(fake.enc(app_or_404(fake, aid)))


def h_app_users(fake, req, aid):
    app_or_404(fake, aid)
    items = fake.org.app_users.get(aid, [])
    if "q" in req.query:
        items = app_users_q(items, req.query["q"])
    return paginate(fake, req, items, "/api/v1/apps/{id}/users")


def h_app_user(fake, req, aid, uid):
    app_or_404(fake, aid)
    au = next((x for x in fake.org.app_users.get(aid, []) if x["id"] == uid), None) or not_found("AppUser", uid)
    return Page(fake.enc(au))


def h_app_groups(fake, req, aid):
    app_or_404(fake, aid)
    return paginate(fake, req, fake.org.app_groups.get(aid, []), "/api/v1/apps/{id}/groups")


def h_app_group(fake, req, aid, gid):
    app_or_404(fake, aid)
    ag = next((x for x in fake.org.app_groups.get(aid, []) if x["id"] == gid), None) or not_found("AppGroup", gid)
    return Page(fake.enc(ag))


def h_factors(fake, req, uid):
    u = user_or_404(fake, uid)
    return Page(json.dumps(fake.org.factors.get(u["id"], [])))


def h_enrollments(fake, req, uid):
    """GET /api/v1/users/{id}/authenticator-enrollments: every enrollment,
    not paged (spec: listAuthenticatorEnrollments, Identity Engine only,
    example AuthenticatorEnrollmentResponseListAll); a missing user is 404
    E0000007 "... (User)" (error_404_user.real.json). An org without the
    endpoint: config enrollments_unavailable {"status", "code", "summary",
    "body"}; the sources do not say what a classic org answers, so the
    tests try 404 without E0000007, 400 and 403."""
    na = fake.config.get("enrollments_unavailable")
    if na:
        raise HttpError(na.get("status", 404), na.get("code"), na.get("summary"), body=na.get("body"))
    u = user_or_404(fake, uid)
    return Page(json.dumps(fake.org.enrollments.get(u["id"], [])))


def h_user_roles(fake, req, uid):
    if fake.config["roles_forbidden"]:
        raise HttpError(403)
    u = user_or_404(fake, uid)
    return Page(json.dumps(fake.org.roles_of_user(u["id"])))


def h_group_roles(fake, req, gid):
    if fake.config["roles_forbidden"]:
        raise HttpError(403)
    if gid not in fake.org.group_by_id:
        not_found("UserGroup", gid)
    return Page(json.dumps(fake.org.group_roles.get(gid, [])))


def h_assignees(fake, req):
    if fake.config["roles_forbidden"] or fake.config["assignees_forbidden"]:
        raise HttpError(403)
    items = [{"id": uid, "orn": "orn:okta:directory:%s:users:%s" % (fake.org.org["id"], uid),
              "_links": {"self": {"href": "%s/api/v1/users/%s" % (req.base_url, uid)},
                         "roles": {"href": "%s/api/v1/users/%s/roles" % (req.base_url, uid)}}}
             for uid in fake.org.admins()]
    return paginate(fake, req, items, "/api/v1/iam/assignees/users", encode=lambda it: json.dumps(it), body_paged=True)


def h_rules(fake, req):
    if fake.config["rules_disabled"]:
        raise HttpError(400, "E0000001", "Api validation failed: Group rules are not enabled for this org",
                        [{"errorSummary": "The group rules feature is not enabled for this org."}])
    items = sorted(fake.org.rules, key=lambda r: r["id"])
    if "search" in req.query:
        items = [r for r in items if req.query["search"].lower() in r["name"].lower()]
    return paginate(fake, req, items, "/api/v1/groups/rules")


def h_rule(fake, req, rid):
    r = next((x for x in fake.org.rules if x["id"] == rid), None) or not_found("GroupRule", rid)
    return Page(fake.enc(r))


def parse_time(s, name):
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, "E0000001", "Api validation failed: '%s': The date format in your query is not recognized. "
                        "Please enter dates using ISO8601 string format." % name,
                        [{"errorSummary": "%s: The date format in your query is not recognized." % name}])


def h_logs(fake, req):
    if fake.config["logs_forbidden"]:
        raise HttpError(403)
    q = req.query
    now = datetime.now(timezone.utc)
    since = parse_time(q["since"], "since") if "since" in q else now - timedelta(days=7)
    until = parse_time(q["until"], "until") if "until" in q else None
    # target.id eq "X" matches an event with X among any of its targets (expr.resolve):
    # the System Log query guide filters on target.id, and the spec's ListLogs
    # example (log_events.json) has an event with two targets
    tree = parse_expr(q["filter"], LOG_FILTER, "E0000053", "Invalid filter") if "filter" in q else None
    key = ("logs", q.get("since"), q.get("until"), q.get("filter"), q.get("q"))

    # Okta keeps the System Log for 90 days (OKTA-API.md, System Log): older
    # events are gone whatever since= asks for.
    kept = fixture.iso(now - timedelta(days=90))

    def compute():
        out = []
        s_iso, u_iso = fixture.iso(since), fixture.iso(until) if until else None
        now_ts = time.time()
        for e in fake.org.logs:
            if e["published"] < s_iso or e["published"] < kept or (u_iso and e["published"] >= u_iso):
                continue
            if not mutate.visible(fake.org, e, now_ts):  # written, not yet readable
                continue
            if tree is not None and not expr.evaluate(tree, e):
                continue
            if "q" in q and q["q"].lower() not in json.dumps(e).lower():
                continue
            out.append(e)
        # cursor by uuid needs uuid order within the result
        return sorted(out, key=lambda e: e["uuid"])
    items = cached(fake, key, compute) if until and not mutate.lagging(fake.org) else compute()
    # Real orgs (issue 13, item 4): self and next come in ONE comma-joined
    # Link line (RFC 8288 allows either form), and an empty page of a
    # bounded query links next to its own URL: the end, not a loop. A
    # polling query (no until) links on from every page (OKTA-API.md).
    page = paginate(fake, req, items, "/api/v1/logs", key="uuid", polling=until is None)
    if until and page.body == "[]":
        own = req.base_url + req.path + ("?" + req.raw_query if req.raw_query else "")
        page.headers["Link"] = [page.headers["Link"][0], '<%s>; rel="next"' % own]
        page.headers["_next"] = own
    page.headers["Link"] = ", ".join(page.headers["Link"])
    return page


def h_org(fake, req):
    return Page(fake.enc(fake.org.org))


def h_support(fake, req):
    if fake.config["support_forbidden"]:
        raise HttpError(403)
    return Page(fake.enc(fake.org.support))


def h_user_types(fake, req):
    return Page(json.dumps(fake.org.user_types))


def h_user_type(fake, req, tid):
    t = next((x for x in fake.org.user_types if x["id"] == tid), None) or not_found("UserType", tid)
    return Page(json.dumps(t))


def h_devices(fake, req):
    check_forbidden(fake, req)
    expand = req.query.get("expand")
    items = sorted(fake.org.devices, key=lambda d: d["id"])
    if "search" in req.query:
        items = device_search(fake, items, req.query["search"])

    def enc(d):
        if expand == "user":
            return fake.enc(d)
        return json.dumps({k: v for k, v in d.items() if k != "_embedded"})
    return paginate(fake, req, items, "/api/v1/devices", encode=enc)


# Every PolicyType of Okta's OpenAPI spec (v2026.06.3, components.schemas.PolicyType)
# but the two Early Access ones, which this org has not enabled.
POLICY_TYPES = {"ACCESS_POLICY", "ENTITY_RISK", "IDP_DISCOVERY", "MFA_ENROLL", "OKTA_SIGN_ON", "PASSWORD",
                "POST_AUTH_SESSION", "PROFILE_ENROLLMENT", "SESSION_VIOLATION_DETECTION", "CLIENT_UPDATE"}


def h_policies(fake, req):
    t = req.query.get("type")
    if not t:
        raise HttpError(400, "E0000001", "Api validation failed: type", [{"errorSummary": "type: The field cannot be left blank"}])
    if t not in POLICY_TYPES:
        # a type the org lacks (ACCESS_POLICY on a classic org, OAUTH_AUTHORIZATION_POLICY anywhere):
        # 400 E0000002, errorCauses [] (okta/terraform-provider-okta issues #64 and #1202)
        raise HttpError(400, "E0000002", "The request was not valid: Invalid policy type specified.")
    return Page(json.dumps(fake.org.policies.get(t, [])))


def h_policy(fake, req, pid):
    for pl in fake.org.policies.values():
        for p in pl:
            if p["id"] == pid:
                return Page(json.dumps(p))
    not_found("Policy", pid)


def simple_list(attr, tmpl):
    def h(fake, req):
        items = sorted(getattr(fake.org, attr), key=lambda x: x["id"])
        return paginate(fake, req, items, tmpl, encode=lambda it: json.dumps(it))
    return h


def simple_get(attr, what):
    def h(fake, req, ident):
        for it in getattr(fake.org, attr):
            if it["id"] == ident:
                return Page(json.dumps(it))
        not_found(what, ident)
    return h


def h_authenticators(fake, req):
    return Page(json.dumps(fake.org.authenticators))


# ------------------------------------------------ peer endpoints (issue 15)

# Page sizes (default, max) from the spec (okta-management-openapi v2026.06.3):
# owners limit default 1000; resource set resources default 100; custom token
# scopes maximum 200. The other listings below have no paging parameters.
LIMITS.update({
    "/api/v1/groups/{id}/owners": (1000, 1000),
    "/api/v1/iam/resource-sets/{id}/resources": (100, 100),
    "/api/v1/authorizationServers/{id}/scopes": (200, 200),
})


def check_forbidden(fake, req):
    """403 E0000006 for paths the test made forbidden (config "forbidden":
    list of regexes), as Okta answers a token without the role or scope
    (spec: every operation below lists 403 ErrorAccessDenied)."""
    for rx in fake.config.get("forbidden") or ():
        if re.search(rx, req.path):
            raise HttpError(403)


def find_policy(fake, pid):
    for pl in fake.org.policies.values():
        for p in pl:
            if p["id"] == pid:
                return p
    not_found("Policy", pid)


def h_policy_rules(fake, req, pid):
    # Not paged: the recorded GET /policies/{id}/rules answers have no Link
    # header at all (recorded-gets.jsonl, classic-00 and oie-00).
    check_forbidden(fake, req)
    find_policy(fake, pid)
    return Page(json.dumps(fake.org.policy_rules.get(pid, [])))


def h_policy_mappings(fake, req, pid):
    # Apps map to app sign-in and profile enrollment policies: only those
    # carry a "mappings" link (recorded ACCESS_POLICY listing). For another
    # type the answer is not recorded; the spec lists 404 for this operation.
    check_forbidden(fake, req)
    p = find_policy(fake, pid)
    if p["type"] not in ("ACCESS_POLICY", "PROFILE_ENROLLMENT"):
        not_found("PolicyMapping", pid)
    return Page(json.dumps(fake.org.policy_mappings.get(pid, [])))


def h_api_tokens(fake, req):
    # Metadata only, not paged (spec: listApiTokens has no paging parameters).
    check_forbidden(fake, req)
    return Page(json.dumps(sorted(fake.org.api_tokens, key=lambda t: t["id"])))


def h_api_token(fake, req, tid):
    check_forbidden(fake, req)
    t = next((x for x in fake.org.api_tokens if x["id"] == tid), None) or not_found("ApiToken", tid)
    return Page(json.dumps(t))


def iam_check(fake, req):
    """The /iam endpoints need okta.roles.read or a Super Administrator
    token, as the role assignments do (spec security of listRoles)."""
    if fake.config["roles_forbidden"]:
        raise HttpError(403)
    check_forbidden(fake, req)


def body_page(fake, req, items, key, size):
    """The /iam listings page in the body: {"<key>": [...], "_links": {"next":
    {"href": ...}}} (spec examples of listRoles, listResourceSets,
    listResourceSetResources). Real orgs put these links on the org's -admin
    host (recorded Link of GET /iam/roles/{id}); until the runtime follows
    those (issue 13 item 5) the fake links to the configured origin."""
    iam_check(fake, req)
    try:
        size = int(req.query.get("limit", size))
    except ValueError:
        raise HttpError(400, "E0000001", "Api validation failed: limit")
    items = sorted(items, key=lambda x: x["id"])
    after = req.query.get("after")
    start = bisect.bisect_right([x["id"] for x in items], after) if after else 0
    chunk = items[start:start + size]
    links = {"self": {"href": req.base_url + req.path}}
    if start + size < len(items):
        q = [("after", chunk[-1]["id"])] + ([("limit", req.query["limit"])] if "limit" in req.query else [])
        links["next"] = {"href": "%s%s?%s" % (req.base_url, req.path, urllib.parse.urlencode(q))}
    return Page(json.dumps({key: chunk, "_links": links}))


def iam_page_size(fake):
    # The spec gives listRoles and listResourceSets no page size; tests set a
    # small one (config "iam_page_size") to make them page.
    return fake.config.get("iam_page_size") or 100


def h_iam_roles(fake, req):
    return body_page(fake, req, fake.org.custom_roles, "roles", iam_page_size(fake))


def h_iam_role(fake, req, rid):
    iam_check(fake, req)
    r = next((x for x in fake.org.custom_roles if rid in (x["id"], x["label"])), None) or not_found("Role", rid)
    return Page(json.dumps(r))


def h_iam_role_permissions(fake, req, rid):
    # Not paged: {"permissions": [...]} and no links (spec: no paging
    # parameters; recorded GET /iam/roles/{id}/permissions).
    iam_check(fake, req)
    r = next((x for x in fake.org.custom_roles if rid in (x["id"], x["label"])), None) or not_found("Role", rid)
    return Page(json.dumps({"permissions": fake.org.role_permissions.get(r["id"], [])}))


def h_resource_sets(fake, req):
    return body_page(fake, req, fake.org.resource_sets, "resource-sets", iam_page_size(fake))


def resource_set_or_404(fake, sid):
    return next((x for x in fake.org.resource_sets if sid in (x["id"], x["label"])), None) or \
        not_found("ResourceSet", sid)


def h_resource_set(fake, req, sid):
    iam_check(fake, req)
    return Page(json.dumps(resource_set_or_404(fake, sid)))


def h_resource_set_resources(fake, req, sid):
    rs = resource_set_or_404(fake, sid)
    default = LIMITS["/api/v1/iam/resource-sets/{id}/resources"][0]
    return body_page(fake, req, fake.org.resource_set_resources.get(rs["id"], []), "resources", default)


OWNER_SEARCH = {"type": {"eq"}}  # spec: "Allows you to filter owners by type"


def h_group_owners(fake, req, gid):
    check_forbidden(fake, req)
    if gid not in fake.org.group_by_id:
        not_found("UserGroup", gid)
    items = sorted(fake.org.group_owners.get(gid, []), key=lambda w: w["id"])
    if "search" in req.query:
        tree = parse_expr(req.query["search"], OWNER_SEARCH)
        items = [w for w in items if expr.evaluate(tree, w)]
    return paginate(fake, req, items, "/api/v1/groups/{id}/owners", encode=lambda it: json.dumps(it))


def auth_server_or_404(fake, req, sid):
    check_forbidden(fake, req)
    if not any(s["id"] == sid for s in fake.org.auth_servers):
        not_found("AuthorizationServer", sid)


def h_as_policies(fake, req, sid):
    # Policies, claims, clients and policy rules are not paged (spec: no
    # paging parameters; recorded GET .../policies and .../claims have no Link).
    auth_server_or_404(fake, req, sid)
    return Page(json.dumps(fake.org.as_policies.get(sid, [])))


def h_as_policy_rules(fake, req, sid, pid):
    auth_server_or_404(fake, req, sid)
    if (sid, pid) not in fake.org.as_rules:
        not_found("AuthorizationServerPolicy", pid)
    return Page(json.dumps(fake.org.as_rules[(sid, pid)]))


def h_as_scopes(fake, req, sid):
    # Paged, limit at most 200 (spec); q "searches the name" (spec; how it
    # matches is not documented: the fake matches anywhere, ignoring case).
    auth_server_or_404(fake, req, sid)
    items = sorted(fake.org.as_scopes.get(sid, []), key=lambda x: x["id"])
    if "q" in req.query:
        items = [x for x in items if req.query["q"].lower() in x["name"].lower()]
    return paginate(fake, req, items, "/api/v1/authorizationServers/{id}/scopes", encode=lambda it: json.dumps(it))


def h_as_claims(fake, req, sid):
    auth_server_or_404(fake, req, sid)
    return Page(json.dumps(fake.org.as_claims.get(sid, [])))


def h_as_clients(fake, req, sid):
    auth_server_or_404(fake, req, sid)
    return Page(json.dumps(fake.org.as_clients.get(sid, [])))


# Device search (spec listDevices): profile attributes, id, status and
# lastUpdated; eq everywhere, co on six profile attributes, ranges on
# lastUpdated; comparisons ignore case ("conforming SCIM filter
# specifications (case-insensitive)").
DEVICE_CO = {"profile.displayName", "profile.serialNumber", "profile.imei", "profile.meid", "profile.udid",
             "profile.sid"}


def device_search(fake, items, search):
    tree = parse_expr(search, None)

    def check(t):
        if t[0] in ("and", "or"):
            check(t[1])
            check(t[2])
        elif t[0] == "not":
            check(t[1])
        else:
            _, attr, op, _ = t
            ok = attr in ("id", "status", "lastUpdated") or attr.startswith("profile.")
            ok = ok and (op == "eq" or (op == "co" and attr in DEVICE_CO) or
                         (attr == "lastUpdated" and op in ("gt", "ge", "lt", "le")))
            if not ok:
                raise HttpError(400, "E0000031", "Invalid search criteria.", [{"errorSummary": "%s %s" % (attr, op)}])

    def low(t):
        if t[0] in ("and", "or"):
            return (t[0], low(t[1]), low(t[2]))
        if t[0] == "not":
            return (t[0], low(t[1]))
        return t[:3] + (t[3].lower() if isinstance(t[3], str) else t[3],)
    check(tree)
    tree = low(tree)

    def resolve(d, attr):
        v = expr.resolve(d, attr)
        return v.lower() if isinstance(v, str) else v
    return [d for d in items if expr.evaluate(tree, d, resolve)]


def h_user_devices(fake, req, uid):
    # GET /users/{id}/devices (spec listUserDevices): UserDevice wrappers
    # {created, deviceUserId, device}, not paged.
    u = user_or_404(fake, uid)
    out = []
    for d in sorted(fake.org.devices, key=lambda x: x["id"]):
        for link in d.get("_embedded", {}).get("users", []):
            if link["user"]["id"] == u["id"]:
                dev = {k: v for k, v in d.items() if k != "_embedded"}
                out.append({"created": link["created"], "deviceUserId": "lnk" + d["id"][3:], "device": dev})
    return Page(json.dumps(out))


def app_users_q(items, q):
    """q on /apps/{id}/users: prefix of userName, firstName, lastName or email
    (spec listApplicationUsers), ignoring case like q on /users."""
    q = q.lower()

    def fields(au):
        p = au.get("profile") or {}
        return [(au.get("credentials") or {}).get("userName"), p.get("firstName"), p.get("lastName"), p.get("email")]
    return [au for au in items if any(isinstance(f, str) and f.lower().startswith(q) for f in fields(au))]


ROUTES = [
    (r"/api/v1/users", h_users),
    (r"/api/v1/users/([^/]+)", lambda f, r, uid: Page(f.enc(user_or_404(f, uid)))),
    (r"/api/v1/users/([^/]+)/groups", h_user_groups),
    (r"/api/v1/users/([^/]+)/factors", h_factors),
    (r"/api/v1/users/([^/]+)/authenticator-enrollments", h_enrollments),
    (r"/api/v1/users/([^/]+)/roles", h_user_roles),
    (r"/api/v1/groups", h_groups),
    (r"/api/v1/groups/rules", h_rules),
    (r"/api/v1/groups/rules/([^/]+)", h_rule),
    (r"/api/v1/groups/([^/]+)", h_group),
    (r"/api/v1/groups/([^/]+)/users", h_group_users),
    (r"/api/v1/groups/([^/]+)/roles", h_group_roles),
    (r"/api/v1/apps", h_apps),
    (r"/api/v1/apps/([^/]+)", h_app),
    (r"/api/v1/apps/([^/]+)/users", h_app_users),
    (r"/api/v1/apps/([^/]+)/users/([^/]+)", h_app_user),
    (r"/api/v1/apps/([^/]+)/groups", h_app_groups),
    (r"/api/v1/apps/([^/]+)/groups/([^/]+)", h_app_group),
    (r"/api/v1/iam/assignees/users", h_assignees),
    (r"/api/v1/logs", h_logs),
    (r"/api/v1/org", h_org),
    (r"/api/v1/org/privacy/oktaSupport", h_support),
    (r"/api/v1/meta/types/user", h_user_types),
    (r"/api/v1/meta/types/user/([^/]+)", h_user_type),
    (r"/api/v1/devices", h_devices),
    (r"/api/v1/policies", h_policies),
    (r"/api/v1/policies/([^/]+)", h_policy),
    (r"/api/v1/zones", simple_list("zones", "/api/v1/zones")),
    (r"/api/v1/zones/([^/]+)", simple_get("zones", "Zone")),
    (r"/api/v1/trustedOrigins", simple_list("trusted_origins", "/api/v1/trustedOrigins")),
    (r"/api/v1/trustedOrigins/([^/]+)", simple_get("trusted_origins", "TrustedOrigin")),
    (r"/api/v1/authorizationServers", simple_list("auth_servers", "/api/v1/authorizationServers")),
    (r"/api/v1/authorizationServers/([^/]+)", simple_get("auth_servers", "AuthorizationServer")),
    (r"/api/v1/idps", simple_list("idps", "/api/v1/idps")),
    (r"/api/v1/idps/([^/]+)", simple_get("idps", "IdentityProvider")),
    (r"/api/v1/authenticators", h_authenticators),
    (r"/api/v1/authenticators/([^/]+)", simple_get("authenticators", "Authenticator")),
    (r"/api/v1/devices/([^/]+)", simple_get("devices", "Device")),
    (r"/api/v1/policies/([^/]+)/rules", h_policy_rules),
    (r"/api/v1/policies/([^/]+)/mappings", h_policy_mappings),
    (r"/api/v1/api-tokens", h_api_tokens),
    (r"/api/v1/api-tokens/([^/]+)", h_api_token),
    (r"/api/v1/iam/roles", h_iam_roles),
    (r"/api/v1/iam/roles/([^/]+)", h_iam_role),
    (r"/api/v1/iam/roles/([^/]+)/permissions", h_iam_role_permissions),
    (r"/api/v1/iam/resource-sets", h_resource_sets),
    (r"/api/v1/iam/resource-sets/([^/]+)", h_resource_set),
    (r"/api/v1/iam/resource-sets/([^/]+)/resources", h_resource_set_resources),
    (r"/api/v1/groups/([^/]+)/owners", h_group_owners),
    (r"/api/v1/authorizationServers/([^/]+)/policies", h_as_policies),
    (r"/api/v1/authorizationServers/([^/]+)/policies/([^/]+)/rules", h_as_policy_rules),
    (r"/api/v1/authorizationServers/([^/]+)/scopes", h_as_scopes),
    (r"/api/v1/authorizationServers/([^/]+)/claims", h_as_claims),
    (r"/api/v1/authorizationServers/([^/]+)/clients", h_as_clients),
    (r"/api/v1/users/([^/]+)/devices", h_user_devices),
]
COMPILED = [(re.compile("^" + p + "$"), h) for p, h in ROUTES]


def replayed(fake, req):
    """The recorded answer of the org replay_host (default: the first) to req."""
    host = fake.config.get("replay_host") or fake.replay.hosts()[0]
    ans = fake.replay.answer(req, host, admin_base)
    if ans is None:
        not_found("not recorded", req.path)
    status, body, headers = ans
    return Page(body, status, headers)


def route(fake, req):
    if fake.replay is not None:
        return replayed(fake, req)
    # Match on the raw path: segments are decoded one by one afterwards.
    for rx, h in COMPILED:
        m = rx.match(req.raw_path)
        if m:
            args = [urllib.parse.unquote(a) for a in m.groups()]
            return h(fake, req, *args)
    raise HttpError(404, "E0000022", "The endpoint does not support the provided HTTP method")


def error_body(e, request_id):
    if e.body is not None:
        return e.body
    return json.dumps({"errorCode": e.code, "errorSummary": e.summary, "errorLink": e.code,
                       "errorId": "oae" + request_id, "errorCauses": e.causes})


# ------------------------------------------------------------------ faults

class Fault:
    """A fault rule: {"path": regex, "query": substring, "times": n (-1 always),
    "skip": n, "kind": ..., plus kind-specific fields}. Kinds:
      status        reply status with an Okta error body (and "rate": {...} headers,
                    "reset_in": seconds for 429, "limit": 0 for a concurrency 429)
      delay         sleep "seconds", then answer normally
      stall         send headers and part of the body, then sleep "seconds"
      reset         send headers and part of the body, then reset the connection
      close         close the connection without answering
      html          answer "status" (default 200) with an HTML page
      empty         200 with an empty body
      truncate      200 with the JSON cut in half (Content-Length matches)
      badutf8       200 with invalid UTF-8 inside a string
      deep          200 with JSON nested "depth" levels
      big           200 with a body of "mb" MiB
      types         200 with every value replaced by one of the wrong type
      foreign_next  a next link to another origin ("target": its origin)
      admin_next    the page's next link moved to the org's admin host, as
                    real /api/v1/iam/ responses send it (see admin_base)
      loop_next     a next link back to the page just served
      redirect      a 302 to "target" + the same path
    """

    def __init__(self, spec):
        self.spec = spec
        self.rx = re.compile(spec.get("path", ".*"))
        self.times = spec.get("times", 1)
        self.skip = spec.get("skip", 0)

    def matches(self, req):
        if not self.rx.search(req.path):
            return False
        if "query" in self.spec and self.spec["query"] not in urllib.parse.unquote(
                urllib.parse.urlencode(req.query_list)):
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times == 0:
            return False
        if self.times > 0:
            self.times -= 1
        return True


def wrong_types(v):
    if isinstance(v, dict):
        return {k: wrong_types(x) if k not in ("id",) else x for k, x in v.items()}
    if isinstance(v, list):
        return {"unexpected": "object instead of array"} if v else None
    if isinstance(v, str):
        return 12345
    if isinstance(v, bool):
        return "yes"
    if isinstance(v, (int, float)):
        return None
    return None


# -------------------------------------------------------------------- http

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOkta/1.0"

    def setup(self):
        super().setup()
        # Without this, delayed ACKs add ~40 ms to every small response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        self.handle_any("POST")

    def do_GET(self):
        self.handle_any("GET")

    def handle_any(self, method):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/__fake/"):
            return self.control(method, body)
        scheme = "https" if getattr(self.server, "tls", False) else "http"
        req = Request(method, self.path, self.headers, "%s://%s" % (scheme, self.headers.get("Host", "localhost")))
        req.body = body
        rid = fake.next_request_id()
        entry = {"method": method, "path": req.path, "query": req.query, "t": time.time(),
                 "retry_for": self.headers.get("X-Okta-Retry-For"),
                 "retry_count": self.headers.get("X-Okta-Retry-Count"),
                 "auth": (self.headers.get("Authorization") or "").split(" ")[0],
                 "user_agent": self.headers.get("User-Agent"), "request_id": rid}
        with fake.lock:
            fake.log.append(entry)
            fake.inflight += 1
            inflight = fake.inflight
        try:
            self.serve(fake, req, rid, entry, inflight)
        finally:
            entry["done"] = time.time()
            with fake.lock:
                fake.inflight -= 1

    def serve(self, fake, req, rid, entry, inflight):
        cfg = fake.config
        if cfg["latency_ms"]:
            time.sleep(cfg["latency_ms"] / 1000.0)
        entry["bucket"] = bucket_of(req.method, req.path)
        over, rate_headers = fake.rate(entry["bucket"])
        entry["window_end"] = int(rate_headers["X-Rate-Limit-Reset"])  # the window it was counted in
        headers = {"X-Okta-Request-Id": rid, "Content-Type": "application/json"}
        headers.update(rate_headers)
        fault = None
        with fake.lock:
            for f in fake.faults:
                if f.matches(req):
                    fault = f.spec
                    break
        try:
            if method_not_allowed(req):
                raise HttpError(405)
            if req.path == "/oauth2/v1/token" and req.method == "POST":
                if not fake.oauth:
                    raise HttpError(401, body=json.dumps({"error": "invalid_client",
                                                          "error_description": "No service app is configured."}))
                st, body, extra = fake.oauth.token_endpoint(oauth.parse_form(req.body), self.headers,
                                                            req.base_url + req.path)
                headers.update(extra)
                entry["status"] = st
                self.send(st, body, headers)
                return
            auth = self.headers.get("Authorization", "")
            if auth.startswith("SSWS "):
                if auth != "SSWS " + cfg["token"]:
                    raise HttpError(401)
            elif fake.oauth:
                denied = fake.oauth.check_api(auth, self.headers, req.method, req.base_url + self.path, req.path)
                if denied:
                    st, body, extra = denied
                    raise HttpError(st, headers=extra, body=body)
            else:
                raise HttpError(401)
            if cfg["concurrency_limit"] and inflight > cfg["concurrency_limit"]:
                raise HttpError(429, headers={"X-Rate-Limit-Limit": "0", "X-Rate-Limit-Remaining": "0",
                                              "X-Rate-Limit-Reset": str(int(time.time()) + 1)})
            if over:
                raise HttpError(429)
            if fault and fault["kind"] == "status":
                st = fault.get("status", 500)
                extra = {}
                if st == 429:
                    reset = int(time.time() + fault.get("reset_in", 0))
                    extra = {"X-Rate-Limit-Limit": str(fault.get("limit", 600)), "X-Rate-Limit-Remaining": "0",
                             "X-Rate-Limit-Reset": str(reset)}
                extra.update(fault.get("headers", {}))
                raise HttpError(st, fault.get("code"), fault.get("summary"), headers=extra,
                                body=fault.get("body"))
            if fault and fault["kind"] == "delay":
                time.sleep(fault.get("seconds", 1))
            if fault and fault["kind"] == "close":
                entry["status"] = 0
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            page = route(fake, req)
            status, body = page.status, page.body
            headers.update({k: v for k, v in page.headers.items() if not k.startswith("_")})
            if fault:
                status, body, headers = self.apply_fault(fault, req, page, status, body, headers)
                if status is None:
                    entry["status"] = 0
                    return
        except HttpError as e:
            status = e.status
            headers.update(e.headers)
            body = error_body(e, rid)
            if status == 403 and body == "":
                headers["Content-Type"] = "application/json"
        entry["status"] = status
        self.send(status, body, headers)

    def apply_fault(self, f, req, page, status, body, headers):
        kind = f["kind"]
        if kind == "html":
            headers["Content-Type"] = "text/html"
            return f.get("status", 200), "<html><body><h1>Service Unavailable</h1>proxy error</body></html>", headers
        if kind == "empty":
            return 200, "", headers
        if kind == "truncate":
            return 200, body[: max(1, len(body) // 2)], headers
        if kind == "badutf8":
            raw = body.encode("utf-8")
            i = raw.find(b'"', 10)
            raw = raw[: i + 1] + b"\xff\xfe\xc3" + raw[i + 1:]
            return 200, raw, headers
        if kind == "deep":
            depth = f.get("depth", 5000)
            return 200, "[" + '{"a":[' * depth + "1" + "]}" * depth + "]", headers
        if kind == "big":
            filler = "x" * 1024
            n = int(f.get("mb", 2) * 1024)
            return 200, '[{"id":"big","pad":"' + filler * n + '"}]', headers
        if kind == "types":
            doc = json.loads(body)
            doc = [wrong_types(x) for x in doc] if isinstance(doc, list) else wrong_types(doc)
            return 200, json.dumps(doc), headers
        if kind == "redirect":
            headers["Location"] = f.get("target", "http://evil.example.com") + req.path
            return f.get("status", 302), "", headers
        if kind == "admin_next":
            nxt = page.headers.get("_next")
            if nxt:
                nxt = admin_base(req.base_url) + nxt[len(req.base_url):]
                headers["Link"] = [headers["Link"][0], '<%s>; rel="next"' % nxt]
            return status, body, headers
        if kind in ("foreign_next", "loop_next"):
            if kind == "foreign_next":
                port = req.headers.get("Host", "x:1").rsplit(":", 1)[-1]
                base = f.get("target", "http://evil.example.com:%s" % port)
                nxt = "%s%s?after=zzz&limit=200" % (base, req.path)
            else:
                qs = urllib.parse.urlencode(req.query_list)
                nxt = "%s%s%s" % (req.base_url, req.path, "?" + qs if qs else "")
            headers["Link"] = ['<%s>; rel="self"' % nxt, '<%s>; rel="next"' % nxt]
            return status, body, headers
        if kind in ("stall", "reset"):
            raw = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(200)
            for k, v in headers.items():
                for vv in (v if isinstance(v, list) else [v]):
                    self.send_header(k, vv)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            if kind == "stall":
                time.sleep(f.get("seconds", 30))
            else:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None, None, None
        return status, body, headers

    def send(self, status, body, headers):
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if (self.server.fake.config.get("gzip") and len(raw) > 1024
                and "gzip" in (self.headers.get("Accept-Encoding") or "")):
            raw = gzip.compress(raw, 1)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        for k, v in headers.items():
            for vv in (v if isinstance(v, list) else [v]):
                self.send_header(k, vv)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def control(self, method, body):
        fake = self.server.fake
        path = self.path.split("?")[0]
        out = {"ok": True}
        if path == "/__fake/requests":
            with fake.lock:
                out = list(fake.log)
        elif path == "/__fake/reset":
            fake.reset()
        elif path == "/__fake/config":
            fake.config.update(json.loads(body or b"{}"))
            with fake.lock:
                fake.cache = {}
        elif path == "/__fake/oauth":
            spec = json.loads(body or b"{}")
            fake.oauth = oauth.OAuth(spec) if spec else None
        elif path == "/__fake/oauth/revoke":
            if fake.oauth:
                fake.oauth.tokens.clear()
        elif path == "/__fake/faults":
            specs = json.loads(body or b"[]")
            with fake.lock:
                fake.faults.extend(Fault(s) for s in specs)
        elif path == "/__fake/org":
            spec = json.loads(body or b"{}")
            fake.rebuild(spec.get("users"), spec.get("seed"), spec.get("version"))
        elif path == "/__fake/mutate":
            spec = json.loads(body or b"{}")
            with fake.lock:
                if "random" in spec:
                    rnd = spec["random"]
                    applied = mutate.random_batch(fake.org, rnd.get("seed"), rnd.get("count", 1), rnd.get("kinds"),
                                                  spec.get("lag", 0), rnd.get("quiet", False))
                else:
                    applied = mutate.apply(fake.org, spec.get("ops", []), spec.get("lag", 0), spec.get("seed"))
                # Serialised objects, paging keys and responses all describe the old org.
                fake.cache, fake.json_cache, fake.keys_cache = {}, {}, {}
            out = {"applied": applied}
        elif path == "/__fake/count":
            with fake.lock:
                out = {"requests": len(fake.log), "rate_limited": sum(1 for e in fake.log if e.get("status") == 429)}
        elif path == "/__fake/info":
            org = fake.org
            out = {"users": len(org.users), "base_url": "http://%s" % self.headers.get("Host"),
                   "deprovisioned": sum(1 for u in org.users if u["status"] == "DEPROVISIONED"),
                   "groups": len(org.groups), "apps": len(org.apps),
                   "factors": sum(len(v) for v in org.factors.values())}
        else:
            out = {"error": "unknown control path"}
        raw = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def method_not_allowed(req):
    if req.method == "GET":
        return False
    return not req.path.startswith("/oauth2/")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # a client that drops the connection (or fails TLS) is not our problem


def make_server(port=0, users=2000, seed=7, host="127.0.0.1", tls_cert=None, tls_key=None, replay_file=None):
    srv = Server((host, port), Handler)
    srv.fake = Fake(users, seed)
    if replay_file:
        srv.fake.replay = replay.Replay(replay_file)
    if tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls_cert, tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.tls = True
    return srv


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    ap.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    ap.add_argument("--tls-key", help="and this key")
    ap.add_argument("--replay", help="answer with these recorded real exchanges (replay.py), e.g. "
                                     "tests/fakeorg/recorded/recorded.jsonl")
    args = ap.parse_args()
    srv = make_server(args.port, args.users, args.seed, tls_cert=args.tls_cert, tls_key=args.tls_key,
                      replay_file=args.replay)
    srv.fake.config["latency_ms"] = args.latency_ms
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print("fake Okta org on http://127.0.0.1:%d (token %s, %d users)" % (port, DEFAULT_TOKEN, args.users),
          file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
