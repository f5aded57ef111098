-- +goose Up

-- import_jobs keeps every Excel import (数据初始化): who uploaded which file
-- for which table, the choices, the counts and the validation report. The
-- file itself is kept (bytea), so that any instance can commit a previewed
-- upload later and serve the error report; passwords holds the sheet of
-- initial passwords of imported employees until the importer downloads it
-- (once).
CREATE TABLE import_jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name    text NOT NULL,
    file_name     text NOT NULL,
    file          bytea NOT NULL,
    file_size     integer NOT NULL,
    status        text NOT NULL DEFAULT 'previewed' CHECK (status IN ('previewed', 'committed')),
    on_error      text NOT NULL DEFAULT 'block' CHECK (on_error IN ('block', 'skip')),
    existing      text NOT NULL DEFAULT 'skip' CHECK (existing IN ('skip', 'update')),
    rows_total    integer NOT NULL DEFAULT 0,
    rows_new      integer NOT NULL DEFAULT 0,
    rows_update   integer NOT NULL DEFAULT 0,
    rows_skip     integer NOT NULL DEFAULT 0,
    rows_error    integer NOT NULL DEFAULT 0,
    report        jsonb NOT NULL DEFAULT '{}',
    passwords     bytea,
    created_by    bigint NOT NULL REFERENCES employees (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    committed_at  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- An xlsx is a zip already: do not let TOAST try to compress it again.
ALTER TABLE import_jobs ALTER COLUMN file SET STORAGE EXTERNAL;
CREATE INDEX import_jobs_created_by_idx ON import_jobs (created_by, created_at DESC, id DESC);
CREATE INDEX import_jobs_created_idx ON import_jobs (created_at DESC, id DESC);

-- History entries written by an import name their job: the hook for
-- reverting an import (the rows it created, the old values of the rows it
-- updated).
ALTER TABLE history ADD COLUMN import_job_id bigint REFERENCES import_jobs (id);
CREATE INDEX history_import_job_idx ON history (import_job_id) WHERE import_job_id IS NOT NULL;

-- +goose Down
DROP INDEX history_import_job_idx;
ALTER TABLE history DROP COLUMN import_job_id;
DROP TABLE import_jobs;
