package postgres_test

import (
	"context"
	"sync"
	"testing"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// custActor loads employee id as the session would (with the departments
// below theirs).
func custActor(t *testing.T, db *postgres.DB, id int64) crm.Actor {
	t.Helper()
	u, err := db.LoadSessionUser(context.Background(), id, 0)
	if err != nil {
		t.Fatalf("actor %d: %v", id, err)
	}
	return u.Actor
}

// custFixture is a small organisation: sales (with a sub-team) and
// another sales department, each with a manager and reps.
type custFixture struct {
	db                         *postgres.DB
	sales, team, other         int64
	admin, mgr, repA, repB     crm.Actor
	repOther, mkt, fin, mgrOth crm.Actor
}

func newCustFixture(t *testing.T) *custFixture {
	t.Helper()
	db := testdb.New(t)
	f := &custFixture{db: db}
	f.sales = mustDept(t, db, "销售部", 0)
	f.team = mustDept(t, db, "销售一组", f.sales)
	f.other = mustDept(t, db, "华南销售部", 0)
	f.admin = custActor(t, db, mustEmp(t, db, "custadmin", crm.RoleAdmin, 0))
	f.mgr = custActor(t, db, mustEmp(t, db, "custmgr", crm.RoleSalesManager, f.sales))
	f.repA = custActor(t, db, mustEmp(t, db, "custrepa", crm.RoleSalesRep, f.team))
	f.repB = custActor(t, db, mustEmp(t, db, "custrepb", crm.RoleSalesRep, f.team))
	f.repOther = custActor(t, db, mustEmp(t, db, "custrepo", crm.RoleSalesRep, f.other))
	f.mgrOth = custActor(t, db, mustEmp(t, db, "custmgro", crm.RoleSalesManager, f.other))
	f.mkt = custActor(t, db, mustEmp(t, db, "custmkt", crm.RoleMarketing, 0))
	f.fin = custActor(t, db, mustEmp(t, db, "custfin", crm.RoleFinance, 0))
	return f
}

func (f *custFixture) customer(t *testing.T, a crm.Actor, name string, who postgres.NewOwner) int64 {
	t.Helper()
	id, err := f.db.CreateCustomer(context.Background(), a, crm.CustomerInput{Name: name}, who)
	if err != nil {
		t.Fatalf("customer %s: %v", name, err)
	}
	return id
}

func TestCustomerCreateOwnershipAndHistory(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()

	id := f.customer(t, f.repA, "甲公司", postgres.NewOwner{})
	c, err := f.db.CustomerByID(ctx, f.repA, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.OwnerID != f.repA.ID || c.DepartmentID != f.team || c.CreatedBy != f.repA.ID || c.Stage != crm.StagePotential {
		t.Fatalf("owner %d dept %d creator %d stage %s", c.OwnerID, c.DepartmentID, c.CreatedBy, c.Stage)
	}

	// A rep may not create into the pool nor for someone else.
	_, err = f.db.CreateCustomer(ctx, f.repA, crm.CustomerInput{Name: "乙"}, postgres.NewOwner{Pool: true})
	wantCode(t, err, crm.EFORBIDDEN, "")
	_, err = f.db.CreateCustomer(ctx, f.repA, crm.CustomerInput{Name: "乙"}, postgres.NewOwner{OwnerID: f.repB.ID})
	wantCode(t, err, crm.EINVALID, "")
	// Marketing and finance create no customers.
	_, err = f.db.CreateCustomer(ctx, f.mkt, crm.CustomerInput{Name: "乙"}, postgres.NewOwner{})
	wantCode(t, err, crm.EFORBIDDEN, "")
	_, err = f.db.CreateCustomer(ctx, f.fin, crm.CustomerInput{Name: "乙"}, postgres.NewOwner{})
	wantCode(t, err, crm.EFORBIDDEN, "")

	// A manager may create into the pool of a department in scope, not beyond.
	pool := f.customer(t, f.mgr, "公海客户", postgres.NewOwner{Pool: true, PoolDepartmentID: f.team})
	c, _ = f.db.CustomerByID(ctx, f.mgr, pool)
	if c.OwnerID != 0 || c.DepartmentID != f.team {
		t.Fatalf("pool customer owner %d dept %d", c.OwnerID, c.DepartmentID)
	}
	_, err = f.db.CreateCustomer(ctx, f.mgr, crm.CustomerInput{Name: "丙"}, postgres.NewOwner{Pool: true, PoolDepartmentID: f.other})
	wantCode(t, err, crm.EINVALID, "")

	// Bad options and an invisible campaign are field errors.
	_, err = f.db.CreateCustomer(ctx, f.repA, crm.CustomerInput{Name: "丁", LevelID: 999999}, postgres.NewOwner{})
	if crm.FieldErrors(err)["level_id"] != "error.not_exist" {
		t.Fatalf("bad level: %v", err)
	}
	_, err = f.db.CreateCustomer(ctx, f.repA, crm.CustomerInput{Name: ""}, postgres.NewOwner{})
	if crm.FieldErrors(err)["name"] != "error.required" {
		t.Fatalf("empty name: %v", err)
	}

	// Update records each changed field by name, options included.
	lvl, err := f.db.AddOption(ctx, crm.OptCustomerLevel, "A级", "A", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.UpdateCustomer(ctx, f.repA, id, crm.CustomerInput{Name: "甲公司（新）", LevelID: lvl, Phone: "13800000000"}); err != nil {
		t.Fatal(err)
	}
	h, err := f.db.History(ctx, crm.ResCustomer, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Action != "update" || h[1].Action != "create" {
		t.Fatalf("history %+v", h)
	}
	got := map[string][2]string{}
	for _, ch := range h[0].Changes {
		got[ch.Field] = [2]string{ch.Old, ch.New}
	}
	if got["name"] != [2]string{"甲公司", "甲公司（新）"} || got["level"] != [2]string{"", "A级"} || got["phone"] != [2]string{"", "13800000000"} || len(got) != 3 {
		t.Fatalf("changes %+v", got)
	}
}

func TestCustomerVisibilityAndActions(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()

	// SPEC seed §3.3: rep A creates X; the manager assigns it to rep B.
	x := f.customer(t, f.repA, "X公司", postgres.NewOwner{})
	if err := f.db.AssignCustomer(ctx, f.mgr, x, f.repB.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CustomerByID(ctx, f.repA, x); err != nil {
		t.Fatalf("creator no longer views X: %v", err)
	}
	wantCode(t, f.db.UpdateCustomer(ctx, f.repA, x, crm.CustomerInput{Name: "A改"}), crm.EFORBIDDEN, "")
	wantCode(t, f.db.ReleaseCustomer(ctx, f.repA, x), crm.EFORBIDDEN, "")
	wantCode(t, f.db.DeleteCustomer(ctx, f.repA, x), crm.EFORBIDDEN, "")
	wantCode(t, f.db.AddCollaborator(ctx, f.repA, x, f.repOther.ID), crm.EFORBIDDEN, "")
	if err := f.db.UpdateCustomer(ctx, f.repB, x, crm.CustomerInput{Name: "X公司"}); err != nil {
		t.Fatalf("owner B cannot update: %v", err)
	}
	// Another department sees nothing of it.
	for _, a := range []crm.Actor{f.repOther, f.mgrOth} {
		_, err := f.db.CustomerByID(ctx, a, x)
		wantCode(t, err, crm.ENOTFOUND, "")
		wantCode(t, f.db.UpdateCustomer(ctx, a, x, crm.CustomerInput{Name: "?"}), crm.ENOTFOUND, "")
		wantCode(t, f.db.ClaimCustomer(ctx, a, x), crm.ENOTFOUND, "")
		wantCode(t, f.db.DeleteCustomer(ctx, a, x), crm.ENOTFOUND, "")
		wantCode(t, f.db.AddCollaborator(ctx, a, x, a.ID), crm.ENOTFOUND, "")
	}
	// Marketing views, does not edit.
	if _, err := f.db.CustomerByID(ctx, f.mkt, x); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.db.UpdateCustomer(ctx, f.mkt, x, crm.CustomerInput{Name: "?"}), crm.EFORBIDDEN, "")

	// Collaborators: B adds repOther; repOther then views X, edits nothing.
	wantCode(t, f.db.AddCollaborator(ctx, f.repB, x, f.repB.ID), crm.EINVALID, "")
	if err := f.db.AddCollaborator(ctx, f.repB, x, f.repOther.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.db.AddCollaborator(ctx, f.repB, x, f.repOther.ID); err != nil {
		t.Fatalf("second add is not a no-op: %v", err)
	}
	cs, err := f.db.Collaborators(ctx, x)
	if err != nil || len(cs) != 1 || cs[0].EmployeeID != f.repOther.ID {
		t.Fatalf("collaborators %+v %v", cs, err)
	}
	c, err := f.db.CustomerByID(ctx, f.repOther, x)
	if err != nil || len(c.Collaborators) != 1 {
		t.Fatalf("collaborator view: %v %+v", err, c.Collaborators)
	}
	wantCode(t, f.db.UpdateCustomer(ctx, f.repOther, x, crm.CustomerInput{Name: "?"}), crm.EFORBIDDEN, "")
	list, total, err := f.db.FindCustomers(ctx, f.repOther, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}})
	if err != nil || total.N != 1 || len(list) != 1 || list[0].ID != x {
		t.Fatalf("collaborator list %v %+v %v", total, list, err)
	}
	if err := f.db.RemoveCollaborator(ctx, f.repB, x, f.repOther.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.db.CustomerByID(ctx, f.repOther, x)
	wantCode(t, err, crm.ENOTFOUND, "")
	h, _ := f.db.History(ctx, crm.ResCustomer, x)
	var actions []string
	for _, e := range h {
		actions = append(actions, e.Action)
	}
	want := []string{"collaborator_remove", "collaborator_add", "update", "assign", "create"}
	if len(actions) != len(want) {
		t.Fatalf("history %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("history %v, want %v", actions, want)
		}
	}
}

func TestCustomerPoolScopeAndClaimRace(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	mine := f.customer(t, f.mgr, "本部门公海", postgres.NewOwner{Pool: true, PoolDepartmentID: f.team})
	theirs := f.customer(t, f.mgrOth, "外部门公海", postgres.NewOwner{Pool: true})

	list, total, err := f.db.FindCustomers(ctx, f.repA, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabPool}}})
	if err != nil || total.N != 1 || list[0].ID != mine {
		t.Fatalf("pool tab %v %+v %v", total, list, err)
	}
	_, err = f.db.CustomerByID(ctx, f.repA, theirs)
	wantCode(t, err, crm.ENOTFOUND, "")
	wantCode(t, f.db.ClaimCustomer(ctx, f.repA, theirs), crm.ENOTFOUND, "")

	// Two reps race for the same pool customer: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, a := range []crm.Actor{f.repA, f.repB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.db.ClaimCustomer(ctx, a, mine)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch crm.ErrorCode(err) {
		case "":
			wins++
		case crm.ECONFLICT:
			wantCode(t, err, crm.ECONFLICT, "error.already_claimed")
		default:
			t.Fatalf("claim: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d claims won", wins)
	}

	// A loser who arrives after the winner's commit no longer views the
	// customer, and is still told that someone was faster; an outsider is not.
	late := f.customer(t, f.mgr, "晚到一步", postgres.NewOwner{Pool: true, PoolDepartmentID: f.team})
	if err := f.db.ClaimCustomer(ctx, f.repA, late); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.db.ClaimCustomer(ctx, f.repB, late), crm.ECONFLICT, "error.already_claimed")
	wantCode(t, f.db.ClaimCustomer(ctx, f.repOther, late), crm.ENOTFOUND, "")
}

