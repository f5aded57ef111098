package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// dashWorld is generated data for the dashboard tests: an organisation
//
//	销售部 (mgr) ─┬─ 一部 (mgr1): rep1, rep1b
//	             └─ 二部: rep2
//	市场部: mkt    财务部: fin    boss (management), admin
//
// and a few hundred of every record, owned, created, pooled, collaborated
// on and dated at random over the last fourteen months (some today, some
// this week). Each table is loaded back with what the policy needs, so the
// tests can compute every figure the other way: crm.CanView in Go over all
// the rows, then sums.
type dashWorld struct {
	db     *postgres.DB
	dept   map[string]int64
	actors map[string]crm.Actor
	now    time.Time

	leads, customers, opps, orders, payments, followUps, campaigns []dashRow
}

// dashRow is one generated record as the oracle sees it.
type dashRow struct {
	rec      crm.Record
	id       int64
	at       time.Time // created, decided (orders), paid on (payments), followed (follow-ups)
	status   string    // order status, lead status, opportunity stage
	option   int64     // source (leads), level (customers)
	campaign int64
	amount   decimal.Decimal // order total, payment amount, opportunity expected amount, customer deal amount
	paid     decimal.Decimal // orders
	next     *time.Time      // leads, customers: next follow-up
	last     *time.Time
	confirm  bool // payments
	start    *time.Time
	end      *time.Time // campaigns
	cost     decimal.Decimal
}

