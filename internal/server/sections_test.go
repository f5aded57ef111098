package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// fixtureKey finds the name testdb.FillCustomer gave a record in a row's
// text (联系人0001, 跟进0001, 机会0001, BJ-…-0001, DD-…-0001, FP-…-0001).
var fixtureKey = regexp.MustCompile(`(联系人|跟进|机会)\d{4}|(BJ|DD|FP)-\d+-\d{4}`)

// rowKeys names the rows sel matches inside within: by the fixture's name
// of the kind key in the row's text (a money row also names its order),
// else — payments, whose rows name none — by the row's data-id.
func rowKeys(within *goquery.Selection, sel, key string) []string {
	var out []string
	within.Find(sel).Each(func(_ int, s *goquery.Selection) {
		if key != "" {
			for _, k := range fixtureKey.FindAllString(s.Text(), -1) {
				if strings.HasPrefix(k, key) {
					out = append(out, k)
					return
				}
			}
		}
		id, _ := s.Attr("data-id")
		out = append(out, id)
	})
	return out
}

// sectionCase is one section of a record's page: where it is, how its rows
// are marked, and the list its 查看全部 opens.
type sectionCase struct {
	name    string // the section's id (data-testid <name>-count, <name>-all)
	within  string // the section's element
	row     string // a row, in the section and in the list
	listRow string // a row of the list, when it differs
	list    string // the list of all of them
	key     string // the kind's fixture prefix, to check the list holds only the parent's
	// own is set for a section whose order the list has no sort for (the
	// contacts: the primary first): the list need not begin with its rows.
	own bool
}

// checkSection checks one section of page: n records in all (count shown
// as count), crm.SectionRows of them shown — the newest, in the section's
// order —, and the link to all of them: the list narrowed to the parent,
// whose first rows are the section's and whose rows are exactly the
// parent's records of that kind (n of them, when n fits a page).
func checkSection(t *testing.T, c *client, page *page, sc sectionCase, n int, count string) {
	t.Helper()
	sec := page.Doc.Find(sc.within)
	if sec.Length() == 0 {
		t.Fatalf("%s: no section %s", page.path, sc.within)
	}
	if got := strings.TrimSpace(sec.Find(tid(sc.name + "-count")).First().Text()); got != count {
		t.Errorf("%s %s: count %q, want %q", page.path, sc.name, got, count)
	}
	shown := rowKeys(sec, sc.row, sc.key)
	if len(shown) != min(n, crm.SectionRows) {
		t.Errorf("%s %s: %d rows shown, want %d", page.path, sc.name, len(shown), min(n, crm.SectionRows))
	}
	link := sec.Find(tid(sc.name + "-all"))
	if n <= crm.SectionRows {
		if link.Length() != 0 {
			t.Errorf("%s %s: a link to all of %d shown", page.path, sc.name, n)
		}
		return
	}
	href, _ := link.Attr("href")
	if href != sc.list {
		t.Errorf("%s %s: 查看全部 → %q, want %q", page.path, sc.name, href, sc.list)
	}
	if want := i18n.T(i18n.ZH, "section.view_all", count); strings.TrimSpace(link.Text()) != want {
		t.Errorf("%s %s: link says %q, want %q", page.path, sc.name, strings.TrimSpace(link.Text()), want)
	}
	list := c.get(href).wantStatus(http.StatusOK)
	lr := sc.listRow
	if lr == "" {
		lr = sc.row
	}
	all := rowKeys(list.Doc.Selection, lr, sc.key)
	if !sc.own && (len(all) < len(shown) || !slices.Equal(all[:len(shown)], shown)) {
		t.Errorf("%s %s: the list begins %v, the section shows %v", page.path, sc.name, all, shown)
	}
	if n <= 20 { // the list's first page holds them all
		if len(all) != n {
			t.Errorf("%s: %d rows, want %d", href, len(all), n)
		}
		if got := list.text(tid("total")); got != i18n.T(i18n.ZH, "list.total", n) {
			t.Errorf("%s: total %q", href, got)
		}
	}
	for _, k := range all {
		if sc.key != "" && !strings.HasPrefix(k, sc.key) {
			t.Errorf("%s: row %s is not the parent's", href, k)
		}
	}
}

// sectionWorld is acqWorld with a customer of rep1's filled with n records
// of every kind, and another customer with a few (whose records the
// narrowed lists must leave out).
type sectionWorld struct {
	*acqWorld
	customer int64
	filled   testdb.Filled
}

