-- Schema 4: each token row carries what authorize needs to decide, so a check reads one row found
-- by its digest (plus the phone's row when the token whitelists numbers): the same reads as the
-- bare lookup it is measured against (see BENCHMARKS.md).
--   grants:    the composition, 'CC:OPERATOR:METHOD' triples separated by spaces, in key order;
--   whitelist: the countries where the token has at least one enabled number, separated by
--              spaces (NULL when there is none).
-- They are copies, kept by the triggers below in the same statement as every change of the
-- composition or the numbers, whoever writes (the app, the CLI, a hand edit); the integrity check
-- compares them with the tables they summarise. (Ordered subqueries rather than
-- group_concat(... ORDER BY ...), which SQLite versions before 3.44 cannot read.)

ALTER TABLE tokens ADD COLUMN grants TEXT;
ALTER TABLE tokens ADD COLUMN whitelist TEXT;

UPDATE tokens SET
    grants = (SELECT group_concat(triple, ' ') FROM (
            SELECT c.country || ':' || c.operator || ':' || c.method AS triple FROM composition c
            WHERE c.token_id = tokens.id ORDER BY c.country, c.operator, c.method)),
    whitelist = (SELECT group_concat(country, ' ') FROM (
            SELECT DISTINCT n.country FROM numbers n
            WHERE n.token_id = tokens.id AND n.enabled = 1 ORDER BY n.country));

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
-- The code never updates a composition row (it deletes and inserts), but a hand edit could.
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
