package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
	"crm/internal/webctx"
	"crm/web/views"
)

// payWorld is the acquisition organisation (newAcqWorld) with a customer
// of rep1 (in 一部), a product, and orders inserted straight into the
// database (the orders module's workflows are not needed here):
//
//	销售部 (mgr) ─┬─ 一部 (mgr1): rep1 (owns the customer and its orders), rep1b
//	             └─ 二部: rep2
//	市场部: mkt    财务部: fin    admin, boss (management)
type payWorld struct {
	*acqWorld
	customer int64
	product  int64
	seq      int
}

func newPayWorld(t *testing.T) *payWorld {
	t.Helper()
	w := &payWorld{acqWorld: newAcqWorld(t)}
	var err error
	if w.customer, err = w.DB.CreateCustomer(context.Background(), w.actor("rep1"), crm.CustomerInput{Name: "回款测试客户"},
		postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	w.product = int64(w.count(`INSERT INTO products (sku, name) VALUES ('PAY-1', '回款测试产品') RETURNING id`))
	return w
}

// payOrder inserts an order of the world's customer owned by rep1, with
// one line of the given total.
func (w *payWorld) payOrder(status crm.OrderStatus, total string) int64 {
	w.t.Helper()
	w.seq++
	id := int64(w.count(`INSERT INTO orders (number, customer_id, status, total, owner_id, department_id, created_by,
		                    customer_owner_id, customer_department_id)
		SELECT $1, c.id, $2, $3, $4, $5, $4, c.owner_id, c.department_id FROM customers c WHERE c.id = $6 RETURNING id`,
		fmt.Sprintf("PAYDD-%04d", w.seq), string(status), total, w.emp["rep1"], w.dept["一部"], w.customer))
	w.exec(`INSERT INTO order_lines (order_id, position, product_id, unit_price, quantity, subtotal) VALUES ($1, 1, $2, $3, 1, $3)`,
		id, w.product, total)
	return id
}

// payPayment records a payment through storage as username.
func (w *payWorld) payPayment(username string, order int64, amount string) int64 {
	w.t.Helper()
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, crm.Zone)
	id, err := w.DB.CreatePayment(context.Background(), w.actor(username), crm.PaymentInput{OrderID: order,
		Amount: decimal.RequireFromString(amount), PaidOn: &d, Method: "bank_transfer"})
	if err != nil {
		w.t.Fatalf("payment %s: %v", amount, err)
	}
	return id
}

// payInvoice records an invoice through storage as username.
func (w *payWorld) payInvoice(username string, order int64, amount string) int64 {
	w.t.Helper()
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, crm.Zone)
	id, err := w.DB.CreateInvoice(context.Background(), w.actor(username), crm.InvoiceInput{OrderID: order,
		Amount: decimal.RequireFromString(amount), IssuedOn: &d, InvoiceType: crm.InvoiceNormal})
	if err != nil {
		w.t.Fatalf("invoice %s: %v", amount, err)
	}
	return id
}

// payFiguresMatch fails unless every order's and customer's paid and
// invoiced figures equal the sums of their confirmed payments and invoices
// (direct SQL), and returns the order's figures.
func (w *payWorld) payFiguresMatch(order int64) (paid, invoiced string) {
	w.t.Helper()
	bad := w.count(`SELECT count(*) FROM orders o WHERE
		o.paid_amount <> (SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.order_id = o.id AND p.confirmed) OR
		o.invoiced_amount <> (SELECT coalesce(sum(amount), 0) FROM invoices i WHERE i.order_id = o.id AND i.confirmed)`)
	bad += w.count(`SELECT count(*) FROM customers c WHERE
		c.paid_amount <> (SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.customer_id = c.id AND p.confirmed) OR
		c.invoiced_amount <> (SELECT coalesce(sum(amount), 0) FROM invoices i WHERE i.customer_id = c.id AND i.confirmed)`)
	if bad != 0 {
		w.t.Fatalf("%d orders or customers whose figures differ from the sums of their confirmed money", bad)
	}
	if err := w.DB.Pool.QueryRow(context.Background(), `SELECT paid_amount::text, invoiced_amount::text FROM orders WHERE id = $1`,
		order).Scan(&paid, &invoiced); err != nil {
		w.t.Fatal(err)
	}
	return paid, invoiced
}

