package xlsx

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/postgres"
)

// Importer runs imports for the web pages and the command line alike: the
// same checks, the same report, the same writes.
type Importer struct {
	DB     *postgres.DB
	Limits Limits
	// Progress, when set, hears a commit's progress as it is written to
	// the database (the command line prints it).
	Progress func(p crm.ImportProgress)
}

// options normalises the importer's choices for t: a table whose records
// an import never changes skips the existing ones.
func (t *Table) options(o Options) Options {
	o = o.Norm()
	if t.NoUpdate {
		o.Existing = "skip"
	}
	return o
}

// errBlocked rolls a commit back when rows have errors and errors block.
var errBlocked = errors.New("xlsx: errors block the import")

// acquire takes one of the process's import slots (ErrBusy when none is
// free).
func acquire() (func(), error) {
	release, ok := TryAcquire()
	if !ok {
		return nil, ErrBusy
	}
	return release, nil
}

// Check validates data as an import into t by a and writes nothing at all
// (the command line's --dry-run). EFORBIDDEN when a may not import into t;
// a *FileError for a file that cannot be imported; ErrBusy when every
// import slot is taken.
func (im *Importer) Check(ctx context.Context, a crm.Actor, t *Table, data []byte, opts Options) (*Report, error) {
	if !t.AllowedTo(a) {
		return nil, crm.ErrForbidden
	}
	release, err := acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	return im.check(ctx, a, t, data, t.options(opts))
}

