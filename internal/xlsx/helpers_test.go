package xlsx_test

// Test helpers: a database with an organisation, actors as the server
// would load them, and workbooks built with excelize the way people (and
// other programs) write them.

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/testdb"
	"crm/internal/xlsx"
)

var hashOnce = sync.OnceValue(func() string {
	h, err := password.Hash("correct-horse-1")
	if err != nil {
		panic(err)
	}
	return h
})

// org is a small organisation: 销售部 with a sub-department 华东组, an
// admin, a management user, a manager, a rep and a marketing user.
type org struct {
	db                         *postgres.DB
	sales, east                int64
	admin, boss, mgr, rep, mkt crm.Actor
	adminID, bossID, repID     int64
}

func newOrg(t *testing.T) *org {
	t.Helper()
	return newOrgOn(t, testdb.New(t))
}

// newOrgOn makes the organisation in db.
func newOrgOn(t testing.TB, db *postgres.DB) *org {
	t.Helper()
	ctx := context.Background()
	o := &org{db: db}
	var err error
	if o.sales, err = db.CreateDepartment(ctx, crm.DepartmentInput{Name: "销售部"}, false); err != nil {
		t.Fatal(err)
	}
	if o.east, err = db.CreateDepartment(ctx, crm.DepartmentInput{Name: "华东组", ParentID: o.sales}, false); err != nil {
		t.Fatal(err)
	}
	o.admin = mustActor(t, db, "root", crm.RoleAdmin, 0)
	o.boss = mustActor(t, db, "boss", crm.RoleManagement, o.sales)
	o.mgr = mustActor(t, db, "mgr", crm.RoleSalesManager, o.sales)
	o.rep = mustActor(t, db, "rep", crm.RoleSalesRep, o.east)
	o.mkt = mustActor(t, db, "mkt", crm.RoleMarketing, o.sales)
	o.adminID, o.bossID, o.repID = o.admin.ID, o.boss.ID, o.rep.ID
	return o
}

// mustActor creates an employee and returns the actor the server would
// load for them.
func mustActor(t testing.TB, db *postgres.DB, username string, role crm.Role, dept int64) crm.Actor {
	t.Helper()
	ctx := context.Background()
	id, err := db.CreateEmployee(ctx, crm.EmployeeInput{Username: username, Name: "测试" + username, Role: role,
		DepartmentID: dept}, hashOnce(), false, false)
	if err != nil {
		t.Fatalf("employee %s: %v", username, err)
	}
	u, err := db.LoadSessionUser(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor
}

// book writes a workbook whose first sheet holds rows (row 1 first).
func book(t testing.TB, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	return write(t, f)
}

// streamBook writes a large workbook through the StreamWriter.
func streamBook(t testing.TB, header []any, n int, row func(i int) []any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", header); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), row(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	return write(t, f)
}

func write(t testing.TB, f *excelize.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func importer(db *postgres.DB) *xlsx.Importer {
	return &xlsx.Importer{DB: db, Limits: xlsx.DefaultLimits()}
}

// count runs a query returning one integer.
func count(t *testing.T, db *postgres.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// messages renders a report's errors in Chinese.
func messages(rep *xlsx.Report) []string {
	if rep == nil {
		return nil
	}
	t := xlsx.TableByName(rep.Table)
	var out []string
	for _, e := range rep.Errors {
		out = append(out, e.Message(t, "zh-CN"))
	}
	return out
}
