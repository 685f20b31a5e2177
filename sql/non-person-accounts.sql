-- Non-person accounts: users that are not an employee (JupiterOne's
-- "Find User that !is Person"): their profile userType is generic,
-- service or bot, or they have no email.
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/non-person-accounts.sql
.headers on
.mode box

WITH persons AS MATERIALIZED (SELECT from_key FROM okta_relationships WHERE type = 'okta_user_is_person')
SELECT e.properties->>'login' AS login, e.properties->>'userType' AS user_type, e.properties->>'status' AS status,
       e.properties->>'lastLogin' AS last_login
  FROM okta_entities e
 WHERE e.type = 'okta_user' AND e.key NOT IN (SELECT from_key FROM persons)
 ORDER BY login;

SELECT source, message AS warning FROM okta_warnings;
