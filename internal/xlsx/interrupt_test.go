package xlsx_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
	"crm/internal/xlsx"
)

// An interrupted import — the request cancelled, the connection dropped,
// the process killed, in the middle of a commit — leaves the database
// exactly as before; its progress was visible from other connections
// while it ran; and the job can be committed afterwards.

const interruptRows = 20000

// interruptFile is a customer file of interruptRows rows, every customer
// in a campaign (so that the triggers have figures to move).
func interruptFile(t testing.TB) []byte {
	return streamBook(t, []any{"客户名称", "电话", "市场活动"}, interruptRows, func(i int) []any {
		return []any{fmt.Sprintf("客户%05d", i), fmt.Sprintf("1390000%04d", i), "春季展会"}
	})
}

var interruptTables = []string{"customers", "campaigns", "history", "contacts"}

// interruptSetup makes the organisation, the campaign and a previewed job.
func interruptSetup(t *testing.T, db *postgres.DB, o *org) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := db.CreateCampaign(ctx, o.boss, crm.CampaignInput{Name: "春季展会", Status: crm.CampaignActive}); err != nil {
		t.Fatal(err)
	}
	id, rep, err := importer(db).Preview(ctx, o.admin, xlsx.TableByName("customers"), "big.xlsx", interruptFile(t), xlsx.Options{})
	if err != nil || rep.Counts.New != interruptRows {
		t.Fatalf("preview %v %+v", err, rep)
	}
	return id
}

