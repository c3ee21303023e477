-- Schema 1: tokens, their composition, whitelisted numbers and the history log.
-- Times are UTC milliseconds since the Unix epoch. Tables are STRICT and restate the invariants
-- the Rust code keeps, so a bug or a hand edit cannot store what the domain forbids.

CREATE TABLE tokens (
    id            TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100 AND name = trim(name)),
    -- Lower-cased name (Unicode-aware, computed in Rust) for the case-insensitive uniqueness rule.
    name_key      TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    -- SHA-256 of the secret: the only trace of it. The scheme column allows a later change.
    digest        BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    digest_scheme TEXT    NOT NULL DEFAULT 'sha256-v1' CHECK (digest_scheme = 'sha256-v1'),
    hint          TEXT    NOT NULL CHECK (hint GLOB 'clp_…*' AND length(hint) = 9),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER CHECK (expires_at IS NULL OR expires_at > created_at),
    revoked_at    INTEGER CHECK (revoked_at IS NULL OR revoked_at >= created_at),
    last_used_at  INTEGER
) STRICT;

-- Unique among tokens that are not revoked: a revoked name can be reused.
CREATE UNIQUE INDEX tokens_live_name ON tokens (name_key) WHERE revoked_at IS NULL;
CREATE INDEX tokens_created_at ON tokens (created_at);

CREATE TABLE composition (
    token_id TEXT NOT NULL REFERENCES tokens (id),
    country  TEXT NOT NULL CHECK (length(country) = 2 AND country GLOB '[A-Z][A-Z]'),
    operator TEXT NOT NULL CHECK (length(operator) BETWEEN 1 AND 32),
    method   TEXT NOT NULL CHECK (method IN ('MERCHANT', 'CASHIN', 'CASHOUT')),
    PRIMARY KEY (token_id, country, operator, method)
) STRICT, WITHOUT ROWID;

-- A number is whitelisted on one token at a time: the primary key is the number itself, so two
-- writers racing for it cannot both succeed. Revoking a token deletes its rows (the history keeps
-- the trace).
CREATE TABLE numbers (
    number   TEXT    NOT NULL PRIMARY KEY
                     CHECK (number GLOB '+[1-9]*' AND length(number) BETWEEN 8 AND 16
                            AND substr(number, 2) NOT GLOB '*[^0-9]*'),
    token_id TEXT    NOT NULL REFERENCES tokens (id),
    country  TEXT    NOT NULL CHECK (length(country) = 2),
    enabled  INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    added_at INTEGER NOT NULL
) STRICT;
CREATE INDEX numbers_token ON numbers (token_id, country);

-- Append-only: triggers refuse UPDATE and DELETE. token_id is NULL for checks of a token that
-- does not exist (malformed or unknown); no secret is ever written here.
CREATE TABLE history (
    id       INTEGER NOT NULL PRIMARY KEY,
    token_id TEXT    REFERENCES tokens (id),
    at       INTEGER NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN (
                 'created', 'composition_changed', 'number_added', 'number_disabled',
                 'number_enabled', 'number_removed', 'name_changed', 'description_changed',
                 'expiry_changed', 'revoked', 'used', 'denied')),
    detail   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
) STRICT;
CREATE INDEX history_token ON history (token_id, id);

CREATE TRIGGER history_is_append_only_update BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;
CREATE TRIGGER history_is_append_only_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;

-- Tokens are kept forever for traceability.
CREATE TRIGGER tokens_are_never_deleted BEFORE DELETE ON tokens
BEGIN
    SELECT RAISE(ABORT, 'tokens are never deleted; revoke them');
END;
CREATE TRIGGER revocation_is_final BEFORE UPDATE OF revoked_at ON tokens
WHEN OLD.revoked_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a revoked token stays revoked');
END;
