package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// acqWorld is an organisation for the acquisition tests:
//
//	销售部 (mgr) ─┬─ 一部 (mgr1): rep1, rep1b
//	             └─ 二部: rep2
//	市场部: mkt    财务部: fin    admin, boss (management)
type acqWorld struct {
	*testApp
	dept    map[string]int64
	emp     map[string]int64
	clients map[string]*client
}

var acqUsers = []struct {
	name string
	role crm.Role
	dept string
}{
	{"admin", crm.RoleAdmin, ""}, {"boss", crm.RoleManagement, ""}, {"mgr", crm.RoleSalesManager, "销售部"},
	{"mgr1", crm.RoleSalesManager, "一部"}, {"rep1", crm.RoleSalesRep, "一部"}, {"rep1b", crm.RoleSalesRep, "一部"},
	{"rep2", crm.RoleSalesRep, "二部"}, {"mkt", crm.RoleMarketing, "市场部"}, {"fin", crm.RoleFinance, "财务部"},
}

func newAcqWorld(t *testing.T) *acqWorld {
	t.Helper()
	w := &acqWorld{testApp: newApp(t), dept: map[string]int64{}, emp: map[string]int64{}, clients: map[string]*client{}}
	w.dept["销售部"] = mustDepartment(t, w.DB, "销售部", 0)
	w.dept["一部"] = mustDepartment(t, w.DB, "一部", w.dept["销售部"])
	w.dept["二部"] = mustDepartment(t, w.DB, "二部", w.dept["销售部"])
	w.dept["市场部"] = mustDepartment(t, w.DB, "市场部", 0)
	w.dept["财务部"] = mustDepartment(t, w.DB, "财务部", 0)
	for _, u := range acqUsers {
		w.emp[u.name] = mustEmployee(t, w.DB, u.name, u.role, w.dept[u.dept])
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, u := range acqUsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := w.client()
			login(t, c, u.name, testPassword)
			mu.Lock()
			w.clients[u.name] = c
			mu.Unlock()
		}()
	}
	wg.Wait()
	return w
}

