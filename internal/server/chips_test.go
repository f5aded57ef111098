package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// formQuery is what a browser sends for the GET form matching sel: its
// inputs (checkboxes only when checked) and the selected option of each
// select.
func formQuery(t *testing.T, p *page, sel string) url.Values {
	t.Helper()
	f := p.Doc.Find(sel).First()
	if f.Length() == 0 {
		t.Fatalf("%s: no form %s", p.path, sel)
	}
	v := url.Values{}
	f.Find("input[name], select[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		if goquery.NodeName(s) == "select" {
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			val, _ := opt.Attr("value")
			v.Add(name, val)
			return
		}
		switch typ, _ := s.Attr("type"); typ {
		case "checkbox", "radio":
			if _, on := s.Attr("checked"); !on {
				return
			}
		case "submit", "button":
			return
		}
		val, _ := s.Attr("value")
		v.Add(name, val)
	})
	return v
}

// hrefQuery is the query of the link's href.
func hrefQuery(t *testing.T, href string) url.Values {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("bad href %q: %v", href, err)
	}
	return u.Query()
}

// wantChip opens the list at path (its filter form is form) and checks the
// chip key: shown with label; its parameters (params, with their values in
// path) kept by the filter form — submitting it shows the chip again —,
// the sort links, the scope tabs, the pager and the export link; and its ×
// link drops exactly those parameters (and the page), keeping every other
// one, so that the list it opens has no such chip and the other chips.
func wantChip(t *testing.T, c *client, path, form, key, label string, params ...string) *page {
	t.Helper()
	p := c.get(path).wantStatus(http.StatusOK)
	p.wantText(tid("chip-"+key), label)
	orig := hrefQuery(t, path)
	keeps := func(where string, q url.Values) {
		t.Helper()
		for _, k := range params {
			if q.Get(k) != orig.Get(k) {
				t.Errorf("%s: %s keeps %s=%q, want %q", path, where, k, q.Get(k), orig.Get(k))
			}
		}
	}
	fq := formQuery(t, p, form)
	keeps("the filter form", fq)
	list := strings.SplitN(path, "?", 2)[0]
	c.get(list+"?"+fq.Encode()).wantStatus(http.StatusOK).wantText(tid("chip-"+key), label)

	links := 0
	p.Doc.Find("table.data th a[href], " + tid("scope-tabs") + " a[href], .pager a[href]").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		keeps("the link "+href, hrefQuery(t, href))
		links++
	})
	if links == 0 {
		t.Errorf("%s: no sort, tab or page links", path)
	}
	export, ok := p.Doc.Find(tid("export-xlsx")).Attr("href")
	if !ok {
		t.Fatalf("%s: no export link", path)
	}
	keeps("the export link", hrefQuery(t, export))

	remove, ok := p.Doc.Find(tid("chip-"+key) + " " + tid("chip-remove")).Attr("href")
	if !ok {
		t.Fatalf("%s: chip %s has no remove link", path, key)
	}
	rq := hrefQuery(t, remove)
	for k := range orig {
		dropped := k == "page"
		for _, pk := range params {
			dropped = dropped || k == pk
		}
		switch {
		case dropped && rq.Has(k):
			t.Errorf("%s: removing %s keeps %s=%q", path, key, k, rq.Get(k))
		case !dropped && rq.Get(k) != orig.Get(k):
			t.Errorf("%s: removing %s changes %s to %q", path, key, k, rq.Get(k))
		}
	}
	after := c.get(remove).wantStatus(http.StatusOK)
	if after.has(tid("chip-" + key)) {
		t.Errorf("%s: the chip %s is still there after removing it", remove, key)
	}
	p.Doc.Find(tid("filter-chips") + " > li").Each(func(_ int, s *goquery.Selection) {
		if other, _ := s.Attr("data-testid"); other != "chip-"+key && !after.has(tid(other)) {
			t.Errorf("%s: removing %s also removed %s", path, key, other)
		}
	})
	return p
}

