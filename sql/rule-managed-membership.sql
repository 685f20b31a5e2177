-- Rule-managed membership: users that group rules put into groups
-- (JupiterOne: "see Okta rules which are automatically adding users to
-- groups"). Members of a rule's target groups, minus the users the rule
-- excludes; inactive rules are listed with what they would manage.
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/rule-managed-membership.sql
.headers on
.mode box

SELECT r.name AS rule, r.status, r.expression, g.name AS target_group, g.users_count AS members
  FROM okta_group_rules r, json_each(r.group_ids) j JOIN okta_groups g ON g.id = j.value
 ORDER BY r.name, g.name;

SELECT r.name AS rule, g.name AS target_group, m.login, m.status
  FROM okta_group_rules r
  CROSS JOIN json_each(r.group_ids) j
  JOIN okta_groups g ON g.id = j.value
  JOIN okta_group_members m ON m.group_id = j.value
 WHERE r.status = 'ACTIVE'
   AND m.user_id NOT IN (SELECT value FROM json_each(r.excluded_user_ids))
 ORDER BY r.name, g.name, m.login LIMIT coalesce(@limit, -1);

SELECT source, message AS warning FROM okta_warnings;
