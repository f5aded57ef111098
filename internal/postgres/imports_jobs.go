package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// progressStale is how old a progress heartbeat may be before the commit
// that wrote it is taken for dead.
const progressStale = 20 * time.Second

// NewImportJob is what a preview records.
type NewImportJob struct {
	Table    string
	FileName string
	File     []byte
	OnError  string
	Existing string
	Counts   crm.ImportCounts
	Report   []byte
}

var importJobColumns = `j.id, j.table_name, j.file_name, j.file_size, j.status, j.on_error, j.existing,
	j.rows_total, j.rows_new, j.rows_update, j.rows_skip, j.rows_error, j.report, j.passwords IS NOT NULL,
	j.created_by, coalesce(e.name, ''), j.created_at, j.committed_at,
	j.reverted_at, coalesce((SELECT rv.name FROM employees rv WHERE rv.id = j.reverted_by), ''),
	j.progress_phase, j.progress_done, j.progress_total, j.progress_at, ` + importRunning

// importRunning says whether a commit of the job j is running: its
// progress is set, its heartbeat fresh, and its transaction holds the
// job's advisory lock (LockJob) — a commit whose process died holds none.
var importRunning = `(j.progress_phase <> '' AND j.progress_at > now() - interval '` +
	strconv.Itoa(int(progressStale/time.Second)) + ` seconds' AND EXISTS (
	SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ` + strconv.Itoa(importLockClass) + `
	AND l.objid = (j.id % 2147483648)::oid AND l.objsubid = 2
	AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())))`

// importJobListColumns leave the report out: the history lists counts,
// and a report may hold thousands of errors.
var importJobListColumns = strings.Replace(importJobColumns, "j.report,", "NULL::jsonb,", 1)

func scanImportJob(r pgx.CollectableRow) (crm.ImportJob, error) {
	var j crm.ImportJob
	err := r.Scan(importJobFields(&j)...)
	return j, err
}

// fields are the scan targets of importJobColumns.
func importJobFields(j *crm.ImportJob) []any {
	return []any{&j.ID, &j.Table, &j.FileName, &j.FileSize, &j.Status, &j.OnError, &j.Existing,
		&j.Counts.Total, &j.Counts.New, &j.Counts.Update, &j.Counts.Skip, &j.Counts.Error, &j.Report, &j.HasPasswords,
		&j.CreatedBy, &j.CreatedByName, &j.CreatedAt, &j.CommittedAt, &j.RevertedAt, &j.RevertedByName,
		&j.Progress.Phase, &j.Progress.Done, &j.Progress.Total, &j.Progress.At, &j.Progress.Running}
}

// importJobScope is who may view an import job: its importer; admins view
// every job.
func importJobScope(a crm.Actor, alias string, args *Args) string {
	if a.IsZero() {
		return "FALSE"
	}
	if a.Role == crm.RoleAdmin {
		return "TRUE"
	}
	return alias + ".created_by = " + args.Add(a.ID)
}

