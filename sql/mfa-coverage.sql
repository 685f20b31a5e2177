-- MFA coverage: which active users have no active MFA factor, and how many
-- active users use each factor type.
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/mfa-coverage.sql
.headers on
.mode box

DROP TABLE IF EXISTS temp.mfa_users;
DROP TABLE IF EXISTS temp.mfa_factors;
CREATE TEMP TABLE mfa_users AS
  SELECT id, login, user_type, last_login FROM okta_users WHERE status = 'ACTIVE';
CREATE TEMP TABLE mfa_factors AS
  SELECT f.user_id, f.factor_type, f.provider, f.status
    FROM mfa_users u JOIN okta_user_factors f ON f.user_id = u.id;

SELECT count(*) AS active_users,
       sum(EXISTS (SELECT 1 FROM mfa_factors f WHERE f.user_id = u.id AND f.status = 'ACTIVE')) AS with_mfa,
       sum(NOT EXISTS (SELECT 1 FROM mfa_factors f WHERE f.user_id = u.id AND f.status = 'ACTIVE')) AS without_mfa,
       printf('%.1f%%', 100.0 * sum(EXISTS (SELECT 1 FROM mfa_factors f WHERE f.user_id = u.id AND f.status = 'ACTIVE'))
                        / max(count(*), 1)) AS coverage
  FROM mfa_users u;

SELECT factor_type, provider, count(DISTINCT user_id) AS active_users_with_it
  FROM mfa_factors WHERE status = 'ACTIVE' GROUP BY factor_type, provider ORDER BY active_users_with_it DESC, factor_type;

SELECT u.login, coalesce(u.user_type, '') AS user_type, u.last_login,
       (SELECT group_concat(f.factor_type || ' (' || f.status || ')', ', ') FROM mfa_factors f WHERE f.user_id = u.id)
         AS inactive_factors
  FROM mfa_users u
 WHERE NOT EXISTS (SELECT 1 FROM mfa_factors f WHERE f.user_id = u.id AND f.status = 'ACTIVE')
 ORDER BY u.login LIMIT coalesce(@limit, -1);

SELECT source, message AS warning FROM okta_warnings;
