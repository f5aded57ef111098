-- +goose Up

-- An import can be undone (撤销导入) from the import history: a reverted job
-- keeps its file and report, says who reverted it and when, and cannot be
-- reverted (or committed) again.
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_status_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_status_check CHECK (status IN ('previewed', 'committed', 'reverted'));
ALTER TABLE import_jobs ADD COLUMN reverted_at timestamptz;
ALTER TABLE import_jobs ADD COLUMN reverted_by bigint REFERENCES employees (id);

-- The progress of a running commit, written by the committing process from
-- a connection of its own (autocommit), so that any instance can show it
-- while the import's transaction is still open: the phase ('' when no
-- commit runs), rows done of rows in all, and the time of the last write (a
-- heartbeat: a phase whose heartbeat is old belongs to a commit that died).
ALTER TABLE import_jobs ADD COLUMN progress_phase text NOT NULL DEFAULT '';
ALTER TABLE import_jobs ADD COLUMN progress_done integer NOT NULL DEFAULT 0;
ALTER TABLE import_jobs ADD COLUMN progress_total integer NOT NULL DEFAULT 0;
ALTER TABLE import_jobs ADD COLUMN progress_at timestamptz;

-- Imported updates keep the raw values of the columns they wrote, before
-- and after ({"old": {...}, "new": {...}}): a revert restores "old" where
-- the record still holds "new". (changes keeps the text the history page
-- shows; these are the typed values behind it.)
ALTER TABLE history ADD COLUMN import_values jsonb;

-- history.import_job_id keeps no foreign key: checking it cost one
-- index probe and row lock per imported record (~4 s of a 100 000-row
-- commit, docs/performance.md) for a column only the import writes, with
-- the id of the job whose lock it holds; import jobs are never deleted.
ALTER TABLE history DROP CONSTRAINT history_import_job_id_fkey;

-- +goose Down
ALTER TABLE history ADD CONSTRAINT history_import_job_id_fkey FOREIGN KEY (import_job_id) REFERENCES import_jobs (id);
ALTER TABLE history DROP COLUMN import_values;
ALTER TABLE import_jobs DROP COLUMN progress_at;
ALTER TABLE import_jobs DROP COLUMN progress_total;
ALTER TABLE import_jobs DROP COLUMN progress_done;
ALTER TABLE import_jobs DROP COLUMN progress_phase;
ALTER TABLE import_jobs DROP COLUMN reverted_by;
ALTER TABLE import_jobs DROP COLUMN reverted_at;
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_status_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_status_check CHECK (status IN ('previewed', 'committed'));
