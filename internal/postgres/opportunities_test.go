package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// oppFixture is a small organisation for the opportunity tests: sales
// (with a team below it) and another sales department, a manager and reps,
// and the roles that view everything.
type oppFixture struct {
	db                           *postgres.DB
	sales, team, other           int64
	admin, boss, mgr, repA, repB crm.Actor
	repOther, mgrOther, mkt, fin crm.Actor
	everyone                     []crm.Actor
}

func newOppFixture(t *testing.T) *oppFixture {
	t.Helper()
	db := testdb.New(t)
	f := &oppFixture{db: db}
	f.sales = mustDept(t, db, "销售部", 0)
	f.team = mustDept(t, db, "销售一组", f.sales)
	f.other = mustDept(t, db, "华南销售部", 0)
	f.admin = custActor(t, db, mustEmp(t, db, "oppadmin", crm.RoleAdmin, 0))
	f.boss = custActor(t, db, mustEmp(t, db, "oppboss", crm.RoleManagement, 0))
	f.mgr = custActor(t, db, mustEmp(t, db, "oppmgr", crm.RoleSalesManager, f.sales))
	f.repA = custActor(t, db, mustEmp(t, db, "opprepa", crm.RoleSalesRep, f.team))
	f.repB = custActor(t, db, mustEmp(t, db, "opprepb", crm.RoleSalesRep, f.team))
	f.repOther = custActor(t, db, mustEmp(t, db, "opprepo", crm.RoleSalesRep, f.other))
	f.mgrOther = custActor(t, db, mustEmp(t, db, "oppmgro", crm.RoleSalesManager, f.other))
	f.mkt = custActor(t, db, mustEmp(t, db, "oppmkt", crm.RoleMarketing, 0))
	f.fin = custActor(t, db, mustEmp(t, db, "oppfin", crm.RoleFinance, 0))
	f.everyone = []crm.Actor{f.admin, f.boss, f.mgr, f.repA, f.repB, f.repOther, f.mgrOther, f.mkt, f.fin}
	return f
}

func (f *oppFixture) customer(t *testing.T, a crm.Actor, name string) int64 {
	t.Helper()
	id, err := f.db.CreateCustomer(context.Background(), a, crm.CustomerInput{Name: name}, postgres.NewOwner{})
	if err != nil {
		t.Fatalf("customer %s: %v", name, err)
	}
	return id
}

func (f *oppFixture) opportunity(t *testing.T, a crm.Actor, customer int64, name string, stage crm.OppStage, amount string) int64 {
	t.Helper()
	id, err := f.db.CreateOpportunity(context.Background(), a, crm.OpportunityInput{Name: name, CustomerID: customer,
		Stage: stage, ExpectedAmount: decimal.RequireFromString(amount)})
	if err != nil {
		t.Fatalf("opportunity %s: %v", name, err)
	}
	return id
}

func oppMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpportunityCreateOwnershipAndRules: the creator owns the opportunity
// in their department and it carries its customer's owner; who may create
// under which customer; collaborators view but do not change; a customer
// that changes hands takes its opportunities' rule-7 copy along.
func TestOpportunityCreateOwnershipAndRules(t *testing.T) {
	t.Parallel()
	f := newOppFixture(t)
	ctx := context.Background()
	x := f.customer(t, f.repA, "甲公司")
	closeOn := time.Date(2030, 3, 31, 0, 0, 0, 0, crm.Zone)
	id, err := f.db.CreateOpportunity(ctx, f.repA, crm.OpportunityInput{Name: "  ERP 项目 ", CustomerID: x,
		ExpectedAmount: decimal.RequireFromString("120000.50"), ExpectedClose: &closeOn, Notes: "首期"})
	oppMust(t, err)
	o, err := f.db.OpportunityByID(ctx, f.repA, id)
	oppMust(t, err)
	if o.Name != "ERP 项目" || o.Stage != crm.StageInitial || o.OwnerID != f.repA.ID || o.DepartmentID != f.team ||
		o.CreatedBy != f.repA.ID || o.CustomerID != x || o.Parent.Name != "甲公司" || o.CustomerOwnerID != f.repA.ID ||
		o.CustomerDepartmentID != f.team || !o.ExpectedAmount.Equal(decimal.RequireFromString("120000.50")) ||
		o.ExpectedClose == nil || o.ExpectedClose.Format("2006-01-02") != "2030-03-31" {
		t.Fatalf("opportunity = %+v", o)
	}
	if o.DaysFollowed(o.CreatedAt.Add(49*time.Hour)) != 2 {
		t.Errorf("days followed = %d", o.DaysFollowed(o.CreatedAt.Add(49*time.Hour)))
	}

	// Not viewable: another rep of the team; another department.
	for _, a := range []crm.Actor{f.repB, f.repOther, f.mgrOther} {
		_, err := f.db.OpportunityByID(ctx, a, id)
		wantCode(t, err, crm.ENOTFOUND, "")
		_, err = f.db.CreateOpportunity(ctx, a, crm.OpportunityInput{Name: "偷偷", CustomerID: x})
		wantCode(t, err, crm.ENOTFOUND, "")
	}
	// Viewable by rule 1/2, but marketing and finance create none.
	for _, a := range []crm.Actor{f.mkt, f.fin} {
		if _, err := f.db.OpportunityByID(ctx, a, id); err != nil {
			t.Fatalf("%s cannot view: %v", a.Username, err)
		}
		_, err := f.db.CreateOpportunity(ctx, a, crm.OpportunityInput{Name: "不行", CustomerID: x})
		wantCode(t, err, crm.EFORBIDDEN, "")
		wantCode(t, f.db.SetStage(ctx, a, id, crm.StageNeeds), crm.EFORBIDDEN, "")
	}
	// Bad input: no name, unknown stage, no customer.
	_, err = f.db.CreateOpportunity(ctx, f.repA, crm.OpportunityInput{Name: " ", CustomerID: x, Stage: "maybe"})
	if fe := crm.FieldErrors(err); fe["name"] != "error.required" || fe["stage"] != "error.choose" {
		t.Fatalf("invalid input: %v", err)
	}

	// A collaborator views the opportunity (Record() has the collaborators)
	// and changes nothing, nor adds opportunities under the customer.
	oppMust(t, f.db.AddCollaborator(ctx, f.repA, x, f.repOther.ID))
	o, err = f.db.OpportunityByID(ctx, f.repOther, id)
	oppMust(t, err)
	if !slices.Contains(o.Collaborators, f.repOther.ID) || !crm.CanView(f.repOther, o.Record()) || crm.CanUpdate(f.repOther, o.Record()) {
		t.Fatalf("collaborator's view of the record: %+v", o.Record())
	}
	wantCode(t, f.db.SetStage(ctx, f.repOther, id, crm.StageNeeds), crm.EFORBIDDEN, "")
	_, err = f.db.CreateOpportunity(ctx, f.repOther, crm.OpportunityInput{Name: "协作", CustomerID: x})
	wantCode(t, err, crm.EFORBIDDEN, "")

	// The manager assigns the customer to repB: the copy follows, so repB
	// views repA's opportunity (rule 7) without owning it.
	oppMust(t, f.db.AssignCustomer(ctx, f.mgr, x, f.repB.ID))
	o, err = f.db.OpportunityByID(ctx, f.repB, id)
	oppMust(t, err)
	if o.CustomerOwnerID != f.repB.ID || o.OwnerID != f.repA.ID {
		t.Fatalf("after assign: customer owner %d, owner %d", o.CustomerOwnerID, o.OwnerID)
	}
	wantCode(t, f.db.UpdateOpportunity(ctx, f.repB, id, crm.OpportunityInput{Name: "改"}), crm.EFORBIDDEN, "")
	// repA keeps their opportunity but may no longer add under the customer.
	_, err = f.db.CreateOpportunity(ctx, f.repA, crm.OpportunityInput{Name: "再来", CustomerID: x})
	wantCode(t, err, crm.EFORBIDDEN, "")
}

