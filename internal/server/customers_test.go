package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
)

// custWorld is an organisation for the customer and contact tests: a sales
// department with a team below it, another sales department, and one
// employee of every kind the policy tells apart.
//
//	cadmin  admin              cmgmt  management        cfin  finance
//	cmkt    marketing          cmgr   manager of 销售部 (above 一组)
//	cmgro   manager of 华南部   crepa, crepb, crepd  reps of 一组
//	crepc, crepo  reps of 华南部
type custWorld struct {
	app                *testApp
	sales, team, other int64
	id                 map[string]int64
	actor              map[string]crm.Actor
	clients            map[string]*client
}

var custUsers = []struct {
	name string
	role crm.Role
	dept string // "", "sales", "team", "other"
}{
	{"cadmin", crm.RoleAdmin, ""}, {"cmgmt", crm.RoleManagement, ""}, {"cfin", crm.RoleFinance, ""},
	{"cmkt", crm.RoleMarketing, ""}, {"cmgr", crm.RoleSalesManager, "sales"}, {"cmgro", crm.RoleSalesManager, "other"},
	{"crepa", crm.RoleSalesRep, "team"}, {"crepb", crm.RoleSalesRep, "team"}, {"crepd", crm.RoleSalesRep, "team"},
	{"crepc", crm.RoleSalesRep, "other"}, {"crepo", crm.RoleSalesRep, "other"},
}

func newCustWorld(t *testing.T) *custWorld {
	t.Helper()
	w := &custWorld{app: newApp(t), id: map[string]int64{}, actor: map[string]crm.Actor{}, clients: map[string]*client{}}
	db := w.app.DB
	w.sales = mustDepartment(t, db, "销售部", 0)
	w.team = mustDepartment(t, db, "销售一组", w.sales)
	w.other = mustDepartment(t, db, "华南销售部", 0)
	depts := map[string]int64{"": 0, "sales": w.sales, "team": w.team, "other": w.other}
	for _, u := range custUsers {
		w.id[u.name] = mustEmployee(t, db, u.name, u.role, depts[u.dept])
		su, err := db.LoadSessionUser(context.Background(), w.id[u.name], 0)
		if err != nil {
			t.Fatal(err)
		}
		w.actor[u.name] = su.Actor
	}
	return w
}

// as returns a client signed in as username (one per user and test).
func (w *custWorld) as(username string) *client {
	if c, ok := w.clients[username]; ok {
		return c
	}
	c := w.app.loginAs(username)
	w.clients[username] = c
	return c
}

// customer creates a customer through storage as username.
func (w *custWorld) customer(t *testing.T, username, name string, who postgres.NewOwner) int64 {
	t.Helper()
	id, err := w.app.DB.CreateCustomer(context.Background(), w.actor[username], crm.CustomerInput{Name: name}, who)
	if err != nil {
		t.Fatalf("customer %s: %v", name, err)
	}
	return id
}

func (w *custWorld) contact(t *testing.T, username string, customer int64, name string) int64 {
	t.Helper()
	id, err := w.app.DB.CreateContact(context.Background(), w.actor[username], crm.ContactInput{CustomerID: customer, Name: name})
	if err != nil {
		t.Fatalf("contact %s: %v", name, err)
	}
	return id
}

func (w *custWorld) must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// custSeedRecords builds the SPEC seed situation: rep A creates X, the
// manager assigns it to rep B, B adds C (another department) as a
// collaborator and two contacts; and a customer P in the pool of A's team.
type custSeedRecords struct{ x, p, ct, ct2 int64 }

func (w *custWorld) seed(t *testing.T, tag string) custSeedRecords {
	t.Helper()
	ctx := context.Background()
	db := w.app.DB
	var s custSeedRecords
	s.x = w.customer(t, "crepa", "X"+tag, postgres.NewOwner{})
	w.must(t, db.AssignCustomer(ctx, w.actor["cmgr"], s.x, w.id["crepb"]))
	w.must(t, db.AddCollaborator(ctx, w.actor["crepb"], s.x, w.id["crepc"]))
	s.ct = w.contact(t, "crepb", s.x, "联系人一"+tag)
	s.ct2 = w.contact(t, "crepb", s.x, "联系人二"+tag)
	s.p = w.customer(t, "cmgr", "P"+tag, postgres.NewOwner{Pool: true, PoolDepartmentID: w.team})
	return s
}

