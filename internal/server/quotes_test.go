package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"crm/internal/crm"
)

// quote creates a quote as creator under customer.
func (w *ordWorld) quote(creator string, customer int64, lines ...crm.Line) int64 {
	w.t.Helper()
	if len(lines) == 0 {
		lines = []crm.Line{w.line("ORD-A", "100", "0.9", "2"), w.line("ORD-B", "19.99", "1", "3")}
	}
	id, err := w.DB.CreateQuote(context.Background(), w.actor(creator), crm.QuoteInput{CustomerID: customer, Lines: lines})
	if err != nil {
		w.t.Fatalf("quote: %v", err)
	}
	return id
}

func ordQuotePath(id int64, suffix string) string {
	return "/quotes/" + strconv.FormatInt(id, 10) + suffix
}

// TestQuoteToOrderOnce: 转订单 makes a draft order with the quote's
// customer, opportunity, lines and prices and opens its form; the quote
// links to it and is 已接受; a second 转订单 — also two at the same moment —
// makes no second order and answers 409 with a link to the first. The
// quote can then no longer be deleted; the order is still editable.
func TestQuoteToOrderOnce(t *testing.T) {
	w := newOrdWorld(t)
	ctx := context.Background()
	c := w.customer("rep1", "ord转单客户")
	opp, err := w.DB.CreateOpportunity(ctx, w.actor("rep1"), crm.OpportunityInput{Name: "ord机会", CustomerID: c})
	if err != nil {
		t.Fatal(err)
	}
	rep1 := w.clients["rep1"]
	// New quote from the opportunity: the form knows customer and opportunity.
	nf := rep1.get("/quotes/new?opportunity=" + strconv.FormatInt(opp, 10)).wantStatus(200)
	nf.wantText(tid("doc-customer"), "ord转单客户")
	if v, _ := nf.Doc.Find(`#f-opportunity_id option[selected]`).Attr("value"); v != strconv.FormatInt(opp, 10) {
		t.Errorf("opportunity not chosen: %q", v)
	}
	qid := ordNewID(t, rep1.post("/quotes", ordPost(w.docForm(c, [][4]string{{"ORD-A", "100", "0.9", "2"}, {"ORD-B", "19.99", "1", "3"}},
		"opportunity_id", strconv.FormatInt(opp, 10), "notes", "报价备注"))))

	var wg sync.WaitGroup
	res := make([]*page, 2)
	for i, u := range []string{"rep1", "mgr1"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = w.clients[u].post(ordQuotePath(qid, "/order"), form())
		}()
	}
	wg.Wait()
	var winner *page
	var owner *client // who converted: the order's owner
	for i, p := range res {
		switch p.Status {
		case http.StatusSeeOther:
			winner, owner = p, w.clients[[]string{"rep1", "mgr1"}[i]]
		case http.StatusConflict:
			if !p.has(tid("existing-order")) {
				t.Errorf("the loser gets no link to the order: %s", abbreviate(p.Body))
			}
		default:
			t.Fatalf("转订单: %d", p.Status)
		}
	}
	if winner == nil || res[0].Status == res[1].Status {
		t.Fatalf("statuses %d and %d, want one 303 and one 409", res[0].Status, res[1].Status)
	}
	oid := ordNewID(t, winner)
	if !strings.HasSuffix(winner.Location, "/edit") {
		t.Errorf("转订单 goes to %s, want the order's form", winner.Location)
	}
	if n := w.count(`SELECT count(*) FROM orders WHERE quote_id = $1`, qid); n != 1 {
		t.Fatalf("%d orders from the quote", n)
	}
	if n := w.count(`SELECT count(*) FROM orders o JOIN quotes q ON q.id = o.quote_id WHERE o.id = $1 AND q.order_id = o.id
		AND o.customer_id = q.customer_id AND o.opportunity_id = q.opportunity_id AND o.total = q.total AND o.status = 'draft'
		AND q.status = 'accepted' AND o.number LIKE 'DD-%'`, oid); n != 1 {
		t.Fatal("the order does not match its quote")
	}
	if n := w.count(`SELECT count(*) FROM (
		SELECT position, product_id, unit_price, discount, quantity, subtotal FROM order_lines WHERE order_id = $1
		EXCEPT SELECT position, product_id, unit_price, discount, quantity, subtotal FROM quote_lines WHERE quote_id = $2) x`, oid, qid); n != 0 {
		t.Fatal("the order's lines differ from the quote's")
	}
	// Once more, later: 409 with the link; the pages link each other.
	p := rep1.post(ordQuotePath(qid, "/order"), form()).wantStatus(409)
	p.wantText(tid("form-error"), "已转为订单")
	if href, _ := p.Doc.Find(tid("existing-order")).Attr("href"); href != ordPath(oid, "") {
		t.Errorf("link %q", href)
	}
	q := rep1.get(ordQuotePath(qid, "")).wantStatus(200)
	if q.has(tid("to-order")) || q.has(tid("delete")) {
		t.Error("a converted quote still offers 转订单 or delete")
	}
	q.wantText(tid("quote-order"), "DD-")
	rep1.get(ordPath(oid, "")).wantStatus(200).wantText(tid("order-quote"), "BJ-")
	rep1.post(ordQuotePath(qid, "/delete"), form()).wantStatus(409).wantText(tid("form-error"), "已转为订单")
	// The order is a draft its creator owns and may still edit (and the
	// prices came along).
	if n := w.count(`SELECT count(*) FROM orders WHERE id = $1 AND owner_id = created_by`, oid); n != 1 {
		t.Error("the order is not owned by who converted the quote")
	}
	ef := owner.get(ordPath(oid, "/edit")).wantStatus(200)
	if v, _ := ef.Doc.Find("#line-price-1").Attr("value"); v != "19.99" {
		t.Errorf("order form price %q", v)
	}
	// History on both sides.
	if got := strings.Join(w.historyActions(crm.ResQuote, qid), ","); got != "create,to_order" {
		t.Errorf("quote history %s", got)
	}
	// Whoever may not add orders under the customer may not convert: finance
	// views the quote (403), another rep does not (404).
	q2 := w.quote("rep1", c)
	w.clients["fin"].post(ordQuotePath(q2, "/order"), form()).wantStatus(403)
	w.clients["rep2"].post(ordQuotePath(q2, "/order"), form()).wantStatus(404)
	// Deleting the order frees the quote for a new order.
	owner.post(ordPath(oid, "/delete"), form()).wantRedirect("/orders")
	rep1.post(ordQuotePath(qid, "/order"), form()).wantStatus(303)
}

