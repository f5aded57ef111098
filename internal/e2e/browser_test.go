// Package e2e drives the CRM in real headless Chromium (Debian's chromium,
// through chromedp): the flows a person would click through, with
// screenshots saved under screenshots/ (ignored by git) for a human to look at.
package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/server"
	"crm/internal/testdb"
)

// chromiumPath finds Debian's chromium. Without it the browser tests fail
// (they are skipped only with -short): CI installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test (skipped with -short)")
	}
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("chromium not found: apt-get install chromium fonts-noto-cjk (or set CHROMIUM)")
	return ""
}

// browser starts headless Chromium for t and returns a context for one tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.WindowSize(1366, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// shotDir is where screenshots go: $CRM_SCREENSHOTS or screenshots/ at the
// repository root.
func shotDir(t *testing.T) string {
	dir := os.Getenv("CRM_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(shotDir(t), name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// dropFlash removes the flash messages on the page, so that waiting for a
// flash after an action waits for that action's, not one still shown.
var dropFlash = chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("[data-testid=flash]").forEach(e => e.remove())`)

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll("+strconv.Quote(sel)+").length"))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func login(t *testing.T, ctx context.Context, base, user, pw string) {
	t.Helper()
	do(t, ctx, "login as "+user,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-username`), user),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), pw),
		chromedp.Submit(chromedp.CSS(`#f-password`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=whoami]`)),
	)
}

// TestAdminBuildsOrganisation: the admin signs in, creates a department and
// an employee in it; the employee signs in and sees the navigation of a
// sales rep — no administration. Screenshots in Chinese and English.
func TestAdminBuildsOrganisation(t *testing.T) {
	ctx := browser(t)
	db := testdb.New(t)
	bg := context.Background()
	hash, err := password.Hash("admin-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateEmployee(bg, crm.EmployeeInput{Username: "root", Name: "管理员", Role: crm.RoleAdmin}, hash, false, false); err != nil {
		t.Fatal(err)
	}
	// A little organisation so that the tree and the list have something to show.
	hq, _ := db.CreateDepartment(bg, crm.DepartmentInput{Name: "总部"}, false)
	sales, _ := db.CreateDepartment(bg, crm.DepartmentInput{Name: "销售中心", ParentID: hq}, false)
	if _, err := db.CreateDepartment(bg, crm.DepartmentInput{Name: "华北销售部", ParentID: sales}, false); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"陈静", "刘洋", "黄磊"} {
		if _, err := db.CreateEmployee(bg, crm.EmployeeInput{Username: "user" + strconv.Itoa(i), Name: name,
			Role: crm.Roles[i+2], DepartmentID: sales, Phone: "1390000000" + strconv.Itoa(i)}, hash, false, false); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	base := srv.URL

	do(t, ctx, "open login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))
	if got := text(t, ctx, "button.primary"); got != "登录" {
		t.Fatalf("login button says %q, want 登录 (Chinese by default)", got)
	}
	shot(t, ctx, "login-zh")
	login(t, ctx, base, "root", "admin-pass-1")

	// Create a department under 销售中心.
	do(t, ctx, "new department",
		chromedp.Navigate(base+"/admin/departments/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=department-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "华东销售部"),
		chromedp.SetValue(chromedp.CSS(`#f-parent_id`), strconv.FormatInt(sales, 10)),
		chromedp.Submit(chromedp.CSS(`#f-name`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=dept-tree]`)),
	)
	if !strings.Contains(text(t, ctx, `[data-testid=flash]`), "华东销售部") {
		t.Fatal("no confirmation after creating the department")
	}
	if n := count(t, ctx, `[data-testid=dept-node]`); n != 4 {
		t.Fatalf("tree shows %d departments, want 4", n)
	}
	east, err := db.DepartmentIDByName(bg, "华东销售部")
	if err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, "departments-zh")

	// Create an employee in it, without the forced password change.
	do(t, ctx, "new employee",
		chromedp.Navigate(base+"/admin/employees/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=employee-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "王小明"),
		chromedp.SendKeys(chromedp.CSS(`#f-username`), "xiaoming"),
		chromedp.SetValue(chromedp.CSS(`#f-department_id`), strconv.FormatInt(east, 10)),
		chromedp.SetValue(chromedp.CSS(`#f-role`), "sales_rep"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), "13812345678"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "xiaoming-pass"),
		chromedp.Click(chromedp.CSS(`input[name=must_change]`)),
		chromedp.Submit(chromedp.CSS(`#f-name`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=edit-employee]`)),
	)
	do(t, ctx, "employee list", chromedp.Navigate(base+"/admin/employees"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=employees-table]`)))
	if n := count(t, ctx, `[data-testid=employee-row]`); n != 5 {
		t.Fatalf("employee list shows %d rows, want 5", n)
	}
	shot(t, ctx, "employees-zh")

	// The same pages in English.
	do(t, ctx, "switch to English", chromedp.Click(chromedp.CSS(`[data-testid=lang-switch]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=en]`)))
	if got := text(t, ctx, `[data-testid=nav-employees]`); !strings.Contains(got, "Employees") {
		t.Fatalf("nav after switching says %q", got)
	}
	shot(t, ctx, "employees-en")
	do(t, ctx, "tree in English", chromedp.Navigate(base+"/admin/departments"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=dept-tree]`)))
	shot(t, ctx, "departments-en")
	do(t, ctx, "logout", chromedp.WaitVisible(chromedp.CSS(`[data-testid=logout]`)), chromedp.Submit(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))
	shot(t, ctx, "login-en")

	// The employee signs in and sees a sales rep's navigation.
	login(t, ctx, base, "xiaoming", "xiaoming-pass")
	if who := text(t, ctx, `[data-testid=whoami]`); !strings.Contains(who, "王小明") {
		t.Fatalf("whoami = %q", who)
	}
	for _, want := range []string{"nav-dashboard", "nav-leads", "nav-customers", "nav-orders", "nav-approvals"} {
		if count(t, ctx, `[data-testid=`+want+`]`) != 1 {
			t.Errorf("a sales rep should see %s", want)
		}
	}
	for _, hidden := range []string{"nav-employees", "nav-departments", "nav-demo", "nav-import", "nav-options"} {
		if count(t, ctx, `[data-testid=`+hidden+`]`) != 0 {
			t.Errorf("a sales rep must not see %s", hidden)
		}
	}
	shot(t, ctx, "home-rep")
	// And the admin pages answer 403 to them.
	do(t, ctx, "admin page as rep", chromedp.Navigate(base+"/admin/employees"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-page]`)))
	if code := text(t, ctx, `[data-testid=error-page] .code`); code != "403" {
		t.Fatalf("rep on /admin/employees sees %q, want 403", code)
	}
	_ = postgres.DemoPassword
}

// TestPhoneLayout: on a phone-sized screen the navigation collapses behind
// the menu button and opens on demand.
func TestPhoneLayout(t *testing.T) {
	ctx := browser(t)
	db := testdb.New(t)
	hash, _ := password.Hash("rep-pass-123")
	if _, err := db.CreateEmployee(context.Background(), crm.EmployeeInput{Username: "rep", Name: "手机用户", Role: crm.RoleSalesRep}, hash, false, false); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	do(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	login(t, ctx, srv.URL, "rep", "rep-pass-123")
	visible := func() bool {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('.sidebar')).display !== 'none'`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if visible() {
		t.Fatal("navigation is open on a phone before the menu is opened")
	}
	shot(t, ctx, "phone-closed")
	do(t, ctx, "open menu", chromedp.Click(chromedp.CSS(`.nav-toggle-label`)))
	if !visible() {
		t.Fatal("menu button does not open the navigation")
	}
	shot(t, ctx, "phone-menu")
}
