package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"crm/internal/crm"
)

// TestInvoiceRoutesEveryRole runs every invoice route as every role
// against rep1's invoices, as TestPaymentRoutesEveryRole does for payments.
func TestInvoiceRoutesEveryRole(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "1000000.00")
	draft := w.payOrder(crm.OrderPending, "100.00")
	fresh := func() int64 { return w.payInvoice("rep1", order, "1.00") }
	shared := fresh()
	locked := fresh()
	if _, err := w.DB.ConfirmInvoice(context.Background(), w.actor("boss"), locked); err != nil {
		t.Fatal(err)
	}
	lockedFresh := func() int64 { return locked }
	update := form("amount", "2.00", "issued_on", "2026-03-02", "invoice_no", "No.9", "invoice_type", "special")
	o := strconv.FormatInt(order, 10)
	routes := []payRoute{
		{"list", "GET", "/invoices", nil, nil, payArea},
		{"list special", "GET", "/invoices?type=special&tab=mine", nil, nil, payArea},
		{"new form", "GET", "/invoices/new", nil, nil, payArea},
		{"new form for the order", "GET", "/invoices/new?order=" + o, nil, nil, payNewOrder},
		{"new form for a pending order", "GET", fmtPath("/invoices/new?order=%d", draft), nil, nil, payDraft},
		{"create", "POST", "/invoices", form("order_id", o, "amount", "1.00", "issued_on", "2026-03-01", "invoice_type", "normal"), nil, payCreate},
		{"create on a pending order", "POST", "/invoices", form("order_id", strconv.FormatInt(draft, 10), "amount", "1.00", "issued_on", "2026-03-01"), nil, payDraft},
		{"detail", "GET", "/invoices/%d", nil, nil, payView},
		{"edit form", "GET", "/invoices/%d/edit", nil, nil, payView},
		{"update", "POST", "/invoices/%d", update, fresh, payUpdate},
		{"delete", "POST", "/invoices/%d/delete", nil, fresh, payUpdate},
		{"confirm", "POST", "/invoices/%d/confirm", form("back", "/invoices"), fresh, payConfirm},
		{"confirmed detail", "GET", "/invoices/%d", nil, lockedFresh, payView},
		{"confirmed edit form", "GET", "/invoices/%d/edit", nil, lockedFresh, payLocked},
		{"confirmed update", "POST", "/invoices/%d", update, lockedFresh, payLocked},
		{"confirmed delete", "POST", "/invoices/%d/delete", nil, lockedFresh, payLocked},
		{"confirmed confirm", "POST", "/invoices/%d/confirm", nil, lockedFresh, payLocked},
	}
	cases := w.runPayRoutes(t, routes, shared)
	if n := w.count(`SELECT count(*) FROM invoices WHERE id = $1 AND amount = 1 AND confirmed AND invoice_no = ''`, locked); n != 1 {
		t.Fatal("the confirmed invoice changed")
	}
	if n := w.count(`SELECT count(*) FROM invoices WHERE order_id = $1`, draft); n != 0 {
		t.Fatal("an invoice was recorded on a pending order")
	}
	if _, invoiced := w.payFiguresMatch(order); invoiced != "3.00" {
		t.Fatalf("invoiced %s", invoiced)
	}
	t.Logf("invoice routes: %d role × route cases", cases)
}

// TestInvoiceConfirmAndOverConfirm: a rep records, may not confirm;
// finance confirms; confirming past the order total is refused with what
// remains, nothing changes; a confirmed invoice is locked for everyone.
func TestInvoiceConfirmAndOverConfirm(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "5000.00")
	o := strconv.FormatInt(order, 10)
	rep1 := w.clients["rep1"]
	loc := rep1.post("/invoices", form("order_id", o, "amount", "3000", "issued_on", "2026-03-01", "invoice_no", "04400001",
		"invoice_type", "special")).wantStatus(303).Location
	rep1.post(loc+"/confirm", nil).wantStatus(http.StatusForbidden)
	page := rep1.get(loc).wantStatus(200)
	page.wantText(tid("invoice-type"), "专用发票").wantText(tid("invoice-no"), "04400001").wantText(tid("invoice-confirm-state"), "待确认")
	b := w.payInvoice("rep1", order, "2500.00")
	fin := w.clients["fin"]
	fin.post(loc+"/confirm", form("back", "/invoices")).wantRedirect("/invoices")
	p := fin.post(fmtPath("/invoices/%d/confirm", b), nil).wantStatus(http.StatusConflict)
	if !strings.Contains(p.Body, "剩余可确认开票 ¥2,000.00") {
		t.Fatalf("refusal: %s", abbreviate(p.Body))
	}
	if paid, invoiced := w.payFiguresMatch(order); paid != "0.00" || invoiced != "3000.00" {
		t.Fatalf("paid %s invoiced %s", paid, invoiced)
	}
	for _, u := range []string{"fin", "boss", "rep1", "admin"} {
		w.clients[u].post(loc, form("amount", "1", "issued_on", "2026-03-01", "invoice_type", "normal")).wantStatus(http.StatusForbidden)
		w.clients[u].post(loc+"/delete", nil).wantStatus(http.StatusForbidden)
		w.clients[u].post(loc+"/confirm", nil).wantStatus(http.StatusForbidden)
	}
	fin.get(loc).wantText(tid("invoice-confirm-state"), "测试fin 于")
	// Validation: a type that is not one, a missing date.
	rep1.post("/invoices", form("order_id", o, "amount", "1", "issued_on", "", "invoice_type", "vat")).wantStatus(422).
		wantText(tid("error-invoice_type"), "请选择").wantText(tid("error-issued_on"), "必填")
}

// rawKey matches a catalog key shown instead of its message.
var rawKey = regexp.MustCompile(`\b(payment|invoice|money)\.[a-z_]+(\.[a-z_]+)*\b`)

// TestMoneyPagesSpeakOneLanguage: the payment and invoice pages show no
// raw catalog key, in Chinese and in English.
func TestMoneyPagesSpeakOneLanguage(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	order := w.payOrder(crm.OrderApproved, "1000.00")
	pm := w.payPayment("rep1", order, "10.00")
	inv := w.payInvoice("rep1", order, "10.00")
	if _, err := w.DB.ConfirmInvoice(context.Background(), w.actor("fin"), inv); err != nil {
		t.Fatal(err)
	}
	en := w.client()
	en.header.Set("Accept-Language", "en")
	login(t, en, "fin", testPassword)
	paths := []string{"/payments", "/invoices", "/payments/new", "/invoices/new", fmtPath("/payments/new?order=%d", order),
		fmtPath("/payments/%d", pm), fmtPath("/payments/%d/edit", pm), fmtPath("/invoices/%d", inv), fmtPath("/orders/%d", order)}
	for _, c := range []*client{w.clients["fin"], en} {
		for _, path := range paths {
			p := c.get(path)
			if p.Status != http.StatusOK || p.Doc == nil {
				if path == fmtPath("/orders/%d", order) {
					continue // the orders module's page, when it is there
				}
				t.Fatalf("%s: %d", path, p.Status)
			}
			if k := rawKey.FindString(p.Doc.Find("main").Text()); k != "" {
				t.Errorf("%s shows the raw key %q", path, k)
			}
		}
	}
	en.get(fmtPath("/payments/%d", pm)).wantText(tid("payment-method"), "Bank transfer").wantText(tid("payment-confirm-state"), "Awaiting")
	en.get(fmtPath("/invoices/%d", inv)).wantText(tid("invoice-confirm-state"), "Confirmed by 测试fin")
}