// historyCount counts history entries of the seed records (a refused
// request must leave them unchanged).
func (w *custWorld) historyCount(s custSeedRecords) int {
	return w.app.count(`SELECT count(*) FROM history WHERE (resource = 'customer' AND record_id IN ($1, $2))
		OR (resource = 'contact' AND record_id IN ($3, $4))`, s.x, s.p, s.ct, s.ct2)
}

// custPost posts a form without failing the test (for goroutines).
func custPost(c *client, path string, form url.Values) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.base)
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

// TestCustomerSeedExample walks SPEC §2 (seed §3.3) over HTTP: a manager's
// customer without owner is theirs; an assigned customer is the new
// owner's to view and edit; the rep who created it keeps viewing it and
// nothing else; a collaborator views it with its contacts and follow-ups,
// and edits nothing.
func TestCustomerSeedExample(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	mgr, repA, repB, repC := w.as("cmgr"), w.as("crepa"), w.as("crepb"), w.as("crepc")

	// Manager A creates X with no owner chosen: A owns it.
	loc := mgr.post("/customers", form("name", "经理的客户", "owner", "")).Location
	if !strings.HasPrefix(loc, "/customers/") {
		t.Fatalf("create → %q", loc)
	}
	mgr.get(loc).wantStatus(http.StatusOK).wantText(tid("customer-owner"), "测试cmgr")
	// A assigns X to rep B: B views and edits it.
	mgr.post(loc+"/assign", form("owner_id", fmt.Sprint(w.id["crepb"]))).wantRedirect(loc)
	repB.get(loc).wantStatus(http.StatusOK).wantText(tid("customer-owner"), "测试crepb")
	repB.post(loc, form("name", "经理的客户（B改）")).wantRedirect(loc)
	repB.get(loc).wantText("h1", "经理的客户（B改）")

	// Rep A creates Y; the manager assigns it to B.
	y := repA.post("/customers", form("name", "销售A的客户", "phone", "13900000001")).Location
	repA.get(y).wantText(tid("customer-owner"), "测试crepa")
	mgr.post(y+"/assign", form("owner_id", fmt.Sprint(w.id["crepb"]))).wantRedirect(y)
	// A still views Y, without any action offered, and every change is 403.
	pa := repA.get(y).wantStatus(http.StatusOK)
	for _, sel := range []string{"edit", "delete", "release", "claim", "assign-form", "collaborator-form", "add-contact", "follow-up-form"} {
		if pa.has(tid(sel)) {
			t.Errorf("creator A is offered %s", sel)
		}
	}
	repA.get(y + "/edit").wantStatus(http.StatusForbidden)
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{y, form("name", "A改")}, {y + "/delete", nil}, {y + "/release", nil},
		{y + "/assign", form("owner_id", fmt.Sprint(w.id["crepa"]))},
		{y + "/collaborators", form("employee_id", fmt.Sprint(w.id["crepd"]))},
		{"/contacts", form("customer_id", strings.TrimPrefix(y, "/customers/"), "name", "A的联系人")},
		{"/follow-ups", form("customer_id", strings.TrimPrefix(y, "/customers/"), "content", "A的跟进")},
	} {
		repA.post(p.path, p.form).wantStatus(http.StatusForbidden)
	}
	// Claiming a customer someone owns is a conflict, not a permission matter.
	repA.post(y+"/claim", nil).wantStatus(http.StatusConflict)

	// B adds C (another department) as a collaborator, a contact and a follow-up.
	repB.post(y+"/collaborators", form("employee_id", fmt.Sprint(w.id["crepc"]))).wantRedirect(y + "#collaborators")
	yid := strings.TrimPrefix(y, "/customers/")
	repB.post("/contacts", form("customer_id", yid, "name", "王经理", "phone", "13700000000")).wantRedirect(y + "#contacts")
	repB.post("/follow-ups", form("customer_id", yid, "content", "电话沟通了报价", "back", y)).wantStatus(http.StatusSeeOther)
	ct := w.app.count(`SELECT id FROM contacts WHERE name = '王经理'`)

	// C views Y, its contact and its follow-up.
	pc := repC.get(y).wantStatus(http.StatusOK)
	pc.wantText(tid("contacts"), "王经理").wantText(tid("follow-ups"), "电话沟通了报价").wantText(tid("collaborators"), "测试crepc")
	for _, sel := range []string{"edit", "delete", "release", "assign-form", "collaborator-form", "add-contact", "follow-up-form", "make-primary"} {
		if pc.has(tid(sel)) {
			t.Errorf("collaborator C is offered %s", sel)
		}
	}
	repC.get(fmtPath("/contacts/%d", ct)).wantStatus(http.StatusOK).wantText("h1", "王经理")
	repC.get("/contacts?tab=all&customer="+yid).wantText(tid("contacts-table"), "王经理")
	repC.get("/customers?tab=all").wantText(tid("customers-table"), "销售A的客户")
	// … and changes nothing.
	repC.get(y + "/edit").wantStatus(http.StatusForbidden)
	repC.get(fmtPath("/contacts/%d/edit", ct)).wantStatus(http.StatusForbidden)
	repC.get("/contacts/new?customer=" + yid).wantStatus(http.StatusForbidden)
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{y, form("name", "C改")}, {y + "/delete", nil}, {y + "/release", nil},
		{y + "/collaborators", form("employee_id", fmt.Sprint(w.id["crepo"]))},
		{fmtPath("/customers/%s/collaborators/%d/delete", yid, w.id["crepc"]), nil},
		{fmtPath("/contacts/%d", ct), form("name", "C改")}, {fmtPath("/contacts/%d/delete", ct), nil},
		{"/contacts", form("customer_id", yid, "name", "C的联系人")},
		{"/follow-ups", form("customer_id", yid, "content", "C的跟进")},
	} {
		repC.post(p.path, p.form).wantStatus(http.StatusForbidden)
	}
	if n := w.app.count(`SELECT count(*) FROM contacts`); n != 1 {
		t.Fatalf("%d contacts", n)
	}
}