// TestListFilterChips: the filters the dashboard links with that have no
// control on their list (orders: owner, department, days decided, unpaid;
// payments: owner, department; opportunities: department, days created;
// follow-ups: department; leads and customers: due) show as chips, which
// the lists' forms, sort links, tabs, pages and export links keep, and
// whose × removes that filter alone.
func TestListFilterChips(t *testing.T) {
	w := newOrdWorld(t)
	ctx := context.Background()
	rep1, one := strconv.FormatInt(w.emp["rep1"], 10), strconv.FormatInt(w.dept["一部"], 10)
	cust := w.customer("rep1", "筛选标签客户")
	var first int64
	for i := range 21 { // a second page
		id := w.approved("rep1", cust)
		if i == 0 {
			first = id
		}
	}
	day := time.Now().In(crm.Zone)
	paid := day.AddDate(0, 0, -1)
	if _, err := w.DB.CreatePayment(ctx, w.actor("rep1"), crm.PaymentInput{OrderID: first, Amount: decimal.RequireFromString("10"),
		PaidOn: &paid, Method: "bank_transfer"}); err != nil {
		t.Fatal(err)
	}
	from, to := day.AddDate(0, 0, -7).Format("2006-01-02"), day.AddDate(0, 0, 1).Format("2006-01-02")
	mgr := w.clients["mgr"]

	// Orders: as the dashboard links them (成交金额 of one salesperson, 待回款).
	orders := "/orders?tab=all&status=approved&owner=" + rep1 + "&department=" + one + "&decided_from=" + from +
		"&decided_to=" + to + "&unpaid=1"
	p := wantChip(t, mgr, orders, "form.filters", "owner", "负责人：测试rep1", "owner")
	if n := len(p.texts(tid("order-row"))); n != 20 || !strings.Contains(p.text(tid("total")), "21") {
		t.Fatalf("orders: %d rows, %q", n, p.text(tid("total")))
	}
	if next, _ := p.Doc.Find(`.pager a[rel=next]`).Attr("href"); !strings.Contains(next, "page=2") || !strings.Contains(next, "unpaid=1") {
		t.Fatalf("orders: next page %q", next)
	}
	wantChip(t, mgr, orders, "form.filters", "department", "部门：一部", "department")
	wantChip(t, mgr, orders, "form.filters", "decided", "审批日期 "+from+" 至 "+to, "decided_from", "decided_to")
	wantChip(t, mgr, orders, "form.filters", "unpaid", "待回款", "unpaid")
	if got := mgr.get(orders + "&page=2").texts(tid("order-row")); len(got) != 1 {
		t.Fatalf("orders, page 2: %d rows", len(got))
	}
	export := mgr.get("/orders/export.xlsx?" + hrefQuery(t, orders).Encode()).wantExport()
	if len(export) != 22 {
		t.Fatalf("orders export: %d rows with the header, want 22", len(export))
	}
	p = mgr.get("/orders?tab=all&decided_from=" + from).wantStatus(http.StatusOK)
	p.wantText(tid("chip-decided"), "审批日期 "+from+" 起")
	if p.has(tid("chip-owner")) || p.has(tid("chip-unpaid")) {
		t.Fatal("orders: chips of filters not set")
	}
	// English.
	en := w.client()
	en.header.Set("Accept-Language", "en")
	login(t, en, "mgr", testPassword)
	en.get(orders).wantText(tid("chip-owner"), "Owner: 测试rep1").wantText(tid("chip-unpaid"), "Not fully paid").
		wantText(tid("chip-decided"), "Decided "+from+" to "+to)
	if l, _ := en.get(orders).Doc.Find(tid("chip-owner") + " " + tid("chip-remove")).Attr("aria-label"); l != "Remove the filter: Owner: 测试rep1" {
		t.Errorf("English remove label %q", l)
	}

	// Payments: 回款金额 of one salesperson in one department.
	payments := "/payments?tab=all&confirmed=no&owner=" + rep1 + "&department=" + one
	p = wantChip(t, mgr, payments, "form.filters", "owner", "负责人：测试rep1", "owner")
	if n := len(p.texts(tid("payment-row"))); n != 1 {
		t.Fatalf("payments: %d rows", n)
	}
	wantChip(t, mgr, payments, "form.filters", "department", "部门：一部", "department")

	// Opportunities: the funnel's department and days created.
	oppCreate(w.acqWorld, "rep1", cust, "筛选标签机会", crm.StageInitial, "100")
	opps := "/opportunities?tab=all&stage=initial&department=" + one + "&created_from=" + from + "&created_to=" + to
	p = wantChip(t, mgr, opps, "form.filters", "department", "部门：一部", "department")
	if n := len(p.texts(tid("opportunity-row"))); n != 1 {
		t.Fatalf("opportunities: %d rows", n)
	}
	wantChip(t, mgr, opps, "form.filters", "created", "创建日期 "+from+" 至 "+to, "created_from", "created_to")

	// Follow-ups: the week's follow-ups of one department.
	if _, err := w.DB.CreateFollowUp(ctx, w.actor("rep1"), crm.FollowUpInput{CustomerID: cust, Content: "筛选标签跟进", FollowedAt: day}); err != nil {
		t.Fatal(err)
	}
	fus := "/follow-ups?tab=all&from=" + from + "&to=" + to + "&department=" + one
	p = wantChip(t, mgr, fus, "form.filters", "department", "部门：一部", "department")
	if n := len(p.texts(tid("follow-up-row"))); n != 1 {
		t.Fatalf("follow-ups: %d rows", n)
	}
	if p = mgr.get("/follow-ups?tab=all&department=999999").wantStatus(http.StatusOK); !strings.Contains(p.text(tid("chip-department")), "#999999") {
		t.Fatalf("an unknown department's chip: %q", p.text(tid("chip-department")))
	}

	// Leads and customers: the reminders (今日待跟进, 逾期未跟进).
	lead := w.lead("rep1", "逾期线索", postgres.NewOwner{})
	w.exec(`UPDATE leads SET next_follow_up_at = now() - interval '2 days' WHERE id = $1`, lead)
	w.exec(`UPDATE customers SET next_follow_up_at = $2 WHERE id = $1`, cust, time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 0, 0, crm.Zone))
	rep := w.clients["rep1"]
	p = wantChip(t, rep, "/leads?tab=mine&due=overdue&sort=name", "form.filters", "due", "逾期未跟进", "due")
	if got := p.texts(tid("lead-row")); len(got) != 1 || !strings.Contains(got[0], "逾期线索") {
		t.Fatalf("overdue leads: %q", got)
	}
	p = wantChip(t, rep, "/customers?tab=mine&due=today", "form.filters", "due", "今日待跟进", "due")
	if got := p.texts(tid("customer-row")); len(got) != 1 {
		t.Fatalf("customers due today: %q", got)
	}
	if p := rep.get("/customers?tab=mine&due=someday").wantStatus(http.StatusOK); p.has(tid("filter-chips")) {
		t.Fatal("an unknown due value shows a chip")
	}
}

