package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"crm/internal/crm"
)

// invoice records an invoice as a, failing the test on error.
func (f *payFixture) invoice(t *testing.T, a crm.Actor, order int64, amount, no string, ty crm.InvoiceType) int64 {
	t.Helper()
	id, err := f.db.CreateInvoice(context.Background(), a, crm.InvoiceInput{OrderID: order, Amount: payDec(amount),
		InvoiceNo: no, InvoiceType: ty, IssuedOn: payDay("2026-06-01")})
	if err != nil {
		t.Fatalf("invoice %s: %v", amount, err)
	}
	return id
}

func TestInvoiceRecordConfirmAndLock(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	order := f.order(t, f.rep, f.customer, crm.OrderApproved, "8000.00")
	pending := f.order(t, f.rep, f.customer, crm.OrderPending, "800.00")

	id := f.invoice(t, f.rep, order, "5000.00", "04400001", crm.InvoiceSpecial)
	v, err := f.db.InvoiceByID(ctx, f.collab, id)
	if err != nil {
		t.Fatal(err)
	}
	if v.OwnerID != f.rep.ID || v.CustomerID != f.customer || v.CustomerOwnerID != f.rep.ID || v.InvoiceType != crm.InvoiceSpecial ||
		v.InvoiceNo != "04400001" || v.IssuedOn.Format("2006-01-02") != "2026-06-01" || v.Confirmed {
		t.Fatalf("invoice %+v", v)
	}
	_, err = f.db.InvoiceByID(ctx, f.mkt, id)
	wantCode(t, err, crm.ENOTFOUND, "")

	in := crm.InvoiceInput{OrderID: order, Amount: payDec("1"), IssuedOn: payDay("2026-06-01")}
	_, err = f.db.CreateInvoice(ctx, f.mkt, in)
	wantCode(t, err, crm.EFORBIDDEN, "")
	_, err = f.db.CreateInvoice(ctx, f.repo, in)
	wantCode(t, err, crm.ENOTFOUND, "")
	_, err = f.db.CreateInvoice(ctx, f.rep, crm.InvoiceInput{OrderID: pending, Amount: payDec("1"), IssuedOn: payDay("2026-06-01")})
	wantCode(t, err, crm.ECONFLICT, "money.order_not_approved")
	_, err = f.db.CreateInvoice(ctx, f.rep, crm.InvoiceInput{OrderID: order, Amount: payDec("1"), IssuedOn: payDay("2026-06-01"), InvoiceType: "vat"})
	if crm.FieldErrors(err)["invoice_type"] != "error.choose" {
		t.Fatalf("bad type: %v", err)
	}

	for _, a := range []crm.Actor{f.rep, f.mgr, f.admin} {
		_, err := f.db.ConfirmInvoice(ctx, a, id)
		wantCode(t, err, crm.EFORBIDDEN, "")
	}
	if _, err := f.db.ConfirmInvoice(ctx, f.boss, id); err != nil {
		t.Fatal(err)
	}
	f.wantFigures(t, order, "0", "5000.00") // invoices move only the invoiced figure
	for _, a := range []crm.Actor{f.fin, f.boss, f.rep} {
		wantCode(t, f.db.UpdateInvoice(ctx, a, id, crm.InvoiceInput{Amount: payDec("1"), IssuedOn: payDay("2026-06-01")}), crm.EFORBIDDEN, "invoice.locked")
		wantCode(t, f.db.DeleteInvoice(ctx, a, id), crm.EFORBIDDEN, "invoice.locked")
		_, err := f.db.ConfirmInvoice(ctx, a, id)
		wantCode(t, err, crm.EFORBIDDEN, "invoice.locked")
	}

	// Over-confirming is refused with what remains; nothing moves.
	a := f.invoice(t, f.fin, order, "2000.00", "", crm.InvoiceNormal)
	b := f.invoice(t, f.fin, order, "2000.00", "", crm.InvoiceNormal)
	if _, err := f.db.ConfirmInvoice(ctx, f.fin, a); err != nil {
		t.Fatal(err)
	}
	_, err = f.db.ConfirmInvoice(ctx, f.fin, b)
	wantCode(t, err, crm.ECONFLICT, "invoice.exceeds")
	if e := err.(*crm.Error); fmt.Sprint(e.Args) != "[1,000.00]" {
		t.Fatalf("args %v", e.Args)
	}
	f.wantFigures(t, order, "0", "7000.00")

	// Finance edits the unconfirmed one down; history keeps the fields.
	if err := f.db.UpdateInvoice(ctx, f.fin, b, crm.InvoiceInput{Amount: payDec("1000"), InvoiceNo: "04400009",
		InvoiceType: crm.InvoiceSpecial, IssuedOn: payDay("2026-06-02")}); err != nil {
		t.Fatal(err)
	}
	h, _ := f.db.History(ctx, crm.ResInvoice, b)
	if len(h) != 2 || len(h[0].Changes) != 4 {
		t.Fatalf("history %+v", h)
	}
	if _, err := f.db.ConfirmInvoice(ctx, f.fin, b); err != nil {
		t.Fatal(err)
	}
	f.wantFigures(t, order, "0", "8000.00")
}