func (im *Importer) check(ctx context.Context, a crm.Actor, t *Table, data []byte, opts Options) (*Report, error) {
	sh, err := open(data, t, im.Limits)
	if err != nil {
		return nil, err
	}
	defer sh.Close()
	rep := &Report{Table: t.Name, Options: opts}
	err = im.DB.RunImport(ctx, a, false, func(s *postgres.ImportSession) error {
		v := &validator{t: t, a: a, s: s, sh: sh, opts: opts, rep: rep}
		return v.run(ctx)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// Preview validates an upload and records it as an import job holding the
// file and the report — and writes nothing else. It returns the job's id.
// Errors as for Check.
func (im *Importer) Preview(ctx context.Context, a crm.Actor, t *Table, fileName string, data []byte, opts Options) (int64, *Report, error) {
	rep, err := im.Check(ctx, a, t, data, opts)
	if err != nil {
		return 0, nil, err
	}
	id, err := im.DB.CreateImportJob(ctx, a, postgres.NewImportJob{Table: t.Name, FileName: fileName, File: data,
		OnError: rep.Options.OnError, Existing: rep.Options.Existing, Counts: rep.Counts, Report: rep.JSON()})
	return id, rep, err
}

// Commit imports a previewed job's file: the file is read and checked
// again (the database may have changed since the preview) and every row
// to write is staged and written in one transaction — or none, when rows
// have errors and opts says errors block (then the report says Blocked and
// the job keeps it). Only the job's importer commits it (EFORBIDDEN for
// others who may view it, ENOTFOUND for the rest), once (ECONFLICT
// "import.already_committed" after that, "import.running" while another
// commit of it runs). Its progress is written to the job as it goes
// (progress), from a connection of its own, so that every instance can
// show it while the transaction is open; its first write marks the job as
// being committed (crm.ImportProgress). When the commit fails — an
// error, ctx cancelled, the connection dropped, the process killed — the
// transaction rolls back and the database is as it was; unless the
// failure is one its user is told the reason of (answered), the mark
// stays and the job shows the commit as interrupted
// (crm.ImportInterrupted) until it is committed again.
func (im *Importer) Commit(ctx context.Context, a crm.Actor, jobID int64, opts Options) (*Report, error) {
	release, err := acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	var rep *Report
	var pr *progress
	err = im.DB.RunImport(ctx, a, true, func(s *postgres.ImportSession) error {
		job, file, err := s.LockJob(ctx, jobID)
		if err != nil {
			return err
		}
		t := TableByName(job.Table)
		switch {
		case job.CreatedBy != a.ID || t == nil || !t.AllowedTo(a):
			return crm.ErrForbidden
		case job.Status != crm.ImportPreviewed:
			return crm.Errorf(crm.ECONFLICT, "import.already_committed")
		}
		opts = t.options(opts)
		pr = im.startProgress(jobID, job.Counts.Total)
		sh, err := open(file, t, im.Limits)
		if err != nil {
			return err
		}
		defer sh.Close()
		rep = &Report{Table: t.Name, Options: opts}
		v := &validator{t: t, a: a, s: s, sh: sh, opts: opts, rep: rep, commit: true, progress: pr.checked, job: jobID}
		if err := v.run(ctx); err != nil {
			return err
		}
		if v.blocked {
			rep.Blocked = true
			return errBlocked
		}
		pr.phase(crm.ProgressWrite)
		applied, err := s.Apply(ctx, t.Target, jobID)
		if err != nil {
			return err
		}
		c := &rep.Counts
		c.Unchanged = c.Update - applied.Updated
		c.New, c.Update, c.Skip = applied.Inserted, applied.Updated, c.Skip+c.Unchanged
		rep.Committed = true
		var sheet []byte
		if len(v.passwords) > 0 {
			if sheet, err = PasswordSheet(v.passwords); err != nil {
				return err
			}
			rep.Passwords = len(v.passwords)
		}
		pr.stop() // its last write must not follow FinishJob's
		return s.FinishJob(ctx, jobID, opts.OnError, opts.Existing, rep.Counts, rep.JSON(), sheet)
	})
	if pr != nil {
		pr.stop()
		if answered(err) {
			pr.clear()
		}
	}
	if errors.Is(err, errBlocked) {
		return rep, im.DB.SaveImportReport(ctx, a, jobID, rep.Options.OnError, rep.Options.Existing, rep.Counts, rep.JSON())
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// answered reports whether a commit that failed with err ended with a
// reason for its user — errors block, the file is refused, a rule of the
// CRM (a coded error) — rather than being cut off: the connection or the
// database failed, ctx ended. The job of an answered commit is a preview
// as before; one cut off keeps the mark of its commit (interrupted).
func answered(err error) bool {
	var fe *FileError
	switch {
	case err == nil:
		return false
	case errors.Is(err, errBlocked), errors.As(err, &fe):
		return true
	}
	return crm.ErrorCode(err) != crm.EINTERNAL
}

// Revert undoes a committed import (撤销导入) in one transaction: the
// records it created are removed, those it updated get back their old
// values, the figures they moved move back — unless something holds it
// back, and then nothing changes and the reasons are returned (ECONFLICT
// "import.revert_blocked" with them). The job's importer and admins may
// revert it (ENOTFOUND for those who may not view it, EFORBIDDEN for
// those who may view but not import it any more); ECONFLICT
// "import.not_committed" unless it is committed, "import.revert_unsupported"
// for organisation tables.
func (im *Importer) Revert(ctx context.Context, a crm.Actor, jobID int64) (postgres.ImportRevert, []postgres.ImportBlocker, error) {
	var res postgres.ImportRevert
	var blockers []postgres.ImportBlocker
	err := im.DB.RunImport(ctx, a, true, func(s *postgres.ImportSession) error {
		job, _, err := s.LockJob(ctx, jobID)
		if err != nil {
			return err
		}
		t := TableByName(job.Table)
		switch {
		case t == nil:
			return crm.ErrNotFound
		case !CanRevert(a, job, t):
			return crm.ErrForbidden
		case job.Status != crm.ImportCommitted:
			return crm.Errorf(crm.ECONFLICT, "import.not_committed")
		case !t.Target.Revertible():
			return crm.Errorf(crm.ECONFLICT, "import.revert_unsupported")
		}
		res, blockers, err = s.Revert(ctx, t.Target, jobID)
		if err != nil {
			return err
		}
		if len(blockers) > 0 {
			return errRevertBlocked
		}
		return s.MarkReverted(ctx, jobID)
	})
	if errors.Is(err, errRevertBlocked) {
		return res, blockers, crm.Errorf(crm.ECONFLICT, "import.revert_blocked")
	}
	return res, nil, err
}

// errRevertBlocked rolls a revert back when something holds it back.
var errRevertBlocked = errors.New("xlsx: the revert is held back")

// CanRevert reports whether a may revert job (an import into t): its
// importer, while they may import into t, and admins.
func CanRevert(a crm.Actor, job crm.ImportJob, t *Table) bool {
	return a.Role == crm.RoleAdmin || (job.CreatedBy == a.ID && t.AllowedTo(a))
}

// Password is the initial password of an imported employee.
type Password struct {
	Username string
	Name     string
	Password string
}

// prepareEmployees gives every new employee a random initial password
// (they must change it at first sign-in: must_change_password is staged
// true). Hashing costs ~40 ms of CPU each, so the chunk is hashed on every
// core the process has.
func prepareEmployees(v *validator, rows []*row) error {
	var fresh []*row
	for _, r := range rows {
		if r.exist == nil {
			r.secret = password.Random(12)
			fresh = append(fresh, r)
		}
	}
	hashes := make([]string, len(fresh))
	errs := make([]error, len(fresh))
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Go(func() {
			for i := range work {
				hashes[i], errs[i] = password.Hash(fresh[i].secret)
			}
		})
	}
	for i := range fresh {
		work <- i
	}
	close(work)
	wg.Wait()
	pi := v.t.outIdx["password_hash"]
	for i, r := range fresh {
		if errs[i] != nil {
			return errs[i]
		}
		r.out[pi] = hashes[i]
		v.passwords = append(v.passwords, Password{Username: v.valueOf(r, "username"), Name: v.valueOf(r, "name"), Password: r.secret})
	}
	return nil
}

func (v *validator) valueOf(r *row, field string) string { return r.vals[v.t.index[field]].text }
