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

// campaignFixture is an organisation with one employee of each role: the
// marketing and sales people in departments of their own.
type campaignFixture struct {
	db                                          *postgres.DB
	marketingDept, salesDept                    int64
	admin, mgmt, manager, rep, mkt, mkt2, finan crm.Actor
	campaignType                                int64
}

func campaignActor(t *testing.T, db *postgres.DB, id int64) crm.Actor {
	t.Helper()
	u, err := db.LoadSessionUser(context.Background(), id, 0)
	if err != nil {
		t.Fatalf("actor %d: %v", id, err)
	}
	return u.Actor
}

func newCampaignFixture(t *testing.T) *campaignFixture {
	t.Helper()
	db := testdb.New(t)
	f := &campaignFixture{db: db}
	hq := mustDept(t, db, "总部", 0)
	f.marketingDept = mustDept(t, db, "市场部", hq)
	f.salesDept = mustDept(t, db, "销售一部", hq)
	f.admin = campaignActor(t, db, mustEmp(t, db, "c_admin", crm.RoleAdmin, hq))
	f.mgmt = campaignActor(t, db, mustEmp(t, db, "c_mgmt", crm.RoleManagement, hq))
	f.manager = campaignActor(t, db, mustEmp(t, db, "c_manager", crm.RoleSalesManager, f.salesDept))
	f.rep = campaignActor(t, db, mustEmp(t, db, "c_rep", crm.RoleSalesRep, f.salesDept))
	f.mkt = campaignActor(t, db, mustEmp(t, db, "c_mkt", crm.RoleMarketing, f.marketingDept))
	f.mkt2 = campaignActor(t, db, mustEmp(t, db, "c_mkt2", crm.RoleMarketing, f.marketingDept))
	f.finan = campaignActor(t, db, mustEmp(t, db, "c_fin", crm.RoleFinance, hq))
	var err error
	if f.campaignType, err = db.AddOption(context.Background(), crm.OptCampaignType, "线上推广", "Online", false); err != nil {
		t.Fatal(err)
	}
	return f
}

// campaign creates a campaign as a with the given actual cost.
func (f *campaignFixture) campaign(t *testing.T, a crm.Actor, name, cost string) int64 {
	t.Helper()
	id, err := f.db.CreateCampaign(context.Background(), a, crm.CampaignInput{Name: name, TypeID: f.campaignType,
		Status: crm.CampaignActive, ActualCost: decimal.RequireFromString(cost)})
	if err != nil {
		t.Fatalf("campaign %s: %v", name, err)
	}
	return id
}

