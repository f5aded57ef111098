package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// campaignOrg is an organisation with one employee of each role (plus a
// second marketing employee), the marketing and sales people in
// departments of their own.
type campaignOrg struct {
	app                          *testApp
	hq, marketingDept, salesDept int64
	ids                          map[string]int64 // username → id
	clients                      map[string]*client
}

// campaignUsers are the fixture's employees: username → role.
var campaignUsers = []struct {
	username string
	role     crm.Role
}{
	{"cp_admin", crm.RoleAdmin}, {"cp_mgmt", crm.RoleManagement}, {"cp_manager", crm.RoleSalesManager},
	{"cp_rep", crm.RoleSalesRep}, {"cp_mkt", crm.RoleMarketing}, {"cp_fin", crm.RoleFinance}, {"cp_mkt2", crm.RoleMarketing},
}

func newCampaignOrg(t *testing.T) *campaignOrg {
	t.Helper()
	a := newApp(t)
	o := &campaignOrg{app: a, ids: map[string]int64{}, clients: map[string]*client{}}
	o.hq = mustDepartment(t, a.DB, "总部", 0)
	o.marketingDept = mustDepartment(t, a.DB, "市场部", o.hq)
	o.salesDept = mustDepartment(t, a.DB, "销售一部", o.hq)
	for _, u := range campaignUsers {
		dept := o.hq
		switch u.role {
		case crm.RoleMarketing:
			dept = o.marketingDept
		case crm.RoleSalesManager, crm.RoleSalesRep:
			dept = o.salesDept
		}
		o.ids[u.username] = mustEmployee(t, a.DB, u.username, u.role, dept)
	}
	return o
}

// as returns a signed-in client of username (one per user, reused).
func (o *campaignOrg) as(username string) *client {
	if c, ok := o.clients[username]; ok {
		return c
	}
	c := o.app.loginAs(username)
	o.clients[username] = c
	return c
}

// actor is the crm.Actor of username, as a request would see it.
func (o *campaignOrg) actor(t *testing.T, username string) crm.Actor {
	t.Helper()
	u, err := o.app.DB.LoadSessionUser(context.Background(), o.ids[username], 0)
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor
}

// campaign creates a campaign as username; in.Name must be set.
func (o *campaignOrg) campaign(t *testing.T, username string, in crm.CampaignInput) int64 {
	t.Helper()
	if in.Status == "" {
		in.Status = crm.CampaignActive
	}
	id, err := o.app.DB.CreateCampaign(context.Background(), o.actor(t, username), in)
	if err != nil {
		t.Fatalf("campaign %s: %v", in.Name, err)
	}
	return id
}

func campaignPath(id int64, suffix string) string {
	return "/campaigns/" + strconv.FormatInt(id, 10) + suffix
}

// campaignForm is a valid campaign form named name.
func campaignForm(name string) url.Values {
	return form("name", name, "status", "active", "start_date", "2026-04-01", "end_date", "2026-04-30",
		"budget", "10,000.00", "actual_cost", "2500.5", "description", "四月推广")
}

