"""okta_users end to end against the fake org: rows, pushdown and the exact
requests each query makes."""

import json
import math

import pytest

from conftest import connect, fresh, plan, rows

DEPROV_FILTER = 'status eq "DEPROVISIONED"'


def user_requests(fake):
    return [e for e in fake.requests() if e["path"].startswith("/api/v1/users")]


def test_every_user_exactly_once_including_deprovisioned(db, fake, truth):
    got = rows(db, "SELECT id, status FROM okta_users")
    ids = [r[0] for r in got]
    assert len(ids) == len(set(ids)) == len(truth.users)
    assert set(ids) == {u["id"] for u in truth.users}
    deprov = sum(1 for u in truth.users if u["status"] == "DEPROVISIONED")
    assert sum(1 for r in got if r[1] == "DEPROVISIONED") == deprov
    reqs = user_requests(fake)
    plain = [r for r in reqs if "filter" not in r["query"]]
    dep = [r for r in reqs if r["query"].get("filter") == DEPROV_FILTER]
    assert len(plain) == math.ceil((len(truth.users) - deprov) / 200)
    assert len(dep) == math.ceil(deprov / 200)
    assert len(reqs) == len(plain) + len(dep)
    # every page asks for the maximum page size, later pages follow the Link cursor
    assert all(r["query"]["limit"] == "200" for r in reqs)
    assert sum(1 for r in plain if "after" in r["query"]) == len(plain) - 1


def test_count_star_request_count(db, fake, truth):
    assert rows(db, "SELECT count(*) FROM okta_users")[0][0] == len(truth.users)
    deprov = sum(1 for u in truth.users if u["status"] == "DEPROVISIONED")
    assert len(user_requests(fake)) == math.ceil((len(truth.users) - deprov) / 200) + math.ceil(deprov / 200)


def test_columns_match_the_api(db, truth):
    u = next(x for x in truth.users if x["status"] == "ACTIVE" and x["lastLogin"])
    r = db.execute("SELECT id, status, login, email, first_name, last_name, user_type, created, activated, "
                   "status_changed, last_login, last_updated, password_changed, transitioning_to_status, "
                   "type_id, profile, credentials FROM okta_users WHERE id = ?", (u["id"],)).fetchone()
    p = u["profile"]
    assert r[:15] == (u["id"], u["status"], p["login"], p["email"], p["firstName"], p["lastName"], p.get("userType"),
                      u["created"], u["activated"], u["statusChanged"], u["lastLogin"], u["lastUpdated"],
                      u["passwordChanged"], None, u["type"]["id"])
    assert json.loads(r[15]) == p
    assert json.loads(r[16]) == u["credentials"]
    # JSON columns work with SQLite's JSON operators
    assert db.execute("SELECT profile->>'department' FROM okta_users WHERE id = ?", (u["id"],)).fetchone()[0] == p["department"]


def test_schema_and_hidden_columns(db):
    cols = [r[1] for r in db.execute("PRAGMA table_xinfo(okta_users)")]
    assert cols == ["id", "status", "login", "email", "first_name", "last_name", "user_type", "created", "activated",
                    "status_changed", "last_login", "last_updated", "password_changed", "transitioning_to_status",
                    "type_id", "profile", "credentials", "search", "filter"]
    hidden = [r[1] for r in db.execute("PRAGMA table_xinfo(okta_users)") if r[6]]
    assert hidden == ["search", "filter"]
    assert [d[0] for d in db.execute("SELECT * FROM okta_users LIMIT 0").description][-1] == "credentials"


def test_id_equality_is_one_get(db, fake, truth):
    u = truth.users[100]
    assert rows(db, "SELECT login FROM okta_users WHERE id = ?", u["id"]) == [(u["profile"]["login"],)]
    assert [e["path"] for e in fake.requests()] == ["/api/v1/users/" + u["id"]]
    assert plan(db, "SELECT login FROM okta_users WHERE id = 'x'") == "SCAN okta_users VIRTUAL TABLE INDEX 0:get id= used=5"


def test_missing_id_is_zero_rows_not_an_error(db, fake):
    assert rows(db, "SELECT * FROM okta_users WHERE id = '00uDOESNOTEXIST0001'") == []
    reqs = fake.requests()
    assert len(reqs) == 1 and reqs[0]["status"] == 404


def test_a_value_that_is_not_a_user_id_costs_no_request(db, fake, truth):
    # Okta resolves /users/{login} like /users/{id}: a login, a path or junk
    # used as a key is no row, decided without asking
    u = truth.users[100]
    for v in ("../groups", u["profile"]["login"], "", ".", "..", "x" * 100000):
        assert rows(db, "SELECT * FROM okta_users WHERE id = ?", v) == []
    assert fake.requests() == []


