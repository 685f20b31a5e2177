-- Failures free everything: a 503 burst recovered, then a 401 and a bad org URL.
-- fault: {"path": "^/api/v1/users$", "kind": "status", "status": 503, "times": 2}
-- expect: 2000
-- expect: 401 E0000011
-- expect: must use https://
.bail off
SELECT count(*) FROM okta_users;
SELECT okta_config('token', 'bad-token');
SELECT count(*) FROM okta_users;
SELECT okta_config('orgUrl', 'http://example.com');
SELECT count(*) FROM okta_users;
