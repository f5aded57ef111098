// Package route holds every URL of the CRM: the fixed paths, and one
// builder a record page or action. The server registers its routes with the
// builders called on ID ("{id}", chi's parameter); views and handlers link
// with the same builders called on a record's id: a pattern and the links
// to it are written once, here. Views never import handlers.
package route

import (
	"net/url"
	"strconv"
	"strings"
)

// ID is the path parameter of a record's id, as the route table registers
// it: Customer(ID) is the pattern "/customers/{id}", Customer(int64(7))
// the page "/customers/7".
const ID = "{id}"

// Key is what a builder takes: a record's id, or a chi parameter ("{id}")
// when the route table registers the pattern.
type Key interface{ int64 | string }

// at is base/key, then each part of action.
func at[K Key](base string, k K, action ...string) string {
	var p string
	switch v := any(k).(type) {
	case int64:
		p = base + "/" + strconv.FormatInt(v, 10)
	case string:
		p = base + "/" + v
	}
	for _, a := range action {
		p += "/" + a
	}
	return p
}

// Fixed entry points (SPEC §7).
const (
	Home          = "/"
	Login         = "/login"
	Logout        = "/logout"
	Health        = "/healthz"
	Locale        = "/locale"
	Profile       = "/profile"
	ProfilePass   = "/profile/password"
	StaticPrefix  = "/static/"
	PatternStatic = "/static/*"

	Campaigns     = "/campaigns"
	Leads         = "/leads"
	Customers     = "/customers"
	Contacts      = "/contacts"
	FollowUps     = "/follow-ups"
	Opportunities = "/opportunities"
	Products      = "/products"
	Quotes        = "/quotes"
	Orders        = "/orders"
	Approvals     = "/approvals"
	Payments      = "/payments"
	Invoices      = "/invoices"
	Notifications = "/notifications"
	Import        = "/import"

	CampaignNew    = Campaigns + "/new"
	LeadNew        = Leads + "/new"
	LeadBulk       = Leads + "/bulk"
	CustomerNew    = Customers + "/new"
	CustomerBulk   = Customers + "/bulk"
	ContactNew     = Contacts + "/new"
	OpportunityNew = Opportunities + "/new"
	ProductNew     = Products + "/new"
	QuoteNew       = Quotes + "/new"
	OrderNew       = Orders + "/new"
	PaymentNew     = Payments + "/new"
	InvoiceNew     = Invoices + "/new"
	LinePreview    = "/lines/preview"
	NotesReadAll   = Notifications + "/read-all"

	Departments    = "/admin/departments"
	DepartmentNew  = Departments + "/new"
	Employees      = "/admin/employees"
	EmployeeNew    = Employees + "/new"
	Options        = "/admin/options"
	Demo           = "/admin/demo"
	DemoPurge      = Demo + "/purge"
	DashboardAdmin = "/admin/dashboard"
)

// Export is a list's Excel export: list is the list's path (Customers…).
func Export(list string) string { return list + "/export.xlsx" }

// Campaigns (市场活动).
func Campaign[K Key](id K) string        { return at(Campaigns, id) }
func CampaignEdit[K Key](id K) string    { return at(Campaigns, id, "edit") }
func CampaignHistory[K Key](id K) string { return at(Campaigns, id, "history") }
func CampaignDelete[K Key](id K) string  { return at(Campaigns, id, "delete") }

// Leads (线索).
func Lead[K Key](id K) string        { return at(Leads, id) }
func LeadEdit[K Key](id K) string    { return at(Leads, id, "edit") }
func LeadDelete[K Key](id K) string  { return at(Leads, id, "delete") }
func LeadClaim[K Key](id K) string   { return at(Leads, id, "claim") }
func LeadRelease[K Key](id K) string { return at(Leads, id, "release") }
func LeadAssign[K Key](id K) string  { return at(Leads, id, "assign") }
func LeadConvert[K Key](id K) string { return at(Leads, id, "convert") }

// Customers (客户).
func Customer[K Key](id K) string              { return at(Customers, id) }
func CustomerEdit[K Key](id K) string          { return at(Customers, id, "edit") }
func CustomerDelete[K Key](id K) string        { return at(Customers, id, "delete") }
func CustomerClaim[K Key](id K) string         { return at(Customers, id, "claim") }
func CustomerRelease[K Key](id K) string       { return at(Customers, id, "release") }
func CustomerAssign[K Key](id K) string        { return at(Customers, id, "assign") }
func CustomerCollaborators[K Key](id K) string { return at(Customers, id, "collaborators") }

// CustomerCollaboratorDelete removes one collaborator of a customer.
func CustomerCollaboratorDelete[K Key](id, employee K) string {
	return at(at(Customers, id, "collaborators"), employee, "delete")
}

// Contacts (联系人).
func Contact[K Key](id K) string        { return at(Contacts, id) }
func ContactEdit[K Key](id K) string    { return at(Contacts, id, "edit") }
func ContactDelete[K Key](id K) string  { return at(Contacts, id, "delete") }
func ContactPrimary[K Key](id K) string { return at(Contacts, id, "primary") }

// Follow-ups (跟进记录).
func FollowUp[K Key](id K) string       { return at(FollowUps, id) }
func FollowUpEdit[K Key](id K) string   { return at(FollowUps, id, "edit") }
func FollowUpDelete[K Key](id K) string { return at(FollowUps, id, "delete") }

// Opportunities (商机).
func Opportunity[K Key](id K) string       { return at(Opportunities, id) }
func OpportunityEdit[K Key](id K) string   { return at(Opportunities, id, "edit") }
func OpportunityDelete[K Key](id K) string { return at(Opportunities, id, "delete") }
func OpportunityStage[K Key](id K) string  { return at(Opportunities, id, "stage") }

