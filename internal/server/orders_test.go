package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// ordWorld is the acquisition world (newAcqWorld) with what orders need:
// department heads — 销售部: mgr, 一部: mgr1, 二部 none (its orders go up
// to mgr) —, a few products and customers.
type ordWorld struct {
	*acqWorld
	prod map[string]int64 // by SKU
}

// ordProducts are the test catalogue: SKU, name, list price.
var ordProducts = [][3]string{
	{"ORD-A", "ord甲产品", "100.00"},
	{"ORD-B", "ord乙产品", "19.99"},
	{"ORD-C", "ord丙产品", "0.10"},
	{"ORD-D", "ord丁产品", "0.01"},
	{"ORD-BIG", "ord大型设备", "99999999999.99"},
}

func newOrdWorld(t *testing.T) *ordWorld {
	t.Helper()
	w := &ordWorld{acqWorld: newAcqWorld(t), prod: map[string]int64{}}
	w.exec(`UPDATE departments SET head_id = $2 WHERE id = $1`, w.dept["销售部"], w.emp["mgr"])
	w.exec(`UPDATE departments SET head_id = $2 WHERE id = $1`, w.dept["一部"], w.emp["mgr1"])
	for _, p := range ordProducts {
		w.prod[p[0]] = int64(w.count(`INSERT INTO products (sku, name, unit, list_price) VALUES ($1, $2, '个', $3) RETURNING id`,
			p[0], p[1], p[2]))
	}
	return w
}

// customer creates a customer owned by its creator.
func (w *ordWorld) customer(owner, name string) int64 {
	w.t.Helper()
	id, err := w.DB.CreateCustomer(context.Background(), w.actor(owner), crm.CustomerInput{Name: name}, postgres.NewOwner{})
	if err != nil {
		w.t.Fatalf("customer %s: %v", name, err)
	}
	return id
}

// line is a line of product sku.
func (w *ordWorld) line(sku, price, discount, quantity string) crm.Line {
	return crm.Line{ProductID: w.prod[sku], UnitPrice: decimal.RequireFromString(price),
		Discount: decimal.RequireFromString(discount), Quantity: decimal.RequireFromString(quantity)}
}

// order creates a draft order as creator under customer.
func (w *ordWorld) order(creator string, customer int64, lines ...crm.Line) int64 {
	w.t.Helper()
	if len(lines) == 0 {
		lines = []crm.Line{w.line("ORD-A", "100", "1", "2")}
	}
	id, err := w.DB.CreateOrder(context.Background(), w.actor(creator), crm.OrderInput{CustomerID: customer, Lines: lines})
	if err != nil {
		w.t.Fatalf("order: %v", err)
	}
	return id
}

// submitted creates an order and submits it; it is pending.
func (w *ordWorld) submitted(creator string, customer int64, lines ...crm.Line) int64 {
	w.t.Helper()
	id := w.order(creator, customer, lines...)
	if err := w.DB.SubmitOrder(context.Background(), w.actor(creator), id); err != nil {
		w.t.Fatalf("submit: %v", err)
	}
	return id
}

// approved creates, submits and approves (as boss) an order.
func (w *ordWorld) approved(creator string, customer int64, lines ...crm.Line) int64 {
	w.t.Helper()
	id := w.submitted(creator, customer, lines...)
	if err := w.DB.ApproveOrder(context.Background(), w.actor("boss"), id, ""); err != nil {
		w.t.Fatalf("approve: %v", err)
	}
	return id
}

func ordPath(id int64, suffix string) string { return "/orders/" + strconv.FormatInt(id, 10) + suffix }

// lineForm is a line editor's posted rows: sku, price, discount, quantity
// per row (a SKU of "" leaves the product empty).
func (w *ordWorld) lineForm(rows ...[4]string) map[string][]string {
	f := map[string][]string{}
	for _, r := range rows {
		id := ""
		if r[0] != "" {
			id = strconv.FormatInt(w.prod[r[0]], 10)
		}
		f["line_product"] = append(f["line_product"], id)
		f["line_prev_product"] = append(f["line_prev_product"], id)
		f["line_price"] = append(f["line_price"], r[1])
		f["line_discount"] = append(f["line_discount"], r[2])
		f["line_quantity"] = append(f["line_quantity"], r[3])
	}
	return f
}

