package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/server"
	"crm/internal/testdb"
)

// TestKeyAccountPage: the owner of a key account with 500 records of every
// kind opens its page: each section shows ten rows with 500 beside its
// heading and 查看全部 500 条; the orders' link opens the order list
// narrowed to the customer (a chip naming it), and its × the whole list.
// Screenshots of the page, the narrowed list and the opportunity's page.
func TestKeyAccountPage(t *testing.T) {
	ctx := browser(t)
	db := testdb.New(t)
	bg := context.Background()
	hash, err := password.Hash("rep-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	dept, err := db.CreateDepartment(bg, crm.DepartmentInput{Name: "大客户部"}, false)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.CreateEmployee(bg, crm.EmployeeInput{Username: "kam", Name: "王大客", Role: crm.RoleSalesRep, DepartmentID: dept}, hash, false, false)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.LoadSessionUser(bg, rep, 0)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := db.CreateCustomer(bg, u.Actor, crm.CustomerInput{Name: "华夏重工集团有限公司", Phone: "021-55550000",
		Address: "上海市浦东新区张江路 88 号"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	filled := testdb.FillCustomer(t, db, cust, 500)
	srv := httptest.NewServer(server.New(server.Config{DB: db, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	base := srv.URL
	login(t, ctx, base, "kam", "rep-pass-1")

	page := base + "/customers/" + strconv.FormatInt(cust, 10)
	do(t, ctx, "open the key account", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`[data-testid=deals]`)))
	for _, s := range []struct{ id, row string }{{"contacts", "contact-row"}, {"follow-ups", "follow-up"},
		{"tab-opportunities", "opportunity-row"}, {"tab-quotes", "quote-row"}, {"tab-orders", "order-row"},
		{"tab-payments", "payment-row"}, {"tab-invoices", "invoice-row"}} {
		if n := count(t, ctx, `[data-testid=`+s.id+`] [data-testid=`+s.row+`]`); n != crm.SectionRows {
			t.Errorf("%s: %d rows, want %d", s.id, n, crm.SectionRows)
		}
	}
	if got := text(t, ctx, `[data-testid=orders-all]`); got != "查看全部 500 条" {
		t.Errorf("orders link says %q", got)
	}
	shot(t, ctx, "key-account")
	for _, part := range []string{"customer-tabs", "contacts", "follow-ups", "tab-orders", "tab-payments"} {
		b, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(`[data-testid=`+part+`]`)))
		if err != nil {
			t.Fatalf("screenshot of %s: %v", part, err)
		}
		if err := os.WriteFile(filepath.Join(shotDir(t), "key-account-"+part+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	do(t, ctx, "view all orders",
		chromedp.Click(chromedp.CSS(`[data-testid=orders-all]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=chip-customer]`)),
	)
	if got := text(t, ctx, `[data-testid=chip-customer]`); !strings.Contains(got, "华夏重工集团有限公司") {
		t.Errorf("chip says %q", got)
	}
	if n := count(t, ctx, `[data-testid=order-row]`); n != 20 {
		t.Errorf("the narrowed list shows %d orders", n)
	}
	shot(t, ctx, "key-account-orders")
	do(t, ctx, "remove the chip",
		chromedp.Click(chromedp.CSS(`[data-testid=chip-customer] [data-testid=chip-remove]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=orders-table]`)),
	)
	if n := count(t, ctx, `[data-testid=chip-customer]`); n != 0 {
		t.Error("the chip is still there after ×")
	}

	do(t, ctx, "open its opportunity",
		chromedp.Navigate(base+"/opportunities/"+strconv.FormatInt(filled.Opportunity, 10)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=opportunity-deals]`)),
	)
	if got := text(t, ctx, `[data-testid=quotes-count]`); got != "500" {
		t.Errorf("the opportunity's quotes count %q", got)
	}
	shot(t, ctx, "key-account-opportunity")
}
