-- +goose Up

-- The reference lists every page shows (departments, active employees, the
-- value lists) are read by each server process once per change rather than
-- on every page: a number that every change to them moves, in the same
-- transaction, and that each request reads with its session
-- (postgres.LoadSessionUser). A process keeps the lists it read with the
-- number they were read at and uses them only while the number is the same,
-- so no instance ever shows a list older than the request's own snapshot
-- (docs/performance.md).
CREATE TABLE reference_version (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    n  bigint NOT NULL DEFAULT 0
);
INSERT INTO reference_version DEFAULT VALUES;

-- +goose StatementBegin
CREATE FUNCTION bump_reference_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER departments_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER options_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON options
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
-- Employees change often for other reasons (password, session epoch,
-- language): only the columns the lists show count.
CREATE TRIGGER employees_reference_write AFTER INSERT OR DELETE OR TRUNCATE ON employees
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER employees_reference_update AFTER UPDATE OF name, username, department_id, active, role ON employees
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();

-- +goose Down
DROP TRIGGER employees_reference_update ON employees;
DROP TRIGGER employees_reference_write ON employees;
DROP TRIGGER options_reference ON options;
DROP TRIGGER departments_reference ON departments;
DROP FUNCTION bump_reference_version();
DROP TABLE reference_version;
