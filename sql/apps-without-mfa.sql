-- Apps without MFA: which applications let users sign in with a single
-- factor, from the policies (Identity Engine orgs).
--
-- A user reaches an app through two policies: the global session policy
-- (OKTA_SIGN_ON: may a session start without MFA?) and the app's sign-in
-- policy (ACCESS_POLICY: which factors does this app ask for?). An app lets
-- users in without MFA when a session can start without MFA and an active
-- ALLOW rule of the app's policy asks for one factor (factorMode 1FA). The
-- app's policy is the one okta_policy_mappings maps it to; an app mapped to
-- none uses the default policy (the ACCESS_POLICY Okta marks system).
-- Rules are listed with who they apply to (their groups, else everyone) and
-- the network they require; a rule whose verification is an authentication
-- method chain is not judged. Inactive apps, policies and rules, and DENY
-- rules, do not count.
--
-- Classic orgs have no ACCESS_POLICY (skipped with a warning): there the
-- first result alone says whether the org's sign-on policy lets a session
-- start without MFA.
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/apps-without-mfa.sql
.headers on
.mode box

DROP TABLE IF EXISTS temp.nomfa_policies;
DROP TABLE IF EXISTS temp.nomfa_rules;
DROP TABLE IF EXISTS temp.nomfa_who;
DROP TABLE IF EXISTS temp.nomfa_session;
DROP TABLE IF EXISTS temp.nomfa_apps;
CREATE TEMP TABLE nomfa_policies AS
  SELECT id, name, type, status, system, priority FROM okta_policies WHERE type = 'OKTA_SIGN_ON'
  UNION ALL
  SELECT id, name, type, status, system, priority FROM okta_policies WHERE type = 'ACCESS_POLICY';
CREATE TEMP TABLE nomfa_rules AS
  SELECT r.policy_id, r.id, r.name, r.status, r.priority, r.conditions, r.actions
    FROM nomfa_policies p JOIN okta_policy_rules r ON r.policy_id = p.id;

-- Who a rule applies to: the names of its groups, or everyone.
CREATE TEMP TABLE nomfa_who AS
  SELECT r.id AS rule_id,
         coalesce((SELECT group_concat(coalesce(g.name, j.value), ', ')
                     FROM json_each(r.conditions, '$.people.groups.include') j
                     LEFT JOIN okta_groups g ON g.id = j.value), 'everyone') AS who
    FROM nomfa_rules r;

CREATE TEMP TABLE nomfa_session AS
  SELECT p.name AS session_policy, r.name AS rule, r.priority, w.who
    FROM nomfa_policies p JOIN nomfa_rules r ON r.policy_id = p.id JOIN nomfa_who w ON w.rule_id = r.id
   WHERE p.type = 'OKTA_SIGN_ON' AND p.status = 'ACTIVE' AND r.status = 'ACTIVE'
     AND coalesce(r.actions ->> '$.signon.access', 'ALLOW') = 'ALLOW'
     AND NOT coalesce(r.actions ->> '$.signon.requireFactor', 0);

-- Each app and the sign-in policy it uses.
CREATE TEMP TABLE nomfa_apps AS
  WITH mapped AS (
         SELECT m.app_id, m.policy_id
           FROM nomfa_policies p JOIN okta_policy_mappings m ON m.policy_id = p.id
          WHERE p.type = 'ACCESS_POLICY'),
       dflt AS (
         SELECT id FROM nomfa_policies WHERE type = 'ACCESS_POLICY' AND system = 1 ORDER BY priority, id LIMIT 1)
  SELECT a.id, a.label, a.status, coalesce(m.policy_id, (SELECT id FROM dflt)) AS policy_id,
         CASE WHEN m.policy_id IS NULL THEN 'default policy' ELSE 'mapped' END AS assigned
    FROM okta_applications a LEFT JOIN mapped m ON m.app_id = a.id;

SELECT session_policy, rule, priority, who FROM nomfa_session ORDER BY session_policy, priority, rule;

SELECT a.label AS application, p.name AS app_policy, a.assigned, r.name AS rule, r.priority, w.who,
       coalesce(r.conditions ->> '$.network.connection', 'ANYWHERE') AS network
  FROM nomfa_apps a
  JOIN nomfa_policies p ON p.id = a.policy_id
  JOIN nomfa_rules r ON r.policy_id = p.id
  JOIN nomfa_who w ON w.rule_id = r.id
 WHERE a.status = 'ACTIVE' AND p.status = 'ACTIVE' AND r.status = 'ACTIVE'
   AND coalesce(r.actions ->> '$.appSignOn.access', 'ALLOW') = 'ALLOW'
   AND r.actions ->> '$.appSignOn.verificationMethod.factorMode' = '1FA'
   AND EXISTS (SELECT 1 FROM nomfa_session)
 ORDER BY application, r.priority, rule;

SELECT source, message AS warning FROM okta_warnings;
