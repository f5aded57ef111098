package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/web/views"
)

// oppCustomer creates a customer owned by creator (through storage).
func oppCustomer(w *acqWorld, creator, name string) int64 {
	w.t.Helper()
	id, err := w.DB.CreateCustomer(context.Background(), w.actor(creator), crm.CustomerInput{Name: name}, postgres.NewOwner{})
	if err != nil {
		w.t.Fatalf("customer %s: %v", name, err)
	}
	return id
}

// oppCreate creates an opportunity under customer as creator.
func oppCreate(w *acqWorld, creator string, customer int64, name string, stage crm.OppStage, amount string) int64 {
	w.t.Helper()
	id, err := w.DB.CreateOpportunity(context.Background(), w.actor(creator), crm.OpportunityInput{Name: name,
		CustomerID: customer, Stage: stage, ExpectedAmount: decimal.RequireFromString(amount)})
	if err != nil {
		w.t.Fatalf("opportunity %s: %v", name, err)
	}
	return id
}

// oppHistory counts an opportunity's history entries (a refused request
// leaves them unchanged).
func oppHistory(w *acqWorld, id int64) int {
	w.t.Helper()
	return w.count(`SELECT count(*) FROM history WHERE resource = 'opportunity' AND record_id = $1`, id)
}

// hx are the headers board.js sends with its fetches.
var hx = http.Header{"HX-Request": {"true"}}

// postHX posts a form as board.js does (same-origin fetch with HX-Request).
func postHX(c *client, path string, f url.Values) *page {
	c.t.Helper()
	return c.postWith(path, f, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {c.base}, "HX-Request": {"true"}})
}

