package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// importTarget is a small target for the staging tests: customers by name.
var importTarget = postgres.ImportTarget{Table: "customers", Resource: crm.ResCustomer, Owned: true, Keys: []string{"name"},
	Columns: []postgres.ImportColumn{
		{Name: "name", Type: "text", Insert: true, Update: true, History: "name"},
		{Name: "phone", Type: "text", Insert: true, Update: true, History: "phone"},
		{Name: "owner_id", Type: "bigint", Insert: true},
		{Name: "department_id", Type: "bigint", Insert: true},
		{Name: "created_by", Type: "bigint", Insert: true},
	}}

// TestImportLookupScope: an import's look-ups see only what the importer
// may view (a rep: their own customers and their department's pool), say
// how many records share a name, and find employees by username in any
// case.
func TestImportLookupScope(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	f.customer(t, f.repA, "甲的客户", postgres.NewOwner{})
	f.customer(t, f.repB, "乙的客户", postgres.NewOwner{})
	f.customer(t, f.mgr, "本组公海客户", postgres.NewOwner{Pool: true, PoolDepartmentID: f.team})
	f.customer(t, f.repA, "重名", postgres.NewOwner{})
	f.customer(t, f.repA, "重名", postgres.NewOwner{})
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO products (sku, name, active) VALUES ('SKU-1', '停用的产品', false)`); err != nil {
		t.Fatal(err)
	}
	names := []string{"甲的客户", "乙的客户", "本组公海客户", "重名", "没有"}
	err := f.db.RunImport(ctx, f.repA, false, func(s *postgres.ImportSession) error {
		got, err := s.Lookup(ctx, postgres.RelCustomer, names)
		if err != nil {
			return err
		}
		if got["甲的客户"].N != 1 || got["甲的客户"].OwnerID != f.repA.ID || got["乙的客户"].N != 0 ||
			got["本组公海客户"].N != 1 || got["本组公海客户"].DepartmentID != f.team || got["重名"].N != 2 || got["没有"].N != 0 {
			t.Errorf("rep's look-up: %+v", got)
		}
		emps, err := s.Lookup(ctx, postgres.RelEmployee, []string{"custrepb", "nobody"})
		if err != nil {
			return err
		}
		if m := emps["custrepb"]; m.N != 1 || m.ID != f.repB.ID || m.DepartmentID != f.team || m.Role != crm.RoleSalesRep || !m.Active {
			t.Errorf("employee look-up: %+v", emps)
		}
		prods, err := s.Lookup(ctx, postgres.RelProduct, []string{"SKU-1", "SKU-2"})
		if err != nil {
			return err
		}
		if prods["SKU-1"].N != 1 || prods["SKU-1"].Active || prods["SKU-2"].N != 0 {
			t.Errorf("product look-up: %+v", prods)
		}
		ex, err := s.Existing(ctx, importTarget, [][]any{{"甲的客户"}, {"乙的客户"}, {"重名"}})
		if err != nil {
			return err
		}
		if ex[postgres.ImportKey("甲的客户")].N != 1 || ex[postgres.ImportKey("乙的客户")].N != 0 || ex[postgres.ImportKey("重名")].N != 2 {
			t.Errorf("existing keys: %+v", ex)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.RunImport(ctx, f.admin, false, func(s *postgres.ImportSession) error {
		got, err := s.Lookup(ctx, postgres.RelCustomer, names)
		if got["乙的客户"].N != 1 {
			t.Errorf("admin's look-up: %+v", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestImportApplyAllOrNothing: staged rows are written by a few
// statements with their history; a preview cannot stage; and an import
// that fails — an error, a cancelled request, a connection killed
// half-way — leaves the database exactly as before.
func TestImportApplyAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	old := f.customer(t, f.repA, "老客户", postgres.NewOwner{})
	rows := func() [][]any {
		out := [][]any{{2, old, "老客户", "021-1", nil, nil, nil}}
		for i := 0; i < 500; i++ {
			out = append(out, []any{i + 3, nil, "新客户" + string(rune('A'+i%26)) + string(rune('0'+i/26%10)), "", f.admin.ID, nil, f.admin.ID})
		}
		return out
	}
	snapshot := func() (n, h int) {
		if err := f.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM history)`).Scan(&n, &h); err != nil {
			t.Fatal(err)
		}
		return
	}
	n0, h0 := snapshot()
	job, err := f.db.CreateImportJob(ctx, f.admin, postgres.NewImportJob{Table: "customers", FileName: "x.xlsx", File: []byte("x"),
		OnError: "block", Existing: "update"})
	if err != nil {
		t.Fatal(err)
	}

	// A preview is read-only.
	err = f.db.RunImport(ctx, f.admin, false, func(s *postgres.ImportSession) error { return s.Stage(ctx, importTarget, rows()) })
	if err == nil {
		t.Error("a preview staged rows")
	}
	// An error after the writes rolls them back.
	boom := errors.New("boom")
	err = f.db.RunImport(ctx, f.admin, true, func(s *postgres.ImportSession) error {
		if err := s.Stage(ctx, importTarget, rows()); err != nil {
			return err
		}
		if _, err := s.Apply(ctx, importTarget, job); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// A connection killed after the writes, before the commit.
	err = f.db.RunImport(ctx, f.admin, true, func(s *postgres.ImportSession) error {
		if err := s.Stage(ctx, importTarget, rows()); err != nil {
			return err
		}
		if _, err := s.Apply(ctx, importTarget, job); err != nil {
			return err
		}
		_, err := f.db.Pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`)
		return err
	})
	if err == nil {
		t.Fatal("the commit of a killed connection succeeded")
	}
	t.Logf("killed connection: %v", err)
	// A request cancelled half-way.
	cctx, cancel := context.WithCancel(ctx)
	err = f.db.RunImport(cctx, f.admin, true, func(s *postgres.ImportSession) error {
		if err := s.Stage(cctx, importTarget, rows()); err != nil {
			return err
		}
		cancel()
		_, err := s.Apply(cctx, importTarget, job)
		return err
	})
	if err == nil {
		t.Fatal("a cancelled import succeeded")
	}
	if n, h := snapshot(); n != n0 || h != h0 {
		t.Fatalf("failed imports left %d customers and %d history entries, want %d and %d", n, h, n0, h0)
	}

	// And one that succeeds writes everything, history included.
	var applied postgres.ImportApplied
	err = f.db.RunImport(ctx, f.admin, true, func(s *postgres.ImportSession) error {
		if err := s.Stage(ctx, importTarget, rows()); err != nil {
			return err
		}
		applied, err = s.Apply(ctx, importTarget, job)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if applied.Inserted != 500 || applied.Updated != 1 {
		t.Fatalf("applied %+v", applied)
	}
	var changes string
	if err := f.db.Pool.QueryRow(ctx, `SELECT changes::text FROM history WHERE record_id = $1 AND action = 'update' AND imported AND import_job_id = $2`, old, job).Scan(&changes); err != nil {
		t.Fatal(err)
	}
	if changes != `[{"f": "phone", "n": "021-1", "o": ""}]` {
		t.Errorf("history of the update: %s", changes)
	}
	if c := importCount(t, f.db, `SELECT count(*) FROM history WHERE import_job_id = $1 AND action = 'create'`, job); c != 500 {
		t.Errorf("create entries: %d", c)
	}
}

// TestImportJobsScope: a job is viewed by its importer and by admins; only
// its importer takes its passwords.
func TestImportJobsScope(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	boss := custActor(t, f.db, mustEmp(t, f.db, "impboss", crm.RoleManagement, 0))
	boss2 := custActor(t, f.db, mustEmp(t, f.db, "impboss2", crm.RoleManagement, 0))
	id, err := f.db.CreateImportJob(ctx, boss, postgres.NewImportJob{Table: "customers", FileName: "x.xlsx", File: []byte("PK"),
		OnError: "block", Existing: "skip", Counts: crm.ImportCounts{Total: 3, New: 2, Error: 1}, Report: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CreateImportJob(ctx, f.repA, postgres.NewImportJob{Table: "customers", File: []byte("x")}); crm.ErrorCode(err) != crm.EFORBIDDEN {
		t.Errorf("a rep records a job: %v", err)
	}
	for _, c := range []struct {
		a    crm.Actor
		want int
	}{{boss, 1}, {f.admin, 1}, {boss2, 0}, {f.repA, 0}} {
		jobs, err := f.db.FindImportJobs(ctx, c.a, 50)
		if err != nil || len(jobs) != c.want {
			t.Errorf("%s sees %d jobs (%v), want %d", c.a.Username, len(jobs), err, c.want)
		}
		_, err = f.db.ImportJobByID(ctx, c.a, id)
		if (err == nil) != (c.want == 1) {
			t.Errorf("%s views the job: %v", c.a.Username, err)
		}
	}
	j, _ := f.db.ImportJobByID(ctx, f.admin, id)
	if j.CreatedByName != "测试impboss" || j.Counts.New != 2 || j.Status != crm.ImportPreviewed || j.FileSize != 2 {
		t.Errorf("job %+v", j)
	}
	if err := f.db.SaveImportReport(ctx, f.admin, id, "skip", "skip", j.Counts, []byte(`{}`)); crm.ErrorCode(err) != crm.EFORBIDDEN {
		t.Errorf("an admin saves another's report: %v", err)
	}
	if _, err := f.db.TakeImportPasswords(ctx, f.admin, id); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("an admin takes another's passwords: %v", err)
	}
	if _, err := f.db.TakeImportPasswords(ctx, boss, id); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("no passwords: %v", err)
	}
}

func importCount(t *testing.T, db *postgres.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestImportLockJob: a commit holds its job (an advisory lock, not the
// job's row): a second commit or a revert of it is refused while the
// first runs, while the job's row stays free for the progress written
// from another connection, which every connection sees at once.
func TestImportLockJob(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	job, err := f.db.CreateImportJob(ctx, f.admin, postgres.NewImportJob{Table: "customers", FileName: "x.xlsx", File: []byte("x"),
		OnError: "block", Existing: "skip"})
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.RunImport(ctx, f.admin, true, func(s *postgres.ImportSession) error {
		if _, _, err := s.LockJob(ctx, job); err != nil {
			return err
		}
		second := f.db.RunImport(ctx, f.admin, true, func(s2 *postgres.ImportSession) error {
			_, _, err := s2.LockJob(ctx, job)
			return err
		})
		if crm.ErrorCode(second) != crm.ECONFLICT {
			t.Errorf("a second commit: %v", second)
		}
		// The progress goes through at once and is seen as running.
		if err := f.db.SetImportProgress(ctx, job, crm.ProgressCheck, 10, 20); err != nil {
			return err
		}
		status, p, err := f.db.ImportJobProgress(ctx, f.admin, job)
		if err != nil || status != crm.ImportPreviewed || !p.Running || p.Done != 10 || p.Total != 20 {
			t.Errorf("progress while the commit runs: %s %+v %v", status, p, err)
		}
		return s.FinishJob(ctx, job, "block", "skip", crm.ImportCounts{Total: 20, New: 20}, []byte(`{}`), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	status, p, err := f.db.ImportJobProgress(ctx, f.admin, job)
	if err != nil || status != crm.ImportCommitted || p.Running || p.Phase != "" {
		t.Errorf("after the commit: %s %+v %v", status, p, err)
	}
	// The progress of a commit that no longer holds the job is not running.
	if err := f.db.SetImportProgress(ctx, job, crm.ProgressWrite, 20, 20); err != nil {
		t.Fatal(err)
	}
	if _, p, _ := f.db.ImportJobProgress(ctx, f.admin, job); p.Running {
		t.Error("a stale progress shows as running")
	}
	err = f.db.RunImport(ctx, f.admin, true, func(s *postgres.ImportSession) error {
		return s.FinishJob(ctx, job, "block", "skip", crm.ImportCounts{}, []byte(`{}`), nil)
	})
	if crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("committing twice: %v", err)
	}
}

// TestImportExistingTypedKeys: keys of amounts and days match as typed
// (12800.5 is 12800.50; a day is a day), and orders are found by number
// within what the importer may view, with their money.
func TestImportExistingTypedKeys(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	cu := f.customer(t, f.repA, "甲的客户", postgres.NewOwner{})
	var order int64
	if err := f.db.Pool.QueryRow(ctx, `INSERT INTO orders (number, customer_id, status, total, paid_amount, owner_id, created_by, customer_owner_id)
		VALUES ('HT-1', $1, 'approved', 1000, 300, $2, $2, $2) RETURNING id`, cu, f.repA.ID).Scan(&order); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO payments (order_id, customer_id, amount, paid_on, created_by) VALUES ($1, $2, 12800.50, '2026-01-15', $3)`,
		order, cu, f.repA.ID); err != nil {
		t.Fatal(err)
	}
	target := postgres.ImportTarget{Table: "payments", Resource: crm.ResPayment, Owned: true, Keys: []string{"order_id", "amount", "paid_on"},
		Columns: []postgres.ImportColumn{{Name: "order_id", Type: "bigint"}, {Name: "amount", Type: "numeric"}, {Name: "paid_on", Type: "date"}}}
	day := time.Date(2026, 1, 15, 0, 0, 0, 0, crm.Zone)
	for _, c := range []struct {
		a    crm.Actor
		want int
	}{{f.admin, 1}, {f.repA, 1}, {f.repB, 0}} {
		err := f.db.RunImport(ctx, c.a, false, func(s *postgres.ImportSession) error {
			keys := [][]any{{order, decimal.RequireFromString("12800.5"), day}, {order, decimal.RequireFromString("12800.5"), day.AddDate(0, 0, 1)}}
			found, err := s.Existing(ctx, target, keys)
			if err != nil {
				return err
			}
			if found[postgres.ImportKey(keys[0]...)].N != c.want || found[postgres.ImportKey(keys[1]...)].N != 0 {
				t.Errorf("%s: existing payments %+v", c.a.Username, found)
			}
			orders, err := s.Lookup(ctx, postgres.RelOrder, []string{"HT-1"})
			if err != nil {
				return err
			}
			m := orders["HT-1"]
			if m.N != c.want || (c.want == 1 && (m.ID != order || m.Status != "approved" || !m.Amount.Equal(decimal.NewFromInt(1000)) ||
				!m.Paid.Equal(decimal.NewFromInt(300)) || m.CustomerID != cu || m.CustomerOwnerID != f.repA.ID)) {
				t.Errorf("%s: order %+v", c.a.Username, m)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
