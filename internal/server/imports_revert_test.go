package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// commitVia uploads a file as c and commits it; it returns the job's id.
func commitVia(t *testing.T, c *client, table string, data []byte, fields ...string) int64 {
	t.Helper()
	id := jobID(t, c.upload("/import/"+table, table+".xlsx", data))
	c.post(jobURL(id)+"/commit", form(append([]string{"on_error", "block"}, fields...)...)).wantRedirect(jobURL(id))
	return id
}

// TestImportRevertAndProgressRoutesEveryRole: for every role, the new
// routes — the progress fragment and the revert — and the orders and
// payments tables (admin only): a job's progress is read by those who view
// the job (its importer, admins; 404 for another importer, 403 for the
// roles that import nothing); a revert is made by the job's importer or an
// admin.
func TestImportRevertAndProgressRoutesEveryRole(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hq := mustDepartment(t, a.DB, "总部", 0)
	for _, r := range crm.Roles {
		mustEmployee(t, a.DB, "u_"+string(r), r, hq)
	}
	mustEmployee(t, a.DB, "boss2", crm.RoleManagement, hq)
	clients := map[crm.Role]*client{}
	for _, r := range crm.Roles {
		clients[r] = a.loginAs("u_" + string(r))
	}
	boss2 := a.loginAs("boss2")
	boss := clients[crm.RoleManagement]
	file := func(name string) []byte { return workbook(t, []any{"客户名称"}, []any{name}) }
	// One committed job of the management user per role that may revert
	// it (itself, an admin), and one left to try the others with.
	ownJob := commitVia(t, boss, "customers", file("甲"))
	adminsJob := commitVia(t, boss, "customers", file("乙"))
	othersJob := commitVia(t, boss, "customers", file("丙"))
	cases := 0
	want := func(r string, got *page, code int) {
		t.Helper()
		cases++
		if got.Status != code {
			t.Errorf("%s %s %s: %d, want %d\n%s", r, got.method, got.path, got.Status, code, abbreviate(got.Body))
		}
	}
	for _, r := range crm.Roles {
		c := clients[r]
		importer := r == crm.RoleAdmin || r == crm.RoleManagement
		code := func(ok int) int {
			if importer {
				return ok
			}
			return http.StatusForbidden
		}
		for _, table := range []string{"orders", "payments"} {
			tpl, up := http.StatusForbidden, http.StatusForbidden
			if r == crm.RoleAdmin {
				tpl, up = http.StatusOK, http.StatusUnprocessableEntity
			}
			want(string(r), c.get("/import/"+table+"/template.xlsx"), tpl)
			want(string(r), c.upload("/import/"+table, "x.xlsx", []byte("not a workbook")), up)
		}
		want(string(r), c.get(fmtPath("/import/jobs/%d/progress", othersJob)), code(http.StatusOK))
		switch r {
		case crm.RoleManagement:
			want(string(r), c.post(fmtPath("/import/jobs/%d/revert", ownJob), nil), http.StatusSeeOther)
		case crm.RoleAdmin:
			want(string(r), c.post(fmtPath("/import/jobs/%d/revert", adminsJob), nil), http.StatusSeeOther)
		default:
			want(string(r), c.post(fmtPath("/import/jobs/%d/revert", othersJob), nil), http.StatusForbidden)
		}
	}
	want("boss2", boss2.get(fmtPath("/import/jobs/%d/progress", othersJob)), http.StatusNotFound)
	want("boss2", boss2.post(fmtPath("/import/jobs/%d/revert", othersJob), nil), http.StatusNotFound)
	want("admin", clients[crm.RoleAdmin].get("/import/jobs/999999/progress"), http.StatusNotFound)
	want("admin", clients[crm.RoleAdmin].post("/import/jobs/999999/revert", nil), http.StatusNotFound)
	// A reverted job cannot be reverted again.
	want("management", boss.post(fmtPath("/import/jobs/%d/revert", ownJob), nil), http.StatusConflict)
	if n := a.count(`SELECT count(*) FROM customers`); n != 1 {
		t.Errorf("customers: %d, want the one job not reverted", n)
	}
	t.Logf("%d route×role cases", cases)
}