// TestOpportunityUpdateStageAndHistory: updates and stage moves are kept in
// history with the opportunity's own field keys; the stage clock restarts
// only when the stage changes.
func TestOpportunityUpdateStageAndHistory(t *testing.T) {
	t.Parallel()
	f := newOppFixture(t)
	ctx := context.Background()
	x := f.customer(t, f.repA, "乙公司")
	id := f.opportunity(t, f.repA, x, "云服务", crm.StageInitial, "1000")
	o, _ := f.db.OpportunityByID(ctx, f.repA, id)
	clock := o.StageChangedAt

	oppMust(t, f.db.UpdateOpportunity(ctx, f.repA, id, crm.OpportunityInput{Name: "云服务二期", CustomerID: 99999,
		Stage: crm.StageInitial, ExpectedAmount: decimal.RequireFromString("2000")}))
	o, _ = f.db.OpportunityByID(ctx, f.repA, id)
	if o.CustomerID != x || o.Name != "云服务二期" || !o.StageChangedAt.Equal(clock) {
		t.Fatalf("after update: customer %d name %q clock moved %v", o.CustomerID, o.Name, !o.StageChangedAt.Equal(clock))
	}
	oppMust(t, f.db.SetStage(ctx, f.mgr, id, crm.StageProposal))
	oppMust(t, f.db.SetStage(ctx, f.mgr, id, crm.StageProposal)) // no-op
	wantCode(t, f.db.SetStage(ctx, f.repA, id, "bogus"), crm.EINVALID, "")
	wantCode(t, f.db.SetStage(ctx, f.repB, id, crm.StageWonDeal), crm.ENOTFOUND, "")
	o, _ = f.db.OpportunityByID(ctx, f.repA, id)
	if o.Stage != crm.StageProposal || !o.StageChangedAt.After(clock) {
		t.Fatalf("stage %s, clock %v → %v", o.Stage, clock, o.StageChangedAt)
	}
	h, err := f.db.History(ctx, crm.ResOpportunity, id)
	oppMust(t, err)
	if len(h) != 3 || h[0].Action != "update" || h[2].Action != "create" {
		t.Fatalf("history = %+v", h)
	}
	if c := h[0].Changes; len(c) != 1 || c[0] != (crm.Change{Field: "stage_opportunity", Old: "initial", New: "proposal"}) {
		t.Errorf("stage change = %+v", c)
	}
	want := []crm.Change{{Field: "name_opportunity", Old: "云服务", New: "云服务二期"},
		{Field: "amount_opportunity", Old: "1000.00", New: "2000.00"}}
	if !slices.Equal(h[1].Changes, want) {
		t.Errorf("update changes = %+v", h[1].Changes)
	}
}

// TestOpportunityListScopeAgreesWithPolicy: for every actor, the list holds
// exactly the opportunities crm.CanView allows, and the tabs narrow it.
func TestOpportunityListScopeAgreesWithPolicy(t *testing.T) {
	t.Parallel()
	f := newOppFixture(t)
	ctx := context.Background()
	xa := f.customer(t, f.repA, "A客户")
	xb := f.customer(t, f.repB, "B客户")
	xo := f.customer(t, f.repOther, "华南客户")
	oppMust(t, f.db.AddCollaborator(ctx, f.repB, xb, f.repOther.ID))
	f.opportunity(t, f.repA, xa, "A一", crm.StageInitial, "10")
	f.opportunity(t, f.repA, xa, "A二", crm.StageWonDeal, "20")
	f.opportunity(t, f.repB, xb, "B一", crm.StageNeeds, "30")
	f.opportunity(t, f.mgr, xb, "经理建", crm.StageLost, "40")
	f.opportunity(t, f.repOther, xo, "华南一", crm.StageProposal, "50")
	f.opportunity(t, f.admin, xo, "管理员建", crm.StageNegotiation, "60")

	all, _, err := f.db.FindOpportunities(ctx, f.admin, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: crm.Page{PerPage: 100}}})
	oppMust(t, err)
	if len(all) != 6 {
		t.Fatalf("admin sees %d", len(all))
	}
	for _, a := range f.everyone {
		got, total, err := f.db.FindOpportunities(ctx, a, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: crm.Page{PerPage: 100}}})
		oppMust(t, err)
		var ids, want []int64
		for _, o := range got {
			ids = append(ids, o.ID)
		}
		for _, o := range all {
			full, err := f.db.OpportunityByID(ctx, f.admin, o.ID)
			oppMust(t, err)
			if crm.CanView(a, full.Record()) {
				want = append(want, o.ID)
			}
			_, err = f.db.OpportunityByID(ctx, a, o.ID)
			if (err == nil) != crm.CanView(a, full.Record()) {
				t.Errorf("%s: OpportunityByID(%d) err %v, CanView %v", a.Username, o.ID, err, crm.CanView(a, full.Record()))
			}
		}
		if !slices.Equal(ids, want) || total.N != len(want) {
			t.Errorf("%s sees %v (total %d), policy says %v", a.Username, ids, total.N, want)
		}
	}
	// The collaborator of B客户 sees its two opportunities and their own.
	got, _, _ := f.db.FindOpportunities(ctx, f.repOther, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
	if len(got) != 4 {
		t.Errorf("collaborator sees %d, want 4", len(got))
	}
	// Tabs, filters, search, sort.
	mine, _, _ := f.db.FindOpportunities(ctx, f.repA, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabMine}})
	dept, _, _ := f.db.FindOpportunities(ctx, f.mgr, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabDept}})
	won, _, _ := f.db.FindOpportunities(ctx, f.boss, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}, Stage: crm.StageWonDeal})
	search, _, _ := f.db.FindOpportunities(ctx, f.boss, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Query: "华南"}})
	byAmount, _, _ := f.db.FindOpportunities(ctx, f.boss, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Sort: "amount", Desc: true}})
	byStage, _, _ := f.db.FindOpportunities(ctx, f.boss, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Sort: "stage"}})
	ofB, _, _ := f.db.FindOpportunities(ctx, f.boss, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}, CustomerID: xb})
	if len(mine) != 2 || len(dept) != 4 || len(won) != 1 || len(search) != 1 || len(ofB) != 2 {
		t.Errorf("mine %d dept %d won %d search %d of B %d", len(mine), len(dept), len(won), len(search), len(ofB))
	}
	if byAmount[0].Name != "管理员建" || byStage[0].Stage != crm.StageInitial || byStage[5].Stage != crm.StageLost {
		t.Errorf("sorts: %s first by amount, %s..%s by stage", byAmount[0].Name, byStage[0].Stage, byStage[5].Stage)
	}
	of, err := f.db.OpportunitiesOf(ctx, f.repA, xb)
	oppMust(t, err)
	if len(of.Rows) != 0 || of.Total.N != 0 {
		t.Errorf("repA sees %d opportunities of B客户", len(of.Rows))
	}
	if of, _ = f.db.OpportunitiesOf(ctx, f.repB, xb); len(of.Rows) != 2 || of.Total.N != 2 {
		t.Errorf("repB sees %d opportunities of their customer", len(of.Rows))
	}
}