// docForm is a quote or order form for customer with the rows and extra
// fields (pairs).
func (w *ordWorld) docForm(customer int64, rows [][4]string, kv ...string) map[string][]string {
	f := w.lineForm(rows...)
	if customer != 0 {
		f["customer_id"] = []string{strconv.FormatInt(customer, 10)}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = append(f[kv[i]], kv[i+1])
	}
	return f
}

// ordNewID reads the id a 303 to /orders/ID or /quotes/ID names.
func ordNewID(t *testing.T, p *page) int64 {
	t.Helper()
	if p.Status != http.StatusSeeOther {
		t.Fatalf("%s %s: status %d, want 303\n%s", p.method, p.path, p.Status, abbreviate(p.Body))
	}
	parts := strings.Split(strings.TrimSuffix(p.Location, "/edit"), "/")
	id, err := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	if err != nil {
		t.Fatalf("location %q", p.Location)
	}
	return id
}

// TestOrderApproverRule: the approver is the head of the customer's
// current department, or of the nearest department above with a head; with
// none at all the approver is empty and only management and admin decide.
// The order's page says so before submitting.
func TestOrderApproverRule(t *testing.T) {
	w := newOrdWorld(t)
	ctx := context.Background()
	approver := func(id int64) int64 {
		return int64(w.count(`SELECT coalesce(approver_id, 0) FROM orders WHERE id = $1`, id))
	}

	// 一部 has a head: mgr1.
	c1 := w.customer("rep1", "ord一部客户")
	o1 := w.order("rep1", c1)
	w.clients["rep1"].get(ordPath(o1, "")).wantStatus(200).wantText(tid("order-approver"), "提交后由 测试mgr1 审批")
	w.clients["rep1"].post(ordPath(o1, "/submit"), form()).wantRedirect(ordPath(o1, ""))
	if got := approver(o1); got != w.emp["mgr1"] {
		t.Fatalf("approver %d, want mgr1", got)
	}
	w.clients["rep1"].get(ordPath(o1, "")).wantText(tid("order-approver"), "待 测试mgr1 审批")

	// 二部 has none: up to 销售部's head, mgr.
	c2 := w.customer("rep2", "ord二部客户")
	o2 := w.order("rep2", c2)
	w.clients["rep2"].get(ordPath(o2, "")).wantText(tid("order-approver"), "提交后由 测试mgr 审批")
	w.clients["rep2"].post(ordPath(o2, "/submit"), form()).wantStatus(303)
	if got := approver(o2); got != w.emp["mgr"] {
		t.Fatalf("approver %d, want mgr (walking up)", got)
	}

	// The customer's CURRENT department decides: a customer assigned from
	// 二部 to 一部 after the order was drafted goes to mgr1.
	c3 := w.customer("rep2", "ord转部门客户")
	o3 := w.order("rep2", c3)
	if err := w.DB.AssignCustomer(ctx, w.actor("boss"), c3, w.emp["rep1"]); err != nil {
		t.Fatal(err)
	}
	if err := w.DB.SubmitOrder(ctx, w.actor("boss"), o3); err != nil {
		t.Fatal(err)
	}
	if got := approver(o3); got != w.emp["mgr1"] {
		t.Fatalf("approver %d, want mgr1 (the customer's current department)", got)
	}

	// No head anywhere: NULL; the page says management decides; a sales
	// manager in scope may not, management may.
	w.exec(`UPDATE departments SET head_id = NULL`)
	c4 := w.customer("rep1", "ord无负责人客户")
	o4 := w.order("rep1", c4)
	w.clients["rep1"].get(ordPath(o4, "")).wantText(tid("order-approver"), "提交后由 管理层 审批")
	w.clients["rep1"].post(ordPath(o4, "/submit"), form()).wantStatus(303)
	if got := approver(o4); got != 0 {
		t.Fatalf("approver %d, want none", got)
	}
	w.clients["mgr1"].post(ordPath(o4, "/approve"), form()).wantStatus(403)
	w.clients["mgr"].post(ordPath(o4, "/approve"), form()).wantStatus(403)
	if p := w.clients["boss"].get("/approvals"); !p.has(fmt.Sprintf(`[data-testid="approval-row"][data-id="%d"]`, o4)) {
		t.Error("an order without approver is not in management's inbox")
	}
	w.clients["boss"].post(ordPath(o4, "/approve"), form()).wantStatus(303)

	// An inactive head does not approve: the rule walks past them.
	w.exec(`UPDATE departments SET head_id = $2 WHERE id = $1`, w.dept["一部"], w.emp["mgr1"])
	w.exec(`UPDATE departments SET head_id = $2 WHERE id = $1`, w.dept["销售部"], w.emp["mgr"])
	w.exec(`UPDATE employees SET active = false WHERE id = $1`, w.emp["mgr1"])
	o5 := w.order("rep1", c1)
	w.clients["rep1"].post(ordPath(o5, "/submit"), form()).wantStatus(303)
	if got := approver(o5); got != w.emp["mgr"] {
		t.Fatalf("approver %d, want mgr (the head of 一部 is inactive)", got)
	}
}