// TestCampaignRoutesByRole calls every campaign route as every role, on a
// campaign created by marketing and on one an admin gave to a sales rep,
// and checks the answers SPEC §3 gives: 404 where the campaign is
// invisible, 403 where it is visible but the action is not allowed.
func TestCampaignRoutesByRole(t *testing.T) {
	t.Parallel()
	o := newCampaignOrg(t)
	byMarketing := o.campaign(t, "cp_mkt", crm.CampaignInput{Name: "市场部的活动"})
	byRep := o.campaign(t, "cp_admin", crm.CampaignInput{Name: "销售员的活动", OwnerID: o.ids["cp_rep"]})

	const ok, created, forbidden, missing = http.StatusOK, http.StatusSeeOther, http.StatusForbidden, http.StatusNotFound
	// Expected status per user: view (detail, history), edit (form, update, delete).
	type want struct{ list, new, create, view, edit int }
	scenarios := []struct {
		name     string
		campaign int64
		owner    string // who creates the throw-away campaigns to delete
		want     map[string]want
	}{
		{"created by marketing", byMarketing, "cp_mkt", map[string]want{
			"cp_admin":   {ok, ok, created, ok, created},
			"cp_mgmt":    {ok, ok, created, ok, created},
			"cp_manager": {ok, forbidden, forbidden, missing, missing},
			"cp_rep":     {ok, forbidden, forbidden, missing, missing},
			"cp_mkt":     {ok, ok, created, ok, created},
			"cp_fin":     {ok, forbidden, forbidden, ok, forbidden},
			"cp_mkt2":    {ok, ok, created, ok, forbidden}, // views all campaigns, maintains own
		}},
		{"owned by a sales rep", byRep, "cp_rep", map[string]want{
			"cp_admin":   {ok, ok, created, ok, created},
			"cp_mgmt":    {ok, ok, created, ok, created},
			"cp_manager": {ok, forbidden, forbidden, ok, created}, // in the manager's department
			"cp_rep":     {ok, forbidden, forbidden, ok, created}, // the owner
			"cp_mkt":     {ok, ok, created, ok, forbidden},
			"cp_fin":     {ok, forbidden, forbidden, ok, forbidden},
			"cp_mkt2":    {ok, ok, created, ok, forbidden},
		}},
	}

	// updateName is the name a user's update posts in a scenario, so that
	// a refused update that got written would show.
	updateName := func(scenario, username string) string { return "改名 " + scenario + " " + username }
	cases := 0
	check := func(who, method, path string, p *page, want int) {
		t.Helper()
		cases++
		if p.Status != want {
			t.Errorf("%s: %s %s: %d, want %d\n%s", who, method, path, p.Status, want, abbreviate(p.Body))
		}
		if want == created && p.Location == "" {
			t.Errorf("%s: %s %s: 303 without Location", who, method, path)
		}
	}
	for _, sc := range scenarios {
		for _, u := range campaignUsers {
			w, c := sc.want[u.username], o.as(u.username)
			who := sc.name + " / " + u.username
			editForm := w.edit // the edit form answers 200 where the update answers 303
			if editForm == created {
				editForm = ok
			}
			check(who, "GET", "/campaigns", c.get("/campaigns"), w.list)
			check(who, "GET", "/campaigns/new", c.get("/campaigns/new"), w.new)
			check(who, "POST", "/campaigns", c.post("/campaigns", campaignForm("新活动 "+who)), w.create)
			check(who, "GET", campaignPath(sc.campaign, ""), c.get(campaignPath(sc.campaign, "")), w.view)
			check(who, "GET", campaignPath(sc.campaign, "/history"), c.get(campaignPath(sc.campaign, "/history")), w.view)
			check(who, "GET", campaignPath(sc.campaign, "/edit"), c.get(campaignPath(sc.campaign, "/edit")), editForm)
			check(who, "POST", campaignPath(sc.campaign, ""),
				c.post(campaignPath(sc.campaign, ""), campaignForm(updateName(sc.name, u.username))), w.edit)
			// Deleting needs a campaign per caller, made like the scenario's.
			in := crm.CampaignInput{Name: "待删 " + who}
			maker := "cp_mkt"
			if sc.owner == "cp_rep" {
				in.OwnerID, maker = o.ids["cp_rep"], "cp_admin"
			}
			victim := o.campaign(t, maker, in)
			check(who, "POST", campaignPath(victim, "/delete"), c.post(campaignPath(victim, "/delete"), nil), w.edit)
			if exists := o.app.count(`SELECT count(*) FROM campaigns WHERE id = $1`, victim) == 1; exists == (w.edit == created) {
				t.Errorf("%s: delete answered %d, yet the campaign exists = %v", who, w.edit, exists)
			}
			// The list shows the campaign exactly to those who may view it
			// (oldest first: the scenario campaigns lead the first page).
			row := `[data-testid="campaign-row"][data-id="` + strconv.FormatInt(sc.campaign, 10) + `"]`
			if listed := c.get("/campaigns?tab=all&sort=created").has(row); listed != (w.view == ok) {
				t.Errorf("%s: listed = %v, want %v", who, listed, w.view == ok)
			}
			cases++
		}
	}
	for _, sc := range scenarios {
		for _, u := range campaignUsers {
			n := o.app.count(`SELECT count(*) FROM history WHERE resource = 'campaign' AND record_id = $1
				AND changes @> jsonb_build_array(jsonb_build_object('n', $2::text))`, sc.campaign, updateName(sc.name, u.username))
			if want := sc.want[u.username].edit == created; (n == 1) != want {
				t.Errorf("%s / %s: update in history = %d, want written %v", sc.name, u.username, n, want)
			}
		}
	}
	t.Logf("campaign routes: %d role × route cases", cases)
}

