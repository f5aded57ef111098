package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

var (
	hashOnce sync.Once
	hash     string
)

// testHash is one argon2id hash shared by every fixture (hashing is slow).
func testHash(t *testing.T) string {
	t.Helper()
	hashOnce.Do(func() {
		var err error
		if hash, err = password.Hash(postgres.DemoPassword); err != nil {
			panic(err)
		}
	})
	return hash
}

func mustDept(t *testing.T, db *postgres.DB, name string, parent int64) int64 {
	t.Helper()
	id, err := db.CreateDepartment(context.Background(), crm.DepartmentInput{Name: name, ParentID: parent}, false)
	if err != nil {
		t.Fatalf("department %s: %v", name, err)
	}
	return id
}

func mustEmp(t *testing.T, db *postgres.DB, username string, role crm.Role, dept int64) int64 {
	t.Helper()
	id, err := db.CreateEmployee(context.Background(), crm.EmployeeInput{Username: username, Name: "测试" + username,
		Role: role, DepartmentID: dept}, testHash(t), false, false)
	if err != nil {
		t.Fatalf("employee %s: %v", username, err)
	}
	return id
}

func wantCode(t *testing.T, err error, code, key string) {
	t.Helper()
	var e *crm.Error
	if !errors.As(err, &e) || e.Code != code || (key != "" && e.Message != key) {
		t.Fatalf("err = %v, want %s %s", err, code, key)
	}
}

func countRows(t *testing.T, db *postgres.DB, sql string) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// demoRows is the number of demo rows in every table that holds them.
func demoRows(t *testing.T, db *postgres.DB) int {
	t.Helper()
	counts, err := db.DemoCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c.Rows
	}
	return n
}

func TestDemoSeedAndPurge(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	realDept := mustDept(t, db, "真实部门", 0)
	realAdmin := mustEmp(t, db, "realadmin", crm.RoleAdmin, realDept)
	realRep := mustEmp(t, db, "realrep", crm.RoleSalesRep, realDept)

	if err := db.SeedDemo(ctx, testHash(t)); err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDemo(ctx, testHash(t)); !errors.Is(err, postgres.ErrDemoPresent) {
		t.Fatalf("second SeedDemo: %v", err)
	}
	demoDepts := countRows(t, db, `SELECT count(*) FROM departments WHERE is_demo`)
	if demoDepts == 0 || countRows(t, db, `SELECT count(*) FROM employees WHERE is_demo`) != len(postgres.DemoLogins) {
		t.Fatal("demo rows missing")
	}
	if n := countRows(t, db, `SELECT count(*) FROM departments WHERE is_demo AND head_id IS NOT NULL`); n == 0 {
		t.Fatal("demo departments have no heads")
	}
	all := demoRows(t, db)
	if all < demoDepts+len(postgres.DemoLogins) {
		t.Fatalf("DemoCounts total %d", all)
	}

	n, err := db.PurgeDemo(ctx, realAdmin)
	if err != nil || int(n) != all {
		t.Fatalf("PurgeDemo = %d, %v; want %d", n, err, all)
	}
	if left := demoRows(t, db); left != 0 {
		t.Fatalf("%d demo rows remain", left)
	}
	for _, id := range []int64{realAdmin, realRep} {
		if e, err := db.EmployeeByID(ctx, id); err != nil || e.DepartmentID != realDept {
			t.Fatalf("real employee %d after purge: %+v %v", id, e, err)
		}
	}
	if _, err := db.DepartmentByID(ctx, realDept); err != nil {
		t.Fatalf("real department after purge: %v", err)
	}
	// Purging again removes nothing; seeding again works.
	if n, err := db.PurgeDemo(ctx, realAdmin); err != nil || n != 0 {
		t.Fatalf("second purge = %d, %v", n, err)
	}
	if err := db.SeedDemo(ctx, testHash(t)); err != nil {
		t.Fatalf("reseed: %v", err)
	}
}