// TestOpportunityRoutesEveryRole runs every opportunity route for every
// role against an opportunity of rep1 (一部) under rep1's customer, on
// which rep2 (二部) collaborates: 200/303/204 allowed, 403 viewable but not
// allowed, 404 not viewable — and a refused request changes nothing.
// Mutating routes get a fresh opportunity per case.
func TestOpportunityRoutesEveryRole(t *testing.T) {
	t.Parallel()
	w := newAcqWorld(t)
	ctx := context.Background()
	customer := oppCustomer(w, "rep1", "甲客户")
	if err := w.DB.AddCollaborator(ctx, w.actor("rep1"), customer, w.emp["rep2"]); err != nil {
		t.Fatal(err)
	}
	n := 0
	fresh := func() int64 {
		n++
		return oppCreate(w, "rep1", customer, "机会"+strconv.Itoa(n), crm.StageInitial, "1000")
	}
	shared := fresh()

	view := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 200, "mkt": 200, "fin": 200}
	edit := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 403, "mkt": 403, "fin": 403}
	update := roleCase{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 404, "rep2": 403, "mkt": 403, "fin": 403}
	stageHX := roleCase{"admin": 204, "boss": 204, "mgr": 204, "mgr1": 204, "rep1": 204, "rep1b": 404, "rep2": 403, "mkt": 403, "fin": 403}
	type route struct {
		name   string
		method string
		path   string // %d is the opportunity
		form   url.Values
		htmx   bool
		fresh  bool
		want   roleCase
	}
	routes := []route{
		{"detail", "GET", "/opportunities/%d", nil, false, false, view},
		{"edit form", "GET", "/opportunities/%d/edit", nil, false, false, edit},
		{"update", "POST", "/opportunities/%d", form("name", "改名", "stage", "needs", "expected_amount", "2000"), false, true, update},
		{"delete", "POST", "/opportunities/%d/delete", nil, false, true, update},
		{"stage", "POST", "/opportunities/%d/stage", form("stage", "proposal"), false, true, update},
		{"stage (board.js)", "POST", "/opportunities/%d/stage", form("stage", "won"), true, true, stageHX},
		{"follow-up", "POST", "/follow-ups", form("content", "电话沟通"), false, true, update},
	}
	cases := 0
	for _, rt := range routes {
		for _, u := range acqUsers {
			want := rt.want[u.name]
			id := shared
			if rt.fresh {
				id = fresh()
			}
			path := strings.Replace(rt.path, "%d", strconv.FormatInt(id, 10), 1)
			f := url.Values{}
			for k, v := range rt.form {
				f[k] = v
			}
			if rt.name == "follow-up" {
				f.Set("opportunity_id", strconv.FormatInt(id, 10))
			}
			before := oppHistory(w, id)
			c := w.clients[u.name]
			var p *page
			switch {
			case rt.method == "GET":
				p = c.get(path)
			case rt.htmx:
				p = postHX(c, path, f)
			default:
				p = c.post(path, f)
			}
			cases++
			if p.Status != want {
				t.Errorf("%s %s as %s: status %d, want %d\n%s", rt.name, path, u.name, p.Status, want, abbreviate(p.Body))
				continue
			}
			if p.Status >= 400 && rt.method == "POST" {
				if after := oppHistory(w, id); after != before {
					t.Errorf("%s as %s: refused (%d) but history %d → %d", rt.name, u.name, p.Status, before, after)
				}
				if n := w.count(`SELECT count(*) FROM follow_ups WHERE opportunity_id = $1`, id); n != 0 {
					t.Errorf("%s as %s: refused but %d follow-ups written", rt.name, u.name, n)
				}
			}
		}
	}
	// Routes without a record, or under the customer: the list and board
	// for everyone; creating for every role but marketing and finance, and
	// under 甲客户 only for those who may update it.
	creators := map[string]bool{"admin": true, "boss": true, "mgr": true, "mgr1": true, "rep1": true, "rep1b": true, "rep2": true}
	underX := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 403, "mkt": 403, "fin": 403}
	for _, u := range acqUsers {
		c := w.clients[u.name]
		for _, path := range []string{"/opportunities", "/opportunities?view=board", "/opportunities?tab=all&stage=initial&sort=amount&dir=desc"} {
			cases++
			if p := c.get(path); p.Status != 200 {
				t.Errorf("GET %s as %s: %d", path, u.name, p.Status)
			}
		}
		cases++
		if p := c.do("GET", "/opportunities?view=board", nil, hx); p.Status != 200 || !p.has(tid("board")) || p.has("nav") {
			t.Errorf("board fragment as %s: %d", u.name, p.Status)
		}
		wantNew, wantCreate := 403, 403
		if creators[u.name] {
			wantNew, wantCreate = 200, 303
		}
		cases += 4
		if p := c.get("/opportunities/new"); p.Status != wantNew {
			t.Errorf("new form as %s: %d, want %d", u.name, p.Status, wantNew)
		}
		if p := c.get(fmtPath("/opportunities/new?customer=%d", customer)); p.Status != underX[u.name] {
			t.Errorf("new form under the customer as %s: %d, want %d", u.name, p.Status, underX[u.name])
		}
		own := oppCustomer(w, "admin", "给"+u.name+"的客户")
		if creators[u.name] {
			if err := w.DB.AssignCustomer(ctx, w.actor("admin"), own, w.emp[u.name]); err != nil {
				t.Fatal(err)
			}
		}
		if p := c.post("/opportunities", form("name", "新机会"+u.name, "customer_id", strconv.FormatInt(own, 10))); p.Status != wantCreate {
			t.Errorf("create as %s: %d, want %d\n%s", u.name, p.Status, wantCreate, abbreviate(p.Body))
		}
		wantUnderX := underX[u.name]
		if wantUnderX == 200 {
			wantUnderX = 303
		}
		if p := c.post("/opportunities", form("name", "甲的机会"+u.name, "customer_id", strconv.FormatInt(customer, 10))); p.Status != wantUnderX {
			t.Errorf("create under the customer as %s: %d, want %d", u.name, p.Status, wantUnderX)
		}
	}
	// An opportunity that does not exist is 404 on every route.
	for _, rt := range routes {
		path := strings.Replace(rt.path, "%d", "987654", 1)
		f := url.Values{}
		for k, v := range rt.form {
			f[k] = v
		}
		if rt.name == "follow-up" {
			f.Set("opportunity_id", "987654")
		}
		var p *page
		if rt.method == "GET" {
			p = w.clients["admin"].get(path)
		} else {
			p = w.clients["admin"].post(path, f)
		}
		cases++
		if p.Status != 404 {
			t.Errorf("%s of a missing opportunity: %d", rt.name, p.Status)
		}
	}
	t.Logf("opportunity routes: %d role×route cases", cases)
}