func TestInvoiceListsAndRace(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	order := f.order(t, f.rep, f.customer, crm.OrderApproved, "300.00")
	n1 := f.invoice(t, f.rep, order, "100.00", "NO-111", crm.InvoiceNormal)
	s1 := f.invoice(t, f.rep, order, "100.00", "NO-222", crm.InvoiceSpecial)
	s2 := f.invoice(t, f.rep, order, "100.00", "NO-333", crm.InvoiceSpecial)
	s3 := f.invoice(t, f.rep, order, "100.00", "NO-444", crm.InvoiceSpecial)

	ids := func(a crm.Actor, filter crm.InvoiceFilter) string {
		t.Helper()
		list, total, err := f.db.FindInvoices(ctx, a, filter)
		if err != nil {
			t.Fatal(err)
		}
		if total.N != len(list) {
			t.Fatalf("total %d for %d rows", total.N, len(list))
		}
		var out []int64
		for _, v := range list {
			out = append(out, v.ID)
		}
		return fmt.Sprint(out)
	}
	if got := ids(f.admin, crm.InvoiceFilter{Type: crm.InvoiceNormal}); got != fmt.Sprint([]int64{n1}) {
		t.Errorf("normal: %s", got)
	}
	if got := ids(f.admin, crm.InvoiceFilter{ListQuery: crm.ListQuery{Query: "NO-3"}}); got != fmt.Sprint([]int64{s2}) {
		t.Errorf("search number: %s", got)
	}
	if got := ids(f.mkt, crm.InvoiceFilter{}); got != "[]" {
		t.Errorf("marketing: %s", got)
	}
	if sec, _ := f.db.InvoicesOf(ctx, f.mkt, f.customer); len(sec.Rows) != 0 || sec.Total.N != 0 {
		t.Error("marketing sees the customer's invoices")
	}
	if sec, _ := f.db.InvoicesOf(ctx, f.rep, f.customer); len(sec.Rows) != 4 || sec.Total.N != 4 {
		t.Errorf("rep sees %d of the customer's invoices (count %d)", len(sec.Rows), sec.Total.N)
	}

	// Four invoices of 100 against a total of 300, confirmed at once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i, id := range []int64{n1, s1, s2, s3} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := f.fin
			if i%2 == 0 {
				a = f.boss
			}
			_, errs[i] = f.db.ConfirmInvoice(ctx, a, id)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else if crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatal(err)
		}
	}
	if won != 3 {
		t.Fatalf("%d confirmed, want 3", won)
	}
	f.wantFigures(t, order, "0", "300.00")
	if _, total, err := f.db.FindInvoices(ctx, f.fin, crm.InvoiceFilter{MoneyFilter: crm.MoneyFilter{Confirmed: "no"}}); err != nil || total.N != 1 {
		t.Errorf("unconfirmed: %d %v, want the one that lost", total.N, err)
	}
}
