-- Schema 7: the date sorts of the list break ties by the row's insertion order (its rowid) rather
-- than by the 36-character id, so their indexes no longer carry the id (see BENCHMARKS.md).
--
-- Every index of a rowid table already ends with the rowid, and SQLite reads `ORDER BY x, rowid`
-- from an index on (x). Without the id, an entry of these indexes is about 12 bytes instead of
-- about 50: a page holds 4 times as many, so a create splits a page (writing 2 or 3 more) a
-- quarter as often, and a count or a page walk reads a quarter of the pages. Tokens created in the
-- same millisecond now list in the order they were created (their ids order them by random bits).
-- The name sort keeps the id as its tie-breaker: `tokens_search` starts with (name_key, id).
DROP INDEX tokens_created;
CREATE INDEX tokens_created ON tokens (created_at);
DROP INDEX tokens_expires;
CREATE INDEX tokens_expires ON tokens (expires_at IS NULL, expires_at);
DROP INDEX tokens_last_used;
CREATE INDEX tokens_last_used ON tokens (last_used_at);

-- Revoked tokens by expiry: "revoked and past its expiry", the term status counts subtract, is
-- then a range of this index instead of a walk through every revoked token.
DROP INDEX tokens_revoked;
CREATE INDEX tokens_revoked ON tokens (expires_at, revoked_at) WHERE revoked_at IS NOT NULL;
