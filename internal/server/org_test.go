package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
)

// orgSnapshot is a digest of every department and employee row.
func orgSnapshot(t *testing.T, a *testApp) string {
	t.Helper()
	var d, e string
	err := a.DB.Pool.QueryRow(context.Background(), `
		SELECT (SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x.id)), '') FROM departments x),
		       (SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x.id)), '') FROM employees x)`).Scan(&d, &e)
	if err != nil {
		t.Fatal(err)
	}
	return d + "/" + e
}

func TestAdminPagesRefusedToOtherRoles(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	hq := mustDepartment(t, a.DB, "总部", 0)
	empty := mustDepartment(t, a.DB, "空部门", 0)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, hq)
	target := mustEmployee(t, a.DB, "target", crm.RoleSalesRep, hq)
	sleeper := mustEmployee(t, a.DB, "sleeper", crm.RoleSalesRep, hq)
	if err := a.DB.SetEmployeeActive(ctx, sleeper, false); err != nil {
		t.Fatal(err)
	}
	// Demo rows, so that a purge that got through would show.
	if err := a.DB.SeedDemo(ctx, hashOf(t, postgres.DemoPassword)); err != nil {
		t.Fatal(err)
	}
	others := []crm.Role{crm.RoleManagement, crm.RoleSalesManager, crm.RoleSalesRep, crm.RoleMarketing, crm.RoleFinance}
	for _, r := range others {
		mustEmployee(t, a.DB, "u_"+string(r), r, hq)
	}

	gets := []string{
		"/admin/departments", "/admin/departments/new", fmtPath("/admin/departments/%d/edit", hq),
		"/admin/employees", "/admin/employees/new", fmtPath("/admin/employees/%d", target),
		fmtPath("/admin/employees/%d/edit", target), "/admin/demo", "/admin/options",
	}
	// Each post would change something if it were allowed.
	posts := []struct {
		path string
		form url.Values
	}{
		{"/admin/departments", form("name", "新部门")},
		{fmtPath("/admin/departments/%d", hq), form("name", "改名的总部")},
		{fmtPath("/admin/departments/%d/delete", empty), nil},
		{"/admin/employees", form("name", "新人", "username", "newbie", "role", "admin", "password", "password-123")},
		{fmtPath("/admin/employees/%d", target), form("name", "改名", "username", "target", "role", "admin")},
		{fmtPath("/admin/employees/%d/deactivate", target), nil},
		{fmtPath("/admin/employees/%d/activate", sleeper), nil},
		{fmtPath("/admin/employees/%d/password", target), form("password", "taken-over-1")},
		{"/admin/demo/purge", form("confirm", "yes")},
	}

	before := orgSnapshot(t, a)
	cases := 0
	for _, r := range others {
		c := a.loginAs("u_" + string(r))
		for _, path := range gets {
			if p := c.get(path); p.Status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", r, path, p.Status)
			} else if !p.has(tid("error-page")) {
				t.Errorf("%s GET %s: no error page", r, path)
			}
			cases++
		}
		for _, ps := range posts {
			if p := c.post(ps.path, ps.form); p.Status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", r, ps.path, p.Status)
			}
			cases++
		}
		// The navigation does not offer the admin pages either.
		if p := c.get("/"); p.has(`nav a[href^="/admin/"]`) {
			t.Errorf("%s: navigation links to admin pages", r)
		}
	}
	if after := orgSnapshot(t, a); after != before {
		t.Fatal("refused posts changed departments or employees")
	}
	if n := a.count(`SELECT count(*) FROM employees WHERE is_demo`); n != len(postgres.DemoLogins) {
		t.Fatalf("demo employees: %d", n)
	}

	root := a.loginAs("root")
	for _, path := range gets {
		root.get(path).wantStatus(http.StatusOK)
		cases++
	}

	// Business areas closed to some roles (SPEC §3 rule 2, the action table).
	closed := map[crm.Role][]string{
		crm.RoleMarketing: {"/orders", "/quotes", "/payments", "/invoices", "/approvals"},
		crm.RoleFinance:   {"/approvals"},
	}
	clients := map[crm.Role]*client{crm.RoleAdmin: root}
	for _, r := range others {
		clients[r] = a.loginAs("u_" + string(r))
	}
	for _, r := range crm.Roles {
		c := clients[r]
		for _, path := range []string{"/orders", "/quotes", "/payments", "/invoices", "/approvals", "/import"} {
			want := http.StatusOK
			if slices.Contains(closed[r], path) || (path == "/import" && r != crm.RoleAdmin && r != crm.RoleManagement) {
				want = http.StatusForbidden
			}
			if p := c.get(path); p.Status != want {
				t.Errorf("%s GET %s: %d, want %d", r, path, p.Status, want)
			}
			cases++
		}
	}
	t.Logf("%d role×route cases", cases)
}

