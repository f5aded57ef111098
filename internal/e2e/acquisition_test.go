package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/server"
	"crm/internal/testdb"
)

// TestAcquisitionWalk is the acquisition flow in a real browser: marketing
// creates a campaign and a lead in 一部's pool → the manager of 一部
// assigns it to a rep → the rep logs a follow-up and converts the lead →
// the rep releases the customer to the pool → another rep of 一部 claims it.
func TestAcquisitionWalk(t *testing.T) {
	ctx := browser(t)
	db := testdb.New(t)
	bg := context.Background()
	hash, err := password.Hash("walk-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	sales, _ := db.CreateDepartment(bg, crm.DepartmentInput{Name: "销售部"}, false)
	one, _ := db.CreateDepartment(bg, crm.DepartmentInput{Name: "销售一部", ParentID: sales}, false)
	mktDept, _ := db.CreateDepartment(bg, crm.DepartmentInput{Name: "市场部"}, false)
	emp := map[string]int64{}
	for _, u := range []struct {
		name, display string
		role          crm.Role
		dept          int64
	}{
		{"mkt", "周婷", crm.RoleMarketing, mktDept}, {"mgr1", "张伟", crm.RoleSalesManager, one},
		{"rep1", "赵敏", crm.RoleSalesRep, one}, {"rep1b", "钱进", crm.RoleSalesRep, one},
	} {
		id, err := db.CreateEmployee(bg, crm.EmployeeInput{Username: u.name, Name: u.display, Role: u.role, DepartmentID: u.dept}, hash, false, false)
		if err != nil {
			t.Fatal(err)
		}
		emp[u.name] = id
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	base := srv.URL
	logout := func() {
		do(t, ctx, "logout", chromedp.WaitVisible(chromedp.CSS(`[data-testid=logout]`)), chromedp.Submit(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))
	}

	// Marketing: a campaign, then a lead of it into 销售一部's pool.
	login(t, ctx, base, "mkt", "walk-pass-1")
	do(t, ctx, "new campaign",
		chromedp.Navigate(base+"/campaigns/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=campaign-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "秋季工业展"),
		chromedp.SendKeys(chromedp.CSS(`#f-actual_cost`), "12000"),
		chromedp.SetValue(chromedp.CSS(`#f-status`), "active"), // the lead forms offer campaigns in progress
		chromedp.Click(chromedp.CSS(`[data-testid=save-campaign]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=campaign-figures]`)),
	)
	var campaign int64
	if err := db.Pool.QueryRow(bg, `SELECT id FROM campaigns WHERE name = '秋季工业展'`).Scan(&campaign); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "new lead",
		chromedp.Navigate(base+"/leads/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=lead-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "孙浩"),
		chromedp.SendKeys(chromedp.CSS(`#f-company`), "苏州精密机械有限公司"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), "13912345678"),
		chromedp.SetValue(chromedp.CSS(`#f-campaign_id`), strconv.FormatInt(campaign, 10)),
		chromedp.SetValue(chromedp.CSS(`#f-owner`), "p:"+strconv.FormatInt(one, 10)),
		chromedp.Submit(chromedp.CSS(`#f-name`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=lead-fields]`)),
	)
	if got := text(t, ctx, `[data-testid=lead-owner]`); got != "（公海）" {
		t.Fatalf("new lead owner = %q, want the pool", got)
	}
	lead := strings.TrimPrefix(location(t, ctx, base), "/leads/")
	logout()

	// The manager of 销售一部 assigns it to 赵敏.
	login(t, ctx, base, "mgr1", "walk-pass-1")
	do(t, ctx, "pool tab", chromedp.Navigate(base+"/leads?tab=pool"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=leads-table]`)))
	if n := count(t, ctx, `[data-testid=lead-row]`); n != 1 {
		t.Fatalf("manager's pool shows %d leads", n)
	}
	do(t, ctx, "assign",
		chromedp.Navigate(base+"/leads/"+lead),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=assign-form]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=assign-form] select`), strconv.FormatInt(emp["rep1"], 10)),
		dropFlash,
		chromedp.Submit(chromedp.CSS(`[data-testid=assign-form] select`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	if got := text(t, ctx, `[data-testid=lead-owner]`); got != "赵敏" {
		t.Fatalf("owner after assigning = %q", got)
	}
	logout()

	// 赵敏 logs a follow-up and converts the lead.
	login(t, ctx, base, "rep1", "walk-pass-1")
	do(t, ctx, "lead list", chromedp.Navigate(base+"/leads"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=leads-table]`)))
	shot(t, ctx, "leads-zh")
	do(t, ctx, "follow-up",
		chromedp.Navigate(base+"/leads/"+lead),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=follow-up-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-content`), "电话沟通了设备升级需求，客户下周安排技术交流。"),
		chromedp.Click(chromedp.CSS(`[data-testid=add-follow-up]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=follow-up-timeline]`)),
	)
	if got := text(t, ctx, `[data-testid=lead-status]`); got != "跟进中" {
		t.Fatalf("status after follow-up = %q", got)
	}
	shot(t, ctx, "lead-detail-zh")
	do(t, ctx, "convert", chromedp.Click(chromedp.CSS(`[data-testid=convert]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=customer-fields]`)))
	customer := strings.TrimPrefix(location(t, ctx, base), "/customers/")
	if count(t, ctx, `[data-testid=contact-row]`) != 1 || count(t, ctx, `[data-testid=primary-contact]`) != 1 ||
		!strings.Contains(text(t, ctx, `[data-testid=contact-row]`), "孙浩") {
		t.Fatal("the lead's person is not the customer's one, primary contact")
	}
	shot(t, ctx, "customer-detail-zh")

	// 赵敏 releases the customer to the pool; 钱进 claims it.
	do(t, ctx, "release", dropFlash, chromedp.Click(chromedp.CSS(`[data-testid=release]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	logout()
	login(t, ctx, base, "rep1b", "walk-pass-1")
	do(t, ctx, "customer pool", chromedp.Navigate(base+"/customers?tab=pool"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=customers-table]`)))
	if n := count(t, ctx, `[data-testid=customer-row]`); n != 1 {
		t.Fatalf("pool shows %d customers", n)
	}
	shot(t, ctx, "customers-pool-zh")
	do(t, ctx, "claim",
		chromedp.Navigate(base+"/customers/"+customer),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=claim]`)),
		dropFlash,
		chromedp.Click(chromedp.CSS(`[data-testid=claim]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	var owner int64
	if err := db.Pool.QueryRow(bg, `SELECT coalesce(owner_id, 0) FROM customers WHERE id = $1`, customer).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	if owner != emp["rep1b"] {
		t.Fatalf("customer owner = %d, want 钱进 (%d)", owner, emp["rep1b"])
	}
	// The campaign counts the lead and the customer.
	var leads, customers int
	if err := db.Pool.QueryRow(bg, `SELECT lead_count, customer_count FROM campaigns WHERE id = $1`, campaign).Scan(&leads, &customers); err != nil {
		t.Fatal(err)
	}
	if leads != 1 || customers != 1 {
		t.Fatalf("campaign figures: %d leads, %d customers", leads, customers)
	}
}

// location is the current page's path.
func location(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	loc = strings.TrimPrefix(loc, base)
	if i := strings.IndexAny(loc, "?#"); i >= 0 {
		loc = loc[:i]
	}
	return loc
}
