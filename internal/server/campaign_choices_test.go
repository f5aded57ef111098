package server_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/i18n"
)

// TestEveryCreatorPicksActiveCampaigns: every role that records leads or
// customers — rep, manager, marketing (leads only), management, admin —
// picks 所属活动 from the campaigns in progress, names only, whether or not
// it may view campaigns; what they record counts in the campaign's 线索数,
// 客户数 and 成交金额. The campaign pages keep their rules (a rep still gets
// 404). A campaign not in progress is refused on a new record, but an
// edited record keeps its own however it ended.
func TestEveryCreatorPicksActiveCampaigns(t *testing.T) {
	w := newOrdWorld(t)
	mkt := w.clients["mkt"]
	newCampaign := func(name, status string) string {
		loc := mkt.post("/campaigns", form("name", name, "status", status, "actual_cost", "100")).wantStatus(303).Location
		return strings.TrimPrefix(loc, "/campaigns/")
	}
	active := newCampaign("秋季发布会", "active")
	finished := newCampaign("去年展会", "finished")
	planned := newCampaign("筹备中的活动", "planned")
	offered := func(p *page) []string { return p.texts(`#f-campaign_id option`) }
	figure := func(id string) (leads, customers, deal string) {
		p := mkt.get("/campaigns/" + id).wantStatus(200)
		return p.text(tid("campaign-lead-count")), p.text(tid("campaign-customer-count")), p.text(tid("campaign-deal-amount"))
	}

	creators := []string{"rep1", "mgr1", "mkt", "boss", "admin"}
	customers := map[string]int64{}
	leads := map[string]int64{}
	for _, u := range creators {
		c := w.clients[u]
		// The lead form offers the campaign in progress, and only it.
		if got := offered(c.get("/leads/new").wantStatus(200)); !slices.Contains(got, "秋季发布会") ||
			slices.Contains(got, "去年展会") || slices.Contains(got, "筹备中的活动") {
			t.Fatalf("%s: lead form offers %q", u, got)
		}
		// Not in progress: refused with a message on the field.
		for _, id := range []string{finished, planned} {
			c.post("/leads", form("name", u+"的线索", "status", "new", "campaign_id", id)).wantStatus(http.StatusUnprocessableEntity).
				wantText(tid("error-campaign_id"), i18n.T(i18n.ZH, "campaign.not_active"))
		}
		loc := c.post("/leads", form("name", u+"的线索", "status", "new", "campaign_id", active)).wantStatus(303).Location
		leads[u] = mustInt(t, strings.TrimPrefix(loc, "/leads/"))

		if u == "mkt" { // marketing records campaigns and leads only
			c.get("/customers/new").wantStatus(http.StatusForbidden)
			c.post("/customers", form("name", "市场部的客户", "campaign_id", active)).wantStatus(http.StatusForbidden)
			continue
		}
		if got := offered(c.get("/customers/new").wantStatus(200)); !slices.Contains(got, "秋季发布会") || slices.Contains(got, "去年展会") {
			t.Fatalf("%s: customer form offers %q", u, got)
		}
		c.post("/customers", form("name", u+"的客户", "campaign_id", finished)).wantStatus(http.StatusUnprocessableEntity).
			wantText(tid("error-campaign_id"), i18n.T(i18n.ZH, "campaign.not_active"))
		loc = c.post("/customers", form("name", u+"的客户", "campaign_id", active)).wantStatus(303).Location
		customers[u] = mustInt(t, strings.TrimPrefix(loc, "/customers/"))
	}
	if l, c, _ := figure(active); l != "5" || c != "4" {
		t.Fatalf("线索数 %s 客户数 %s, want 5 and 4", l, c)
	}
	// The lists filter by it too.
	if got := w.clients["rep1"].get("/customers").texts(`select[name=campaign] option`); !slices.Contains(got, "秋季发布会") {
		t.Fatalf("rep's customer filter offers %q", got)
	}

	// The campaign pages keep their rules.
	camp := mustInt(t, active)
	var rec crm.Record
	if err := w.DB.Pool.QueryRow(context.Background(), `SELECT coalesce(owner_id, 0), coalesce(department_id, 0), created_by FROM campaigns WHERE id = $1`,
		camp).Scan(&rec.OwnerID, &rec.DepartmentID, &rec.CreatedBy); err != nil {
		t.Fatal(err)
	}
	rec.Resource = crm.ResCampaign
	for _, u := range []string{"rep1", "mgr1"} {
		want := http.StatusNotFound
		if crm.CanView(w.actor(u), rec) {
			want = http.StatusOK
		}
		w.clients[u].get("/campaigns/" + active).wantStatus(want)
	}
	w.clients["rep1"].get("/campaigns/" + active).wantStatus(http.StatusNotFound)

	// 成交金额: an approved order of the rep's customer; a converted lead
	// brings its customer into 客户数.
	w.approved("rep1", customers["rep1"], w.line("ORD-A", "100", "1", "2"))
	w.clients["rep1"].post(fmtPath("/leads/%d/convert", leads["rep1"]), form()).wantStatus(303)
	if l, c, d := figure(active); l != "5" || c != "5" || d != crm.FormatMoney(decimalOf(t, "200")) {
		t.Fatalf("figures %s %s %s, want 5 5 200.00", l, c, d)
	}

	// The campaign ends; the rep's records keep it through their edits,
	// and the edit forms still offer it.
	mkt.post("/campaigns/"+active, form("name", "秋季发布会", "status", "finished", "actual_cost", "100")).wantStatus(303)
	rep1 := w.clients["rep1"]
	cust := strconv.FormatInt(customers["rep1"], 10)
	if got := rep1.get("/customers/" + cust + "/edit").text(`#f-campaign_id option[selected]`); got != "秋季发布会" {
		t.Fatalf("edit form campaign %q", got)
	}
	rep1.post("/customers/"+cust, form("name", "rep1的客户", "campaign_id", active, "phone", "0571")).wantStatus(303)
	lead := strconv.FormatInt(leads["mgr1"], 10)
	w.clients["mgr1"].post("/leads/"+lead, form("name", "mgr1的线索", "status", "following", "campaign_id", active)).wantStatus(303)
	// …but no other record may take it now.
	rep1.post("/customers", form("name", "新客户", "campaign_id", active)).wantStatus(http.StatusUnprocessableEntity)
	if n := w.count(`SELECT count(*) FROM customers WHERE id = $1 AND campaign_id = $2 AND phone = '0571'`, customers["rep1"], camp); n != 1 {
		t.Fatal("the customer lost its ended campaign")
	}
}