// payRoute is one route of a role table: %d in path is the record.
type payRoute struct {
	name   string
	method string
	path   string
	form   url.Values
	fresh  func() int64 // a record per call (mutating routes); nil: the shared one
	want   roleCase
}

// runPayRoutes calls every route as every user and checks the statuses;
// it returns the number of cases.
func (w *payWorld) runPayRoutes(t *testing.T, routes []payRoute, shared int64) int {
	t.Helper()
	cases := 0
	for _, rt := range routes {
		for _, u := range acqUsers {
			want, ok := rt.want[u.name]
			if !ok {
				t.Fatalf("%s: no expectation for %s", rt.name, u.name)
			}
			id := shared
			if rt.fresh != nil {
				id = rt.fresh()
			}
			path := strings.Replace(rt.path, "%d", strconv.FormatInt(id, 10), 1)
			c := w.clients[u.name]
			var p *page
			if rt.method == "GET" {
				p = c.get(path)
			} else {
				f := url.Values{}
				for k, v := range rt.form {
					f[k] = v
				}
				p = c.post(path, f)
			}
			cases++
			if p.Status != want {
				t.Errorf("%s %s %s as %s: %d, want %d\n%s", rt.name, rt.method, path, u.name, p.Status, want, abbreviate(p.Body))
			}
		}
	}
	return cases
}

// Expected statuses shared by the payment and invoice role tables: the
// record is rep1's, under rep1's customer in 一部.
var (
	payView     = roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 200}
	payUpdate   = roleCase{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 303}
	payConfirm  = roleCase{"admin": 403, "boss": 303, "mgr": 403, "mgr1": 403, "rep1": 403, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 303}
	payLocked   = roleCase{"admin": 403, "boss": 403, "mgr": 403, "mgr1": 403, "rep1": 403, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 403}
	payArea     = roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 200, "rep2": 200, "mkt": 403, "fin": 200}
	payNewOrder = roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 200}
	payCreate   = roleCase{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 303}
	payDraft    = roleCase{"admin": 409, "boss": 409, "mgr": 409, "mgr1": 409, "rep1": 409, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 409}
)