// TestQuoteFormsAndHistory: the new-quote flow starts with the customer
// picker; the form shows the customer's opportunities; edits, status
// changes and deletion are kept in history; bad dates and a foreign
// opportunity are field errors.
func TestQuoteFormsAndHistory(t *testing.T) {
	w := newOrdWorld(t)
	ctx := context.Background()
	c := w.customer("rep1", "ord报价客户")
	other := w.customer("rep2", "ord别人的客户")
	otherOpp, err := w.DB.CreateOpportunity(ctx, w.actor("rep2"), crm.OpportunityInput{Name: "ord别人的机会", CustomerID: other})
	if err != nil {
		t.Fatal(err)
	}
	rep1 := w.clients["rep1"]
	pick := rep1.get("/quotes/new?customer_q=ord").wantStatus(200)
	if got := strings.Join(pick.texts("#f-customer option"), ","); !strings.Contains(got, "ord报价客户") || strings.Contains(got, "ord别人的客户") {
		t.Errorf("picker offers %s", got)
	}
	rep1.get("/quotes/new?customer=" + strconv.FormatInt(other, 10)).wantStatus(404)
	w.clients["rep1"].get("/orders/new?customer=" + strconv.FormatInt(other, 10)).wantStatus(404)
	w.clients["fin"].get("/quotes/new?customer=" + strconv.FormatInt(c, 10)).wantStatus(403)
	w.clients["rep1"].get("/quotes/new?customer="+strconv.FormatInt(c, 10)).wantStatus(200).wantText(tid("doc-customer"), "ord报价客户")

	rows := [][4]string{{"ORD-A", "100", "1", "1"}}
	p := rep1.post("/quotes", ordPost(w.docForm(c, rows, "quote_date", "2026-13-01", "valid_until", "2026-01-01",
		"opportunity_id", strconv.FormatInt(otherOpp, 10)))).wantStatus(422)
	p.wantText(tid("error-quote_date"), "日期格式不正确")
	p2 := rep1.post("/quotes", ordPost(w.docForm(c, rows, "quote_date", "2026-03-01", "valid_until", "2026-02-01"))).wantStatus(422)
	p2.wantText(tid("error-valid_until"), "结束日期不能早于开始日期")
	rep1.post("/quotes", ordPost(w.docForm(c, rows, "opportunity_id", strconv.FormatInt(otherOpp, 10)))).wantStatus(422).
		wantText(tid("error-opportunity_id"), "不存在")

	id := ordNewID(t, rep1.post("/quotes", ordPost(w.docForm(c, rows, "quote_date", "2026-03-01", "valid_until", "2026-03-31"))))
	show := rep1.get(ordQuotePath(id, "")).wantStatus(200)
	show.wantText(tid("quote-date"), "2026-03-01").wantText(tid("quote-valid-until"), "2026-03-31").wantText(tid("quote-status"), "草稿")
	edit := rep1.get(ordQuotePath(id, "/edit")).wantStatus(200)
	if v, _ := edit.Doc.Find("#f-quote_date").Attr("value"); v != "2026-03-01" {
		t.Errorf("edit form date %q", v)
	}
	rep1.post(ordQuotePath(id, ""), ordPost(w.docForm(0, [][4]string{{"ORD-A", "90", "1", "2"}}, "quote_date", "2026-03-01",
		"status", "sent"))).wantRedirect(ordQuotePath(id, ""))
	rep1.post(ordQuotePath(id, "/status"), form("status", "expired")).wantRedirect(ordQuotePath(id, ""))
	rep1.post(ordQuotePath(id, "/status"), form("status", "bogus")).wantStatus(422)
	w.clients["fin"].post(ordQuotePath(id, "/status"), form("status", "draft")).wantStatus(403)
	h := rep1.get(ordQuotePath(id, "")).wantStatus(200)
	h.wantText(tid("quote-status"), "已过期").wantText(tid("doc-total"), "180.00")
	hist := h.text(tid("history"))
	for _, want := range []string{"更改状态", "已发送 → 已过期", "ORD-A × 1 @ 100.00 → ORD-A × 2 @ 90.00", "100.00 → 180.00"} {
		if !strings.Contains(strings.Join(strings.Fields(hist), " "), want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
	// The list finds it by number, filters by status and customer.
	number := h.text(tid("quote-number"))
	list := rep1.get("/quotes?q=" + url.QueryEscape(number[len(number)-5:])).wantStatus(200)
	if got := list.texts(tid("quote-number")); len(got) != 1 || got[0] != number {
		t.Errorf("search %s: %v", number, got)
	}
	if n := len(rep1.get("/quotes?status=draft").texts(tid("quote-row"))); n != 0 {
		t.Errorf("status filter: %d drafts", n)
	}
	cl := rep1.get("/quotes?customer=" + strconv.FormatInt(c, 10)).wantStatus(200)
	if !strings.Contains(cl.text(tid("chip-customer")), "ord报价客户") || len(cl.texts(tid("quote-row"))) != 1 {
		t.Errorf("customer filter: %s", cl.text(tid("quotes-table")))
	}
	// Delete: the owner may; history keeps it.
	w.clients["rep1b"].post(ordQuotePath(id, "/delete"), form()).wantStatus(404)
	rep1.post(ordQuotePath(id, "/delete"), form()).wantRedirect("/quotes")
	if got := strings.Join(w.historyActions(crm.ResQuote, id), ","); got != "create,update,status,delete" {
		t.Errorf("history %s", got)
	}
}

// TestQuoteOrderInvisibleToMarketing: marketing sees no quote or order anywhere —
// not in lists (403: the areas are closed), not by id (404), not in counts
// or in a customer's tables — even one it owns or created, under a
// customer it owns.
func TestQuoteOrderInvisibleToMarketing(t *testing.T) {
	w := newOrdWorld(t)
	ctx := context.Background()
	c := w.customer("rep1", "ord市场部客户")
	q := w.quote("rep1", c)
	o := w.approved("rep1", c)
	// A customer marketing owns, with an order it "owns" (as data may say).
	w.exec(`UPDATE customers SET owner_id = $2 WHERE id = $1`, c, w.emp["mkt"])
	w.exec(`UPDATE orders SET owner_id = $2, created_by = $2, customer_owner_id = $2 WHERE id = $1`, o, w.emp["mkt"])
	w.exec(`UPDATE quotes SET owner_id = $2, created_by = $2, customer_owner_id = $2 WHERE id = $1`, q, w.emp["mkt"])
	mkt := w.clients["mkt"]
	for _, path := range []string{"/quotes", "/orders", "/approvals", "/quotes/new", "/orders/new",
		"/quotes/new?customer=" + strconv.FormatInt(c, 10)} {
		mkt.get(path).wantStatus(403)
	}
	for _, path := range []string{ordQuotePath(q, ""), ordQuotePath(q, "/edit"), ordPath(o, ""), ordPath(o, "/edit")} {
		mkt.get(path).wantStatus(404)
	}
	for _, path := range []string{ordQuotePath(q, "/order"), ordQuotePath(q, "/delete"), ordPath(o, "/approve"), ordPath(o, "/withdraw")} {
		mkt.post(path, form()).wantStatus(404)
	}
	mkt.post("/quotes", ordPost(w.docForm(c, [][4]string{{"ORD-A", "1", "1", "1"}}))).wantStatus(403)
	mkt.post("/lines/preview", form()).wantStatus(403)
	a := w.actor("mkt")
	if _, tot, err := w.DB.FindQuotes(ctx, a, crm.QuoteFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}); err != nil || tot.N != 0 {
		t.Errorf("FindQuotes: %d, %v", tot.N, err)
	}
	if _, tot, err := w.DB.FindOrders(ctx, a, crm.OrderFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}); err != nil || tot.N != 0 {
		t.Errorf("FindOrders: %d, %v", tot.N, err)
	}
	if l, err := w.DB.QuotesOf(ctx, a, c); err != nil || len(l.Rows) != 0 || l.Total.N != 0 {
		t.Errorf("QuotesOf: %d, %v", len(l.Rows), err)
	}
	if l, err := w.DB.OrdersOf(ctx, a, c); err != nil || len(l.Rows) != 0 || l.Total.N != 0 {
		t.Errorf("OrdersOf: %d, %v", len(l.Rows), err)
	}
	if n, err := w.DB.PendingApprovals(ctx, a); err != nil || n != 0 {
		t.Errorf("PendingApprovals: %d, %v", n, err)
	}
	cp := mkt.get("/customers/" + strconv.FormatInt(c, 10)).wantStatus(200)
	if cp.has(tid("quote-table")) || cp.has(tid("order-table")) || strings.Contains(cp.Body, "BJ-") || strings.Contains(cp.Body, "DD-") {
		t.Error("marketing's customer page shows quotes or orders")
	}
	nav := mkt.get("/").text(tid("nav"))
	if strings.Contains(nav, "报价单") || strings.Contains(nav, "合同订单") || strings.Contains(nav, "流程") {
		t.Errorf("marketing's navigation: %s", nav)
	}
	// Others still see them.
	w.clients["boss"].get(ordQuotePath(q, "")).wantStatus(200)
	w.clients["fin"].get(ordPath(o, "")).wantStatus(200)
}

