-- Schema 3: the numbers table is keyed by the number itself, with no hidden rowid (see
-- BENCHMARKS.md). Authorize looks a customer's phone up by number on every check: with a rowid
-- table that is two B-tree descents (the primary-key index, then the row); keyed by the number it
-- is one. A create writes one B-tree less per number. Columns, constraints and the index are
-- unchanged, so a database migrated to 3 reads the same.

CREATE TABLE numbers_v3 (
    number   TEXT    NOT NULL PRIMARY KEY
                     CHECK (number GLOB '+[1-9]*' AND length(number) BETWEEN 8 AND 16
                            AND substr(number, 2) NOT GLOB '*[^0-9]*'),
    token_id TEXT    NOT NULL REFERENCES tokens (id),
    country  TEXT    NOT NULL CHECK (length(country) = 2),
    enabled  INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    added_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO numbers_v3 (number, token_id, country, enabled, added_at)
    SELECT number, token_id, country, enabled, added_at FROM numbers;
DROP TABLE numbers;
ALTER TABLE numbers_v3 RENAME TO numbers;
CREATE INDEX numbers_token ON numbers (token_id, country);