// Products (产品).
func Product[K Key](id K) string           { return at(Products, id) }
func ProductEdit[K Key](id K) string       { return at(Products, id, "edit") }
func ProductDeactivate[K Key](id K) string { return at(Products, id, "deactivate") }
func ProductActivate[K Key](id K) string   { return at(Products, id, "activate") }

// Quotes (报价单).
func Quote[K Key](id K) string       { return at(Quotes, id) }
func QuoteEdit[K Key](id K) string   { return at(Quotes, id, "edit") }
func QuoteDelete[K Key](id K) string { return at(Quotes, id, "delete") }
func QuoteStatus[K Key](id K) string { return at(Quotes, id, "status") }
func QuoteOrder[K Key](id K) string  { return at(Quotes, id, "order") }

// Orders (订单).
func Order[K Key](id K) string         { return at(Orders, id) }
func OrderEdit[K Key](id K) string     { return at(Orders, id, "edit") }
func OrderDelete[K Key](id K) string   { return at(Orders, id, "delete") }
func OrderSubmit[K Key](id K) string   { return at(Orders, id, "submit") }
func OrderWithdraw[K Key](id K) string { return at(Orders, id, "withdraw") }
func OrderApprove[K Key](id K) string  { return at(Orders, id, "approve") }
func OrderReject[K Key](id K) string   { return at(Orders, id, "reject") }

// Payments (回款).
func Payment[K Key](id K) string        { return at(Payments, id) }
func PaymentEdit[K Key](id K) string    { return at(Payments, id, "edit") }
func PaymentDelete[K Key](id K) string  { return at(Payments, id, "delete") }
func PaymentConfirm[K Key](id K) string { return at(Payments, id, "confirm") }

// Invoices (开票).
func Invoice[K Key](id K) string        { return at(Invoices, id) }
func InvoiceEdit[K Key](id K) string    { return at(Invoices, id, "edit") }
func InvoiceDelete[K Key](id K) string  { return at(Invoices, id, "delete") }
func InvoiceConfirm[K Key](id K) string { return at(Invoices, id, "confirm") }

// Notifications (通知).
func NotificationRead[K Key](id K) string { return at(Notifications, id, "read") }

// Import (导入): a table's template and upload, a job's pages.
func ImportTemplate[K Key](table K) string { return at(Import, table, "template.xlsx") }
func ImportUpload[K Key](table K) string   { return at(Import, table) }
func ImportJob[K Key](id K) string         { return at(Import+"/jobs", id) }
func ImportCommit[K Key](id K) string      { return at(Import+"/jobs", id, "commit") }
func ImportErrors[K Key](id K) string      { return at(Import+"/jobs", id, "errors.xlsx") }
func ImportPasswords[K Key](id K) string   { return at(Import+"/jobs", id, "passwords.xlsx") }
func ImportProgress[K Key](id K) string    { return at(Import+"/jobs", id, "progress") }
func ImportRevert[K Key](id K) string      { return at(Import+"/jobs", id, "revert") }

// Organisation (组织): departments have no detail page (the tree shows
// them); the posted form of one goes to Department.
func Department[K Key](id K) string         { return at(Departments, id) }
func DepartmentEdit[K Key](id K) string     { return at(Departments, id, "edit") }
func DepartmentDelete[K Key](id K) string   { return at(Departments, id, "delete") }
func Employee[K Key](id K) string           { return at(Employees, id) }
func EmployeeEdit[K Key](id K) string       { return at(Employees, id, "edit") }
func EmployeeDeactivate[K Key](id K) string { return at(Employees, id, "deactivate") }
func EmployeeActivate[K Key](id K) string   { return at(Employees, id, "activate") }
func EmployeePassword[K Key](id K) string   { return at(Employees, id, "password") }

// Option (选项) renames a value of a list; OptionMove and OptionDelete
// reorder and remove it.
func Option[K Key](id K) string       { return at(Options, id) }
func OptionMove[K Key](id K) string   { return at(Options, id, "move") }
func OptionDelete[K Key](id K) string { return at(Options, id, "delete") }

// records are the record pages by resource name (crm.Resource).
var records = map[string]func(int64) string{"lead": Lead[int64], "customer": Customer[int64], "order": Order[int64],
	"payment": Payment[int64], "invoice": Invoice[int64], "opportunity": Opportunity[int64], "campaign": Campaign[int64],
	"quote": Quote[int64], "contact": Contact[int64], "product": Product[int64], "follow_up": FollowUpEdit[int64],
	"department": Department[int64], "employee": Employee[int64]}

// Record is the page of a record of resource res (a crm.Resource, or
// "department" / "employee") — the target of a notification, a record a
// refused demo purge names; the notification list for a kind without a
// page of its own. A follow-up's page is its edit form.
func Record(res string, id int64) string {
	page, ok := records[res]
	if !ok {
		return Notifications
	}
	return page(id)
}

// LoginNext is the login page that returns to next afterwards.
func LoginNext(next string) string {
	if next == "" || next == Home {
		return Login
	}
	return Login + "?next=" + url.QueryEscape(next)
}

// With returns path with the query of the key-value pairs kv, in their
// order, values escaped: With(QuoteNew, "customer", "7") is
// "/quotes/new?customer=7". An odd last key is ignored.
func With(path string, kv ...string) string {
	var q strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	if q.Len() == 0 {
		return path
	}
	return path + "?" + q.String()
}

// WithQuery returns path with the query q (which may be empty).
func WithQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// Section is the URL of one section of the page at path (its id, as in
// route.Section(route.Customer(id), "contacts")).
func Section(path, id string) string { return path + "#" + id }