// TestQuoteOrderRoutesEveryRole runs every quote, order and approval route for
// every role against records owned by rep1 (in 一部, whose head is mgr1),
// expecting SPEC §3 and §5: 200/303 allowed, 403 viewable but not allowed,
// 404 not viewable. Mutating routes get fresh records.
func TestQuoteOrderRoutesEveryRole(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord角色客户")
	view := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 200}
	edit := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 403}
	change := roleCase{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 403}
	withdraw := roleCase{"admin": 303, "boss": 303, "mgr": 403, "mgr1": 403, "rep1": 303, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 403}
	decide := roleCase{"admin": 303, "boss": 303, "mgr": 403, "mgr1": 303, "rep1": 403, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 403}
	locked := roleCase{"admin": 403, "boss": 403, "mgr": 403, "mgr1": 403, "rep1": 403, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 403}

	quote := func() int64 { return w.quote("rep1", c) }
	draft := func() int64 { return w.order("rep1", c) }
	pending := func() int64 { return w.submitted("rep1", c) }
	approved := func() int64 { return w.approved("rep1", c) }
	lines := func() url.Values {
		return ordPost(w.docForm(0, [][4]string{{"ORD-B", "19.99", "1", "1"}}, "status", "sent"))
	}
	comment := func() url.Values { return form("comment", "意见") }
	none := func() url.Values { return form() }
	type rt struct {
		name   string
		method string
		path   func(id int64) string
		body   func() url.Values
		fresh  func() int64
		want   roleCase
	}
	shared := map[string]int64{"quote": quote(), "draft": draft(), "pending": pending(), "approved": approved()}
	q, o := func(s string) func(int64) string { return func(id int64) string { return ordQuotePath(id, s) } },
		func(s string) func(int64) string { return func(id int64) string { return ordPath(id, s) } }
	routes := []rt{
		{"quote detail", "GET", q(""), nil, func() int64 { return shared["quote"] }, view},
		{"quote edit form", "GET", q("/edit"), nil, func() int64 { return shared["quote"] }, edit},
		{"quote update", "POST", q(""), lines, quote, change},
		{"quote status", "POST", q("/status"), func() url.Values { return form("status", "sent") }, quote, change},
		{"quote delete", "POST", q("/delete"), none, quote, change},
		{"quote to order", "POST", q("/order"), none, quote, change},
		{"order detail", "GET", o(""), nil, func() int64 { return shared["draft"] }, view},
		{"pending order detail", "GET", o(""), nil, func() int64 { return shared["pending"] }, roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 200}},
		{"order edit form", "GET", o("/edit"), nil, func() int64 { return shared["draft"] }, edit},
		{"order update", "POST", o(""), lines, draft, change},
		{"order delete", "POST", o("/delete"), none, draft, change},
		{"order submit", "POST", o("/submit"), none, draft, change},
		{"order withdraw", "POST", o("/withdraw"), none, pending, withdraw},
		{"order approve", "POST", o("/approve"), comment, pending, decide},
		{"order reject", "POST", o("/reject"), comment, pending, decide},
		{"pending edit form", "GET", o("/edit"), nil, func() int64 { return shared["pending"] }, locked},
		{"pending update", "POST", o(""), lines, func() int64 { return shared["pending"] }, locked},
		{"pending delete", "POST", o("/delete"), none, func() int64 { return shared["pending"] }, locked},
		{"approved edit form", "GET", o("/edit"), nil, func() int64 { return shared["approved"] }, locked},
		{"approved update", "POST", o(""), lines, func() int64 { return shared["approved"] }, locked},
		{"approved delete", "POST", o("/delete"), none, func() int64 { return shared["approved"] }, locked},
	}
	cases := 0
	for _, r := range routes {
		for _, u := range acqUsers {
			want := r.want[u.name]
			id := r.fresh()
			path := r.path(id)
			cl := w.clients[u.name]
			var p *page
			if r.method == "GET" {
				p = cl.get(path)
			} else {
				p = cl.post(path, r.body())
			}
			cases++
			if p.Status != want {
				t.Errorf("%s %s as %s: %d, want %d", r.name, path, u.name, p.Status, want)
			}
		}
	}
	// The approver of a pending order views it even outside their scope:
	// an order of 二部 goes to mgr (销售部), who sees it anyway; a head of
	// another tree would too — here: make rep2 the head of 一部.
	w.exec(`UPDATE departments SET head_id = $2 WHERE id = $1`, w.dept["一部"], w.emp["rep2"])
	pend := w.submitted("rep1", c)
	w.clients["rep2"].get(ordPath(pend, "")).wantStatus(200)
	w.clients["rep2"].post(ordPath(pend, "/approve"), form()).wantStatus(303)
	cases += 2

	// Routes without a record.
	customer := strconv.FormatInt(c, 10)
	for _, u := range acqUsers {
		cl := w.clients[u.name]
		closed := u.name == "mkt"
		expect := func(p *page, want int) {
			t.Helper()
			cases++
			if p.Status != want {
				t.Errorf("%s %s as %s: %d, want %d", p.method, p.path, u.name, p.Status, want)
			}
		}
		listWant, newWant, approvalsWant := 200, 200, 200
		if closed {
			listWant, newWant, approvalsWant = 403, 403, 403
		}
		if u.name == "fin" {
			newWant, approvalsWant = 403, 403
		}
		createWant := map[string]int{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}[u.name]
		for _, kind := range []string{"/quotes", "/orders"} {
			expect(cl.get(kind), listWant)
			expect(cl.get(kind+"?tab=mine&sort=total&dir=desc&status=draft&q=D"), listWant)
			expect(cl.get(kind+"/new"), newWant)
			expect(cl.post(kind, ordPost(w.docForm(c, [][4]string{{"ORD-A", "1", "1", "1"}}))), createWant)
		}
		expect(cl.get("/orders/new?customer="+customer), map[string]int{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200,
			"rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}[u.name])
		expect(cl.get("/approvals"), approvalsWant)
		for _, tab := range []string{"mine", "done"} {
			expect(cl.get("/approvals?tab="+tab), approvalsWant)
		}
		expect(cl.post("/lines/preview", ordPost(w.docForm(c, [][4]string{{"ORD-A", "1", "1", "1"}}))), newWant)
	}
	t.Logf("deal routes: %d role×route cases", cases)
}
