#!/usr/bin/env python3
"""Selects from the real exchanges recorded in Okta's terraform provider
(recorded-gets.jsonl of the project's shared reference folder) the ones the
replay test needs, into recorded.jsonl next to this file:

    python3 tests/fakeorg/recorded/select.py PATH/TO/recorded-gets.jsonl

Kept: GET exchanges on the endpoints the okta_* tables read (ENDPOINTS),
the first one per org host, path and query (what replay.py answers). Each
is checked for secrets (a string value under a secret-named key): the
script stops when it finds one, unless it is one of the test placeholders
the provider's test IdPs were created with (PLACEHOLDERS), which the replay
test uses to check that such values never reach SQL.
"""

import json
import os
import re
import sys
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from replay import exchange_key  # noqa: E402

ID = r"[^/]+"
ENDPOINTS = [re.compile("^/api/v1/%s$" % p.replace("{id}", ID)) for p in (
    "users", "users/{id}", "users/{id}/groups", "users/{id}/roles", "users/{id}/factors",
    "users/{id}/authenticator-enrollments",
    "groups", "groups/{id}", "groups/{id}/users", "groups/{id}/roles", "groups/rules", "groups/rules/{id}",
    "apps", "apps/{id}", "apps/{id}/users", "apps/{id}/users/{id}", "apps/{id}/groups", "apps/{id}/groups/{id}",
    "iam/assignees/users", "logs", "org", "org/privacy/oktaSupport", "meta/types/user", "meta/types/user/{id}",
    "devices", "devices/{id}", "policies", "policies/{id}", "zones", "zones/{id}", "trustedOrigins",
    "trustedOrigins/{id}", "authorizationServers", "authorizationServers/{id}", "idps", "idps/{id}",
    "authenticators", "authenticators/{id}")]
PLACEHOLDERS = {"a" * 32, "abcd123"}
SECRET = re.compile(r"secret|password|privatekey|private_key|accesskey|apikey|sharedkey|passphrase|token$", re.I)


def secrets(v, path=""):
    """Paths of non-empty string values under secret-named keys."""
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            if SECRET.search(k.replace("_", "")) and isinstance(x, str) and x and x not in PLACEHOLDERS:
                out.append(path + "." + k)
            out += secrets(x, path + "." + k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out += secrets(x, "%s[%d]" % (path, i))
    return out


def main(src):
    seen, kept = set(), []
    with open(src, encoding="utf-8") as f:
        for line in f:
            ex = json.loads(line)
            u = urlsplit(ex["url"])
            if ex["method"] != "GET" or not any(rx.match(u.path) for rx in ENDPOINTS):
                continue
            key = exchange_key(u.hostname, u.path, parse_qsl(u.query, keep_blank_values=True))
            if key in seen:
                continue
            seen.add(key)
            try:
                found = secrets(json.loads(ex["body"]))
            except ValueError:
                found = []
            if found:
                sys.exit("%s: secret-looking values at %s" % (ex["url"], ", ".join(found)))
            kept.append(ex)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recorded.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for ex in kept:
            f.write(json.dumps(ex, ensure_ascii=False, sort_keys=True) + "\n")
    print("%d exchanges -> %s" % (len(kept), out))


if __name__ == "__main__":
    main(sys.argv[1])