// TestCustomerPoolOfOtherDepartmentInvisible: a rep sees the pool of their
// own department, not another's — absent from list and count, 404 on
// every route.
func TestCustomerPoolOfOtherDepartmentInvisible(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	own := w.customer(t, "cmgr", "本组公海客户", postgres.NewOwner{Pool: true, PoolDepartmentID: w.team})
	theirs := w.customer(t, "cmgro", "华南公海客户", postgres.NewOwner{Pool: true})
	w.contact(t, "cmgro", theirs, "华南联系人")
	rep := w.as("crepa")

	for _, tab := range []string{"pool", "all"} {
		p := rep.get("/customers?tab=" + tab).wantStatus(http.StatusOK)
		p.wantText(tid("customers-table"), "本组公海客户")
		if strings.Contains(p.text(tid("customers-table")), "华南") {
			t.Errorf("tab %s lists the other department's pool", tab)
		}
		p.wantText(tid("total"), i18n.T(i18n.ZH, "list.total", 1))
	}
	if !rep.get("/customers?tab=pool").has(tid("row-claim")) {
		t.Error("no claim button on the own pool's row")
	}
	rep.get("/customers?q="+url.QueryEscape("华南")).wantText(tid("total"), i18n.T(i18n.ZH, "list.total", 0))
	rep.get("/contacts?tab=all").wantText(tid("total"), i18n.T(i18n.ZH, "list.total", 0))

	id := fmt.Sprint(theirs)
	before := w.app.count(`SELECT count(*) FROM history`)
	for _, path := range []string{"/customers/" + id, "/customers/" + id + "/edit", "/contacts/new?customer=" + id} {
		rep.get(path).wantStatus(http.StatusNotFound)
	}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/customers/" + id, form("name", "?")}, {"/customers/" + id + "/delete", nil},
		{"/customers/" + id + "/claim", nil}, {"/customers/" + id + "/release", nil},
		{"/customers/" + id + "/assign", form("owner_id", fmt.Sprint(w.id["crepa"]))},
		{"/customers/" + id + "/collaborators", form("employee_id", fmt.Sprint(w.id["crepb"]))},
		{"/customers/" + id + "/collaborators/" + fmt.Sprint(w.id["crepb"]) + "/delete", nil},
		{"/contacts", form("customer_id", id, "name", "?")},
	} {
		rep.post(p.path, p.form).wantStatus(http.StatusNotFound)
	}
	// The bulk form skips it.
	rep.post("/customers/bulk", form("action", "claim", "ids", id, "back", "/customers")).wantRedirect("/customers")
	rep.get("/customers").wantText(tid("flash"), i18n.T(i18n.ZH, "flash.bulk", 0, 1))
	if after := w.app.count(`SELECT count(*) FROM history`); after != before {
		t.Fatalf("refused requests changed history: %d → %d", before, after)
	}
	// The own pool's customer is claimed from the list.
	rep.post(fmtPath("/customers/%d/claim", own), form("back", "/customers?tab=pool")).wantRedirect("/customers?tab=pool")
	rep.get(fmtPath("/customers/%d", own)).wantText(tid("customer-owner"), "测试crepa")
}