// deptNode returns the tree node whose own name is name.
func deptNode(p *page, name string) *goquery.Selection {
	return p.Doc.Find(tid("dept-node")).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find(".name").First().Text()) == name
	})
}

func TestAdminDepartments(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	rootID := mustEmployeeWith(t, a.DB, crm.EmployeeInput{Username: "root", Name: "管理员甲", Role: crm.RoleAdmin}, testPassword)
	c := a.loginAs("root")
	zh := func(key string, args ...any) string { return i18n.T(i18n.ZH, key, args...) }

	c.get("/admin/departments").wantStatus(http.StatusOK)
	c.get("/admin/departments/new").wantStatus(http.StatusOK)
	c.post("/admin/departments", form("name", "  销售部　")).wantRedirect("/admin/departments")
	sales, err := a.DB.DepartmentIDByName(context.Background(), "销售部")
	if err != nil {
		t.Fatal(err)
	}
	c.post("/admin/departments", form("name", "销售一部", "parent_id", strconv.FormatInt(sales, 10),
		"head_id", strconv.FormatInt(rootID, 10))).wantRedirect("/admin/departments")
	child, err := a.DB.DepartmentIDByName(context.Background(), "销售一部")
	if err != nil {
		t.Fatal(err)
	}
	p := c.get("/admin/departments").wantStatus(http.StatusOK)
	p.wantText(tid("flash"), zh("dept.created", "销售一部"))
	if got := p.texts(tid("dept-node") + " .name"); !slices.Equal(got, []string{"销售部", "销售一部"}) {
		t.Fatalf("tree nodes %q", got)
	}
	// 销售一部 is drawn inside 销售部, with its head.
	if n := deptNode(p, "销售部").Parent().ChildrenFiltered("ul").Find(".name").Text(); n != "销售一部" {
		t.Fatalf("child under 销售部: %q", n)
	}
	if !strings.Contains(deptNode(p, "销售一部").Text(), "管理员甲") {
		t.Fatal("head not shown")
	}

	// Bad input: 422 with a message on the field, nothing written.
	p = c.post("/admin/departments", form("name", "销售部")).wantStatus(http.StatusUnprocessableEntity)
	p.wantText(tid("error-name"), "已被占用")
	if v, _ := p.Doc.Find(`input[name=name]`).Attr("value"); v != "销售部" {
		t.Fatalf("form lost the input: %q", v)
	}
	c.post("/admin/departments", form("name", "  ")).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("error-name"), zh("error.required"))
	c.post("/admin/departments", form("name", "孤儿部", "parent_id", "999999")).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("error-parent_id"), zh("error.not_exist"))
	c.post("/admin/departments", form("name", "孤儿部", "parent_id", "abc")).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("error-parent_id"), zh("error.not_exist"))
	if n := a.count(`SELECT count(*) FROM departments`); n != 2 {
		t.Fatalf("%d departments after bad input, want 2", n)
	}

	// Renaming to a taken name, and moving under its own child or itself.
	c.post(fmtPath("/admin/departments/%d", child), form("name", "销售部", "parent_id", strconv.FormatInt(sales, 10))).
		wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-name"), "已被占用")
	for _, parent := range []int64{child, sales} {
		c.post(fmtPath("/admin/departments/%d", sales), form("name", "销售部", "parent_id", strconv.FormatInt(parent, 10))).
			wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-parent_id"), zh("error.department_cycle"))
	}
	if d, _ := a.DB.DepartmentByID(context.Background(), sales); d.ParentID != 0 {
		t.Fatalf("销售部 moved under %d", d.ParentID)
	}
	// A good edit.
	c.get(fmtPath("/admin/departments/%d/edit", child)).wantStatus(http.StatusOK)
	c.post(fmtPath("/admin/departments/%d", child), form("name", "销售1部", "parent_id", strconv.FormatInt(sales, 10))).
		wantRedirect("/admin/departments")
	// A field left out of the post keeps its value (the head); one posted
	// empty is cleared.
	if d, _ := a.DB.DepartmentByID(context.Background(), child); d.Name != "销售1部" || d.ParentID != sales || d.HeadID == 0 {
		t.Fatalf("after edit: %+v", d)
	}
	c.post(fmtPath("/admin/departments/%d", child), form("name", "销售1部", "parent_id", strconv.FormatInt(sales, 10), "head_id", "")).
		wantRedirect("/admin/departments")
	if d, _ := a.DB.DepartmentByID(context.Background(), child); d.Name != "销售1部" || d.ParentID != sales || d.HeadID != 0 {
		t.Fatalf("after edit: %+v", d)
	}

	// Deleting: refused with sub-departments or employees, saying how many.
	mustEmployee(t, a.DB, "e1", crm.RoleSalesRep, child)
	mustEmployee(t, a.DB, "e2", crm.RoleSalesRep, child)
	c.post(fmtPath("/admin/departments/%d/delete", sales), nil).wantStatus(http.StatusConflict).
		wantText(".flash.error", zh("error.department_has_children", 1))
	c.post(fmtPath("/admin/departments/%d/delete", child), nil).wantStatus(http.StatusConflict).
		wantText(".flash.error", zh("error.department_has_employees", 2))
	if n := a.count(`SELECT count(*) FROM departments`); n != 2 {
		t.Fatalf("refused deletes removed departments: %d left", n)
	}
	a.exec(`UPDATE employees SET department_id = NULL`)
	c.post(fmtPath("/admin/departments/%d/delete", child), nil).wantRedirect("/admin/departments")
	p = c.get("/admin/departments")
	p.wantText(tid("flash"), zh("dept.deleted", "销售1部"))
	if got := p.texts(tid("dept-node") + " .name"); !slices.Equal(got, []string{"销售部"}) {
		t.Fatalf("after delete: %q", got)
	}
}

