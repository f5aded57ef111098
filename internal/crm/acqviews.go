package crm

import (
	"net/url"
	"slices"
	"time"
)

// The list filters of the acquisition pages (leads, customers, contacts,
// follow-ups, campaigns) and the read models their pages show. Each filter
// embeds ListQuery, is read from a query string by Parse and written back
// by Values, so that a list, its export and every link into it read and
// write the same keys.

// AcquisitionFilter is what the lead and customer lists filter by alike:
// source, campaign, owner, department, the days created and the
// dashboard's follow-up reminders.
type AcquisitionFilter struct {
	ListQuery
	SourceID     int64
	CampaignID   int64
	OwnerID      int64
	DepartmentID int64
	CreatedFrom  *time.Time // inclusive day
	CreatedTo    *time.Time // inclusive day
	Due          string     // "today", "overdue": the dashboard's follow-up reminders
}

// Parse reads the shared filters (source, campaign, owner, department,
// from, to, due) and the ListQuery from v.
func (f *AcquisitionFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	f.SourceID, f.CampaignID = ValueID(v, "source"), ValueID(v, "campaign")
	f.OwnerID, f.DepartmentID = ValueID(v, "owner"), ValueID(v, "department")
	f.CreatedFrom, f.CreatedTo = ValueDay(v, "from"), ValueDay(v, "to")
	f.Due = Due(v.Get("due"))
}

// Values is the query string of f.
func (f AcquisitionFilter) Values() url.Values {
	q := f.ListQuery.Values()
	SetID(q, "source", f.SourceID)
	SetID(q, "campaign", f.CampaignID)
	SetID(q, "owner", f.OwnerID)
	SetID(q, "department", f.DepartmentID)
	SetDay(q, "from", f.CreatedFrom)
	SetDay(q, "to", f.CreatedTo)
	SetValue(q, "due", f.Due)
	return q
}

// CustomerFilter selects customers for a list (q: name or phone; sorts
// created, name, deal, next, last).
type CustomerFilter struct {
	AcquisitionFilter
	Stage      CustomerStage // potential, won or any
	LevelID    int64
	IndustryID int64
}

// Parse reads the customer list's query string.
func (f *CustomerFilter) Parse(v url.Values, tabs []ListTab) {
	f.AcquisitionFilter.Parse(v, tabs)
	f.Stage = CustomerStage(v.Get("stage"))
	if f.Stage != StagePotential && f.Stage != StageWon {
		f.Stage = ""
	}
	f.LevelID, f.IndustryID = ValueID(v, "level"), ValueID(v, "industry")
}

// Values is the query string of f.
func (f CustomerFilter) Values() url.Values {
	q := f.AcquisitionFilter.Values()
	SetValue(q, "stage", string(f.Stage))
	SetID(q, "level", f.LevelID)
	SetID(q, "industry", f.IndustryID)
	return q
}

// LeadFilter selects leads for a list (q: name, company or phone; sorts
// created, name, company, status, next, deal).
type LeadFilter struct {
	AcquisitionFilter
	Status LeadStatus
}

// Parse reads the lead list's query string.
func (f *LeadFilter) Parse(v url.Values, tabs []ListTab) {
	f.AcquisitionFilter.Parse(v, tabs)
	f.Status = LeadStatus(v.Get("status"))
}

// Values is the query string of f.
func (f LeadFilter) Values() url.Values {
	q := f.AcquisitionFilter.Values()
	SetValue(q, "status", string(f.Status))
	return q
}

// ContactFilter selects contacts for a list (q: name or phone; sorts
// created, name), optionally of one customer.
type ContactFilter struct {
	ListQuery
	CustomerID int64
}

// Parse reads the contact list's query string. One customer's contacts
// open on the 全部 tab (all of them, whoever owns them) when a has it and
// no tab is asked for.
func (f *ContactFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	f.CustomerID = ValueID(v, "customer")
	if v.Get("tab") == "" && f.CustomerID != 0 && slices.Contains(tabs, TabAll) {
		f.Tab = TabAll
	}
}

// Values is the query string of f.
func (f ContactFilter) Values() url.Values {
	q := f.ListQuery.Values()
	SetID(q, "customer", f.CustomerID)
	return q
}

// FollowUpFilter selects follow-ups for the list (sorts followed, next;
// newest followed first by default). The list has no search box.
type FollowUpFilter struct {
	ListQuery
	MethodID   int64
	OwnerID    int64
	LeadID     int64
	CustomerID int64
	// OpportunityID keeps the follow-ups logged on one opportunity (they
	// carry its customer's id too, so a customer's filter includes them).
	OpportunityID int64
	From          *time.Time // followed on or after this day
	To            *time.Time // followed on or before this day
	Due           bool       // next follow-up time has passed (due=1)
	DepartmentID  int64      // the dashboard's department filter
}

// Parse reads the follow-up list's query string.
func (f *FollowUpFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	f.Query = ""
	f.MethodID, f.OwnerID = ValueID(v, "method"), ValueID(v, "owner")
	f.LeadID, f.CustomerID, f.OpportunityID = ValueID(v, "lead"), ValueID(v, "customer"), ValueID(v, "opportunity")
	f.From, f.To = ValueDay(v, "from"), ValueDay(v, "to")
	f.Due = v.Get("due") == "1"
	f.DepartmentID = ValueID(v, "department")
	if f.Sort == "" {
		f.Sort, f.Desc = "followed", true
	}
}

// Values is the query string of f.
func (f FollowUpFilter) Values() url.Values {
	q := f.ListQuery.Values()
	SetID(q, "method", f.MethodID)
	SetID(q, "owner", f.OwnerID)
	SetID(q, "lead", f.LeadID)
	SetID(q, "customer", f.CustomerID)
	SetID(q, "opportunity", f.OpportunityID)
	SetDay(q, "from", f.From)
	SetDay(q, "to", f.To)
	SetID(q, "department", f.DepartmentID)
	if f.Due {
		q.Set("due", "1")
	}
	return q
}

// CampaignFilter selects campaigns for a list (q: name; sorts created,
// name, status, start, end, budget, cost, leads, customers, deal).
type CampaignFilter struct {
	ListQuery
	Status CampaignStatus
	TypeID int64
	// defaultTab is the tab the list opens on, which its links leave out.
	defaultTab ListTab
}

// Parse reads the campaign list's query string: the search cleaned, an
// unknown status none.
func (f *CampaignFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	f.defaultTab = f.Tab
	if len(tabs) > 0 {
		f.defaultTab = tabs[0]
	}
	f.Query = CleanText(f.Query)
	f.Status = CampaignStatus(v.Get("status"))
	if !slices.Contains(CampaignStatuses, f.Status) {
		f.Status = ""
	}
	f.TypeID = ValueID(v, "type")
}

// DefaultTab reports whether f shows the tab the list opens on.
func (f CampaignFilter) DefaultTab() bool { return f.Tab == f.defaultTab }

// Values is the query string of f, without the tab the list opens on.
func (f CampaignFilter) Values() url.Values {
	q := f.ListQuery.Values()
	if f.DefaultTab() {
		q.Del("tab")
	}
	if f.Sort == "" {
		q.Del("dir")
	}
	SetValue(q, "status", string(f.Status))
	SetID(q, "type", f.TypeID)
	return q
}

// Collaborator is an employee who views a customer and everything under it
// (协作人).
type Collaborator struct {
	EmployeeID     int64
	Name           string
	DepartmentName string
	Active         bool
	AddedAt        time.Time
}