func TestDemoPurgeRefusals(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	if err := db.SeedDemo(ctx, testHash(t)); err != nil {
		t.Fatal(err)
	}
	demo := func() int { return demoRows(t, db) }
	all := demo()

	// Only demo admins: purging would leave no admin.
	_, err := db.PurgeDemo(ctx, 0)
	wantCode(t, err, crm.ECONFLICT, "error.demo_no_admin")
	// A real admin who is deactivated does not count.
	off := mustEmp(t, db, "offadmin", crm.RoleAdmin, 0)
	if err := db.SetEmployeeActive(ctx, off, false); err != nil {
		t.Fatal(err)
	}
	_, err = db.PurgeDemo(ctx, 0)
	wantCode(t, err, crm.ECONFLICT, "error.demo_no_admin")

	// A demo account may not purge (it would remove itself).
	var demoAdmin int64
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM employees WHERE username = 'admin' AND is_demo`).Scan(&demoAdmin); err != nil {
		t.Fatal(err)
	}
	mustEmp(t, db, "realadmin", crm.RoleAdmin, 0)
	_, err = db.PurgeDemo(ctx, demoAdmin)
	wantCode(t, err, crm.ECONFLICT, "error.demo_self")

	// A real record pointing at demo data blocks the purge; nothing is removed.
	var demoDept int64
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM departments WHERE name = '销售一部' AND is_demo`).Scan(&demoDept); err != nil {
		t.Fatal(err)
	}
	rep := mustEmp(t, db, "realrep", crm.RoleSalesRep, demoDept)
	_, err = db.PurgeDemo(ctx, 0)
	wantCode(t, err, crm.ECONFLICT, "error.demo_in_use_records")
	if demo() != all {
		t.Fatal("a refused purge removed rows")
	}
	if n := countRows(t, db, `SELECT count(*) FROM departments WHERE is_demo AND head_id IS NOT NULL`); n == 0 {
		t.Fatal("a refused purge cleared the demo heads")
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE employees SET department_id = NULL WHERE id = $1`, rep); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PurgeDemo(ctx, 0); err != nil || int(n) != all {
		t.Fatalf("PurgeDemo = %d, %v; want %d", n, err, all)
	}
}

func TestLastActiveAdmin(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	root := mustEmp(t, db, "root", crm.RoleAdmin, 0)
	rep := mustEmp(t, db, "rep", crm.RoleSalesRep, 0)

	err := db.UpdateEmployee(ctx, root, crm.EmployeeInput{Username: "root", Name: "root", Role: crm.RoleManagement})
	wantCode(t, err, crm.EINVALID, "error.last_admin")
	if crm.FieldErrors(err)["role"] != "error.last_admin" {
		t.Fatalf("fields %v", crm.FieldErrors(err))
	}
	wantCode(t, db.SetEmployeeActive(ctx, root, false), crm.ECONFLICT, "error.last_admin")
	if e, _ := db.EmployeeByID(ctx, root); e.Role != crm.RoleAdmin || !e.Active {
		t.Fatalf("root changed: %+v", e)
	}
	// Other changes are not affected, and a second admin frees the first.
	if err := db.UpdateEmployee(ctx, root, crm.EmployeeInput{Username: "root", Name: "根", Role: crm.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateEmployee(ctx, rep, crm.EmployeeInput{Username: "rep", Name: "rep", Role: crm.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetEmployeeActive(ctx, root, false); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.UpdateEmployee(ctx, rep, crm.EmployeeInput{Username: "rep", Name: "rep", Role: crm.RoleFinance}),
		crm.EINVALID, "error.last_admin")
	wantCode(t, db.SetEmployeeActive(ctx, 999999, true), crm.ENOTFOUND, "")
}

func TestSessionEpoch(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	mustEmp(t, db, "root", crm.RoleAdmin, 0)
	top := mustDept(t, db, "销售部", 0)
	sub := mustDept(t, db, "销售一部", top)
	id := mustEmp(t, db, "mgr", crm.RoleSalesManager, top)

	c, err := db.CredentialsByUsername(ctx, " MGR ")
	if err != nil || c.Employee.ID != id || c.PasswordHash == "" {
		t.Fatalf("CredentialsByUsername: %+v %v", c.Employee, err)
	}
	u, err := db.LoadSessionUser(ctx, id, c.SessionEpoch)
	if err != nil || u.Actor.Role != crm.RoleSalesManager || len(u.Actor.Departments) != 2 ||
		u.Actor.Departments[0] != top || u.Actor.Departments[1] != sub {
		t.Fatalf("LoadSessionUser: %+v %v", u, err)
	}
	// Deactivation ends the epoch; reactivation does not bring it back.
	if err := db.SetEmployeeActive(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	_, err = db.LoadSessionUser(ctx, id, c.SessionEpoch)
	wantCode(t, err, crm.ENOTFOUND, "")
	if err := db.SetEmployeeActive(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	_, err = db.LoadSessionUser(ctx, id, c.SessionEpoch)
	wantCode(t, err, crm.ENOTFOUND, "")
	c2, _ := db.CredentialsByUsername(ctx, "mgr")
	if _, err := db.LoadSessionUser(ctx, id, c2.SessionEpoch); err != nil {
		t.Fatal(err)
	}
	// A reset ends sessions; a change without endSessions keeps them.
	epoch, err := db.SetPassword(ctx, id, testHash(t), false, false)
	if err != nil || epoch != c2.SessionEpoch {
		t.Fatalf("SetPassword keep: %d %v", epoch, err)
	}
	epoch, err = db.SetPassword(ctx, id, testHash(t), true, true)
	if err != nil || epoch == c2.SessionEpoch {
		t.Fatalf("SetPassword end: %d %v", epoch, err)
	}
	_, err = db.LoadSessionUser(ctx, id, c2.SessionEpoch)
	wantCode(t, err, crm.ENOTFOUND, "")
	if u, err := db.LoadSessionUser(ctx, id, epoch); err != nil || !u.MustChangePassword {
		t.Fatalf("after reset: %+v %v", u, err)
	}
}

func TestDepartmentRules(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	a := mustDept(t, db, "甲", 0)
	b := mustDept(t, db, "乙", a)
	c := mustDept(t, db, "丙", b)

	for _, parent := range []int64{a, b, c} {
		err := db.UpdateDepartment(ctx, a, crm.DepartmentInput{Name: "甲", ParentID: parent})
		wantCode(t, err, crm.EINVALID, "")
		if crm.FieldErrors(err)["parent_id"] != "error.department_cycle" {
			t.Fatalf("move 甲 under %d: %v", parent, err)
		}
	}
	err := db.UpdateDepartment(ctx, c, crm.DepartmentInput{Name: "甲", ParentID: b})
	wantCode(t, err, crm.ECONFLICT, "")
	if crm.FieldErrors(err)["name"] != "error.taken" {
		t.Fatalf("duplicate name: %v", err)
	}
	_, err = db.CreateDepartment(ctx, crm.DepartmentInput{Name: "乙"}, false)
	if crm.FieldErrors(err)["name"] != "error.taken" {
		t.Fatalf("duplicate name on create: %v", err)
	}
	_, err = db.CreateDepartment(ctx, crm.DepartmentInput{Name: "丁", HeadID: 999999}, false)
	if crm.FieldErrors(err)["head_id"] != "error.not_exist" {
		t.Fatalf("missing head: %v", err)
	}
	// Moving 丙 up to the top is fine.
	if err := db.UpdateDepartment(ctx, c, crm.DepartmentInput{Name: "丙"}); err != nil {
		t.Fatal(err)
	}

	wantCode(t, db.DeleteDepartment(ctx, a), crm.ECONFLICT, "error.department_has_children")
	mustEmp(t, db, "e1", crm.RoleSalesRep, b)
	wantCode(t, db.DeleteDepartment(ctx, b), crm.ECONFLICT, "error.department_has_employees")
	wantCode(t, db.DeleteDepartment(ctx, 999999), crm.ENOTFOUND, "")
	if err := db.DeleteDepartment(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DepartmentByID(ctx, c); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Fatalf("deleted department: %v", err)
	}
}

// TestDemoPurgeNamesBlockers: a real customer owned by a demo employee and
// a real order under a demo customer refuse the purge, and the refusal
// names them — kind, name or number, id — with the demo rows they point
// at; past MaxDemoBlockers records the rest are counted. Nothing is
// removed; once they are reassigned or deleted the purge runs.
func TestDemoPurgeNamesBlockers(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	realDept := mustDept(t, db, "正式部", 0)
	admin := custActor(t, db, mustEmp(t, db, "realadmin", crm.RoleAdmin, realDept))
	realRep := mustEmp(t, db, "realrep", crm.RoleSalesRep, realDept)
	if err := db.SeedDemo(ctx, testHash(t)); err != nil {
		t.Fatal(err)
	}
	all := demoRows(t, db)
	var demoRep, demoDept, demoCustomer int64
	var demoCustomerName string
	if err := db.Pool.QueryRow(ctx, `SELECT id, department_id FROM employees WHERE username = 'rep1' AND is_demo`).Scan(&demoRep, &demoDept); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT id, name FROM customers WHERE is_demo ORDER BY id LIMIT 1`).Scan(&demoCustomer, &demoCustomerName); err != nil {
		t.Fatal(err)
	}
	cust, err := db.CreateCustomer(ctx, admin, crm.CustomerInput{Name: "正式客户甲"}, postgres.NewOwner{OwnerID: demoRep})
	if err != nil {
		t.Fatal(err)
	}
	var product int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO products (sku, name, list_price) VALUES ('REAL-1', '正式产品', 10) RETURNING id`).Scan(&product); err != nil {
		t.Fatal(err)
	}
	order, err := db.CreateOrder(ctx, admin, crm.OrderInput{CustomerID: demoCustomer, Lines: []crm.Line{{ProductID: product,
		UnitPrice: decimal.NewFromInt(10), Discount: decimal.NewFromInt(1), Quantity: decimal.NewFromInt(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	var number string
	if err := db.Pool.QueryRow(ctx, `SELECT number FROM orders WHERE id = $1`, order).Scan(&number); err != nil {
		t.Fatal(err)
	}

	_, err = db.PurgeDemo(ctx, admin.ID)
	wantCode(t, err, crm.ECONFLICT, "error.demo_in_use_records")
	var inUse *postgres.DemoInUseError
	if !errors.As(err, &inUse) || inUse.Total != 2 || len(inUse.Blockers) != 2 {
		t.Fatalf("refusal %+v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `"正式客户甲"`) || !strings.Contains(msg, "owner_id → employee") { // crm demo purge prints it
		t.Fatalf("message %q", msg)
	}
	byKind := map[string]crm.DemoBlocker{}
	for _, b := range inUse.Blockers {
		byKind[b.Kind] = b
	}
	c := byKind["customer"]
	if c.ID != cust || c.Name != "正式客户甲" {
		t.Fatalf("customer blocker %+v", c)
	}
	refs := map[string]crm.DemoRef{}
	for _, r := range c.Refs {
		refs[r.Column] = r
	}
	if r := refs["owner_id"]; r.DemoKind != "employee" || r.DemoID != demoRep || r.DemoName != "赵敏 (rep1)" {
		t.Fatalf("owner ref %+v", r)
	}
	if r := refs["department_id"]; r.DemoKind != "department" || r.DemoID != demoDept || r.DemoName != "销售一部" {
		t.Fatalf("department ref %+v", r)
	}
	o := byKind["order"]
	if o.ID != order || o.Name != number {
		t.Fatalf("order blocker %+v", o)
	}
	found := false
	for _, r := range o.Refs {
		found = found || (r.Column == "customer_id" && r.DemoKind == "customer" && r.DemoID == demoCustomer && r.DemoName == demoCustomerName)
	}
	if !found {
		t.Fatalf("order refs %+v", o.Refs)
	}
	if demoRows(t, db) != all || countRows(t, db, `SELECT count(*) FROM customers WHERE name = '正式客户甲'`) != 1 {
		t.Fatal("a refused purge removed rows")
	}

	// Many: the first MaxDemoBlockers are listed, all are counted.
	for i := range postgres.MaxDemoBlockers + 1 {
		if _, err := db.CreateLead(ctx, admin, crm.LeadInput{Name: fmt.Sprintf("正式线索%d", i), Status: crm.LeadNew},
			postgres.NewOwner{OwnerID: demoRep}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.PurgeDemo(ctx, admin.ID)
	if !errors.As(err, &inUse) || inUse.Total != postgres.MaxDemoBlockers+3 || len(inUse.Blockers) != postgres.MaxDemoBlockers {
		t.Fatalf("refusal with many: %v", err)
	}

	// A demo employee's entry in a real record's history does not refuse
	// the purge: it stays, without its actor.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO history (resource, record_id, actor_id, action) VALUES ('customer', $1, $2, 'update')`,
		cust, demoRep); err != nil {
		t.Fatal(err)
	}

	// Reassigned and deleted: the purge runs.
	if err := db.AssignCustomer(ctx, admin, cust, realRep); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteOrder(ctx, admin, order); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `DELETE FROM leads WHERE NOT is_demo`); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PurgeDemo(ctx, admin.ID); err != nil || int(n) != all {
		t.Fatalf("PurgeDemo = %d, %v; want %d", n, err, all)
	}
	if n := countRows(t, db, fmt.Sprintf(`SELECT count(*) FROM history WHERE resource = 'customer' AND record_id = %d AND actor_id IS NULL`, cust)); n != 1 {
		t.Fatalf("%d actorless entries in the real customer's history, want 1", n)
	}
}

// TestDemoRefsCoverForeignKeys: every foreign key into a table holding
// demo rows that neither cascades nor sets null is one PurgeDemo names
// blockers for (demoRefs) — a new one fails here until it is listed.
func TestDemoRefsCoverForeignKeys(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	rows, err := db.Pool.Query(context.Background(), `
		SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confdeltype IN ('a', 'r') AND c.confrelid::regclass::text = ANY($1)`, postgres.DemoTables())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	known := postgres.DemoRefKeys()
	n := 0
	for rows.Next() {
		var table, column, to string
		if err := rows.Scan(&table, &column, &to); err != nil {
			t.Fatal(err)
		}
		n++
		if !known[table+"."+column+"→"+to] {
			t.Errorf("%s.%s → %s is not in demoRefs", table, column, to)
		}
	}
	if n < 60 {
		t.Fatalf("only %d foreign keys found", n)
	}
	kinds, columns := postgres.DemoLabels()
	for _, k := range kinds {
		if !i18n.Has("demo.kind." + k) {
			t.Errorf("no label demo.kind.%s", k)
		}
	}
	for _, c := range columns {
		if !i18n.Has("demo.ref." + c) {
			t.Errorf("no label demo.ref.%s", c)
		}
	}
}
