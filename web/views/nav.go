// Package views holds the templ pages of the CRM and their props. Views are
// pure: a page takes one props struct (and reads the request's actor,
// locale and flashes from webctx), does no I/O and decides no permission.
package views

import (
	"context"
	"strconv"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
)

// navItem is one entry of the navigation.
type navItem struct {
	Area  crm.Area
	Href  string
	Label string // catalog key
}

type navGroup struct {
	Label string
	Items []navItem
}

var navGroups = []navGroup{
	{"nav.group.work", []navItem{
		{crm.AreaDashboard, route.Home, "nav.dashboard"},
		{crm.AreaNotifications, route.Notifications, "nav.notifications"},
	}},
	{"nav.group.customers", []navItem{
		{crm.AreaCampaigns, route.Campaigns, "nav.campaigns"},
		{crm.AreaLeads, route.Leads, "nav.leads"},
		{crm.AreaCustomers, route.Customers, "nav.customers"},
		{crm.AreaContacts, route.Contacts, "nav.contacts"},
		{crm.AreaFollowUps, route.FollowUps, "nav.follow_ups"},
	}},
	{"nav.group.sales", []navItem{
		{crm.AreaOpportunities, route.Opportunities, "nav.opportunities"},
		{crm.AreaProducts, route.Products, "nav.products"},
		{crm.AreaQuotes, route.Quotes, "nav.quotes"},
		{crm.AreaOrders, route.Orders, "nav.orders"},
		{crm.AreaApprovals, route.Approvals, "nav.approvals"},
	}},
	{"nav.group.finance", []navItem{
		{crm.AreaPayments, route.Payments, "nav.payments"},
		{crm.AreaInvoices, route.Invoices, "nav.invoices"},
	}},
	{"nav.group.system", []navItem{
		{crm.AreaImport, route.Import, "nav.import"},
		{crm.AreaDepartments, route.Departments, "nav.departments"},
		{crm.AreaEmployees, route.Employees, "nav.employees"},
		{crm.AreaOptions, route.Options, "nav.options"},
		{crm.AreaDemo, route.Demo, "nav.demo"},
	}},
}

// visibleGroups returns the navigation groups and items the actor may see.
func visibleGroups(ctx context.Context) []navGroup {
	areas := webctx.Get(ctx).Areas
	var out []navGroup
	for _, g := range navGroups {
		var items []navItem
		for _, it := range g.Items {
			if areas[it.Area] {
				items = append(items, it)
			}
		}
		if len(items) > 0 {
			out = append(out, navGroup{g.Label, items})
		}
	}
	return out
}

func isCurrent(ctx context.Context, href string) bool {
	p := webctx.Get(ctx).Path
	if href == route.Home {
		return p == route.Home
	}
	return p == href || len(p) > len(href) && p[:len(href)] == href && p[len(href)] == '/'
}

func t(ctx context.Context, key string, args ...any) string { return webctx.T(ctx, key, args...) }

func navTestID(a crm.Area) string { return "nav-" + string(a) }

func statusText(code int) string { return strconv.Itoa(code) }

// htmxConfig configures htmx: no inline styles or scripts (the CSP forbids
// them), and form answers with field messages (422) or a refusal with a
// message (409) are swapped in like successes, so an htmx form shows its
// errors where it stands.
const htmxConfig = `{"includeIndicatorStyles":false,"allowScriptTags":false,"allowEval":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},` +
	`{"code":"422","swap":true},{"code":"409","swap":true},{"code":"[45]..","swap":false,"error":true},{"code":"...","swap":false}]}`

type unreadKey struct{}

// WithUnread returns ctx carrying the number of the signed-in employee's
// unread notifications, which the bell and the navigation show (set by the
// server's authenticate middleware, like webctx.Request.Approvals).
func WithUnread(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, unreadKey{}, n)
}

// unread is the number of unread notifications of the request's actor.
func unread(ctx context.Context) int {
	n, _ := ctx.Value(unreadKey{}).(int)
	return n
}
