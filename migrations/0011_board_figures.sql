-- +goose Up

-- The board of everyone's opportunities (management, finance, marketing,
-- the admin: who may view them all) shows per stage how many there are and
-- what they are expected to bring. Counted on every view that is a walk of
-- the whole stage index — 10 ms at 400 000 opportunities, and only a lower
-- bound past the list cap. These figures are kept by the write path
-- instead: statement-level triggers with transition tables add each
-- statement's change per stage, so an import of 100 000 opportunities does
-- six updates. postgres.Board reads them when the board is unfiltered and
-- the actor views every opportunity; any narrower board is still counted.
CREATE TABLE opportunity_stage_figures (
    stage  text PRIMARY KEY,
    n      bigint NOT NULL DEFAULT 0,
    amount numeric(18, 2) NOT NULL DEFAULT 0
);
INSERT INTO opportunity_stage_figures (stage, n, amount)
SELECT s.stage, count(op.id), coalesce(sum(op.expected_amount), 0)
FROM unnest(ARRAY['initial', 'needs', 'proposal', 'negotiation', 'won', 'lost']) AS s(stage)
LEFT JOIN opportunities op ON op.stage = s.stage
GROUP BY s.stage;

-- One function per event (a statement has only its own transition
-- tables); each updates the stages it changed in stage order, so that two
-- writers lock the figures in the same order.
-- +goose StatementBegin
CREATE FUNCTION opportunity_stage_figures_ins() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT stage, count(*) AS n, sum(expected_amount) AS amount FROM new_rows GROUP BY stage ORDER BY stage LOOP
        UPDATE opportunity_stage_figures SET n = n + r.n, amount = amount + r.amount WHERE stage = r.stage;
    END LOOP;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION opportunity_stage_figures_del() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT stage, count(*) AS n, sum(expected_amount) AS amount FROM old_rows GROUP BY stage ORDER BY stage LOOP
        UPDATE opportunity_stage_figures SET n = n - r.n, amount = amount - r.amount WHERE stage = r.stage;
    END LOOP;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION opportunity_stage_figures_upd() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT stage, sum(n) AS n, sum(amount) AS amount FROM (
            SELECT stage, 1 AS n, expected_amount AS amount FROM new_rows
            UNION ALL
            SELECT stage, -1, -expected_amount FROM old_rows) x
        GROUP BY stage HAVING sum(n) <> 0 OR sum(amount) <> 0 ORDER BY stage
    LOOP
        UPDATE opportunity_stage_figures SET n = n + r.n, amount = amount + r.amount WHERE stage = r.stage;
    END LOOP;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION opportunity_stage_figures_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE opportunity_stage_figures SET n = 0, amount = 0;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER opportunities_stage_figures_ins AFTER INSERT ON opportunities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION opportunity_stage_figures_ins();
CREATE TRIGGER opportunities_stage_figures_del AFTER DELETE ON opportunities REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION opportunity_stage_figures_del();
CREATE TRIGGER opportunities_stage_figures_upd AFTER UPDATE ON opportunities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION opportunity_stage_figures_upd();
CREATE TRIGGER opportunities_stage_figures_truncate AFTER TRUNCATE ON opportunities
    FOR EACH STATEMENT EXECUTE FUNCTION opportunity_stage_figures_truncate();

-- +goose Down
DROP TRIGGER opportunities_stage_figures_truncate ON opportunities;
DROP TRIGGER opportunities_stage_figures_upd ON opportunities;
DROP TRIGGER opportunities_stage_figures_del ON opportunities;
DROP TRIGGER opportunities_stage_figures_ins ON opportunities;
DROP FUNCTION opportunity_stage_figures_truncate();
DROP FUNCTION opportunity_stage_figures_upd();
DROP FUNCTION opportunity_stage_figures_del();
DROP FUNCTION opportunity_stage_figures_ins();
DROP TABLE opportunity_stage_figures;