func TestCustomerDeleteCascadesAndRefusals(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	x := f.customer(t, f.repA, "删除我", postgres.NewOwner{})
	if _, err := f.db.CreateContact(ctx, f.repA, crm.ContactInput{CustomerID: x, Name: "张三"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.AddCollaborator(ctx, f.repA, x, f.repB.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.db.DeleteCustomer(ctx, f.repB, x), crm.EFORBIDDEN, "")
	if err := f.db.DeleteCustomer(ctx, f.repA, x); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, f.db, `SELECT count(*) FROM contacts`); n != 0 {
		t.Fatalf("%d contacts left", n)
	}

	// A customer converted from a lead is referred to by it: refused.
	in := crm.LeadInput{Name: "李四", Company: "转化公司"}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	lead, err := f.db.CreateLead(ctx, f.repA, in, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := f.db.ConvertLead(ctx, f.repA, lead)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.db.DeleteCustomer(ctx, f.repA, cust), crm.ECONFLICT, "error.customer_has_records")
}

func TestCustomerFiltersAndChoices(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	ind, err := f.db.AddOption(ctx, crm.OptIndustry, "测试行业", "Test industry", false)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.db.CreateCustomer(ctx, f.repA, crm.CustomerInput{Name: "阿尔法", Phone: "021-5555", IndustryID: ind}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	f.customer(t, f.repA, "贝塔", postgres.NewOwner{})
	f.customer(t, f.repOther, "阿尔法分公司", postgres.NewOwner{})

	for _, tc := range []struct {
		f    crm.CustomerFilter
		want int
	}{
		{crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Query: "阿尔法"}}}, 1},
		{crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Query: "5555"}}}, 1},
		{crm.CustomerFilter{IndustryID: ind}, 1},
		{crm.CustomerFilter{Stage: crm.StageWon}, 0},
		{crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabMine, Sort: "name"}}}, 2},
		{crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Sort: "drop table", Desc: true}}}, 2},
	} {
		list, total, err := f.db.FindCustomers(ctx, f.repA, tc.f)
		if err != nil || total.N != tc.want || len(list) != tc.want {
			t.Errorf("%+v: %d (%d rows), want %d; %v", tc.f, total.N, len(list), tc.want, err)
		}
	}
	dups, err := f.db.DuplicateCustomers(ctx, f.repA, " 贝塔 ", "021-5555", 0)
	if err != nil || len(dups) != 2 {
		t.Fatalf("duplicates %+v %v", dups, err)
	}
	dups, _ = f.db.DuplicateCustomers(ctx, f.repA, "阿尔法", "", a)
	if len(dups) != 0 {
		t.Fatalf("duplicates except self: %+v", dups)
	}
	// repA does not see the other department's customer of the same name.
	choices, err := f.db.CustomerChoices(ctx, f.repA, "阿尔法")
	if err != nil || len(choices) != 1 || choices[0].ID != a {
		t.Fatalf("choices %+v %v", choices, err)
	}
}