// exec runs SQL, failing the test on error.
func (f *campaignFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := f.db.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

// wantFigures checks a campaign's 线索数, 客户数 and 成交金额.
func (f *campaignFixture) wantFigures(t *testing.T, id int64, leads, customers int, deal string) crm.Campaign {
	t.Helper()
	c, err := f.db.CampaignByID(context.Background(), f.admin, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.LeadCount != leads || c.CustomerCount != customers || !c.DealAmount.Equal(decimal.RequireFromString(deal)) {
		t.Fatalf("campaign %d figures = %d leads, %d customers, %s; want %d, %d, %s",
			id, c.LeadCount, c.CustomerCount, c.DealAmount, leads, customers, deal)
	}
	return c
}

func TestCampaignFiguresFollowLeadsAndCustomers(t *testing.T) {
	t.Parallel()
	f := newCampaignFixture(t)
	ctx := context.Background()
	a := f.campaign(t, f.mkt, "春季展会", "0")
	b := f.campaign(t, f.mkt, "线上直播", "0")
	f.wantFigures(t, a, 0, 0, "0")

	// Leads: a multi-row insert (one trigger run per statement), moves
	// between campaigns, unlinking and deleting.
	f.exec(t, `INSERT INTO leads (name, campaign_id, created_by) VALUES ('甲', $1, $3), ('乙', $1, $3), ('丙', $1, $3), ('丁', $2, $3)`,
		a, b, f.mkt.ID)
	f.wantFigures(t, a, 3, 0, "0")
	f.wantFigures(t, b, 1, 0, "0")
	f.exec(t, `UPDATE leads SET campaign_id = $2 WHERE name = '甲' AND campaign_id = $1`, a, b)
	f.wantFigures(t, a, 2, 0, "0")
	f.wantFigures(t, b, 2, 0, "0")
	f.exec(t, `UPDATE leads SET campaign_id = NULL WHERE name = '乙'`)
	f.wantFigures(t, a, 1, 0, "0")
	f.exec(t, `UPDATE leads SET notes = 'x'`) // no campaign change: nothing moves
	f.wantFigures(t, a, 1, 0, "0")
	f.wantFigures(t, b, 2, 0, "0")
	f.exec(t, `DELETE FROM leads WHERE name = '丁'`)
	f.wantFigures(t, b, 1, 0, "0")
	// Through the storage's own write path too.
	if _, err := f.db.CreateLead(ctx, f.mkt, crm.LeadInput{Name: "戊", CampaignID: a, Status: crm.LeadNew}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	f.wantFigures(t, a, 2, 0, "0")

	// Customers move 客户数 and 成交金额 (their approved-order totals).
	f.exec(t, `INSERT INTO customers (name, campaign_id, deal_amount, deal_count, created_by)
		VALUES ('客户一', $1, 1000.50, 1, $2), ('客户二', $1, 2000.25, 2, $2)`, a, f.mkt.ID)
	f.wantFigures(t, a, 2, 2, "3000.75")
	f.exec(t, `UPDATE customers SET deal_amount = deal_amount + 999.25, deal_count = deal_count + 1 WHERE name = '客户一'`)
	f.wantFigures(t, a, 2, 2, "4000.00")
	f.exec(t, `UPDATE customers SET campaign_id = $1 WHERE name = '客户二'`, b)
	f.wantFigures(t, a, 2, 1, "1999.75")
	f.wantFigures(t, b, 1, 1, "2000.25")
	f.exec(t, `DELETE FROM customers WHERE name = '客户二'`)
	f.wantFigures(t, b, 1, 0, "0")

	// ROI: "—" (not ok) at cost 0, exact to 0.01 otherwise.
	c := f.wantFigures(t, a, 2, 1, "1999.75")
	if _, ok := c.ROI(); ok {
		t.Fatal("ROI at cost 0 should be undefined")
	}
	in := crm.CampaignInput{Name: c.Name, TypeID: c.TypeID, Status: c.Status, ActualCost: decimal.RequireFromString("600.00")}
	if err := f.db.UpdateCampaign(ctx, f.mkt, a, in); err != nil {
		t.Fatal(err)
	}
	c = f.wantFigures(t, a, 2, 1, "1999.75")
	roi, ok := c.ROI()
	if want := decimal.RequireFromString("3.33"); !ok || !roi.Equal(want) { // 1999.75 / 600 = 3.3329…
		t.Fatalf("ROI = %s %v, want %s", roi, ok, want)
	}
	f.exec(t, `UPDATE customers SET deal_amount = 1200.30 WHERE name = '客户一'`)
	c = f.wantFigures(t, a, 2, 1, "1200.30")
	if roi, _ := c.ROI(); !roi.Equal(decimal.RequireFromString("2.00")) { // 2.0005 rounds half up
		t.Fatalf("ROI = %s, want 2.00", roi)
	}
}

func TestCampaignDeleteRefusedWhileReferenced(t *testing.T) {
	t.Parallel()
	f := newCampaignFixture(t)
	ctx := context.Background()
	id := f.campaign(t, f.mkt, "地推", "100")
	f.exec(t, `INSERT INTO leads (name, campaign_id, created_by) VALUES ('甲', $1, $2)`, id, f.mkt.ID)

	err := f.db.DeleteCampaign(ctx, f.mkt, id)
	wantCode(t, err, crm.ECONFLICT, "campaign.in_use")
	if e := err.(*crm.Error); len(e.Args) != 2 || e.Args[0] != 1 || e.Args[1] != 0 {
		t.Fatalf("args = %v, want [1 0]", e.Args)
	}
	f.exec(t, `UPDATE leads SET campaign_id = NULL`)
	f.exec(t, `INSERT INTO customers (name, campaign_id, created_by) VALUES ('客户', $1, $2)`, id, f.mkt.ID)
	wantCode(t, f.db.DeleteCampaign(ctx, f.mkt, id), crm.ECONFLICT, "campaign.in_use")
	if _, err := f.db.CampaignByID(ctx, f.mkt, id); err != nil {
		t.Fatalf("refused delete removed the campaign: %v", err)
	}

	f.exec(t, `UPDATE customers SET campaign_id = NULL`)
	if err := f.db.DeleteCampaign(ctx, f.mkt, id); err != nil {
		t.Fatal(err)
	}
	_, err = f.db.CampaignByID(ctx, f.admin, id)
	wantCode(t, err, crm.ENOTFOUND, "")
	hist, err := f.db.History(ctx, crm.ResCampaign, id)
	if err != nil || len(hist) != 2 || hist[0].Action != "delete" || hist[1].Action != "create" {
		t.Fatalf("history = %+v, %v", hist, err)
	}
}

func TestCampaignPermissions(t *testing.T) {
	t.Parallel()
	f := newCampaignFixture(t)
	ctx := context.Background()
	id := f.campaign(t, f.mkt, "市场部的活动", "0")
	in := crm.CampaignInput{Name: "改名", Status: crm.CampaignPlanned}

	// Who views (SPEC §3 rules 1–2) and who may change it (owner, admin, management).
	for _, c := range []struct {
		name           string
		a              crm.Actor
		view, change   bool
		listed, create bool
	}{
		{"admin", f.admin, true, true, true, true},
		{"management", f.mgmt, true, true, true, true},
		{"finance", f.finan, true, false, true, false},
		{"marketing owner", f.mkt, true, true, true, true},
		{"other marketing", f.mkt2, true, false, true, true},
		{"sales manager", f.manager, false, false, false, false},
		{"sales rep", f.rep, false, false, false, false},
	} {
		_, err := f.db.CampaignByID(ctx, c.a, id)
		if (err == nil) != c.view {
			t.Errorf("%s: CampaignByID err = %v, want view %v", c.name, err, c.view)
		}
		list, total, err := f.db.FindCampaigns(ctx, c.a, crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}})
		listed := slices.ContainsFunc(list, func(x crm.Campaign) bool { return x.ID == id })
		if err != nil || listed != c.listed || total.N != len(list) {
			t.Errorf("%s: FindCampaigns = %d rows (total %d), %v; want listed %v", c.name, len(list), total.N, err, c.listed)
		}
		choices, err := f.db.CampaignChoices(ctx, c.a)
		if err != nil || slices.ContainsFunc(choices, func(ch crm.Choice) bool { return ch.ID == id }) != c.view {
			t.Errorf("%s: CampaignChoices = %v, %v", c.name, choices, err)
		}
		_, err = f.db.CreateCampaign(ctx, c.a, crm.CampaignInput{Name: "新活动 " + c.name})
		if (err == nil) != c.create {
			t.Errorf("%s: CreateCampaign err = %v, want create %v", c.name, err, c.create)
		}
		if !c.create {
			wantCode(t, err, crm.EFORBIDDEN, "")
		}
		err = f.db.UpdateCampaign(ctx, c.a, id, in)
		switch {
		case !c.view:
			wantCode(t, err, crm.ENOTFOUND, "")
			wantCode(t, f.db.DeleteCampaign(ctx, c.a, id), crm.ENOTFOUND, "")
		case !c.change:
			wantCode(t, err, crm.EFORBIDDEN, "")
			wantCode(t, f.db.DeleteCampaign(ctx, c.a, id), crm.EFORBIDDEN, "")
		case err != nil:
			t.Errorf("%s: UpdateCampaign: %v", c.name, err)
		}
	}

	// Owners other than the creator: admin may name anyone (the campaign
	// moves to their department); marketing may name nobody else.
	rid, err := f.db.CreateCampaign(ctx, f.admin, crm.CampaignInput{Name: "给销售的活动", OwnerID: f.rep.ID})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.db.CampaignByID(ctx, f.rep, rid)
	if err != nil || c.OwnerID != f.rep.ID || c.DepartmentID != f.salesDept || c.CreatedBy != f.admin.ID {
		t.Fatalf("assigned campaign = %+v, %v", c, err)
	}
	if _, err := f.db.CampaignByID(ctx, f.manager, rid); err != nil { // rule 5: in the manager's department
		t.Fatalf("manager cannot view a campaign of their department: %v", err)
	}
	if err := f.db.UpdateCampaign(ctx, f.rep, rid, crm.CampaignInput{Name: "销售改名"}); err != nil {
		t.Fatalf("owner rep cannot update: %v", err)
	}
	_, err = f.db.CreateCampaign(ctx, f.mkt, crm.CampaignInput{Name: "替别人建", OwnerID: f.mkt2.ID})
	if fe := crm.FieldErrors(err); fe["owner_id"] != "error.assignee_out_of_scope" {
		t.Fatalf("marketing naming another owner: %v", err)
	}
	// A transfer on update needs the assign right.
	err = f.db.UpdateCampaign(ctx, f.mkt, id, crm.CampaignInput{Name: "转交", OwnerID: f.mkt2.ID})
	wantCode(t, err, crm.EFORBIDDEN, "")
	if err := f.db.UpdateCampaign(ctx, f.mgmt, id, crm.CampaignInput{Name: "转交", OwnerID: f.mkt2.ID}); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.db.CampaignByID(ctx, f.admin, id); c.OwnerID != f.mkt2.ID {
		t.Fatalf("owner after transfer = %d", c.OwnerID)
	}
	// The creator keeps viewing what was transferred away, but no longer changes it.
	wantCode(t, f.db.UpdateCampaign(ctx, f.mkt, id, in), crm.EFORBIDDEN, "")
}

func TestCampaignUpdateHistoryAndDates(t *testing.T) {
	t.Parallel()
	f := newCampaignFixture(t)
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, crm.Zone)
	end := time.Date(2026, 3, 31, 0, 0, 0, 0, crm.Zone)
	in := crm.CampaignInput{Name: " 三月活动 ", TypeID: f.campaignType, StartDate: &start, EndDate: &end,
		Budget: decimal.RequireFromString("5000"), Description: "说明"}
	id, err := f.db.CreateCampaign(ctx, f.mkt, in)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.db.CampaignByID(ctx, f.mkt, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "三月活动" || c.Status != crm.CampaignPlanned || c.TypeName != "线上推广" ||
		!c.StartDate.Equal(start) || !c.EndDate.Equal(end) || !c.Budget.Equal(decimal.NewFromInt(5000)) ||
		c.OwnerID != f.mkt.ID || c.DepartmentID != f.marketingDept || c.CreatedBy != f.mkt.ID {
		t.Fatalf("created = %+v", c)
	}

	// Bad input is refused with field messages before anything is written.
	bad := in
	bad.EndDate = &time.Time{}
	*bad.EndDate = start.AddDate(0, 0, -1)
	bad.TypeID = 999999
	err = f.db.UpdateCampaign(ctx, f.mkt, id, bad)
	if fe := crm.FieldErrors(err); fe["end_date"] != "error.end_before_start" {
		t.Fatalf("end before start: %v", err)
	}
	bad.EndDate = nil
	if fe := crm.FieldErrors(f.db.UpdateCampaign(ctx, f.mkt, id, bad)); fe["type_id"] != "error.not_exist" {
		t.Fatalf("unknown type: %v", fe)
	}

	in.Name, in.Status, in.Budget, in.StartDate = "三月活动（延期）", crm.CampaignActive, decimal.RequireFromString("5200.50"), nil
	if err := f.db.UpdateCampaign(ctx, f.mkt, id, in); err != nil {
		t.Fatal(err)
	}
	if err := f.db.UpdateCampaign(ctx, f.mkt, id, in); err != nil { // the same again: no entry
		t.Fatal(err)
	}
	hist, err := f.db.History(ctx, crm.ResCampaign, id)
	if err != nil || len(hist) != 2 || hist[0].Action != "update" || hist[0].ActorID != f.mkt.ID {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	got := map[string][2]string{}
	for _, ch := range hist[0].Changes {
		got[ch.Field] = [2]string{ch.Old, ch.New}
	}
	want := map[string][2]string{
		"campaign_name":   {"三月活动", "三月活动（延期）"},
		"campaign_status": {"planned", "active"},
		"budget":          {"5000.00", "5200.50"},
		"start_date":      {"2026-03-01", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("change %s = %v, want %v", k, got[k], v)
		}
	}
}

func TestFindCampaignsFiltersSortsAndPages(t *testing.T) {
	t.Parallel()
	f := newCampaignFixture(t)
	ctx := context.Background()
	other, err := f.db.AddOption(ctx, crm.OptCampaignType, "行业峰会", "Summit", false)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, name := range []string{"春季展会", "夏季展会", "秋季直播", "冬季直播", "年会"} {
		in := crm.CampaignInput{Name: name, TypeID: f.campaignType, Status: crm.CampaignPlanned}
		if i%2 == 1 {
			in.TypeID, in.Status = other, crm.CampaignFinished
		}
		a := f.mkt
		if i == 4 {
			a = f.mkt2
		}
		id, err := f.db.CreateCampaign(ctx, a, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Leads: 秋季直播 3, 春季展会 1.
	f.exec(t, `INSERT INTO leads (name, campaign_id, created_by) VALUES ('a', $1, $3), ('b', $1, $3), ('c', $1, $3), ('d', $2, $3)`,
		ids[2], ids[0], f.mkt.ID)

	names := func(fl crm.CampaignFilter, a crm.Actor) ([]string, crm.Total) {
		t.Helper()
		cs, total, err := f.db.FindCampaigns(ctx, a, fl)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out, total
	}
	eq := func(label string, got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s = %v, want %v", label, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s = %v, want %v", label, got, want)
			}
		}
	}
	got, total := names(crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}, f.mkt)
	eq("default (newest first)", got, "年会", "冬季直播", "秋季直播", "夏季展会", "春季展会")
	if total.N != 5 || total.Capped {
		t.Fatalf("total = %+v", total)
	}
	got, _ = names(crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Query: "展会"}}, f.mkt)
	eq("search", got, "夏季展会", "春季展会")
	got, _ = names(crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}, Status: crm.CampaignFinished}, f.mkt)
	eq("status", got, "冬季直播", "夏季展会")
	got, _ = names(crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Sort: "name"}, TypeID: f.campaignType}, f.mkt)
	eq("type, by name", got, "年会", "春季展会", "秋季直播")
	got, _ = names(crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Sort: "leads", Desc: true, Page: crm.Page{PerPage: 2}}}, f.mkt)
	eq("by leads, page 1", got, "秋季直播", "春季展会")
	got, total = names(crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Sort: "leads", Desc: true, Page: crm.Page{Page: 3, PerPage: 2}}}, f.mkt)
	eq("by leads, page 3 (ties by id)", got, "夏季展会")
	if total.N != 5 {
		t.Fatalf("total on page 3 = %d", total.N)
	}
	got, _ = names(crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabMine}}, f.mkt2)
	eq("mine", got, "年会")
	got, _ = names(crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Sort: "c.id; DROP TABLE campaigns"}}, f.mkt)
	if len(got) != 5 {
		t.Fatalf("unknown sort: %v", got)
	}

	// Choices keep the edited record's campaign even beyond the newest ones.
	choices, err := f.db.CampaignChoices(ctx, f.mkt, ids[0], ids[0])
	if err != nil || len(choices) != 5 || choices[0].Name != "年会" || choices[4].ID != ids[0] {
		t.Fatalf("choices = %v, %v", choices, err)
	}
}