// TestPaymentRoutesEveryRole runs every payment route as every role
// against rep1's payments: 200/303 where SPEC §3 allows, 403 where the
// payment is visible but the action is not allowed (confirming is for
// finance and management only; a confirmed payment is locked for
// everyone), 404 where it is invisible (marketing never sees one).
func TestPaymentRoutesEveryRole(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "1000000.00")
	draft := w.payOrder(crm.OrderDraft, "100.00")
	fresh := func() int64 { return w.payPayment("rep1", order, "1.00") }
	shared := fresh()
	locked := fresh()
	if _, err := w.DB.ConfirmPayment(context.Background(), w.actor("fin"), locked); err != nil {
		t.Fatal(err)
	}
	lockedFresh := func() int64 { return locked }
	update := form("amount", "2.00", "paid_on", "2026-03-02", "method", "cash", "notes", "改")
	o := strconv.FormatInt(order, 10)
	routes := []payRoute{
		{"list", "GET", "/payments", nil, nil, payArea},
		{"list unconfirmed", "GET", "/payments?confirmed=no&tab=all", nil, nil, payArea},
		{"new form", "GET", "/payments/new", nil, nil, payArea},
		{"new form for the order", "GET", "/payments/new?order=" + o, nil, nil, payNewOrder},
		{"new form for a draft", "GET", fmtPath("/payments/new?order=%d", draft), nil, nil, payDraft},
		{"create", "POST", "/payments", form("order_id", o, "amount", "1.00", "paid_on", "2026-03-01", "method", "cash"), nil, payCreate},
		{"create on a draft", "POST", "/payments", form("order_id", strconv.FormatInt(draft, 10), "amount", "1.00", "paid_on", "2026-03-01"), nil, payDraft},
		{"detail", "GET", "/payments/%d", nil, nil, payView},
		{"edit form", "GET", "/payments/%d/edit", nil, nil, payView},
		{"update", "POST", "/payments/%d", update, fresh, payUpdate},
		{"delete", "POST", "/payments/%d/delete", nil, fresh, payUpdate},
		{"confirm", "POST", "/payments/%d/confirm", form("back", "/payments"), fresh, payConfirm},
		{"confirmed detail", "GET", "/payments/%d", nil, lockedFresh, payView},
		{"confirmed edit form", "GET", "/payments/%d/edit", nil, lockedFresh, payLocked},
		{"confirmed update", "POST", "/payments/%d", update, lockedFresh, payLocked},
		{"confirmed delete", "POST", "/payments/%d/delete", nil, lockedFresh, payLocked},
		{"confirmed confirm", "POST", "/payments/%d/confirm", nil, lockedFresh, payLocked},
	}
	cases := w.runPayRoutes(t, routes, shared)
	// The confirmed payment is unchanged, confirmed once; nothing was
	// written on the draft; the figures are the sums.
	if n := w.count(`SELECT count(*) FROM payments WHERE id = $1 AND amount = 1 AND confirmed`, locked); n != 1 {
		t.Fatal("the confirmed payment changed")
	}
	if n := w.count(`SELECT count(*) FROM history WHERE resource = 'payment' AND record_id = $1 AND action <> 'create'`, locked); n != 1 {
		t.Fatalf("%d changes recorded on the confirmed payment, want its confirmation only", n)
	}
	if n := w.count(`SELECT count(*) FROM payments WHERE order_id = $1`, draft); n != 0 {
		t.Fatal("a payment was recorded on a draft order")
	}
	if paid, _ := w.payFiguresMatch(order); paid != "3.00" { // fin's and boss's confirmations and the locked one
		t.Fatalf("paid %s", paid)
	}
	t.Logf("payment routes: %d role × route cases", cases)
}

// TestPaymentRepRecordsFinanceConfirms: the rep who owns the order records
// a payment from the order's page (back there), may not confirm it (403,
// no button); finance confirms it with one click from the list, which then
// shows 已确认 with who and when; the figures follow.
func TestPaymentRepRecordsFinanceConfirms(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "10000.00")
	o := strconv.FormatInt(order, 10)
	rep1 := w.clients["rep1"]
	back := "/orders/" + o + "#money"
	rep1.post("/payments", form("order_id", o, "amount", "3,500", "paid_on", "2026-03-01", "method", "bank_transfer",
		"back", back)).wantRedirect(back)
	id := int64(w.count(`SELECT id FROM payments WHERE order_id = $1`, order))
	path := fmtPath("/payments/%d", id)
	page := rep1.get(path).wantStatus(200)
	page.wantText(tid("payment-amount"), "3,500.00").wantText(tid("payment-method"), "银行转账").
		wantText(tid("payment-confirm-state"), "待确认")
	if page.has(tid("confirm-payment")) || !page.has(tid("edit")) {
		t.Error("rep1's page offers confirming or lacks edit")
	}
	rep1.post(path+"/confirm", nil).wantStatus(http.StatusForbidden)
	if paid, _ := w.payFiguresMatch(order); paid != "0.00" {
		t.Fatalf("paid %s after a refused confirmation", paid)
	}

	fin := w.clients["fin"]
	list := fin.get("/payments?confirmed=no").wantStatus(200)
	row := `[data-testid="payment-row"][data-id="` + strconv.FormatInt(id, 10) + `"]`
	if !list.has(row + " " + tid("confirm-payment")) {
		t.Fatal("finance's list lacks the confirm button")
	}
	backURL, _ := list.Doc.Find(row + ` input[name="back"]`).Attr("value")
	fin.post(path+"/confirm", form("back", backURL)).wantRedirect(backURL)
	after := fin.get("/payments?tab=all").wantStatus(200)
	after.wantText(row, "已确认").wantText(row+" "+tid("confirmed-by"), "测试fin 于")
	if after.has(row + " " + tid("confirm-payment")) {
		t.Error("a confirmed payment still offers confirming")
	}
	if !strings.Contains(after.text(tid("flash")), "已确认回款 ¥3,500.00") {
		t.Errorf("flash %q", after.text(tid("flash")))
	}
	if paid, _ := w.payFiguresMatch(order); paid != "3500.00" {
		t.Fatalf("paid %s", paid)
	}
	// The page now says it is locked and offers no change to anyone.
	for _, u := range []string{"rep1", "fin", "boss", "admin"} {
		p := w.clients[u].get(path).wantStatus(200)
		if !p.has(tid("locked")) || p.has(tid("edit")) || p.has(tid("delete")) || p.has(tid("confirm-payment")) {
			t.Errorf("%s: the confirmed payment's page offers changes", u)
		}
	}
	h := rep1.get(path).text(tid("history"))
	for _, want := range []string{"创建", "财务确认", "测试fin"} {
		if !strings.Contains(h, want) {
			t.Errorf("history lacks %q: %s", want, h)
		}
	}
}

