-- Schema 9: the history's `kind` CHECK tests its values one by one instead of with `IN (...)`
-- (see BENCHMARKS.md, "Authorize").
--
-- SQLite evaluates `kind IN (12 constants)` by building a temporary B-tree of the 12 values at
-- every row it checks: about 1.5 µs of the 5 µs the usage writer spends on each recorded check,
-- which is what limits the checks per second. The same rule written as comparisons, the two kinds
-- a check writes first, costs a string compare or two.
--
-- A CHECK constraint cannot be altered, and rebuilding `history` (every check ever recorded)
-- would take minutes on a busy merchant's file. SQLite's documented procedure for changing a
-- CHECK constraint edits the table's definition in `sqlite_schema` instead
-- (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes"):
-- safe here because every row satisfies the new rule exactly when it satisfied the old one, and
-- the rows, their format and the indexes are untouched. The step runs in the migration's
-- transaction, behind the pre-migration copy of the file, and fails if the definition is not
-- the one migration 0001 wrote.

PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (kind IN (
                 ''created'', ''composition_changed'', ''number_added'', ''number_disabled'',
                 ''number_enabled'', ''number_removed'', ''name_changed'', ''description_changed'',
                 ''expiry_changed'', ''revoked'', ''used'', ''denied''))',
    'CHECK (kind = ''used'' OR kind = ''denied'' OR kind = ''created''
                 OR kind = ''composition_changed'' OR kind = ''number_added''
                 OR kind = ''number_disabled'' OR kind = ''number_enabled''
                 OR kind = ''number_removed'' OR kind = ''name_changed''
                 OR kind = ''description_changed'' OR kind = ''expiry_changed''
                 OR kind = ''revoked'')')
WHERE type = 'table' AND name = 'history';
-- Read the edited definition back in this connection.
PRAGMA writable_schema = RESET;

-- The edit must have happened (a CHECK failure aborts the migration, and the file stays as it
-- was). Creating and dropping this table also moves the schema's version, which makes every
-- other connection open on the file read the new definition before its next statement.
CREATE TABLE migration_9_check (edited INTEGER NOT NULL CHECK (edited = 1));
INSERT INTO migration_9_check
    SELECT instr(sql, 'kind IN (') = 0 AND instr(sql, 'kind = ''revoked''') > 0
    FROM sqlite_schema WHERE type = 'table' AND name = 'history';
DROP TABLE migration_9_check;
