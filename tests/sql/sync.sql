-- The mirror: a first sync, an incremental one, and a file that is not a
-- mirror (refused). The files go to the runner's throwaway home directory.
-- expect: "mode":"full"
-- expect: "mode":"incremental"
-- expect: is not a mirror made by okta_sync
.mode list
SELECT okta_sync('valgrind-mirror.db');
SELECT okta_sync('valgrind-mirror.db');
ATTACH 'valgrind-notes.db' AS notes;
CREATE TABLE notes.notes(x);
DETACH notes;
SELECT okta_sync('valgrind-notes.db');
