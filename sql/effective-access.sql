-- Effective access: every user (and the person behind it) with every
-- application and AWS role they can reach, and the path that grants it:
-- direct assignment, a group, or a group that a group rule fills.
-- Findings first: deprovisioned or suspended users who still hold an
-- assignment.
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/effective-access.sql
-- Optional: -cmd ".parameter set @limit 50" caps the listings.
.headers on
.mode box

DROP TABLE IF EXISTS temp.ea_users;
DROP TABLE IF EXISTS temp.ea_apps;
DROP TABLE IF EXISTS temp.ea_assign;
DROP TABLE IF EXISTS temp.ea_group_paths;
DROP TABLE IF EXISTS temp.ea_access;

CREATE TEMP TABLE ea_users AS
  SELECT id, login, status,
         CASE WHEN email IS NOT NULL AND coalesce(lower(user_type), '') NOT IN ('generic', 'service', 'bot')
              THEN okta_lower(email) END AS person
    FROM okta_users;
CREATE TEMP TABLE ea_apps AS SELECT id, name, label, status, aws_account_id FROM okta_applications;
CREATE TEMP TABLE ea_assign AS SELECT app_id, user_id, scope, status, profile FROM okta_app_users;

-- Groups assigned to apps, their members, and the active rules that fill them.
CREATE TEMP TABLE ea_group_paths AS
  WITH assigned AS MATERIALIZED (SELECT DISTINCT group_id FROM okta_app_groups),
       rules AS MATERIALIZED (
         SELECT j.value AS group_id, group_concat(r.name, ', ') AS rule_names
           FROM okta_group_rules r, json_each(r.group_ids) j
          WHERE r.status = 'ACTIVE' GROUP BY j.value)
  SELECT ag.app_id, m.user_id, g.name AS group_name, rules.rule_names
    FROM okta_app_groups ag
    JOIN assigned a ON a.group_id = ag.group_id
    JOIN okta_group_members m ON m.group_id = ag.group_id
    JOIN okta_groups g ON g.id = ag.group_id
    LEFT JOIN rules ON rules.group_id = ag.group_id;

CREATE TEMP TABLE ea_access AS
  WITH paths AS (
    SELECT s.app_id, s.user_id, 'direct' AS path FROM ea_assign s WHERE s.scope = 'USER'
    UNION
    SELECT p.app_id, p.user_id,
           CASE WHEN p.rule_names IS NOT NULL THEN 'rule "' || p.rule_names || '" -> group "' || p.group_name || '"'
                ELSE 'group "' || p.group_name || '"' END
      FROM ea_group_paths p JOIN ea_assign s ON s.app_id = p.app_id AND s.user_id = p.user_id
    UNION
    SELECT s.app_id, s.user_id, 'group (not resolved)' FROM ea_assign s
     WHERE s.scope = 'GROUP'
       AND NOT EXISTS (SELECT 1 FROM ea_group_paths p WHERE p.app_id = s.app_id AND p.user_id = s.user_id)
  ),
  roles AS (
    SELECT s.app_id, s.user_id,
           okta_aws_role_arn(j.value, a.aws_account_id) AS aws_role
      FROM ea_assign s JOIN ea_apps a ON a.id = s.app_id,
           json_each(CASE WHEN json_type(s.profile, '$.samlRoles') = 'array' THEN s.profile->'samlRoles'
                          ELSE json_array(s.profile->>'role') END) j
     WHERE (a.name = 'amazon_aws' OR a.aws_account_id IS NOT NULL)
       AND okta_aws_role_arn(j.value, a.aws_account_id) IS NOT NULL
  )
  SELECT coalesce(u.person, '(not a person)') AS person, u.login, u.status AS user_status,
         a.label AS application, s.status AS assignment_status, r.aws_role, p.path,
         CASE WHEN u.status IN ('DEPROVISIONED', 'SUSPENDED') THEN u.status || ' user still assigned' END AS finding
    FROM paths p
    JOIN ea_assign s ON s.app_id = p.app_id AND s.user_id = p.user_id
    JOIN ea_users u ON u.id = p.user_id
    JOIN ea_apps a ON a.id = p.app_id
    LEFT JOIN roles r ON r.app_id = p.app_id AND r.user_id = p.user_id;

SELECT application, count(DISTINCT login) AS users,
       count(DISTINCT CASE WHEN path = 'direct' THEN login END) AS direct,
       count(DISTINCT CASE WHEN path LIKE 'group%' THEN login END) AS via_group,
       count(DISTINCT CASE WHEN path LIKE 'rule%' THEN login END) AS via_rule,
       count(DISTINCT aws_role) AS aws_roles,
       count(DISTINCT CASE WHEN finding IS NOT NULL THEN login END) AS findings
  FROM ea_access GROUP BY application ORDER BY application;

SELECT finding, login, person, application, assignment_status, aws_role, path
  FROM ea_access WHERE finding IS NOT NULL ORDER BY finding, login, application, aws_role, path
 LIMIT coalesce(@limit, -1);

SELECT person, login, user_status, application, aws_role, path
  FROM ea_access ORDER BY person, login, application, aws_role, path LIMIT coalesce(@limit, -1);

SELECT source, message AS warning FROM okta_warnings;
