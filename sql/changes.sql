-- Changes: users added, removed or changing status; access granted and
-- revoked (applications, AWS roles, group memberships); admin roles granted
-- and revoked. One row per change, then the count, so a scheduled job can
-- alert when there are changes. Two ways to run it:
--
-- On a mirror (SELECT okta_sync('okta.db')): what its last run changed, from
-- the change feed okta_changes (no request, no second copy of the org):
--   sqlite3 okta.db < sql/changes.sql
--
-- Between two snapshots (sql/snapshot.sql):
--   sqlite3 -cmd ".parameter set @old okta-snapshot-A.db" \
--           -cmd ".parameter set @new okta-snapshot-B.db" < sql/changes.sql
.headers on
.mode list
.separator " | "

ATTACH coalesce(@old, ':memory:') AS old;
ATTACH coalesce(@new, ':memory:') AS new;
-- The mirror: the main database, when no snapshots are given and it is one.
ATTACH CASE WHEN @old IS NULL AND EXISTS (SELECT 1 FROM main.sqlite_schema WHERE name = 'okta_sync_runs')
            THEN (SELECT file FROM pragma_database_list WHERE name = 'main') ELSE ':memory:' END AS mirror;

-- Each way leaves the other's tables out: empty stand-ins, always in memory
-- (a table that exists is left as it is).
CREATE TABLE IF NOT EXISTS old.okta_users(id, login, status);
CREATE TABLE IF NOT EXISTS new.okta_users(id, login, status);
CREATE TABLE IF NOT EXISTS old.okta_entities(type, class, key, name, properties);
CREATE TABLE IF NOT EXISTS new.okta_entities(type, class, key, name, properties);
CREATE TABLE IF NOT EXISTS old.okta_relationships(from_type, from_key, class, to_type, to_key, type, properties);
CREATE TABLE IF NOT EXISTS new.okta_relationships(from_type, from_key, class, to_type, to_key, type, properties);
CREATE TABLE IF NOT EXISTS old.snapshot_meta(collected_at);
CREATE TABLE IF NOT EXISTS new.snapshot_meta(collected_at);
CREATE TABLE IF NOT EXISTS mirror.okta_sync_runs(run, started, finished);
CREATE TABLE IF NOT EXISTS mirror.okta_changes(run, table_name, row_key, op, old, new);
CREATE TABLE IF NOT EXISTS mirror.okta_users(id, login, status);
CREATE TABLE IF NOT EXISTS mirror.okta_entities(type, class, key, name, properties);

DROP TABLE IF EXISTS temp.changes;
CREATE TEMP TABLE changes(change TEXT, subject TEXT, object TEXT, detail TEXT);

-- Edges of the graph that grant access.
DROP TABLE IF EXISTS temp.access_kinds;
CREATE TEMP TABLE access_kinds(type TEXT PRIMARY KEY);
INSERT INTO access_kinds VALUES ('okta_user_assigned_application'), ('okta_user_assigned_aws_iam_role'),
  ('okta_group_assigned_application'), ('okta_app_user_group_assigned_application'),
  ('okta_user_group_assigned_aws_iam_role'), ('okta_app_user_group_assigned_aws_iam_role'), ('okta_group_has_user'),
  ('okta_app_user_group_has_user'), ('okta_user_assigned_role'), ('okta_user_group_assigned_role'),
  ('okta_app_user_group_assigned_role');

-- Between two snapshots: users ...
INSERT INTO changes
  SELECT 'user added', n.login, NULL, n.status FROM new.okta_users n
   WHERE n.id NOT IN (SELECT id FROM old.okta_users)
  UNION ALL
  SELECT 'user removed', o.login, NULL, o.status FROM old.okta_users o
   WHERE o.id NOT IN (SELECT id FROM new.okta_users)
  UNION ALL
  SELECT 'user status changed', n.login, NULL, o.status || ' -> ' || n.status
    FROM new.okta_users n JOIN old.okta_users o ON o.id = n.id WHERE o.status <> n.status;

