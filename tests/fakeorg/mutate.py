"""Changes to the fake org, each with the System Log events real Okta writes.

    apply(org, ops, lag=0)            ops: [{"kind": "user.suspend", ...}, ...]
    random_batch(org, seed, count)    count random ops of every kind

Served by POST /__fake/mutate (server.py): {"ops": [...]} or {"random":
{"seed": 1, "count": 50, "kinds": [...]}}, and "lag": seconds before the
events become visible in /api/v1/logs (the System Log is eventually
consistent). Every op returns what it did, with the ids it touched. An op
with "quiet": true writes no per-user application.user_membership event
for the assignments that follow a group or a status change (a test that the
mirror does not depend on them).

What each change does to the timestamps, as Okta keeps them:
- A user's lastUpdated moves when its profile or status changes (create,
  activate, suspend, unsuspend, deactivate, profile update); statusChanged
  with its status. Not when it joins or leaves a group, gets an app, a
  factor or a role, or signs in: lastUpdated is "the timestamp when the
  user was last updated" (okta-management-openapi, User), and the change
  feeds of those are the group's lastMembershipUpdated and the System Log.
- A sign-in (user.session.start, SUCCESS) sets lastLogin ("the timestamp of
  the last login", same schema); a failed one changes nothing.
- A group's lastMembershipUpdated moves when a member joins or leaves
  ("Timestamp when the groups memberships were last updated"), its
  lastUpdated when its profile changes ("Timestamp when the group's profile
  was last updated") (okta-management-openapi, Group).
- App assignments and factors carry their own lastUpdated.

Event types and target[] shapes: Okta's event type catalog
(okta/okta-developer-docs, packages/@okta/vuepress-site/data/event-types.json):
user.lifecycle.create / activate / deactivate / suspend / unsuspend /
delete.initiated / delete.completed, user.account.update_profile,
user.session.start, group.lifecycle.create / delete, group.profile.update,
group.user_membership.add / remove, group.application_assignment.add /
remove, group.privilege.grant / revoke, group.user_membership.rule.deactivated,
application.user_membership.add / remove / update / change_username,
application.lifecycle.create / update / activate / deactivate / delete,
user.mfa.factor.activate / deactivate / reset_all / update,
user.account.privilege.grant / revoke. Targets as Okta Workflows' event
cards and recorded events show them: [User, UserGroup] for memberships
(an event hook payload recorded by 1Password's docs: User then UserGroup);
[AppUser, AppInstance, User] for app assignments ("User Assigned to
Application": Okta User, Application User, Application); [AppInstance,
UserGroup] for group assignments; [User] for factors and user privileges
(Panther's recorded user.mfa.factor.reset_all, user.account.privilege.grant);
[UserGroup] for group privileges; sign-ins have the user as actor and no
target (Elastic's recorded user.session.start). The catalog has no event
for a group rule created or updated (only rule.deactivated, evaluation,
trigger ...): those write none here either. Enrolling a factor writes
user.mfa.factor.update (the catalog's "Update factor for user").
"""

import bisect
import copy
import hashlib
import json
import os
import random
import re
import time
from datetime import datetime, timezone

import fixture

KINDS = [
    "user.create", "user.update", "user.login_change", "user.deactivate", "user.suspend", "user.unsuspend",
    "user.activate", "user.delete", "user.signin", "user.signin_failed",
    "group.create", "group.update", "group.delete", "group.member_add", "group.member_remove",
    "app.assign_user", "app.unassign_user", "app.assign_group", "app.unassign_group",
    "app.create", "app.update", "app.deactivate", "app.delete",
    "factor.enroll", "factor.activate", "factor.deactivate", "factor.reset_all",
    "role.grant_user", "role.revoke_user", "role.grant_group", "role.revoke_group",
    "rule.create", "rule.update", "rule.activate", "rule.deactivate",
]

ADMIN_ROLES = ["ORG_ADMIN", "APP_ADMIN", "USER_ADMIN", "HELP_DESK_ADMIN", "READ_ONLY_ADMIN", "REPORT_ADMIN"]


class Skip(Exception):
    """The op has nothing to act on in this org (e.g. no suspended user)."""


def now_iso():
    return fixture.iso(datetime.now(timezone.utc))


def pending(org):
    """Uuids of events not visible yet, with the time they become visible."""
    if not hasattr(org, "log_visible_at"):
        org.log_visible_at = {}
    return org.log_visible_at


def visible(org, event, now=None):
    at = pending(org).get(event["uuid"])
    return at is None or at <= (now if now is not None else time.time())


def lagging(org):
    """1 while some event is still hidden (the log's responses must not be cached)."""
    now = time.time()
    return any(at > now for at in pending(org).values())