// actor returns the crm.Actor of an employee, as a request would see it.
func (w *acqWorld) actor(name string) crm.Actor {
	w.t.Helper()
	u, err := w.DB.LoadSessionUser(context.Background(), w.emp[name], 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return u.Actor
}

// lead creates a lead as creator, owned as who says.
func (w *acqWorld) lead(creator, name string, who postgres.NewOwner) int64 {
	w.t.Helper()
	id, err := w.DB.CreateLead(context.Background(), w.actor(creator), crm.LeadInput{Name: name, Company: name + "公司",
		Phone: "1380000" + strconv.Itoa(len(name)), Status: crm.LeadNew}, who)
	if err != nil {
		w.t.Fatalf("lead %s: %v", name, err)
	}
	return id
}

func (w *acqWorld) leadOwner(id int64) int64 {
	w.t.Helper()
	return int64(w.count(`SELECT coalesce(owner_id, 0) FROM leads WHERE id = $1`, id))
}

// roleCase is the expected status of one role on one route.
type roleCase map[string]int

// TestLeadRoutesEveryRole runs every lead route for every role against a
// lead owned by rep1 (in 一部) and a lead in 一部's pool, expecting what
// SPEC §3 says: 200/303 allowed, 403 viewable but not allowed, 404 not
// viewable. Mutating routes get a fresh lead per case.
func TestLeadRoutesEveryRole(t *testing.T) {
	w := newAcqWorld(t)
	owned := func() int64 { return w.lead("rep1", "张三", postgres.NewOwner{}) }
	pool := func() int64 {
		return w.lead("mgr1", "李四", postgres.NewOwner{Pool: true, PoolDepartmentID: w.dept["一部"]})
	}
	view := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 404, "mkt": 200, "fin": 200}
	edit := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}
	update := roleCase{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}
	assign := roleCase{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 403, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}
	poolView := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 200, "rep2": 404, "mkt": 200, "fin": 200}
	poolClaim := roleCase{"admin": 403, "boss": 403, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 303, "rep2": 404, "mkt": 403, "fin": 403}
	// Claiming a record that has an owner: a conflict (a lost race) for those
	// who could claim from its pool, 403 for everyone else.
	ownedClaim := roleCase{"admin": 403, "boss": 403, "mgr": 409, "mgr1": 409, "rep1": 409, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}

	type route struct {
		name   string
		method string
		path   string // %d is the lead
		form   func() map[string]string
		fresh  func() int64
		want   roleCase
	}
	updateForm := func() map[string]string { return map[string]string{"name": "张三改", "status": "following"} }
	assignForm := func() map[string]string { return map[string]string{"owner_id": strconv.FormatInt(w.emp["rep1b"], 10)} }
	routes := []route{
		{"detail", "GET", "/leads/%d", nil, nil, view},
		{"edit form", "GET", "/leads/%d/edit", nil, nil, edit},
		{"update", "POST", "/leads/%d", updateForm, owned, update},
		{"delete", "POST", "/leads/%d/delete", nil, owned, update},
		{"release", "POST", "/leads/%d/release", nil, owned, update},
		{"assign", "POST", "/leads/%d/assign", assignForm, owned, assign},
		{"convert", "POST", "/leads/%d/convert", nil, owned, update},
		{"claim owned", "POST", "/leads/%d/claim", nil, owned, ownedClaim},
		{"pool detail", "GET", "/leads/%d", nil, pool, poolView},
		{"pool claim", "POST", "/leads/%d/claim", nil, pool, poolClaim},
	}
	shared := owned()
	cases := 0
	for _, rt := range routes {
		for _, u := range acqUsers {
			want, ok := rt.want[u.name]
			if !ok {
				continue
			}
			id := shared
			if rt.fresh != nil {
				id = rt.fresh()
			}
			path := strings.Replace(rt.path, "%d", strconv.FormatInt(id, 10), 1)
			c := w.clients[u.name]
			var p *page
			if rt.method == "GET" {
				p = c.get(path)
			} else {
				f := form()
				if rt.form != nil {
					for k, v := range rt.form() {
						f.Set(k, v)
					}
				}
				p = c.post(path, f)
			}
			cases++
			if p.Status != want {
				t.Errorf("%s %s as %s: status %d, want %d", rt.name, path, u.name, p.Status, want)
			}
		}
	}
	// Routes without a record: list, new form, create.
	for _, u := range acqUsers {
		c := w.clients[u.name]
		cases += 3
		if p := c.get("/leads"); p.Status != 200 {
			t.Errorf("list as %s: %d", u.name, p.Status)
		}
		wantNew := 200
		if u.name == "fin" {
			wantNew = 403
		}
		if p := c.get("/leads/new"); p.Status != wantNew {
			t.Errorf("new form as %s: %d, want %d", u.name, p.Status, wantNew)
		}
		wantCreate := 303
		if u.name == "fin" {
			wantCreate = 403
		}
		if p := c.post("/leads", form("name", "新客户"+u.name, "confirm_duplicate", "1")); p.Status != wantCreate {
			t.Errorf("create as %s: %d, want %d", u.name, p.Status, wantCreate)
		}
	}
	t.Logf("lead routes: %d role×route cases", cases)
}