// TestOrderDecideOnlyApprover: of all roles only the assigned approver,
// management and admin approve or reject; everyone else gets 403 — the
// order's owner and a manager above the approver included — or 404 when
// they may not view the order at all.
func TestOrderDecideOnlyApprover(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord审批客户")
	want := roleCase{"admin": 303, "boss": 303, "mgr1": 303, "mgr": 403, "rep1": 403, "rep1b": 404, "rep2": 404, "mkt": 404, "fin": 403}
	cases := 0
	for _, act := range []string{"/approve", "/reject"} {
		for _, u := range acqUsers {
			id := w.submitted("rep1", c)
			p := w.clients[u.name].post(ordPath(id, act), form("comment", "意见"+u.name))
			cases++
			if p.Status != want[u.name] {
				t.Errorf("%s as %s: %d, want %d", act, u.name, p.Status, want[u.name])
			}
			status := "pending"
			if want[u.name] == 303 {
				status = map[string]string{"/approve": "approved", "/reject": "rejected"}[act]
			}
			if n := w.count(`SELECT count(*) FROM orders WHERE id = $1 AND status = $2`, id, status); n != 1 {
				t.Errorf("%s as %s: the order is not %s", act, u.name, status)
			}
		}
	}
	// A rejection needs a comment (422, the page marks the field); the
	// decision is kept with the comment and shown.
	id := w.submitted("rep1", c)
	w.clients["mgr1"].post(ordPath(id, "/reject"), form("comment", "  ")).wantStatus(422).
		wantText(tid("error-comment"), "驳回时请填写审批意见")
	w.clients["mgr1"].post(ordPath(id, "/reject"), form("comment", "折扣太低")).wantStatus(303)
	p := w.clients["rep1"].get(ordPath(id, "")).wantStatus(200)
	p.wantText(tid("order-comment"), "折扣太低").wantText(tid("order-status"), "已驳回")
	// Rejected: editable and resubmittable by the owner; it goes back to mgr1.
	w.clients["rep1"].get(ordPath(id, "/edit")).wantStatus(200).wantText(tid("rejected-box"), "折扣太低")
	if !p.has(tid("submit")) || !strings.Contains(p.text(tid("submit")), "重新提交") {
		t.Error("a rejected order's page does not offer 重新提交")
	}
	w.clients["rep1"].post(ordPath(id, "/submit"), form()).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM orders WHERE id = $1 AND status = 'pending' AND approver_id = $2 AND decided_by IS NULL`,
		id, w.emp["mgr1"]); n != 1 {
		t.Fatal("resubmitted order is not pending with mgr1")
	}
	// Withdraw: the owner may, the approver may not; then it is a draft.
	w.clients["mgr1"].post(ordPath(id, "/withdraw"), form()).wantStatus(403)
	w.clients["rep1"].post(ordPath(id, "/withdraw"), form()).wantStatus(303)
	w.clients["rep1"].post(ordPath(id, "/withdraw"), form()).wantStatus(409)
	w.clients["mgr1"].post(ordPath(id, "/approve"), form()).wantStatus(403) // withdrawn: no longer theirs to decide
	w.clients["boss"].post(ordPath(id, "/approve"), form()).wantStatus(409) // a draft is not waiting for a decision
	actions := strings.Join(w.historyActions(crm.ResOrder, id), ",")
	if actions != "create,submit,reject,submit,withdraw" {
		t.Errorf("history %s", actions)
	}
	t.Logf("decide: %d role cases", cases)
}

// historyActions lists a record's history actions, oldest first.
func (w *ordWorld) historyActions(res crm.Resource, id int64) []string {
	w.t.Helper()
	rows, err := w.DB.Pool.Query(context.Background(), `SELECT action FROM history WHERE resource = $1 AND record_id = $2 ORDER BY id`,
		string(res), id)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// TestOrderApprovalRace: the approver, management and admin approve (and
// one rejects) the same order at the same moment over HTTP; exactly one
// decision is made, recorded once in history and once in the customer's
// figures; the others are told it was decided already (409).
func TestOrderApprovalRace(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord并发客户")
	for round := range 6 {
		id := w.submitted("rep1", c, w.line("ORD-A", "100", "1", "1"))
		start := make(chan struct{})
		var wg sync.WaitGroup
		deciders := []string{"mgr1", "boss", "admin"}
		results := make([]*page, len(deciders))
		for i, u := range deciders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				act := "/approve"
				if round%2 == 1 && i == 0 {
					act = "/reject"
				}
				results[i] = w.clients[u].post(ordPath(id, act), form("comment", "并发"+u))
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, p := range results {
			switch p.Status {
			case http.StatusSeeOther:
				won++
			case http.StatusConflict:
				if !strings.Contains(p.Body, "已被审批") {
					t.Errorf("%s lost without the message: %s", deciders[i], abbreviate(p.Body))
				}
			default:
				t.Errorf("%s: %d", deciders[i], p.Status)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d decisions", round, won)
		}
		if n := w.count(`SELECT count(*) FROM history WHERE resource = 'order' AND record_id = $1 AND action IN ('approve', 'reject')`, id); n != 1 {
			t.Fatalf("round %d: %d decision history entries", round, n)
		}
	}
	approvedSum := w.count(`SELECT coalesce(sum(total), 0)::int FROM orders WHERE customer_id = $1 AND status = 'approved'`, c)
	approvedN := w.count(`SELECT count(*) FROM orders WHERE customer_id = $1 AND status = 'approved'`, c)
	if got := w.count(`SELECT deal_amount::int FROM customers WHERE id = $1`, c); got != approvedSum {
		t.Errorf("deal amount %d, approved orders %d", got, approvedSum)
	}
	if got := w.count(`SELECT deal_count FROM customers WHERE id = $1`, c); got != approvedN {
		t.Errorf("deal count %d, approved orders %d", got, approvedN)
	}
}

// TestOrderLockedEverywhere: a pending or approved order cannot be edited,
// updated, deleted or resubmitted by anyone, on any route: 403 for every
// role that may view it (admin and management included), 404 for the rest.
// Its page offers no edit or delete.
func TestOrderLockedEverywhere(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord锁定客户")
	pending := w.submitted("rep1", c)
	approved := w.approved("rep1", c)
	viewers := map[string]bool{"admin": true, "boss": true, "mgr": true, "mgr1": true, "rep1": true, "fin": true}
	cases := 0
	for _, id := range []int64{pending, approved} {
		for _, u := range acqUsers {
			want := 403
			if !viewers[u.name] {
				want = 404
			}
			c := w.clients[u.name]
			for _, rt := range []struct{ method, path string }{
				{"GET", ordPath(id, "/edit")},
				{"POST", ordPath(id, "")},
				{"POST", ordPath(id, "/delete")},
			} {
				var p *page
				if rt.method == "GET" {
					p = c.get(rt.path)
				} else {
					p = c.post(rt.path, w.docForm(0, [][4]string{{"ORD-A", "1", "1", "1"}}, "notes", "改"))
				}
				cases++
				if p.Status != want {
					t.Errorf("%s %s as %s: %d, want %d", rt.method, rt.path, u.name, p.Status, want)
				}
			}
			if viewers[u.name] {
				p := c.get(ordPath(id, "")).wantStatus(200)
				if p.has(tid("edit")) || p.has(tid("delete")) || p.has(tid("submit")) {
					t.Errorf("%s sees edit/delete/submit on a locked order", u.name)
				}
			}
		}
		// Submitting again: a lost race for those who could have submitted
		// it (409), not allowed for the others.
		w.clients["rep1"].post(ordPath(id, "/submit"), form()).wantStatus(409)
		w.clients["fin"].post(ordPath(id, "/submit"), form()).wantStatus(403)
	}
	if n := w.count(`SELECT count(*) FROM order_lines WHERE order_id = ANY($1) AND unit_price = 1`, []int64{pending, approved}); n != 0 {
		t.Fatal("a locked order's lines changed")
	}
	// Storage refuses as well, whoever asks.
	for _, u := range []string{"admin", "boss", "rep1"} {
		err := w.DB.UpdateOrder(context.Background(), w.actor(u), pending, crm.OrderInput{Lines: []crm.Line{w.line("ORD-A", "1", "1", "1")}})
		if crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("UpdateOrder as %s: %v", u, err)
		}
		if err := w.DB.DeleteOrder(context.Background(), w.actor(u), approved); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("DeleteOrder as %s: %v", u, err)
		}
	}
	t.Logf("locked: %d role×route cases", cases)
}

// TestOrderDealFigures: after many orders approved and rejected over HTTP,
// the 成交金额 and 成交次数 of every customer, of the lead it was converted
// from and of its campaign equal a direct SQL sum of the approved orders;
// a customer becomes 已成交客户 with its first approved order.
func TestOrderDealFigures(t *testing.T) {
	w := newOrdWorld(t)
	ctx := context.Background()
	camp, err := w.DB.CreateCampaign(ctx, w.actor("boss"), crm.CampaignInput{Name: "ord展会", Status: crm.CampaignActive,
		OwnerID: w.emp["rep1"]})
	if err != nil {
		t.Fatal(err)
	}
	// Two customers converted from leads of the campaign, one without.
	var customers []int64
	for _, name := range []string{"ord线索甲", "ord线索乙"} {
		lead, err := w.DB.CreateLead(ctx, w.actor("rep1"), crm.LeadInput{Name: name, Company: name + "公司", CampaignID: camp}, postgres.NewOwner{})
		if err != nil {
			t.Fatal(err)
		}
		cust, err := w.DB.ConvertLead(ctx, w.actor("rep1"), lead)
		if err != nil {
			t.Fatal(err)
		}
		customers = append(customers, cust)
	}
	customers = append(customers, w.customer("rep1", "ord直接客户"))
	if n := w.count(`SELECT count(*) FROM customers WHERE id = ANY($1) AND stage = 'potential'`, customers); n != 3 {
		t.Fatal("new customers are not 潜在客户")
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	skus := []string{"ORD-A", "ORD-B", "ORD-C", "ORD-D"}
	for i := range 30 {
		c := customers[i%len(customers)]
		var lines []crm.Line
		for range 1 + rnd.IntN(3) {
			sku := skus[rnd.IntN(len(skus))]
			lines = append(lines, w.line(sku, []string{"100", "19.99", "0.10", "0.01", "3333.33"}[rnd.IntN(5)],
				[]string{"1", "0.85", "0.9", "0.333"}[rnd.IntN(4)], strconv.Itoa(1+rnd.IntN(9))))
		}
		id := w.submitted("rep1", c, lines...)
		switch rnd.IntN(3) {
		case 0, 1:
			w.clients["mgr1"].post(ordPath(id, "/approve"), form()).wantStatus(303)
		case 2:
			w.clients["mgr1"].post(ordPath(id, "/reject"), form("comment", "不行")).wantStatus(303)
		}
	}
	check := func(label, got, want string) {
		t.Helper()
		var ok bool
		if err := w.DB.Pool.QueryRow(ctx, `SELECT (`+got+`) IS NOT DISTINCT FROM (`+want+`)`).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if !ok {
			var g, wa string
			_ = w.DB.Pool.QueryRow(ctx, `SELECT (`+got+`)::text, (`+want+`)::text`).Scan(&g, &wa)
			t.Errorf("%s: %s, want %s", label, g, wa)
		}
	}
	for _, c := range customers {
		id := strconv.FormatInt(c, 10)
		approved := `SELECT coalesce(sum(total), 0) FROM orders WHERE status = 'approved' AND customer_id = ` + id
		check("customer "+id+" 成交金额", `SELECT deal_amount FROM customers WHERE id = `+id, approved)
		check("customer "+id+" 成交次数", `SELECT deal_count FROM customers WHERE id = `+id,
			`SELECT count(*)::int FROM orders WHERE status = 'approved' AND customer_id = `+id)
		check("customer "+id+" stage", `SELECT stage FROM customers WHERE id = `+id,
			`SELECT CASE WHEN EXISTS (SELECT 1 FROM orders WHERE status = 'approved' AND customer_id = `+id+`) THEN 'won' ELSE 'potential' END`)
	}
	check("lead 成交金额", `SELECT sum(deal_amount) FROM leads WHERE campaign_id = `+strconv.FormatInt(camp, 10),
		`SELECT coalesce(sum(o.total), 0) FROM orders o JOIN customers c ON c.id = o.customer_id JOIN leads l ON l.id = c.lead_id
		 WHERE o.status = 'approved' AND l.campaign_id = `+strconv.FormatInt(camp, 10))
	check("lead 成交次数", `SELECT sum(deal_count)::int FROM leads WHERE campaign_id = `+strconv.FormatInt(camp, 10),
		`SELECT count(*)::int FROM orders o JOIN customers c ON c.id = o.customer_id JOIN leads l ON l.id = c.lead_id
		 WHERE o.status = 'approved' AND l.campaign_id = `+strconv.FormatInt(camp, 10))
	check("campaign 成交金额", `SELECT deal_amount FROM campaigns WHERE id = `+strconv.FormatInt(camp, 10),
		`SELECT coalesce(sum(o.total), 0) FROM orders o JOIN customers c ON c.id = o.customer_id
		 WHERE o.status = 'approved' AND c.campaign_id = `+strconv.FormatInt(camp, 10))
	// The pages show the figures.
	var amount decimal.Decimal
	if err := w.DB.Pool.QueryRow(ctx, `SELECT deal_amount FROM customers WHERE id = $1`, customers[0]).Scan(&amount); err != nil {
		t.Fatal(err)
	}
	w.clients["rep1"].get("/customers/"+strconv.FormatInt(customers[0], 10)).wantStatus(200).
		wantText(tid("deal-amount"), crm.FormatMoney(amount))
	// Each approval is in the customer's history.
	if n := w.count(`SELECT count(*) FROM history WHERE resource = 'customer' AND action = 'deal' AND record_id = ANY($1)`, customers); n !=
		w.count(`SELECT count(*) FROM orders WHERE status = 'approved' AND customer_id = ANY($1)`, customers) {
		t.Errorf("customer history holds %d approvals", n)
	}
}

// TestOrderDeleteAndMoney: a draft order is deleted by its owner; an order
// with a payment is refused (409, saying why).
func TestOrderDeleteAndMoney(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord删除客户")
	draft := w.order("rep1", c)
	w.clients["rep1b"].post(ordPath(draft, "/delete"), form()).wantStatus(404)
	w.clients["fin"].post(ordPath(draft, "/delete"), form()).wantStatus(403)
	w.clients["rep1"].post(ordPath(draft, "/delete"), form()).wantRedirect("/orders")
	if n := w.count(`SELECT count(*) FROM orders WHERE id = $1`, draft); n != 0 {
		t.Fatal("not deleted")
	}
	// A rejected order that already has a payment recorded against it
	// (recorded while it was approved in an earlier life, as the data
	// allows) is kept.
	withPay := w.submitted("rep1", c)
	w.clients["mgr1"].post(ordPath(withPay, "/reject"), form("comment", "补充材料")).wantStatus(303)
	w.exec(`INSERT INTO payments (order_id, customer_id, amount, paid_on, created_by) VALUES ($1, $2, 1, current_date, $3)`,
		withPay, c, w.emp["rep1"])
	w.clients["rep1"].post(ordPath(withPay, "/delete"), form()).wantStatus(409).wantText(tid("form-error"), "已有回款单或开票单")
}

// TestOrderNumbers: order and quote numbers are DD-/BJ-year-five digits,
// unique and consecutive even when many are created at the same moment.
func TestOrderNumbers(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord编号客户")
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := []string{"rep1", "mgr1", "boss", "admin"}[i%4]
			path := "/orders"
			if i%2 == 1 {
				path = "/quotes"
			}
			p := w.clients[u].post(path, w.docForm(c, [][4]string{{"ORD-A", "100", "1", "1"}}))
			if p.Status != http.StatusSeeOther {
				t.Errorf("create %s as %s: %d %s", path, u, p.Status, abbreviate(p.Body))
			}
		}()
	}
	wg.Wait()
	year := w.count(`SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int`)
	for _, kind := range []struct{ table, prefix string }{{"orders", "DD"}, {"quotes", "BJ"}} {
		rows, err := w.DB.Pool.Query(context.Background(), `SELECT number FROM `+kind.table+` ORDER BY number`)
		if err != nil {
			t.Fatal(err)
		}
		var numbers []string
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			numbers = append(numbers, s)
		}
		rows.Close()
		if len(numbers) != n/2 {
			t.Fatalf("%s: %d documents", kind.table, len(numbers))
		}
		for i, s := range numbers {
			if want := fmt.Sprintf("%s-%d-%05d", kind.prefix, year, i+1); s != want {
				t.Errorf("%s: number %d is %s, want %s", kind.table, i, s, want)
			}
		}
	}
}

// TestOrderApprovalWinsOpportunityOverHTTP: the approver approves an order
// made for an opportunity in 谈判审核; the opportunity's page then shows
// 赢单, and its history the change by the approver.
func TestOrderApprovalWinsOpportunityOverHTTP(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord机会客户")
	opp, err := w.DB.CreateOpportunity(context.Background(), w.actor("rep1"), crm.OpportunityInput{Name: "ord大单机会",
		CustomerID: c, Stage: crm.StageNegotiation})
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.DB.CreateOrder(context.Background(), w.actor("rep1"), crm.OrderInput{CustomerID: c, OpportunityID: opp,
		Lines: []crm.Line{w.line("ORD-A", "100", "1", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	w.clients["rep1"].post(ordPath(id, "/submit"), form()).wantStatus(303)
	w.clients["mgr1"].post(ordPath(id, "/approve"), form("comment", "同意")).wantStatus(303)
	p := w.clients["rep1"].get(fmtPath("/opportunities/%d", opp)).wantStatus(200)
	p.wantText(tid("opportunity-stage"), "赢单")
	p.wantText(tid("history"), "测试mgr1").wantText(tid("history"), "谈判审核").wantText(tid("history"), "赢单")
	if got := strings.Join(w.historyActions(crm.ResOpportunity, opp), ","); got != "create,deal" {
		t.Errorf("opportunity history %s", got)
	}
}