// TestOpportunityBoardOverHTTP: the board has one column per stage in
// order, with counts, Σ expected amounts and cards; the plain form on a
// card moves it (303 back to the board, which shows the new figures);
// board.js's request answers 204 and the fragment it fetches is the board
// alone; refusals answer 403/404 with a message, and an unknown stage 422.
func TestOpportunityBoardOverHTTP(t *testing.T) {
	t.Parallel()
	w := newAcqWorld(t)
	customer := oppCustomer(w, "rep1", "看板客户")
	a := oppCreate(w, "rep1", customer, "甲机会", crm.StageNeeds, "100.10")
	oppCreate(w, "rep1", customer, "乙机会", crm.StageNeeds, "1200.20")
	oppCreate(w, "rep1", customer, "丙机会", crm.StageProposal, "50")
	other := oppCreate(w, "rep2", oppCustomer(w, "rep2", "二部客户"), "二部机会", crm.StageNeeds, "7")

	rep1 := w.clients["rep1"]
	board := rep1.get("/opportunities?view=board").wantStatus(200)
	var stages []string
	board.Doc.Find(tid("board-column")).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("data-stage")
		stages = append(stages, v)
	})
	if got := strings.Join(stages, ","); got != "initial,needs,proposal,negotiation,won,lost" {
		t.Fatalf("columns = %q", got)
	}
	col := func(p *page, stage, what string) string {
		return strings.TrimSpace(p.Doc.Find(`[data-testid="board-column"][data-stage="` + stage + `"] ` + tid(what)).First().Text())
	}
	if col(board, "needs", "column-count") != "共 2 条" || col(board, "needs", "column-sum") != "1,300.30" ||
		col(board, "proposal", "column-sum") != "50.00" || col(board, "initial", "column-count") != "共 0 条" {
		t.Fatalf("needs %q %q, proposal %q", col(board, "needs", "column-count"), col(board, "needs", "column-sum"), col(board, "proposal", "column-sum"))
	}
	card := board.Doc.Find(fmt.Sprintf(`%s[data-id="%d"]`, tid("board-card"), a))
	if card.Length() != 1 || !strings.Contains(card.Text(), "看板客户") || !strings.Contains(card.Text(), "100.10") ||
		!strings.Contains(card.Text(), "测试rep1") || card.Find(tid("card-stage-form")).Length() != 1 {
		t.Fatalf("card: %q", card.Text())
	}
	if _, movable := card.Attr("data-movable"); !movable {
		t.Error("rep1's card is not draggable")
	}
	if strings.Contains(board.Body, "二部机会") {
		t.Fatal("rep1's board shows another department's opportunity")
	}
	// The scripts: SortableJS and board.js by URL on the board page only.
	var scripts []string
	board.Doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		src, _ := s.Attr("src")
		if src == "" {
			t.Error("inline script on the board page")
		}
		scripts = append(scripts, src)
	})
	if !strings.Contains(strings.Join(scripts, " "), "/static/vendor/sortable-1.15.7.min.js?v=") ||
		!strings.Contains(strings.Join(scripts, " "), "/static/js/board.js?v=") {
		t.Errorf("scripts = %v", scripts)
	}
	if list := rep1.get("/opportunities").wantStatus(200); strings.Contains(list.Body, "sortable") || !list.has(tid("view-board")) {
		t.Error("the list page loads SortableJS or lacks the board switch")
	}
	if js := rep1.get("/static/js/board.js"); js.Status != 200 || !strings.Contains(js.Body, "/stage") {
		t.Errorf("board.js: %d", js.Status)
	}

	// The plain form (no JS): 303 back to the board, the figures follow.
	back := "/opportunities?view=board&tab=all"
	rep1.post(fmtPath("/opportunities/%d/stage", a), form("stage", "won", "back", back)).wantRedirect(back)
	board = rep1.get(back).wantStatus(200)
	if !strings.Contains(board.text(tid("flash")), "已移至「赢单」") {
		t.Errorf("flash = %q", board.text(tid("flash")))
	}
	if col(board, "needs", "column-count") != "共 1 条" || col(board, "won", "column-sum") != "100.10" || col(board, "needs", "column-sum") != "1,200.20" {
		t.Errorf("after the move: needs %q/%q, won %q", col(board, "needs", "column-count"), col(board, "needs", "column-sum"), col(board, "won", "column-sum"))
	}
	h := rep1.get(fmtPath("/opportunities/%d", a)).wantStatus(200).text(tid("history"))
	if !strings.Contains(h, "销售阶段") || !strings.Contains(h, "需求确认") || !strings.Contains(h, "赢单") {
		t.Errorf("history: %s", h)
	}

	// board.js: 204, then the fragment it swaps in.
	if p := postHX(rep1, fmtPath("/opportunities/%d/stage", a), form("stage", "lost")); p.Status != http.StatusNoContent {
		t.Fatalf("HX stage: %d", p.Status)
	}
	frag := rep1.do("GET", "/opportunities?view=board&tab=all", nil, hx).wantStatus(200)
	if strings.Contains(frag.Body, "<html") || col(frag, "lost", "column-count") != "共 1 条" || col(frag, "won", "column-count") != "共 0 条" {
		t.Errorf("fragment: lost %q won %q", col(frag, "lost", "column-count"), col(frag, "won", "column-count"))
	}
	if v, _ := frag.Doc.Find(tid("board")).Attr("data-refresh"); v != "/opportunities?tab=all&view=board" {
		t.Errorf("data-refresh = %q", v)
	}

	// Refusals: not viewable 404, viewable but not theirs 403 (the message
	// as text for board.js), an unknown stage 422; nothing moves.
	postHX(w.clients["rep1b"], fmtPath("/opportunities/%d/stage", a), form("stage", "needs")).wantStatus(404)
	w.clients["rep1"].post(fmtPath("/opportunities/%d/stage", other), form("stage", "won")).wantStatus(404)
	refused := postHX(w.clients["mkt"], fmtPath("/opportunities/%d/stage", a), form("stage", "needs")).wantStatus(403)
	if refused.Body == "" || strings.Contains(refused.Body, "<html") {
		t.Errorf("403 for board.js: %q", refused.Body)
	}
	w.clients["fin"].post(fmtPath("/opportunities/%d/stage", a), form("stage", "needs")).wantStatus(403)
	rep1.post(fmtPath("/opportunities/%d/stage", a), form("stage", "maybe")).wantStatus(422)
	if n := w.count(`SELECT count(*) FROM opportunities WHERE id = $1 AND stage = 'lost'`, a); n != 1 {
		t.Error("a refused move moved the card")
	}
	// Marketing views the board without forms or draggable cards.
	mb := w.clients["mkt"].get("/opportunities?view=board").wantStatus(200)
	if mb.has(tid("card-stage-form")) || mb.has("[data-movable]") || !mb.has(tid("board-card")) {
		t.Error("marketing's board offers moves or shows no cards")
	}
	// The owner filter and the customer filter narrow the board.
	fb := w.clients["boss"].get(fmtPath("/opportunities?view=board&owner=%d", w.emp["rep2"])).wantStatus(200)
	if fb.Doc.Find(tid("board-card")).Length() != 1 {
		t.Errorf("owner filter: %d cards", fb.Doc.Find(tid("board-card")).Length())
	}
	cb := w.clients["boss"].get(fmtPath("/opportunities?view=board&customer=%d", customer)).wantStatus(200)
	if cb.Doc.Find(tid("board-card")).Length() != 3 || !strings.Contains(cb.text(tid("chip-customer")), "看板客户") {
		t.Errorf("customer filter: %d cards", cb.Doc.Find(tid("board-card")).Length())
	}
	// A column beyond the count cap says so; its sum is a lower bound, and
	// it links to the list for the rest. The board of every opportunity
	// (management) reads the figures kept on write: exact.
	w.exec(`INSERT INTO opportunities (name, customer_id, stage, expected_amount, owner_id, department_id, created_by,
	                                   customer_owner_id, customer_department_id)
		SELECT '批量' || g, $1, 'initial', 2, $2, $3, $2, $2, $3 FROM generate_series(1, $4::int + 1) g`,
		customer, w.emp["rep1"], w.dept["一部"], crm.CountCap)
	whole := w.clients["boss"].get("/opportunities?view=board").wantStatus(200)
	if col(whole, "initial", "column-count") != "共 10001 条" || col(whole, "initial", "column-sum") != "20,002.00" {
		t.Errorf("the board of every opportunity: %q %q", col(whole, "initial", "column-count"), col(whole, "initial", "column-sum"))
	}
	big := w.clients["mgr1"].get("/opportunities?view=board&tab=all").wantStatus(200)
	if col(big, "initial", "column-count") != "超过 10000 条" || !strings.HasPrefix(col(big, "initial", "column-sum"), "至少 ") ||
		big.Doc.Find(`[data-stage="initial"] `+tid("board-card")).Length() != crm.BoardCards {
		t.Errorf("capped column: %q %q", col(big, "initial", "column-count"), col(big, "initial", "column-sum"))
	}
	if href, _ := big.Doc.Find(`[data-stage="initial"] ` + tid("column-more")).Attr("href"); href != "/opportunities?stage=initial&tab=all" {
		t.Errorf("more → %q", href)
	}
}

