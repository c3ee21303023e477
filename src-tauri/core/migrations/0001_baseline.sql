-- Schema 1, the baseline of ClaPay Tokens 0.2.0: tokens, their composition, their whitelisted
-- numbers and the history log.
--
-- Times are UTC milliseconds since the Unix epoch. Tables are STRICT and their CHECKs restate the
-- rules the Rust code keeps, so a bug or a hand edit cannot store what the domain forbids. Rules
-- that span tables (a number's country is in its token's composition, a revoked token holds no
-- number) are checked by the integrity check (src/integrity.rs).

-- 'CLPT': marks the file as a ClaPay Tokens database (pre-release builds did not set it).
PRAGMA application_id = 1129074772;

CREATE TABLE tokens (
    id            TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100 AND name = trim(name)),
    -- The name lower-cased by Rust (Unicode-aware), for the case-insensitive uniqueness rule.
    name_key      TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    -- Sandbox secrets start 'clp_test_', live ones 'clp_live_'.
    environment   TEXT    NOT NULL CHECK (environment IN ('live', 'sandbox')),
    -- SHA-256 of the secret: the only trace of it. The scheme column allows a later change.
    digest        BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    digest_scheme TEXT    NOT NULL DEFAULT 'sha256-v1' CHECK (digest_scheme = 'sha256-v1'),
    -- The environment's prefix, an ellipsis and the last 4 random characters.
    hint          TEXT    NOT NULL CHECK (
                      length(hint) = 14
                      AND substr(hint, 1, 10) = iif(environment = 'live', 'clp_live_…', 'clp_test_…')),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER CHECK (expires_at > created_at),
    revoked_at    INTEGER CHECK (revoked_at >= created_at),
    -- A rolled token names its successor and authorizes as it until its grace ends.
    rolled_to     TEXT    REFERENCES tokens (id) CHECK (rolled_to <> id),
    grace_ends_at INTEGER CHECK ((rolled_to IS NULL) = (grace_ends_at IS NULL)),
    last_used_at  INTEGER
) STRICT;

-- A name is unique among tokens that are not revoked: a revoked token's name can be reused.
CREATE UNIQUE INDEX tokens_live_name ON tokens (name_key) WHERE revoked_at IS NULL;

-- One index per sort of the list, each ending with the id that breaks ties, so a page is read in
-- order from its index (src/token/list.rs restates these expressions). No expiry sorts as the
-- farthest, never used as the least recent use.
CREATE INDEX tokens_by_created ON tokens (created_at, id);
CREATE INDEX tokens_by_expiry ON tokens (coalesce(expires_at, 9223372036854775807), id);
CREATE INDEX tokens_by_last_use ON tokens (coalesce(last_used_at, -1), id);
CREATE INDEX tokens_by_name ON tokens (name_key, id);
-- The status counts and the reminders read these columns without visiting the rows.
CREATE INDEX tokens_by_state ON tokens (revoked_at, expires_at, grace_ends_at, environment);
-- A search reads every token: this index holds what a search filters on and sorts by, with the
-- description already lower-cased, so it reads this instead of the wide rows.
CREATE INDEX tokens_search ON tokens (
    name_key, lower(description), revoked_at, expires_at, grace_ends_at, environment,
    created_at, last_used_at, id
);
-- A successor finds the token it replaced.
CREATE INDEX tokens_rolled_to ON tokens (rolled_to) WHERE rolled_to IS NOT NULL;

CREATE TABLE composition (
    token_id TEXT NOT NULL REFERENCES tokens (id),
    country  TEXT NOT NULL CHECK (length(country) = 2 AND country GLOB '[A-Z][A-Z]'),
    operator TEXT NOT NULL CHECK (length(operator) BETWEEN 1 AND 32),
    method   TEXT NOT NULL CHECK (method IN ('MERCHANT', 'CASHIN', 'CASHOUT')),
    PRIMARY KEY (token_id, country, operator, method)
) STRICT, WITHOUT ROWID;

-- A number is whitelisted on one token at a time: the number itself is the primary key, so two
-- writers racing for it cannot both succeed. Revoking a token deletes its rows; a roll moves them
-- to the successor (the history keeps the trace).
CREATE TABLE numbers (
    number   TEXT    NOT NULL PRIMARY KEY
                     CHECK (number GLOB '+[1-9]*' AND length(number) BETWEEN 8 AND 16
                            AND substr(number, 2) NOT GLOB '*[^0-9]*'),
    token_id TEXT    NOT NULL REFERENCES tokens (id),
    country  TEXT    NOT NULL CHECK (length(country) = 2 AND country GLOB '[A-Z][A-Z]'),
    enabled  INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    added_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX numbers_by_token ON numbers (token_id, country);

-- The history of every token. token_id is NULL for checks of a token that does not exist
-- (malformed or unknown). No secret is ever written here.
CREATE TABLE history (
    id       INTEGER NOT NULL PRIMARY KEY,
    token_id TEXT    REFERENCES tokens (id),
    at       INTEGER NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN (
                 'created', 'composition_changed', 'number_added', 'number_disabled',
                 'number_enabled', 'number_removed', 'name_changed', 'description_changed',
                 'expiry_changed', 'revoked', 'rolled', 'grace_ended', 'reminded', 'pruned',
                 'used', 'denied')),
    detail   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
) STRICT;
CREATE INDEX history_by_token ON history (token_id, id);
-- The retention prune finds old usage events without reading the others.
CREATE INDEX history_usage_by_time ON history (at) WHERE kind IN ('used', 'denied');
-- The state changes of a token without its usage events (reminders, rolls, the integrity check).
-- A query uses it when it repeats this WHERE term.
CREATE INDEX history_changes_by_token ON history (token_id, kind) WHERE kind NOT IN ('used', 'denied');

-- Append-only: an event is never changed, and only a usage event (used, denied) at least 30 days
-- old may be deleted, by the retention prune (src/history.rs), which records a 'pruned' event.
CREATE TRIGGER history_is_never_changed BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;
CREATE TRIGGER history_keeps_state_changes BEFORE DELETE ON history
WHEN OLD.kind NOT IN ('used', 'denied') OR OLD.at > (unixepoch() - 30 * 86400) * 1000
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: only usage events older than 30 days may be pruned');
END;

-- Tokens are kept forever for traceability; revocation and a roll are final.
CREATE TRIGGER tokens_are_never_deleted BEFORE DELETE ON tokens
BEGIN
    SELECT RAISE(ABORT, 'tokens are never deleted; revoke them');
END;
CREATE TRIGGER revocation_is_final BEFORE UPDATE OF revoked_at ON tokens
WHEN OLD.revoked_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a revoked token stays revoked');
END;
CREATE TRIGGER a_roll_is_final BEFORE UPDATE OF rolled_to, grace_ends_at ON tokens
WHEN OLD.rolled_to IS NOT NULL
     AND (NEW.rolled_to IS NOT OLD.rolled_to OR NEW.grace_ends_at > OLD.grace_ends_at)
BEGIN
    SELECT RAISE(ABORT, 'a rolled token keeps its successor, and its grace can only end sooner');
END;
CREATE TRIGGER a_digest_never_changes BEFORE UPDATE OF digest, environment ON tokens
BEGIN
    SELECT RAISE(ABORT, 'a token keeps its secret and its environment');
END;