// TestPaymentOverConfirmRefused: confirming a payment that would take the
// order's confirmed payments past its total is refused (409) with the
// amount that remains, and nothing changes.
func TestPaymentOverConfirmRefused(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "10000.00")
	a := w.payPayment("rep1", order, "6000.00")
	b := w.payPayment("rep1", order, "5000.00")
	fin := w.clients["fin"]
	fin.post(fmtPath("/payments/%d/confirm", a), nil).wantStatus(303)
	p := fin.post(fmtPath("/payments/%d/confirm", b), nil).wantStatus(http.StatusConflict)
	if !strings.Contains(p.Body, "确认后将超出订单总金额，剩余可确认 ¥4,000.00") {
		t.Fatalf("the refusal lacks the remaining amount: %s", abbreviate(p.Body))
	}
	if paid, _ := w.payFiguresMatch(order); paid != "6000.00" {
		t.Fatalf("paid %s", paid)
	}
	if n := w.count(`SELECT count(*) FROM payments WHERE id = $1 AND NOT confirmed AND confirmed_by IS NULL`, b); n != 1 {
		t.Fatal("the refused payment changed")
	}
	if n := w.count(`SELECT count(*) FROM history WHERE resource = 'payment' AND record_id = $1 AND action = 'confirm'`, b); n != 0 {
		t.Fatal("the refused confirmation is in the history")
	}
	// In English too.
	en := w.client()
	en.header.Set("Accept-Language", "en")
	login(t, en, "boss", testPassword)
	p = en.post(fmtPath("/payments/%d/confirm", b), nil).wantStatus(http.StatusConflict)
	if !strings.Contains(p.Body, "¥4,000.00 remains to be confirmed") {
		t.Fatalf("English refusal: %s", abbreviate(p.Body))
	}
}