// TestOpportunityBoardColumns: one column per stage in board order, each
// with its count, Σ expected amount and the most recently moved cards
// first, at most crm.BoardCards; the permission rules hold.
func TestOpportunityBoardColumns(t *testing.T) {
	t.Parallel()
	f := newOppFixture(t)
	ctx := context.Background()
	xa := f.customer(t, f.repA, "看板客户")
	xo := f.customer(t, f.repOther, "别人的客户")
	first := f.opportunity(t, f.repA, xa, "最早", crm.StageNeeds, "100.10")
	f.opportunity(t, f.repA, xa, "其次", crm.StageNeeds, "200.20")
	f.opportunity(t, f.repOther, xo, "看不见", crm.StageNeeds, "999")
	// 55 proposals straight into the table, stage clocks one minute apart.
	if _, err := f.db.Pool.Exec(ctx, `
		INSERT INTO opportunities (name, customer_id, stage, expected_amount, stage_changed_at, owner_id, department_id,
		                           created_by, customer_owner_id, customer_department_id)
		SELECT '方案' || g, $1, 'proposal', 10, now() - g * interval '1 minute', $2, $3, $2, $2, $3
		FROM generate_series(1, 55) g`, xa, f.repA.ID, f.team); err != nil {
		t.Fatal(err)
	}
	oppMust(t, f.db.SetStage(ctx, f.repA, first, crm.StageNeeds)) // no-op: stays behind
	cols, err := f.db.Board(ctx, f.repA, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
	oppMust(t, err)
	if len(cols) != len(crm.OppStages) {
		t.Fatalf("%d columns", len(cols))
	}
	for i, c := range cols {
		if c.Stage != crm.OppStages[i] {
			t.Fatalf("column %d is %s", i, c.Stage)
		}
	}
	needs, proposal := cols[1], cols[2]
	if needs.Count.N != 2 || !needs.Sum.Equal(decimal.RequireFromString("300.30")) || len(needs.Cards) != 2 || needs.Cards[0].Name != "其次" {
		t.Errorf("needs column: count %d sum %s cards %d", needs.Count.N, needs.Sum, len(needs.Cards))
	}
	if proposal.Count.N != 55 || !proposal.Sum.Equal(decimal.NewFromInt(550)) || len(proposal.Cards) != crm.BoardCards ||
		proposal.Cards[0].Name != "方案1" || proposal.Cards[49].Name != "方案50" {
		t.Errorf("proposal column: count %d sum %s cards %d", proposal.Count.N, proposal.Sum, len(proposal.Cards))
	}
	if cols[0].Count.N != 0 || len(cols[0].Cards) != 0 || !cols[0].Sum.IsZero() {
		t.Errorf("empty column: %+v", cols[0])
	}
	// Moving the oldest card makes it the newest of its new column.
	oppMust(t, f.db.SetStage(ctx, f.repA, first, crm.StageProposal))
	cols, _ = f.db.Board(ctx, f.repA, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
	if cols[2].Cards[0].ID != first || cols[2].Count.N != 56 || cols[1].Count.N != 1 {
		t.Errorf("after the move: first card %d, counts %d/%d", cols[2].Cards[0].ID, cols[1].Count.N, cols[2].Count.N)
	}
	// Everyone else sees what the policy allows; the filters narrow.
	cols, _ = f.db.Board(ctx, f.boss, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
	if cols[1].Count.N != 2 { // 其次 and 看不见
		t.Errorf("boss sees %d in needs", cols[1].Count.N)
	}
	cols, _ = f.db.Board(ctx, f.repB, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
	for _, c := range cols {
		if c.Count.N != 0 {
			t.Errorf("repB sees %d in %s", c.Count.N, c.Stage)
		}
	}
	cols, _ = f.db.Board(ctx, f.boss, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}, CustomerID: xo})
	if cols[1].Count.N != 1 || cols[2].Count.N != 0 {
		t.Errorf("customer filter: %d/%d", cols[1].Count.N, cols[2].Count.N)
	}
	cols, _ = f.db.Board(ctx, f.mgr, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabMine}})
	if cols[2].Count.N != 0 {
		t.Errorf("mgr's own board shows %d", cols[2].Count.N)
	}

	// A board of more than CountCap opportunities is read stage by stage:
	// the same columns, with a capped count and a sum that is a lower bound;
	// the board of every opportunity (boss) reads the figures kept on write
	// and is exact.
	if _, err := f.db.Pool.Exec(ctx, `
		INSERT INTO opportunities (name, customer_id, stage, expected_amount, stage_changed_at, owner_id, department_id,
		                           created_by, customer_owner_id, customer_department_id)
		SELECT '大单' || g, $1, 'won', 1, now() - g * interval '1 second', $2, $3, $2, $2, $3
		FROM generate_series(1, $4::int + 50) g`, xo, f.repOther.ID, f.other, crm.CountCap); err != nil {
		t.Fatal(err)
	}
	for _, a := range []crm.Actor{f.boss, f.mgrOther} {
		cols, err = f.db.Board(ctx, a, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
		oppMust(t, err)
		won := cols[4]
		if a.ID == f.boss.ID {
			if won.Count != (crm.Total{N: crm.CountCap + 50}) || !won.Sum.Equal(decimal.NewFromInt(crm.CountCap+50)) {
				t.Errorf("boss: the won column counts %+v, sums %s; want exactly %d", won.Count, won.Sum, crm.CountCap+50)
			}
		} else if !won.Count.Capped || won.Count.N != crm.CountCap || won.Sum.LessThan(decimal.NewFromInt(crm.CountCap)) {
			t.Errorf("%s: big won column: %+v, sum %s", a.Username, won.Count, won.Sum)
		}
		if won.Stage != crm.StageWonDeal || len(won.Cards) != crm.BoardCards || won.Cards[0].Name != "大单1" {
			t.Errorf("%s: big won column's cards: %d, first %q", a.Username, len(won.Cards), won.Cards[0].Name)
		}
		if a.ID == f.boss.ID && (cols[1].Count != (crm.Total{N: 2}) || len(cols[1].Cards) != 2 || cols[1].Cards[0].Name != "看不见" ||
			!cols[1].Sum.Equal(decimal.RequireFromString("200.20").Add(decimal.NewFromInt(999)))) {
			t.Errorf("boss's needs column on the big board: %+v %s", cols[1].Count, cols[1].Sum)
		}
	}
	cols, _ = f.db.Board(ctx, f.repA, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
	if cols[4].Count.N != 0 || cols[2].Count.N != 56 {
		t.Errorf("repA's board after the big insert: won %d, proposal %d", cols[4].Count.N, cols[2].Count.N)
	}
}

// TestBoardFiguresKeptOnWrite: the per-stage figures the board of every
// opportunity reads stay equal to counting the table, through the
// workflow's writes and bulk statements, and the board shows them.
func TestBoardFiguresKeptOnWrite(t *testing.T) {
	t.Parallel()
	f := newOppFixture(t)
	ctx := context.Background()
	check := func(when string) {
		t.Helper()
		if bad, _, err := f.db.KeptFiguresDrift(ctx); err != nil || bad != 0 {
			t.Fatalf("%s: %d stages' figures differ from the table (%v)", when, bad, err)
		}
		cols, err := f.db.Board(ctx, f.boss, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
		oppMust(t, err)
		for _, c := range cols {
			var n int
			var sum decimal.Decimal
			if err := f.db.Pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(expected_amount), 0) FROM opportunities WHERE stage = $1`,
				string(c.Stage)).Scan(&n, &sum); err != nil {
				t.Fatal(err)
			}
			if c.Count != (crm.Total{N: n}) || !c.Sum.Equal(sum) {
				t.Fatalf("%s: boss's %s column %+v %s, the table %d %s", when, c.Stage, c.Count, c.Sum, n, sum)
			}
		}
	}
	check("empty")
	xa := f.customer(t, f.repA, "数字客户")
	a := f.opportunity(t, f.repA, xa, "甲", crm.StageInitial, "100.10")
	b := f.opportunity(t, f.repA, xa, "乙", crm.StageNeeds, "0.90")
	check("created")
	oppMust(t, f.db.SetStage(ctx, f.repA, a, crm.StageProposal))
	check("moved")
	oppMust(t, f.db.UpdateOpportunity(ctx, f.repA, b, crm.OpportunityInput{CustomerID: xa, Name: "乙", Stage: crm.StageNeeds,
		ExpectedAmount: decimal.RequireFromString("1234.56")}))
	check("amount changed")
	oppMust(t, f.db.DeleteOpportunity(ctx, f.repA, b))
	check("deleted")
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO opportunities (name, customer_id, stage, expected_amount, owner_id, department_id, created_by,
	                                      customer_owner_id, customer_department_id)
		SELECT '批' || g, $1, (ARRAY['initial','needs','won','lost'])[1 + g % 4], g, $2, $3, $2, $2, $3
		FROM generate_series(1, 500) g`, xa, f.repA.ID, f.team)
	check("bulk insert")
	exec(`UPDATE opportunities SET stage = 'negotiation', expected_amount = expected_amount + 1 WHERE name LIKE '批%' AND stage <> 'won'`)
	check("bulk update")
	exec(`DELETE FROM opportunities WHERE name LIKE '批%' AND expected_amount > 200`)
	check("bulk delete")
}

// TestOpportunityDeleteRefusedWhileQuoted: an opportunity that a quote or
// an order refers to is kept, with a message that says why; otherwise it
// goes with its follow-ups.
func TestOpportunityDeleteRefusedWhileQuoted(t *testing.T) {
	t.Parallel()
	f := newOppFixture(t)
	ctx := context.Background()
	x := f.customer(t, f.repA, "丙公司")
	id := f.opportunity(t, f.repA, x, "要报价的", crm.StageProposal, "5000")
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO quotes (number, customer_id, opportunity_id, created_by, owner_id)
		VALUES ('BJ-TEST-1', $1, $2, $3, $3)`, x, id, f.repA.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.db.DeleteOpportunity(ctx, f.repB, id), crm.ENOTFOUND, "")
	wantCode(t, f.db.DeleteOpportunity(ctx, f.mkt, id), crm.EFORBIDDEN, "")
	err := f.db.DeleteOpportunity(ctx, f.repA, id)
	wantCode(t, err, crm.ECONFLICT, "opportunity.in_use")
	if e := err.(*crm.Error); len(e.Args) != 2 || e.Args[0] != 1 || e.Args[1] != 0 {
		t.Errorf("args = %v", e.Args)
	}
	if _, err := f.db.Pool.Exec(ctx, `DELETE FROM quotes`); err != nil {
		t.Fatal(err)
	}
	_, err = f.db.CreateOpportunityFollowUp(ctx, f.repA, id, crm.FollowUpInput{Content: "报价前沟通"})
	oppMust(t, err)
	oppMust(t, f.db.DeleteOpportunity(ctx, f.repA, id))
	_, err = f.db.OpportunityByID(ctx, f.admin, id)
	wantCode(t, err, crm.ENOTFOUND, "")
	if n := countRows(t, f.db, `SELECT count(*) FROM follow_ups`); n != 0 {
		t.Errorf("%d follow-ups left", n)
	}
}

// TestOpportunityFollowUps: a follow-up on an opportunity carries its
// customer, moves the opportunity's last follow-up and the customer's last
// and next ones, and shows on both timelines; only those who may update
// the opportunity log one.
func TestOpportunityFollowUps(t *testing.T) {
	t.Parallel()
	f := newOppFixture(t)
	ctx := context.Background()
	x := f.customer(t, f.repA, "丁公司")
	id := f.opportunity(t, f.repA, x, "续约", crm.StageNegotiation, "800")
	at := time.Date(2030, 1, 2, 10, 0, 0, 0, crm.Zone)
	next := at.Add(72 * time.Hour)
	fid, err := f.db.CreateOpportunityFollowUp(ctx, f.repA, id, crm.FollowUpInput{Content: "拜访客户", FollowedAt: at, NextAt: &next})
	oppMust(t, err)
	o, _ := f.db.OpportunityByID(ctx, f.repA, id)
	c, _ := f.db.CustomerByID(ctx, f.repA, x)
	if o.LastFollowUpAt == nil || !o.LastFollowUpAt.Equal(at) || c.LastFollowUpAt == nil || !c.LastFollowUpAt.Equal(at) ||
		c.NextFollowUpAt == nil || !c.NextFollowUpAt.Equal(next) {
		t.Fatalf("times: opportunity %v, customer %v / %v", o.LastFollowUpAt, c.LastFollowUpAt, c.NextFollowUpAt)
	}
	fu, err := f.db.FollowUpByID(ctx, f.repA, fid)
	oppMust(t, err)
	if fu.CustomerID != x || fu.CustomerOwnerID != f.repA.ID || fu.OwnerID != f.repA.ID {
		t.Fatalf("follow-up = %+v", fu)
	}
	ofOpp, err := f.db.OpportunityFollowUps(ctx, f.repA, id)
	oppMust(t, err)
	ofCustomer, err := f.db.FollowUpsOf(ctx, f.repA, 0, x)
	oppMust(t, err)
	if len(ofOpp.Rows) != 1 || len(ofCustomer.Rows) != 1 {
		t.Fatalf("timelines: %d on the opportunity, %d on the customer", len(ofOpp.Rows), len(ofCustomer.Rows))
	}
	// A customer's own follow-up is not one of the opportunity's.
	_, err = f.db.CreateFollowUp(ctx, f.repA, crm.FollowUpInput{CustomerID: x, Content: "客户层面", FollowedAt: at})
	oppMust(t, err)
	if ofOpp, _ = f.db.OpportunityFollowUps(ctx, f.repA, id); len(ofOpp.Rows) != 1 {
		t.Errorf("%d follow-ups on the opportunity", len(ofOpp.Rows))
	}
	// Refused: not viewable (404), viewable but not theirs to update (403),
	// and bad input.
	_, err = f.db.CreateOpportunityFollowUp(ctx, f.repB, id, crm.FollowUpInput{Content: "x"})
	wantCode(t, err, crm.ENOTFOUND, "")
	for _, a := range []crm.Actor{f.mkt, f.fin} {
		_, err = f.db.CreateOpportunityFollowUp(ctx, a, id, crm.FollowUpInput{Content: "x"})
		wantCode(t, err, crm.EFORBIDDEN, "")
	}
	_, err = f.db.CreateOpportunityFollowUp(ctx, f.repA, id, crm.FollowUpInput{Content: " "})
	wantCode(t, err, crm.EINVALID, "")
	// The manager in scope may log one.
	_, err = f.db.CreateOpportunityFollowUp(ctx, f.mgr, id, crm.FollowUpInput{Content: "经理跟进"})
	oppMust(t, err)
	// When the customer changes hands, the follow-up's copy follows.
	oppMust(t, f.db.AssignCustomer(ctx, f.mgr, x, f.repB.ID))
	if fu, err = f.db.FollowUpByID(ctx, f.repB, fid); err != nil || fu.CustomerOwnerID != f.repB.ID {
		t.Fatalf("after assign: %v %+v", err, fu)
	}
}