// TestImportRevertPages: the job page of a committed import offers the
// revert; reverting removes what it wrote and says so; a revert held back
// answers 409 with every reason and changes nothing.
func TestImportRevertPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hq := mustDepartment(t, a.DB, "总部", 0)
	mustEmployee(t, a.DB, "boss", crm.RoleManagement, hq)
	c := a.loginAs("boss")
	id := commitVia(t, c, "customers", workbook(t, []any{"客户名称"}, []any{"甲公司"}, []any{"乙公司"}))
	p := c.get(jobURL(id)).wantStatus(http.StatusOK)
	if !p.has(tid("revert-form")) || p.has(tid("import-progress")) {
		t.Fatal("a committed job offers no revert, or shows a progress bar")
	}
	// A contact added since holds the revert back.
	var cid int64
	_ = a.DB.Pool.QueryRow(context.Background(), `SELECT id FROM customers WHERE name = '甲公司'`).Scan(&cid)
	c.post("/contacts", form("customer_id", fmtPath("%d", cid), "name", "王芳"))
	if n := a.count(`SELECT count(*) FROM contacts`); n != 1 {
		t.Fatal("no contact added")
	}
	p = c.post(jobURL(id)+"/revert", nil).wantStatus(http.StatusConflict)
	p.wantText(tid("revert-blockers"), "无法撤销")
	p.wantText(tid("revert-blocker"), "「甲公司」：之后添加的联系人（1 条）依赖它。")
	if n := a.count(`SELECT count(*) FROM customers`); n != 2 {
		t.Fatal("a refused revert removed customers")
	}
	a.exec(`DELETE FROM contacts`)
	c.post(jobURL(id)+"/revert", nil).wantRedirect(jobURL(id))
	p = c.get(jobURL(id))
	p.wantText(tid("flash"), "已撤销导入：删除 2 条记录，恢复 0 条记录。")
	p.wantText(tid("import-reverted"), "测试boss")
	if p.has(tid("revert-form")) {
		t.Error("a reverted job offers the revert again")
	}
	c.get("/import").wantText(tid("import-job-row"), "已撤销")
	if n := a.count(`SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("customers after the revert: %d", n)
	}
}

// TestImportProgressFragment: the bar shows what the commit's process
// writes to the job while it holds the job (any instance reads it from
// the database); it waits for the commit form before it polls, asks
// again while a commit runs, stops a while after nothing started, and
// says when the commit has ended.
func TestImportProgressFragment(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	ctx := context.Background()
	id := jobID(t, c.upload("/import/orders", "o.xlsx", workbook(t,
		[]any{"订单编号", "客户名称", "产品 SKU", "数量"}, []any{"HT-1", "甲", "P", "1"})))
	p := c.get(jobURL(id)).wantStatus(http.StatusOK)
	if sel := "#import-progress[hx-trigger*='formdata from:#commit-form']"; !p.has(sel) {
		t.Fatalf("the job page has no bar waiting for the commit form\n%s", abbreviate(p.Body))
	}
	if p.has("select[name=existing]") {
		t.Error("orders offer to update existing records")
	}
	p = c.get(jobURL(id) + "/progress").wantStatus(http.StatusOK)
	if !p.has(tid("import-progress-wait") + "[hx-trigger*=load]") {
		t.Fatalf("nothing runs yet: the bar should ask again\n%s", p.Body)
	}
	if p = c.get(jobURL(id) + "/progress?idle=10"); p.has(tid("import-progress-wait")) {
		t.Error("the bar never stops asking")
	}
	// A commit runs elsewhere: it holds the job and writes its progress.
	conn, err := pgx.Connect(ctx, connString(a.DB))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(4711, $1::int)`, id); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.SetImportProgress(ctx, id, crm.ProgressCheck, 3000, 10000); err != nil {
		t.Fatal(err)
	}
	p = c.get(jobURL(id) + "/progress").wantStatus(http.StatusOK)
	p.wantText(tid("import-progress-text"), "已检查并写入 3000 / 10000 行")
	if !p.has("progress[value='3000'][max='10000']") || !p.has(tid("import-progress")+"[hx-trigger*=load]") {
		t.Fatalf("bar %s", p.Body)
	}
	p = c.get(jobURL(id))
	p.wantText(tid("import-progress-text"), "3000 / 10000")
	if p.has(tid("commit-form")) {
		t.Error("the commit form is offered while the commit runs")
	}
	// The commit's process dies: its lock goes, and the bar with it.
	_ = conn.Close(ctx)
	// The server drops the lock when it notices the connection is gone,
	// a moment after the client has closed it: wait for that, not a time.
	for i := 0; a.count(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 4711 AND objid = $1`, id) > 0; i++ {
		if i > 500 {
			t.Fatal("the closed connection's advisory lock is never released")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p = c.get(jobURL(id) + "/progress"); p.has(tid("import-progress")) {
		t.Fatal("a dead commit still shows as running")
	}
	a.exec(`UPDATE import_jobs SET status = 'committed', progress_phase = '' WHERE id = $1`, id)
	c.get(jobURL(id)+"/progress").wantText(tid("import-progress-done"), "导入已结束")
	if strings.Contains(c.get(jobURL(id)+"/progress").Body, "hx-trigger") {
		t.Error("the bar asks again after the end")
	}
}

func connString(db *postgres.DB) string { return db.Pool.Config().ConnConfig.ConnString() }