def test_id_in_is_batched_into_filters(db, fake, truth):
    ids = [u["id"] for u in truth.users[:120]]
    q = "SELECT id FROM okta_users WHERE id IN (%s)" % ",".join("?" * len(ids))
    got = rows(db, q, *ids)
    assert sorted(r[0] for r in got) == sorted(ids)
    reqs = fake.requests()
    assert len(reqs) == 3  # chunks of 50 ids
    assert all(r["query"]["filter"].startswith('id eq "') and " or id eq " in r["query"]["filter"] for r in reqs)
    assert "INDEX 1:batch idIN" in plan(db, q, *ids)


def test_status_pushdown(db, fake, truth):
    want = sorted(u["id"] for u in truth.users if u["status"] == "SUSPENDED")
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_users WHERE status = 'SUSPENDED'")) == want
    reqs = fake.requests()
    assert [r["query"]["filter"] for r in reqs] == ['status eq "SUSPENDED"'] * math.ceil(len(want) / 200)
    assert plan(db, "SELECT id FROM okta_users WHERE status = 'SUSPENDED'") == \
        "SCAN okta_users VIRTUAL TABLE INDEX 2:list status= used=3"


def test_deprovisioned_status_is_one_listing(db, fake, truth):
    n = sum(1 for u in truth.users if u["status"] == "DEPROVISIONED")
    assert rows(db, "SELECT count(*) FROM okta_users WHERE status = 'DEPROVISIONED'")[0][0] == n
    assert all(r["query"]["filter"] == DEPROV_FILTER for r in fake.requests())


def test_unknown_status_value_is_not_sent_and_matches_nothing(db, fake):
    assert rows(db, "SELECT id FROM okta_users WHERE status = 'active'") == []
    assert all("filter" not in r["query"] or r["query"]["filter"] == DEPROV_FILTER for r in fake.requests())


@pytest.mark.parametrize("column,attr", [("login", "login"), ("email", "email"),
                                         ("first_name", "firstName"), ("last_name", "lastName")])
def test_profile_equality_pushdown(db, fake, truth, column, attr):
    u = truth.users[500]
    value = u["profile"][attr]
    want = sorted(x["id"] for x in truth.users if x["profile"][attr] == value)
    got = sorted(r[0] for r in rows(db, "SELECT id FROM okta_users WHERE %s = ?" % column, value))
    assert got == want
    reqs = fake.requests()
    assert len(reqs) == 1
    assert reqs[0]["query"]["filter"] == 'profile.%s eq "%s"' % (attr, value)


@pytest.mark.parametrize("index", range(6))
def test_filter_values_are_escaped(db, fake, truth, index):
    # Quotes, backslashes, an injection attempt, &#%, a newline, unicode.
    u = truth.users[index]
    for column, attr in (("last_name", "lastName"), ("login", "login")):
        value = u["profile"][attr]
        got = rows(db, "SELECT id FROM okta_users WHERE %s = ?" % column, value)
        assert got == [(u["id"],)], (column, value)
    for r in fake.requests():
        if "\n" in value or "\n" in u["profile"]["lastName"]:
            # Okta's grammar has no escape for a newline: not sent, SQLite decides
            assert "\n" not in r["query"].get("filter", "")
        else:
            assert r["query"]["filter"].count(' eq "') == 1


def test_injection_attempt_cannot_widen_the_query(db, fake):
    got = rows(db, """SELECT id FROM okta_users WHERE last_name = 'x" or status eq "ACTIVE'""")
    assert got == []
    assert fake.requests()[0]["query"]["filter"] == r'profile.lastName eq "x\" or status eq \"ACTIVE"'


