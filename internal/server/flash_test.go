package server_test

import (
	"context"
	"testing"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
)

// TestFlashFollowsLanguageSwitch: a flash is set while the user works in
// Chinese; they switch to English before the next page; that page shows
// the flash in English — with its arguments (a count, a translated stage
// label) formatted as before.
func TestFlashFollowsLanguageSwitch(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	dept := mustDepartment(t, a.DB, "闪存部", 0)
	rep := mustEmployee(t, a.DB, "flashrep", crm.RoleSalesRep, dept)
	c := a.loginAs("flashrep")

	// A plain key: 已创建。 → Created.
	p := c.post("/leads", form("name", "闪存线索", "status", "new")).wantStatus(303)
	lead := p.Location
	c.post("/locale", form("lang", "en", "next", lead)).wantRedirect(lead)
	if got, want := c.get(lead).wantStatus(200).text(tid("flash")), i18n.T(i18n.EN, "flash.created"); got != want {
		t.Fatalf("flash after the switch %q, want %q", got, want)
	}
	if n := len(c.get(lead).texts(tid("flash"))); n != 0 {
		t.Fatalf("the flash shows %d more times", n)
	}

	// Arguments: a name and a stage label (a catalog key itself), in
	// English, switching back to Chinese.
	a.exec(`UPDATE employees SET locale = 'en' WHERE id = $1`, rep)
	var me crm.Actor
	u, err := a.DB.LoadSessionUser(context.Background(), rep, 0)
	if err != nil {
		t.Fatal(err)
	}
	me = u.Actor
	cust, err := a.DB.CreateCustomer(context.Background(), me, crm.CustomerInput{Name: "闪存客户"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	opp, err := a.DB.CreateOpportunity(context.Background(), me, crm.OpportunityInput{Name: "闪存机会", CustomerID: cust})
	if err != nil {
		t.Fatal(err)
	}
	path := fmtPath("/opportunities/%d", opp)
	c.post(path+"/stage", form("stage", "won", "back", path)).wantStatus(303)
	c.post("/locale", form("lang", "zh-CN", "next", path)).wantRedirect(path)
	want := i18n.T(i18n.ZH, "opportunity.stage_changed", "闪存机会", i18n.T(i18n.ZH, "opportunity.stage.won"))
	if got := c.get(path).wantStatus(200).text(tid("flash")); got != want {
		t.Fatalf("flash %q, want %q", got, want)
	}

	// A count (%d) survives the round trip.
	c.post("/leads/bulk", form("action", "release", "ids", "999999", "back", "/leads")).wantStatus(303)
	want = i18n.T(i18n.ZH, "flash.bulk", 0, 1)
	if got := c.get("/leads").wantStatus(200).text(tid("flash")); got != want {
		t.Fatalf("flash %q, want %q", got, want)
	}
}