// TestOpportunityFormsDetailAndFollowUps: the form with its messages and
// the customer picker, the detail page (已跟进时长, the quotes/orders
// section), follow-ups logged on the opportunity (its page, its
// customer's, the follow-up list), edits and their history, and the list's
// search and filters.
func TestOpportunityFormsDetailAndFollowUps(t *testing.T) {
	t.Parallel()
	w := newAcqWorld(t)
	customer := oppCustomer(w, "rep1", "乙方科技")
	oppCustomer(w, "rep2", "二部的客户")
	rep1 := w.clients["rep1"]
	cid := strconv.FormatInt(customer, 10)

	// The customer picker lists what rep1 may view, and searches.
	picker := rep1.get("/opportunities/new").wantStatus(200)
	if opts := picker.texts("#f-customer_id option"); strings.Join(opts, ",") != "请选择,乙方科技" {
		t.Errorf("picker = %v", opts)
	}
	if opts := rep1.get("/opportunities/new?customer_q=无此").texts("#f-customer_id option"); len(opts) != 1 {
		t.Errorf("search picker = %v", opts)
	}
	rep1.get("/opportunities/new?customer="+cid).wantStatus(200).wantText(tid("opportunity-customer"), "乙方科技")

	// Validation: every message at once, values kept, nothing written.
	bad := rep1.post("/opportunities", form("name", " ", "customer_id", cid, "expected_amount", "12.345", "expected_close", "明天")).wantStatus(422)
	bad.wantText(tid("error-name"), "必填。").wantText(tid("error-expected_amount"), "两位小数").wantText(tid("error-expected_close"), "日期格式")
	if v, _ := bad.Doc.Find("#f-expected_amount").Attr("value"); v != "12.345" {
		t.Errorf("amount as typed = %q", v)
	}
	rep1.post("/opportunities", form("name", "无客户")).wantStatus(422).wantText(tid("error-customer_id"), "必填。")
	if n := w.count(`SELECT count(*) FROM opportunities`); n != 0 {
		t.Fatalf("invalid forms wrote %d", n)
	}
	loc := rep1.post("/opportunities", form("name", "ERP 升级", "customer_id", cid, "stage", "needs",
		"expected_amount", "¥1,234,567.80", "expected_close", "2030-06-30", "notes", "预算已批")).wantStatus(303).Location
	id := loc[len("/opportunities/"):]

	show := rep1.get(loc).wantStatus(200)
	show.wantText(tid("opportunity-stage"), "需求确认").wantText(tid("expected-amount"), "1,234,567.80").
		wantText(tid("days-followed"), "0 天").wantText(tid("expected-close"), "2030-06-30").
		wantText(tid("opportunity-customer"), "乙方科技").wantText(tid("last-follow-up"), "—")
	deals := show.Doc.Find(tid("opportunity-deals"))
	// Its quotes and orders: none yet (so no link to their lists, which a
	// section shows only when it has more than it shows: TestRecordSections).
	for _, part := range []string{"quotes", "orders"} {
		if got := deals.Find(tid("opportunity-" + part)).Find(tid(part + "-count")).Text(); got != "0" {
			t.Errorf("%s: count %q, want 0", part, got)
		}
		if deals.Find(tid(part+"-all")).Length() != 0 {
			t.Errorf("%s: a link to all of none", part)
		}
	}
	if href, _ := deals.Find(tid("new-quote")).Attr("href"); href != "/quotes/new?opportunity="+id {
		t.Errorf("new-quote → %q", href)
	}
	if !strings.Contains(deals.Text(), "报价单 / 合同订单") {
		t.Error("the quotes/orders section is not marked")
	}
	mk := w.clients["mkt"].get(loc).wantStatus(200)
	if mk.has(tid("opportunity-deals")) || mk.has(tid("follow-up-form")) || mk.has(tid("edit")) || mk.has(tid("stage-form")) {
		t.Error("marketing's view offers quotes, follow-ups or changes")
	}

	// Follow-ups from the page: they move the times and show on the
	// opportunity, on its customer and in the list filtered by it.
	rep1.post("/follow-ups", form("opportunity_id", id, "customer_id", "999", "content", "演示方案", "followed_at", "2030-01-02T09:30",
		"next_at", "2030-01-09T10:00", "back", loc)).wantRedirect(loc + "#follow-ups")
	show = rep1.get(loc).wantStatus(200)
	show.wantText(tid("last-follow-up"), "2030-01-02 09:30").wantText(tid("follow-up-timeline"), "演示方案")
	if v, _ := show.Doc.Find(tid("follow-up-form") + ` input[name="opportunity_id"]`).Attr("value"); v != id {
		t.Errorf("quick form posts opportunity_id %q", v)
	}
	cust := rep1.get("/customers/" + cid).wantStatus(200)
	cust.wantText(tid("follow-up-timeline"), "演示方案")
	if n := w.count(`SELECT count(*) FROM customers WHERE id = $1 AND next_follow_up_at = '2030-01-09 10:00+08'`, customer); n != 1 {
		t.Error("the customer's next follow-up did not move")
	}
	if rows := rep1.get("/follow-ups?opportunity=" + id).texts(tid("follow-up-row")); len(rows) != 1 {
		t.Errorf("follow-up list of the opportunity: %d rows", len(rows))
	}
	rep1.post("/follow-ups", form("opportunity_id", id, "content", " ")).wantStatus(422).
		wantText(tid("error-content"), "必填。").wantText("h1", "ERP 升级")

	// Edit: the customer stays; history names the fields.
	edit := rep1.get(loc + "/edit").wantStatus(200)
	if v, _ := edit.Doc.Find("#f-expected_amount").Attr("value"); v != "1234567.80" {
		t.Errorf("edit amount = %q", v)
	}
	other := strconv.FormatInt(oppCustomer(w, "rep1", "别的客户"), 10)
	rep1.post(loc, form("name", "ERP 升级二期", "customer_id", other, "stage", "proposal", "expected_amount", "2000000")).wantRedirect(loc)
	rep1.post(loc, form("name", "", "stage", "proposal")).wantStatus(422).wantText(tid("error-name"), "必填。")
	if n := w.count(`SELECT count(*) FROM opportunities WHERE id = $1 AND customer_id = $2 AND stage = 'proposal'`, mustInt(t, id), customer); n != 1 {
		t.Error("the update moved the customer or missed the stage")
	}
	h := rep1.get(loc).wantStatus(200).text(tid("history"))
	for _, want := range []string{"机会名称", "ERP 升级二期", "销售阶段", "需求确认", "方案报价", "预计金额", "2000000.00", "创建"} {
		if !strings.Contains(h, want) {
			t.Errorf("history lacks %q: %s", want, h)
		}
	}

	// The list: search, stage filter, the customer's opportunities.
	oppCreate(w, "rep1", customer, "云盘采购", crm.StageWonDeal, "10")
	names := func(p *page) string { return strings.Join(p.texts(tid("opportunity-name")), ",") }
	if got := names(rep1.get("/opportunities?q=ERP")); got != "ERP 升级二期" {
		t.Errorf("search = %q", got)
	}
	if got := names(rep1.get("/opportunities?stage=won")); got != "云盘采购" {
		t.Errorf("stage filter = %q", got)
	}
	if got := names(rep1.get("/opportunities?sort=amount")); got != "云盘采购,ERP 升级二期" {
		t.Errorf("sort by amount = %q", got)
	}
	byCustomer := w.clients["boss"].get("/opportunities?customer=" + cid).wantStatus(200)
	if got := names(byCustomer); got != "云盘采购,ERP 升级二期" || !strings.Contains(byCustomer.text(tid("chip-customer")), "乙方科技") {
		t.Errorf("customer filter = %q", got)
	}
	if got := byCustomer.text(tid("total")); got != "共 2 条" {
		t.Errorf("total = %q", got)
	}
	if got := names(w.clients["rep2"].get("/opportunities?tab=all")); got != "" {
		t.Errorf("rep2 sees %q", got)
	}
}