// TestPaymentConfirmRace: finance and management confirm the same payment
// at the same moment over HTTP — it is confirmed once, the other is told
// (409); and two payments that together pass the order's total, confirmed
// at once, leave exactly one confirmed.
func TestPaymentConfirmRace(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "1000.00")
	race := func(paths ...string) []int {
		var wg sync.WaitGroup
		start := make(chan struct{})
		statuses := make([]int, len(paths))
		for i, path := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i] = w.clients[[]string{"fin", "boss"}[i%2]].post(path, nil).Status
			}()
		}
		close(start)
		wg.Wait()
		return statuses
	}
	for round := 0; round < 5; round++ {
		id := w.payPayment("rep1", order, "10.00")
		path := fmtPath("/payments/%d/confirm", id)
		st := race(path, path)
		won, lost := 0, 0
		for _, s := range st {
			switch s {
			case http.StatusSeeOther:
				won++
			case http.StatusConflict, http.StatusForbidden: // lost the race / found it confirmed
				lost++
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("round %d: statuses %v, want one 303 and one 409/403", round, st)
		}
		if n := w.count(`SELECT count(*) FROM history WHERE resource = 'payment' AND record_id = $1 AND action = 'confirm'`, id); n != 1 {
			t.Fatalf("round %d: %d confirmations recorded", round, n)
		}
	}
	// 950 left: two payments of 600 confirmed at once, one fits.
	a, b := w.payPayment("rep1", order, "600.00"), w.payPayment("rep1", order, "600.00")
	st := race(fmtPath("/payments/%d/confirm", a), fmtPath("/payments/%d/confirm", b))
	if !(st[0] == 303 && st[1] == 409 || st[0] == 409 && st[1] == 303) {
		t.Fatalf("statuses %v, want one 303 and one 409", st)
	}
	if paid, _ := w.payFiguresMatch(order); paid != "650.00" {
		t.Fatalf("paid %s", paid)
	}
}

// TestPaymentFormsAndFilters: the form re-renders with the input and a
// message per field (422), keeps the order and the way back; the list's
// filters narrow and say so.
func TestPaymentFormsAndFilters(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "1000.00")
	o := strconv.FormatInt(order, 10)
	rep1 := w.clients["rep1"]
	p := rep1.post("/payments", form("order_id", o, "amount", "abc", "paid_on", "", "back", "/orders/"+o)).wantStatus(422)
	p.wantText(tid("error-amount"), "金额格式不正确").wantText(tid("error-paid_on"), "必填").wantText(tid("form-order"), "PAYDD-0001")
	if v, _ := p.Doc.Find(`#f-amount`).Attr("value"); v != "abc" {
		t.Errorf("amount re-rendered as %q", v)
	}
	if v, _ := p.Doc.Find(`input[name="back"]`).Attr("value"); v != "/orders/"+o {
		t.Errorf("back re-rendered as %q", v)
	}
	rep1.post("/payments", form("order_id", o, "amount", "1000.01", "paid_on", "2026-03-01")).wantStatus(422).
		wantText(tid("error-amount"), "超过该订单的待回款金额")
	rep1.post("/payments", form("order_id", o, "amount", "1", "paid_on", "2026-03-01", "method", "貔貅")).wantStatus(422).
		wantText(tid("error-method"), "请选择")
	if n := w.count(`SELECT count(*) FROM payments`); n != 0 {
		t.Fatalf("invalid forms wrote %d payments", n)
	}
	// The new form without an order offers the approved orders rep1 may view.
	picker := rep1.get("/payments/new?order_q=PAYDD").wantStatus(200)
	if got := picker.texts(`#f-order_id option`); len(got) != 2 || !strings.Contains(got[1], "PAYDD-0001") {
		t.Errorf("order picker %v", got)
	}
	if w.clients["rep2"].get("/payments/new").has(`#f-order_id option[value="` + o + `"]`) {
		t.Error("rep2 is offered rep1's order")
	}
	// Edit: the order stays; history records the change.
	id := w.payPayment("rep1", order, "100.00")
	edit := rep1.get(fmtPath("/payments/%d/edit", id)).wantStatus(200)
	if v, _ := edit.Doc.Find(`#f-amount`).Attr("value"); v != "100.00" {
		t.Errorf("edit amount %q", v)
	}
	rep1.post(fmtPath("/payments/%d", id), form("amount", "", "paid_on", "2026-03-01")).wantStatus(422).
		wantText(tid("error-amount"), "金额须大于 0")
	rep1.post(fmtPath("/payments/%d", id), form("amount", "120", "paid_on", "2026-03-05", "method", "alipay", "order_id", "999")).
		wantRedirect(fmtPath("/payments/%d", id))
	if n := w.count(`SELECT count(*) FROM payments WHERE id = $1 AND amount = 120 AND order_id = $2 AND method = 'alipay'`, id, order); n != 1 {
		t.Fatal("update not written (or the order moved)")
	}
	// A method stored by its Chinese name (imports, demo data) shows and
	// edits as the method it names.
	w.exec(`UPDATE payments SET method = '银行转账' WHERE id = $1`, id)
	if v, _ := rep1.get(fmtPath("/payments/%d/edit", id)).Doc.Find(`#f-method option[selected]`).Attr("value"); v != "bank_transfer" {
		t.Errorf("edit form method %q", v)
	}
	rep1.get(fmtPath("/payments/%d", id)).wantText(tid("payment-method"), "银行转账")
	// Filters: confirmed, order, customer, dates; the narrowing is named.
	other := w.payPayment("rep1", order, "5.00")
	if _, err := w.DB.ConfirmPayment(context.Background(), w.actor("fin"), other); err != nil {
		t.Fatal(err)
	}
	rows := func(path string) int {
		return len(w.clients["fin"].get(path).wantStatus(200).texts(tid("payment-row")))
	}
	if rows("/payments?confirmed=yes") != 1 || rows("/payments?confirmed=no") != 1 || rows("/payments?order="+o) != 2 ||
		rows(fmtPath("/payments?customer=%d", w.customer)) != 2 || rows("/payments?from=2026-03-02") != 1 ||
		rows("/payments?to=2026-03-01") != 1 || rows("/payments?q=回款测试") != 2 || rows("/payments?q=PAYDD-0001") != 2 {
		t.Error("filters")
	}
	w.clients["fin"].get("/payments?order="+o).wantText(tid("chip-order"), "PAYDD-0001")
	if got := w.clients["fin"].get("/payments?sort=amount").texts(tid("payment-amount")); strings.Join(got, ",") != "5.00,120.00" {
		t.Errorf("sorted by amount: %v", got)
	}
}