// campaignNoRawKeys fails if a page shows a catalog key instead of a message.
func campaignNoRawKeys(t *testing.T, p *page) {
	t.Helper()
	text := p.Doc.Find("body").Text()
	for _, prefix := range []string{"campaign.", "option.", "field.", "history.action.", "error."} {
		if strings.Contains(text, prefix) {
			t.Errorf("%s %s: shows a raw catalog key (%s…)", p.method, p.path, prefix)
		}
	}
}

func TestCampaignListSearchFiltersSortsAndTabs(t *testing.T) {
	t.Parallel()
	o := newCampaignOrg(t)
	var fair, online int64
	if err := o.app.DB.Pool.QueryRow(context.Background(),
		`SELECT (SELECT id FROM options WHERE kind = 'campaign_type' AND name = '展会'),
		        (SELECT id FROM options WHERE kind = 'campaign_type' AND name = '线上广告')`).Scan(&fair, &online); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for i, name := range []string{"春季展会", "夏季展会", "秋季直播", "冬季直播"} {
		in := crm.CampaignInput{Name: name, TypeID: fair, Status: crm.CampaignActive, ActualCost: decimal.RequireFromString("100")}
		if i >= 2 {
			in.TypeID, in.Status, in.ActualCost = online, crm.CampaignFinished, decimal.Zero
		}
		ids[name] = o.campaign(t, "cp_mkt", in)
	}
	ids["年会"] = o.campaign(t, "cp_mkt2", crm.CampaignInput{Name: "年会", Status: crm.CampaignPlanned})
	o.app.exec(`INSERT INTO leads (name, campaign_id, created_by) VALUES ('a', $1, $3), ('b', $1, $3), ('c', $2, $3)`,
		ids["秋季直播"], ids["春季展会"], o.ids["cp_mkt"])
	o.app.exec(`INSERT INTO customers (name, campaign_id, deal_amount, created_by) VALUES ('客户', $1, 250.00, $2)`,
		ids["春季展会"], o.ids["cp_mkt"])

	c := o.as("cp_mkt")
	names := func(path string) []string {
		t.Helper()
		p := c.get(path).wantStatus(http.StatusOK)
		campaignNoRawKeys(t, p)
		return p.texts(tid("campaign-name"))
	}
	eq := func(path string, want ...string) {
		t.Helper()
		if got := names(path); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
	eq("/campaigns", "年会", "冬季直播", "秋季直播", "夏季展会", "春季展会")
	eq("/campaigns?q=展会", "夏季展会", "春季展会")
	eq("/campaigns?status=finished", "冬季直播", "秋季直播")
	eq("/campaigns?type="+strconv.FormatInt(online, 10)+"&sort=name", "冬季直播", "秋季直播")
	eq("/campaigns?sort=leads&dir=desc", "秋季直播", "春季展会", "年会", "冬季直播", "夏季展会")
	eq("/campaigns?sort=deal&dir=desc&status=active", "春季展会", "夏季展会")
	eq("/campaigns?sort=nonsense&status=bogus", "年会", "冬季直播", "秋季直播", "夏季展会", "春季展会")
	eq("/campaigns?tab=mine", "冬季直播", "秋季直播", "夏季展会", "春季展会")
	eq("/campaigns?tab=pool", "年会", "冬季直播", "秋季直播", "夏季展会", "春季展会") // not a campaign tab: the default

	p := c.get("/campaigns?q=春季")
	row := p.Doc.Find(tid("campaign-row"))
	if got := [...]string{row.Find(tid("row-lead-count")).Text(), row.Find(tid("row-customer-count")).Text(),
		row.Find(tid("row-deal-amount")).Text(), row.Find(tid("row-roi")).Text()}; got != [...]string{"1", "1", "250.00", "2.50"} {
		t.Errorf("row figures = %v", got)
	}
	if got := c.get("/campaigns?q=冬季").text(tid("row-roi")); got != "—" {
		t.Errorf("ROI at cost 0 = %q, want —", got)
	}
	p.wantText(tid("total"), "共 1 条")
	// Sort links keep the filters; tabs are marketing's (全部, 我负责的).
	if href, _ := p.Doc.Find(`th a`).First().Attr("href"); !strings.Contains(href, "q=") || !strings.Contains(href, "sort=name") {
		t.Errorf("sort link %q loses the search", href)
	}
	if got := p.texts(tid("scope-tabs") + " a"); strings.Join(got, ",") != "全部,我负责的" {
		t.Errorf("marketing tabs = %v", got)
	}
	if !p.has(tid("new-campaign")) {
		t.Error("marketing is not offered 新建市场活动")
	}
	if p.text(tid("new-campaign")) != "新建市场活动" {
		t.Errorf("button = %q", p.text(tid("new-campaign")))
	}

	// Pages of 20 with the total.
	for i := range 21 {
		o.campaign(t, "cp_mkt", crm.CampaignInput{Name: "批量活动 " + strconv.Itoa(i)})
	}
	p = c.get("/campaigns?q=批量")
	if n := len(p.texts(tid("campaign-row"))); n != 20 {
		t.Errorf("page 1 has %d rows", n)
	}
	p.wantText(tid("total"), "共 21 条")
	if n := len(c.get("/campaigns?q=批量&page=2").texts(tid("campaign-row"))); n != 1 {
		t.Errorf("page 2 has %d rows", n)
	}

	// Finance views the list but is not offered the button; a manager's
	// tabs start with 我负责的 and hold no campaign of marketing.
	if p := o.as("cp_fin").get("/campaigns"); p.has(tid("new-campaign")) || p.text(tid("total")) != "共 26 条" {
		t.Errorf("finance: button %v, total %q", p.has(tid("new-campaign")), p.text(tid("total")))
	}
	if p := o.as("cp_manager").get("/campaigns?tab=all"); p.has(tid("campaign-row")) || p.has(tid("new-campaign")) {
		t.Error("a sales manager sees marketing's campaigns or the create button")
	}
}

func TestCampaignCreateValidationAndDetail(t *testing.T) {
	t.Parallel()
	o := newCampaignOrg(t)
	c := o.as("cp_mkt")
	p := c.get("/campaigns/new").wantStatus(http.StatusOK)
	campaignNoRawKeys(t, p)
	if p.has(`select[name="owner_id"]`) {
		t.Error("marketing is offered an owner picker (it may assign to nobody)")
	}
	if !o.as("cp_admin").get("/campaigns/new").has(`select[name="owner_id"]`) {
		t.Error("admin is not offered an owner picker")
	}

	// Every problem at once, each on its field, with the input kept.
	bad := form("name", "  ", "status", "bogus", "start_date", "2026-13-45", "end_date", "2026-04-01",
		"budget", "12.345", "actual_cost", "-5", "type_id", "abc")
	p = c.post("/campaigns", bad).wantStatus(http.StatusUnprocessableEntity)
	campaignNoRawKeys(t, p)
	for field, msg := range map[string]string{"name": "必填", "status": "有效的选项", "start_date": "日期格式",
		"budget": "两位小数", "actual_cost": "负数", "type_id": "不存在"} {
		p.wantText(tid("error-"+field), msg)
	}
	if v, _ := p.Doc.Find(`input[name="budget"]`).Attr("value"); v != "12.345" {
		t.Errorf("budget re-shown as %q", v)
	}
	if v, _ := p.Doc.Find(`input[name="start_date"]`).Attr("value"); v != "2026-13-45" {
		t.Errorf("start date re-shown as %q", v)
	}
	p = c.post("/campaigns", form("name", "倒序", "start_date", "2026-04-30", "end_date", "2026-04-01")).
		wantStatus(http.StatusUnprocessableEntity)
	p.wantText(tid("error-end_date"), "不能早于")
	if n := o.app.count(`SELECT count(*) FROM campaigns`); n != 0 {
		t.Fatalf("invalid forms wrote %d campaigns", n)
	}

	// A valid form: 303 to the new campaign, which shows what was entered.
	p = c.post("/campaigns", campaignForm("四月推广"))
	id := int64(o.app.count(`SELECT id FROM campaigns WHERE name = '四月推广'`))
	p.wantRedirect(campaignPath(id, ""))
	p = c.get(campaignPath(id, "")).wantStatus(http.StatusOK)
	campaignNoRawKeys(t, p)
	p.wantText(tid("flash"), "四月推广")
	for sel, want := range map[string]string{
		"campaign-lead-count": "0", "campaign-customer-count": "0", "campaign-deal-amount": "0.00",
		"campaign-roi": "0.00", "campaign-budget": "10,000.00", "campaign-actual-cost": "2,500.50",
		"campaign-status": "进行中", "campaign-owner": "测试cp_mkt",
	} {
		if got := p.text(tid(sel)); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if href, _ := p.Doc.Find(tid("campaign-leads")).Attr("href"); href != "/leads?campaign="+strconv.FormatInt(id, 10) {
		t.Errorf("leads link = %q", href)
	}
	if href, _ := p.Doc.Find(tid("campaign-customers")).Attr("href"); href != "/customers?campaign="+strconv.FormatInt(id, 10) {
		t.Errorf("customers link = %q", href)
	}
	if !p.has(tid("edit-campaign")) || !p.has(tid("delete-campaign")) {
		t.Error("the owner is not offered edit and delete")
	}
	p.wantText(tid("history"), "创建")
	// Viewers who may not change it see no such buttons.
	if p := o.as("cp_fin").get(campaignPath(id, "")); p.has(tid("edit-campaign")) || p.has(tid("delete-campaign")) {
		t.Error("finance is offered edit or delete")
	}
	if p := o.as("cp_mkt2").get(campaignPath(id, "")); p.has(tid("edit-campaign")) || p.has(tid("delete-campaign")) {
		t.Error("another marketing employee is offered edit or delete")
	}

	// Admin creates for a sales rep, who then owns it.
	p = o.as("cp_admin").post("/campaigns", func() url.Values {
		f := campaignForm("给销售的活动")
		f.Set("owner_id", strconv.FormatInt(o.ids["cp_rep"], 10))
		return f
	}())
	if p.Status != http.StatusSeeOther {
		t.Fatalf("admin create with owner: %d", p.Status)
	}
	o.as("cp_rep").get(p.Location).wantStatus(http.StatusOK).wantText(tid("campaign-owner"), "测试cp_rep")
	// Marketing may not name another owner, even by posting one.
	f := campaignForm("偷偷指定")
	f.Set("owner_id", strconv.FormatInt(o.ids["cp_mkt2"], 10))
	c.post("/campaigns", f).wantStatus(http.StatusUnprocessableEntity)
}

func TestCampaignFiguresEditHistoryAndDelete(t *testing.T) {
	t.Parallel()
	o := newCampaignOrg(t)
	id := o.campaign(t, "cp_mkt", crm.CampaignInput{Name: "秋季展会", ActualCost: decimal.RequireFromString("600")})
	o.app.exec(`INSERT INTO leads (name, campaign_id, created_by) VALUES ('甲', $1, $2), ('乙', $1, $2)`, id, o.ids["cp_mkt"])
	o.app.exec(`INSERT INTO customers (name, campaign_id, deal_amount, created_by) VALUES ('客户一', $1, 1000.50, $2), ('客户二', $1, 999.25, $2)`,
		id, o.ids["cp_mkt"])
	c := o.as("cp_mkt")
	p := c.get(campaignPath(id, "")).wantStatus(http.StatusOK)
	for sel, want := range map[string]string{"campaign-lead-count": "2", "campaign-customer-count": "2",
		"campaign-deal-amount": "1,999.75", "campaign-roi": "3.33"} {
		if got := p.text(tid(sel)); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	p.wantText(tid("campaign-leads"), "2")

	// Delete refused while leads and customers refer to it: the page says why.
	p = c.post(campaignPath(id, "/delete"), nil).wantStatus(http.StatusConflict)
	p.wantText(tid("form-error"), "2 条线索和 2 个客户")
	c.get(campaignPath(id, "")).wantStatus(http.StatusOK)

	// Edit: the form shows the campaign; a change lands in the history with
	// the campaign's own labels.
	p = c.get(campaignPath(id, "/edit")).wantStatus(http.StatusOK)
	campaignNoRawKeys(t, p)
	if v, _ := p.Doc.Find(`input[name="actual_cost"]`).Attr("value"); v != "600.00" {
		t.Errorf("cost in the edit form = %q", v)
	}
	if p.has(`select[name="owner_id"]`) {
		t.Error("marketing is offered a transfer")
	}
	bad := campaignForm("")
	c.post(campaignPath(id, ""), bad).wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-name"), "必填")
	f := campaignForm("秋季展会（加场）")
	f.Set("actual_cost", "0")
	f.Set("status", "finished")
	c.post(campaignPath(id, ""), f).wantRedirect(campaignPath(id, ""))
	p = c.get(campaignPath(id, ""))
	p.wantText(tid("campaign-roi"), "—")
	hist := p.text(tid("history"))
	for _, want := range []string{"修改", "活动名称", "秋季展会（加场）", "活动状态", "进行中", "已结束", "实际成本", "600.00", "0.00"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q: %s", want, hist)
		}
	}
	c.get(campaignPath(id, "/history")).wantStatus(http.StatusOK).wantText(tid("history"), "活动名称")
	if p := c.do(http.MethodGet, campaignPath(id, "/history"), nil, http.Header{"Hx-Request": {"true"}}); p.Status != http.StatusOK ||
		p.has("nav") || !p.has(tid("history")) {
		t.Errorf("htmx history: %d, nav %v", p.Status, p.has("nav"))
	}

	// In English every label is English.
	en := o.as("cp_fin")
	en.header.Set("Accept-Language", "en")
	p = en.get(campaignPath(id, ""))
	campaignNoRawKeys(t, p)
	p.wantText(tid("history"), "Name")
	p.wantText(tid("campaign-status"), "Finished")

	// Once nothing refers to it, it goes.
	o.app.exec(`UPDATE leads SET campaign_id = NULL`)
	o.app.exec(`UPDATE customers SET campaign_id = NULL`)
	c.post(campaignPath(id, "/delete"), nil).wantRedirect("/campaigns")
	c.get("/campaigns").wantText(tid("flash"), "已删除")
	c.get(campaignPath(id, "")).wantStatus(http.StatusNotFound)
	c.get(campaignPath(id, "/history")).wantStatus(http.StatusNotFound)
	c.get("/campaigns/abc").wantStatus(http.StatusNotFound)
	c.post("/campaigns/999999/delete", nil).wantStatus(http.StatusNotFound)
}
