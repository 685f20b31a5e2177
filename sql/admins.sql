-- Admins: who holds which admin role, directly or through a group, whether
-- any of them is not an active user, and whether Okta Support may sign in
-- to the org. Reads the access graph, so a token that may not read roles
-- gives a warning instead of failing.
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/admins.sql
.headers on
.mode box

DROP TABLE IF EXISTS temp.adm;
CREATE TEMP TABLE adm AS
  WITH direct AS (
         SELECT from_key AS user_id, properties->>'label' AS role, 'direct' AS via
           FROM okta_relationships WHERE type = 'okta_user_assigned_role'),
       via_group AS (
         SELECT m.user_id, r.properties->>'label' AS role, 'group "' || g.name || '"' AS via
           FROM okta_relationships r
           JOIN okta_groups g ON g.id = r.from_key
           JOIN okta_group_members m ON m.group_id = r.from_key
          WHERE r.type IN ('okta_user_group_assigned_role', 'okta_app_user_group_assigned_role'))
  SELECT u.login, u.status, a.role, a.via
    FROM (SELECT * FROM direct UNION SELECT * FROM via_group) a
    JOIN okta_users u ON u.id = a.user_id;

SELECT role, count(DISTINCT login) AS holders FROM adm GROUP BY role ORDER BY role;
SELECT login, status, role, via FROM adm ORDER BY role, login, via;
SELECT login, status, role, via, 'admin is ' || status AS finding FROM adm WHERE status <> 'ACTIVE' ORDER BY login;
SELECT company_name,
       CASE support_enabled WHEN 1 THEN 'ENABLED' WHEN 0 THEN 'DISABLED' ELSE 'unknown (token may not read it)' END
         AS okta_support_access,
       support_expiration
  FROM okta_org;

SELECT source, message AS warning FROM okta_warnings;
