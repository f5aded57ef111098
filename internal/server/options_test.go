package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"crm/internal/crm"
)

// adminOptionNames returns the names of one list as the admin page shows them,
// in order.
func adminOptionNames(t *testing.T, p *page, kind crm.OptionKind) []string {
	t.Helper()
	var out []string
	for _, r := range p.Doc.Find(tid("options-"+string(kind)) + " " + tid("option-row")).EachIter() {
		out = append(out, r.AttrOr("data-name", ""))
	}
	return out
}

// adminOptionID returns the id of a value.
func adminOptionID(t *testing.T, a *testApp, kind crm.OptionKind, name string) int64 {
	t.Helper()
	return int64(a.count(`SELECT id FROM options WHERE kind = $1 AND name = $2`, string(kind), name))
}

func adminOptionPath(id int64, suffix string) string {
	return "/admin/options/" + strconv.FormatInt(id, 10) + suffix
}

func TestOptionsAdminPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hq := mustDepartment(t, a.DB, "总部", 0)
	mustEmployee(t, a.DB, "opt_admin", crm.RoleAdmin, hq)
	c := a.loginAs("opt_admin")

	p := c.get("/admin/options").wantStatus(http.StatusOK)
	campaignNoRawKeys(t, p)
	for _, k := range crm.OptionKinds {
		if !p.has(tid("options-" + string(k))) {
			t.Errorf("no section for %s", k)
		}
	}
	for k, want := range map[crm.OptionKind]string{crm.OptSource: "来源", crm.OptIndustry: "行业",
		crm.OptCustomerLevel: "客户级别", crm.OptCampaignType: "活动类型", crm.OptFollowUpMethod: "跟进方式"} {
		if got := p.text(tid("options-"+string(k)) + " h2"); got != want {
			t.Errorf("%s heading = %q, want %q", k, got, want)
		}
	}
	before := adminOptionNames(t, p, crm.OptCampaignType)
	if strings.Join(before, ",") != "展会,线上广告,研讨会,地推,其他" {
		t.Fatalf("campaign types = %v", before)
	}

	// Add: at the end of its list; a taken or empty name is a field error.
	c.post("/admin/options", form("kind", "campaign_type", "name", " 直播 ", "name_en", "Live stream")).
		wantRedirect("/admin/options#opt-campaign_type")
	p = c.get("/admin/options")
	p.wantText(tid("flash"), "直播")
	if got := adminOptionNames(t, p, crm.OptCampaignType); strings.Join(got, ",") != "展会,线上广告,研讨会,地推,其他,直播" {
		t.Fatalf("after add: %v", got)
	}
	p = c.post("/admin/options", form("kind", "campaign_type", "name", "展会")).wantStatus(http.StatusUnprocessableEntity)
	p.wantText(tid("option-add-campaign_type")+" "+tid("error-name"), "已被占用")
	if v, _ := p.Doc.Find(tid("option-add-campaign_type") + ` input[name="name"]`).Attr("value"); v != "展会" {
		t.Errorf("the taken name is not re-shown: %q", v)
	}
	c.post("/admin/options", form("kind", "source", "name", "研讨会")).wantStatus(http.StatusSeeOther) // taken in another list only: fine
	c.post("/admin/options", form("kind", "industry", "name", "　")).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("option-add-industry")+" "+tid("error-name"), "必填")
	c.post("/admin/options", form("kind", "bogus", "name", "x")).wantStatus(http.StatusUnprocessableEntity)

	// Rename: records follow; a taken name is a field error on that row.
	fair := adminOptionID(t, a, crm.OptCampaignType, "展会")
	c.post(adminOptionPath(fair, ""), form("name", "线下展会", "name_en", "Exhibition")).wantRedirect("/admin/options#opt-campaign_type")
	o, err := a.DB.OptionByID(context.Background(), fair)
	if err != nil || o.Name != "线下展会" || o.NameEn != "Exhibition" {
		t.Fatalf("renamed = %+v, %v", o, err)
	}
	p = c.post(adminOptionPath(fair, ""), form("name", "地推", "name_en", "x")).wantStatus(http.StatusUnprocessableEntity)
	row := p.Doc.Find(tid("options-campaign_type") + ` [data-id="` + strconv.FormatInt(fair, 10) + `"]`)
	if row.Find(tid("error-name")).Text() == "" || row.Find(`input[name="name"]`).AttrOr("value", "") != "地推" {
		t.Errorf("the rename error is not on its row: %q", row.Text())
	}
	c.post(adminOptionPath(fair, ""), form("name", "")).wantStatus(http.StatusUnprocessableEntity)
	c.post(adminOptionPath(999999, ""), form("name", "x")).wantStatus(http.StatusNotFound)

	// Move up and down within the list; the ends stay put.
	other := adminOptionID(t, a, crm.OptCampaignType, "其他")
	c.post(adminOptionPath(other, "/move"), form("direction", "up")).wantRedirect("/admin/options#opt-campaign_type")
	c.post(adminOptionPath(fair, "/move"), form("direction", "down")).wantStatus(http.StatusSeeOther)
	c.post(adminOptionPath(adminOptionID(t, a, crm.OptCampaignType, "直播"), "/move"), form("direction", "down")).wantStatus(http.StatusSeeOther)
	p = c.get("/admin/options")
	if got := adminOptionNames(t, p, crm.OptCampaignType); strings.Join(got, ",") != "线上广告,线下展会,研讨会,其他,地推,直播" {
		t.Fatalf("after moves: %v", got)
	}
	if !p.Doc.Find(tid("options-campaign_type") + " " + tid("option-row")).First().Find(tid("option-up")).Is("[disabled]") {
		t.Error("the first value can be moved up")
	}
	c.post(adminOptionPath(other, "/move"), form("direction", "sideways")).wantStatus(http.StatusUnprocessableEntity)

	// Delete: refused while a record uses the value (the page says so and
	// shows the count), done when none does.
	admin := int64(a.count(`SELECT id FROM employees WHERE username = 'opt_admin'`))
	a.exec(`INSERT INTO campaigns (name, type_id, created_by) VALUES ('用展会的活动', $1, $2)`, fair, admin)
	p = c.post(adminOptionPath(fair, "/delete"), nil).wantStatus(http.StatusConflict)
	p.wantText(tid("form-error"), "仍被记录使用")
	row = p.Doc.Find(tid("options-campaign_type") + ` [data-id="` + strconv.FormatInt(fair, 10) + `"]`)
	if got := strings.TrimSpace(row.Find(tid("option-in-use")).Text()); got != "1" {
		t.Errorf("in-use count = %q", got)
	}
	if !row.Find(tid("option-delete")).Is("[disabled]") {
		t.Error("a value in use offers an enabled delete")
	}
	if _, err := a.DB.OptionByID(context.Background(), fair); err != nil {
		t.Fatal("a value in use was deleted")
	}
	live := adminOptionID(t, a, crm.OptCampaignType, "直播")
	c.post(adminOptionPath(live, "/delete"), nil).wantRedirect("/admin/options#opt-campaign_type")
	if got := adminOptionNames(t, c.get("/admin/options"), crm.OptCampaignType); strings.Join(got, ",") != "线上广告,线下展会,研讨会,其他,地推" {
		t.Fatalf("after delete: %v", got)
	}
	c.post(adminOptionPath(live, "/delete"), nil).wantStatus(http.StatusNotFound)

	// In English the lists have English headings.
	c.header.Set("Accept-Language", "en")
	if p := c.get("/admin/options"); p.text(tid("options-campaign_type")+" h2") != "Campaign type" {
		t.Errorf("English heading = %q", p.text(tid("options-campaign_type")+" h2"))
	}
}