// TestLeadListScopes: a rep sees their own leads and their department's
// pool, never another department's pool, in the list and its count; the
// tabs narrow; Chinese substrings find.
func TestLeadListScopes(t *testing.T) {
	w := newAcqWorld(t)
	w.lead("rep1", "王小明", postgres.NewOwner{})
	w.lead("rep2", "赵二部", postgres.NewOwner{})
	w.lead("mgr", "一部公海甲", postgres.NewOwner{Pool: true, PoolDepartmentID: w.dept["一部"]})
	w.lead("mgr", "二部公海乙", postgres.NewOwner{Pool: true, PoolDepartmentID: w.dept["二部"]})

	names := func(p *page) string { return strings.Join(p.texts(tid("lead-row")+" td:nth-child(2)"), ",") }
	rep1 := w.clients["rep1"]
	all := rep1.get("/leads?tab=all").wantStatus(200)
	if got := names(all); got != "一部公海甲,王小明" {
		t.Errorf("rep1 all = %q", got)
	}
	if got := all.text(tid("total")); got != "共 2 条" {
		t.Errorf("rep1 total = %q", got)
	}
	if got := names(rep1.get("/leads?tab=pool")); got != "一部公海甲" {
		t.Errorf("rep1 pool = %q", got)
	}
	if got := names(rep1.get("/leads?tab=mine")); got != "王小明" {
		t.Errorf("rep1 mine = %q", got)
	}
	if got := names(w.clients["rep2"].get("/leads?tab=all")); got != "二部公海乙,赵二部" {
		t.Errorf("rep2 all = %q", got)
	}
	if got := names(w.clients["mgr"].get("/leads?tab=all")); got != "二部公海乙,一部公海甲,赵二部,王小明" {
		t.Errorf("mgr all = %q", got)
	}
	if got := names(w.clients["mgr1"].get("/leads?tab=all")); got != "一部公海甲,王小明" {
		t.Errorf("mgr1 all = %q", got)
	}
	if got := names(w.clients["boss"].get("/leads?q=" + "小明")); got != "王小明" {
		t.Errorf("search 小明 = %q", got)
	}
	if got := names(w.clients["boss"].get("/leads?q=公海")); got != "二部公海乙,一部公海甲" {
		t.Errorf("search 公海 = %q", got)
	}
}

// TestLeadClaimRace: two reps claim the same pool lead at the same moment;
// exactly one becomes the owner, the other is told so (409).
func TestLeadClaimRace(t *testing.T) {
	w := newAcqWorld(t)
	for round := 0; round < 5; round++ {
		id := w.lead("mgr1", "抢单"+strconv.Itoa(round), postgres.NewOwner{Pool: true, PoolDepartmentID: w.dept["一部"]})
		path := "/leads/" + strconv.FormatInt(id, 10) + "/claim"
		var wg sync.WaitGroup
		results := make([]*page, 2)
		start := make(chan struct{})
		for i, u := range []string{"rep1", "rep1b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = w.clients[u].post(path, form())
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, p := range results {
			switch p.Status {
			case http.StatusSeeOther:
				won++
			case http.StatusConflict:
				if !strings.Contains(p.Body, "已被他人领取") {
					t.Errorf("loser's page lacks the message: %s", abbreviate(p.Body))
				}
			default:
				t.Errorf("claim answered %d", p.Status)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d winners", round, won)
		}
		owner := w.leadOwner(id)
		if owner != w.emp["rep1"] && owner != w.emp["rep1b"] {
			t.Fatalf("owner is %d", owner)
		}
		if n := w.count(`SELECT count(*) FROM history WHERE resource = 'lead' AND record_id = $1 AND action = 'claim'`, id); n != 1 {
			t.Fatalf("%d claim history entries", n)
		}
	}
}

// TestLeadConvertOnce: converting the same lead from two tabs at once makes
// one customer with one primary contact; the lead is 已转化 and linked.
func TestLeadConvertOnce(t *testing.T) {
	w := newAcqWorld(t)
	id := w.lead("rep1", "陈转化", postgres.NewOwner{})
	path := "/leads/" + strconv.FormatInt(id, 10) + "/convert"
	rep1 := w.clients["rep1"]
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = rep1.post(path, form()).Status
		}()
	}
	wg.Wait()
	if !(statuses[0] == 303 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 303) {
		t.Fatalf("convert statuses %v, want one 303 and one 409", statuses)
	}
	if n := w.count(`SELECT count(*) FROM customers WHERE lead_id = $1`, id); n != 1 {
		t.Fatalf("%d customers", n)
	}
	if n := w.count(`SELECT count(*) FROM contacts c JOIN customers cu ON cu.id = c.customer_id WHERE cu.lead_id = $1 AND c.is_primary`, id); n != 1 {
		t.Fatalf("%d primary contacts", n)
	}
	if n := w.count(`SELECT count(*) FROM leads WHERE id = $1 AND status = 'converted' AND customer_id IS NOT NULL`, id); n != 1 {
		t.Fatal("lead not marked converted")
	}
	cust := w.count(`SELECT id FROM customers WHERE lead_id = $1`, id)
	if owner := w.count(`SELECT owner_id FROM customers WHERE id = $1`, cust); int64(owner) != w.emp["rep1"] {
		t.Errorf("customer owner %d, want rep1", owner)
	}
	// The converted lead shows its customer and can no longer be deleted.
	p := rep1.get("/leads/" + strconv.FormatInt(id, 10)).wantStatus(200)
	if !p.has(tid("lead-customer")) || p.has(tid("convert")) {
		t.Error("converted lead page still offers converting or lacks the customer link")
	}
	rep1.post("/leads/"+strconv.FormatInt(id, 10)+"/delete", form()).wantStatus(409)
}