// CreateImportJob records a previewed upload with its file and report and
// returns the job's id. EFORBIDDEN for an actor who may import nothing.
func (db *DB) CreateImportJob(ctx context.Context, a crm.Actor, j NewImportJob) (int64, error) {
	if !crm.CanImport(a, true) {
		return 0, crm.ErrForbidden
	}
	if j.Report == nil {
		j.Report = []byte(`{}`)
	}
	var id int64
	err := db.Pool.QueryRow(ctx, `/* postgres.CreateImportJob */
		INSERT INTO import_jobs (table_name, file_name, file, file_size, on_error, existing,
		                         rows_total, rows_new, rows_update, rows_skip, rows_error, report, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		j.Table, j.FileName, j.File, len(j.File), j.OnError, j.Existing,
		j.Counts.Total, j.Counts.New, j.Counts.Update, j.Counts.Skip, j.Counts.Error, j.Report, a.ID).Scan(&id)
	return id, translate(err)
}

// ImportJobByID returns a job a may view (their own; admins any);
// ENOTFOUND otherwise.
func (db *DB) ImportJobByID(ctx context.Context, a crm.Actor, id int64) (crm.ImportJob, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(a, "j", &args)
	var j crm.ImportJob
	for range interruptReads {
		rows, err := db.Pool.Query(ctx, `/* postgres.ImportJobByID */ SELECT `+importJobColumns+`
			FROM import_jobs j LEFT JOIN employees e ON e.id = j.created_by WHERE `+cond, args.List...)
		if err != nil {
			return crm.ImportJob{}, err
		}
		if j, err = pgx.CollectExactlyOneRow(rows, scanImportJob); err != nil || !j.Interrupted() {
			return j, translate(err)
		}
	}
	return j, nil
}

// interruptReads is how many times a job that looks interrupted is read:
// a statement's snapshot is taken before it reads the locks, so a commit
// that ends in between looks interrupted — its lock gone, its outcome not
// yet seen. A second statement, with a snapshot taken after the lock was
// seen gone, sees the outcome.
const interruptReads = 2

// ImportJobFile returns the uploaded file of a job a may view; ENOTFOUND
// otherwise.
func (db *DB) ImportJobFile(ctx context.Context, a crm.Actor, id int64) ([]byte, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(a, "j", &args)
	var b []byte
	err := db.Pool.QueryRow(ctx, `/* postgres.ImportJobFile */ SELECT j.file FROM import_jobs j WHERE `+cond, args.List...).Scan(&b)
	return b, translate(err)
}

// FindImportJobs returns the latest import jobs a may view (导入记录),
// newest first, at most limit, without their reports.
func (db *DB) FindImportJobs(ctx context.Context, a crm.Actor, limit int) ([]crm.ImportJob, error) {
	var args Args
	cond := importJobScope(a, "j", &args)
	rows, err := db.Pool.Query(ctx, `/* postgres.FindImportJobs */ SELECT `+importJobListColumns+`
		FROM import_jobs j LEFT JOIN employees e ON e.id = j.created_by WHERE `+cond+`
		ORDER BY j.created_at DESC, j.id DESC LIMIT `+strconv.Itoa(limit), args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanImportJob)
}

// SaveImportReport replaces the report of a job that is still a preview
// (after a commit that errors blocked, or a new choice of options).
// ENOTFOUND unless a may view the job, EFORBIDDEN unless a uploaded it,
// ECONFLICT once it is committed.
func (db *DB) SaveImportReport(ctx context.Context, a crm.Actor, id int64, onError, existing string, c crm.ImportCounts, report []byte) error {
	j, err := db.ImportJobByID(ctx, a, id)
	if err != nil {
		return err
	}
	if j.CreatedBy != a.ID {
		return crm.ErrForbidden
	}
	tag, err := db.Pool.Exec(ctx, `/* postgres.SaveImportReport */
		UPDATE import_jobs SET on_error = $2, existing = $3, rows_total = $4, rows_new = $5, rows_update = $6,
		       rows_skip = $7, rows_error = $8, report = $9, updated_at = now()
		WHERE id = $1 AND status = 'previewed'`, id, onError, existing, c.Total, c.New, c.Update, c.Skip, c.Error, report)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return crm.Errorf(crm.ECONFLICT, "import.already_committed")
	}
	return nil
}

// TakeImportPasswords returns the sheet of initial passwords an employee
// import generated and forgets it: it is shown once, to the importer only
// (ENOTFOUND for anyone else), and ECONFLICT "import.passwords_gone" after
// the first download.
func (db *DB) TakeImportPasswords(ctx context.Context, a crm.Actor, id int64) ([]byte, error) {
	var b []byte
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var by int64
		if err := tx.QueryRow(ctx, `/* postgres.TakeImportPasswords lock */
			SELECT created_by, passwords FROM import_jobs WHERE id = $1 FOR UPDATE`, id).Scan(&by, &b); err != nil {
			return translate(err)
		}
		if by != a.ID {
			return crm.ErrNotFound
		}
		if b == nil {
			return crm.Errorf(crm.ECONFLICT, "import.passwords_gone")
		}
		_, err := tx.Exec(ctx, `/* postgres.TakeImportPasswords */
			UPDATE import_jobs SET passwords = NULL, updated_at = now() WHERE id = $1`, id)
		return err
	})
	return b, err
}

// importLockClass is the first key of the advisory locks that hold an
// import job while it is committed or reverted (the second is its id).
const importLockClass = 4711

// LockJob takes an import job a may view for its commit or its revert and
// returns it with its file; ENOTFOUND when a may not view it, ECONFLICT
// "import.running" while another commit or revert of the job runs. The
// hold is a transaction-level advisory lock, not a row lock: the job's row
// stays free for the progress that SetImportProgress writes from another
// connection while this transaction runs, and the lock goes with the
// transaction however it ends (the connection dropped, the process
// killed). Of two commits of the same job the second is refused, or finds
// the job committed.
func (s *ImportSession) LockJob(ctx context.Context, id int64) (crm.ImportJob, []byte, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(s.actor, "j", &args)
	rows, err := s.tx.Query(ctx, `/* postgres.ImportSession.LockJob */ SELECT `+importJobColumns+`, j.file
		FROM import_jobs j LEFT JOIN employees e ON e.id = j.created_by WHERE `+cond, args.List...)
	if err != nil {
		return crm.ImportJob{}, nil, err
	}
	var file []byte
	j, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (crm.ImportJob, error) {
		var j crm.ImportJob
		err := r.Scan(append(importJobFields(&j), &file)...)
		return j, err
	})
	if err != nil {
		return j, nil, translate(err)
	}
	var got bool
	if err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.LockJob lock */ SELECT pg_try_advisory_xact_lock($1, $2)`,
		int32(importLockClass), int32(id%(1<<31))).Scan(&got); err != nil {
		return j, nil, err
	}
	if !got {
		return j, nil, crm.Errorf(crm.ECONFLICT, "import.running")
	}
	// Read again under the lock: a commit that held it has ended now.
	if err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.LockJob status */ SELECT status FROM import_jobs WHERE id = $1`,
		id).Scan(&j.Status); err != nil {
		return j, nil, translate(err)
	}
	return j, file, nil
}

// FinishJob marks a job committed with the commit's choices, counts and
// report, and keeps the initial-password sheet (nil: none) for its one
// download.
// ECONFLICT "import.already_committed" when it is no preview any more. The
// caller has stopped writing its progress: this clears it.
func (s *ImportSession) FinishJob(ctx context.Context, id int64, onError, existing string, c crm.ImportCounts, report, passwords []byte) error {
	tag, err := s.tx.Exec(ctx, `/* postgres.ImportSession.FinishJob */
		UPDATE import_jobs SET status = 'committed', on_error = $2, existing = $3, rows_total = $4, rows_new = $5,
		       rows_update = $6, rows_skip = $7, rows_error = $8, report = $9, passwords = $10,
		       committed_at = now(), updated_at = now(),
		       progress_phase = '', progress_done = $4, progress_total = $4, progress_at = now()
		WHERE id = $1 AND status = 'previewed'`, id, onError, existing, c.Total, c.New, c.Update, c.Skip, c.Error, report, passwords)
	if err == nil && tag.RowsAffected() == 0 {
		return crm.Errorf(crm.ECONFLICT, "import.already_committed")
	}
	return err
}

// SetImportProgress records how far the commit of job id has got (phase
// "" when it has ended). It runs on a connection of its own, outside the
// commit's transaction, so that every instance sees it at once; the commit
// holds no lock on the job's row until its last statement (LockJob).
func (db *DB) SetImportProgress(ctx context.Context, id int64, phase string, done, total int) error {
	_, err := db.Pool.Exec(ctx, `/* postgres.SetImportProgress */
		UPDATE import_jobs SET progress_phase = $2, progress_done = $3, progress_total = $4, progress_at = now()
		WHERE id = $1`, id, phase, done, total)
	return err
}

// ImportJobProgress returns the status and progress of a job a may view
// (ENOTFOUND otherwise), without its report: the progress bar polls it.
func (db *DB) ImportJobProgress(ctx context.Context, a crm.Actor, id int64) (string, crm.ImportProgress, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(a, "j", &args)
	var status string
	var p crm.ImportProgress
	for range interruptReads {
		err := db.Pool.QueryRow(ctx, `/* postgres.ImportJobProgress */
			SELECT j.status, j.progress_phase, j.progress_done, j.progress_total, j.progress_at, `+importRunning+`
			FROM import_jobs j WHERE `+cond, args.List...).Scan(&status, &p.Phase, &p.Done, &p.Total, &p.At, &p.Running)
		if err != nil || !crm.ImportInterrupted(status, p) {
			return status, p, translate(err)
		}
	}
	return status, p, nil
}

// MarkReverted records that job id was reverted by the session's actor;
// ECONFLICT "import.not_committed" unless it is committed.
func (s *ImportSession) MarkReverted(ctx context.Context, id int64) error {
	tag, err := s.tx.Exec(ctx, `/* postgres.ImportSession.MarkReverted */
		UPDATE import_jobs SET status = 'reverted', reverted_at = now(), reverted_by = $2, updated_at = now()
		WHERE id = $1 AND status = 'committed'`, id, s.actor.ID)
	if err == nil && tag.RowsAffected() == 0 {
		return crm.Errorf(crm.ECONFLICT, "import.not_committed")
	}
	return err
}
