-- Malformed responses and a foreign next link fail cleanly.
-- fault: {"path": "^/api/v1/users$", "query": "after=", "kind": "truncate"}
-- fault: {"path": "^/api/v1/users$", "query": "DEPROV", "kind": "foreign_next", "times": -1}
-- expect: malformed JSON
-- expect: another origin
.bail off
SELECT count(*) FROM okta_users;
SELECT okta_cache_clear();
SELECT count(*) FROM okta_users WHERE status = 'DEPROVISIONED';