-- ... and access: the edges of both, with readable names (a table with an
-- index: a view would be read again for every row it is compared with).
DROP TABLE IF EXISTS temp.access_edges;
CREATE TEMP TABLE access_edges AS
  SELECT 'new' AS side, r.type, r.from_key, r.to_key,
         coalesce(f.properties->>'login', f.name, r.from_key) AS subject, coalesce(t.name, r.to_key) AS object
    FROM new.okta_relationships r
    LEFT JOIN new.okta_entities f ON f.type = r.from_type AND f.key = r.from_key
    LEFT JOIN new.okta_entities t ON t.type = r.to_type AND t.key = r.to_key
   WHERE r.type IN (SELECT type FROM access_kinds)
  UNION ALL
  SELECT 'old', r.type, r.from_key, r.to_key,
         coalesce(f.properties->>'login', f.name, r.from_key), coalesce(t.name, r.to_key)
    FROM old.okta_relationships r
    LEFT JOIN old.okta_entities f ON f.type = r.from_type AND f.key = r.from_key
    LEFT JOIN old.okta_entities t ON t.type = r.to_type AND t.key = r.to_key
   WHERE r.type IN (SELECT type FROM access_kinds);
CREATE INDEX temp.access_edges_key ON access_edges(type, from_key, to_key, side);

INSERT INTO changes
  SELECT CASE WHEN e.type LIKE '%role' THEN 'admin role ' ELSE 'access ' END
         || CASE e.side WHEN 'new' THEN 'granted' ELSE 'revoked' END,
         e.subject, e.object, e.type
    FROM access_edges e
   WHERE NOT EXISTS (SELECT 1 FROM access_edges o
                      WHERE o.side <> e.side AND o.type = e.type AND o.from_key = e.from_key AND o.to_key = e.to_key);

-- On a mirror: the rows its last run inserted, deleted or updated. An update
-- keeps the columns that changed; a row's other columns are in the mirror.
DROP VIEW IF EXISTS temp.feed;
CREATE TEMP VIEW feed AS
  SELECT * FROM mirror.okta_changes WHERE run = (SELECT max(run) FROM mirror.okta_sync_runs);
-- Entity names: as they are now, or as they were when the run deleted them.
DROP VIEW IF EXISTS temp.feed_entities;
CREATE TEMP VIEW feed_entities AS
  SELECT type, key, name, properties FROM mirror.okta_entities
  UNION ALL
  SELECT old->>'type', old->>'key', old->>'name', old->>'properties' FROM feed
   WHERE table_name = 'okta_entities' AND op = 'delete';

INSERT INTO changes
  SELECT 'user added', new->>'login', NULL, new->>'status' FROM feed WHERE table_name = 'okta_users' AND op = 'insert'
  UNION ALL
  SELECT 'user removed', old->>'login', NULL, old->>'status' FROM feed WHERE table_name = 'okta_users' AND op = 'delete'
  UNION ALL
  SELECT 'user status changed', coalesce(new->>'login', (SELECT u.login FROM mirror.okta_users u WHERE u.id = f.row_key)),
         NULL, (old->>'status') || ' -> ' || (new->>'status')
    FROM feed f WHERE table_name = 'okta_users' AND op = 'update' AND new->>'status' IS NOT NULL;

INSERT INTO changes
  SELECT CASE WHEN e.type LIKE '%role' THEN 'admin role ' ELSE 'access ' END
         || CASE e.op WHEN 'insert' THEN 'granted' ELSE 'revoked' END,
         coalesce((SELECT coalesce(x.properties->>'login', x.name) FROM feed_entities x
                    WHERE x.type = e.from_type AND x.key = e.from_key LIMIT 1), e.from_key),
         coalesce((SELECT x.name FROM feed_entities x WHERE x.type = e.to_type AND x.key = e.to_key LIMIT 1), e.to_key),
         e.type
    FROM (SELECT op, coalesce(new, old)->>'type' AS type, coalesce(new, old)->>'from_type' AS from_type,
                 coalesce(new, old)->>'from_key' AS from_key, coalesce(new, old)->>'to_type' AS to_type,
                 coalesce(new, old)->>'to_key' AS to_key
            FROM feed WHERE table_name = 'okta_relationships' AND op IN ('insert', 'delete')) e
   WHERE e.type IN (SELECT type FROM access_kinds);

SELECT change, subject, coalesce(object, '') AS object, coalesce(detail, '') AS detail
  FROM changes ORDER BY change, subject, object;
SELECT count(*) || ' changes between '
       || coalesce((SELECT collected_at FROM old.snapshot_meta),
                   (SELECT finished FROM mirror.okta_sync_runs ORDER BY run DESC LIMIT 1 OFFSET 1),
                   (SELECT started FROM mirror.okta_sync_runs ORDER BY run DESC LIMIT 1), '?')
       || ' and '
       || coalesce((SELECT collected_at FROM new.snapshot_meta),
                   (SELECT finished FROM mirror.okta_sync_runs ORDER BY run DESC LIMIT 1), '?') AS summary
  FROM changes;