func newSectionWorld(t *testing.T, n int) *sectionWorld {
	t.Helper()
	w := &sectionWorld{acqWorld: newAcqWorld(t)}
	ctx := context.Background()
	var err error
	w.customer, err = w.DB.CreateCustomer(ctx, w.actor("rep1"), crm.CustomerInput{Name: "大客户集团"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := w.DB.CreateCustomer(ctx, w.actor("rep1"), crm.CustomerInput{Name: "小客户"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	testdb.FillCustomer(t, w.DB, other, 3)
	w.filled = testdb.FillCustomer(t, w.DB, w.customer, n)
	return w
}

// customerSections are the sections of customer id's page.
func customerSections(id int64) []sectionCase {
	c := strconv.FormatInt(id, 10)
	return []sectionCase{
		{"contacts", tid("contacts"), tid("contact-row"), "", "/contacts?customer=" + c + "&tab=all", "联系人", true},
		{"follow-ups", tid("follow-ups"), tid("follow-up"), tid("follow-up-row"), "/follow-ups?customer=" + c + "&tab=all", "跟进", false},
		{"opportunities", tid("tab-opportunities"), tid("opportunity-row"), "", "/opportunities?customer=" + c + "&tab=all", "机会", false},
		{"quotes", tid("tab-quotes"), tid("quote-row"), "", "/quotes?customer=" + c + "&tab=all", "BJ-" + c + "-", false},
		{"orders", tid("tab-orders"), tid("order-row"), "", "/orders?customer=" + c + "&tab=all", "DD-" + c + "-", false},
		{"payments", tid("tab-payments"), tid("payment-row"), "", "/payments?customer=" + c + "&dir=desc&sort=paid&tab=all", "", false},
		{"invoices", tid("tab-invoices"), tid("invoice-row"), "", "/invoices?customer=" + c + "&dir=desc&sort=issued&tab=all", "FP-" + c + "-", false},
	}
}

// TestRecordSections: a customer with 12 records of every kind shows the
// newest 10 of each with the count 12 and 查看全部 12 条, which opens the
// list narrowed to the customer, in the section's order, holding exactly
// its records; so do the opportunity's quotes, orders and follow-ups, the
// order's payments and invoices, and a lead's follow-ups. The contacts
// section shows the primary contact first. A small customer's sections
// show everything, with no link.
func TestRecordSections(t *testing.T) {
	const n = 12
	w := newSectionWorld(t, n)
	rep1 := w.clients["rep1"]
	page := rep1.get(fmtPath("/customers/%d", w.customer)).wantStatus(http.StatusOK)
	for _, sc := range customerSections(w.customer) {
		checkSection(t, rep1, page, sc, n, "12")
	}
	if got := rowKeys(page.Doc.Find(tid("contacts")), tid("contact-row"), "联系人"); len(got) == 0 || got[0] != "联系人0012" ||
		got[1] != "联系人0001" {
		t.Errorf("contacts: %v, want the primary (联系人0012) first, then the newest", got)
	}
	if got := rowKeys(page.Doc.Find(tid("tab-orders")), tid("order-row"), "DD-"); len(got) != 10 || !strings.HasSuffix(got[0], "-0001") ||
		!strings.HasSuffix(got[9], "-0010") {
		t.Errorf("orders: %v, want the newest ten, newest first", got)
	}
	if got := page.text(tid("customer-tabs")); !strings.Contains(got, "合同订单 (12)") {
		t.Errorf("tabs: %q", got)
	}

	opp := strconv.FormatInt(w.filled.Opportunity, 10)
	op := rep1.get("/opportunities/" + opp).wantStatus(http.StatusOK)
	c := strconv.FormatInt(w.customer, 10)
	for _, sc := range []sectionCase{
		{"quotes", tid("opportunity-quotes"), tid("quote-row"), "", "/quotes?opportunity=" + opp + "&tab=all", "BJ-" + c + "-", false},
		{"orders", tid("opportunity-orders"), tid("order-row"), "", "/orders?opportunity=" + opp + "&tab=all", "DD-" + c + "-", false},
		{"follow-ups", tid("follow-ups"), tid("follow-up"), tid("follow-up-row"), "/follow-ups?opportunity=" + opp + "&tab=all", "跟进", false},
	} {
		checkSection(t, rep1, op, sc, n, "12")
	}

	order := strconv.FormatInt(w.filled.Order, 10)
	od := rep1.get("/orders/" + order).wantStatus(http.StatusOK)
	for _, sc := range []sectionCase{
		{"payments", tid("order-payments"), tid("payment-row"), "", "/payments?dir=desc&order=" + order + "&sort=paid&tab=all", "", false},
		{"invoices", tid("order-invoices"), tid("invoice-row"), "", "/invoices?dir=desc&order=" + order + "&sort=issued&tab=all", "FP-" + c + "-", false},
	} {
		checkSection(t, rep1, od, sc, n, "12")
	}

	lead := w.lead("rep1", "线索大户", postgres.NewOwner{})
	w.exec(`INSERT INTO follow_ups (lead_id, content, followed_at, owner_id, department_id, created_by)
		SELECT $1, '跟进' || lpad(i::text, 4, '0'), now() - i * interval '1 minute', $2, $3, $2 FROM generate_series(1, $4::int) i`,
		lead, w.emp["rep1"], w.dept["一部"], n)
	lp := rep1.get(fmtPath("/leads/%d", lead)).wantStatus(http.StatusOK)
	checkSection(t, rep1, lp, sectionCase{"follow-ups", tid("follow-ups"), tid("follow-up"), tid("follow-up-row"),
		fmtPath("/follow-ups?lead=%d&tab=all", lead), "跟进", false}, n, "12")

	// The small customer: three of each, all shown, no link.
	small := w.count(`SELECT id FROM customers WHERE name = '小客户'`)
	sp := rep1.get(fmtPath("/customers/%d", small)).wantStatus(http.StatusOK)
	for _, sc := range customerSections(int64(small)) {
		checkSection(t, rep1, sp, sc, 3, "3")
	}
}

// TestRecordSectionsCapped: a section counts up to crm.SectionCap: a
// customer with more says 1000+ beside the heading and on the link.
func TestRecordSectionsCapped(t *testing.T) {
	w := newSectionWorld(t, crm.SectionCap+5)
	boss := w.clients["boss"]
	page := boss.get(fmtPath("/customers/%d", w.customer)).wantStatus(http.StatusOK)
	for _, sc := range customerSections(w.customer) {
		checkSection(t, boss, page, sc, crm.SectionCap+5, "1000+")
	}
	// Exactly at the cap it counts.
	w.exec(`DELETE FROM contacts WHERE customer_id = $1 AND name > '联系人1000'`, w.customer)
	page = boss.get(fmtPath("/customers/%d", w.customer)).wantStatus(http.StatusOK)
	checkSection(t, boss, page, customerSections(w.customer)[0], crm.SectionCap, "1000")
}

// TestListParentNotViewable: every list (and its export) narrowed to a
// parent record — a customer, an opportunity, a lead, an order — answers,
// for every role, as the parent's own page does: 404 when the user may not
// view the parent (never an empty list), the list when they may; 403 where
// the list itself is refused (marketing and the money lists). The parents
// belong to rep2 of 二部.
func TestListParentNotViewable(t *testing.T) {
	w := newSectionWorld(t, 2)
	ctx := context.Background()
	rep2 := w.actor("rep2")
	cust, err := w.DB.CreateCustomer(ctx, rep2, crm.CustomerInput{Name: "二部客户"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	filled := testdb.FillCustomer(t, w.DB, cust, 2)
	lead := w.lead("rep2", "二部线索", postgres.NewOwner{})
	c, o, l, od := strconv.FormatInt(cust, 10), strconv.FormatInt(filled.Opportunity, 10),
		strconv.FormatInt(lead, 10), strconv.FormatInt(filled.Order, 10)
	parents := map[string]string{"customer": "/customers/" + c, "opportunity": "/opportunities/" + o,
		"lead": "/leads/" + l, "order": "/orders/" + od}
	lists := []struct{ list, param, id string }{
		{"/contacts", "customer", c}, {"/follow-ups", "customer", c}, {"/follow-ups", "lead", l},
		{"/follow-ups", "opportunity", o}, {"/opportunities", "customer", c}, {"/quotes", "customer", c},
		{"/quotes", "opportunity", o}, {"/orders", "customer", c}, {"/orders", "opportunity", o},
		{"/payments", "customer", c}, {"/payments", "order", od}, {"/invoices", "customer", c}, {"/invoices", "order", od},
	}
	seen404, seen200 := 0, 0
	for _, u := range acqUsers {
		cl := w.clients[u.name]
		for _, li := range lists {
			want := http.StatusOK
			if cl.get(li.list).Status == http.StatusForbidden {
				want = http.StatusForbidden
			} else if st := cl.get(parents[li.param]).Status; st == http.StatusNotFound {
				want = http.StatusNotFound
			}
			q := url.Values{li.param: {li.id}}.Encode()
			paths := []string{li.list + "?" + q, li.list + "/export.xlsx?" + q}
			if li.list == "/opportunities" {
				paths = append(paths, li.list+"?view=board&"+q)
			}
			for _, path := range paths {
				if got := cl.get(path).Status; got != want {
					t.Errorf("%s %s: %d, want %d", u.name, path, got, want)
				}
			}
			switch want {
			case http.StatusNotFound:
				seen404++
			case http.StatusOK:
				seen200++
			}
		}
	}
	// The parents are out of sight of 一部 (rep1, rep1b, mgr1) and in sight
	// of management: both answers were met.
	if seen404 == 0 || seen200 == 0 {
		t.Fatalf("%d lists answered 404 and %d 200: the fixture does not exercise both", seen404, seen200)
	}
	// A list narrowed to a parent the user may view names it in a chip
	// whose × leaves the list without it.
	p := w.clients["boss"].get("/orders?customer=" + c).wantStatus(http.StatusOK)
	p.wantText(tid("chip-customer"), "二部客户")
	if href, _ := p.Doc.Find(tid("chip-customer") + " " + tid("chip-remove")).Attr("href"); strings.Contains(href, "customer=") {
		t.Errorf("the chip's × keeps the customer: %q", href)
	}
}