func TestAdminEmployees(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	zh := func(key string, args ...any) string { return i18n.T(i18n.ZH, key, args...) }
	dept := mustDepartment(t, a.DB, "市场部", 0)
	rootID := mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")

	c.get("/admin/employees/new").wantStatus(http.StatusOK)
	p := c.post("/admin/employees", form("name", "张三", "username", " ZhangSan ", "role", "marketing",
		"department_id", strconv.FormatInt(dept, 10), "email", "zs@example.com", "password", "first-pass-1", "must_change", "1"))
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/employees/") {
		t.Fatalf("create: %d → %q", p.Status, p.Location)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(p.Location, "/admin/employees/"), 10, 64)
	if err != nil {
		t.Fatalf("create → %q", p.Location)
	}
	show := c.get(p.Location).wantStatus(http.StatusOK)
	show.wantText(tid("flash"), zh("employee.created", "张三"))
	show.wantText("h1", "张三")
	show.wantText("dl.fields", "市场部")
	e, err := a.DB.EmployeeByID(ctx, id)
	if err != nil || e.Username != "zhangsan" || e.Role != crm.RoleMarketing || e.DepartmentID != dept || !e.MustChangePassword || !e.Active {
		t.Fatalf("created %+v (%v)", e, err)
	}

	// Invalid input: one message per field, input kept, nothing written.
	before := orgSnapshot(t, a)
	p = c.post("/admin/employees", form("name", "", "username", "Bad User", "role", "", "password", "short", "email", "nope"))
	p.wantStatus(http.StatusUnprocessableEntity)
	for field, key := range map[string]string{"name": "error.required", "username": "error.username_format",
		"password": "error.password_short", "role": "error.choose_role", "email": "error.email_format"} {
		if got := p.texts(tid("error-" + field)); len(got) != 1 || got[0] != zh(key) {
			t.Errorf("error-%s = %q, want [%q]", field, got, zh(key))
		}
	}
	if p.has(tid("error-phone")) || p.has(tid("error-department_id")) {
		t.Error("messages on valid fields")
	}
	if v, _ := p.Doc.Find(`input[name=username]`).Attr("value"); v != "bad user" {
		t.Errorf("username not kept: %q", v)
	}
	if v, _ := p.Doc.Find(`input[name=password]`).Attr("value"); v != "" {
		t.Error("password echoed")
	}
	c.post("/admin/employees", form("name", "李四", "username", "ZHANGSAN", "role", "sales_rep", "password", "second-pass-2")).
		wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-username"), "已被占用")
	c.post("/admin/employees", form("name", "李四", "username", "lisi", "role", "sales_rep", "password", "second-pass-2",
		"department_id", "999999")).wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-department_id"), zh("error.not_exist"))
	c.post("/admin/employees", form("name", "李四", "username", "lisi", "role", "king", "password", "second-pass-2")).
		wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-role"), zh("error.choose_role"))
	if orgSnapshot(t, a) != before {
		t.Fatal("invalid input was written")
	}

	// Edit.
	ep := c.get(fmtPath("/admin/employees/%d/edit", id)).wantStatus(http.StatusOK)
	if v, _ := ep.Doc.Find(`input[name=name]`).Attr("value"); v != "张三" {
		t.Fatalf("edit form name %q", v)
	}
	c.post(fmtPath("/admin/employees/%d", id), form("name", "张三丰", "username", "zhangsf", "role", "sales_manager", "phone", "123")).
		wantRedirect(fmtPath("/admin/employees/%d", id))
	// Left out of the post: the department and email stay.
	if e, _ := a.DB.EmployeeByID(ctx, id); e.Name != "张三丰" || e.Username != "zhangsf" || e.Role != crm.RoleSalesManager || e.DepartmentID == 0 ||
		e.Email != "zs@example.com" || e.Phone != "123" {
		t.Fatalf("after edit %+v", e)
	}
	c.post(fmtPath("/admin/employees/%d", id), form("name", "张三丰", "username", "zhangsf", "role", "sales_manager", "department_id", "")).
		wantRedirect(fmtPath("/admin/employees/%d", id))
	if e, _ := a.DB.EmployeeByID(ctx, id); e.DepartmentID != 0 || e.Phone != "123" {
		t.Fatalf("after edit %+v", e)
	}
	c.post(fmtPath("/admin/employees/%d", id), form("name", "张三丰", "username", "root", "role", "sales_manager")).
		wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-username"), "已被占用")

	// The last active admin stays an admin; nobody deactivates themselves.
	c.post(fmtPath("/admin/employees/%d", rootID), form("name", "root", "username", "root", "role", "sales_rep")).
		wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-role"), zh("error.last_admin"))
	c.post(fmtPath("/admin/employees/%d/deactivate", rootID), nil).wantStatus(http.StatusConflict).
		wantText(tid("error-page"), zh("error.deactivate_self"))
	if e, _ := a.DB.EmployeeByID(ctx, rootID); e.Role != crm.RoleAdmin || !e.Active {
		t.Fatalf("root is now %+v", e)
	}
	if c.get(fmtPath("/admin/employees/%d", rootID)).has(tid("deactivate")) {
		t.Error("own page offers deactivation")
	}
	// With a second admin, one may step down.
	c.post(fmtPath("/admin/employees/%d", id), form("name", "张三丰", "username", "zhangsf", "role", "admin")).
		wantRedirect(fmtPath("/admin/employees/%d", id))
	c.post(fmtPath("/admin/employees/%d", rootID), form("name", "root", "username", "root", "role", "finance")).
		wantRedirect(fmtPath("/admin/employees/%d", rootID))
	// …and is no longer an admin on the very next request.
	c.get("/admin/employees").wantStatus(http.StatusForbidden)

	// Deactivate / activate another employee.
	a.exec(`UPDATE employees SET must_change_password = false WHERE id = $1`, id)
	other := a.client()
	if loc := login(t, other, "zhangsf", "first-pass-1"); loc != "/" {
		t.Fatalf("zhangsf login → %q", loc)
	}
	other.post(fmtPath("/admin/employees/%d/deactivate", rootID), nil).wantRedirect(fmtPath("/admin/employees/%d", rootID))
	other.get(fmtPath("/admin/employees/%d", rootID)).wantText(tid("flash"), zh("employee.deactivated", "root"))
	if e, _ := a.DB.EmployeeByID(ctx, rootID); e.Active {
		t.Fatal("still active")
	}
	c.get("/").wantRedirect("/login")
	other.post(fmtPath("/admin/employees/%d/activate", rootID), nil).wantRedirect(fmtPath("/admin/employees/%d", rootID))
	if e, _ := a.DB.EmployeeByID(ctx, rootID); !e.Active {
		t.Fatal("not reactivated")
	}
}

