package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// payFixture is an organisation for the payment and invoice tests:
//
//	paysales 销售部 (paymgr) ─ payteam 一组: payrep (owns the customer), payrep2
//	payother 二部: payrepo        payfin 财务部: payfin
//	payadmin, payboss (management), paymkt (marketing), paycollab (a rep of
//	二部, collaborator of the customer)
type payFixture struct {
	db                                *postgres.DB
	sales, team, other, finDept       int64
	admin, boss, mgr, rep, rep2, repo crm.Actor
	mkt, fin, collab                  crm.Actor
	customer, product                 int64
	seq                               int
}

func payActor(t *testing.T, db *postgres.DB, id int64) crm.Actor {
	t.Helper()
	u, err := db.LoadSessionUser(context.Background(), id, 0)
	if err != nil {
		t.Fatalf("actor %d: %v", id, err)
	}
	return u.Actor
}

func newPayFixture(t *testing.T) *payFixture {
	t.Helper()
	db := testdb.New(t)
	ctx := context.Background()
	f := &payFixture{db: db}
	f.sales = mustDept(t, db, "销售部", 0)
	f.team = mustDept(t, db, "销售一组", f.sales)
	f.other = mustDept(t, db, "销售二部", 0)
	f.finDept = mustDept(t, db, "财务部", 0)
	f.admin = payActor(t, db, mustEmp(t, db, "payadmin", crm.RoleAdmin, 0))
	f.boss = payActor(t, db, mustEmp(t, db, "payboss", crm.RoleManagement, 0))
	f.mgr = payActor(t, db, mustEmp(t, db, "paymgr", crm.RoleSalesManager, f.sales))
	f.rep = payActor(t, db, mustEmp(t, db, "payrep", crm.RoleSalesRep, f.team))
	f.rep2 = payActor(t, db, mustEmp(t, db, "payrep2", crm.RoleSalesRep, f.team))
	f.repo = payActor(t, db, mustEmp(t, db, "payrepo", crm.RoleSalesRep, f.other))
	f.mkt = payActor(t, db, mustEmp(t, db, "paymkt", crm.RoleMarketing, 0))
	f.fin = payActor(t, db, mustEmp(t, db, "payfin", crm.RoleFinance, f.finDept))
	f.collab = payActor(t, db, mustEmp(t, db, "paycollab", crm.RoleSalesRep, f.other))
	var err error
	if f.customer, err = db.CreateCustomer(ctx, f.rep, crm.CustomerInput{Name: "付款测试客户"}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddCollaborator(ctx, f.rep, f.customer, f.collab.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO products (sku, name) VALUES ('PAY-SKU', '付款测试产品') RETURNING id`).Scan(&f.product); err != nil {
		t.Fatal(err)
	}
	return f
}

// order inserts an order of customer with one line of the given total,
// owned by owner (the orders module's workflows are not needed here).
func (f *payFixture) order(t *testing.T, owner crm.Actor, customer int64, status crm.OrderStatus, total string) int64 {
	t.Helper()
	ctx := context.Background()
	f.seq++
	var id int64
	err := f.db.Pool.QueryRow(ctx, `INSERT INTO orders (number, customer_id, status, total, owner_id, department_id, created_by,
		                    customer_owner_id, customer_department_id)
		SELECT $1, c.id, $2, $3, $4, $5, $4, c.owner_id, c.department_id FROM customers c WHERE c.id = $6 RETURNING id`,
		fmt.Sprintf("PAY-%05d", f.seq), string(status), total, owner.ID, nullable(owner.DepartmentID), customer).Scan(&id)
	if err != nil {
		t.Fatalf("order: %v", err)
	}
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO order_lines (order_id, position, product_id, unit_price, quantity, subtotal)
		VALUES ($1, 1, $2, $3, 1, $3)`, id, f.product, total); err != nil {
		t.Fatalf("order line: %v", err)
	}
	return id
}

func payDay(s string) *time.Time {
	d, err := time.ParseInLocation("2006-01-02", s, crm.Zone)
	if err != nil {
		panic(err)
	}
	return &d
}

func payDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// payment records a payment as a, failing the test on error.
func (f *payFixture) payment(t *testing.T, a crm.Actor, order int64, amount, paidOn string) int64 {
	t.Helper()
	id, err := f.db.CreatePayment(context.Background(), a, crm.PaymentInput{OrderID: order, Amount: payDec(amount),
		PaidOn: payDay(paidOn), Method: "bank_transfer"})
	if err != nil {
		t.Fatalf("payment %s: %v", amount, err)
	}
	return id
}

// wantFigures checks an order's and a customer's paid and invoiced
// figures, and that each equals the sum of the confirmed records.
func (f *payFixture) wantFigures(t *testing.T, order int64, paid, invoiced string) {
	t.Helper()
	var oPaid, oInv, sumPaid, sumInv, cPaid, cInv, cSumPaid, cSumInv decimal.Decimal
	err := f.db.Pool.QueryRow(context.Background(), `SELECT o.paid_amount, o.invoiced_amount,
		    (SELECT coalesce(sum(amount), 0) FROM payments WHERE order_id = o.id AND confirmed),
		    (SELECT coalesce(sum(amount), 0) FROM invoices WHERE order_id = o.id AND confirmed),
		    c.paid_amount, c.invoiced_amount,
		    (SELECT coalesce(sum(amount), 0) FROM payments WHERE customer_id = c.id AND confirmed),
		    (SELECT coalesce(sum(amount), 0) FROM invoices WHERE customer_id = c.id AND confirmed)
		FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1`, order).
		Scan(&oPaid, &oInv, &sumPaid, &sumInv, &cPaid, &cInv, &cSumPaid, &cSumInv)
	if err != nil {
		t.Fatal(err)
	}
	if !oPaid.Equal(payDec(paid)) || !oInv.Equal(payDec(invoiced)) {
		t.Fatalf("order figures paid %s invoiced %s, want %s and %s", oPaid, oInv, paid, invoiced)
	}
	if !oPaid.Equal(sumPaid) || !oInv.Equal(sumInv) || !cPaid.Equal(cSumPaid) || !cInv.Equal(cSumInv) {
		t.Fatalf("figures differ from the sums: order %s/%s vs %s/%s, customer %s/%s vs %s/%s",
			oPaid, oInv, sumPaid, sumInv, cPaid, cInv, cSumPaid, cSumInv)
	}
}

func TestPaymentRecordConfirmAndLock(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	order := f.order(t, f.rep, f.customer, crm.OrderApproved, "10000.00")
	draft := f.order(t, f.rep, f.customer, crm.OrderDraft, "500.00")

	// The rep who owns the order records; the payment is theirs, under the
	// order's customer.
	id := f.payment(t, f.rep, order, "3000.00", "2026-03-01")
	p, err := f.db.PaymentByID(ctx, f.rep, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.OwnerID != f.rep.ID || p.DepartmentID != f.team || p.CreatedBy != f.rep.ID || p.CustomerID != f.customer ||
		p.CustomerOwnerID != f.rep.ID || p.CustomerDepartmentID != f.team || p.Confirmed || p.OrderID != order {
		t.Fatalf("payment %+v", p)
	}
	if p.PaidOn.Format("2006-01-02") != "2026-03-01" || !p.Amount.Equal(payDec("3000")) || p.Method != "bank_transfer" {
		t.Fatalf("payment fields %s %s %s", p.PaidOn, p.Amount, p.Method)
	}
	if len(p.Collaborators) != 1 || p.Collaborators[0] != f.collab.ID {
		t.Fatalf("collaborators %v", p.Collaborators)
	}
	// Finance records too; a manager in scope and the collaborator view it.
	f.payment(t, f.fin, order, "100.00", "2026-03-02")
	for _, a := range []crm.Actor{f.admin, f.boss, f.fin, f.mgr, f.collab} {
		if _, err := f.db.PaymentByID(ctx, a, id); err != nil {
			t.Errorf("%s cannot view: %v", a.Username, err)
		}
	}
	for _, a := range []crm.Actor{f.rep2, f.repo, f.mkt} {
		_, err := f.db.PaymentByID(ctx, a, id)
		wantCode(t, err, crm.ENOTFOUND, "")
	}

	in := crm.PaymentInput{OrderID: order, Amount: payDec("10"), PaidOn: payDay("2026-03-01")}
	// Marketing records nothing; an order out of sight is not found.
	_, err = f.db.CreatePayment(ctx, f.mkt, in)
	wantCode(t, err, crm.EFORBIDDEN, "")
	_, err = f.db.CreatePayment(ctx, f.repo, in)
	wantCode(t, err, crm.ENOTFOUND, "")
	// Only approved orders take money.
	_, err = f.db.CreatePayment(ctx, f.rep, crm.PaymentInput{OrderID: draft, Amount: payDec("10"), PaidOn: payDay("2026-03-01")})
	wantCode(t, err, crm.ECONFLICT, "money.order_not_approved")
	// More than the order has left, a bad method, missing fields.
	_, err = f.db.CreatePayment(ctx, f.rep, crm.PaymentInput{OrderID: order, Amount: payDec("10000.01"), PaidOn: payDay("2026-03-01")})
	if crm.FieldErrors(err)["amount"] != "payment.amount_over" {
		t.Fatalf("amount over the total: %v", err)
	}
	_, err = f.db.CreatePayment(ctx, f.rep, crm.PaymentInput{OrderID: order, Amount: payDec("1"), PaidOn: payDay("2026-03-01"), Method: "貔貅"})
	if crm.FieldErrors(err)["method"] != "error.choose" {
		t.Fatalf("bad method: %v", err)
	}
	_, err = f.db.CreatePayment(ctx, f.rep, crm.PaymentInput{OrderID: order})
	if fe := crm.FieldErrors(err); fe["amount"] == "" || fe["paid_on"] == "" {
		t.Fatalf("missing fields: %v", err)
	}
	// A common name is stored as its code.
	named, err := f.db.CreatePayment(ctx, f.rep, crm.PaymentInput{OrderID: order, Amount: payDec("1"), PaidOn: payDay("2026-03-01"), Method: "微信支付"})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := f.db.PaymentByID(ctx, f.rep, named); p.Method != "wechat" {
		t.Fatalf("method stored as %q", p.Method)
	}

	// The rep may edit their unconfirmed payment; history says what changed.
	in = crm.PaymentInput{Amount: payDec("3500.00"), PaidOn: payDay("2026-03-03"), Method: "cash", Notes: "首付款"}
	if err := f.db.UpdatePayment(ctx, f.rep, id, in); err != nil {
		t.Fatal(err)
	}
	h, err := f.db.History(ctx, crm.ResPayment, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Action != "update" || len(h[0].Changes) != 4 {
		t.Fatalf("history %+v", h)
	}
	wantCode(t, f.db.UpdatePayment(ctx, f.rep2, id, in), crm.ENOTFOUND, "")

	// Only finance and management confirm: the owner, a manager in scope
	// and even admin may not.
	for _, a := range []crm.Actor{f.rep, f.mgr, f.admin, f.collab} {
		_, err := f.db.ConfirmPayment(ctx, a, id)
		wantCode(t, err, crm.EFORBIDDEN, "")
	}
	_, err = f.db.ConfirmPayment(ctx, f.repo, id)
	wantCode(t, err, crm.ENOTFOUND, "")
	f.wantFigures(t, order, "0", "0")
	amount, err := f.db.ConfirmPayment(ctx, f.fin, id)
	if err != nil || !amount.Equal(payDec("3500")) {
		t.Fatalf("confirm: %s %v", amount, err)
	}
	f.wantFigures(t, order, "3500.00", "0")
	p, _ = f.db.PaymentByID(ctx, f.rep, id)
	if !p.Confirmed || p.ConfirmedBy != f.fin.ID || p.ConfirmedByName != "测试payfin" || p.ConfirmedAt == nil {
		t.Fatalf("confirmed payment %+v", p)
	}
	if h, _ := f.db.History(ctx, crm.ResPayment, id); h[0].Action != "confirm" || h[0].ActorID != f.fin.ID {
		t.Fatalf("history %+v", h[0])
	}

	// Confirmed: locked for everyone, on every path; invisible stays 404.
	for _, a := range []crm.Actor{f.fin, f.boss, f.admin, f.rep, f.mgr} {
		wantCode(t, f.db.UpdatePayment(ctx, a, id, in), crm.EFORBIDDEN, "payment.locked")
		wantCode(t, f.db.DeletePayment(ctx, a, id), crm.EFORBIDDEN, "payment.locked")
		_, err := f.db.ConfirmPayment(ctx, a, id)
		wantCode(t, err, crm.EFORBIDDEN, "payment.locked")
	}
	wantCode(t, f.db.DeletePayment(ctx, f.repo, id), crm.ENOTFOUND, "")
	f.wantFigures(t, order, "3500.00", "0")

	// Finance may edit and delete unconfirmed payments of others.
	other := f.payment(t, f.rep, order, "200.00", "2026-03-04")
	if err := f.db.UpdatePayment(ctx, f.fin, other, crm.PaymentInput{Amount: payDec("250"), PaidOn: payDay("2026-03-04")}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeletePayment(ctx, f.fin, other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.PaymentByID(ctx, f.admin, other); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Fatalf("deleted payment: %v", err)
	}
	// The rep's colleague may not delete what they cannot view; the
	// manager in scope may.
	third := f.payment(t, f.rep, order, "1.00", "2026-03-05")
	wantCode(t, f.db.DeletePayment(ctx, f.rep2, third), crm.ENOTFOUND, "")
	if err := f.db.DeletePayment(ctx, f.mgr, third); err != nil {
		t.Fatal(err)
	}
}

// TestPaymentOverConfirmRefused: two payments that each fit the order but
// together pass its total — the second confirmation is refused with the
// amount that remains, and nothing changes.
func TestPaymentOverConfirmRefused(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	order := f.order(t, f.rep, f.customer, crm.OrderApproved, "10000.00")
	a := f.payment(t, f.rep, order, "6000.00", "2026-04-01")
	b := f.payment(t, f.rep, order, "5000.00", "2026-04-02")
	if _, err := f.db.ConfirmPayment(ctx, f.fin, a); err != nil {
		t.Fatal(err)
	}
	_, err := f.db.ConfirmPayment(ctx, f.boss, b)
	wantCode(t, err, crm.ECONFLICT, "payment.exceeds")
	if e := err.(*crm.Error); len(e.Args) != 1 || e.Args[0] != "4,000.00" {
		t.Fatalf("args %v, want the remaining 4,000.00", e.Args)
	}
	f.wantFigures(t, order, "6000.00", "0")
	p, _ := f.db.PaymentByID(ctx, f.fin, b)
	if p.Confirmed || p.ConfirmedBy != 0 {
		t.Fatal("the refused payment was confirmed")
	}
	if h, _ := f.db.History(ctx, crm.ResPayment, b); h[0].Action != "create" {
		t.Fatalf("refused confirmation left history %+v", h[0])
	}
	// Lowered to what remains, it goes through and the order is paid.
	if err := f.db.UpdatePayment(ctx, f.rep, b, crm.PaymentInput{Amount: payDec("4000"), PaidOn: payDay("2026-04-02")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ConfirmPayment(ctx, f.boss, b); err != nil {
		t.Fatal(err)
	}
	f.wantFigures(t, order, "10000.00", "0")
	o, err := f.db.OrderForMoney(ctx, f.rep, order)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Progress().Equal(payDec("100")) || !o.Outstanding().IsZero() {
		t.Fatalf("progress %s outstanding %s", o.Progress(), o.Outstanding())
	}
	// Nothing is left: a new payment is refused at once.
	_, err = f.db.CreatePayment(ctx, f.rep, crm.PaymentInput{OrderID: order, Amount: payDec("0.01"), PaidOn: payDay("2026-04-03")})
	if crm.FieldErrors(err)["amount"] != "payment.amount_over" {
		t.Fatalf("payment on a paid order: %v", err)
	}
}

// TestPaymentConfirmRaces: the same payment confirmed by many at once is
// confirmed once; payments that together pass the order's total,
// confirmed at once, never take the order past it; the figures stay the
// sums of the confirmed payments.
func TestPaymentConfirmRaces(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	order := f.order(t, f.rep, f.customer, crm.OrderApproved, "1000.00")

	one := f.payment(t, f.rep, order, "100.00", "2026-05-01")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := f.fin
			if i%2 == 1 {
				a = f.boss
			}
			_, errs[i] = f.db.ConfirmPayment(ctx, a, one)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch crm.ErrorCode(err) {
		case "":
			won++
		case crm.ECONFLICT, crm.EFORBIDDEN: // lost the race / confirmed already when it looked
		default:
			t.Fatalf("confirm: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d confirmations won", won)
	}
	f.wantFigures(t, order, "100.00", "0")
	if n := countRows(t, f.db, fmt.Sprintf(`SELECT count(*) FROM history WHERE resource = 'payment' AND record_id = %d AND action = 'confirm'`, one)); n != 1 {
		t.Fatalf("%d confirm history entries", n)
	}

	// Eight payments of 200 against the 900 left: at most four fit.
	var ids []int64
	for i := 0; i < 8; i++ {
		ids = append(ids, f.payment(t, f.rep, order, "200.00", "2026-05-02"))
	}
	errs = make([]error, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.db.ConfirmPayment(ctx, f.fin, id)
		}()
	}
	wg.Wait()
	won = 0
	for _, err := range errs {
		switch crm.ErrorCode(err) {
		case "":
			won++
		case crm.ECONFLICT:
		default:
			t.Fatalf("confirm: %v", err)
		}
	}
	if won != 4 {
		t.Fatalf("%d of the 200s confirmed, want 4", won)
	}
	f.wantFigures(t, order, "900.00", "0")
}

// TestPaymentListsAndScope: lists, counts and the customer's and order's
// payments hold only what the actor may view — nothing for marketing —
// and the filters, tabs and sorts narrow them.
func TestPaymentListsAndScope(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	order := f.order(t, f.rep, f.customer, crm.OrderApproved, "10000.00")
	otherCustomer, err := f.db.CreateCustomer(ctx, f.repo, crm.CustomerInput{Name: "二部客户"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	otherOrder := f.order(t, f.repo, otherCustomer, crm.OrderApproved, "5000.00")
	p1 := f.payment(t, f.rep, order, "1000.00", "2026-01-10")
	p2 := f.payment(t, f.fin, order, "2000.00", "2026-02-10")
	p3 := f.payment(t, f.repo, otherOrder, "3000.00", "2026-03-10")
	if _, err := f.db.ConfirmPayment(ctx, f.fin, p2); err != nil {
		t.Fatal(err)
	}

	ids := func(a crm.Actor, filter crm.PaymentFilter) []int64 {
		t.Helper()
		list, total, err := f.db.FindPayments(ctx, a, filter)
		if err != nil {
			t.Fatal(err)
		}
		if total.N != len(list) || total.Capped {
			t.Fatalf("total %+v for %d rows", total, len(list))
		}
		var out []int64
		for _, p := range list {
			out = append(out, p.ID)
		}
		return out
	}
	want := func(name string, got []int64, want ...int64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	all := crm.PaymentFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}
	want("admin", ids(f.admin, all), p3, p2, p1)
	want("finance", ids(f.fin, all), p3, p2, p1)
	want("rep (owner of the customer)", ids(f.rep, all), p2, p1)
	want("rep2", ids(f.rep2, all))
	want("collaborator of the customer", ids(f.collab, all), p2, p1)
	want("manager of 销售部", ids(f.mgr, all), p2, p1)
	want("marketing", ids(f.mkt, all))
	want("rep mine", ids(f.rep, crm.PaymentFilter{ListQuery: crm.ListQuery{Tab: crm.TabMine}}), p1)
	want("finance mine", ids(f.fin, crm.PaymentFilter{ListQuery: crm.ListQuery{Tab: crm.TabMine}}), p2)
	want("confirmed", ids(f.admin, crm.PaymentFilter{MoneyFilter: crm.MoneyFilter{Confirmed: "yes"}}), p2)
	want("unconfirmed", ids(f.admin, crm.PaymentFilter{MoneyFilter: crm.MoneyFilter{Confirmed: "no"}}), p3, p1)
	want("order", ids(f.admin, crm.PaymentFilter{MoneyFilter: crm.MoneyFilter{OrderID: otherOrder}}), p3)
	want("customer", ids(f.admin, crm.PaymentFilter{MoneyFilter: crm.MoneyFilter{CustomerID: f.customer}}), p2, p1)
	want("from", ids(f.admin, crm.PaymentFilter{MoneyFilter: crm.MoneyFilter{From: payDay("2026-02-10")}}), p3, p2)
	want("to", ids(f.admin, crm.PaymentFilter{MoneyFilter: crm.MoneyFilter{To: payDay("2026-02-10")}}), p2, p1)
	want("search customer", ids(f.admin, crm.PaymentFilter{ListQuery: crm.ListQuery{Query: "二部客"}}), p3)
	want("search order", ids(f.admin, crm.PaymentFilter{ListQuery: crm.ListQuery{Query: "PAY-00001"}}), p2, p1)
	want("sort amount", ids(f.admin, crm.PaymentFilter{ListQuery: crm.ListQuery{Sort: "amount"}}), p1, p2, p3)
	want("sort paid desc", ids(f.admin, crm.PaymentFilter{ListQuery: crm.ListQuery{Sort: "paid", Desc: true}}), p3, p2, p1)
	want("unknown sort", ids(f.admin, crm.PaymentFilter{ListQuery: crm.ListQuery{Sort: "amount; DROP TABLE payments"}}), p3, p2, p1)

	of := func(a crm.Actor) int {
		sec, err := f.db.PaymentsOf(ctx, a, f.customer)
		if err != nil {
			t.Fatal(err)
		}
		return sec.Total.N
	}
	ofOrder := func(a crm.Actor) int {
		sec, err := f.db.PaymentsOfOrder(ctx, a, order)
		if err != nil {
			t.Fatal(err)
		}
		return len(sec.Rows)
	}
	if of(f.rep) != 2 || of(f.mkt) != 0 || of(f.rep2) != 0 || ofOrder(f.fin) != 2 || ofOrder(f.mkt) != 0 {
		t.Fatalf("customer/order payments: rep %d mkt %d rep2 %d fin %d mkt %d", of(f.rep), of(f.mkt), of(f.rep2), ofOrder(f.fin), ofOrder(f.mkt))
	}
	// Reassigning the customer moves the copies: the new owner views its
	// payments, the old one keeps only what they recorded.
	if err := f.db.AssignCustomer(ctx, f.boss, f.customer, f.rep2.ID); err != nil {
		t.Fatal(err)
	}
	want("rep2 after assign", ids(f.rep2, all), p2, p1)
	want("rep after assign", ids(f.rep, all), p1)
}

// TestMoneyOrderChoices: the pickers offer approved orders the actor may
// view, nothing to marketing.
func TestMoneyOrderChoices(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	approved := f.order(t, f.rep, f.customer, crm.OrderApproved, "100.00")
	f.order(t, f.rep, f.customer, crm.OrderPending, "100.00")
	count := func(a crm.Actor, q string) int {
		cs, err := f.db.MoneyOrderChoices(ctx, a, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 1 && cs[0].ID != approved {
			t.Fatalf("choice %+v", cs[0])
		}
		return len(cs)
	}
	if count(f.rep, "") != 1 || count(f.fin, "") != 1 || count(f.repo, "") != 0 || count(f.mkt, "") != 0 ||
		count(f.rep, "付款测试") != 1 || count(f.rep, "nothing") != 0 {
		t.Fatal("order choices")
	}
}
