package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// exportRoutes are the export of every list page.
var exportRoutes = []string{"/campaigns", "/leads", "/customers", "/contacts", "/follow-ups", "/opportunities",
	"/products", "/quotes", "/orders", "/payments", "/invoices", "/admin/employees"}

// xlsxRows reads the first sheet of an export (raw values).
func xlsxRows(t *testing.T, body string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not an xlsx: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// wantExport checks an export's answer and returns its rows.
func (p *page) wantExport() [][]string {
	p.t.Helper()
	p.wantStatus(http.StatusOK)
	if ct := p.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
		p.t.Fatalf("%s: Content-Type %q", p.path, ct)
	}
	if cd := p.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, ".xlsx") {
		p.t.Fatalf("%s: Content-Disposition %q", p.path, cd)
	}
	if sc := p.Header.Values("Set-Cookie"); len(sc) > 0 {
		p.t.Errorf("%s: an export sets cookies %q", p.path, sc)
	}
	rows := xlsxRows(p.t, p.Body)
	if n, _ := strconv.Atoi(p.Header.Get("X-Export-Rows")); n != len(rows)-1 {
		p.t.Errorf("%s: X-Export-Rows %d, the sheet has %d data rows", p.path, n, len(rows)-1)
	}
	return rows
}

// expWorld is the order world with one record of every list, owned by
// rep1 (in 一部): a campaign, lead, customer with a contact, follow-up,
// opportunity, quote, approved order with a payment and an invoice.
type expWorld struct {
	*ordWorld
	customer int64
}

func newExpWorld(t *testing.T) *expWorld {
	t.Helper()
	ctx := context.Background()
	w := &expWorld{ordWorld: newOrdWorld(t)}
	rep := w.actor("rep1")
	must := func(_ int64, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.DB.CreateCampaign(ctx, w.actor("mkt"), crm.CampaignInput{Name: "exp活动", Status: crm.CampaignActive}))
	lead := w.lead("rep1", "exp线索", postgres.NewOwner{})
	w.customer = w.ordWorld.customer("rep1", "exp客户")
	must(w.DB.CreateContact(ctx, rep, crm.ContactInput{CustomerID: w.customer, Name: "exp联系人"}))
	must(w.DB.CreateFollowUp(ctx, rep, crm.FollowUpInput{LeadID: lead, Content: "=电话沟通", FollowedAt: time.Now()}))
	must(w.DB.CreateOpportunity(ctx, rep, crm.OpportunityInput{Name: "exp机会", CustomerID: w.customer, Stage: crm.StageInitial}))
	w.quote("rep1", w.customer)
	order := w.approved("rep1", w.customer, w.line("ORD-A", "100", "0.9", "2"), w.line("ORD-B", "19.99", "1", "3"))
	day := time.Now()
	must(w.DB.CreatePayment(ctx, rep, crm.PaymentInput{OrderID: order, Amount: decimal.RequireFromString("10"), PaidOn: &day,
		Method: "cash"}))
	must(w.DB.CreateInvoice(ctx, rep, crm.InvoiceInput{OrderID: order, Amount: decimal.RequireFromString("10"),
		InvoiceType: crm.InvoiceNormal, IssuedOn: &day}))
	return w
}

// TestExportRoutesEveryRole runs every list's export for every role: the
// roles whose list answers 403 get 403 (marketing: quotes, orders,
// payments, invoices; everyone but admins: employees), the others the
// rows of their list — with tab=all exactly the rows the list's storage
// function returns for them — and never a cookie. Anonymous visitors are
// sent to the login page.
func TestExportRoutesEveryRole(t *testing.T) {
	w := newExpWorld(t)
	ctx := context.Background()
	forbidden := func(route, user string) bool {
		switch {
		case route == "/admin/employees":
			return user != "admin"
		case user == "mkt":
			return slices.Contains([]string{"/quotes", "/orders", "/payments", "/invoices"}, route)
		}
		return false
	}
	// What each role's list holds with tab=all, counted by the list's own
	// storage functions.
	visible := func(route string, a crm.Actor) int {
		var n crm.Total
		var err error
		all := crm.Page{PerPage: 100}
		switch route {
		case "/leads":
			_, n, err = w.DB.FindLeads(ctx, a, crm.LeadFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: all}}})
		case "/customers":
			_, n, err = w.DB.FindCustomers(ctx, a, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: all}}})
		case "/orders":
			var list []crm.Order
			list, _, err = w.DB.FindOrders(ctx, a, crm.OrderFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: all}})
			for _, o := range list {
				full, err := w.DB.OrderByID(ctx, a, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				n.N += max(1, len(full.Lines)) // a row per line
			}
		case "/payments":
			_, n, err = w.DB.FindPayments(ctx, a, crm.PaymentFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: all}})
		default:
			return -1
		}
		if err != nil {
			t.Fatal(err)
		}
		return n.N
	}
	cases := 0
	for _, route := range exportRoutes {
		for _, u := range acqUsers {
			path := route + "/export.xlsx?tab=all"
			p := w.clients[u.name].get(path)
			cases++
			if forbidden(route, u.name) {
				p.wantStatus(http.StatusForbidden)
				continue
			}
			rows := p.wantExport()
			if len(rows) == 0 || len(rows[0]) < 3 {
				t.Fatalf("%s as %s: no header row", path, u.name)
			}
			if want := visible(route, w.actor(u.name)); want >= 0 && len(rows)-1 != want {
				t.Errorf("%s as %s: %d rows, the list holds %d", path, u.name, len(rows)-1, want)
			}
		}
		p := w.client().get(route + "/export.xlsx?tab=all")
		p.wantRedirect("/login?next=" + url.QueryEscape(route+"/export.xlsx?tab=all"))
		cases++
	}
	t.Logf("%d export routes × %d roles + anonymous: %d cases", len(exportRoutes), len(acqUsers), cases)
}