func TestEmployeeList(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	east := mustDepartment(t, a.DB, "华东区", 0)
	west := mustDepartment(t, a.DB, "华西区", 0)
	mustEmployeeWith(t, a.DB, crm.EmployeeInput{Username: "root", Name: "管理员", Role: crm.RoleAdmin}, testPassword)
	mustEmployeeWith(t, a.DB, crm.EmployeeInput{Username: "ouyang", Name: "欧阳娜娜", Role: crm.RoleMarketing, DepartmentID: west}, testPassword)
	mustEmployeeWith(t, a.DB, crm.EmployeeInput{Username: "pct", Name: "百分_之百", Role: crm.RoleSalesRep, DepartmentID: west}, testPassword)
	hash := hashOf(t, testPassword)
	for i := range 56 {
		role, dept := crm.RoleSalesRep, east
		if i%4 == 0 {
			role, dept = crm.RoleFinance, west
		}
		if _, err := a.DB.CreateEmployee(ctx, crm.EmployeeInput{Username: fmt.Sprintf("staff%02d", i),
			Name: fmt.Sprintf("员工%02d", i), Role: role, DepartmentID: dept}, hash, false, false); err != nil {
			t.Fatal(err)
		}
	}
	const all = 59
	c := a.loginAs("root")
	total := func(p *page) string { return p.text(tid("total")) }
	zhTotal := func(n int) string { return i18n.T(i18n.ZH, "list.total", n) }
	col := func(p *page, n int) []string {
		return p.texts(tid("employee-row") + fmt.Sprintf(" td:nth-child(%d)", n))
	}

	// Pages of 50 with the total.
	p := c.get("/admin/employees").wantStatus(http.StatusOK)
	if total(p) != zhTotal(all) || len(col(p, 1)) != 50 {
		t.Fatalf("page 1: total %q, %d rows", total(p), len(col(p, 1)))
	}
	next, ok := p.Doc.Find(`a[rel=next]`).Attr("href")
	if !ok {
		t.Fatal("no next page link")
	}
	p2 := c.get(next).wantStatus(http.StatusOK)
	if total(p2) != zhTotal(all) || len(col(p2, 1)) != all-50 || slices.Contains(col(p, 2), col(p2, 2)[0]) {
		t.Fatalf("page 2 (%s): total %q, rows %q", next, total(p2), col(p2, 2))
	}

	// Search by a Chinese substring of the name.
	p = c.get("/admin/employees?q=" + url.QueryEscape("阳娜")).wantStatus(http.StatusOK)
	if got := col(p, 1); !slices.Equal(got, []string{"欧阳娜娜"}) || total(p) != zhTotal(1) {
		t.Fatalf("search 阳娜: %q, %q", got, total(p))
	}
	if v, _ := p.Doc.Find(`input[name=q]`).Attr("value"); v != "阳娜" {
		t.Fatalf("search box %q", v)
	}
	// LIKE wildcards are searched for literally.
	for q, want := range map[string]int{"%": 0, "_": 1, "员工0": 10, "STAFF1": 10} {
		if got := total(c.get("/admin/employees?q=" + url.QueryEscape(q))); got != zhTotal(want) {
			t.Errorf("search %q: %q, want %q", q, got, zhTotal(want))
		}
	}

	// Filter by role and by department.
	p = c.get("/admin/employees?role=finance").wantStatus(http.StatusOK)
	if roles := col(p, 4); len(roles) != 14 || slices.ContainsFunc(roles, func(s string) bool { return s != i18n.T(i18n.ZH, "role.finance") }) {
		t.Fatalf("role=finance: %q", roles)
	}
	p = c.get(fmtPath("/admin/employees?department=%d", west)).wantStatus(http.StatusOK)
	if depts := col(p, 3); len(depts) != 16 || slices.ContainsFunc(depts, func(s string) bool { return s != "华西区" }) || total(p) != zhTotal(16) {
		t.Fatalf("department=华西区: %q %q", depts, total(p))
	}
	p = c.get(fmtPath("/admin/employees?department=%d&role=sales_rep", west))
	if got := col(p, 1); !slices.Equal(got, []string{"百分_之百"}) {
		t.Fatalf("华西区 sales reps: %q", got)
	}
	a.exec(`UPDATE employees SET active = false WHERE username = 'staff00'`)
	if got := col(c.get("/admin/employees?active=no"), 2); !slices.Equal(got, []string{"staff00"}) {
		t.Fatalf("inactive: %q", got)
	}

	// Sorting, both ways; an unknown key falls back, never reaches SQL.
	p = c.get("/admin/employees?sort=username&role=finance")
	asc := col(p, 2)
	if !slices.IsSorted(asc) || len(asc) != 14 {
		t.Fatalf("sort=username: %q", asc)
	}
	desc := col(c.get("/admin/employees?sort=username&dir=desc&role=finance"), 2)
	if want := slices.Clone(asc); !slices.Equal(desc, func() []string { slices.Reverse(want); return want }()) {
		t.Fatalf("sort=username desc: %q", desc)
	}
	if p.Doc.Find(`th[aria-sort=ascending]`).Length() != 1 {
		t.Fatal("sorted column not marked")
	}
	c.get("/admin/employees?sort=" + url.QueryEscape("name; DROP TABLE employees") + "&dir=sideways").wantStatus(http.StatusOK)
	c.get("/admin/employees?page=-3&department=abc&role=king").wantStatus(http.StatusOK)
}

