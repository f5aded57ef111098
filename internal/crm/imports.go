package crm

import "time"

// The read model of Excel imports (数据初始化, SPEC §6) and of the demo
// data's purge, as storage returns them and the views show them.

// Import job statuses: a preview records the file and its report; a commit
// writes the rows and marks the job committed (once); a revert undoes the
// commit's writes and marks it reverted (once).
const (
	ImportPreviewed = "previewed"
	ImportCommitted = "committed"
	ImportReverted  = "reverted"
)

// The phases of a commit: the rows are read, checked and staged, then
// written by a few set-based statements.
const (
	ProgressCheck = "check"
	ProgressWrite = "write"
)

// ImportCounts are an import's row counts. At preview New and Update say
// what a commit would do; after a commit they say what it did, and
// Unchanged counts the existing rows an update found identical (they are
// part of Skip).
type ImportCounts struct {
	Total     int `json:"total"` // data rows (blank and example rows left out)
	New       int `json:"new"`
	Update    int `json:"update"`
	Skip      int `json:"skip"`
	Error     int `json:"error"`
	Unchanged int `json:"unchanged,omitempty"`
}

// ImportJob is one upload and what became of it.
type ImportJob struct {
	ID             int64
	Table          string // the importable table's name (customers, …)
	FileName       string
	FileSize       int
	Status         string // ImportPreviewed, ImportCommitted or ImportReverted
	OnError        string // block or skip
	Existing       string // skip or update
	Counts         ImportCounts
	Report         []byte // the validation report (JSON written by internal/xlsx)
	HasPasswords   bool   // an initial-password sheet waits for its one download
	CreatedBy      int64
	CreatedByName  string
	CreatedAt      time.Time
	CommittedAt    *time.Time
	RevertedAt     *time.Time
	RevertedByName string
	Progress       ImportProgress
}

// ImportProgress is how far a running commit has got, as its process last
// wrote it (postgres.SetImportProgress). Its phase is also the mark that a
// commit started: written, from a connection of its own, once the commit
// holds the job and before it writes a row, and cleared by the commit's
// own transaction (postgres.ImportSession.FinishJob) or when the commit
// ends with an answer for its user (errors block, the file is refused). A
// phase left behind by a commit that no longer runs is a commit that was
// interrupted (ImportInterrupted).
type ImportProgress struct {
	Phase string // "" when no commit runs; ProgressCheck, ProgressWrite
	Done  int    // rows checked
	Total int    // rows in the file
	At    *time.Time
	// Running is set while a commit runs (its heartbeat is fresh): a
	// commit whose process died leaves its last phase behind, not running.
	Running bool
}

// ImportInterrupted reports whether the last commit of a job whose status
// and progress these are was interrupted: it started (its phase is still
// set), it runs no more, and the job is still a preview — its transaction
// rolled back with nobody to tell (the process died, the connection
// dropped, the database failed), so nothing was written and the job may
// be committed again.
func ImportInterrupted(status string, p ImportProgress) bool {
	return status == ImportPreviewed && p.Phase != "" && !p.Running
}

// Interrupted reports whether the job's last commit was interrupted
// (ImportInterrupted).
func (j ImportJob) Interrupted() bool { return ImportInterrupted(j.Status, j.Progress) }

// DemoBlocker is a real record that points at demo rows (a refused purge
// of the demo data names it).
type DemoBlocker struct {
	Kind string // a demo kind: customer, order, employee, import, …
	ID   int64
	Name string // its name or number
	Refs []DemoRef
}

// DemoRef is one pointer of a DemoBlocker at a demo row.
type DemoRef struct {
	Column   string // the pointing column: owner_id, customer_id, … (actor_id: its history)
	DemoKind string
	DemoID   int64
	DemoName string
}