def test_last_updated_range_pushdown(db, fake, truth):
    cut = sorted(u["lastUpdated"] for u in truth.users)[len(truth.users) // 2]
    want = sorted(u["id"] for u in truth.users if u["lastUpdated"] > cut)
    got = sorted(r[0] for r in rows(db, "SELECT id FROM okta_users WHERE last_updated > ?", cut))
    assert got == want
    # "> cut" holds from the next millisecond on: the exact bound
    from datetime import datetime, timedelta
    nxt = (datetime.fromisoformat(cut.replace("Z", "+00:00")) + timedelta(milliseconds=1))
    assert fake.requests()[0]["query"]["filter"] == 'lastUpdated ge "%s"' % (
        nxt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (nxt.microsecond // 1000))
    # a date alone is widened safely; the answer is still exact
    day = cut[:10]
    want = sorted(u["id"] for u in truth.users if u["lastUpdated"] < day)
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_users WHERE last_updated < ?", day)) == want


def test_time_equality_is_pushed_only_in_oktas_format(db, fake, truth):
    u = truth.users[7]
    assert rows(db, "SELECT id FROM okta_users WHERE last_updated = ?", u["lastUpdated"])[0][0] == u["id"]
    assert fake.requests()[0]["query"]["filter"] == 'lastUpdated eq "%s"' % u["lastUpdated"]
    fresh(db, fake)
    assert rows(db, "SELECT id FROM okta_users WHERE last_updated = ?", u["lastUpdated"][:10]) == []
    assert all(r["query"].get("filter", "").startswith("status") or "filter" not in r["query"]
               for r in fake.requests())


def test_combined_pushdown(db, fake, truth):
    cut = "2020-01-01T00:00:00.000Z"
    want = sorted(u["id"] for u in truth.users if u["status"] == "ACTIVE" and u["lastUpdated"] >= cut)
    got = sorted(r[0] for r in rows(db, "SELECT id FROM okta_users WHERE status = 'ACTIVE' AND last_updated >= ?", cut))
    assert got == want
    assert fake.requests()[0]["query"]["filter"] == 'status eq "ACTIVE" and lastUpdated ge "%s"' % cut


def test_constraints_the_api_cannot_take_are_left_to_sqlite(db, fake, truth):
    cut = sorted(u["created"] for u in truth.users)[100]
    want = sorted(u["id"] for u in truth.users if u["created"] < cut)
    assert sorted(r[0] for r in rows(db, "SELECT id FROM okta_users WHERE created < ?", cut)) == want
    assert all("filter" not in r["query"] or r["query"]["filter"] == DEPROV_FILTER for r in fake.requests())


def test_limit_stops_paging(db, fake):
    assert len(rows(db, "SELECT id FROM okta_users LIMIT 5")) == 5
    reqs = fake.requests()
    assert len(reqs) == 1 and reqs[0]["query"]["limit"] == "5"
    fresh(db, fake)
    assert len(rows(db, "SELECT id FROM okta_users LIMIT 250")) == 250
    assert len(fake.requests()) == 2
    fresh(db, fake)
    assert len(rows(db, "SELECT id FROM okta_users WHERE status = 'ACTIVE' LIMIT 3 OFFSET 2")) == 3
    reqs = fake.requests()
    assert len(reqs) == 1 and reqs[0]["query"]["limit"] == "5"
    assert plan(db, "SELECT id FROM okta_users LIMIT 5") == "SCAN okta_users VIRTUAL TABLE INDEX 2:list LIMIT"


def test_limit_is_not_used_when_sqlite_filters_rows(db, fake):
    got = rows(db, "SELECT id FROM okta_users WHERE created > '2000' LIMIT 5")
    assert len(got) == 5
    assert fake.requests()[0]["query"]["limit"] == "200"


def test_raw_search_and_filter_columns(db, fake, truth):
    want = sorted(u["id"] for u in truth.users if u["profile"]["department"] == "Legal")
    got = sorted(r[0] for r in rows(db, """SELECT id FROM okta_users WHERE search = 'profile.department eq "Legal"'"""))
    assert got == want
    assert fake.requests()[0]["query"]["search"] == 'profile.department eq "Legal"'
    fresh(db, fake)
    want = sorted(u["id"] for u in truth.users if u["status"] in ("LOCKED_OUT", "RECOVERY"))
    got = sorted(r[0] for r in rows(db, """SELECT id FROM okta_users WHERE filter = 'status eq "LOCKED_OUT" or status eq "RECOVERY"'"""))
    assert got == want


def test_search_with_other_terms_goes_into_search(db, fake, truth):
    got = rows(db, """SELECT id, status FROM okta_users WHERE search = 'profile.department eq "IT"' AND status = 'ACTIVE'""")
    assert got and all(r[1] == "ACTIVE" for r in got)
    want = sorted(u["id"] for u in truth.users if u["profile"]["department"] == "IT" and u["status"] == "ACTIVE")
    assert sorted(r[0] for r in got) == want
    assert "filter" not in fake.requests()[0]["query"]


def test_request_headers(db, fake):
    rows(db, "SELECT id FROM okta_users LIMIT 1")
    r = fake.requests()[0]
    assert r["auth"] == "SSWS"
    assert r["user_agent"].startswith("sqlite-okta/0.1.0 libcurl/")


def test_in_on_status_unions_listings(db, fake, truth):
    want = sorted(u["id"] for u in truth.users if u["status"] in ("STAGED", "RECOVERY"))
    got = sorted(r[0] for r in rows(db, "SELECT id FROM okta_users WHERE status IN ('STAGED', 'RECOVERY')"))
    assert got == want
    assert sorted(r["query"]["filter"] for r in fake.requests()) == ['status eq "RECOVERY"', 'status eq "STAGED"']