// TestPaymentMarketingSeesNothing: marketing has no payments or invoices
// anywhere — no area (403), no record (404), no rows in lists or counts,
// nothing on a customer's page, no navigation entry.
func TestPaymentMarketingSeesNothing(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "1000.00")
	pm := w.payPayment("rep1", order, "10.00")
	inv := w.payInvoice("rep1", order, "10.00")
	// Marketing even created a customer's worth of records it may not see:
	// a payment and an invoice under the customer it owns.
	ctx := context.Background()
	mkt := w.clients["mkt"]
	for _, path := range []string{"/payments", "/invoices", "/payments/new", "/invoices/new", "/payments?tab=mine"} {
		mkt.get(path).wantStatus(http.StatusForbidden)
	}
	for _, path := range []string{fmtPath("/payments/%d", pm), fmtPath("/payments/%d/edit", pm), fmtPath("/invoices/%d", inv),
		fmtPath("/invoices/%d/edit", inv)} {
		mkt.get(path).wantStatus(http.StatusNotFound)
	}
	for _, path := range []string{fmtPath("/payments/%d/confirm", pm), fmtPath("/payments/%d/delete", pm), fmtPath("/payments/%d", pm),
		fmtPath("/invoices/%d/confirm", inv), fmtPath("/invoices/%d/delete", inv)} {
		mkt.post(path, nil).wantStatus(http.StatusNotFound)
	}
	mkt.post("/payments", form("order_id", strconv.FormatInt(order, 10), "amount", "1", "paid_on", "2026-03-01")).wantStatus(http.StatusForbidden)
	a := w.actor("mkt")
	if list, total, err := w.DB.FindPayments(ctx, a, crm.PaymentFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}); err != nil || len(list) != 0 || total.N != 0 {
		t.Fatalf("marketing's payments: %d, total %d, %v", len(list), total.N, err)
	}
	if list, total, err := w.DB.FindInvoices(ctx, a, crm.InvoiceFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}); err != nil || len(list) != 0 || total.N != 0 {
		t.Fatalf("marketing's invoices: %d, total %d, %v", len(list), total.N, err)
	}
	if sec, err := w.DB.PaymentsOf(ctx, a, w.customer); err != nil || len(sec.Rows) != 0 || sec.Total.N != 0 {
		t.Fatalf("marketing's customer payments: %d %v", len(sec.Rows), err)
	}
	if sec, err := w.DB.InvoicesOf(ctx, a, w.customer); err != nil || len(sec.Rows) != 0 || sec.Total.N != 0 {
		t.Fatalf("marketing's customer invoices: %d %v", len(sec.Rows), err)
	}
	if sec, err := w.DB.PaymentsOfOrder(ctx, a, order); err != nil || len(sec.Rows) != 0 || sec.Total.N != 0 {
		t.Fatalf("marketing's order payments: %d %v", len(sec.Rows), err)
	}
	cust := mkt.get(fmtPath("/customers/%d", w.customer)).wantStatus(200)
	if cust.has(tid("payment-table")) || cust.has(tid("invoice-table")) || cust.has(tid("payment-row")) || cust.has(tid("invoice-row")) {
		t.Error("marketing's customer page shows payments or invoices")
	}
	home := mkt.get("/").wantStatus(200)
	if home.has(tid("nav-payments")) || home.has(tid("nav-invoices")) {
		t.Error("marketing's navigation offers payments or invoices")
	}
	// Finance's navigation does.
	if fin := w.clients["fin"].get("/"); !fin.has(tid("nav-payments")) || !fin.has(tid("nav-invoices")) {
		t.Error("finance's navigation lacks payments or invoices")
	}
}

