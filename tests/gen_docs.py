#!/usr/bin/env python3
"""Generates docs/tables.md, the table reference, from okta_schema() (the
table descriptors themselves). `make docs` writes it; tests/test_docs.py
fails when the committed file differs from what the code says."""

import json
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXT = os.environ.get("OKTA_EXT") or os.path.join(HERE, "..", "build", "okta")
OUT = os.path.join(HERE, "..", "docs", "tables.md")

ROUTE_WORDS = {
    "get": "one object by id",
    "batch": "`IN` lists, batched into filters",
    "list": "the listing (pushdown goes here)",
    "all-groups": "every group (fan-out)",
    "all-users": "every user (fan-out)",
    "all-apps": "every application (fan-out)",
    "admins": "every user holding a role (fan-out)",
}


def schema():
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    return json.loads(conn.execute("SELECT okta_schema()").fetchone()[0])


def esc(s):
    return s.replace("|", "\\|")


# The peers' table lists, as read from their sources (issue 15). Written by
# hand: it says what the descriptors cannot.
COMPARED = """## Compared with other tools

What each peer can read from an Okta org that these tables cannot, and the
reverse. Sources: Steampipe's Okta plugin (turbot/steampipe-plugin-okta,
`okta/table_okta_*.go` and its table list on hub.steampipe.io), CloudQuery's
Okta source (its table list, v6), Airbyte's source-okta
(`source_okta/manifest.yaml` and `schemas/`), the Terraform provider's data
sources (okta/terraform-provider-okta `docs/data-sources/`) and JupiterOne's
graph-okta (`src/steps`, `src/converters`).

- **Steampipe** (okta_user, okta_group, okta_group_owner, okta_group_rule,
  okta_application, okta_app_assigned_user, okta_app_assigned_group,
  okta_factor, okta_device, okta_auth_server, okta_authenticator,
  okta_network_zone, okta_trusted_origin, okta_user_type, okta_system_log,
  and the per-type policy tables with their `rules`).
  They have, we lack: nothing; their policy tables' `rules` column is
  okta_policy_rules, their app user `email`/`first_name` are okta_app_users
  `email` and `profile`.
  We have, they lack: role assignments of users and groups, custom roles,
  permissions and resource sets, API tokens, policy mappings, authorization
  server policies, rules, scopes, claims and clients, identity providers,
  the org and its Okta Support setting, the access graph.
- **CloudQuery** (okta_users, okta_user_factors, okta_groups,
  okta_group_users, okta_group_rules, okta_applications,
  okta_application_users, okta_application_group_assignments,
  okta_apitoken_tokens, okta_authenticators, okta_identity_providers,
  okta_policies, okta_policy_rules, okta_system_log_events).
  They have, we lack: nothing.
  We have, they lack: devices, network zones, trusted origins, authorization
  servers and their objects, role assignments, custom roles and resource
  sets, group owners, policy mappings, user types, the org, the graph.
- **Airbyte source-okta** (users, groups, group_members,
  group_role_assignments, user_role_assignments, custom_roles, permissions,
  resource_sets, logs).
  They have, we lack: nothing.
  We have, they lack: applications and their assignments, factors,
  policies and their rules and mappings, devices, API tokens, zones,
  identity providers, authorization servers, group owners and rules, the
  graph.
- **Terraform data sources** (134, most of them configuration: an app,
  app user and group assignments, app sign-on policies and rules, policies
  and password rules, authorization servers with claims, clients, policies,
  rules and scopes, API tokens, custom admin roles, resource sets, role
  assignees, devices, groups, group rules, users, user types, zones,
  trusted origins, authenticators, identity providers).
  They have, we lack: configuration that grants no access: brands, themes,
  email templates and SMTP servers, custom domains, captcha, log streams,
  hooks, behaviors, device assurance policies, features, app metadata,
  connections, user schemas and tokens, authorization server keys, realms,
  push groups, rate limits, and Identity Governance (campaigns,
  entitlements, requests).
  We have, they lack: every listing at once with joins and pushdown (a data
  source reads one object or one list), factors, the System Log, group
  members of every group, the graph.
- **JupiterOne graph-okta** (okta_account, okta_service, okta_user,
  okta_user_group, okta_app_user_group, okta_application, mfa_device,
  okta_role, okta_rule, okta_device; AWS IAM role edges; users mapped to
  persons).
  They have, we lack: nothing (the same entities and edges are in
  okta_entities and okta_relationships).
  We have, they lack: policies, policy rules and mappings, API tokens,
  custom role permissions and resource sets, group owners, authorization
  servers, zones, trusted origins, identity providers, the System Log, SQL
  over all of it.

API tokens: Okta returns a token's value once, when it is created; the API
has no way to read it later, so okta_api_tokens holds metadata only.
"""


def render(tables):
    out = ["# Table reference", "",
           "Generated from the table descriptors by `make docs` (tests/gen_docs.py); "
           "do not edit by hand. The same data is available in SQL as `SELECT okta_schema()`.", "",
           "Every table is eponymous (no `CREATE VIRTUAL TABLE`). JSON columns hold Okta's nested objects "
           "as JSON text. A constraint that is pushed down is still checked by SQLite, so results are "
           "exactly what the SQL says; constraints that are not pushed down are evaluated by SQLite. "
           "Hidden columns are inputs: they are not in `SELECT *` and read back as the value given.", ""]
    out.append("| table | what | needs |")
    out.append("|---|---|---|")
    for t in tables:
        out.append("| [%s](#%s) | %s | %s |" % (t["name"], t["name"], esc(t["doc"]), esc(t["needs"])))
    out.append("")
    for t in tables:
        out += ["## %s" % t["name"], "", t["doc"][0].upper() + t["doc"][1:] + ".", "",
                "Needs: %s." % t["needs"], "", "Requests:", ""]
        for r in t["routes"]:
            when = "`%s` constrained" % r["when"] if r["when"] else "otherwise"
            line = "- %s (%s): `%s`" % (when, r["name"], r["request"])
            if r.get("keys_from"):
                line += ", keys from `%s`" % r["keys_from"]
            if r.get("args_from"):
                line += " for each item of `%s`" % r["args_from"]
            if r.get("passes"):
                line += "; without pushdown one pass per: %s" % ", ".join(
                    "`%s`" % p if p else "(plain)" for p in r["passes"])
            out.append(line)
        if t.get("also"):
            out.append("- and per row: `%s`" % t["also"])
        out += ["", "| column | type | from | pushed down |", "|---|---|---|---|"]
        for c in t["columns"]:
            name = c["name"] + (" (hidden)" if c["hidden"] else "")
            src = c["source"] or c["doc"]
            if c["source"] and c["doc"]:
                src += ": " + c["doc"]
            out.append("| %s | %s | %s | %s |" % (name, c["type"], esc(src), esc(c["pushdown"])))
        out.append("")
    out.append(COMPARED)
    return "\n".join(out)


def main():
    text = render(schema())
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        with open(OUT, encoding="utf-8") as f:
            return 0 if f.read() == text else 1
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