// TestLeadFormsAndFollowUps: validation messages, the duplicate warning
// with "save anyway", the seed example on a lead (creator keeps view only
// after a transfer), follow-ups moving the lead's status and times, and
// history.
func TestLeadFormsAndFollowUps(t *testing.T) {
	w := newAcqWorld(t)
	rep1 := w.clients["rep1"]
	rep1.post("/leads", form("name", "", "email", "nope")).wantStatus(422).
		wantText(tid("error-name"), "必填。").wantText(tid("error-email"), "邮箱格式不正确。")
	if n := w.count(`SELECT count(*) FROM leads`); n != 0 {
		t.Fatalf("invalid form wrote %d leads", n)
	}
	loc := rep1.post("/leads", form("name", "周重复", "phone", "13900001111")).wantStatus(303).Location
	// Same phone, other name: warned (409), nothing written; then save anyway.
	dup := rep1.post("/leads", form("name", "周不同", "phone", "13900001111")).wantStatus(409)
	if !dup.has(tid("duplicates")) || !strings.Contains(dup.text(tid("duplicates")), "周重复") {
		t.Fatal("duplicate warning does not list the match")
	}
	if n := w.count(`SELECT count(*) FROM leads`); n != 1 {
		t.Fatalf("warned form wrote: %d leads", n)
	}
	rep1.post("/leads", form("name", "周不同", "phone", "13900001111", "confirm_duplicate", "1")).wantStatus(303)
	// rep2 sees nothing of rep1's lead, so no warning lists it.
	w.clients["rep2"].post("/leads", form("name", "周重复")).wantStatus(303)

	id := loc[len("/leads/"):]
	// Follow-up: the lead becomes 跟进中 and its times move.
	rep1.post("/follow-ups", form("lead_id", id, "content", "电话沟通需求", "next_at", "2030-01-02T10:00")).wantStatus(303)
	p := rep1.get("/leads/" + id).wantStatus(200)
	p.wantText(tid("lead-status"), "跟进中")
	if n := len(p.texts(tid("follow-up"))); n != 1 {
		t.Fatalf("%d follow-ups shown", n)
	}
	p.wantText(tid("next-follow-up"), "2030-01-02 10:00")
	// Empty content: 422 on the lead page, nothing written.
	rep1.post("/follow-ups", form("lead_id", id, "content", " ")).wantStatus(422).wantText(tid("error-content"), "必填。")
	// Seed example: the manager transfers rep1's lead to rep1b; rep1 (the
	// creator) still views it but may do nothing more.
	w.clients["mgr1"].post("/leads/"+id+"/assign", form("owner_id", strconv.FormatInt(w.emp["rep1b"], 10))).wantStatus(303)
	rep1.get("/leads/" + id).wantStatus(200)
	rep1.get("/leads/" + id + "/edit").wantStatus(403)
	rep1.post("/leads/"+id, form("name", "改名")).wantStatus(403)
	rep1.post("/leads/"+id+"/release", form()).wantStatus(403)
	rep1.post("/follow-ups", form("lead_id", id, "content", "还想跟进")).wantStatus(403)
	w.clients["rep1b"].post("/leads/"+id, form("name", "周重复", "company", "新公司", "status", "following")).wantStatus(303)
	h := w.clients["rep1b"].get("/leads/" + id).wantStatus(200).text(tid("history"))
	for _, want := range []string{"创建", "分配", "负责人", "新公司"} {
		if !strings.Contains(h, want) {
			t.Errorf("history lacks %q: %s", want, h)
		}
	}
	// Assigning out of scope: mgr1 cannot give the lead to rep2 (二部).
	w.clients["mgr1"].post("/leads/"+id+"/assign", form("owner_id", strconv.FormatInt(w.emp["rep2"], 10))).wantStatus(422)
}