// renderOrderMoney renders the order page's money section as username
// would see it, with the props orderMoneyProps builds (loaded here the
// same way through storage: the order page itself is the orders module's).
func (w *payWorld) renderOrderMoney(username string, order int64) *goquery.Document {
	w.t.Helper()
	ctx := context.Background()
	a := w.actor(username)
	o, err := w.DB.OrderForMoney(ctx, a, order)
	if err != nil {
		w.t.Fatal(err)
	}
	p := views.OrderMoneyProps{Order: o, Today: "2026-03-09", ConfirmPayment: map[int64]bool{}, ConfirmInvoice: map[int64]bool{},
		CanRecord: o.Status == crm.OrderApproved && crm.CanDo(a, crm.ActRecordMoney, o.Record())}
	if p.Payments, err = w.DB.PaymentsOfOrder(ctx, a, order); err != nil {
		w.t.Fatal(err)
	}
	for _, pm := range p.Payments.Rows {
		p.ConfirmPayment[pm.ID] = crm.CanDo(a, crm.ActConfirm, pm.Record())
	}
	if p.Invoices, err = w.DB.InvoicesOfOrder(ctx, a, order); err != nil {
		w.t.Fatal(err)
	}
	for _, v := range p.Invoices.Rows {
		p.ConfirmInvoice[v.ID] = crm.CanDo(a, crm.ActConfirm, v.Record())
	}
	var buf bytes.Buffer
	rctx := webctx.With(ctx, &webctx.Request{Actor: a, Locale: i18n.ZH})
	if err := views.OrderMoney(p).Render(rctx, &buf); err != nil {
		w.t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		w.t.Fatal(err)
	}
	return doc
}

