-- Stale accounts: active users who have not signed in for 90 days (or
-- never), and accounts that were never activated, with their age.
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/stale-accounts.sql
.headers on
.mode box

SELECT login, coalesce(last_login, 'never') AS last_login,
       CAST(julianday('now') - julianday(coalesce(last_login, created)) AS INTEGER) AS days_idle, user_type
  FROM okta_users
 WHERE status = 'ACTIVE'
   AND (last_login IS NULL OR last_login < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-90 days'))
 ORDER BY last_login IS NOT NULL, last_login, login LIMIT coalesce(@limit, -1);

SELECT login, status, created,
       CAST(julianday('now') - julianday(created) AS INTEGER) AS days_since_created
  FROM okta_users
 WHERE activated IS NULL AND status IN ('STAGED', 'PROVISIONED')
 ORDER BY created, login LIMIT coalesce(@limit, -1);

SELECT source, message AS warning FROM okta_warnings;
