package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// ordFixture is an organisation for the quote and order tests:
//
//	ord销售部 (head ordmgr) ─┬─ ord一组 (head ordlead): ordrepa, ordrepb
//	                         └─ ord二组 (no head): ordrepc
//	ordboss (management), ordadmin, ordfin, ordmkt
type ordFixture struct {
	db                              *postgres.DB
	sales, team1, team2             int64
	mgr, lead, repA, repB, repC     crm.Actor
	boss, admin, fin, mkt           crm.Actor
	custA, custC                    int64 // owned by repA, repC
	productA, productB, productGone int64
}

func newOrdFixture(t *testing.T) *ordFixture {
	t.Helper()
	db := testdb.New(t)
	f := &ordFixture{db: db}
	f.sales = mustDept(t, db, "ord销售部", 0)
	f.team1 = mustDept(t, db, "ord一组", f.sales)
	f.team2 = mustDept(t, db, "ord二组", f.sales)
	f.mgr = custActor(t, db, mustEmp(t, db, "ordmgr", crm.RoleSalesManager, f.sales))
	f.lead = custActor(t, db, mustEmp(t, db, "ordlead", crm.RoleSalesManager, f.team1))
	f.repA = custActor(t, db, mustEmp(t, db, "ordrepa", crm.RoleSalesRep, f.team1))
	f.repB = custActor(t, db, mustEmp(t, db, "ordrepb", crm.RoleSalesRep, f.team1))
	f.repC = custActor(t, db, mustEmp(t, db, "ordrepc", crm.RoleSalesRep, f.team2))
	f.boss = custActor(t, db, mustEmp(t, db, "ordboss", crm.RoleManagement, 0))
	f.admin = custActor(t, db, mustEmp(t, db, "ordadmin", crm.RoleAdmin, 0))
	f.fin = custActor(t, db, mustEmp(t, db, "ordfin", crm.RoleFinance, 0))
	f.mkt = custActor(t, db, mustEmp(t, db, "ordmkt", crm.RoleMarketing, 0))
	f.exec(t, `UPDATE departments SET head_id = $2 WHERE id = $1`, f.sales, f.mgr.ID)
	f.exec(t, `UPDATE departments SET head_id = $2 WHERE id = $1`, f.team1, f.lead.ID)
	f.productA = f.product(t, "ORDP-A", "100.00", true)
	f.productB = f.product(t, "ORDP-B", "19.99", true)
	f.productGone = f.product(t, "ORDP-OLD", "5.00", true)
	var err error
	if f.custA, err = db.CreateCustomer(context.Background(), f.repA, crm.CustomerInput{Name: "ord客户A"}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	if f.custC, err = db.CreateCustomer(context.Background(), f.repC, crm.CustomerInput{Name: "ord客户C"}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *ordFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := f.db.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func (f *ordFixture) product(t *testing.T, sku, price string, active bool) int64 {
	t.Helper()
	var id int64
	if err := f.db.Pool.QueryRow(context.Background(), `INSERT INTO products (sku, name, list_price, active) VALUES ($1, $1, $2, $3) RETURNING id`,
		sku, price, active).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func ordLine(product int64, price, discount, quantity string) crm.Line {
	return crm.Line{ProductID: product, UnitPrice: decimal.RequireFromString(price),
		Discount: decimal.RequireFromString(discount), Quantity: decimal.RequireFromString(quantity)}
}

func (f *ordFixture) order(t *testing.T, a crm.Actor, customer int64) int64 {
	t.Helper()
	id, err := f.db.CreateOrder(context.Background(), a, crm.OrderInput{CustomerID: customer,
		Lines: []crm.Line{ordLine(f.productA, "100", "1", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestOrderCreateRules: documents go under a customer the creator may view
// (404) and update (403), with an opportunity of that customer; lines name
// existing, active products; lines and total are stored priced; the owner
// is the creator and the customer's owner and department are copied.
func TestOrderCreateRules(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	lines := []crm.Line{ordLine(f.productA, "19.99", "0.85", "7"), ordLine(f.productB, "0.1", "1", "3")}

	_, err := f.db.CreateOrder(ctx, f.repB, crm.OrderInput{CustomerID: f.custA, Lines: lines})
	wantCode(t, err, crm.ENOTFOUND, "")
	_, err = f.db.CreateQuote(ctx, f.fin, crm.QuoteInput{CustomerID: f.custA, Lines: lines})
	wantCode(t, err, crm.EFORBIDDEN, "")
	_, err = f.db.CreateQuote(ctx, f.mkt, crm.QuoteInput{CustomerID: f.custA, Lines: lines})
	wantCode(t, err, crm.EFORBIDDEN, "")
	// A collaborator views the customer but may not add under it.
	if err := f.db.AddCollaborator(ctx, f.admin, f.custA, f.repB.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.db.CreateOrder(ctx, f.repB, crm.OrderInput{CustomerID: f.custA, Lines: lines})
	wantCode(t, err, crm.EFORBIDDEN, "")
	// An opportunity of another customer.
	opp, err := f.db.CreateOpportunity(ctx, f.repC, crm.OpportunityInput{Name: "ord他人机会", CustomerID: f.custC})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.db.CreateQuote(ctx, f.repA, crm.QuoteInput{CustomerID: f.custA, OpportunityID: opp, Lines: lines})
	if crm.FieldErrors(err)["opportunity_id"] != "error.not_exist" {
		t.Fatalf("foreign opportunity: %v", err)
	}
	// A deactivated product may not go on a new document.
	f.exec(t, `UPDATE products SET active = false WHERE id = $1`, f.productGone)
	_, err = f.db.CreateQuote(ctx, f.repA, crm.QuoteInput{CustomerID: f.custA, Lines: []crm.Line{ordLine(f.productGone, "5", "1", "1")}})
	if crm.FieldErrors(err)["line_product_0"] != "line.product_inactive" {
		t.Fatalf("inactive product: %v", err)
	}

	id, err := f.db.CreateOrder(ctx, f.repA, crm.OrderInput{CustomerID: f.custA, Lines: lines, Notes: "备注"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.db.OrderByID(ctx, f.repA, id)
	if err != nil {
		t.Fatal(err)
	}
	if o.OwnerID != f.repA.ID || o.DepartmentID != f.team1 || o.CustomerOwnerID != f.repA.ID || o.CustomerDepartmentID != f.team1 ||
		o.Status != crm.OrderDraft || o.Parent.Name != "ord客户A" {
		t.Fatalf("order %+v", o)
	}
	if !o.Total.Equal(decimal.RequireFromString("119.24")) || len(o.Lines) != 2 ||
		!o.Lines[0].Subtotal.Equal(decimal.RequireFromString("118.94")) || !o.Lines[1].Subtotal.Equal(decimal.RequireFromString("0.30")) {
		t.Fatalf("total %s lines %+v", o.Total, o.Lines)
	}
	// A product deactivated later stays on the document through edits.
	f.exec(t, `UPDATE products SET active = false WHERE id = $1`, f.productB)
	if err := f.db.UpdateOrder(ctx, f.repA, id, crm.OrderInput{Lines: lines}); err != nil {
		t.Fatalf("keeping a deactivated product: %v", err)
	}
	// The collaborator views it, read only.
	if _, err := f.db.OrderByID(ctx, f.repB, id); err != nil {
		t.Fatalf("collaborator: %v", err)
	}
	wantCode(t, f.db.UpdateOrder(ctx, f.repB, id, crm.OrderInput{Lines: lines}), crm.EFORBIDDEN, "")
	wantCode(t, f.db.SubmitOrder(ctx, f.repB, id), crm.EFORBIDDEN, "")
}

// TestOrderWorkflowStorage: submit → pending with the approver by the
// department rule; withdraw → draft; the decision once; approve moves the
// customer's figures and stage in the same transaction; locked orders
// refuse every change.
func TestOrderWorkflowStorage(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	approver := func(id int64) int64 {
		o, err := f.db.OrderByID(ctx, f.admin, id)
		if err != nil {
			t.Fatal(err)
		}
		return o.ApproverID
	}
	a := f.order(t, f.repA, f.custA)
	if err := f.db.SubmitOrder(ctx, f.repA, a); err != nil {
		t.Fatal(err)
	}
	if got := approver(a); got != f.lead.ID {
		t.Fatalf("approver %d, want the head of ord一组", got)
	}
	wantCode(t, f.db.SubmitOrder(ctx, f.repA, a), crm.ECONFLICT, "order.already_submitted")
	wantCode(t, f.db.UpdateOrder(ctx, f.admin, a, crm.OrderInput{Lines: []crm.Line{ordLine(f.productA, "1", "1", "1")}}), crm.EFORBIDDEN, "")
	wantCode(t, f.db.DeleteOrder(ctx, f.boss, a), crm.EFORBIDDEN, "")
	wantCode(t, f.db.ApproveOrder(ctx, f.mgr, a, ""), crm.EFORBIDDEN, "")  // a manager above the approver
	wantCode(t, f.db.ApproveOrder(ctx, f.repA, a, ""), crm.EFORBIDDEN, "") // the owner
	wantCode(t, f.db.ApproveOrder(ctx, f.repB, a, ""), crm.ENOTFOUND, "")
	wantCode(t, f.db.RejectOrder(ctx, f.lead, a, " "), crm.EINVALID, "")
	wantCode(t, f.db.WithdrawOrder(ctx, f.lead, a), crm.EFORBIDDEN, "")
	if err := f.db.WithdrawOrder(ctx, f.repA, a); err != nil {
		t.Fatal(err)
	}
	if got := approver(a); got != 0 {
		t.Fatalf("a withdrawn order keeps approver %d", got)
	}
	wantCode(t, f.db.WithdrawOrder(ctx, f.repA, a), crm.ECONFLICT, "order.not_pending")
	wantCode(t, f.db.ApproveOrder(ctx, f.boss, a, ""), crm.ECONFLICT, "order.not_pending")

	// ord二组 has no head: the head of ord销售部 approves.
	c := f.order(t, f.repC, f.custC)
	if err := f.db.SubmitOrder(ctx, f.repC, c); err != nil {
		t.Fatal(err)
	}
	if got := approver(c); got != f.mgr.ID {
		t.Fatalf("approver %d, want the head above", got)
	}
	if err := f.db.ApproveOrder(ctx, f.mgr, c, "好"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.db.RejectOrder(ctx, f.boss, c, "晚了"), crm.ECONFLICT, "order.already_decided")
	var amount decimal.Decimal
	var count int
	var stage string
	if err := f.db.Pool.QueryRow(ctx, `SELECT deal_amount, deal_count, stage FROM customers WHERE id = $1`, f.custC).
		Scan(&amount, &count, &stage); err != nil {
		t.Fatal(err)
	}
	if !amount.Equal(decimal.NewFromInt(100)) || count != 1 || stage != "won" {
		t.Fatalf("customer figures %s %d %s", amount, count, stage)
	}
	// No head anywhere: nobody assigned; management and admin decide.
	f.exec(t, `UPDATE departments SET head_id = NULL`)
	d := f.order(t, f.repA, f.custA)
	if err := f.db.SubmitOrder(ctx, f.repA, d); err != nil {
		t.Fatal(err)
	}
	if got := approver(d); got != 0 {
		t.Fatalf("approver %d, want none", got)
	}
	wantCode(t, f.db.ApproveOrder(ctx, f.lead, d, ""), crm.EFORBIDDEN, "")
	inbox, _, err := f.db.FindOrders(ctx, f.boss, crm.OrderFilter{Inbox: true})
	if err != nil || len(inbox) != 1 || inbox[0].ID != d {
		t.Fatalf("management's inbox: %v %v", inbox, err)
	}
	if n, err := f.db.PendingApprovals(ctx, f.admin); err != nil || n != 1 {
		t.Fatalf("admin's badge: %d %v", n, err)
	}
	if err := f.db.RejectOrder(ctx, f.admin, d, "缺合同"); err != nil {
		t.Fatal(err)
	}
	// Rejected: editable again, and resubmittable.
	if err := f.db.UpdateOrder(ctx, f.repA, d, crm.OrderInput{Lines: []crm.Line{ordLine(f.productA, "90", "1", "1")}}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SubmitOrder(ctx, f.repA, d); err != nil {
		t.Fatal(err)
	}
	o, _ := f.db.OrderByID(ctx, f.repA, d)
	if o.Status != crm.OrderPending || o.DecidedBy != 0 || o.DecisionComment != "" || !o.Total.Equal(decimal.NewFromInt(90)) {
		t.Fatalf("resubmitted %+v", o)
	}
}

// TestOrderDecisionRace: many deciders at once on the same order, through
// storage: exactly one decision, one history entry, one addition to the
// customer's figures.
func TestOrderDecisionRace(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	for round := range 8 {
		id := f.order(t, f.repA, f.custA)
		if err := f.db.SubmitOrder(ctx, f.repA, id); err != nil {
			t.Fatal(err)
		}
		deciders := []crm.Actor{f.lead, f.boss, f.admin, f.boss, f.lead}
		errs := make([]error, len(deciders))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, a := range deciders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if (i+round)%3 == 0 {
					errs[i] = f.db.RejectOrder(ctx, a, id, "否")
				} else {
					errs[i] = f.db.ApproveOrder(ctx, a, id, "")
				}
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch crm.ErrorCode(err) {
			case "":
				ok++
			case crm.ECONFLICT:
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d decisions", round, ok)
		}
		if n := countRows(t, f.db, fmt.Sprintf(`SELECT count(*) FROM history WHERE resource = 'order' AND record_id = %d AND action IN ('approve', 'reject')`, id)); n != 1 {
			t.Fatalf("round %d: %d history entries", round, n)
		}
	}
	want := countRows(t, f.db, fmt.Sprintf(`SELECT count(*) FROM orders WHERE customer_id = %d AND status = 'approved'`, f.custA))
	if got := countRows(t, f.db, fmt.Sprintf(`SELECT deal_count FROM customers WHERE id = %d`, f.custA)); got != want {
		t.Fatalf("deal count %d, approved orders %d", got, want)
	}
	if got := countRows(t, f.db, fmt.Sprintf(`SELECT (deal_amount = (SELECT coalesce(sum(total), 0) FROM orders WHERE customer_id = %d AND status = 'approved'))::int FROM customers WHERE id = %d`, f.custA, f.custA)); got != 1 {
		t.Fatal("deal amount differs from the approved orders")
	}
}

// TestQuoteOrderNumbersConcurrent: numbers are KIND-year-00001…, unique and
// without gaps when documents are created at the same moment.
func TestQuoteOrderNumbersConcurrent(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	const n = 30
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lines := []crm.Line{ordLine(f.productA, "1", "1", "1")}
			if i%3 == 0 {
				_, errs[i] = f.db.CreateQuote(ctx, f.repA, crm.QuoteInput{CustomerID: f.custA, Lines: lines})
			} else {
				_, errs[i] = f.db.CreateOrder(ctx, []crm.Actor{f.repA, f.lead, f.mgr, f.boss}[i%4], crm.OrderInput{CustomerID: f.custA, Lines: lines})
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	year := time.Now().In(crm.Zone).Year()
	for _, k := range []struct {
		table, prefix string
		n             int
	}{{"quotes", "BJ", n / 3}, {"orders", "DD", n - n/3}} {
		rows, err := f.db.Pool.Query(ctx, `SELECT number FROM `+k.table+` ORDER BY number`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			got = append(got, s)
		}
		rows.Close()
		var want []string
		for i := 1; i <= k.n; i++ {
			want = append(want, fmt.Sprintf("%s-%d-%05d", k.prefix, year, i))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s numbers %v", k.table, got)
		}
	}
}

// TestQuoteOrderListsAgreeWithPolicy: for every actor, FindQuotes and FindOrders
// (and their counts, and QuotesOf/OrdersOf) return exactly the documents
// crm.CanView allows — marketing none at all.
func TestQuoteOrderListsAgreeWithPolicy(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	for _, a := range []crm.Actor{f.repA, f.lead, f.mgr, f.repC, f.boss} {
		for _, c := range []int64{f.custA, f.custC} {
			if _, err := f.db.CreateQuote(ctx, a, crm.QuoteInput{CustomerID: c, Lines: []crm.Line{ordLine(f.productA, "1", "1", "1")}}); err != nil &&
				crm.ErrorCode(err) != crm.ENOTFOUND && crm.ErrorCode(err) != crm.EFORBIDDEN {
				t.Fatal(err)
			}
			if _, err := f.db.CreateOrder(ctx, a, crm.OrderInput{CustomerID: c, Lines: []crm.Line{ordLine(f.productA, "1", "1", "1")}}); err != nil &&
				crm.ErrorCode(err) != crm.ENOTFOUND && crm.ErrorCode(err) != crm.EFORBIDDEN {
				t.Fatal(err)
			}
		}
	}
	// A collaborator; and an approver outside the order's scope (ordrepc made
	// head of ord一组 approves an order of ord客户A, which it views only as
	// its approver).
	if err := f.db.AddCollaborator(ctx, f.admin, f.custC, f.repB.ID); err != nil {
		t.Fatal(err)
	}
	f.exec(t, `UPDATE departments SET head_id = $2 WHERE id = $1`, f.team1, f.repC.ID)
	pending := f.order(t, f.repA, f.custA)
	if err := f.db.SubmitOrder(ctx, f.repA, pending); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.OrderByID(ctx, f.repC, pending); err != nil {
		t.Fatalf("the approver does not view the order: %v", err)
	}
	allQ, _, err := f.db.FindQuotes(ctx, f.admin, crm.QuoteFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: crm.Page{PerPage: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	allO, _, err := f.db.FindOrders(ctx, f.admin, crm.OrderFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: crm.Page{PerPage: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(allQ) < 6 || len(allO) < 6 {
		t.Fatalf("%d quotes, %d orders", len(allQ), len(allO))
	}
	for _, a := range []crm.Actor{f.repA, f.repB, f.repC, f.lead, f.mgr, f.boss, f.admin, f.fin, f.mkt} {
		var wantQ, wantO []int64
		for _, q := range allQ {
			q.Collaborators, _ = ordCollabs(ctx, f.db, q.CustomerID)
			if crm.CanView(a, q.Record()) {
				wantQ = append(wantQ, q.ID)
			}
		}
		for _, o := range allO {
			o.Collaborators, _ = ordCollabs(ctx, f.db, o.CustomerID)
			if crm.CanView(a, o.Record()) {
				wantO = append(wantO, o.ID)
			}
		}
		gotQ, totQ, err := f.db.FindQuotes(ctx, a, crm.QuoteFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: crm.Page{PerPage: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		gotO, totO, err := f.db.FindOrders(ctx, a, crm.OrderFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: crm.Page{PerPage: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		if ids := ordIDs(gotQ, func(q crm.Quote) int64 { return q.ID }); !slices.Equal(ids, ordSorted(wantQ)) || totQ.N != len(wantQ) {
			t.Errorf("%s quotes %v (count %d), want %v", a.Username, ids, totQ.N, ordSorted(wantQ))
		}
		if ids := ordIDs(gotO, func(o crm.Order) int64 { return o.ID }); !slices.Equal(ids, ordSorted(wantO)) || totO.N != len(wantO) {
			t.Errorf("%s orders %v (count %d), want %v", a.Username, ids, totO.N, ordSorted(wantO))
		}
		if a.Role == crm.RoleMarketing && (len(wantQ) != 0 || len(gotO) != 0) {
			t.Error("marketing sees documents")
		}
		ofA, err := f.db.OrdersOf(ctx, a, f.custA)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range ofA.Rows {
			if !slices.Contains(wantO, o.ID) {
				t.Errorf("%s: OrdersOf shows order %d", a.Username, o.ID)
			}
		}
	}
}

func ordCollabs(ctx context.Context, db *postgres.DB, customer int64) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT employee_id FROM customer_collaborators WHERE customer_id = $1`, customer)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

func ordIDs[T any](list []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(list))
	for _, x := range list {
		out = append(out, id(x))
	}
	return ordSorted(out)
}

func ordSorted(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	if out == nil {
		out = []int64{}
	}
	return out
}

// TestOrderApprovalWinsOpportunity: approving an order for an opportunity
// moves the opportunity to 赢单 in the same transaction, with a history
// entry by the approver (stage from → to) — from 输单 too, since the
// approved order is the deal; an opportunity already won gets no second
// entry; rejecting moves nothing; the board's kept figures stay right.
func TestOrderApprovalWinsOpportunity(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	opp := func(name string, stage crm.OppStage) int64 {
		id, err := f.db.CreateOpportunity(ctx, f.repA, crm.OpportunityInput{Name: name, CustomerID: f.custA, Stage: stage,
			ExpectedAmount: decimal.NewFromInt(500)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	pending := func(oppID int64) int64 {
		id, err := f.db.CreateOrder(ctx, f.repA, crm.OrderInput{CustomerID: f.custA, OpportunityID: oppID,
			Lines: []crm.Line{ordLine(f.productA, "100", "1", "1")}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.db.SubmitOrder(ctx, f.repA, id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	stageOf := func(id int64) crm.OppStage {
		o, err := f.db.OpportunityByID(ctx, f.admin, id)
		if err != nil {
			t.Fatal(err)
		}
		return o.Stage
	}
	dealEntries := func(id int64) []crm.HistoryEntry {
		h, err := f.db.History(ctx, crm.ResOpportunity, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []crm.HistoryEntry
		for _, e := range h {
			if e.Action == "deal" {
				out = append(out, e)
			}
		}
		return out
	}
	drift := func() {
		t.Helper()
		if board, monthly, err := f.db.KeptFiguresDrift(ctx); err != nil || board != 0 || monthly != 0 {
			t.Fatalf("kept figures drift: board %d monthly %d %v", board, monthly, err)
		}
	}

	negotiating := opp("ord谈判中", crm.StageNegotiation)
	o1 := pending(negotiating)
	if err := f.db.ApproveOrder(ctx, f.lead, o1, ""); err != nil {
		t.Fatal(err)
	}
	if got := stageOf(negotiating); got != crm.StageWonDeal {
		t.Fatalf("stage after approval %s, want won", got)
	}
	e := dealEntries(negotiating)
	if len(e) != 1 || e[0].ActorID != f.lead.ID || len(e[0].Changes) != 1 ||
		e[0].Changes[0] != (crm.Change{Field: "stage_opportunity", Old: string(crm.StageNegotiation), New: string(crm.StageWonDeal)}) {
		t.Fatalf("history %+v", e)
	}
	drift()

	// Already won: a second approved order for it writes nothing more.
	o2 := pending(negotiating)
	if err := f.db.ApproveOrder(ctx, f.boss, o2, ""); err != nil {
		t.Fatal(err)
	}
	if n := len(dealEntries(negotiating)); n != 1 {
		t.Fatalf("%d deal entries on a won opportunity, want 1", n)
	}

	// Lost, then its order approved: won.
	lost := opp("ord已输", crm.StageInitial)
	o3 := pending(lost)
	if err := f.db.SetStage(ctx, f.repA, lost, crm.StageLost); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ApproveOrder(ctx, f.lead, o3, ""); err != nil {
		t.Fatal(err)
	}
	if got := stageOf(lost); got != crm.StageWonDeal {
		t.Fatalf("lost opportunity after approval: %s, want won", got)
	}
	if e := dealEntries(lost); len(e) != 1 || e[0].Changes[0].Old != string(crm.StageLost) {
		t.Fatalf("history %+v", e)
	}
	drift()

	// Rejected: the opportunity stays where it is.
	open := opp("ord方案", crm.StageProposal)
	o4 := pending(open)
	if err := f.db.RejectOrder(ctx, f.lead, o4, "再议"); err != nil {
		t.Fatal(err)
	}
	if got := stageOf(open); got != crm.StageProposal {
		t.Fatalf("rejected order moved the opportunity to %s", got)
	}
	// An order without an opportunity approves as before.
	o5 := pending(0)
	if err := f.db.ApproveOrder(ctx, f.lead, o5, ""); err != nil {
		t.Fatal(err)
	}
	drift()
}
