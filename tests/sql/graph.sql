-- The access graph: every edge and entity, pushdown, a recursive walk, and
-- a roles source the token may not read (skipped with warnings).
-- fake: {"roles_forbidden": true}
-- expect: okta_user_assigned_application|
-- expect: skipped okta_user_assigned_role
.bail off
SELECT type || '|', count(*) FROM okta_relationships GROUP BY type;
SELECT type, count(*) FROM okta_entities GROUP BY type;
SELECT count(*) FROM okta_relationships WHERE from_key = (SELECT id FROM okta_users LIMIT 1 OFFSET 9);
WITH RECURSIVE reach(k, d) AS (SELECT (SELECT id FROM okta_users LIMIT 1 OFFSET 9), 0
  UNION SELECT r.to_key, reach.d + 1 FROM okta_relationships r JOIN reach ON r.from_key = reach.k WHERE reach.d < 1)
SELECT count(*) FROM reach;
SELECT value->>'message' FROM json_each(okta_warnings());