// TestListFilterChipsStayInScope: the owner and department filters only
// narrow what the user may view. A rep asking for a colleague's or another
// department's records gets none of them — on the page, the next pages
// and the export — while the chip says what was asked.
func TestListFilterChipsStayInScope(t *testing.T) {
	w := newOrdWorld(t)
	ctx := context.Background()
	rep1, one, two := strconv.FormatInt(w.emp["rep1"], 10), strconv.FormatInt(w.dept["一部"], 10), strconv.FormatInt(w.dept["二部"], 10)
	cust := w.customer("rep1", "范围客户甲")
	order := w.approved("rep1", cust)
	paid := time.Now()
	if _, err := w.DB.CreatePayment(ctx, w.actor("rep1"), crm.PaymentInput{OrderID: order, Amount: decimal.RequireFromString("10"),
		PaidOn: &paid, Method: "bank_transfer"}); err != nil {
		t.Fatal(err)
	}
	oppCreate(w.acqWorld, "rep1", cust, "范围机会甲", crm.StageInitial, "100")
	w.lead("rep1", "范围线索甲", postgres.NewOwner{})
	if _, err := w.DB.CreateFollowUp(ctx, w.actor("rep1"), crm.FollowUpInput{CustomerID: cust, Content: "范围跟进"}); err != nil {
		t.Fatal(err)
	}
	w.customer("rep2", "范围客户乙") // rep2's own, in 二部

	lists := []struct{ path, row string }{
		{"/orders?tab=all&owner=" + rep1, "order-row"},
		{"/orders?tab=all&department=" + one + "&status=approved&unpaid=1", "order-row"},
		{"/payments?tab=all&owner=" + rep1 + "&department=" + one, "payment-row"},
		{"/opportunities?tab=all&department=" + one, "opportunity-row"},
		{"/follow-ups?tab=all&department=" + one, "follow-up-row"},
		{"/leads?tab=all&owner=" + rep1 + "&department=" + one, "lead-row"},
		{"/customers?tab=all&owner=" + rep1, "customer-row"},
		{"/customers?tab=all&department=" + one, "customer-row"},
	}
	// The manager of 销售部 sees each of rep1's records: the filters work.
	for _, l := range lists {
		if n := len(w.clients["mgr"].get(l.path).wantStatus(http.StatusOK).texts(tid(l.row))); n != 1 {
			t.Fatalf("mgr: %s lists %d rows, want 1", l.path, n)
		}
	}
	// rep1b (rep1's colleague in 一部) and rep2 (二部) see none of them.
	for _, who := range []string{"rep1b", "rep2"} {
		c := w.clients[who]
		for _, l := range lists {
			p := c.get(l.path).wantStatus(http.StatusOK)
			if n := len(p.texts(tid(l.row))); n != 0 {
				t.Errorf("%s: %s lists %d of rep1's rows", who, l.path, n)
			}
			if strings.Contains(p.Body, "范围") {
				t.Errorf("%s: %s shows one of rep1's records", who, l.path)
			}
			u, _ := url.Parse(l.path)
			if rows := c.get(u.Path + "/export.xlsx?" + u.RawQuery).wantExport(); len(rows) != 1 {
				t.Errorf("%s: the export of %s has %d data rows", who, l.path, len(rows)-1)
			}
		}
	}
	// rep2 filtering by its own department sees its own customer only,
	// never another department's through a department filter.
	p := w.clients["rep2"].get("/customers?tab=all&department=" + two).wantStatus(http.StatusOK)
	if got := p.texts(tid("customer-row")); len(got) != 1 || !strings.Contains(got[0], "范围客户乙") {
		t.Fatalf("rep2's department: %q", got)
	}
	// A chip names what was asked for, even out of sight.
	w.clients["rep2"].get("/orders?tab=all&owner="+rep1).wantText(tid("chip-owner"), "负责人：测试rep1")
}
