package crm

import (
	"net/url"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// The read models of the deal pages (quotes, orders, opportunities and
// their board, products, approvals): the list filters — each embeds
// ListQuery and is read by Parse and written back by Values, so that a
// list, its links and its export read the same query — and what storage
// returns for the board and the approval tabs.

// Sort keys of the deal lists (storage maps each to its ORDER BY; an
// unknown key sorts by the list's default).
var (
	QuoteSorts       = []string{"created", "number", "date", "valid", "total", "status"}
	OrderSorts       = []string{"created", "number", "sign", "total", "status", "submitted", "decided"}
	OpportunitySorts = []string{"created", "name", "amount", "close", "stage"}
	ProductSorts     = []string{"sku", "name", "category", "price", "created"}
)

// keepSort drops a sort (and its direction) that is not one of keys.
func (l *ListQuery) keepSort(keys []string) {
	if !slices.Contains(keys, l.Sort) {
		l.Sort, l.Desc = "", false
	}
}

// docListTab is the tab of a document list narrowed to one customer or
// opportunity: 全部 when no tab was asked for and a has it (one customer's
// documents, whoever owns them).
func (l *ListQuery) docListTab(v url.Values, narrowed bool, tabs []ListTab) {
	if v.Get("tab") == "" && narrowed && slices.Contains(tabs, TabAll) {
		l.Tab = TabAll
	}
}

// QuoteFilter selects quotes for a list.
type QuoteFilter struct {
	ListQuery     // Query: number substring; Sort: one of QuoteSorts
	Status        QuoteStatus
	CustomerID    int64
	OpportunityID int64
}

// Parse reads the quote list's query string for an actor with tabs.
func (f *QuoteFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	f.keepSort(QuoteSorts)
	f.Status = QuoteStatus(v.Get("status"))
	if !slices.Contains(QuoteStatuses, f.Status) {
		f.Status = ""
	}
	f.CustomerID, f.OpportunityID = ValueID(v, "customer"), ValueID(v, "opportunity")
	f.docListTab(v, f.CustomerID != 0 || f.OpportunityID != 0, tabs)
}

// Values is the query string of f.
func (f QuoteFilter) Values() url.Values {
	q := f.ListQuery.Values()
	SetValue(q, "status", string(f.Status))
	SetID(q, "customer", f.CustomerID)
	SetID(q, "opportunity", f.OpportunityID)
	return q
}

// OrderFilter selects orders for a list. Inbox, SubmittedBy and DecidedBy
// are the approval tabs (流程): the actor's inbox, the orders someone
// submitted, the orders someone decided; they are set by the approvals
// page, never read from a query string.
type OrderFilter struct {
	ListQuery     // Query: number substring; Sort: one of OrderSorts
	Status        OrderStatus
	CustomerID    int64
	OpportunityID int64
	ApproverID    int64
	Inbox         bool
	SubmittedBy   int64
	DecidedBy     int64
	// OwnerID, DepartmentID, DecidedFrom/To and Unpaid are the dashboard's
	// filters (its money figures link here): the owner, the department,
	// the days decided, approved and not paid in full.
	OwnerID      int64
	DepartmentID int64
	DecidedFrom  *time.Time
	DecidedTo    *time.Time
	Unpaid       bool
}

// Parse reads the order list's query string for an actor with tabs.
func (f *OrderFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	f.keepSort(OrderSorts)
	f.Status = OrderStatus(v.Get("status"))
	if !slices.Contains(OrderStatuses, f.Status) {
		f.Status = ""
	}
	f.CustomerID, f.OpportunityID = ValueID(v, "customer"), ValueID(v, "opportunity")
	f.ApproverID, f.OwnerID, f.DepartmentID = ValueID(v, "approver"), ValueID(v, "owner"), ValueID(v, "department")
	f.DecidedFrom, f.DecidedTo = ValueDay(v, "decided_from"), ValueDay(v, "decided_to")
	f.Unpaid = v.Get("unpaid") == "1"
	f.docListTab(v, f.CustomerID != 0 || f.OpportunityID != 0, tabs)
}

// Values is the query string of f (the approval tabs are not part of it).
func (f OrderFilter) Values() url.Values {
	q := f.ListQuery.Values()
	SetValue(q, "status", string(f.Status))
	SetID(q, "customer", f.CustomerID)
	SetID(q, "opportunity", f.OpportunityID)
	SetID(q, "approver", f.ApproverID)
	SetID(q, "owner", f.OwnerID)
	SetID(q, "department", f.DepartmentID)
	SetDay(q, "decided_from", f.DecidedFrom)
	SetDay(q, "decided_to", f.DecidedTo)
	if f.Unpaid {
		q.Set("unpaid", "1")
	}
	return q
}

// OpportunityFilter selects opportunities for the list.
type OpportunityFilter struct {
	ListQuery  // Query: name substring; Sort: one of OpportunitySorts
	Stage      OppStage
	CustomerID int64
	OwnerID    int64
	CloseFrom  *time.Time // expected close on or after this day
	CloseTo    *time.Time // expected close on or before this day
	// DepartmentID, CreatedFrom and CreatedTo are the dashboard's filters
	// (its funnel links here): the department, the days created.
	DepartmentID int64
	CreatedFrom  *time.Time
	CreatedTo    *time.Time
}

// Parse reads the opportunity list's query string for an actor with tabs.
func (f *OpportunityFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	f.keepSort(OpportunitySorts)
	f.Stage = OppStage(v.Get("stage"))
	if !f.Stage.Valid() {
		f.Stage = ""
	}
	f.CustomerID, f.OwnerID, f.DepartmentID = ValueID(v, "customer"), ValueID(v, "owner"), ValueID(v, "department")
	f.CloseFrom, f.CloseTo = ValueDay(v, "from"), ValueDay(v, "to")
	f.CreatedFrom, f.CreatedTo = ValueDay(v, "created_from"), ValueDay(v, "created_to")
	f.docListTab(v, f.CustomerID != 0, tabs)
}

// Values is the query string of f.
func (f OpportunityFilter) Values() url.Values {
	q := f.ListQuery.Values()
	SetValue(q, "stage", string(f.Stage))
	SetID(q, "customer", f.CustomerID)
	SetID(q, "owner", f.OwnerID)
	SetDay(q, "from", f.CloseFrom)
	SetDay(q, "to", f.CloseTo)
	SetID(q, "department", f.DepartmentID)
	SetDay(q, "created_from", f.CreatedFrom)
	SetDay(q, "created_to", f.CreatedTo)
	return q
}

// Board is the list's filter for its kanban board (?view=board): the tab
// and the owner and customer filters, nothing else.
func (f OpportunityFilter) Board() BoardFilter {
	return BoardFilter{ListQuery: ListQuery{Tab: f.Tab}, OwnerID: f.OwnerID, CustomerID: f.CustomerID}
}

// BoardFilter selects the opportunities of the kanban board. Of its
// ListQuery only the tab is used.
type BoardFilter struct {
	ListQuery
	OwnerID    int64
	CustomerID int64
}

// Parse reads the board's query string for an actor with tabs.
func (f *BoardFilter) Parse(v url.Values, tabs []ListTab) {
	var l ListQuery
	l.Parse(v, tabs)
	f.ListQuery = ListQuery{Tab: l.Tab}
	f.OwnerID, f.CustomerID = ValueID(v, "owner"), ValueID(v, "customer")
	f.docListTab(v, f.CustomerID != 0, tabs)
}

// Values is the query string of f (without the view=board that makes it
// the board).
func (f BoardFilter) Values() url.Values {
	q := f.ListQuery.Values()
	SetID(q, "owner", f.OwnerID)
	SetID(q, "customer", f.CustomerID)
	return q
}

// BoardCards is how many cards a board column shows: the most recently
// moved ones.
const BoardCards = 50

// BoardColumn is one stage of the board.
type BoardColumn struct {
	Stage OppStage
	Cards []Opportunity // the newest BoardCards by stage_changed_at
	Count Total         // capped like every list total
	// Sum is the expected amount of the counted rows: exact unless
	// Count.Capped, then a lower bound (amounts are never negative).
	Sum decimal.Decimal
}

// ProductFilter selects products for the catalogue list (which has no
// tabs).
type ProductFilter struct {
	ListQuery        // Query: SKU or name substring; Sort: one of ProductSorts
	Category  string // exact category
	Active    string // "": all, "yes": active only, "no": deactivated only
}

// Parse reads the catalogue's query string.
func (f *ProductFilter) Parse(v url.Values) {
	f.ListQuery.Parse(v, nil)
	f.keepSort(ProductSorts)
	f.Category, f.Active = v.Get("category"), v.Get("active")
	if f.Active != "yes" && f.Active != "no" {
		f.Active = ""
	}
}

// Values is the query string of f.
func (f ProductFilter) Values() url.Values {
	q := f.ListQuery.Values()
	if f.Category != "" {
		q.Set("category", f.Category)
	}
	SetValue(q, "active", f.Active)
	return q
}

// ApprovalCounts are the (capped) counts of the approval tabs.
type ApprovalCounts struct {
	Inbox Total // 待我审批
	Mine  Total // 我发起的
	Done  Total // 已处理
}