func TestDemoPurgeOverHTTP(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	zh := func(key string, args ...any) string { return i18n.T(i18n.ZH, key, args...) }
	rootID := mustEmployee(t, a.DB, "root", crm.RoleAdmin, mustDepartment(t, a.DB, "信息部", 0))
	if err := a.DB.SeedDemo(ctx, hashOf(t, postgres.DemoPassword)); err != nil {
		t.Fatal(err)
	}
	// Later issues add demo rows to more tables: count whatever is there.
	demoCounts, err := a.DB.DemoCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	demoRows, shown, zeros := 0, []string{}, []string{}
	for _, c := range demoCounts {
		demoRows += c.Rows
		shown, zeros = append(shown, strconv.Itoa(c.Rows)), append(zeros, "0")
	}
	if demoRows < len(postgres.DemoLogins)+6 {
		t.Fatalf("only %d demo rows", demoRows)
	}
	counts := func(p *page) []string { return p.texts(tid("demo-counts") + " tbody td.num") }

	demoAdmin := a.client()
	if loc := login(t, demoAdmin, "admin", postgres.DemoPassword); loc != "/" {
		t.Fatalf("demo admin login → %q", loc)
	}
	demoAdmin.post("/admin/demo/purge", form("confirm", "yes")).wantRedirect("/admin/demo")
	p := demoAdmin.get("/admin/demo").wantStatus(http.StatusOK)
	p.wantText(tid("flash"), zh("error.demo_self"))
	if got := counts(p); !slices.Equal(got, shown) {
		t.Fatalf("demo counts %q, want %q", got, shown)
	}

	root := a.loginAs("root")
	root.post("/admin/demo/purge", nil).wantRedirect("/admin/demo")
	root.get("/admin/demo").wantText(tid("flash"), zh("demo.confirm_needed"))
	if n := a.count(`SELECT count(*) FROM employees WHERE is_demo`); n != len(postgres.DemoLogins) {
		t.Fatal("purged without confirmation")
	}
	root.post("/admin/demo/purge", form("confirm", "yes")).wantRedirect("/admin/demo")
	p = root.get("/admin/demo").wantStatus(http.StatusOK)
	p.wantText(tid("flash"), zh("demo.purged", demoRows))
	if got := counts(p); !slices.Equal(got, zeros) {
		t.Fatalf("counts after purge %q", got)
	}
	if e, err := a.DB.EmployeeByID(ctx, rootID); err != nil || e.DepartmentName != "信息部" {
		t.Fatalf("real admin after purge: %+v %v", e, err)
	}
	// The demo admin's session is over: the account is gone.
	demoAdmin.get("/").wantRedirect("/login")
}

