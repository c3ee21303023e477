-- Schema 6: a create computes its token's access copies (grants, whitelist; schema 4) once, not
-- once per composition and number row (see BENCHMARKS.md, "Create").
--
-- The copies are kept by row triggers on `composition` and `numbers`: each row a create inserted
-- after its token updated the token row again, 8 updates for 3 triples and 5 numbers. A create
-- now inserts those rows first and the token last, and the token's insert trigger (below)
-- computes both copies from them once. That order needs the foreign keys of `composition` and
-- `numbers` to be checked at the commit (DEFERRABLE INITIALLY DEFERRED) rather than at each
-- insert, which SQLite cannot change in place: both tables are rebuilt with the same columns,
-- constraints, index and triggers. A transaction that leaves a row without its token still fails,
-- at its commit.
--
-- A token row inserted by hand also gets its copies from the tables now, whatever it claimed.

CREATE TABLE composition_v6 (
    token_id TEXT NOT NULL REFERENCES tokens (id) DEFERRABLE INITIALLY DEFERRED,
    country  TEXT NOT NULL CHECK (length(country) = 2 AND country GLOB '[A-Z][A-Z]'),
    operator TEXT NOT NULL CHECK (length(operator) BETWEEN 1 AND 32),
    method   TEXT NOT NULL CHECK (method IN ('MERCHANT', 'CASHIN', 'CASHOUT')),
    PRIMARY KEY (token_id, country, operator, method)
) STRICT, WITHOUT ROWID;
INSERT INTO composition_v6 (token_id, country, operator, method)
    SELECT token_id, country, operator, method FROM composition;
DROP TABLE composition;
ALTER TABLE composition_v6 RENAME TO composition;

CREATE TABLE numbers_v6 (
    number   TEXT    NOT NULL PRIMARY KEY
                     CHECK (number GLOB '+[1-9]*' AND length(number) BETWEEN 8 AND 16
                            AND substr(number, 2) NOT GLOB '*[^0-9]*'),
    token_id TEXT    NOT NULL REFERENCES tokens (id) DEFERRABLE INITIALLY DEFERRED,
    country  TEXT    NOT NULL CHECK (length(country) = 2),
    enabled  INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    added_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO numbers_v6 (number, token_id, country, enabled, added_at)
    SELECT number, token_id, country, enabled, added_at FROM numbers;
DROP TABLE numbers;
ALTER TABLE numbers_v6 RENAME TO numbers;
CREATE INDEX numbers_token ON numbers (token_id, country);

-- The triggers of schema 4, unchanged (dropping a table drops its triggers).
CREATE TRIGGER composition_grants_insert AFTER INSERT ON composition
BEGIN
    UPDATE tokens SET grants = (SELECT group_concat(triple, ' ') FROM (
            SELECT c.country || ':' || c.operator || ':' || c.method AS triple FROM composition c
            WHERE c.token_id = NEW.token_id ORDER BY c.country, c.operator, c.method))
    WHERE id = NEW.token_id;
END;
CREATE TRIGGER composition_grants_delete AFTER DELETE ON composition
BEGIN
    UPDATE tokens SET grants = (SELECT group_concat(triple, ' ') FROM (
            SELECT c.country || ':' || c.operator || ':' || c.method AS triple FROM composition c
            WHERE c.token_id = OLD.token_id ORDER BY c.country, c.operator, c.method))
    WHERE id = OLD.token_id;
END;
CREATE TRIGGER composition_grants_update AFTER UPDATE ON composition
BEGIN
    UPDATE tokens SET grants = (SELECT group_concat(triple, ' ') FROM (
            SELECT c.country || ':' || c.operator || ':' || c.method AS triple FROM composition c
            WHERE c.token_id = OLD.token_id ORDER BY c.country, c.operator, c.method))
    WHERE id = OLD.token_id;
    UPDATE tokens SET grants = (SELECT group_concat(triple, ' ') FROM (
            SELECT c.country || ':' || c.operator || ':' || c.method AS triple FROM composition c
            WHERE c.token_id = NEW.token_id ORDER BY c.country, c.operator, c.method))
    WHERE id = NEW.token_id AND NEW.token_id IS NOT OLD.token_id;
END;

CREATE TRIGGER numbers_whitelist_insert AFTER INSERT ON numbers
WHEN NEW.enabled = 1
BEGIN
    UPDATE tokens SET whitelist = (SELECT group_concat(country, ' ') FROM (
            SELECT DISTINCT n.country FROM numbers n
            WHERE n.token_id = NEW.token_id AND n.enabled = 1 ORDER BY n.country))
    WHERE id = NEW.token_id;
END;
CREATE TRIGGER numbers_whitelist_delete AFTER DELETE ON numbers
WHEN OLD.enabled = 1
BEGIN
    UPDATE tokens SET whitelist = (SELECT group_concat(country, ' ') FROM (
            SELECT DISTINCT n.country FROM numbers n
            WHERE n.token_id = OLD.token_id AND n.enabled = 1 ORDER BY n.country))
    WHERE id = OLD.token_id;
END;
CREATE TRIGGER numbers_whitelist_update AFTER UPDATE ON numbers
BEGIN
    UPDATE tokens SET whitelist = (SELECT group_concat(country, ' ') FROM (
            SELECT DISTINCT n.country FROM numbers n
            WHERE n.token_id = OLD.token_id AND n.enabled = 1 ORDER BY n.country))
    WHERE id = OLD.token_id;
    UPDATE tokens SET whitelist = (SELECT group_concat(country, ' ') FROM (
            SELECT DISTINCT n.country FROM numbers n
            WHERE n.token_id = NEW.token_id AND n.enabled = 1 ORDER BY n.country))
    WHERE id = NEW.token_id AND NEW.token_id IS NOT OLD.token_id;
END;

-- New: the token row's own insert computes both copies from the rows already there.
CREATE TRIGGER tokens_copies_insert AFTER INSERT ON tokens
BEGIN
    UPDATE tokens SET
        grants = (SELECT group_concat(triple, ' ') FROM (
            SELECT c.country || ':' || c.operator || ':' || c.method AS triple FROM composition c
            WHERE c.token_id = NEW.id ORDER BY c.country, c.operator, c.method)),
        whitelist = (SELECT group_concat(country, ' ') FROM (
            SELECT DISTINCT n.country FROM numbers n
            WHERE n.token_id = NEW.id AND n.enabled = 1 ORDER BY n.country))
    WHERE id = NEW.id;
END;