// afterInterrupt checks that nothing was written, that the job is still a
// preview without a running progress that shows the commit interrupted,
// and that it commits now (and shows it no more).
func afterInterrupt(t *testing.T, db *postgres.DB, o *org, id int64, before map[string]string) {
	t.Helper()
	ctx := context.Background()
	sameState(t, before, state(t, db, interruptTables...))
	var status string
	var p crm.ImportProgress
	// The server may take a moment to notice a killed client.
	for i := 0; i < 100; i++ {
		var err error
		if status, p, err = db.ImportJobProgress(ctx, o.admin, id); err != nil {
			t.Fatal(err)
		}
		if !p.Running {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status != crm.ImportPreviewed {
		t.Fatalf("job %s after the interruption", status)
	}
	if job, err := db.ImportJobByID(ctx, o.admin, id); err != nil || !job.Interrupted() || !crm.ImportInterrupted(status, p) {
		t.Fatalf("the job does not show its commit interrupted: %v %+v", err, p)
	}
	rep, err := commitOnceFree(ctx, importer(db), o.admin, id)
	if err != nil || rep.Counts.New != interruptRows {
		t.Fatalf("commit after the interruption: %v", err)
	}
	if job, err := db.ImportJobByID(ctx, o.admin, id); err != nil || job.Interrupted() || job.Status != crm.ImportCommitted {
		t.Fatalf("after the commit: %v %s %+v", err, job.Status, job.Progress)
	}
	if n := count(t, db, `SELECT customer_count FROM campaigns`); n != interruptRows {
		t.Fatalf("campaign figure %d", n)
	}
}

// TestImportInterruptCancel: the request is cancelled while rows are being
// checked, and again while they are being written. The progress was
// visible from another connection while the commit's transaction was open.
func TestImportInterruptCancel(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	id := interruptSetup(t, o.db, o)
	before := state(t, o.db, interruptTables...)
	for _, phase := range []string{crm.ProgressCheck, crm.ProgressWrite} {
		ctx, cancel := context.WithCancel(context.Background())
		var seen crm.ImportProgress
		var once sync.Once
		im := importer(o.db)
		im.Progress = func(p crm.ImportProgress) {
			if p.Phase != phase || (phase == crm.ProgressCheck && (p.Done == 0 || p.Done == p.Total)) {
				return
			}
			once.Do(func() {
				// Another connection reads what the commit has written.
				var err error
				if _, seen, err = o.db.ImportJobProgress(context.Background(), o.admin, id); err != nil {
					t.Errorf("progress: %v", err)
				}
				cancel()
			})
		}
		_, err := commitOnceFree(ctx, im, o.admin, id)
		cancel()
		if err == nil {
			t.Fatalf("%s: the cancelled commit succeeded", phase)
		}
		t.Logf("%s: %v", phase, err)
		if !seen.Running || seen.Phase != phase || seen.Done == 0 || seen.Total != interruptRows {
			t.Fatalf("%s: progress seen from outside %+v", phase, seen)
		}
		sameState(t, before, state(t, o.db, interruptTables...))
	}
	afterInterrupt(t, o.db, o, id, before)
}

// TestImportInterruptConnection: the commit's connection is terminated
// from another connection (pg_terminate_backend) after a few rows, and
// again after most rows have been checked and written.
func TestImportInterruptConnection(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	id := interruptSetup(t, o.db, o)
	before := state(t, o.db, interruptTables...)
	for _, at := range killPoints {
		done := make(chan error, 1)
		go func() {
			_, err := commitOnceFree(context.Background(), importer(o.db), o.admin, id)
			done <- err
		}()
		killCommit(t, o.db, id, at, func(pid int) {
			if _, err := o.db.Pool.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
				t.Fatal(err)
			}
		})
		if err := <-done; err == nil {
			t.Fatalf("%d rows: the commit of a terminated connection succeeded", at)
		} else {
			t.Logf("%d rows: %v", at, err)
		}
		sameState(t, before, state(t, o.db, interruptTables...))
	}
	afterInterrupt(t, o.db, o, id, before)
}

// killPoints are how many rows a commit has checked — and written, in its
// transaction, chunk by chunk — when it is interrupted: a few, and most.
var killPoints = []int{1, interruptRows * 7 / 10}

// killCommit waits until the commit of job id has checked at least rows
// rows (and not all), as its progress in the database says, then calls
// kill with the process id of the backend that holds the commit's
// transaction (the holder of the job's advisory lock).
func killCommit(t *testing.T, db *postgres.DB, id int64, rows int, kill func(pid int)) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var ph string
		var done, pid int
		err := db.Pool.QueryRow(ctx, `SELECT j.progress_phase, j.progress_done,
			coalesce((SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database AND d.datname = current_database()
			           WHERE l.locktype = 'advisory' AND l.classid = 4711 AND l.objid = $1 AND l.granted), 0)
			FROM import_jobs j WHERE j.id = $1`, id).Scan(&ph, &done, &pid)
		if err != nil {
			t.Fatal(err)
		}
		if pid != 0 && ph == crm.ProgressCheck && done >= rows && done < interruptRows {
			kill(pid)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the commit never reached %d rows", rows)
}

// TestImportInterruptProcess: the process committing is killed (SIGKILL,
// no chance to clean up) after a few rows, and again after most. The process is this test binary run again as a child
// (TestImportInterruptChild).
func TestImportInterruptProcess(t *testing.T) {
	t.Parallel()
	db, url := testdb.NewWithURL(t)
	o := newOrgOn(t, db)
	id := interruptSetup(t, db, o)
	before := state(t, db, interruptTables...)
	for _, at := range killPoints {
		cmd := exec.Command(os.Args[0], "-test.run=^TestImportInterruptChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CRM_TEST_CHILD_URL="+url, "CRM_TEST_CHILD_JOB="+strconv.FormatInt(id, 10),
			"CRM_TEST_CHILD_ACTOR="+strconv.FormatInt(o.adminID, 10))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killCommit(t, db, id, at, func(int) {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		})
		err := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Success() {
			t.Fatalf("%d rows: the child was not killed: %v", at, err)
		}
		sameState(t, before, state(t, db, interruptTables...))
	}
	afterInterrupt(t, db, o, id, before)
}

// TestImportInterruptChild is the child of TestImportInterruptProcess: it
// commits the job it is given and is killed half-way (it does nothing when
// run on its own).
func TestImportInterruptChild(t *testing.T) {
	url := os.Getenv("CRM_TEST_CHILD_URL")
	if url == "" {
		t.Skip("the child of TestImportInterruptProcess")
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	job, _ := strconv.ParseInt(os.Getenv("CRM_TEST_CHILD_JOB"), 10, 64)
	actor, _ := strconv.ParseInt(os.Getenv("CRM_TEST_CHILD_ACTOR"), 10, 64)
	u, err := db.LoadSessionUser(ctx, actor, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = commitOnceFree(ctx, importer(db), u.Actor, job)
	t.Fatalf("the child's commit ended (%v) before it was killed", err)
}

// commitOnceFree commits the job once the interrupted commit before it has
// let it go: the backend of a cancelled or killed client holds the job's
// lock until it notices (ECONFLICT "import.running" meanwhile).
func commitOnceFree(ctx context.Context, im *xlsx.Importer, a crm.Actor, id int64) (*xlsx.Report, error) {
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		rep, err := im.Commit(ctx, a, id, xlsx.Options{})
		var e *crm.Error
		if !errors.As(err, &e) || e.Message != "import.running" || time.Now().After(deadline) {
			return rep, err
		}
	}
}
