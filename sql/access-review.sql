-- Access review, the short version: who has an account and in what state.
--
-- Answers: how many accounts per status; which active accounts have not
-- signed in for 90 days; which accounts were never activated; which
-- accounts are not people (service, bot, generic user types).
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/access-review.sql
.headers on
.mode box

SELECT status, count(*) AS accounts
  FROM okta_users GROUP BY status ORDER BY accounts DESC;

SELECT login, last_login, status_changed
  FROM okta_users
 WHERE status = 'ACTIVE'
   AND (last_login IS NULL OR last_login < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-90 days'))
 ORDER BY last_login LIMIT 20;

SELECT login, status, created
  FROM okta_users WHERE activated IS NULL ORDER BY created LIMIT 20;

SELECT login, user_type, status
  FROM okta_users WHERE user_type IN ('service', 'bot', 'generic') ORDER BY login;