// TestEditWithoutFieldKeepsIt: an edit posted without a field (the key
// absent) keeps the stored value — campaign_id among them — while a field
// posted empty clears it; for customers, leads, contacts and
// opportunities.
func TestEditWithoutFieldKeepsIt(t *testing.T) {
	w := newOrdWorld(t)
	mkt := w.clients["mkt"]
	loc := mkt.post("/campaigns", form("name", "保留活动", "status", "active")).wantStatus(303).Location
	camp := strings.TrimPrefix(loc, "/campaigns/")
	rep1 := w.clients["rep1"]

	loc = rep1.post("/customers", form("name", "保留客户", "campaign_id", camp, "phone", "13800001111", "address", "杭州")).wantStatus(303).Location
	cust := strings.TrimPrefix(loc, "/customers/")
	rep1.post("/customers/"+cust, form("name", "保留客户改")).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM customers WHERE id = $1 AND name = '保留客户改' AND campaign_id = $2
		AND phone = '13800001111' AND address = '杭州'`, mustInt(t, cust), mustInt(t, camp)); n != 1 {
		t.Fatal("an edit without campaign_id, phone, address cleared them")
	}
	rep1.post("/customers/"+cust, form("name", "保留客户改", "campaign_id", "", "address", "")).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM customers WHERE id = $1 AND campaign_id IS NULL AND address = '' AND phone = '13800001111'`,
		mustInt(t, cust)); n != 1 {
		t.Fatal("campaign_id= and address= did not clear them")
	}

	loc = rep1.post("/leads", form("name", "保留线索", "status", "new", "campaign_id", camp, "company", "某公司",
		"next_follow_up_at", "2027-03-01T09:30")).wantStatus(303).Location
	lead := strings.TrimPrefix(loc, "/leads/")
	rep1.post("/leads/"+lead, form("name", "保留线索改")).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM leads WHERE id = $1 AND name = '保留线索改' AND campaign_id = $2 AND company = '某公司'
		AND status = 'new' AND next_follow_up_at = '2027-03-01 09:30:00+08'`, mustInt(t, lead), mustInt(t, camp)); n != 1 {
		t.Fatal("a lead edit without fields cleared them")
	}
	rep1.post("/leads/"+lead, form("name", "保留线索改", "campaign_id", "", "next_follow_up_at", "")).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM leads WHERE id = $1 AND campaign_id IS NULL AND next_follow_up_at IS NULL AND company = '某公司'`,
		mustInt(t, lead)); n != 1 {
		t.Fatal("campaign_id= did not clear the lead's campaign")
	}

	rep1.post("/contacts", form("customer_id", cust, "name", "联系人甲", "title", "经理", "email", "a@example.com")).wantStatus(303)
	contact := int64(w.count(`SELECT id FROM contacts WHERE name = '联系人甲'`))
	rep1.post(fmtPath("/contacts/%d", contact), form("name", "联系人甲", "email", "")).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM contacts WHERE id = $1 AND title = '经理' AND email = ''`, contact); n != 1 {
		t.Fatal("contact edit: the title was lost or the email kept")
	}

	opp, err := w.DB.CreateOpportunity(context.Background(), w.actor("rep1"), crm.OpportunityInput{Name: "保留机会",
		CustomerID: mustInt(t, cust), Stage: crm.StageProposal, ExpectedAmount: decimalOf(t, "5000"), Notes: "备注"})
	if err != nil {
		t.Fatal(err)
	}
	rep1.post(fmtPath("/opportunities/%d", opp), form("name", "保留机会改")).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM opportunities WHERE id = $1 AND name = '保留机会改' AND stage = 'proposal'
		AND expected_amount = 5000 AND notes = '备注'`, opp); n != 1 {
		t.Fatal("an opportunity edit without fields cleared them")
	}
	rep1.post(fmtPath("/opportunities/%d", opp), form("name", "保留机会改", "notes", "")).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM opportunities WHERE id = $1 AND notes = '' AND expected_amount = 5000`, opp); n != 1 {
		t.Fatal("notes= did not clear the opportunity's notes")
	}
}

func decimalOf(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