func newDashWorld(t *testing.T, seed uint64) *dashWorld {
	t.Helper()
	ctx := context.Background()
	db := testdb.New(t)
	w := &dashWorld{db: db, dept: map[string]int64{}, actors: map[string]crm.Actor{}, now: time.Now()}
	w.dept["销售部"] = mustDept(t, db, "销售部", 0)
	w.dept["一部"] = mustDept(t, db, "一部", w.dept["销售部"])
	w.dept["二部"] = mustDept(t, db, "二部", w.dept["销售部"])
	w.dept["市场部"] = mustDept(t, db, "市场部", 0)
	w.dept["财务部"] = mustDept(t, db, "财务部", 0)
	for _, u := range []struct {
		name string
		role crm.Role
		dept string
	}{{"admin", crm.RoleAdmin, ""}, {"boss", crm.RoleManagement, ""}, {"mgr", crm.RoleSalesManager, "销售部"},
		{"mgr1", crm.RoleSalesManager, "一部"}, {"rep1", crm.RoleSalesRep, "一部"}, {"rep1b", crm.RoleSalesRep, "一部"},
		{"rep2", crm.RoleSalesRep, "二部"}, {"mkt", crm.RoleMarketing, "市场部"}, {"fin", crm.RoleFinance, "财务部"}} {
		w.actors[u.name] = custActor(t, db, mustEmp(t, db, "dash"+u.name, u.role, w.dept[u.dept]))
	}
	rng := rand.New(rand.NewPCG(seed, 6))
	var people []crm.Actor
	for _, n := range []string{"mgr", "mgr1", "rep1", "rep1b", "rep2", "mkt", "boss", "fin"} {
		people = append(people, w.actors[n])
	}
	person := func() crm.Actor { return people[rng.IntN(len(people))] }
	depts := []int64{0, w.dept["销售部"], w.dept["一部"], w.dept["二部"]}
	// when is a moment in the last ~14 months, a good share of them this
	// week and today (and some in the next days, for reminders).
	when := func() time.Time {
		switch rng.IntN(6) {
		case 0:
			return w.now.Add(-time.Duration(rng.IntN(6*24)) * time.Hour)
		case 1:
			return w.now.Add(-time.Duration(rng.IntN(20*60)) * time.Minute)
		}
		return w.now.Add(-time.Duration(rng.IntN(420*24)) * time.Hour)
	}
	money := func(max int) decimal.Decimal { return decimal.New(int64(1+rng.IntN(max*100)), -2) }
	opts := func(kind string) []int64 {
		rows, err := db.Pool.Query(ctx, `SELECT id FROM options WHERE kind = $1`, kind)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	sources, levels := opts("source"), opts("customer_level")
	pick := func(ids []int64) int64 {
		if rng.IntN(5) == 0 {
			return 0
		}
		return ids[rng.IntN(len(ids))]
	}
	exec := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	nul := func(v int64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	ownerDept := func() (owner, dept int64) {
		if rng.IntN(6) == 0 { // in a pool
			return 0, depts[rng.IntN(len(depts))]
		}
		p := person()
		return p.ID, p.DepartmentID
	}

	// Campaigns, some running in the period, some long over.
	for i := range 8 {
		owner := []crm.Actor{w.actors["mkt"], w.actors["boss"], w.actors["rep1"], w.actors["mgr1"]}[i%4]
		r := dashRow{rec: crm.Record{Resource: crm.ResCampaign, OwnerID: owner.ID, DepartmentID: owner.DepartmentID, CreatedBy: owner.ID},
			cost: decimal.NewFromInt(int64([]int{0, 1000, 25000}[i%3]))}
		if i%3 != 0 {
			s := dayOf(w.now.AddDate(0, -[]int{1, 3, 16}[i%3], 0))
			e := s.AddDate(0, 0, []int{10, 200, 30}[i%3])
			r.start, r.end = &s, &e
		}
		r.id = exec(`INSERT INTO campaigns (name, status, start_date, end_date, actual_cost, owner_id, department_id, created_by)
			VALUES ($1, 'active', $2, $3, $4, $5, $6, $5) RETURNING id`, fmt.Sprintf("活动%d", i), dateOrNil(r.start), dateOrNil(r.end),
			r.cost, owner.ID, nul(owner.DepartmentID))
		w.campaigns = append(w.campaigns, r)
	}
	campaign := func() int64 {
		if rng.IntN(3) == 0 {
			return 0
		}
		return w.campaigns[rng.IntN(len(w.campaigns))].id
	}
	nextLast := func() (next, last *time.Time) {
		if rng.IntN(4) == 0 {
			return nil, nil
		}
		n := w.now.Add(time.Duration(rng.IntN(10*24)-7*24) * time.Hour)
		if rng.IntN(4) == 0 {
			n = dayOf(w.now).Add(time.Duration(rng.IntN(24*60)) * time.Minute) // some time today
		}
		next = &n
		if rng.IntN(2) == 0 {
			l := n.Add(time.Duration(rng.IntN(4*24)-2*24) * time.Hour)
			last = &l
		}
		return next, last
	}

	// Leads.
	for range 300 {
		o, d := ownerDept()
		r := dashRow{rec: crm.Record{Resource: crm.ResLead, OwnerID: o, DepartmentID: d, CreatedBy: person().ID},
			at: when(), option: pick(sources), campaign: campaign(), status: []string{"new", "following", "invalid"}[rng.IntN(3)]}
		r.next, r.last = nextLast()
		r.id = exec(`INSERT INTO leads (name, source_id, campaign_id, status, next_follow_up_at, last_follow_up_at, owner_id, department_id,
			created_by, created_at) VALUES ('线索', $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			nul(r.option), nul(r.campaign), r.status, r.next, r.last, nul(o), nul(d), r.rec.CreatedBy, r.at)
		w.leads = append(w.leads, r)
	}
	// Customers, with collaborators.
	for range 300 {
		o, d := ownerDept()
		r := dashRow{rec: crm.Record{Resource: crm.ResCustomer, OwnerID: o, DepartmentID: d, CreatedBy: person().ID},
			at: when(), option: pick(levels), campaign: campaign(), amount: decimal.Zero}
		r.next, r.last = nextLast()
		r.id = exec(`INSERT INTO customers (name, level_id, campaign_id, next_follow_up_at, last_follow_up_at, owner_id, department_id,
			created_by, created_at) VALUES ('客户', $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			nul(r.option), nul(r.campaign), r.next, r.last, nul(o), nul(d), r.rec.CreatedBy, r.at)
		for range rng.IntN(3) / 2 * (1 + rng.IntN(2)) {
			c := person().ID
			if c != o && !slices.Contains(r.rec.Collaborators, c) {
				r.rec.Collaborators = append(r.rec.Collaborators, c)
				if _, err := db.Pool.Exec(ctx, `INSERT INTO customer_collaborators (customer_id, employee_id) VALUES ($1, $2)`, r.id, c); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.customers = append(w.customers, r)
	}
	under := func(res crm.Resource) (dashRow, int) {
		i := rng.IntN(len(w.customers))
		cu := w.customers[i].rec
		o, d := ownerDept()
		if o == 0 {
			p := person()
			o, d = p.ID, p.DepartmentID
		}
		return dashRow{rec: crm.Record{Resource: res, OwnerID: o, DepartmentID: d, CreatedBy: person().ID,
			CustomerID: w.customers[i].id, CustomerOwnerID: cu.OwnerID, CustomerDepartmentID: cu.DepartmentID,
			Collaborators: cu.Collaborators}}, i
	}
	// Opportunities.
	for range 300 {
		r, _ := under(crm.ResOpportunity)
		r.at, r.status, r.amount = when(), string(crm.OppStages[rng.IntN(len(crm.OppStages))]), money(500000)
		r.id = exec(`INSERT INTO opportunities (name, customer_id, stage, expected_amount, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id, created_at) VALUES ('机会', $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			r.rec.CustomerID, r.status, r.amount, nul(r.rec.OwnerID), nul(r.rec.DepartmentID), r.rec.CreatedBy,
			nul(r.rec.CustomerOwnerID), nul(r.rec.CustomerDepartmentID), r.at)
		w.opps = append(w.opps, r)
	}
	// Orders in every status; approved ones with payments, some confirmed.
	approvers := []int64{0, w.actors["mgr"].ID, w.actors["mgr1"].ID, w.actors["boss"].ID}
	for i := range 250 {
		r, ci := under(crm.ResOrder)
		r.status = string(crm.OrderStatuses[rng.IntN(len(crm.OrderStatuses))])
		r.amount, r.paid = money(300000), decimal.Zero
		if r.status != string(crm.OrderDraft) {
			r.rec.ApproverID = approvers[rng.IntN(len(approvers))]
		}
		var decided *time.Time
		if r.status == string(crm.OrderApproved) || r.status == string(crm.OrderRejected) {
			d := when()
			decided, r.at = &d, d
		}
		r.id = exec(`INSERT INTO orders (number, customer_id, status, total, approver_id, decided_at, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			fmt.Sprintf("DD-T-%05d", i), r.rec.CustomerID, r.status, r.amount, nul(r.rec.ApproverID), decided,
			nul(r.rec.OwnerID), nul(r.rec.DepartmentID), r.rec.CreatedBy, nul(r.rec.CustomerOwnerID), nul(r.rec.CustomerDepartmentID))
		if r.status == string(crm.OrderApproved) {
			w.customers[ci].amount = w.customers[ci].amount.Add(r.amount)
			for range rng.IntN(3) {
				p, _ := under(crm.ResPayment)
				p.rec.CustomerID, p.rec.CustomerOwnerID, p.rec.CustomerDepartmentID, p.rec.Collaborators =
					r.rec.CustomerID, r.rec.CustomerOwnerID, r.rec.CustomerDepartmentID, r.rec.Collaborators
				p.amount, p.confirm = decimal.Min(money(150000), r.amount.Div(decimal.NewFromInt(3)).Round(2)), rng.IntN(3) > 0
				p.at = dayOf(when())
				if !p.amount.IsPositive() {
					continue
				}
				p.id = exec(`INSERT INTO payments (order_id, customer_id, amount, paid_on, confirmed, owner_id, department_id, created_by,
					customer_owner_id, customer_department_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
					r.id, p.rec.CustomerID, p.amount, p.at.Format("2006-01-02"), p.confirm, nul(p.rec.OwnerID), nul(p.rec.DepartmentID),
					p.rec.CreatedBy, nul(p.rec.CustomerOwnerID), nul(p.rec.CustomerDepartmentID))
				if p.confirm {
					r.paid = r.paid.Add(p.amount)
				}
				w.payments = append(w.payments, p)
			}
			if _, err := db.Pool.Exec(ctx, `UPDATE orders SET paid_amount = $2 WHERE id = $1`, r.id, r.paid); err != nil {
				t.Fatal(err)
			}
		}
		w.orders = append(w.orders, r)
	}
	// The customers' 成交金额 as the approvals keep it (the triggers carry
	// it to the campaigns).
	for _, c := range w.customers {
		if _, err := db.Pool.Exec(ctx, `UPDATE customers SET deal_amount = $2 WHERE id = $1`, c.id, c.amount); err != nil {
			t.Fatal(err)
		}
	}
	// Follow-ups on leads and customers.
	for range 400 {
		var r dashRow
		if rng.IntN(3) == 0 {
			l := w.leads[rng.IntN(len(w.leads))]
			p := person()
			r = dashRow{rec: crm.Record{Resource: crm.ResFollowUp, OwnerID: p.ID, DepartmentID: p.DepartmentID, CreatedBy: p.ID,
				CustomerOwnerID: l.rec.OwnerID, CustomerDepartmentID: l.rec.DepartmentID}, at: when()}
			r.id = exec(`INSERT INTO follow_ups (lead_id, content, followed_at, owner_id, department_id, created_by, customer_owner_id,
				customer_department_id) VALUES ($1, '跟进', $2, $3, $4, $3, $5, $6) RETURNING id`, l.id, r.at, p.ID, nul(p.DepartmentID),
				nul(l.rec.OwnerID), nul(l.rec.DepartmentID))
		} else {
			r, _ = under(crm.ResFollowUp)
			r.rec.CreatedBy, r.at = r.rec.OwnerID, when()
			r.id = exec(`INSERT INTO follow_ups (customer_id, content, followed_at, owner_id, department_id, created_by, customer_owner_id,
				customer_department_id) VALUES ($1, '跟进', $2, $3, $4, $3, $5, $6) RETURNING id`, r.rec.CustomerID, r.at,
				r.rec.OwnerID, nul(r.rec.DepartmentID), nul(r.rec.CustomerOwnerID), nul(r.rec.CustomerDepartmentID))
		}
		w.followUps = append(w.followUps, r)
	}
	return w
}

func dayOf(t time.Time) time.Time {
	t = t.In(crm.Zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, crm.Zone)
}

func dateOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format("2006-01-02")
}

// dashOracle computes the dashboard the other way round: every row of the
// generated data, kept when crm.CanView lets the actor view it and the
// filter's department and owner match, summed in Go.
type dashOracle struct {
	w *dashWorld
	a crm.Actor
	f crm.DashboardFilter
}

func (o dashOracle) keep(r dashRow) bool {
	return crm.CanView(o.a, r.rec) && (o.f.DepartmentID == 0 || r.rec.DepartmentID == o.f.DepartmentID) &&
		(o.f.OwnerID == 0 || r.rec.OwnerID == o.f.OwnerID)
}

func within(t, from, to time.Time) bool {
	return !t.Before(dayOf(from)) && t.Before(dayOf(to).AddDate(0, 0, 1))
}

func (o dashOracle) dashboard() crm.Dashboard {
	w, f := o.w, o.f
	d := crm.Dashboard{Deal: crm.Figure{Amount: decimal.Zero}, Paid: crm.Figure{Amount: decimal.Zero},
		Outstanding: crm.Figure{Amount: decimal.Zero}}
	add := func(fig *crm.Figure, v decimal.Decimal) { fig.Amount = fig.Amount.Add(v); fig.Count++ }
	today := dayOf(f.Now)
	months := f.TrendMonths()
	for _, m := range months {
		d.Trend = append(d.Trend, crm.MonthFigures{Month: m, Deal: crm.Figure{Amount: decimal.Zero}, Paid: crm.Figure{Amount: decimal.Zero}})
	}
	month := func(t time.Time) int {
		for i, m := range months {
			if !t.Before(m) && t.Before(m.AddDate(0, 1, 0)) {
				return i
			}
		}
		return -1
	}
	for _, b := range crm.AgeBuckets {
		d.Receivables = append(d.Receivables, crm.AgeBucket{Key: b.Key, Figure: crm.Figure{Amount: decimal.Zero}})
	}
	for _, r := range w.orders {
		// 待我审批 is the actor's inbox, whatever the filters.
		if r.status == "pending" && crm.CanSeeArea(o.a, crm.AreaApprovals) && (r.rec.ApproverID == o.a.ID ||
			(r.rec.ApproverID == 0 && (o.a.Role == crm.RoleManagement || o.a.Role == crm.RoleAdmin))) {
			d.Approvals++
		}
		if !o.keep(r) || r.status != "approved" {
			continue
		}
		if within(r.at, f.From, f.To) {
			add(&d.Deal, r.amount)
		}
		if i := month(r.at); i >= 0 {
			add(&d.Trend[i].Deal, r.amount)
		}
		if r.paid.LessThan(r.amount) {
			age := int(today.Sub(dayOf(r.at)).Hours()/24 + 0.5)
			i := 2
			if age <= 30 {
				i = 0
			} else if age <= 90 {
				i = 1
			}
			add(&d.Receivables[i].Figure, r.amount.Sub(r.paid))
			add(&d.Outstanding, r.amount.Sub(r.paid))
		}
	}
	for _, r := range w.payments {
		if !o.keep(r) || !r.confirm {
			continue
		}
		if within(r.at, f.From, f.To) {
			add(&d.Paid, r.amount)
		}
		if i := month(r.at); i >= 0 {
			add(&d.Trend[i].Paid, r.amount)
		}
	}
	group := func(rows []dashRow) (n int, by map[int64]int) {
		by = map[int64]int{}
		for _, r := range rows {
			if o.keep(r) && within(r.at, f.From, f.To) {
				n++
				by[r.option]++
			}
		}
		return n, by
	}
	var sources, levels map[int64]int
	d.NewLeads, sources = group(w.leads)
	d.NewCustomers, levels = group(w.customers)
	for id, n := range sources {
		d.Sources = append(d.Sources, crm.OptionCount{ID: id, Count: n})
	}
	for id, n := range levels {
		d.Levels = append(d.Levels, crm.OptionCount{ID: id, Count: n})
	}
	mon, sun := f.Week()
	for _, r := range w.followUps {
		if o.keep(r) && within(r.at, mon, sun) {
			d.WeekFollowUps++
		}
	}
	for _, s := range crm.OppStages {
		st := crm.StageFigures{Stage: s, Amount: decimal.Zero}
		for _, r := range w.opps {
			if o.keep(r) && r.status == string(s) && within(r.at, f.From, f.To) {
				st.Count++
				st.Amount = st.Amount.Add(r.amount)
			}
		}
		d.Funnel = append(d.Funnel, st)
	}
	// Ranking: per owner, in the period.
	if crm.DashboardTeam(o.a) {
		by := map[int64]*crm.RankRow{}
		row := func(id int64) *crm.RankRow {
			if by[id] == nil {
				by[id] = &crm.RankRow{EmployeeID: id, Deal: crm.Figure{Amount: decimal.Zero}, Paid: crm.Figure{Amount: decimal.Zero}}
			}
			return by[id]
		}
		for _, r := range w.orders {
			if o.keep(r) && r.status == "approved" && r.rec.OwnerID != 0 && within(r.at, f.From, f.To) {
				add(&row(r.rec.OwnerID).Deal, r.amount)
			}
		}
		for _, r := range w.payments {
			if o.keep(r) && r.confirm && r.rec.OwnerID != 0 && within(r.at, f.From, f.To) {
				add(&row(r.rec.OwnerID).Paid, r.amount)
			}
		}
		for _, r := range w.followUps {
			if o.keep(r) && r.rec.OwnerID != 0 && within(r.at, f.From, f.To) {
				row(r.rec.OwnerID).FollowUps++
			}
		}
		for _, r := range by {
			d.Ranking = append(d.Ranking, *r)
		}
	}
	// Reminders.
	due := func(rows []dashRow, res crm.Resource, overdue bool) int {
		n := 0
		for _, r := range rows {
			if !o.keep(r) || r.next == nil || (r.last != nil && !r.last.Before(*r.next)) || (res == crm.ResLead && r.status == "invalid") {
				continue
			}
			if f.OwnReminders && r.rec.OwnerID != o.a.ID {
				continue
			}
			if overdue && r.next.Before(today) || !overdue && within(*r.next, today, today) {
				n++
			}
		}
		return n
	}
	d.DueToday.Leads.N, d.DueToday.Customers.N = due(w.leads, crm.ResLead, false), due(w.customers, crm.ResCustomer, false)
	d.Overdue.Leads.N, d.Overdue.Customers.N = due(w.leads, crm.ResLead, true), due(w.customers, crm.ResCustomer, true)
	return d
}

// campaignFigures is the oracle of the campaign table: every campaign the
// actor may view that runs in the period, with 线索数, 客户数 and 成交金额
// over the leads and customers the actor may view (and the filters keep).
func (o dashOracle) campaignFigures() map[int64]crm.Campaign {
	out := map[int64]crm.Campaign{}
	for _, c := range o.w.campaigns {
		if !crm.CanView(o.a, c.rec) || (c.start != nil && c.start.After(dayOf(o.f.To))) || (c.end != nil && c.end.Before(dayOf(o.f.From))) {
			continue
		}
		x := crm.Campaign{ID: c.id, ActualCost: c.cost, DealAmount: decimal.Zero}
		for _, l := range o.w.leads {
			if l.campaign == c.id && o.keep(l) {
				x.LeadCount++
			}
		}
		for _, cu := range o.w.customers {
			if cu.campaign == c.id && o.keep(cu) {
				x.CustomerCount++
				x.DealAmount = x.DealAmount.Add(cu.amount)
			}
		}
		out[c.id] = x
	}
	return out
}

func allSections() map[crm.DashboardSection]bool {
	out := map[crm.DashboardSection]bool{}
	for _, s := range crm.DashboardSections {
		out[s] = true
	}
	return out
}

// TestDashboardFiguresEqualDirectComputation: for a rep, a manager,
// marketing, finance and management — and with the department and
// salesperson filters — every figure of the dashboard equals the same
// figure computed from all the rows with the policy in Go.
func TestDashboardFiguresEqualDirectComputation(t *testing.T) {
	w := newDashWorld(t, 2026)
	ctx := context.Background()
	year := time.Date(w.now.In(crm.Zone).Year(), 1, 1, 0, 0, 0, 0, crm.Zone)
	periods := []struct{ from, to time.Time }{
		{dayOf(w.now).AddDate(0, 0, -200), dayOf(w.now)},
		{year, year.AddDate(1, 0, -1)},
		{dayOf(w.now).AddDate(0, 0, -6), dayOf(w.now)},
	}
	cases := []struct {
		who         string
		dept, owner string // filters
	}{
		{"rep1", "", ""}, {"rep2", "", ""},
		{"mgr", "", ""}, {"mgr", "一部", ""}, {"mgr", "", "rep1"}, {"mgr1", "", ""},
		{"mkt", "", ""}, {"mkt", "二部", ""},
		{"fin", "", ""}, {"fin", "销售部", ""},
		{"boss", "", ""}, {"boss", "一部", "rep1b"}, {"admin", "", "rep2"},
	}
	for _, c := range cases {
		for pi, p := range periods {
			a := w.actors[c.who]
			f := crm.DashboardFilter{From: p.from, To: p.to, Now: w.now, DepartmentID: w.dept[c.dept], Sections: allSections(),
				OwnReminders: !crm.DashboardTeam(a)}
			if c.owner != "" {
				f.OwnerID = w.actors[c.owner].ID
			}
			name := fmt.Sprintf("%s/%s/%s/period%d", c.who, c.dept, c.owner, pi)
			got, err := w.db.Dashboard(ctx, a, f)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := dashOracle{w, a, f}.dashboard()
			if c.who == "boss" && c.dept == "" && pi == 0 && (want.Deal.Count == 0 || want.Paid.Count == 0 || want.NewLeads == 0 ||
				want.WeekFollowUps == 0 || want.DueToday.Customers.N == 0 || want.Overdue.Leads.N == 0 || len(want.Ranking) < 5 ||
				want.Receivables[2].Count == 0 || want.Approvals == 0) {
				t.Fatalf("the generated data leaves figures empty: %+v", want)
			}
			if c.who == "rep1" && pi == 0 && (want.Deal.Count == 0 || want.NewCustomers == 0 || want.Overdue.Customers.N+want.Overdue.Leads.N == 0) {
				t.Fatalf("the generated data leaves the rep's figures empty: %+v", want)
			}
			compareDashboards(t, name, a, got, want)
			wantCampaigns := dashOracle{w, a, f}.campaignFigures()
			if got.CampaignTotal != len(wantCampaigns) && len(wantCampaigns) > 0 {
				t.Errorf("%s: %d campaigns in the period, want %d", name, got.CampaignTotal, len(wantCampaigns))
			}
			if len(got.Campaigns) != min(len(wantCampaigns), crm.CampaignRows) {
				t.Errorf("%s: lists %d campaigns, want %d", name, len(got.Campaigns), min(len(wantCampaigns), crm.CampaignRows))
			}
			for i, gc := range got.Campaigns {
				wc, ok := wantCampaigns[gc.ID]
				if !ok || gc.LeadCount != wc.LeadCount || gc.CustomerCount != wc.CustomerCount || !gc.DealAmount.Equal(wc.DealAmount) ||
					!gc.ActualCost.Equal(wc.ActualCost) {
					t.Errorf("%s: campaign %d = %d leads, %d customers, %s; want %+v", name, gc.ID, gc.LeadCount, gc.CustomerCount, gc.DealAmount, wc)
				}
				if i > 0 && got.Campaigns[i-1].DealAmount.LessThan(gc.DealAmount) {
					t.Errorf("%s: campaigns not in order of 成交金额", name)
				}
			}
		}
	}
}

func compareDashboards(t *testing.T, name string, a crm.Actor, got, want crm.Dashboard) {
	t.Helper()
	fig := func(what string, g, w crm.Figure) {
		t.Helper()
		if !g.Amount.Equal(w.Amount) || g.Count != w.Count {
			t.Errorf("%s: %s = %s (%d), want %s (%d)", name, what, g.Amount, g.Count, w.Amount, w.Count)
		}
	}
	money := crm.DashboardMoney(a)
	if money {
		fig("成交金额", got.Deal, want.Deal)
		fig("回款金额", got.Paid, want.Paid)
		fig("待回款金额", got.Outstanding, want.Outstanding)
		for i := range want.Receivables {
			fig("receivables "+want.Receivables[i].Key, got.Receivables[i].Figure, want.Receivables[i].Figure)
		}
		if len(got.Trend) != 12 {
			t.Fatalf("%s: %d months in the trend", name, len(got.Trend))
		}
		for i := range want.Trend {
			fig("trend deal "+want.Trend[i].Month.Format("2006-01"), got.Trend[i].Deal, want.Trend[i].Deal)
			fig("trend paid "+want.Trend[i].Month.Format("2006-01"), got.Trend[i].Paid, want.Trend[i].Paid)
		}
	} else {
		// Marketing: no order, payment or invoice figure at all.
		if got.Deal.Count != 0 || got.Paid.Count != 0 || got.Outstanding.Count != 0 || len(got.Trend) != 0 ||
			len(got.Receivables) != 0 || len(got.Ranking) != 0 || got.Approvals != 0 {
			t.Errorf("%s: money figures for a role that sees no money: %+v", name, got)
		}
	}
	if got.Approvals != want.Approvals {
		t.Errorf("%s: 待我审批 = %d, want %d", name, got.Approvals, want.Approvals)
	}
	if got.NewLeads != want.NewLeads || got.NewCustomers != want.NewCustomers || got.WeekFollowUps != want.WeekFollowUps {
		t.Errorf("%s: leads %d customers %d follow-ups %d, want %d %d %d", name, got.NewLeads, got.NewCustomers, got.WeekFollowUps,
			want.NewLeads, want.NewCustomers, want.WeekFollowUps)
	}
	counts := func(what string, g, w []crm.OptionCount) {
		t.Helper()
		gm, wm := map[int64]int{}, map[int64]int{}
		for _, x := range g {
			gm[x.ID] = x.Count
		}
		for _, x := range w {
			wm[x.ID] = x.Count
		}
		if fmt.Sprint(gm) != fmt.Sprint(wm) {
			t.Errorf("%s: %s = %v, want %v", name, what, gm, wm)
		}
	}
	counts("sources", got.Sources, want.Sources)
	counts("levels", got.Levels, want.Levels)
	for i, s := range want.Funnel {
		if g := got.Funnel[i]; g.Stage != s.Stage || g.Count != s.Count || !g.Amount.Equal(s.Amount) {
			t.Errorf("%s: funnel %s = %d %s, want %d %s", name, s.Stage, g.Count, g.Amount, s.Count, s.Amount)
		}
	}
	if crm.DashboardTeam(a) {
		sort.Slice(want.Ranking, func(i, j int) bool {
			x, y := want.Ranking[i], want.Ranking[j]
			if !x.Deal.Amount.Equal(y.Deal.Amount) {
				return x.Deal.Amount.GreaterThan(y.Deal.Amount)
			}
			if !x.Paid.Amount.Equal(y.Paid.Amount) {
				return x.Paid.Amount.GreaterThan(y.Paid.Amount)
			}
			return x.FollowUps > y.FollowUps
		})
		if len(got.Ranking) != min(len(want.Ranking), crm.RankRows) {
			t.Errorf("%s: ranking has %d rows, want %d", name, len(got.Ranking), len(want.Ranking))
		}
		wm := map[int64]crm.RankRow{}
		for _, r := range want.Ranking {
			wm[r.EmployeeID] = r
		}
		for _, g := range got.Ranking {
			r := wm[g.EmployeeID]
			if !g.Deal.Amount.Equal(r.Deal.Amount) || g.Deal.Count != r.Deal.Count || !g.Paid.Amount.Equal(r.Paid.Amount) ||
				g.Paid.Count != r.Paid.Count || g.FollowUps != r.FollowUps {
				t.Errorf("%s: ranking of %d = %+v, want %+v", name, g.EmployeeID, g, r)
			}
		}
	} else if len(got.Ranking) != 0 {
		t.Errorf("%s: a ranking for %s", name, a.Role)
	}
	rem := func(what string, g, w crm.Reminders) {
		t.Helper()
		if g.Leads.N != w.Leads.N || g.Customers.N != w.Customers.N {
			t.Errorf("%s: %s = %d leads, %d customers; want %d, %d", name, what, g.Leads.N, g.Customers.N, w.Leads.N, w.Customers.N)
		}
		if len(g.Items) != min(w.Leads.N+w.Customers.N, crm.ReminderItems) {
			t.Errorf("%s: %s lists %d, want %d", name, what, len(g.Items), min(w.Leads.N+w.Customers.N, crm.ReminderItems))
		}
	}
	if a.Role != crm.RoleFinance {
		rem("due today", got.DueToday, want.DueToday)
		rem("overdue", got.Overdue, want.Overdue)
	}
}

// TestMonthlyFiguresKeptOnWrite: the per-month figures the dashboard of
// those who view everything reads stay equal to summing the records,
// through the workflow (approval, payment confirmed, follow-ups logged and
// deleted, a customer reassigned) and bulk statements.
func TestMonthlyFiguresKeptOnWrite(t *testing.T) {
	f := newOrdFixture(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		if _, bad, err := f.db.KeptFiguresDrift(ctx); err != nil || bad != 0 {
			t.Fatalf("%s: %d (month, owner, department) figures differ from the records (%v)", when, bad, err)
		}
	}
	check("empty")
	d := f.order(t, f.repA, f.custA)
	if err := f.db.SubmitOrder(ctx, f.repA, d); err != nil {
		t.Fatal(err)
	}
	check("submitted")
	if err := f.db.ApproveOrder(ctx, f.lead, d, ""); err != nil {
		t.Fatal(err)
	}
	check("approved")
	day := time.Date(2026, 3, 31, 0, 0, 0, 0, crm.Zone)
	p, err := f.db.CreatePayment(ctx, f.repA, crm.PaymentInput{OrderID: d, Amount: decimal.RequireFromString("40.50"), PaidOn: &day})
	if err != nil {
		t.Fatal(err)
	}
	check("payment recorded")
	if _, err := f.db.ConfirmPayment(ctx, f.fin, p); err != nil {
		t.Fatal(err)
	}
	check("payment confirmed")
	fu, err := f.db.CreateFollowUp(ctx, f.repA, crm.FollowUpInput{CustomerID: f.custA, Content: "电话", FollowedAt: day.Add(23 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	check("follow-up logged")
	if err := f.db.AssignCustomer(ctx, f.mgr, f.custA, f.repB.ID); err != nil {
		t.Fatal(err)
	}
	check("customer reassigned")
	if err := f.db.DeleteFollowUp(ctx, f.repB, fu); err != nil && crm.ErrorCode(err) != crm.EFORBIDDEN {
		t.Fatal(err)
	}
	exec(`DELETE FROM follow_ups WHERE id = $1`, fu)
	check("follow-up deleted")
	// Bulk: 300 follow-ups over a year, moved between owners and months,
	// then half deleted; an order's approval month moved.
	exec(`INSERT INTO follow_ups (customer_id, content, followed_at, owner_id, department_id, created_by, customer_owner_id, customer_department_id)
		SELECT $1, '批' || g, now() - g * interval '29 hours', $2, $3, $2, $2, $3 FROM generate_series(1, 300) g`, f.custA, f.repB.ID, f.team1)
	check("bulk follow-ups")
	exec(`UPDATE follow_ups SET owner_id = $1, followed_at = followed_at - interval '40 days' WHERE content LIKE '批%' AND id % 3 = 0`, f.repC.ID)
	check("bulk move")
	exec(`DELETE FROM follow_ups WHERE content LIKE '批%' AND id % 2 = 0`)
	check("bulk delete")
	exec(`UPDATE orders SET decided_at = decided_at - interval '70 days' WHERE id = $1`, d)
	check("approval moved")
}
