package gen

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// The workload: the main pages of the CRM as one user sees them, each with
// the storage calls that produce its data — the page's main SQL. The plan
// guard (postgres/plan_test.go) explains every query these calls send; the
// page benchmark (cmd/crmbench) requests the pages and times the calls
// directly beside them.

// Page is one main page for one user.
type Page struct {
	Name string // short name for reports: "customers p500"
	Path string // URL path with query
	// Detail marks a record's page, Report the dashboard; the other pages
	// are lists.
	Detail, Report bool
	// Load runs the page's main storage calls for the user.
	Load func(ctx context.Context, db *postgres.DB) error
}

// Terms are values found in a generated data set that the searches of the
// workload use.
type Terms struct {
	Name2       string // a two-character Chinese customer name (a private buyer)
	PhonePrefix string // the first seven digits of a customer's mobile
}

// FindTerms picks the search terms from the data.
func FindTerms(ctx context.Context, db *postgres.DB) (Terms, error) {
	var t Terms
	err := db.Pool.QueryRow(ctx, `/* gen.FindTerms */ SELECT
		(SELECT name FROM customers WHERE char_length(name) = 2 ORDER BY id LIMIT 1),
		(SELECT left(phone, 7) FROM customers WHERE phone LIKE '13%' AND char_length(phone) = 11 ORDER BY id DESC LIMIT 1)`).Scan(&t.Name2, &t.PhonePrefix)
	return t, err
}

// Actor returns the actor of the employee username, as a session would.
func Actor(ctx context.Context, db *postgres.DB, username string) (crm.Actor, error) {
	c, err := db.CredentialsByUsername(ctx, username)
	if err != nil {
		return crm.Actor{}, fmt.Errorf("gen: employee %s: %w", username, err)
	}
	u, err := db.LoadSessionUser(ctx, c.Employee.ID, c.SessionEpoch)
	return u.Actor, err
}

// Pages returns the main pages as a sees them: the dashboard, the customer list (first
// page, page 500, a two-character search, a phone prefix, sorted by 成交金额
// and the 公海 tab), a customer's page (the first of a's list), the lead
// list, the follow-up list, the opportunity list and board, the order list
// and the approval inbox — those a's role may open. Each list opens on the
// tab a's role opens by default, as the server does.
func Pages(ctx context.Context, db *postgres.DB, a crm.Actor, t Terms) ([]Page, error) {
	tab := func(res crm.Resource) crm.ListTab { return crm.ListTabs(a, res)[0] }
	has := func(res crm.Resource, tb crm.ListTab) bool {
		for _, x := range crm.ListTabs(a, res) {
			if x == tb {
				return true
			}
		}
		return false
	}
	customers := func(name, query string, f crm.CustomerFilter) Page {
		return Page{Name: name, Path: "/customers" + query, Load: func(ctx context.Context, db *postgres.DB) error {
			_, _, err := db.FindCustomers(ctx, a, f)
			return err
		}}
	}
	ct := tab(crm.ResCustomer)
	pages := []Page{
		{Name: "dashboard", Path: "/", Report: true, Load: func(ctx context.Context, db *postgres.DB) error { return dashboard(ctx, db, a) }},
		customers("customers", "", crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: ct, Page: crm.Page{Page: 1}}}}),
		customers("customers p500", "?page=500", crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: ct, Page: crm.Page{Page: 500}}}}),
		customers("customers q=2字", "?q="+url.QueryEscape(t.Name2), crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: ct, Query: t.Name2}}}),
		customers("customers q=phone", "?q="+t.PhonePrefix, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: ct, Query: t.PhonePrefix}}}),
		customers("customers by 成交金额", "?sort=deal&dir=desc", crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: ct, Sort: "deal", Desc: true}}}),
	}
	if ct != crm.TabAll && has(crm.ResCustomer, crm.TabAll) {
		pages = append(pages, customers("customers 全部", "?tab=all", crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}}))
	}
	if has(crm.ResCustomer, crm.TabPool) {
		pages = append(pages, customers("customers 公海", "?tab=pool", crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabPool}}}))
	}

	// The customer's page: the first customer of a's list (of 全部 when a
	// owns none).
	list, _, err := db.FindCustomers(ctx, a, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: ct, Page: crm.Page{Page: 1, PerPage: 1}}}})
	if err == nil && len(list) == 0 && has(crm.ResCustomer, crm.TabAll) {
		list, _, err = db.FindCustomers(ctx, a, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Page: crm.Page{Page: 1, PerPage: 1}}}})
	}
	if err != nil {
		return nil, err
	}
	if len(list) == 1 {
		id := list[0].ID
		pages = append(pages, Page{Name: "customer detail", Path: "/customers/" + strconv.FormatInt(id, 10), Detail: true,
			Load: func(ctx context.Context, db *postgres.DB) error { return customerPage(ctx, db, a, id) }})
	}

	lt, ft, ot := tab(crm.ResLead), tab(crm.ResFollowUp), tab(crm.ResOpportunity)
	pages = append(pages,
		Page{Name: "leads", Path: "/leads", Load: func(ctx context.Context, db *postgres.DB) error {
			_, _, err := db.FindLeads(ctx, a, crm.LeadFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: lt}}})
			return err
		}},
		Page{Name: "follow-ups", Path: "/follow-ups", Load: func(ctx context.Context, db *postgres.DB) error {
			_, _, err := db.FindFollowUps(ctx, a, crm.FollowUpFilter{ListQuery: crm.ListQuery{Tab: ft}})
			return err
		}},
		Page{Name: "opportunities", Path: "/opportunities", Load: func(ctx context.Context, db *postgres.DB) error {
			_, _, err := db.FindOpportunities(ctx, a, crm.OpportunityFilter{ListQuery: crm.ListQuery{Tab: ot}})
			return err
		}},
		Page{Name: "opportunity board", Path: "/opportunities?view=board", Load: func(ctx context.Context, db *postgres.DB) error {
			_, err := db.Board(ctx, a, crm.BoardFilter{ListQuery: crm.ListQuery{Tab: ot}})
			return err
		}},
	)
	if crm.CanSeeArea(a, crm.AreaOrders) {
		odt := tab(crm.ResOrder)
		pages = append(pages, Page{Name: "orders", Path: "/orders", Load: func(ctx context.Context, db *postgres.DB) error {
			_, _, err := db.FindOrders(ctx, a, crm.OrderFilter{ListQuery: crm.ListQuery{Tab: odt}})
			return err
		}})
	}
	if crm.CanSeeArea(a, crm.AreaApprovals) {
		pages = append(pages, Page{Name: "approval inbox", Path: "/approvals", Load: func(ctx context.Context, db *postgres.DB) error {
			if _, _, err := db.FindOrders(ctx, a, crm.OrderFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll, Sort: "submitted"}, Inbox: true}); err != nil {
				return err
			}
			_, err := db.CountApprovals(ctx, a)
			return err
		}})
	}
	return pages, nil
}

