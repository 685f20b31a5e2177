"""The fake behaves like a real org where our own assumptions were wrong
(issue 13, items 1, 2 and 4), and the extension copes: one-term /apps
filters, expand=stats page limits on /groups, and System Log paging."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import connect, fresh, rows


def fake_get(fake, path, **query):
    """A GET on the fake with the token: (status, headers, body)."""
    url = fake.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    req = urllib.request.Request(url, headers={"Authorization": "SSWS " + fake.token})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read())


# ------------------------------------------------ item 1: one /apps filter term

@pytest.mark.parametrize("flt", ['name eq "okta_org2org" and status eq "ACTIVE"',
                                 'id eq "0oa1" or id eq "0oa2"', '(status eq "ACTIVE")',
                                 'user.id eq "00u1" AND status eq "ACTIVE"'])
def test_fake_refuses_more_than_one_apps_filter_term(fake, flt):
    status, _, body = fake_get(fake, "/api/v1/apps", filter=flt)
    assert status == 400 and body["errorCode"] == "E0000031"


def test_fake_takes_one_apps_term_whatever_its_value_holds(fake, truth):
    status, _, body = fake_get(fake, "/api/v1/apps", filter='status eq "ACTIVE"')
    assert status == 200 and body and all(a["status"] == "ACTIVE" for a in body)
    # and/or/parentheses inside a quoted value are the value, not the grammar
    status, _, body = fake_get(fake, "/api/v1/apps", filter='name eq "a and (b or c)"')
    assert (status, body) == (200, [])


def test_apps_with_two_terms_send_one(db, fake, truth):
    app = next(a for a in truth.apps if a["status"] == "ACTIVE")
    got = rows(db, "SELECT id FROM okta_applications WHERE name = ? AND status = 'ACTIVE'", app["name"])
    assert sorted(got) == sorted((a["id"],) for a in truth.apps if a["name"] == app["name"] and a["status"] == "ACTIVE")
    assert rows(db, "SELECT count(*) FROM okta_applications WHERE name = 'x' AND status = 'ACTIVE'") == [(0,)]
    uid = next(iter(truth.app_users.values()))[0]["id"]
    got = rows(db, "SELECT a.id FROM okta_applications a JOIN okta_app_users au ON au.app_id = a.id "
                   "WHERE au.user_id = ? AND a.status = 'ACTIVE'", uid)
    assert sorted(got) == sorted((a["id"],) for a in truth.apps if a["status"] == "ACTIVE"
                                 and any(x["id"] == uid for x in truth.app_users.get(a["id"], [])))
    filters = [r["query"]["filter"] for r in fake.requests("/api/v1/apps") if "filter" in r["query"]]
    assert filters and all(r["status"] == 200 for r in fake.requests())
    for f in filters:
        assert " and " not in f.lower() and " or " not in f.lower() and "(" not in f


# --------------------------------------- item 2: expand=stats page limits

def test_fake_fails_large_expand_stats_pages(fake):
    assert fake_get(fake, "/api/v1/groups", expand="stats", limit="201")[0] == 500
    assert fake_get(fake, "/api/v1/groups", expand="stats")[0] == 500  # the default page is 10000
    assert fake_get(fake, "/api/v1/groups", expand="stats", limit="200")[0] == 200
    assert fake_get(fake, "/api/v1/groups", limit="10000")[0] == 200


def test_groups_fall_back_without_expand_when_stats_always_fail(fake, truth):
    fake.config(groups_stats_500=True, page_max={"/api/v1/groups": 7})
    conn = connect(fake, **{"cache.enabled": "false", "rateLimit.maxRetries": "1"})
    got = rows(conn, "SELECT id, users_count FROM okta_groups")
    assert sorted(i for i, _ in got) == sorted(g["id"] for g in truth.groups)  # none lost, none repeated
    assert {c for _, c in got} == {None}
    warnings = [m for (m,) in rows(conn, "SELECT message FROM okta_warnings WHERE source = 'okta_groups'")]
    assert len(warnings) == 1 and "read without expand=" in warnings[0]
    reqs = fake.requests("/api/v1/groups")
    stats = [r for r in reqs if r["query"].get("expand") == "stats"]
    assert [r["query"]["limit"] for r in stats][::2] == ["200", "100", "50", "25"]  # each tried twice
    assert all(r["status"] == 500 for r in stats)
    plain = [r for r in reqs if "expand" not in r["query"]]
    assert len(plain) == -(-len(truth.groups) // 7) and all(r["status"] == 200 for r in plain)


def test_groups_read_with_stats_in_pages_of_200(db, fake, truth):
    got = rows(db, "SELECT id, users_count FROM okta_groups")
    assert len(got) == len(truth.groups) and any(c is not None for _, c in got)
    assert all(r["status"] == 200 for r in fake.requests())
    assert rows(db, "SELECT count(*) FROM okta_warnings") == [(0,)]


# ---------------------------------------------------- item 4: System Log paging

def test_fake_log_links_are_one_comma_joined_line(fake, truth):
    status, headers, body = fake_get(fake, "/api/v1/logs", since="2020-01-01T00:00:00.000Z",
                                     until="2100-01-01T00:00:00.000Z", limit="5")
    links = headers.get_all("Link")
    assert status == 200 and len(body) == 5 and len(links) == 1
    assert 'rel="self", <' in links[0] and links[0].endswith('rel="next"')


def test_bounded_log_query_reads_every_page_and_ends_on_the_empty_one(db, fake, truth):
    fake.config(page_max={"/api/v1/logs": 40})
    lo, hi = sorted(e["published"] for e in truth.logs)[-150], "2100-01-01T00:00:00.000Z"
    want = sorted(e["uuid"] for e in truth.logs if lo <= e["published"] < hi)
    got = rows(db, "SELECT uuid FROM okta_system_log WHERE published >= ? AND published < ?", lo, hi)
    assert sorted(u for (u,) in got) == want and len(want) >= 150
    reqs = fake.requests("/api/v1/logs")
    assert all("since" in r["query"] and "until" in r["query"] for r in reqs)
    assert len(reqs) == -(-len(want) // 40)  # the last page has no next
    assert len({json.dumps(r["query"], sort_keys=True) for r in reqs}) == len(reqs)

def test_unbounded_log_query_still_sends_until(db, fake):
    rows(db, "SELECT count(*) FROM okta_system_log")
    reqs = fake.requests("/api/v1/logs")
    assert reqs and all("since" in r["query"] and "until" in r["query"] for r in reqs)


def test_a_bounded_log_query_with_no_events_is_one_request(db, fake):
    """Its empty page links next to its own URL: the end, not a loop."""
    assert rows(db, "SELECT uuid FROM okta_system_log WHERE published >= '2020-01-01' "
                    "AND event_type = 'no.such.event'") == []
    reqs = fake.requests("/api/v1/logs")
    assert len(reqs) == 1 and reqs[0]["query"]["filter"] == 'eventType eq "no.such.event"'
    status, headers, body = fake_get(fake, "/api/v1/logs", **reqs[0]["query"])
    assert body == [] and headers["Link"].endswith('?%s>; rel="next"' % urllib.parse.urlencode(reqs[0]["query"]))
