package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/server"
	"crm/internal/testdb"
)

// TestDealWalk is a whole deal in a real browser: a rep creates an
// opportunity, drags it across the board, makes a quote with three lines
// (priced live by htmx), converts it to an order and submits it; the head
// of the department finds it in 待我审批 and approves; the rep records a
// payment; finance confirms it; the order shows the progress and the
// campaign's ROI has moved.
func TestDealWalk(t *testing.T) {
	ctx := browser(t)
	db := testdb.New(t)
	bg := context.Background()
	hash, err := password.Hash("deal-pass-1")
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
		{"head", "李明", crm.RoleSalesManager, sales}, {"rep1", "赵敏", crm.RoleSalesRep, one},
		{"fin", "吴芳", crm.RoleFinance, 0}, {"mkt", "周婷", crm.RoleMarketing, mktDept},
	} {
		id, err := db.CreateEmployee(bg, crm.EmployeeInput{Username: u.name, Name: u.display, Role: u.role, DepartmentID: u.dept}, hash, false, false)
		if err != nil {
			t.Fatal(err)
		}
		emp[u.name] = id
	}
	// 销售部 has a head; 销售一部 has none, so approval walks up to 李明.
	if err := db.UpdateDepartment(bg, sales, crm.DepartmentInput{Name: "销售部", HeadID: emp["head"]}); err != nil {
		t.Fatal(err)
	}
	actor := func(name string) crm.Actor {
		u, err := db.LoadSessionUser(bg, emp[name], 0)
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor
	}
	campaign, err := db.CreateCampaign(bg, actor("mkt"), crm.CampaignInput{Name: "智能制造展", Status: crm.CampaignActive,
		ActualCost: decimalOf(t, "10000")})
	if err != nil {
		t.Fatal(err)
	}
	customer, err := db.CreateCustomer(bg, actor("rep1"), crm.CustomerInput{Name: "苏州精密机械有限公司", CampaignID: 0}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	// The customer came from the campaign (set directly: a rep may not view
	// marketing's campaigns to pick one).
	if _, err := db.Pool.Exec(bg, `UPDATE customers SET campaign_id = $2 WHERE id = $1`, customer, campaign); err != nil {
		t.Fatal(err)
	}
	var products []int64
	for i, p := range []struct{ sku, name, price string }{{"CNC-200", "数控加工中心", "386000.00"},
		{"SRV-10", "伺服电机", "2680.00"}, {"SVC-INST", "安装调试服务", "8800.00"}} {
		var id int64
		if err := db.Pool.QueryRow(bg, `INSERT INTO products (sku, name, unit, list_price) VALUES ($1, $2, $3, $4) RETURNING id`,
			p.sku, p.name, []string{"台", "个", "次"}[i], p.price).Scan(&id); err != nil {
			t.Fatal(err)
		}
		products = append(products, id)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	base := srv.URL
	logout := func() {
		do(t, ctx, "logout", chromedp.WaitVisible(chromedp.CSS(`[data-testid=logout]`)), chromedp.Submit(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))
	}
	cs := strconv.FormatInt(customer, 10)

	// The rep: an opportunity, dragged from 初步接洽 to 需求确认.
	login(t, ctx, base, "rep1", "deal-pass-1")
	do(t, ctx, "new opportunity",
		chromedp.Navigate(base+"/opportunities/new?customer="+cs),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=opportunity-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "产线自动化改造"),
		chromedp.SendKeys(chromedp.CSS(`#f-expected_amount`), "400000"),
		chromedp.Click(chromedp.CSS(`[data-testid=save-opportunity]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=opportunity-fields]`)),
	)
	opp := strings.TrimPrefix(location(t, ctx, base), "/opportunities/")
	do(t, ctx, "board",
		chromedp.Navigate(base+"/opportunities?view=board"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=board]`)),
		chromedp.Sleep(300*time.Millisecond), // board.js sets SortableJS up
		chromedp.DragAndDrop(chromedp.CSS(`[data-board-column][data-stage=initial] [data-board-card]`),
			chromedp.CSS(`[data-board-column][data-stage=needs]`)),
	)
	stage := func() string {
		var s string
		if err := db.Pool.QueryRow(bg, `SELECT stage FROM opportunities WHERE id = $1`, opp).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i := 0; i < 50 && stage() != "needs"; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if got := stage(); got != "needs" {
		t.Fatalf("after dragging, the stage is %q, want needs", got)
	}
	do(t, ctx, "board refreshed", chromedp.WaitVisible(chromedp.CSS(`[data-board-column][data-stage=needs] [data-board-card]`)))
	shot(t, ctx, "board-zh")

	// A quote with three lines, priced live.
	do(t, ctx, "new quote", chromedp.Navigate(base+"/quotes/new?opportunity="+opp), chromedp.WaitVisible(chromedp.CSS(`[data-testid=line-editor]`)))
	for i, p := range products {
		row := strconv.Itoa(i)
		if count(t, ctx, `#line-product-`+row) == 0 {
			do(t, ctx, "add line", chromedp.Click(chromedp.CSS(`[data-testid=line-add]`)), chromedp.WaitVisible(chromedp.CSS(`#line-product-`+row)))
		}
		// htmx processes a swapped editor a moment after the swap: a change
		// fired in between is not heard, so fire it again until the price
		// comes back from the server.
		priced := false
		for try := 0; try < 10 && !priced; try++ {
			_ = chromedp.Do(ctx,
				chromedp.SetValue(chromedp.CSS(`#line-product-`+row), strconv.FormatInt(p, 10)),
				chromedp.Evaluate[chromedp.Void](`document.querySelector('#line-product-`+row+`').dispatchEvent(new Event('change', {bubbles: true}))`),
			)
			priced = valueWithin(ctx, `#line-price-`+row, time.Second, func(v string) bool { return v != "" })
		}
		if !priced {
			t.Fatalf("line %s: the list price never came back", row)
		}
	}
	// 386000 × 0.95 + 2680 × 4 + 8800 = 366700 + 10720 + 8800 = 386220.00
	for try := 0; ; try++ {
		// An editor swapped in meanwhile may invalidate the nodes: try again.
		_ = chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#line-quantity-1`), "4"),
			chromedp.SetValue(chromedp.CSS(`#line-discount-0`), "0.95"),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#line-discount-0').dispatchEvent(new Event('change', {bubbles: true}))`),
		)
		if textWithin(ctx, `[data-testid=line-total]`, time.Second, "386,220.00") {
			break
		}
		if try == 10 {
			t.Fatalf("line total = %q, want 386,220.00", text(t, ctx, `[data-testid=line-total]`))
		}
	}
	shot(t, ctx, "quote-editor-zh")
	do(t, ctx, "save quote", chromedp.Click(chromedp.CSS(`[data-testid=save]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=quote-fields]`)))
	if got := text(t, ctx, `[data-testid=quote-total]`); !strings.Contains(got, "386,220.00") {
		t.Fatalf("quote total %q", got)
	}
	// 转订单, save the order as it is, submit it.
	do(t, ctx, "to order", chromedp.Click(chromedp.CSS(`[data-testid=to-order]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-form]`)))
	do(t, ctx, "save order", chromedp.Click(chromedp.CSS(`[data-testid=save]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-fields]`)))
	order := strings.TrimPrefix(location(t, ctx, base), "/orders/")
	do(t, ctx, "submit", chromedp.Click(chromedp.CSS(`[data-testid=submit]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=withdraw]`)))
	if got := text(t, ctx, `[data-testid=order-approver]`); !strings.Contains(got, "李明") {
		t.Fatalf("approver shown as %q, want 李明", got)
	}
	logout()

	// The head of 销售部 approves from the inbox.
	login(t, ctx, base, "head", "deal-pass-1")
	if got := text(t, ctx, `[data-testid=approvals-count]`); got != "1" {
		t.Fatalf("navigation badge %q", got)
	}
	do(t, ctx, "inbox", chromedp.Navigate(base+"/approvals"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=approval-row]`)))
	shot(t, ctx, "approvals-inbox-zh")
	do(t, ctx, "approve", dropFlash, chromedp.Click(chromedp.CSS(`[data-testid=row-approve]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	logout()

	// The rep records half the amount; finance confirms it from its list.
	login(t, ctx, base, "rep1", "deal-pass-1")
	do(t, ctx, "record payment",
		chromedp.Navigate(base+"/orders/"+order),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-payment-form]`)),
		chromedp.SetValue(chromedp.CSS(`#pay-amount`), "193110.00"),
		dropFlash,
		chromedp.Click(chromedp.CSS(`[data-testid=record-payment]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	if count(t, ctx, `[data-testid=order-payments] [data-testid=payment-row]`) != 1 {
		t.Fatal("the recorded payment is not on the order page")
	}
	logout()
	login(t, ctx, base, "fin", "deal-pass-1")
	do(t, ctx, "confirm",
		chromedp.Navigate(base+"/payments?confirmed=no"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=payments-table]`)),
		dropFlash,
		chromedp.Click(chromedp.CSS(`[data-testid=payment-row] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	do(t, ctx, "order page", chromedp.Navigate(base+"/orders/"+order), chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-money]`)))
	if got := text(t, ctx, `[data-testid=order-progress]`); got != "50.0%" {
		t.Fatalf("progress %q, want 50.0%%", got)
	}
	shot(t, ctx, "order-zh")

	// The campaign's 成交金额 and ROI moved: 386220 / 10000 = 38.62.
	c, err := db.CampaignByID(bg, actor("mkt"), campaign)
	if err != nil {
		t.Fatal(err)
	}
	roi, ok := c.ROI()
	if c.DealAmount.StringFixed(2) != "386220.00" || !ok || roi.StringFixed(2) != "38.62" {
		t.Fatalf("campaign deal amount %s, ROI %s", c.DealAmount.StringFixed(2), roi.StringFixed(2))
	}
}

// valueWithin reports whether the value of sel satisfies ok within d.
func valueWithin(ctx context.Context, sel string, d time.Duration, ok func(string) bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel), chromedp.AtLeast(0)))
		if err == nil && ok(v) {
			return true
		}
	}
	return false
}

// textWithin reports whether the text of sel contains want within d.
func textWithin(ctx context.Context, sel string, d time.Duration, want string) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.AtLeast(0)))
		if err == nil && strings.Contains(s, want) {
			return true
		}
	}
	return false
}

func decimalOf(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
