-- Schema 2: indexes that keep the token list fast at 100,000 tokens (see BENCHMARKS.md).
-- Indexes only: no table or row changes, so a database migrated to 2 reads the same.

-- One index per sort key of the list, ending with id (the tie-breaker of every sort), so a page
-- is read in order from the index and the scan stops after LIMIT rows instead of sorting them all.
-- The expression terms restate the list's ORDER BY exactly ("no expiry" and "never used" sort as
-- the farthest / last), which is what lets SQLite use them.
DROP INDEX tokens_created_at;
CREATE INDEX tokens_created ON tokens (created_at, id);
CREATE INDEX tokens_expires ON tokens (expires_at IS NULL, expires_at, id);
CREATE INDEX tokens_last_used_asc ON tokens (last_used_at IS NULL, last_used_at, id);
CREATE INDEX tokens_last_used_desc ON tokens (last_used_at IS NULL, last_used_at DESC, id DESC);
CREATE INDEX tokens_name ON tokens (name_key, id);

-- Status counts as index ranges: revoked = revoked_at NOT NULL, expired = revoked_at NULL and
-- expires_at <= now.
CREATE INDEX tokens_status ON tokens (revoked_at, expires_at);

-- A search by name or description scans this narrow covering index (every column the filter and
-- the sorts read, with the lower-cased description precomputed) instead of the wide table rows.
CREATE INDEX tokens_search ON tokens (
    name_key, lower(description), revoked_at, expires_at, created_at, last_used_at, id
);