// TestExportRepOwnRows: a rep's export holds their own rows only, never a
// colleague's, whatever tab the URL asks for.
func TestExportRepOwnRows(t *testing.T) {
	w := newAcqWorld(t)
	w.lead("rep1", "rep1的线索", postgres.NewOwner{})
	w.lead("rep2", "rep2的线索", postgres.NewOwner{})
	w.lead("boss", "boss的线索", postgres.NewOwner{})
	for _, tab := range []string{"", "mine", "dept", "all", "nonsense"} {
		rows := w.clients["rep2"].get("/leads/export.xlsx?tab=" + tab).wantExport()
		var names []string
		for _, r := range rows[1:] {
			names = append(names, r[0])
		}
		if !slices.Equal(names, []string{"rep2的线索"}) {
			t.Errorf("rep2's export (tab=%q) holds %v", tab, names)
		}
	}
}

// TestExportFilterSortAllPages: an export takes the list's filters and
// sort and holds every page, not the one the list shows.
func TestExportFilterSortAllPages(t *testing.T) {
	w := newAcqWorld(t)
	for i := range 45 {
		w.lead("rep1", "筛选"+strconv.Itoa(100+i), postgres.NewOwner{})
	}
	for i := range 5 {
		w.lead("rep1", "其他"+strconv.Itoa(i), postgres.NewOwner{})
	}
	rows := w.clients["admin"].get("/leads/export.xlsx?tab=all&q=筛选&sort=name&dir=desc&page=2").wantExport()
	if len(rows) != 46 {
		t.Fatalf("%d rows, want the header and all 45 matching", len(rows))
	}
	for i, r := range rows[1:] {
		if want := "筛选" + strconv.Itoa(144-i); r[0] != want {
			t.Fatalf("row %d is %q, want %q (by name, descending)", i+1, r[0], want)
		}
	}
}

// TestExportOrderLines: an order exports one row per line with the
// order's columns on each, products by SKU — the orders import's layout.
func TestExportOrderLines(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "行客户")
	id := w.order("rep1", c, w.line("ORD-A", "100", "0.9", "2"), w.line("ORD-C", "0.10", "1", "3"))
	rows := w.clients["rep1"].get("/orders/export.xlsx").wantExport()
	if len(rows) != 3 {
		t.Fatalf("%d rows, want the header and 2 lines", len(rows))
	}
	head := rows[0]
	col := func(label string) int {
		for i, h := range head {
			if strings.ReplaceAll(strings.TrimSuffix(h, "*"), " ", "") == label {
				return i
			}
		}
		t.Fatalf("no column %s in %q", label, head)
		return -1
	}
	var num string
	if err := w.DB.Pool.QueryRow(context.Background(), `SELECT number FROM orders WHERE id = $1`, id).Scan(&num); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{{"ORD-A", "100", "0.9", "2"}, {"ORD-C", "0.1", "1", "3"}} {
		r := append(rows[i+1], make([]string, len(head))...)
		if r[col("订单编号")] != num || r[col("客户名称")] != "行客户" {
			t.Errorf("line %d: %q, want order %s of 行客户", i+1, r[:len(head)], num)
		}
		got := []string{r[col("产品SKU")], r[col("单价")], r[col("折扣")], r[col("数量")]}
		if !slices.Equal(got, want) {
			t.Errorf("line %d: %q, want %q", i+1, got, want)
		}
	}
}

