package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/server"
	"crm/internal/testdb"
)

// TestDashboardWalk opens the dashboard over the demo data as a rep, a
// manager and management (screenshots in Chinese and English), clicks a
// funnel figure and lands on the opportunity list filtered to that stage
// and period, showing as many opportunities as the figure said; the bell
// counts a notification, which opens its record.
func TestDashboardWalk(t *testing.T) {
	ctx := browser(t)
	db := testdb.New(t)
	bg := context.Background()
	hash, err := password.Hash(postgres.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDemo(bg, hash); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	base := srv.URL
	logout := func() {
		do(t, ctx, "logout", chromedp.WaitVisible(chromedp.CSS(`[data-testid=logout]`)),
			chromedp.Submit(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))
	}
	// english switches the signed-in user's language (kept on the account).
	english := func(on bool) {
		lang := "zh-CN"
		if on {
			lang = "en"
		}
		do(t, ctx, "switch to "+lang, chromedp.Click(chromedp.CSS(`[data-testid=lang-switch]`)),
			chromedp.WaitReady(chromedp.CSS(`html[lang=`+lang+`]`)))
	}
	open := func(path string) {
		do(t, ctx, "open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(`[data-testid=dashboard]`)))
	}

	// The rep: own figures, no ranking, no salesperson filter.
	login(t, ctx, base, "rep1", postgres.DemoPassword)
	open("/?period=year")
	if count(t, ctx, `[data-testid=dashboard-ranking]`) != 0 || count(t, ctx, `#f-owner`) != 0 {
		t.Fatal("a rep sees the salesperson ranking or filter")
	}
	if count(t, ctx, `[data-testid=tile-deal]`) != 1 || count(t, ctx, `[data-testid=trend-chart]`) != 1 {
		t.Fatal("the rep's dashboard misses the money tiles or the trend chart")
	}
	shot(t, ctx, "dashboard-rep-zh")
	english(true)
	open("/?period=year")
	shot(t, ctx, "dashboard-rep-en")
	english(false)
	logout()

	// The manager of 销售部: the team, a funnel figure clicked.
	login(t, ctx, base, "manager", postgres.DemoPassword)
	open("/?period=year")
	if count(t, ctx, `[data-testid=rank-row]`) == 0 {
		t.Fatal("the manager's ranking is empty over the demo data")
	}
	shot(t, ctx, "dashboard-manager-zh")
	english(true)
	open("/?period=year")
	shot(t, ctx, "dashboard-manager-en")
	english(false)
	open("/?period=year")
	var stage string
	var want int
	for _, s := range []string{"initial", "needs", "proposal", "negotiation", "won", "lost"} {
		if n, _ := strconv.Atoi(strings.TrimSpace(text(t, ctx, `[data-testid=funnel-count-`+s+`]`))); n > 0 {
			stage, want = s, n
			break
		}
	}
	if stage == "" {
		t.Fatal("the funnel counts nothing over the demo data")
	}
	do(t, ctx, "click the funnel figure",
		chromedp.Click(chromedp.CSS(`[data-testid=funnel-count-`+stage+`]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=opportunities-table]`)))
	if loc := location(t, ctx, base); loc != "/opportunities" {
		t.Fatalf("the funnel figure led to %s", loc)
	}
	full, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(full)
	if q := u.Query(); q.Get("stage") != stage || q.Get("created_from") == "" || q.Get("tab") != "all" {
		t.Fatalf("the list is not filtered as the figure: %s", u.RawQuery)
	}
	if n := count(t, ctx, `[data-testid=opportunity-row]`); n != min(want, 20) {
		t.Fatalf("the list shows %d opportunities, the funnel said %d", n, want)
	}
	if got := text(t, ctx, `[data-testid=opportunity-stage]`); got == "" {
		t.Fatal("no stage on the rows")
	}
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#f-stage").value`)); err != nil || v != stage {
		t.Fatalf("the list's stage filter shows %q (%v), want %q", v, err, stage)
	}
	shot(t, ctx, "opportunities-from-funnel-zh")

	// The manager approves an order waiting for them; its owner is told.
	do(t, ctx, "approvals", chromedp.Navigate(base+"/approvals"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=approvals-table]`)))
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll("[data-testid=approval-row]")].map(r => r.dataset.id).join(",")`))
	if err != nil {
		t.Fatal(err)
	}
	var order, owner string
	for _, id := range strings.Split(ids, ",") {
		if err := db.Pool.QueryRow(bg, `SELECT e.username FROM orders o JOIN employees e ON e.id = o.owner_id WHERE o.id = $1`, id).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		if order = id; owner != "manager" {
			break // an order of someone else: they will be told
		}
	}
	do(t, ctx, "approve", dropFlash, chromedp.Click(chromedp.CSS(`[data-testid=approval-row][data-id="`+order+`"] [data-testid=row-approve]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	logout()

	login(t, ctx, base, owner, postgres.DemoPassword)
	if got := text(t, ctx, `[data-testid=bell-count]`); got != "1" {
		t.Fatalf("%s's bell counts %q, want 1", owner, got)
	}
	do(t, ctx, "notifications", chromedp.Click(chromedp.CSS(`[data-testid=bell]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=notifications]`)))
	if k, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=notification]").dataset.kind`)); k != "order_approved" {
		t.Fatalf("the notification is %q, want order_approved", k)
	}
	shot(t, ctx, "notifications-zh")
	do(t, ctx, "open the notification", chromedp.Click(chromedp.CSS(`[data-testid=notification-open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-fields]`)))
	if loc := location(t, ctx, base); loc != "/orders/"+order {
		t.Fatalf("the notification opened %s, want /orders/%s", loc, order)
	}
	if count(t, ctx, `[data-testid=bell-count]`) != 0 {
		t.Fatal("the bell still counts the notification that was opened")
	}
	logout()

	// Management, in English; its bell counts the orders waiting for it.
	login(t, ctx, base, "boss", postgres.DemoPassword)
	open("/?period=year")
	shot(t, ctx, "dashboard-management-zh")
	english(true)
	open("/?period=year")
	if !strings.Contains(text(t, ctx, `[data-testid=dashboard-period]`), "this year") {
		t.Fatalf("the dashboard is not in English: %q", text(t, ctx, `[data-testid=dashboard-period]`))
	}
	shot(t, ctx, "dashboard-management-en")
	english(false)
	logout()

	// Marketing: campaigns with ROI, no money anywhere.
	login(t, ctx, base, "marketing", postgres.DemoPassword)
	open("/?period=year")
	for _, sel := range []string{"tile-deal", "tile-paid", "tile-outstanding", "trend-chart", "dashboard-receivables", "dashboard-ranking"} {
		if count(t, ctx, `[data-testid=`+sel+`]`) != 0 {
			t.Fatalf("marketing sees %s", sel)
		}
	}
	if count(t, ctx, `[data-testid=campaign-roi]`) == 0 {
		t.Fatal("marketing sees no campaign ROI")
	}
	shot(t, ctx, "dashboard-marketing-zh")
}
