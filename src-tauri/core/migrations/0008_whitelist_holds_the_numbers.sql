-- Schema 8: a token's `whitelist` copy holds its enabled numbers themselves, not only their
-- countries, so an allowed check of a whitelisted phone reads the token's row and nothing else
-- (see BENCHMARKS.md, "Authorize").
--
-- Before, `whitelist` listed the countries with an enabled number ('CI SN') and authorize looked
-- the phone up in `numbers` as well: a third B-tree descent, about 0.45 µs of a 3.8 µs check.
-- Now each enabled number is one entry, its country followed by the number in E.164, separated by
-- spaces and ordered by country then number: 'CI+2250701020304 CI+2250707080910 SN+221771234567'.
-- A country is whitelisted when an entry starts with its code; a phone given in E.164 is allowed
-- when its entry is there. Disabled numbers, national forms and unknown numbers still go to the
-- `numbers` table (the denied paths and libphonenumber).
--
-- The copy is kept by the same triggers as before (schema 4, recreated by schema 6), which are
-- replaced here with the new expression, and checked by the integrity check. NULL when the token
-- has no enabled number.

UPDATE tokens SET whitelist = (SELECT group_concat(entry, ' ') FROM (
        SELECT n.country || n.number AS entry FROM numbers n
        WHERE n.token_id = tokens.id AND n.enabled = 1 ORDER BY n.country, n.number));

DROP TRIGGER numbers_whitelist_insert;
DROP TRIGGER numbers_whitelist_delete;
DROP TRIGGER numbers_whitelist_update;
DROP TRIGGER tokens_copies_insert;

CREATE TRIGGER numbers_whitelist_insert AFTER INSERT ON numbers
WHEN NEW.enabled = 1
BEGIN
    UPDATE tokens SET whitelist = (SELECT group_concat(entry, ' ') FROM (
            SELECT n.country || n.number AS entry FROM numbers n
            WHERE n.token_id = NEW.token_id AND n.enabled = 1 ORDER BY n.country, n.number))
    WHERE id = NEW.token_id;
END;
CREATE TRIGGER numbers_whitelist_delete AFTER DELETE ON numbers
WHEN OLD.enabled = 1
BEGIN
    UPDATE tokens SET whitelist = (SELECT group_concat(entry, ' ') FROM (
            SELECT n.country || n.number AS entry FROM numbers n
            WHERE n.token_id = OLD.token_id AND n.enabled = 1 ORDER BY n.country, n.number))
    WHERE id = OLD.token_id;
END;
CREATE TRIGGER numbers_whitelist_update AFTER UPDATE ON numbers
BEGIN
    UPDATE tokens SET whitelist = (SELECT group_concat(entry, ' ') FROM (
            SELECT n.country || n.number AS entry FROM numbers n
            WHERE n.token_id = OLD.token_id AND n.enabled = 1 ORDER BY n.country, n.number))
    WHERE id = OLD.token_id;
    UPDATE tokens SET whitelist = (SELECT group_concat(entry, ' ') FROM (
            SELECT n.country || n.number AS entry FROM numbers n
            WHERE n.token_id = NEW.token_id AND n.enabled = 1 ORDER BY n.country, n.number))
    WHERE id = NEW.token_id AND NEW.token_id IS NOT OLD.token_id;
END;
-- A create inserts its composition and numbers first and its token last (schema 6): the token's
-- insert computes both copies from them once.
CREATE TRIGGER tokens_copies_insert AFTER INSERT ON tokens
BEGIN
    UPDATE tokens SET
        grants = (SELECT group_concat(triple, ' ') FROM (
            SELECT c.country || ':' || c.operator || ':' || c.method AS triple FROM composition c
            WHERE c.token_id = NEW.id ORDER BY c.country, c.operator, c.method)),
        whitelist = (SELECT group_concat(entry, ' ') FROM (
            SELECT n.country || n.number AS entry FROM numbers n
            WHERE n.token_id = NEW.id AND n.enabled = 1 ORDER BY n.country, n.number))
    WHERE id = NEW.id;
END;
