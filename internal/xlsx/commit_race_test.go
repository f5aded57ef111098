package xlsx_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"crm/internal/crm"
	"crm/internal/xlsx"
)

// TestImportCommitRace: commits of one job started at once (two tabs, two
// instances) have one winner; the others are told the job is being
// committed or is committed, and every row is written once.
//
// It runs before the package's parallel tests, not among them: its three
// racers hold both import slots of a two-core machine while they retry,
// and a parallel test's Check then met ErrBusy (a failure seen under the
// load of the whole suite).
func TestImportCommitRace(t *testing.T) {
	o := newOrg(t)
	ctx := context.Background()
	const rows = 2000
	data := streamBook(t, []any{"客户名称", "电话"}, rows, func(i int) []any {
		return []any{fmt.Sprintf("竞争客户%05d", i), fmt.Sprintf("1380000%04d", i)}
	})
	id, _, err := importer(o.db).Preview(ctx, o.admin, xlsx.TableByName("customers"), "race.xlsx", data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const racers = 3
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
				// Another test of the package may hold the import slots.
				if _, errs[i] = importer(o.db).Commit(ctx, o.admin, id, xlsx.Options{}); !errors.Is(errs[i], xlsx.ErrBusy) || time.Now().After(deadline) {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		var e *crm.Error
		switch {
		case err == nil:
			won++
		case errors.As(err, &e) && e.Code == crm.ECONFLICT && (e.Message == "import.running" || e.Message == "import.already_committed"):
		default:
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d winners: %v", won, errs)
	}
	if n := count(t, o.db, `SELECT count(*) FROM customers`); n != rows {
		t.Fatalf("%d customers, want %d", n, rows)
	}
	job, err := o.db.ImportJobByID(ctx, o.admin, id)
	if err != nil || job.Status != crm.ImportCommitted || job.Interrupted() || job.Counts.New != rows {
		t.Fatalf("job %v %s %+v", err, job.Status, job.Counts)
	}
}

// TestImportCommitAnsweredNotInterrupted: a commit that ends with a reason
// for its importer — errors block it — leaves the job a plain preview, not
// an interrupted one.
func TestImportCommitAnsweredNotInterrupted(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	im := importer(o.db)
	id, _, err := im.Preview(ctx, o.admin, xlsx.TableByName("customers"), "bad.xlsx",
		book(t, []any{"客户名称", "客户级别"}, []any{"甲公司", ""}, []any{"乙公司", "Z 级"}), xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := im.Commit(ctx, o.admin, id, xlsx.Options{OnError: "block"})
	if err != nil || !rep.Blocked {
		t.Fatalf("commit %v %+v", err, rep)
	}
	job, err := o.db.ImportJobByID(ctx, o.admin, id)
	if err != nil || job.Status != crm.ImportPreviewed || job.Interrupted() || job.Progress.Phase != "" {
		t.Fatalf("job %v %s %+v", err, job.Status, job.Progress)
	}
	if n := count(t, o.db, `SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("a blocked commit wrote %d customers", n)
	}
}
