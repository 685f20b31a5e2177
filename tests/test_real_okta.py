"""Where a real Okta org answers differently from a naive fake (issue 13):
IAM links on the admin host, AWS apps without identityProviderArn, policy
types an org lacks, authenticator enrollments, the search and filter grammar
of real orgs, and person keys lowercased with Unicode rules. Each test names
the source of the behaviour the fake copies (see tests/fakeorg/server.py)."""

import math
import sqlite3

import pytest

from conftest import connect, fresh, rows


def error_of(conn, sql, *args):
    with pytest.raises(sqlite3.Error) as e:
        conn.execute(sql, args).fetchall()
    return str(e.value)


def warnings(conn):
    return [m for (m,) in rows(conn, "SELECT value->>'message' FROM json_each(okta_warnings())")]


def by_name(fake):
    """The fake org under the host name localhost: a DNS name has an admin
    host (localhost-admin), an IP address does not."""
    return "http://localhost:%s" % fake.url.rsplit(":", 1)[1]


# ------------------------------------------------------- item 5: admin host

def test_iam_next_link_on_the_admin_host_is_followed_on_the_org(fake, truth):
    # real /api/v1/iam/ responses link on https://{org}-admin.okta.com
    # (recorded-gets.jsonl, GET /api/v1/iam/roles/{id}); the fake does the same
    fake.config(page_max={"/api/v1/iam/assignees/users": 3})
    conn = connect(fake, orgUrl=by_name(fake))
    got = rows(conn, "SELECT user_id, type, assignment_type FROM okta_user_roles")
    want = [(uid, r["type"], r["assignmentType"]) for uid in truth.admins() for r in truth.roles_of_user(uid)]
    assert sorted(got) == sorted(want)
    pages = fake.requests("/api/v1/iam/assignees/users")
    assert len(pages) == math.ceil(len(truth.admins()) / 3) > 1
    # every later page is the admin host's link, asked of the org itself
    assert all(p["query"].get("after") for p in pages[1:])


def test_admin_host_link_in_a_link_header_is_followed_on_the_org(fake, truth):
    fake.faults({"path": "^/api/v1/users$", "kind": "admin_next"})
    conn = connect(fake, orgUrl=by_name(fake))
    assert rows(conn, "SELECT count(*) FROM okta_users")[0][0] == len(truth.users)
    assert len(fake.requests("/api/v1/users")) == math.ceil(
        sum(u["status"] != "DEPROVISIONED" for u in truth.users) / 200) + math.ceil(
        sum(u["status"] == "DEPROVISIONED" for u in truth.users) / 200)


@pytest.mark.parametrize("target", ["http://localhost-admin:{other}", "http://evil-admin:{port}",
                                    "http://localhost-admin.evil.com:{port}", "http://localhostx-admin:{port}"])
def test_any_other_host_stays_an_error(fake, target):
    port = int(fake.url.rsplit(":", 1)[1])
    target = target.format(port=port, other=port + 1)
    fake.faults({"path": "^/api/v1/users$", "kind": "foreign_next", "target": target})
    conn = connect(fake, orgUrl=by_name(fake))
    assert "next-page link points to another origin (%s" % target in error_of(conn, "SELECT * FROM okta_users")


def test_an_ip_org_has_no_admin_host(fake):
    port = int(fake.url.rsplit(":", 1)[1])
    fake.faults({"path": "^/api/v1/users$", "kind": "foreign_next", "target": "http://127-admin.0.0.1:%d" % port})
    conn = connect(fake)
    assert "another origin" in error_of(conn, "SELECT * FROM okta_users")
