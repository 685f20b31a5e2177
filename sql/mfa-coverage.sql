-- MFA coverage: which active users have no active MFA method, and how many
-- active users use each method.
--
-- The methods are the users' authenticator enrollments where the org has
-- them (Identity Engine: okta_user_authenticator_enrollments lists every
-- enrollment), and their MFA factors otherwise (okta_user_factors). The two
-- can differ: Okta lists as factors only those REQUIRED or OPTIONAL in the
-- highest-priority authenticator enrollment policy for the admin's client
-- context, so a user may hold more than their factors show. The password
-- is not an MFA method. The first result says which source was used.
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/mfa-coverage.sql
.headers on
.mode box

DROP TABLE IF EXISTS temp.mfa_users;
DROP TABLE IF EXISTS temp.mfa_source;
DROP TABLE IF EXISTS temp.mfa_methods;
CREATE TEMP TABLE mfa_users AS
  SELECT id, login, user_type, last_login FROM okta_users WHERE status = 'ACTIVE';
-- One enrollment anywhere says the org has them (an org without them gives
-- no rows and a warning after a handful of requests).
CREATE TEMP TABLE mfa_source AS
  SELECT CASE WHEN EXISTS (SELECT 1 FROM okta_user_authenticator_enrollments)
              THEN 'authenticator enrollments' ELSE 'factors' END AS source;
CREATE TEMP TABLE mfa_methods AS
  SELECT e.user_id, e.key AS method, e.type AS kind, e.status
    FROM mfa_users u JOIN okta_user_authenticator_enrollments e ON e.user_id = u.id
   WHERE (SELECT source FROM mfa_source) = 'authenticator enrollments' AND e.key <> 'okta_password'
  UNION ALL
  SELECT f.user_id, f.factor_type, f.provider, f.status
    FROM mfa_users u JOIN okta_user_factors f ON f.user_id = u.id
   WHERE (SELECT source FROM mfa_source) = 'factors';

SELECT (SELECT source FROM mfa_source) AS source,
       count(*) AS active_users,
       sum(EXISTS (SELECT 1 FROM mfa_methods m WHERE m.user_id = u.id AND m.status = 'ACTIVE')) AS with_mfa,
       sum(NOT EXISTS (SELECT 1 FROM mfa_methods m WHERE m.user_id = u.id AND m.status = 'ACTIVE')) AS without_mfa,
       printf('%.1f%%', 100.0 * sum(EXISTS (SELECT 1 FROM mfa_methods m WHERE m.user_id = u.id AND m.status = 'ACTIVE'))
                        / max(count(*), 1)) AS coverage
  FROM mfa_users u;

SELECT method, kind, count(DISTINCT user_id) AS active_users_with_it
  FROM mfa_methods WHERE status = 'ACTIVE' GROUP BY method, kind ORDER BY active_users_with_it DESC, method;

SELECT u.login, coalesce(u.user_type, '') AS user_type, u.last_login,
       (SELECT group_concat(m.method || ' (' || m.status || ')', ', ') FROM mfa_methods m WHERE m.user_id = u.id)
         AS inactive_methods
  FROM mfa_users u
 WHERE NOT EXISTS (SELECT 1 FROM mfa_methods m WHERE m.user_id = u.id AND m.status = 'ACTIVE')
 ORDER BY u.login LIMIT coalesce(@limit, -1);

SELECT source, message AS warning FROM okta_warnings;