// dashboard runs the storage calls of the dashboard ('/') for this month,
// as the server's handleHome does by default.
func dashboard(ctx context.Context, db *postgres.DB, a crm.Actor) error {
	now := time.Now().In(crm.Zone)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, crm.Zone)
	f := crm.DashboardFilter{From: from, To: from.AddDate(0, 1, -1), Now: now, OwnReminders: !crm.DashboardTeam(a)}
	var err error
	if f.Sections, err = db.DashboardSectionsOf(ctx, a); err != nil {
		return err
	}
	_, err = db.Dashboard(ctx, a, f)
	return err
}

// customerPage runs the storage calls of a customer's page (the server's
// customerShowProps): the customer, its contacts, follow-ups,
// collaborators, opportunities, the money records a's role sees, and its
// history.
func customerPage(ctx context.Context, db *postgres.DB, a crm.Actor, id int64) error {
	if _, err := db.CustomerByID(ctx, a, id); err != nil {
		return err
	}
	if _, err := db.ContactsOfCustomer(ctx, a, id); err != nil {
		return err
	}
	if _, err := db.FollowUpsOf(ctx, a, 0, id); err != nil {
		return err
	}
	if _, err := db.Collaborators(ctx, id); err != nil {
		return err
	}
	if _, err := db.OpportunitiesOf(ctx, a, id); err != nil {
		return err
	}
	if crm.CanSeeArea(a, crm.AreaOrders) {
		if _, err := db.QuotesOf(ctx, a, id); err != nil {
			return err
		}
		if _, err := db.OrdersOf(ctx, a, id); err != nil {
			return err
		}
		if _, err := db.PaymentsOf(ctx, a, id); err != nil {
			return err
		}
		if _, err := db.InvoicesOf(ctx, a, id); err != nil {
			return err
		}
	}
	_, err := db.History(ctx, crm.ResCustomer, id)
	return err
}

// Control tells transaction control and settings (begin, commit, SET LOCAL
// …) from the queries a page reads with: replaying or explaining a page's
// recorded statements skips them.
func Control(sql string) bool {
	f := strings.Fields(strings.ToLower(sql))
	return len(f) > 0 && slices.Contains([]string{"begin", "commit", "rollback", "set", "savepoint", "release"}, f[0])
}
