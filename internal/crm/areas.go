package crm

// Area is a section of the application shown in the navigation.
type Area string

// The areas of SPEC §4 and §7, in navigation order.
const (
	AreaDashboard     Area = "dashboard"
	AreaCampaigns     Area = "campaigns"
	AreaLeads         Area = "leads"
	AreaCustomers     Area = "customers"
	AreaContacts      Area = "contacts"
	AreaFollowUps     Area = "follow_ups"
	AreaOpportunities Area = "opportunities"
	AreaProducts      Area = "products"
	AreaQuotes        Area = "quotes"
	AreaOrders        Area = "orders"
	AreaApprovals     Area = "approvals"
	AreaPayments      Area = "payments"
	AreaInvoices      Area = "invoices"
	AreaNotifications Area = "notifications"
	AreaImport        Area = "import"
	AreaDepartments   Area = "departments"
	AreaEmployees     Area = "employees"
	AreaOptions       Area = "options"
	AreaDemo          Area = "demo"
)

// Areas are every area, in navigation order.
var Areas = []Area{AreaDashboard, AreaCampaigns, AreaLeads, AreaCustomers, AreaContacts, AreaFollowUps,
	AreaOpportunities, AreaProducts, AreaQuotes, AreaOrders, AreaApprovals, AreaPayments, AreaInvoices,
	AreaNotifications, AreaImport, AreaDepartments, AreaEmployees, AreaOptions, AreaDemo}

// VisibleAreas are the areas a may see (CanSeeArea), as a set: what the
// navigation shows, decided once a request.
func VisibleAreas(a Actor) map[Area]bool {
	out := make(map[Area]bool, len(Areas))
	for _, area := range Areas {
		if CanSeeArea(a, area) {
			out[area] = true
		}
	}
	return out
}

// CanSeeArea reports whether the navigation offers area to a. Seeing an
// area only opens its pages; every record on them is still filtered by
// CanView. Marketing sees no quotes, orders, payments or invoices (rule 2);
// approvals concern those who submit or decide orders.
func CanSeeArea(a Actor, area Area) bool {
	if a.IsZero() {
		return false
	}
	switch area {
	case AreaDepartments, AreaEmployees, AreaOptions, AreaDemo:
		return CanManageOrganisation(a)
	case AreaImport:
		return CanImport(a, true)
	case AreaQuotes, AreaOrders, AreaPayments, AreaInvoices:
		return a.Role != RoleMarketing
	case AreaApprovals:
		return a.Role != RoleMarketing && a.Role != RoleFinance
	}
	return true
}

// DashboardSection is a part of the dashboard (仪表盘) that the admin may
// hide from a role (seed §2.2: every role sees the dashboard by default).
type DashboardSection string

// The dashboard's sections, in page order.
const (
	SectionKPI         DashboardSection = "kpi"         // the tiles
	SectionTrend       DashboardSection = "trend"       // 成交金额 and 回款金额 per month, 12 months
	SectionFunnel      DashboardSection = "funnel"      // opportunities by stage
	SectionSources     DashboardSection = "sources"     // new leads by source
	SectionLevels      DashboardSection = "levels"      // new customers by level
	SectionCampaigns   DashboardSection = "campaigns"   // campaign ROI
	SectionRanking     DashboardSection = "ranking"     // salesperson ranking
	SectionFollowUps   DashboardSection = "follow_ups"  // 今日待跟进 and overdue
	SectionReceivables DashboardSection = "receivables" // receivables by age
)

// DashboardSections lists the sections in page order.
var DashboardSections = []DashboardSection{SectionKPI, SectionTrend, SectionFunnel, SectionSources, SectionLevels,
	SectionCampaigns, SectionRanking, SectionFollowUps, SectionReceivables}

// DashboardMoney reports whether a's dashboard shows money: orders,
// payments and what derives from them. Marketing's does not (SPEC §3 rule
// 2) — the same rule that hides those areas from its navigation.
func DashboardMoney(a Actor) bool {
	return CanSeeArea(a, AreaOrders) && CanSeeArea(a, AreaPayments)
}

// DashboardTeam reports whether a's dashboard ranks salespeople and may be
// narrowed to one of them: sales managers and above.
func DashboardTeam(a Actor) bool {
	switch a.Role {
	case RoleSalesManager, RoleManagement, RoleAdmin:
		return true
	}
	return false
}

// DashboardSectionOpen reports whether the rules let role see section s at
// all; the admin may hide it further (/admin/dashboard). Follow-up
// reminders concern those who own leads and customers, not finance.
func DashboardSectionOpen(role Role, s DashboardSection) bool {
	a := Actor{ID: -1, Role: role} // the rules below depend on the role only
	switch s {
	case SectionTrend, SectionReceivables:
		return DashboardMoney(a)
	case SectionRanking:
		return DashboardTeam(a)
	case SectionFollowUps:
		return role != RoleFinance
	}
	return true
}
