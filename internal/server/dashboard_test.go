package server_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"crm/internal/postgres"
)

// demoApp is a server over the demo data (SeedDemo); its users sign in
// with postgres.DemoPassword.
func demoApp(t *testing.T) *testApp {
	t.Helper()
	a := newApp(t)
	if err := a.DB.SeedDemo(context.Background(), hashOf(t, postgres.DemoPassword)); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *testApp) demoLogin(username string) *client {
	a.t.Helper()
	c := a.client()
	login(a.t, c, username, postgres.DemoPassword)
	return c
}

var firstNumber = regexp.MustCompile(`[\d,]+`)

// number is the first whole number in s ("共 12 条" → 12).
func number(t *testing.T, s string) int {
	t.Helper()
	m := firstNumber.FindString(s)
	n, err := strconv.Atoi(strings.ReplaceAll(m, ",", ""))
	if err != nil {
		t.Fatalf("no number in %q", s)
	}
	return n
}

// TestDashboardEveryRole: every role's start page is its dashboard; the
// money tiles, the trend, the receivables and every link to orders,
// payments and invoices are absent for marketing, which sees its
// campaigns' ROI; the ranking and the salesperson filter are for
// managers and above.
func TestDashboardEveryRole(t *testing.T) {
	a := demoApp(t)
	money := []string{"tile-deal", "tile-paid", "tile-outstanding", "trend-chart", "dashboard-receivables", "dashboard-ranking"}
	for _, u := range []struct {
		name        string
		money, team bool
	}{{"admin", true, true}, {"boss", true, true}, {"manager", true, true}, {"manager1", true, true},
		{"rep1", true, false}, {"marketing", false, false}, {"finance", true, false}} {
		p := a.demoLogin(u.name).get("/?period=year").wantStatus(200)
		if !p.has(tid("dashboard")) || !p.has(tid("dashboard-funnel")) || !p.has(tid("tile-leads")) {
			t.Fatalf("%s: no dashboard", u.name)
		}
		for _, m := range money {
			if m == "dashboard-ranking" {
				if p.has(tid(m)) != (u.money && u.team) {
					t.Errorf("%s: ranking shown = %v", u.name, p.has(tid(m)))
				}
				continue
			}
			if p.has(tid(m)) != u.money {
				t.Errorf("%s: %s shown = %v", u.name, m, p.has(tid(m)))
			}
		}
		if p.has("#f-owner") != u.team {
			t.Errorf("%s: salesperson filter shown = %v", u.name, p.has("#f-owner"))
		}
		if !u.money {
			p.Doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
				h, _ := s.Attr("href")
				for _, no := range []string{"/orders", "/payments", "/invoices", "/quotes", "/approvals"} {
					if strings.HasPrefix(h, no) {
						t.Errorf("%s: a link to %s", u.name, h)
					}
				}
			})
			if strings.Contains(p.Body, "¥") {
				t.Errorf("%s: an amount of money on the page", u.name)
			}
			if len(p.texts(tid("campaign-roi"))) == 0 {
				t.Errorf("%s: no campaign ROI", u.name)
			}
		}
	}
}

// TestDashboardFiguresOpenTheirLists follows every counting link of the
// dashboard — tiles, funnel, sources, levels, receivables, ranking,
// reminders — as a rep, a manager (also narrowed to a department and to
// one salesperson) and management, and checks that the list it opens
// counts what the figure said.
func TestDashboardFiguresOpenTheirLists(t *testing.T) {
	a := demoApp(t)
	dept := a.count(`SELECT id FROM departments WHERE name = '销售一部'`)
	rep1 := a.count(`SELECT id FROM employees WHERE username = 'rep1'`)
	for _, v := range []struct{ who, query string }{
		{"rep1", "?period=year"}, {"manager", "?period=year"}, {"manager", "?period=year&department=" + strconv.Itoa(dept)},
		{"manager", "?period=quarter&owner=" + strconv.Itoa(rep1)}, {"boss", "?period=year"}, {"boss", ""},
	} {
		c := a.demoLogin(v.who)
		p := c.get("/" + v.query).wantStatus(200)
		checked := 0
		follow := func(sel string, figure func(*goquery.Selection) int) {
			p.Doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
				href, ok := s.Attr("href")
				if !ok {
					return
				}
				want := figure(s)
				list := c.get(href).wantStatus(200)
				if got := number(t, list.text(tid("total"))); got != want {
					id, _ := s.Attr("data-testid")
					t.Errorf("%s %s: %s says %d, its list %s counts %d", v.who, v.query, id, want, href, got)
				}
				if v.query != "" && strings.Contains(v.query, "department") && !strings.Contains(href, "department=") && !strings.Contains(href, "tab=mine") {
					t.Errorf("%s %s: %s drops the department", v.who, v.query, href)
				}
				checked++
			})
		}
		own := func(s *goquery.Selection) int { return number(t, s.Text()) }
		follow(`a[data-testid^="funnel-count-"]`, own)
		follow(`a[data-testid^="sources-count-"]`, own)
		follow(`a[data-testid^="levels-count-"]`, own)
		follow(`a[data-testid^="age-count-"]`, own)
		follow(`a[data-testid="campaign-leads"], a[data-testid="campaign-customers"], a[data-testid="rank-follow-ups"]`, own)
		follow(`a[data-testid="today-customers"], a[data-testid="today-leads"], a[data-testid="overdue-customers"], a[data-testid="overdue-leads"]`, own)
		tile := func(s *goquery.Selection) int { return number(t, s.Find(".value").Text()) }
		follow(`a[data-testid="tile-leads"], a[data-testid="tile-customers"], a[data-testid="tile-follow-ups"]`, tile)
		// Money tiles: the number of records they sum.
		sub := func(s *goquery.Selection) int { return number(t, s.Find(".tile-sub").Text()) }
		follow(`a[data-testid="tile-deal"], a[data-testid="tile-paid"], a[data-testid="tile-outstanding"]`, sub)
		if checked < 15 {
			t.Errorf("%s %s: only %d figures followed", v.who, v.query, checked)
		}
	}
}