// TestLeadBulkActions: assign several leads from the list; rows the actor
// may not act on are skipped and counted.
func TestLeadBulkActions(t *testing.T) {
	w := newAcqWorld(t)
	a := w.lead("mgr1", "批量甲", postgres.NewOwner{Pool: true, PoolDepartmentID: w.dept["一部"]})
	b := w.lead("mgr1", "批量乙", postgres.NewOwner{Pool: true, PoolDepartmentID: w.dept["一部"]})
	other := w.lead("rep2", "二部的", postgres.NewOwner{})
	ids := form("action", "assign", "owner_id", strconv.FormatInt(w.emp["rep1"], 10), "back", "/leads?tab=pool")
	for _, id := range []int64{a, b, other} {
		ids.Add("ids", strconv.FormatInt(id, 10))
	}
	w.clients["mgr1"].post("/leads/bulk", ids).wantStatus(303).wantRedirect("/leads?tab=pool")
	if w.leadOwner(a) != w.emp["rep1"] || w.leadOwner(b) != w.emp["rep1"] {
		t.Fatal("bulk assign did not assign")
	}
	if w.leadOwner(other) != w.emp["rep2"] {
		t.Fatal("bulk assign touched a lead out of scope")
	}
	flash := w.clients["mgr1"].get("/leads?tab=pool").text(tid("flash"))
	if !strings.Contains(flash, "已处理 2 条，1 条未处理") {
		t.Errorf("flash = %q", flash)
	}
	// A rep claims from the list of their pool.
	c := w.lead("mgr1", "批量丙", postgres.NewOwner{Pool: true, PoolDepartmentID: w.dept["一部"]})
	w.clients["rep1b"].post("/leads/bulk", form("action", "claim", "ids", strconv.FormatInt(c, 10))).wantStatus(303)
	if w.leadOwner(c) != w.emp["rep1b"] {
		t.Fatal("bulk claim did not claim")
	}
}

// TestLeadFromMarketingKeepsItsCampaign: marketing gathers a lead of its
// campaign into 一部's pool; the manager assigns it; the rep, who may not
// view the campaign, edits the lead and the campaign stays.
func TestLeadFromMarketingKeepsItsCampaign(t *testing.T) {
	w := newAcqWorld(t)
	mkt := w.clients["mkt"]
	loc := mkt.post("/campaigns", form("name", "春季展会", "status", "active")).wantStatus(303).Location
	campaign := loc[len("/campaigns/"):]
	loc = mkt.post("/leads", form("name", "展会来客", "campaign_id", campaign,
		"owner", "p:"+strconv.FormatInt(w.dept["一部"], 10))).wantStatus(303).Location
	id := loc[len("/leads/"):]
	if w.leadOwner(mustInt(t, id)) != 0 {
		t.Fatal("marketing's lead did not go to the pool")
	}
	mkt.get("/leads/" + id).wantStatus(200) // the creator keeps viewing it
	w.clients["mgr1"].post("/leads/"+id+"/assign", form("owner_id", strconv.FormatInt(w.emp["rep1"], 10))).wantStatus(303)
	rep1 := w.clients["rep1"]
	rep1.get("/campaigns/" + campaign).wantStatus(404)
	edit := rep1.get("/leads/" + id + "/edit").wantStatus(200)
	if got := edit.text(`#f-campaign_id option[selected]`); got != "春季展会" {
		t.Fatalf("edit form campaign = %q", got)
	}
	rep1.post("/leads/"+id, form("name", "展会来客", "campaign_id", campaign, "status", "following")).wantStatus(303)
	if n := w.count(`SELECT count(*) FROM leads WHERE id = $1 AND campaign_id = $2`, mustInt(t, id), mustInt(t, campaign)); n != 1 {
		t.Fatal("the campaign was lost")
	}
	// Marketing may not put a lead under another owner, only into a pool.
	mkt.post("/leads", form("name", "另一个", "owner", "e:"+strconv.FormatInt(w.emp["rep1"], 10))).wantStatus(422)
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