// TestCustomerClaimRace: two reps claim the same pool customer at once over
// HTTP; exactly one becomes the owner, the other is told so (409).
func TestCustomerClaimRace(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	a, b := w.as("crepa"), w.as("crepb")
	msg := i18n.T(i18n.ZH, "error.already_claimed")
	for round := range 5 {
		id := w.customer(t, "cmgr", fmt.Sprintf("抢手客户%d", round), postgres.NewOwner{Pool: true, PoolDepartmentID: w.team})
		path := fmtPath("/customers/%d/claim", id)
		var wg sync.WaitGroup
		status := make([]int, 2)
		bodies := make([]string, 2)
		errs := make([]error, 2)
		start := make(chan struct{})
		for i, c := range []*client{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status[i], bodies[i], errs[i] = custPost(c, path, url.Values{})
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for i := range 2 {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			switch status[i] {
			case http.StatusSeeOther:
				wins++
			case http.StatusConflict:
				if !strings.Contains(bodies[i], msg) {
					t.Errorf("round %d: the loser's 409 does not say %q", round, msg)
				}
			default:
				t.Fatalf("round %d: status %d\n%s", round, status[i], abbreviate(bodies[i]))
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d claims won (%v)", round, wins, status)
		}
		if n := w.app.count(`SELECT count(*) FROM history WHERE resource = 'customer' AND record_id = $1 AND action = 'claim'`, id); n != 1 {
			t.Fatalf("round %d: %d claims recorded", round, n)
		}
	}
}

// TestCustomerMarketingViewsOnly: marketing sees every customer but creates
// and changes none it does not own.
func TestCustomerMarketingViewsOnly(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	x := w.customer(t, "crepa", "市场部看得见", postgres.NewOwner{})
	w.customer(t, "crepo", "华南的客户", postgres.NewOwner{})
	mkt := w.as("cmkt")
	list := mkt.get("/customers").wantStatus(http.StatusOK)
	list.wantText(tid("customers-table"), "市场部看得见").wantText(tid("customers-table"), "华南的客户")
	if list.has(tid("new-customer")) || list.has(tid("bulk-claim")) || list.has(tid("bulk-assign")) {
		t.Error("marketing is offered create or bulk actions")
	}
	p := mkt.get(fmtPath("/customers/%d", x)).wantStatus(http.StatusOK)
	if p.has(tid("edit")) || p.has(tid("delete")) || p.has(tid("add-contact")) {
		t.Error("marketing is offered changes")
	}
	// No quote/order/payment/invoice tabs for marketing (SPEC §3 rule 2).
	if p.has(tid("tab-orders")) || !p.has(tid("tab-opportunities")) {
		t.Error("marketing's deal tabs are wrong")
	}
	mkt.get("/customers/new").wantStatus(http.StatusForbidden)
	mkt.get(fmtPath("/customers/%d/edit", x)).wantStatus(http.StatusForbidden)
	mkt.post("/customers", form("name", "市场部的客户")).wantStatus(http.StatusForbidden)
	mkt.post(fmtPath("/customers/%d", x), form("name", "市场部改")).wantStatus(http.StatusForbidden)
	mkt.post(fmtPath("/customers/%d/delete", x), nil).wantStatus(http.StatusForbidden)
	mkt.post(fmtPath("/customers/%d/claim", x), nil).wantStatus(http.StatusForbidden)
	if n := w.app.count(`SELECT count(*) FROM customers WHERE name LIKE '市场部%'`); n != 1 {
		t.Fatalf("%d marketing customers", n)
	}
}

// TestCustomerDuplicateWarning: a customer with the name or phone of one
// the user may view is held back with a warning; "save anyway" saves it.
func TestCustomerDuplicateWarning(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	first := w.customer(t, "crepa", "重名公司", postgres.NewOwner{})
	rep := w.as("crepa")

	p := rep.post("/customers", form("name", " 重名公司 ", "phone", "021-1234", "address", "上海")).wantStatus(http.StatusConflict)
	p.wantText(tid("duplicates"), "重名公司")
	if href, _ := p.Doc.Find(tid("duplicates") + " a").Attr("href"); href != fmtPath("/customers/%d", first) {
		t.Errorf("duplicate link %q", href)
	}
	if v, _ := p.Doc.Find(`input[name="confirm_duplicate"]`).Attr("value"); v != "1" || !p.has(tid("save-anyway")) {
		t.Fatal("no save-anyway form")
	}
	if v, _ := p.Doc.Find(`input[name="address"]`).Attr("value"); v != "上海" {
		t.Errorf("the input was not kept: address %q", v)
	}
	if n := w.app.count(`SELECT count(*) FROM customers`); n != 1 {
		t.Fatal("saved before confirmation")
	}
	loc := rep.post("/customers", form("name", "重名公司", "phone", "021-1234", "confirm_duplicate", "1")).Location
	if !strings.HasPrefix(loc, "/customers/") || w.app.count(`SELECT count(*) FROM customers`) != 2 {
		t.Fatalf("save anyway → %q", loc)
	}
	// The same phone under another name warns too.
	rep.post("/customers", form("name", "另一家", "phone", "021-1234")).wantStatus(http.StatusConflict)
	// Customers the user may not view are no duplicates (and not revealed).
	w.as("crepo").post("/customers", form("name", "重名公司")).wantStatus(http.StatusSeeOther)
	// A missing name is a field error (422), kept apart from the warning.
	rep.post("/customers", form("name", "")).wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-name"), i18n.T(i18n.ZH, "error.required"))
}

// TestCustomerBulkAndOwnerCopies: the bulk form assigns, releases and
// claims, each row checked; the contacts' copy of the customer's owner and
// department follows every move.
func TestCustomerBulkAndOwnerCopies(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	a := w.customer(t, "cmgr", "批量一", postgres.NewOwner{})
	b := w.customer(t, "cmgr", "批量二", postgres.NewOwner{})
	foreign := w.customer(t, "cmgro", "批量外部门", postgres.NewOwner{})
	ct := w.contact(t, "cmgr", a, "批量联系人")
	copyOf := func() (int64, int64) {
		var o, d int64
		if err := w.app.DB.Pool.QueryRow(context.Background(), `SELECT coalesce(customer_owner_id, 0), coalesce(customer_department_id, 0)
			FROM contacts WHERE id = $1`, ct).Scan(&o, &d); err != nil {
			t.Fatal(err)
		}
		return o, d
	}
	mgr, rep := w.as("cmgr"), w.as("crepd")
	list := mgr.get("/customers")
	if !list.has(tid("bulk-assign")) || !list.has(tid("bulk-release")) {
		t.Fatal("manager has no bulk controls")
	}
	ids := func(ids ...int64) url.Values {
		v := form("back", "/customers")
		for _, id := range ids {
			v.Add("ids", fmt.Sprint(id))
		}
		return v
	}
	f := ids(a, b, foreign)
	f.Set("action", "assign")
	f.Set("owner_id", fmt.Sprint(w.id["crepd"]))
	mgr.post("/customers/bulk", f).wantRedirect("/customers")
	mgr.get("/customers").wantText(tid("flash"), i18n.T(i18n.ZH, "flash.bulk", 2, 1))
	if o, d := copyOf(); o != w.id["crepd"] || d != w.team {
		t.Fatalf("after assign the contact carries %d/%d", o, d)
	}
	f = ids(a, b)
	f.Set("action", "release")
	rep.post("/customers/bulk", f).wantRedirect("/customers")
	if o, d := copyOf(); o != 0 || d != w.team {
		t.Fatalf("after release the contact carries %d/%d", o, d)
	}
	f = ids(a)
	f.Set("action", "claim")
	w.as("crepb").post("/customers/bulk", f).wantRedirect("/customers")
	if o, d := copyOf(); o != w.id["crepb"] || d != w.team {
		t.Fatalf("after claim the contact carries %d/%d", o, d)
	}
	// Nothing selected.
	mgr.post("/customers/bulk", form("action", "claim", "back", "/customers")).wantRedirect("/customers")
	mgr.get("/customers").wantText(tid("flash"), i18n.T(i18n.ZH, "error.select_rows"))
	// The new owner (claimer) now views the contact; its former owner rep
	// crepd no longer does, having neither created nor owned it.
	w.as("crepb").get(fmtPath("/contacts/%d", ct)).wantStatus(http.StatusOK)
	rep.get(fmtPath("/contacts/%d", ct)).wantStatus(http.StatusNotFound)
}

// TestCustomerCollaboratorsAndDetail: the collaborator form's rules and the
// detail page's figures and tabs.
func TestCustomerCollaboratorsAndDetail(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	x := w.customer(t, "crepb", "详情公司", postgres.NewOwner{})
	w.app.exec(`UPDATE customers SET deal_amount = 12345.60, deal_count = 2, paid_amount = 10000, invoiced_amount = 5000 WHERE id = $1`, x)
	b := w.as("crepb")
	path := fmtPath("/customers/%d", x)
	p := b.get(path).wantStatus(http.StatusOK)
	for sel, want := range map[string]string{"deal-amount": "12,345.60", "deal-count": "2", "paid-amount": "10,000.00",
		"outstanding-amount": "2,345.60", "invoiced-amount": "5,000.00"} {
		p.wantText(tid(sel), want)
	}
	for _, sel := range []string{"customer-tabs", "contacts", "follow-ups", "follow-up-form", "collaborators", "tab-opportunities",
		"tab-quotes", "tab-orders", "tab-payments", "tab-invoices", "history", "edit", "delete", "release", "add-contact", "collaborator-form"} {
		if !p.has(tid(sel)) {
			t.Errorf("detail page lacks %s", sel)
		}
	}
	if p.has(tid("claim")) || p.has(tid("assign-form")) {
		t.Error("a rep owner is offered claim or assign")
	}
	if v, _ := p.Doc.Find(tid("follow-up-form") + ` input[name="back"]`).Attr("value"); v != path {
		t.Errorf("follow-up back = %q", v)
	}
	if v, _ := p.Doc.Find(tid("follow-up-form") + ` input[name="customer_id"]`).Attr("value"); v != fmt.Sprint(x) {
		t.Errorf("follow-up customer_id = %q", v)
	}

	// The owner is no collaborator; an unknown employee neither; adding twice is fine.
	b.post(path+"/collaborators", form("employee_id", fmt.Sprint(w.id["crepb"]))).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("error-employee_id"), i18n.T(i18n.ZH, "error.collaborator_owner"))
	b.post(path+"/collaborators", form("employee_id", "999999")).wantStatus(http.StatusUnprocessableEntity)
	b.post(path+"/collaborators", form("employee_id", "")).wantStatus(http.StatusUnprocessableEntity)
	b.post(path+"/collaborators", form("employee_id", fmt.Sprint(w.id["crepo"]))).wantRedirect(path + "#collaborators")
	b.post(path+"/collaborators", form("employee_id", fmt.Sprint(w.id["crepo"]))).wantRedirect(path + "#collaborators")
	p = b.get(path)
	if n := p.Doc.Find(tid("collaborator-row")).Length(); n != 1 {
		t.Fatalf("%d collaborator rows", n)
	}
	p.wantText(tid("history"), i18n.T(i18n.ZH, "history.action.collaborator_add"))
	w.as("crepo").get(path).wantStatus(http.StatusOK)
	b.post(fmtPath("/customers/%d/collaborators/%d/delete", x, w.id["crepo"]), nil).wantRedirect(path + "#collaborators")
	w.as("crepo").get(path).wantStatus(http.StatusNotFound)
	b.get(path).wantText(tid("history"), i18n.T(i18n.ZH, "history.action.collaborator_remove"))

	// Edit keeps what was typed on a field error, and records changes.
	b.post(path, form("name", "", "address", "北京")).wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-name"), i18n.T(i18n.ZH, "error.required"))
	b.post(path, form("name", "详情公司", "address", "北京")).wantRedirect(path)
	b.get(path).wantText(tid("history"), "北京")
	// Delete.
	b.post(path+"/delete", nil).wantRedirect("/customers")
	b.get(path).wantStatus(http.StatusNotFound)
}

// TestCustomerRoutesByRole calls every customer and contact route as every
// kind of employee, over the seed situation (custWorld.seed), and checks
// the status: 200/303 when allowed, 403 for a record the user may view but
// not act on, 404 for one they may not view — and that a refused request
// changed nothing.
func TestCustomerRoutesByRole(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	set := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	all := set()
	for _, u := range custUsers {
		all[u.name] = true
	}
	var (
		viewX    = set("cadmin", "cmgmt", "cfin", "cmkt", "cmgr", "crepa", "crepb", "crepc")
		updX     = set("cadmin", "cmgmt", "cmgr", "crepb") // update, delete, release, collaborators, add contacts
		assignX  = set("cadmin", "cmgmt", "cmgr")
		viewP    = set("cadmin", "cmgmt", "cfin", "cmkt", "cmgr", "crepa", "crepb", "crepd")
		claimP   = set("cmgr", "crepa", "crepb", "crepd")
		viewCt   = set("cadmin", "cmgmt", "cfin", "cmkt", "cmgr", "crepb", "crepc")
		updCt    = set("cadmin", "cmgmt", "cmgr", "crepb")
		creators = set("cadmin", "cmgmt", "cmgr", "cmgro", "crepa", "crepb", "crepc", "crepd", "crepo")
	)
	// tri is ok when allowed, 403 when only viewable, 404 otherwise.
	tri := func(allowed, view map[string]bool, ok int) func(string) int {
		return func(u string) int {
			switch {
			case allowed[u]:
				return ok
			case view[u]:
				return http.StatusForbidden
			}
			return http.StatusNotFound
		}
	}
	only := func(allowed map[string]bool, ok int) func(string) int {
		return func(u string) int {
			if allowed[u] {
				return ok
			}
			return http.StatusForbidden
		}
	}
	type rec = custSeedRecords
	cases := []struct {
		method string
		path   func(s rec) string
		form   func(s rec, tag string) url.Values
		want   func(u string) int
	}{
		{"GET", func(rec) string { return "/customers" }, nil, only(all, 200)},
		{"GET", func(rec) string { return "/customers?tab=pool" }, nil, only(all, 200)},
		{"GET", func(rec) string { return "/customers/new" }, nil, only(creators, 200)},
		{"POST", func(rec) string { return "/customers" }, func(_ rec, tag string) url.Values { return form("name", "新客户"+tag) }, only(creators, 303)},
		{"GET", func(s rec) string { return fmtPath("/customers/%d", s.x) }, nil, tri(viewX, nil, 200)},
		{"GET", func(s rec) string { return fmtPath("/customers/%d", s.p) }, nil, tri(viewP, nil, 200)},
		{"GET", func(s rec) string { return fmtPath("/customers/%d/edit", s.x) }, nil, tri(updX, viewX, 200)},
		{"POST", func(s rec) string { return fmtPath("/customers/%d", s.x) }, func(_ rec, tag string) url.Values { return form("name", "改名"+tag) }, tri(updX, viewX, 303)},
		{"POST", func(s rec) string { return fmtPath("/customers/%d/delete", s.x) }, nil, tri(updX, viewX, 303)},
		{"POST", func(s rec) string { return fmtPath("/customers/%d/release", s.x) }, nil, tri(updX, viewX, 303)},
		{"POST", func(s rec) string { return fmtPath("/customers/%d/assign", s.x) }, func(rec, string) url.Values {
			return form("owner_id", fmt.Sprint(w.id["crepa"]))
		}, tri(assignX, viewX, 303)},
		{"POST", func(s rec) string { return fmtPath("/customers/%d/collaborators", s.x) }, func(rec, string) url.Values {
			return form("employee_id", fmt.Sprint(w.id["crepd"]))
		}, tri(updX, viewX, 303)},
		{"POST", func(s rec) string { return fmtPath("/customers/%d/collaborators/%d/delete", s.x, w.id["crepc"]) }, nil, tri(updX, viewX, 303)},
		// X has an owner: those who could claim it from its pool are told
		// it is taken (409); the others may not claim at all (403).
		{"POST", func(s rec) string { return fmtPath("/customers/%d/claim", s.x) }, nil, tri(set("cmgr", "crepa", "crepb"), viewX, 409)},
		{"POST", func(s rec) string { return fmtPath("/customers/%d/claim", s.p) }, nil, tri(claimP, viewP, 303)},
		{"POST", func(rec) string { return "/customers/bulk" }, func(s rec, _ string) url.Values {
			return form("action", "claim", "ids", fmt.Sprint(s.p), "back", "/customers")
		}, only(all, 303)},
		{"GET", func(rec) string { return "/contacts" }, nil, only(all, 200)},
		{"GET", func(rec) string { return "/contacts/new" }, nil, only(creators, 200)},
		{"GET", func(s rec) string { return fmtPath("/contacts/new?customer=%d", s.x) }, nil, func(u string) int {
			if !creators[u] {
				return 403
			}
			return tri(updX, viewX, 200)(u)
		}},
		{"POST", func(rec) string { return "/contacts" }, func(s rec, tag string) url.Values {
			return form("customer_id", fmt.Sprint(s.x), "name", "新联系人"+tag)
		}, func(u string) int {
			if !creators[u] {
				return 403
			}
			return tri(updX, viewX, 303)(u)
		}},
		{"GET", func(s rec) string { return fmtPath("/contacts/%d", s.ct) }, nil, tri(viewCt, nil, 200)},
		{"GET", func(s rec) string { return fmtPath("/contacts/%d/edit", s.ct) }, nil, tri(updCt, viewCt, 200)},
		{"POST", func(s rec) string { return fmtPath("/contacts/%d", s.ct) }, func(_ rec, tag string) url.Values { return form("name", "改名"+tag) }, tri(updCt, viewCt, 303)},
		{"POST", func(s rec) string { return fmtPath("/contacts/%d/delete", s.ct) }, nil, tri(updCt, viewCt, 303)},
		{"POST", func(s rec) string { return fmtPath("/contacts/%d/primary", s.ct2) }, nil, tri(updCt, viewCt, 303)},
	}
	n := 0
	for i, c := range cases {
		for _, u := range custUsers {
			tag := fmt.Sprintf("-%d-%s", i, u.name)
			s := w.seed(t, tag)
			before := w.historyCount(s)
			var form url.Values
			if c.form != nil {
				form = c.form(s, tag)
			}
			path := c.path(s)
			var p *page
			if c.method == "GET" {
				p = w.as(u.name).get(path)
			} else {
				p = w.as(u.name).post(path, form)
			}
			n++
			if want := c.want(u.name); p.Status != want {
				t.Errorf("%s %s as %s: %d, want %d\n%s", c.method, path, u.name, p.Status, want, abbreviate(p.Body))
				continue
			}
			if p.Status >= 400 {
				if after := w.historyCount(s); after != before {
					t.Errorf("%s %s as %s: refused (%d) but history %d → %d", c.method, path, u.name, p.Status, before, after)
				}
			}
		}
	}
	t.Logf("%d route × role cases (%d routes, %d users)", n, len(cases), len(custUsers))
}