// TestDashboardFilters: the period (custom ranges checked), a department
// outside the actor's scope and a salesperson for a rep are ignored.
func TestDashboardFilters(t *testing.T) {
	a := demoApp(t)
	mgr1 := a.demoLogin("manager1")
	mkt := a.count(`SELECT id FROM departments WHERE name = '市场部'`)
	boss := a.count(`SELECT id FROM employees WHERE username = 'boss'`)
	plain := mgr1.get("/?period=year").wantStatus(200)
	other := mgr1.get("/?period=year&department=" + strconv.Itoa(mkt)).wantStatus(200)
	if plain.text(tid("dashboard-tiles")) != other.text(tid("dashboard-tiles")) {
		t.Error("a department outside the manager's scope narrowed the figures")
	}
	if other.has(`#f-department option[value="` + strconv.Itoa(mkt) + `"]`) {
		t.Error("the manager is offered a department outside their scope")
	}
	if a.demoLogin("manager1").get("/?period=year&owner="+strconv.Itoa(boss)).text(tid("dashboard-tiles")) != plain.text(tid("dashboard-tiles")) {
		t.Error("a salesperson outside the manager's scope narrowed the figures")
	}
	rep := a.demoLogin("rep1")
	if rep.get("/?period=year&owner="+strconv.Itoa(boss)).text(tid("dashboard-tiles")) != rep.get("/?period=year").text(tid("dashboard-tiles")) {
		t.Error("a rep picked a salesperson")
	}
	bad := rep.get("/?period=custom&from=2026-05-01&to=2026-04-01").wantStatus(200)
	if !strings.Contains(bad.text(tid("error-from")), "结束日期不能早于开始日期") || !strings.Contains(bad.text(tid("dashboard-period")), "本月") {
		t.Errorf("a backwards range: %q / %q", bad.text(tid("error-from")), bad.text(tid("dashboard-period")))
	}
	long := rep.get("/?period=custom&from=2020-01-01&to=2026-01-01").wantStatus(200)
	if !strings.Contains(long.text(tid("error-from")), "三年") {
		t.Errorf("a range of six years: %q", long.text(tid("error-from")))
	}
	ok := rep.get("/?period=custom&from=2026-02-03&to=2026-03-04").wantStatus(200)
	if got := ok.text(tid("dashboard-period")); !strings.Contains(got, "2026-02-03 至 2026-03-04") {
		t.Errorf("custom period caption %q", got)
	}
	if href, _ := ok.Doc.Find(`a[data-testid="tile-leads"]`).Attr("href"); !strings.Contains(href, "from=2026-02-03") || !strings.Contains(href, "to=2026-03-04") {
		t.Errorf("the tile's list is not the period's: %s", href)
	}
	// Quarter and year are the calendar's.
	q := rep.get("/?period=quarter").wantStatus(200).text(tid("dashboard-period"))
	if !regexp.MustCompile(`本季度（\d{4}-(01|04|07|10)-01 至 \d{4}-(03-31|06-30|09-30|12-31)）`).MatchString(q) {
		t.Errorf("quarter caption %q", q)
	}
}

// TestDashboardAdminHidesSections: only the admin opens /admin/dashboard;
// a section unticked for a role leaves that role's dashboard and no other;
// sections a role may not see are not offered.
func TestDashboardAdminHidesSections(t *testing.T) {
	a := demoApp(t)
	admin := a.demoLogin("admin")
	for _, u := range []string{"boss", "manager", "rep1", "marketing", "finance"} {
		a.demoLogin(u).get("/admin/dashboard").wantStatus(403)
		a.demoLogin(u).post("/admin/dashboard", form("show", "sales_rep:kpi")).wantStatus(403)
	}
	p := admin.get("/admin/dashboard").wantStatus(200)
	if p.has(tid("show-marketing-trend")) || p.has(tid("show-marketing-receivables")) || p.has(tid("show-sales_rep-ranking")) {
		t.Error("sections a role cannot see are offered")
	}
	if !p.has(tid("show-marketing-campaigns")) || p.Doc.Find(`input[name=show]:not([checked])`).Length() != 0 {
		t.Error("not every open section is shown by default")
	}
	// Untick 销售漏斗 for reps: post every other ticked box.
	f := url.Values{}
	p.Doc.Find(`input[name=show]`).Each(func(_ int, s *goquery.Selection) {
		if v, _ := s.Attr("value"); v != "sales_rep:funnel" {
			f.Add("show", v)
		}
	})
	admin.post("/admin/dashboard", f).wantRedirect("/admin/dashboard")
	if admin.get("/admin/dashboard").has(`input[value="sales_rep:funnel"][checked]`) {
		t.Error("the unticked box is ticked again")
	}
	if a.demoLogin("rep1").get("/").has(tid("dashboard-funnel")) {
		t.Error("the rep still sees the funnel")
	}
	if !a.demoLogin("manager").get("/").has(tid("dashboard-funnel")) {
		t.Error("the manager lost the funnel")
	}
	// A forged box for a section the role may not see changes nothing.
	f.Add("show", "sales_rep:funnel")
	f.Add("show", "marketing:trend")
	admin.post("/admin/dashboard", f).wantRedirect("/admin/dashboard")
	if a.demoLogin("marketing").get("/").has(tid("trend-chart")) || !a.demoLogin("rep1").get("/").has(tid("dashboard-funnel")) {
		t.Error("the settings did not come back as posted")
	}
}
