-- Changes between two snapshots (sql/snapshot.sql): users added, removed
-- or changing status; access granted and revoked (applications, AWS roles,
-- group memberships); admin roles granted and revoked. One row per change,
-- then the count, so a scheduled job can alert when there are changes.
--
-- Run: sqlite3 -cmd ".parameter set @old okta-snapshot-A.db" \
--              -cmd ".parameter set @new okta-snapshot-B.db" < sql/changes.sql
.headers on
.mode list
.separator " | "

ATTACH @old AS old;
ATTACH @new AS new;

DROP TABLE IF EXISTS temp.changes;
CREATE TEMP TABLE changes(change TEXT, subject TEXT, object TEXT, detail TEXT);

INSERT INTO changes
  SELECT 'user added', n.login, NULL, n.status FROM new.okta_users n
   WHERE n.id NOT IN (SELECT id FROM old.okta_users)
  UNION ALL
  SELECT 'user removed', o.login, NULL, o.status FROM old.okta_users o
   WHERE o.id NOT IN (SELECT id FROM new.okta_users)
  UNION ALL
  SELECT 'user status changed', n.login, NULL, o.status || ' -> ' || n.status
    FROM new.okta_users n JOIN old.okta_users o ON o.id = n.id WHERE o.status <> n.status;

-- Edges of the graph that grant access, in both snapshots, with readable names.
DROP TABLE IF EXISTS temp.access_edges;
CREATE TEMP TABLE access_edges AS
  WITH kinds(type) AS (VALUES ('okta_user_assigned_application'), ('okta_user_assigned_aws_iam_role'),
                              ('okta_group_assigned_application'), ('okta_app_user_group_assigned_application'),
                              ('okta_user_group_assigned_aws_iam_role'), ('okta_app_user_group_assigned_aws_iam_role'),
                              ('okta_group_has_user'), ('okta_app_user_group_has_user'), ('okta_user_assigned_role'),
                              ('okta_user_group_assigned_role'), ('okta_app_user_group_assigned_role'))
  SELECT 'new' AS side, r.type, r.from_key, r.to_key,
         coalesce(f.properties->>'login', f.name, r.from_key) AS subject, coalesce(t.name, r.to_key) AS object
    FROM new.okta_relationships r
    LEFT JOIN new.okta_entities f ON f.type = r.from_type AND f.key = r.from_key
    LEFT JOIN new.okta_entities t ON t.type = r.to_type AND t.key = r.to_key
   WHERE r.type IN (SELECT type FROM kinds)
  UNION ALL
  SELECT 'old', r.type, r.from_key, r.to_key,
         coalesce(f.properties->>'login', f.name, r.from_key), coalesce(t.name, r.to_key)
    FROM old.okta_relationships r
    LEFT JOIN old.okta_entities f ON f.type = r.from_type AND f.key = r.from_key
    LEFT JOIN old.okta_entities t ON t.type = r.to_type AND t.key = r.to_key
   WHERE r.type IN (SELECT type FROM kinds);
CREATE INDEX temp.access_edges_key ON access_edges(type, from_key, to_key, side);

INSERT INTO changes
  SELECT CASE WHEN e.type LIKE '%role' THEN 'admin role ' ELSE 'access ' END
         || CASE e.side WHEN 'new' THEN 'granted' ELSE 'revoked' END,
         e.subject, e.object, e.type
    FROM access_edges e
   WHERE NOT EXISTS (SELECT 1 FROM access_edges o
                      WHERE o.side <> e.side AND o.type = e.type AND o.from_key = e.from_key AND o.to_key = e.to_key);

SELECT change, subject, coalesce(object, '') AS object, coalesce(detail, '') AS detail
  FROM changes ORDER BY change, subject, object;
SELECT count(*) || ' changes between ' || (SELECT collected_at FROM old.snapshot_meta) || ' and '
       || (SELECT collected_at FROM new.snapshot_meta) AS summary FROM changes;