// TestActiveCampaignChoicesAndCheck: the 所属活动 pickers list the
// campaigns in progress whatever the actor may view (a rep views none),
// plus the kept one however it ended; a new lead or customer takes only a
// campaign in progress, an edited one keeps its own after it ended.
func TestActiveCampaignChoicesAndCheck(t *testing.T) {
	t.Parallel()
	f := newCampaignFixture(t)
	ctx := context.Background()
	active := f.campaign(t, f.mkt, "进行中", "0")
	ended := f.campaign(t, f.mkt, "已结束", "0")
	if _, err := f.db.CampaignByID(ctx, f.rep, active); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Fatalf("a rep views the campaign: %v", err)
	}
	lead, err := f.db.CreateLead(ctx, f.rep, crm.LeadInput{Name: "线索", CampaignID: ended, Status: crm.LeadNew}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	f.exec(t, `UPDATE campaigns SET status = 'finished' WHERE id = $1`, ended)
	names := func(keep ...int64) []string {
		c, err := f.db.ActiveCampaignChoices(ctx, keep...)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range c {
			out = append(out, x.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"进行中"}) {
		t.Fatalf("choices %q", got)
	}
	if got := names(ended); !slices.Equal(got, []string{"已结束", "进行中"}) {
		t.Fatalf("choices keeping the ended one %q", got)
	}
	_, err = f.db.CreateCustomer(ctx, f.rep, crm.CustomerInput{Name: "客户", CampaignID: ended}, postgres.NewOwner{})
	if crm.FieldErrors(err)["campaign_id"] != "campaign.not_active" {
		t.Fatalf("an ended campaign on a new customer: %v", err)
	}
	if _, err := f.db.CreateCustomer(ctx, f.rep, crm.CustomerInput{Name: "客户", CampaignID: active}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.UpdateLead(ctx, f.rep, lead, crm.LeadInput{Name: "线索改", CampaignID: ended, Status: crm.LeadFollowing}); err != nil {
		t.Fatalf("keeping an ended campaign: %v", err)
	}
	err = f.db.UpdateLead(ctx, f.rep, lead, crm.LeadInput{Name: "线索改", CampaignID: 999999, Status: crm.LeadFollowing})
	if crm.FieldErrors(err)["campaign_id"] != "campaign.not_active" {
		t.Fatalf("a missing campaign: %v", err)
	}
}