// recorder is a ResponseWriter that remembers how the body came: how many
// writes, the largest one, the total.
type recorder struct {
	header       http.Header
	status       int
	writes, most int
	total        int
	body         bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.writes++
	r.most = max(r.most, len(b))
	r.total += len(b)
	return r.body.Write(b)
}

// TestExportStreams exports 20 000 generated customers: the file reaches
// the client as it is zipped — many writes of at most a small buffer each,
// no Content-Length, chunked over HTTP/1.1 — not buffered whole anywhere
// on the way (excelize's File.Write, a buffering session middleware: one
// write of everything at the end).
func TestExportStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Postgres")
	}
	a := newApp(t)
	mustEmployee(t, a.DB, "admin", crm.RoleAdmin, 0)
	admin := a.count(`SELECT id FROM employees WHERE username = 'admin'`)
	const n = 20000
	a.exec(`INSERT INTO customers (name, phone, address, notes, owner_id, created_by)
		SELECT '流式客户' || g, '1380000' || g, '上海市某某路 ' || g || ' 号', repeat('备注', 20) || g, $1, $1
		FROM generate_series(1, $2) g`, admin, n)
	c := a.loginAs("admin")

	req, err := http.NewRequest(http.MethodGet, a.URL+"/customers/export.xlsx?tab=all", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.jar.Cookies(req.URL) {
		req.AddCookie(k)
	}
	rec := &recorder{header: http.Header{}}
	a.Server.ServeHTTP(rec, req)
	if rec.status != http.StatusOK {
		t.Fatalf("status %d: %s", rec.status, abbreviate(rec.body.String()))
	}
	if got := rec.header.Get("X-Export-Rows"); got != strconv.Itoa(n) {
		t.Fatalf("X-Export-Rows %s, want %d", got, n)
	}
	if rec.header.Get("Content-Length") != "" {
		t.Errorf("Content-Length %s: the file was measured, so buffered", rec.header.Get("Content-Length"))
	}
	t.Logf("%d bytes in %d writes, the largest %d", rec.total, rec.writes, rec.most)
	if rec.total < 256<<10 {
		t.Fatalf("only %d bytes: the test proves nothing", rec.total)
	}
	if rec.most > 64<<10 || rec.writes < rec.total/(64<<10) {
		t.Errorf("%d bytes in %d writes, the largest %d: the response was buffered", rec.total, rec.writes, rec.most)
	}
	rows := xlsxRows(t, rec.body.String())
	if len(rows) != n+1 || rows[n][0] != "流式客户1" {
		t.Errorf("%d rows, the last %q", len(rows), rows[len(rows)-1])
	}

	// Over the network the answer is chunked: its length is not known
	// when it starts.
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.ContentLength != -1 || !slices.Contains(res.TransferEncoding, "chunked") {
		t.Errorf("status %d, length %d, transfer encoding %v: want a chunked 200", res.StatusCode, res.ContentLength, res.TransferEncoding)
	}
}

// TestExportButtons: every list page links to its export with the
// current tab, filters and sort (and not the page).
func TestExportButtons(t *testing.T) {
	w := newAcqWorld(t)
	for _, route := range exportRoutes {
		p := w.clients["admin"].get(route + "?tab=all&sort=created&dir=desc&page=2&q=x")
		p.wantStatus(http.StatusOK)
		href, ok := p.Doc.Find(tid("export-xlsx")).Attr("href")
		if !ok {
			t.Errorf("%s: no export button", route)
			continue
		}
		u, err := url.Parse(href)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		// The follow-up list has no search; the campaign list leaves its
		// default tab (全部 for admins) out of its URLs.
		if u.Path != route+"/export.xlsx" || q.Get("page") != "" || (q.Get("q") != "x" && route != "/follow-ups") ||
			q.Get("sort") != "created" || q.Get("dir") != "desc" {
			t.Errorf("%s: export link %q", route, href)
		}
		if route != "/products" && route != "/admin/employees" && route != "/campaigns" && q.Get("tab") != "all" {
			t.Errorf("%s: export link %q lost the tab", route, href)
		}
	}
	if w.clients["mkt"].get("/leads").has(tid("export-xlsx")) == false {
		t.Error("marketing's lead list has no export button")
	}
}

// TestExportEndedSession: an export with a session that was ended (the
// employee deactivated) is no export: the visitor is sent to log in.
func TestExportEndedSession(t *testing.T) {
	w := newAcqWorld(t)
	w.exec(`UPDATE employees SET active = false, session_epoch = session_epoch + 1 WHERE username = 'rep1'`)
	p := w.clients["rep1"].get("/leads/export.xlsx")
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
		t.Fatalf("status %d → %q, want the login page", p.Status, p.Location)
	}
}
