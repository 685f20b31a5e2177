-- Users: full scan with both listings, pushdown, IN batching, LIMIT.
-- expect: 2000
-- expect: SUSPENDED|
SELECT count(*) FROM okta_users;
SELECT status || '|' FROM okta_users WHERE status = 'SUSPENDED' LIMIT 1;
SELECT count(*) FROM okta_users WHERE id IN (SELECT id FROM okta_users LIMIT 60);
SELECT count(*) FROM okta_users WHERE last_updated > '2025-01-01' AND login LIKE '%@%';
SELECT json_extract(profile, '$.department') FROM okta_users WHERE id = (SELECT id FROM okta_users LIMIT 1);
SELECT okta_cache_clear() >= 0;
SELECT length(okta_debug()) > 0, okta_version();