class Mutator:
    def __init__(self, org, rng, lag=0.0):
        self.org, self.rng, self.lag = org, rng, lag
        self.quiet = False  # op "quiet": no per-user event for assignments that follow a group or a status
        # A JSON round trip copies the event template several times faster
        # than deepcopy: a rule that adds 7,500 members writes 7,500 events.
        self.tmpl_json = json.dumps(fixture.shape("log_event.json"))
        self.sorted_lists = {}  # id -> list known to be sorted (held, so the id stays its own)
        self.app_user_index = {}  # app id -> (its app_users list, its length, {user id: app user})
        self.everyone = next(g for g in org.groups if g["type"] == "BUILT_IN")
        self.admin = self._admin()

    # ---------------------------------------------------------- helpers
    def _admin(self):
        for uid, roles in self.org.user_roles.items():
            u = self.org.user_by_id.get(uid)
            if u and u["status"] == "ACTIVE" and any(r["type"] == "SUPER_ADMIN" for r in roles):
                return u
        return next(u for u in self.org.users if u["status"] == "ACTIVE")

    def new_id(self, prefix, taken):
        while True:
            s = (prefix + "".join(self.rng.choice(fixture.BASE62) for _ in range(13)) + "1d7")[:20]
            if s not in taken:
                return s

    def event(self, etype, targets, actor=None, outcome="SUCCESS", uri=None, message=None):
        e = json.loads(self.tmpl_json)
        a = actor or self.admin
        e["uuid"] = "%08x-%04x-%04x-%04x-%012x" % tuple(self.rng.getrandbits(b) for b in (32, 16, 16, 16, 48))
        e["published"] = now_iso()
        e["eventType"] = etype
        e["displayMessage"] = message or etype
        e["severity"] = "INFO"
        e["actor"] = {"id": a["id"], "type": "User", "alternateId": a["profile"]["login"],
                      "displayName": "%s %s" % (a["profile"]["firstName"], a["profile"]["lastName"]), "detailEntry": None}
        e["outcome"] = {"result": outcome, "reason": None}
        e["target"] = targets
        e["debugContext"] = {"debugData": {"requestUri": uri or "/api/v1/users"}}
        e.pop("legacyEventType", None)
        self.org.logs.append(e)
        if self.lag > 0:
            pending(self.org)[e["uuid"]] = time.time() + self.lag
        return e

    @staticmethod
    def t_user(u):
        return {"id": u["id"], "type": "User", "alternateId": u["profile"]["login"],
                "displayName": "%s %s" % (u["profile"]["firstName"], u["profile"]["lastName"]), "detailEntry": None}

    @staticmethod
    def t_group(g):
        return {"id": g["id"], "type": "UserGroup", "alternateId": "unknown", "displayName": g["profile"]["name"],
                "detailEntry": None}

    @staticmethod
    def t_app(a):
        return {"id": a["id"], "type": "AppInstance", "alternateId": a["label"], "displayName": a["label"],
                "detailEntry": None}

    def t_app_user(self, a, u):
        h = hashlib.sha1((a["id"] + u["id"]).encode()).hexdigest()[:14]
        return {"id": "0ua" + h + "1d7", "type": "AppUser", "alternateId": u["profile"]["login"],
                "displayName": "%s %s" % (u["profile"]["firstName"], u["profile"]["lastName"]), "detailEntry": None}

    def pick(self, items):
        items = list(items)
        if not items:
            raise Skip()
        return self.rng.choice(items)

    def users(self, *statuses):
        return [u for u in self.org.users if not statuses or u["status"] in statuses]

    def okta_groups(self):
        rule_groups = {gid for r in self.org.rules for gid in r["actions"]["assignUserToGroups"]["groupIds"]}
        return [g for g in self.org.groups if g["type"] == "OKTA_GROUP" and g["id"] not in rule_groups]

    def group_apps(self, gid):
        return [a for a in self.org.apps if any(ag["id"] == gid for ag in self.org.app_groups.get(a["id"], []))]

    def app_user(self, a, uid):
        return self.app_users_by_id(a["id"]).get(uid)

    def app_users_by_id(self, aid):
        """{user id: app user} of an app; rebuilt only when its list was
        replaced or grew behind our back (add_app_user keeps it current).
        The first app user of an id wins, as a scan would find it."""
        aus = self.org.app_users.get(aid, [])
        hit = self.app_user_index.get(aid)
        if hit is None or hit[0] is not aus or hit[1] != len(aus):
            index = {}
            for au in aus:
                index.setdefault(au["id"], au)
            hit = self.app_user_index[aid] = (aus, len(aus), index)
        return hit[2]

    def insert_sorted(self, lst, x, key=None):
        """lst.append(x); lst.sort(key=key), in O(log n) compares once lst
        is known sorted: the same list either way (a stable sort puts x after
        its equals, as insort_right does)."""
        if id(lst) in self.sorted_lists:
            bisect.insort_right(lst, x, key=key)
        else:
            lst.append(x)
            lst.sort(key=key)
            self.sorted_lists[id(lst)] = lst

    def group_path(self, a, uid, skip_gid=None):
        """1 when a group assigned to app a (other than skip_gid) has the user."""
        return any(ag["id"] != skip_gid and uid in self.org.members.get(ag["id"], [])
                   for ag in self.org.app_groups.get(a["id"], []))

    def add_app_user(self, a, u, scope, note, derived=False):
        t = now_iso()
        au = copy.deepcopy(next(iter(x for aus in self.org.app_users.values() for x in aus), None)) or {}
        profile = {}
        if a["name"] == "amazon_aws":
            roles = sorted(self.rng.sample(fixture.AWS_ROLES, 2))
            profile = {"role": roles[0], "samlRoles": roles}
        au.update({"id": u["id"], "externalId": None, "created": t, "lastUpdated": t, "scope": scope,
                   "status": "ACTIVE", "statusChanged": t, "passwordChanged": None, "syncState": "DISABLED",
                   "credentials": {"userName": u["profile"]["login"]}, "profile": profile,
                   "_links": {"app": {"href": "%s/api/v1/apps/%s" % (self.org.base_url, a["id"])},
                              "user": {"href": "%s/api/v1/users/%s" % (self.org.base_url, u["id"])}}})
        aus = self.org.app_users.setdefault(a["id"], [])
        index = self.app_users_by_id(a["id"])
        self.insert_sorted(aus, au, key=lambda x: x["id"])
        index.setdefault(au["id"], au)
        self.app_user_index[a["id"]] = (aus, len(aus), index)
        if not (derived and self.quiet):
            self.event("application.user_membership.add", [self.t_app_user(a, u), self.t_app(a), self.t_user(u)],
                       uri="/api/v1/apps/%s/users" % a["id"], message="Add user to application membership")
        note.setdefault("app_users", []).append([a["id"], u["id"]])

    def remove_app_user(self, a, u, note, derived=False):
        aus = self.org.app_users.get(a["id"], [])
        self.org.app_users[a["id"]] = [x for x in aus if x["id"] != u["id"]]
        if not (derived and self.quiet):
            self.event("application.user_membership.remove", [self.t_app_user(a, u), self.t_app(a), self.t_user(u)],
                       uri="/api/v1/apps/%s/users/%s" % (a["id"], u["id"]), message="Remove user's application membership")
        note.setdefault("app_users", []).append([a["id"], u["id"]])

    def join(self, g, u, note, apps=None):
        """u joins g: lastMembershipUpdated, the event, and the apps g brings
        (apps: group_apps(g), when the caller already has it)."""
        self.insert_sorted(self.org.members.setdefault(g["id"], []), u["id"])
        self.org.user_groups.setdefault(u["id"], []).append(g["id"])
        g["lastMembershipUpdated"] = now_iso()
        self.event("group.user_membership.add", [self.t_user(u), self.t_group(g)],
                   uri="/api/v1/groups/%s/users/%s" % (g["id"], u["id"]), message="Add user to group membership")
        if u["status"] != "DEPROVISIONED":
            for a in self.group_apps(g["id"]) if apps is None else apps:
                if not self.app_user(a, u["id"]):
                    self.add_app_user(a, u, "GROUP", note, derived=True)

    def leave(self, g, u, note):
        self.org.members[g["id"]] = [x for x in self.org.members.get(g["id"], []) if x != u["id"]]
        self.org.user_groups[u["id"]] = [x for x in self.org.user_groups.get(u["id"], []) if x != g["id"]]
        g["lastMembershipUpdated"] = now_iso()
        self.event("group.user_membership.remove", [self.t_user(u), self.t_group(g)],
                   uri="/api/v1/groups/%s/users/%s" % (g["id"], u["id"]), message="Remove user from group membership")
        for a in self.group_apps(g["id"]):
            au = self.app_user(a, u["id"])
            if au and au["scope"] == "GROUP" and not self.group_path(a, u["id"]):
                self.remove_app_user(a, u, note, derived=True)

    def status(self, u, status, etype):
        t = now_iso()
        u["status"] = status
        u["statusChanged"] = u["lastUpdated"] = t
        u["transitioningToStatus"] = None
        if status == "ACTIVE" and not u.get("activated"):
            u["activated"] = t
        self.event(etype, [self.t_user(u)], uri="/api/v1/users/%s/lifecycle" % u["id"])

    # -------------------------------------------------------------- users
    def op_user_create(self, op, note):
        base = self.pick(self.users("ACTIVE"))
        u = copy.deepcopy(base)
        uid = self.new_id("00u", self.org.user_by_id)
        n = len(self.org.users)
        dept = self.rng.choice(fixture.DEPARTMENTS)
        t = now_iso()
        first, last = self.rng.choice(fixture.FIRST), self.rng.choice(fixture.LAST)
        login = "new.%s.%d@example.com" % (uid[3:9].lower(), n)
        u.update({"id": uid, "status": "ACTIVE", "created": t, "activated": t, "statusChanged": t, "lastLogin": None,
                  "lastUpdated": t, "passwordChanged": t, "transitioningToStatus": None})
        u["profile"] = {"firstName": first, "lastName": last, "mobilePhone": None, "secondEmail": None, "login": login,
                        "email": login, "department": dept, "userType": "employee"}
        u["_links"] = {"self": {"href": "%s/api/v1/users/%s" % (self.org.base_url, uid)}}
        self.org.users.append(u)
        self.org.user_by_id[uid] = u
        self.event("user.lifecycle.create", [self.t_user(u)], message="Create Okta user")
        self.event("user.lifecycle.activate", [self.t_user(u)], message="Activate Okta user")
        # Everyone has every user (no event for it); the department group is a direct add.
        self.insert_sorted(self.org.members[self.everyone["id"]], uid)
        self.org.user_groups.setdefault(uid, []).append(self.everyone["id"])
        self.everyone["lastMembershipUpdated"] = t
        for a in self.group_apps(self.everyone["id"]):
            self.add_app_user(a, u, "GROUP", note, derived=True)
        dept_group = next((g for g in self.org.groups if g["profile"]["name"] == dept), None)
        if dept_group:
            self.join(dept_group, u, note)
        note["user"] = uid

    def op_user_update(self, op, note):
        u = self.pick(self.users())
        u["profile"]["lastName"] = self.rng.choice(fixture.LAST)
        u["profile"]["mobilePhone"] = "+1 555 %04d" % self.rng.randint(0, 9999)
        u["lastUpdated"] = now_iso()
        self.event("user.account.update_profile", [self.t_user(u)], uri="/api/v1/users/%s" % u["id"])
        note["user"] = u["id"]

    def op_user_login_change(self, op, note):
        u = self.pick(self.users("ACTIVE", "SUSPENDED", "PASSWORD_EXPIRED"))
        login = "renamed.%s@example.com" % u["id"][3:12].lower()
        u["profile"]["login"] = u["profile"]["email"] = login
        u["lastUpdated"] = now_iso()
        self.event("user.account.update_profile", [self.t_user(u)], uri="/api/v1/users/%s" % u["id"])
        # App usernames follow the login (the default username template).
        for a in self.org.apps:
            au = self.app_user(a, u["id"])
            if au:
                au["credentials"] = dict(au.get("credentials") or {}, userName=login)
                au["lastUpdated"] = now_iso()
                self.event("application.user_membership.change_username",
                           [self.t_app_user(a, u), self.t_app(a), self.t_user(u)], message="Change user's application username")
        note["user"] = u["id"]

    def op_user_deactivate(self, op, note):
        u = self.pick(self.users("ACTIVE", "SUSPENDED", "STAGED", "PROVISIONED", "LOCKED_OUT", "PASSWORD_EXPIRED",
                                 "RECOVERY"))
        self.status(u, "DEPROVISIONED", "user.lifecycle.deactivate")
        # Deactivation removes the user's app assignments; its groups stay.
        for a in self.org.apps:
            if self.app_user(a, u["id"]):
                self.remove_app_user(a, u, note, derived=True)
        note["user"] = u["id"]

    def op_user_suspend(self, op, note):
        u = self.pick(self.users("ACTIVE"))
        self.status(u, "SUSPENDED", "user.lifecycle.suspend")
        note["user"] = u["id"]

    def op_user_unsuspend(self, op, note):
        u = self.pick(self.users("SUSPENDED"))
        self.status(u, "ACTIVE", "user.lifecycle.unsuspend")
        note["user"] = u["id"]

    def op_user_activate(self, op, note):
        u = self.pick(self.users("STAGED", "PROVISIONED"))
        self.status(u, "ACTIVE", "user.lifecycle.activate")
        note["user"] = u["id"]

    def op_user_delete(self, op, note):
        # Only a deactivated user can be deleted; admins are left alone.
        u = self.pick(x for x in self.users("DEPROVISIONED") if x["id"] != self.admin["id"])
        uid = u["id"]
        self.event("user.lifecycle.delete.initiated", [self.t_user(u)], message="Delete Okta user initiated")
        self.org.users.remove(u)
        del self.org.user_by_id[uid]
        t = now_iso()
        for gid in list(self.org.user_groups.get(uid, [])):
            self.org.members[gid] = [x for x in self.org.members[gid] if x != uid]
            self.org.group_by_id[gid]["lastMembershipUpdated"] = t
        self.org.user_groups.pop(uid, None)
        for aid in self.org.app_users:
            self.org.app_users[aid] = [x for x in self.org.app_users[aid] if x["id"] != uid]
        self.org.factors.pop(uid, None)
        self.org.user_roles.pop(uid, None)
        self.event("user.lifecycle.delete.completed", [self.t_user(u)], message="Delete Okta user completed")
        note["user"] = uid

    def op_user_signin(self, op, note):
        u = self.pick(self.users("ACTIVE", "PASSWORD_EXPIRED"))
        e = self.event("user.session.start", [], actor=u, uri="/api/v1/authn", message="User login to Okta")
        u["lastLogin"] = e["published"]
        note["user"] = u["id"]

    def op_user_signin_failed(self, op, note):
        u = self.pick(self.users("ACTIVE", "LOCKED_OUT"))
        self.event("user.session.start", [], actor=u, outcome="FAILURE", uri="/api/v1/authn", message="User login to Okta")
        note["user"] = u["id"]

    # ------------------------------------------------------------- groups
    def op_group_create(self, op, note):
        t = now_iso()
        g = copy.deepcopy(self.pick(self.okta_groups()))
        gid = self.new_id("00g", self.org.group_by_id)
        g.update({"id": gid, "created": t, "lastUpdated": t, "lastMembershipUpdated": t,
                  "profile": {"name": "Squad %s" % gid[3:8], "description": "Created by a test"}})
        g["_links"] = {"users": {"href": "%s/api/v1/groups/%s/users" % (self.org.base_url, gid)},
                       "apps": {"href": "%s/api/v1/groups/%s/apps" % (self.org.base_url, gid)}}
        self.org.groups.append(g)
        self.org.group_by_id[gid] = g
        self.org.members[gid] = []
        self.event("group.lifecycle.create", [self.t_group(g)], uri="/api/v1/groups", message="Create Okta group")
        note["group"] = gid

    def op_group_update(self, op, note):
        g = self.pick(self.okta_groups())
        g["profile"]["description"] = "Updated %d" % self.rng.randint(0, 10 ** 6)
        g["lastUpdated"] = now_iso()
        self.event("group.profile.update", [self.t_group(g)], uri="/api/v1/groups/%s" % g["id"])
        note["group"] = g["id"]

    def op_group_delete(self, op, note):
        candidates = [g for g in self.okta_groups() if not self.org.group_roles.get(g["id"])
                      and g["profile"]["name"] not in fixture.DEPARTMENTS and g["profile"]["name"] != "Helpdesk"]
        g = self.pick(candidates)
        gid = g["id"]
        for a in self.group_apps(gid):
            self.org.app_groups[a["id"]] = [x for x in self.org.app_groups[a["id"]] if x["id"] != gid]
            for uid in self.org.members.get(gid, []):
                au = self.app_user(a, uid)
                if au and au["scope"] == "GROUP" and not self.group_path(a, uid):
                    self.remove_app_user(a, self.org.user_by_id[uid], note, derived=True)
        for uid in self.org.members.get(gid, []):
            self.org.user_groups[uid] = [x for x in self.org.user_groups.get(uid, []) if x != gid]
        self.org.members.pop(gid, None)
        self.org.group_roles.pop(gid, None)
        self.org.groups.remove(g)
        del self.org.group_by_id[gid]
        self.event("group.lifecycle.delete", [self.t_group(g)], uri="/api/v1/groups/%s" % gid, message="Delete Okta group")
        note["group"] = gid

    def op_group_member_add(self, op, note):
        g = self.pick(self.okta_groups())
        members = set(self.org.members.get(g["id"], []))
        u = self.pick(x for x in self.users() if x["id"] not in members and x["status"] != "DEPROVISIONED")
        self.join(g, u, note)
        note.update(group=g["id"], user=u["id"])

    def op_group_member_remove(self, op, note):
        g = self.pick(x for x in self.okta_groups() if self.org.members.get(x["id"]))
        u = self.org.user_by_id[self.pick(self.org.members[g["id"]])]
        self.leave(g, u, note)
        note.update(group=g["id"], user=u["id"])

    # --------------------------------------------------------------- apps
    def op_app_assign_user(self, op, note):
        a = self.pick(x for x in self.org.apps if x["status"] == "ACTIVE")
        u = self.pick(x for x in self.users("ACTIVE", "SUSPENDED", "PASSWORD_EXPIRED")
                      if (self.app_user(a, x["id"]) or {}).get("scope") != "USER")
        au = self.app_user(a, u["id"])
        if au:  # a group brought it: now it is direct too
            au["scope"], au["lastUpdated"] = "USER", now_iso()
            self.event("application.user_membership.update", [self.t_app_user(a, u), self.t_app(a), self.t_user(u)],
                       uri="/api/v1/apps/%s/users/%s" % (a["id"], u["id"]), message="Update user's application membership")
        else:
            self.add_app_user(a, u, "USER", note)
        note.update(app=a["id"], user=u["id"])

    def op_app_unassign_user(self, op, note):
        pairs = [(a, au) for a in self.org.apps for au in self.org.app_users.get(a["id"], []) if au["scope"] == "USER"]
        a, au = self.pick(pairs)
        u = self.org.user_by_id[au["id"]]
        if self.group_path(a, u["id"]):  # still assigned through a group
            au["scope"], au["lastUpdated"] = "GROUP", now_iso()
            self.event("application.user_membership.update", [self.t_app_user(a, u), self.t_app(a), self.t_user(u)],
                       uri="/api/v1/apps/%s/users/%s" % (a["id"], u["id"]), message="Update user's application membership")
        else:
            self.remove_app_user(a, u, note)
        note.update(app=a["id"], user=u["id"])

    def op_app_assign_group(self, op, note):
        a = self.pick(x for x in self.org.apps if x["status"] == "ACTIVE")
        assigned = {ag["id"] for ag in self.org.app_groups.get(a["id"], [])}
        g = self.pick(x for x in self.okta_groups() if x["id"] not in assigned and len(self.org.members.get(x["id"], [])) < 60)
        profile = {}
        if a["name"] == "amazon_aws":
            roles = sorted(self.rng.sample(fixture.AWS_ROLES, 2))
            profile = {"role": roles[0], "samlRoles": roles}
        self.org.app_groups.setdefault(a["id"], []).append(
            {"id": g["id"], "lastUpdated": now_iso(), "priority": len(assigned), "profile": profile,
             "_links": {"app": {"href": "%s/api/v1/apps/%s" % (self.org.base_url, a["id"])},
                        "group": {"href": "%s/api/v1/groups/%s" % (self.org.base_url, g["id"])}}})
        self.org.app_groups[a["id"]].sort(key=lambda x: x["id"])
        self.event("group.application_assignment.add", [self.t_app(a), self.t_group(g)],
                   uri="/api/v1/apps/%s/groups/%s" % (a["id"], g["id"]), message="Add assigned application to group")
        for uid in self.org.members.get(g["id"], []):
            u = self.org.user_by_id[uid]
            if u["status"] != "DEPROVISIONED" and not self.app_user(a, uid):
                self.add_app_user(a, u, "GROUP", note, derived=True)
        note.update(app=a["id"], group=g["id"])

    def op_app_unassign_group(self, op, note):
        pairs = [(a, ag) for a in self.org.apps for ag in self.org.app_groups.get(a["id"], [])
                 if self.org.group_by_id[ag["id"]]["type"] == "OKTA_GROUP"
                 and len(self.org.members.get(ag["id"], [])) < 60]
        a, ag = self.pick(pairs)
        self.org.app_groups[a["id"]] = [x for x in self.org.app_groups[a["id"]] if x["id"] != ag["id"]]
        g = self.org.group_by_id[ag["id"]]
        self.event("group.application_assignment.remove", [self.t_app(a), self.t_group(g)],
                   uri="/api/v1/apps/%s/groups/%s" % (a["id"], g["id"]), message="Remove assigned application from group")
        for uid in self.org.members.get(g["id"], []):
            au = self.app_user(a, uid)
            if au and au["scope"] == "GROUP" and not self.group_path(a, uid):
                self.remove_app_user(a, self.org.user_by_id[uid], note, derived=True)
        note.update(app=a["id"], group=g["id"])

    def op_app_create(self, op, note):
        a = fixture.shape("app_bookmark.json")
        aid = self.new_id("0oa", self.org.app_by_id)
        t = now_iso()
        a.update({"id": aid, "name": "bookmark", "label": "Tool %s" % aid[3:8], "status": "ACTIVE", "created": t,
                  "lastUpdated": t})
        a.pop("orn", None)
        a["_links"] = {"users": {"href": "%s/api/v1/apps/%s/users" % (self.org.base_url, aid)},
                       "groups": {"href": "%s/api/v1/apps/%s/groups" % (self.org.base_url, aid)}}
        self.org.apps.append(a)
        self.org.app_by_id[aid] = a
        self.org.app_users[aid] = []
        self.org.app_groups[aid] = []
        self.event("application.lifecycle.create", [self.t_app(a)], uri="/api/v1/apps", message="Add application")
        note["app"] = aid

    def op_app_update(self, op, note):
        a = self.pick(self.org.apps)
        a["label"] = "%s (renamed %d)" % (a["label"].split(" (renamed")[0], self.rng.randint(0, 999))
        a["lastUpdated"] = now_iso()
        self.event("application.lifecycle.update", [self.t_app(a)], uri="/api/v1/apps/%s" % a["id"],
                   message="Update application")
        note["app"] = a["id"]

    def op_app_deactivate(self, op, note):
        a = self.pick(x for x in self.org.apps if x["status"] == "ACTIVE" and x["name"] != "amazon_aws")
        a["status"], a["lastUpdated"] = "INACTIVE", now_iso()
        self.event("application.lifecycle.deactivate", [self.t_app(a)], uri="/api/v1/apps/%s/lifecycle/deactivate" % a["id"],
                   message="Deactivate application")
        note["app"] = a["id"]

    def op_app_delete(self, op, note):
        # An app is deactivated before it can be deleted.
        a = self.pick(x for x in self.org.apps if x["name"] == "bookmark" and x["label"] != "Wiki")
        if a["status"] == "ACTIVE":
            a["status"], a["lastUpdated"] = "INACTIVE", now_iso()
            self.event("application.lifecycle.deactivate", [self.t_app(a)], message="Deactivate application")
        self.org.apps.remove(a)
        del self.org.app_by_id[a["id"]]
        self.org.app_users.pop(a["id"], None)
        self.org.app_groups.pop(a["id"], None)
        self.event("application.lifecycle.delete", [self.t_app(a)], uri="/api/v1/apps/%s" % a["id"],
                   message="Delete application")
        note["app"] = a["id"]

    # ------------------------------------------------------------ factors
    def op_factor_enroll(self, op, note):
        u = self.pick(self.users("ACTIVE", "SUSPENDED", "PASSWORD_EXPIRED", "LOCKED_OUT"))
        f = fixture.shape(self.rng.choice(fixture.FACTOR_SHAPES))
        f.pop("_embedded", None)
        taken = {x["id"] for fl in self.org.factors.values() for x in fl}
        t = now_iso()
        f.update({"id": self.new_id(f["id"][:3], taken), "status": "PENDING_ACTIVATION", "created": t, "lastUpdated": t,
                  "_links": {"user": {"href": "%s/api/v1/users/%s" % (self.org.base_url, u["id"])}}})
        self.org.factors.setdefault(u["id"], []).append(f)
        self.event(op.get("event_type") or "user.mfa.factor.update", [self.t_user(u)],
                   uri="/api/v1/users/%s/factors" % u["id"], message="Update factor for user")
        note.update(user=u["id"], factor=f["id"])

    def op_factor_activate(self, op, note):
        uid, f = self.pick((uid, f) for uid, fl in self.org.factors.items() for f in fl
                           if f["status"] == "PENDING_ACTIVATION" and uid in self.org.user_by_id)
        f["status"], f["lastUpdated"] = "ACTIVE", now_iso()
        self.event("user.mfa.factor.activate", [self.t_user(self.org.user_by_id[uid])],
                   uri="/api/v1/users/%s/factors/%s/lifecycle/activate" % (uid, f["id"]), message="Activate factor for user")
        note.update(user=uid, factor=f["id"])

    def op_factor_deactivate(self, op, note):
        uid, f = self.pick((uid, f) for uid, fl in self.org.factors.items() for f in fl if uid in self.org.user_by_id)
        self.org.factors[uid] = [x for x in self.org.factors[uid] if x["id"] != f["id"]]
        self.event("user.mfa.factor.deactivate", [self.t_user(self.org.user_by_id[uid])],
                   uri="/api/v1/users/%s/factors/%s" % (uid, f["id"]), message="Reset factor for user")
        note.update(user=uid, factor=f["id"])

    def op_factor_reset_all(self, op, note):
        uid = self.pick(uid for uid, fl in self.org.factors.items() if fl and uid in self.org.user_by_id)
        self.org.factors[uid] = []
        self.event("user.mfa.factor.reset_all", [self.t_user(self.org.user_by_id[uid])],
                   uri="/api/v1/users/%s/lifecycle/reset_factors" % uid, message="Reset all factors for user")
        note["user"] = uid

    # -------------------------------------------------------------- roles
    def role(self, rtype, assignment):
        t = now_iso()
        return {"id": fixture.ROLE_IDS[rtype], "label": fixture.ROLE_LABELS[rtype], "type": rtype, "status": "ACTIVE",
                "created": t, "lastUpdated": t, "assignmentType": assignment, "_links": {}}

    def grant(self, holders, hid, assignment):
        """Gives holders[hid] (a user's or a group's roles) a role type it lacks."""
        held = {r["type"] for r in holders.get(hid, [])}
        rtype = self.pick(x for x in ADMIN_ROLES if x not in held)
        holders.setdefault(hid, []).append(self.role(rtype, assignment))
        return rtype

    @staticmethod
    def revoke(holders, hid, role):
        holders[hid] = [x for x in holders[hid] if x is not role]
        if not holders[hid]:
            del holders[hid]

    def op_role_grant_user(self, op, note):
        u = self.pick(self.users("ACTIVE"))
        rtype = self.grant(self.org.user_roles, u["id"], "USER")
        self.event("user.account.privilege.grant", [self.t_user(u)], uri="/api/v1/users/%s/roles" % u["id"],
                   message="Grant user privilege")
        note.update(user=u["id"], role=rtype)

    def op_role_revoke_user(self, op, note):
        uid, r = self.pick((uid, r) for uid, rl in self.org.user_roles.items() for r in rl
                           if uid in self.org.user_by_id and uid != self.admin["id"])
        self.revoke(self.org.user_roles, uid, r)
        self.event("user.account.privilege.revoke", [self.t_user(self.org.user_by_id[uid])],
                   uri="/api/v1/users/%s/roles/%s" % (uid, r["id"]), message="Revoke user privilege")
        note.update(user=uid, role=r["type"])

    def op_role_grant_group(self, op, note):
        g = self.pick(x for x in self.okta_groups() if len(self.org.members.get(x["id"], [])) < 60)
        rtype = self.grant(self.org.group_roles, g["id"], "GROUP")
        self.event("group.privilege.grant", [self.t_group(g)], uri="/api/v1/groups/%s/roles" % g["id"],
                   message="Group Privilege granted")
        note.update(group=g["id"], role=rtype)

    def op_role_revoke_group(self, op, note):
        gid, r = self.pick((gid, r) for gid, rl in self.org.group_roles.items() for r in rl if gid in self.org.group_by_id)
        self.revoke(self.org.group_roles, gid, r)
        self.event("group.privilege.revoke", [self.t_group(self.org.group_by_id[gid])],
                   uri="/api/v1/groups/%s/roles/%s" % (gid, r["id"]), message="Group Privilege revoked")
        note.update(group=gid, role=r["type"])

    # -------------------------------------------------------------- rules
    def op_rule_create(self, op, note):
        g = self.pick(self.okta_groups())
        r = copy.deepcopy(self.org.rules[0])
        t = now_iso()
        rid = self.new_id("0pr", {x["id"] for x in self.org.rules})
        r.update({"id": rid, "name": "Rule %s" % rid[3:8], "status": "INACTIVE", "created": t, "lastUpdated": t})
        r["conditions"]["expression"]["value"] = 'user.department=="%s"' % self.rng.choice(fixture.DEPARTMENTS)
        r["conditions"]["people"]["users"]["exclude"] = []
        r["actions"]["assignUserToGroups"]["groupIds"] = [g["id"]]
        self.org.rules.append(r)
        note["rule"] = rid

    def op_rule_update(self, op, note):
        # Okta only lets an inactive rule be changed.
        r = self.pick(x for x in self.org.rules if x["status"] == "INACTIVE")
        r["name"] = "%s (edited)" % r["name"].split(" (edited")[0]
        r["lastUpdated"] = now_iso()
        note["rule"] = r["id"]

    def op_rule_activate(self, op, note):
        r = self.pick(x for x in self.org.rules if x["status"] == "INACTIVE")
        r["status"], r["lastUpdated"] = "ACTIVE", now_iso()
        # The rule is evaluated: matching users join its groups.
        m = re.match(r'user\.department=="([^"]*)"$', r["conditions"]["expression"]["value"])
        excluded = set(r["conditions"]["people"]["users"]["exclude"])
        for gid in r["actions"]["assignUserToGroups"]["groupIds"]:
            g = self.org.group_by_id.get(gid)
            if not (m and g):
                continue
            present, apps = set(self.org.members.get(gid, [])), self.group_apps(gid)
            for u in list(self.org.users):
                if (u["profile"].get("department") == m.group(1) and u["status"] != "DEPROVISIONED"
                        and u["id"] not in excluded and u["id"] not in present):
                    self.join(g, u, note, apps)
                    present.add(u["id"])
        note["rule"] = r["id"]

    def op_rule_deactivate(self, op, note):
        r = self.pick(x for x in self.org.rules if x["status"] == "ACTIVE")
        r["status"], r["lastUpdated"] = "INACTIVE", now_iso()
        self.event("group.user_membership.rule.deactivated",
                   [{"id": r["id"], "type": "RULE", "alternateId": "unknown", "displayName": r["name"], "detailEntry": None}],
                   uri="/api/v1/groups/rules/%s/lifecycle/deactivate" % r["id"])
        note["rule"] = r["id"]

    # ---------------------------------------------------------------- raw
    def op_event(self, op, note):
        """An event with no change behind it (e.g. a type the sync does not know)."""
        targets = []
        for t in op.get("targets", []):
            if t.get("type") == "User":
                targets.append(self.t_user(self.org.user_by_id[t["id"]]))
            else:
                targets.append(t)
        self.event(op["eventType"], targets)
        note["event"] = op["eventType"]

    def apply(self, op):
        note = {"kind": op["kind"]}
        self.quiet = bool(op.get("quiet"))
        getattr(self, "op_" + op["kind"].replace(".", "_"))(op, note)
        return note


def apply(org, ops, lag=0.0, seed=None):
    """Applies ops to org in order; returns what each did (skipped ones say so)."""
    m = Mutator(org, random.Random(seed), lag)
    out = []
    for op in ops:
        try:
            out.append(m.apply(op))
        except Skip:
            out.append({"kind": op["kind"], "skipped": True})
    org.index()
    return out


def random_batch(org, seed, count, kinds=None, lag=0.0, quiet=False):
    """count random changes, every kind equally likely (one that has nothing
    to act on is replaced by another); quiet as an op's "quiet"."""
    rng = random.Random(seed)
    m = Mutator(org, rng, lag)
    kinds = list(kinds or KINDS)
    out = []
    tries = 0
    while len(out) < count and tries < count * 20:
        tries += 1
        kind = rng.choice(kinds)
        try:
            out.append(m.apply({"kind": kind, "quiet": quiet}))
        except Skip:
            continue
    org.index()
    return out