// TestDemoPurgeRefusalNamesRecords: a real customer owned by a demo
// employee and a real order under a demo customer refuse the purge; the
// page (409) names both with links and the demo rows they point at, and
// says what to do; nothing is removed.
func TestDemoPurgeRefusalNamesRecords(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	rootID := mustEmployee(t, a.DB, "root", crm.RoleAdmin, mustDepartment(t, a.DB, "信息部", 0))
	if err := a.DB.SeedDemo(ctx, hashOf(t, postgres.DemoPassword)); err != nil {
		t.Fatal(err)
	}
	u, err := a.DB.LoadSessionUser(ctx, rootID, 0)
	if err != nil {
		t.Fatal(err)
	}
	demoRep := int64(a.count(`SELECT id FROM employees WHERE username = 'rep1' AND is_demo`))
	demoCustomer := int64(a.count(`SELECT id FROM customers WHERE is_demo ORDER BY id LIMIT 1`))
	cust, err := a.DB.CreateCustomer(ctx, u.Actor, crm.CustomerInput{Name: "正式客户乙"}, postgres.NewOwner{OwnerID: demoRep})
	if err != nil {
		t.Fatal(err)
	}
	product := int64(a.count(`INSERT INTO products (sku, name, list_price) VALUES ('REAL-9', '正式产品', 10) RETURNING id`))
	order, err := a.DB.CreateOrder(ctx, u.Actor, crm.OrderInput{CustomerID: demoCustomer, Lines: []crm.Line{{ProductID: product,
		UnitPrice: decimal.NewFromInt(10), Discount: decimal.NewFromInt(1), Quantity: decimal.NewFromInt(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	before := a.count(`SELECT count(*) FROM employees WHERE is_demo`)

	root := a.loginAs("root")
	p := root.post("/admin/demo/purge", form("confirm", "yes")).wantStatus(http.StatusConflict)
	p.wantText(tid("demo-in-use"), i18n.T(i18n.ZH, "error.demo_in_use_records", 2))
	p.wantText(tid("demo-in-use"), i18n.T(i18n.ZH, "demo.in_use_hint"))
	row := p.Doc.Find(tid("demo-blocker") + `[data-kind=customer]`)
	if href, _ := row.Find("a").Attr("href"); href != fmtPath("/customers/%d", cust) ||
		!strings.Contains(row.Text(), "正式客户乙") || !strings.Contains(row.Text(), "负责人 → 员工 赵敏 (rep1)") {
		t.Fatalf("customer row %q → %q", row.Text(), href)
	}
	row = p.Doc.Find(tid("demo-blocker") + `[data-kind=order]`)
	if href, _ := row.Find("a").Attr("href"); href != fmtPath("/orders/%d", order) ||
		!strings.Contains(row.Text(), "客户 → 客户") || !strings.Contains(row.Text(), fmtPath("#%d", demoCustomer)) {
		t.Fatalf("order row %q → %q", row.Text(), href)
	}
	if p.has(tid("demo-in-use-more")) {
		t.Error("two records: nothing more to count")
	}
	if a.count(`SELECT count(*) FROM employees WHERE is_demo`) != before || a.count(`SELECT count(*) FROM orders WHERE id = $1`, order) != 1 {
		t.Fatal("a refused purge removed rows")
	}
	// In English too.
	root.post("/locale", form("lang", "en", "next", "/admin/demo")).wantStatus(http.StatusSeeOther)
	p = root.post("/admin/demo/purge", form("confirm", "yes")).wantStatus(http.StatusConflict)
	p.wantText(tid("demo-in-use"), "Owner → Employee 赵敏 (rep1)")
}