// TestOpportunityDeleteRefusedWhileQuoted: deleting an opportunity a quote
// refers to answers 409 on its page with the reason; once free, it goes.
func TestOpportunityDeleteRefusedWhileQuoted(t *testing.T) {
	t.Parallel()
	w := newAcqWorld(t)
	customer := oppCustomer(w, "rep1", "丙方")
	id := oppCreate(w, "rep1", customer, "有报价的", crm.StageProposal, "10")
	w.exec(`INSERT INTO quotes (number, customer_id, opportunity_id, created_by, owner_id) VALUES ('BJ-T-1', $1, $2, $3, $3)`,
		customer, id, w.emp["rep1"])
	path := fmtPath("/opportunities/%d", id)
	p := w.clients["rep1"].post(path+"/delete", form()).wantStatus(409)
	p.wantText(tid("form-error"), "1 张报价单").wantText("h1", "有报价的")
	w.exec(`DELETE FROM quotes`)
	w.clients["mgr1"].post(path+"/delete", form()).wantRedirect("/opportunities")
	w.clients["rep1"].get(path).wantStatus(404)
	if !strings.Contains(w.clients["mgr1"].get("/opportunities").text(tid("flash")), "有报价的") {
		t.Error("no flash after the delete")
	}
}

// TestOpportunityTableComponent: the table the customer page embeds.
func TestOpportunityTableComponent(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	o := crm.Opportunity{ID: 7, Name: "组件机会", Stage: crm.StageNegotiation, ExpectedAmount: decimal.RequireFromString("99.5")}
	o.OwnerName = "某人"
	if err := views.OpportunityTable([]crm.Opportunity{o}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{`data-testid="opportunity-table"`, `href="/opportunities/7"`, "组件机会", "谈判审核", "99.50", "某人"} {
		if !strings.Contains(html, want) {
			t.Errorf("table lacks %q: %s", want, html)
		}
	}
	buf.Reset()
	if err := views.OpportunityTable(nil).Render(context.Background(), &buf); err != nil || !strings.Contains(buf.String(), "还没有销售机会") {
		t.Errorf("empty table: %v %s", err, buf.String())
	}
}