func TestOptionRoutesRefusedToNonAdmins(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hq := mustDepartment(t, a.DB, "总部", 0)
	others := []crm.Role{crm.RoleManagement, crm.RoleSalesManager, crm.RoleSalesRep, crm.RoleMarketing, crm.RoleFinance}
	for _, r := range others {
		mustEmployee(t, a.DB, "opt_"+string(r), r, hq)
	}
	src := adminOptionID(t, a, crm.OptSource, "官网")
	snapshot := func() string {
		var s string
		if err := a.DB.Pool.QueryRow(context.Background(),
			`SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM options o`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := snapshot()
	cases := 0
	for _, r := range others {
		c := a.loginAs("opt_" + string(r))
		if p := c.get("/admin/options"); p.Status != http.StatusForbidden {
			t.Errorf("%s GET /admin/options: %d", r, p.Status)
		}
		for path, f := range map[string][]string{
			"/admin/options":                {"kind", "source", "name", "新来源"},
			adminOptionPath(src, ""):        {"name", "改名"},
			adminOptionPath(src, "/move"):   {"direction", "down"},
			adminOptionPath(src, "/delete"): nil,
		} {
			if p := c.post(path, form(f...)); p.Status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", r, path, p.Status)
			}
			cases++
		}
		cases++
	}
	if snapshot() != before {
		t.Fatal("refused requests changed the options")
	}
	t.Logf("option routes: %d role × route cases refused", cases)
}