// TestOrderMoneySection: the order page's money section shows 订单总金额,
// 已回款金额, 待回款金额, 回款进度 and 已开票金额, the order's payments and
// invoices with 已确认 (who/when) or a confirm button for finance, and the
// compact forms to those who may record; the forms post where they should
// and come back to the order. When the orders module's page is there, the
// section is checked on it too.
func TestOrderMoneySection(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "10000.00")
	paid := w.payPayment("rep1", order, "3500.00")
	w.payPayment("rep1", order, "1000.00")
	inv := w.payInvoice("rep1", order, "2000.00")
	ctx := context.Background()
	if _, err := w.DB.ConfirmPayment(ctx, w.actor("fin"), paid); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.ConfirmInvoice(ctx, w.actor("boss"), inv); err != nil {
		t.Fatal(err)
	}
	text := func(d *goquery.Document, sel string) string { return strings.TrimSpace(d.Find(sel).Text()) }

	fin := w.renderOrderMoney("fin", order)
	for sel, want := range map[string]string{
		tid("order-total"): "10,000.00", tid("order-paid"): "3,500.00", tid("order-outstanding"): "6,500.00",
		tid("order-invoiced"): "2,000.00", tid("order-progress"): "35.0%",
	} {
		if got := text(fin, sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if v, _ := fin.Find("progress").Attr("value"); v != "35.0" {
		t.Errorf("progress value %q", v)
	}
	if n := fin.Find(tid("payment-row")).Length(); n != 2 {
		t.Errorf("%d payment rows", n)
	}
	if n := fin.Find(tid("confirm-payment")).Length(); n != 1 {
		t.Errorf("finance has %d confirm buttons, want 1 (the unconfirmed payment)", n)
	}
	if got := text(fin, tid("order-payments")+" "+tid("confirmed-by")); !strings.Contains(got, "测试fin 于") {
		t.Errorf("confirmed by %q", got)
	}
	if got := text(fin, tid("order-invoices")+" "+tid("confirmed-by")); !strings.Contains(got, "测试boss 于") {
		t.Errorf("invoice confirmed by %q", got)
	}
	back := fin.Find(tid("order-payment-form")+` input[name="back"]`).AttrOr("value", "")
	if action := fin.Find(tid("order-payment-form")).AttrOr("action", ""); action != "/payments" || back != fmtPath("/orders/%d#money", order) {
		t.Errorf("payment form posts to %q and comes back to %q", action, back)
	}
	if action := fin.Find(tid("order-invoice-form")).AttrOr("action", ""); action != "/invoices" {
		t.Errorf("invoice form posts to %q", action)
	}

	rep := w.renderOrderMoney("rep1", order)
	if rep.Find(tid("confirm-payment")).Length() != 0 || rep.Find(tid("confirm-invoice")).Length() != 0 {
		t.Error("the rep is offered confirming")
	}
	if rep.Find(tid("order-payment-form")).Length() != 1 || rep.Find(tid("order-invoice-form")).Length() != 1 {
		t.Error("the rep who owns the order is not offered the forms")
	}
	// The compact form works: the rep records from it and comes back.
	rep1 := w.clients["rep1"]
	rep1.post("/payments", form("order_id", strconv.FormatInt(order, 10), "amount", "500", "paid_on", "2026-03-09",
		"method", "cash", "back", back)).wantRedirect(back)
	rep1.post("/invoices", form("order_id", strconv.FormatInt(order, 10), "amount", "500", "issued_on", "2026-03-09",
		"invoice_type", "special", "back", back)).wantRedirect(back)
	if got := len(w.renderOrderMoney("rep1", order).Find(tid("payment-row")).Nodes); got != 3 {
		t.Errorf("%d payments after recording from the section", got)
	}

	// An order that is not approved offers no forms.
	pending := w.payOrder(crm.OrderPending, "100.00")
	if d := w.renderOrderMoney("rep1", pending); d.Find("form").Length() != 0 || text(d, tid("order-progress")) != "0.0%" {
		t.Error("a pending order offers forms or progress")
	}

	// On the orders module's page, when it is there.
	if p := w.clients["fin"].get(fmtPath("/orders/%d", order)); p.Status == http.StatusOK && p.has(tid("order-money")) {
		p.wantText(tid("order-paid"), "3,500.00").wantText(tid("order-progress"), "35.0%")
		if !p.has(tid("confirm-payment")) {
			t.Error("the order page offers finance no confirm button")
		}
		if w.clients["mkt"].get(fmtPath("/orders/%d", order)).Status != http.StatusNotFound {
			t.Error("marketing views the order page")
		}
	} else {
		t.Logf("order page answered %d without the money section: checked the component alone", p.Status)
	}
}
