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
