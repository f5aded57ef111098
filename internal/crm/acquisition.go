package crm

import (
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// OptionKind names an editable value list.
type OptionKind string

// The value lists of SPEC §4 that admins maintain on /admin/options.
const (
	OptSource         OptionKind = "source"
	OptIndustry       OptionKind = "industry"
	OptCustomerLevel  OptionKind = "customer_level"
	OptCampaignType   OptionKind = "campaign_type"
	OptFollowUpMethod OptionKind = "follow_up_method"
)

// OptionKinds lists the value lists in display order.
var OptionKinds = []OptionKind{OptSource, OptIndustry, OptCustomerLevel, OptCampaignType, OptFollowUpMethod}

// Valid reports whether k is a known value list.
func (k OptionKind) Valid() bool {
	for _, x := range OptionKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Option is one value of a value list.
type Option struct {
	ID       int64
	Kind     OptionKind
	Name     string
	NameEn   string
	Position int
	InUse    int // records pointing at it (filled by the admin page)
}

// Label is the option's name in the given language (English falls back to
// the Chinese name when no English one was given).
func (o Option) Label(english bool) string {
	if english && o.NameEn != "" {
		return o.NameEn
	}
	return o.Name
}

// Owned is the ownership part of every business record (SPEC §2), with the
// names the pages show.
type Owned struct {
	OwnerID        int64 // 0: none (in the pool)
	OwnerName      string
	DepartmentID   int64
	DepartmentName string
	CreatedBy      int64
	CreatedByName  string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	IsDemo         bool
}

// record returns the policy's view of an owned record of kind res.
func (o Owned) record(res Resource) Record {
	return Record{Resource: res, OwnerID: o.OwnerID, DepartmentID: o.DepartmentID, CreatedBy: o.CreatedBy}
}

// CampaignStatus is a campaign's state.
type CampaignStatus string

// Campaign states.
const (
	CampaignPlanned   CampaignStatus = "planned"
	CampaignActive    CampaignStatus = "active"
	CampaignFinished  CampaignStatus = "finished"
	CampaignCancelled CampaignStatus = "cancelled"
)

// CampaignStatuses lists the states in display order.
var CampaignStatuses = []CampaignStatus{CampaignPlanned, CampaignActive, CampaignFinished, CampaignCancelled}

// Campaign is a marketing campaign (市场活动) with its figures.
type Campaign struct {
	ID          int64
	Name        string
	TypeID      int64
	TypeName    string
	Status      CampaignStatus
	StartDate   *time.Time
	EndDate     *time.Time
	Budget      decimal.Decimal
	ActualCost  decimal.Decimal
	Description string
	Owned
	LeadCount     int             // 线索数
	CustomerCount int             // 客户数
	DealAmount    decimal.Decimal // 成交金额: approved orders of its customers
}

// ROI is 成交金额 / 实际成本 rounded to 0.01; ok is false when the cost is 0
// (shown as "—").
func (c Campaign) ROI() (roi decimal.Decimal, ok bool) {
	if c.ActualCost.IsZero() {
		return decimal.Zero, false
	}
	return c.DealAmount.DivRound(c.ActualCost, 2), true
}

// Record is the policy's view of the campaign.
func (c Campaign) Record() Record { return c.Owned.record(ResCampaign) }

// LeadStatus is a lead's state.
type LeadStatus string

// Lead states (未跟进 / 跟进中 / 已转化 / 无效).
const (
	LeadNew       LeadStatus = "new"
	LeadFollowing LeadStatus = "following"
	LeadConverted LeadStatus = "converted"
	LeadInvalid   LeadStatus = "invalid"
)

// LeadStatuses lists the states in display order.
var LeadStatuses = []LeadStatus{LeadNew, LeadFollowing, LeadConverted, LeadInvalid}

// Lead is a sales lead (销售线索).
type Lead struct {
	ID             int64
	Name           string // contact name
	Company        string
	Title          string
	Phone          string
	Email          string
	SourceID       int64
	SourceName     string
	CampaignID     int64
	CampaignName   string
	Status         LeadStatus
	Notes          string
	NextFollowUpAt *time.Time
	LastFollowUpAt *time.Time
	CustomerID     int64 // the customer it was converted to
	CustomerName   string
	ConvertedAt    *time.Time
	DealAmount     decimal.Decimal // 成交金额 of customers converted from it
	DealCount      int             // 成交次数
	Owned
}

// Record is the policy's view of the lead.
func (l Lead) Record() Record { return l.Owned.record(ResLead) }

// CustomerStage is 潜在客户 until the first approved order, then 已成交客户.
type CustomerStage string

// Customer stages.
const (
	StagePotential CustomerStage = "potential"
	StageWon       CustomerStage = "won"
)

// Customer is a customer (客户) with its figures.
type Customer struct {
	ID             int64
	Name           string
	Stage          CustomerStage
	LevelID        int64
	LevelName      string
	IndustryID     int64
	IndustryName   string
	SourceID       int64
	SourceName     string
	CampaignID     int64
	CampaignName   string
	LeadID         int64
	LeadName       string
	Phone          string
	Address        string
	Notes          string
	LastFollowUpAt *time.Time
	NextFollowUpAt *time.Time
	DealAmount     decimal.Decimal // 成交金额
	DealCount      int             // 成交次数
	PaidAmount     decimal.Decimal // 回款金额
	InvoicedAmount decimal.Decimal // 开票金额
	Collaborators  []int64
	Owned
}

// Outstanding is 待回款金额 = 成交金额 − 回款金额.
func (c Customer) Outstanding() decimal.Decimal { return c.DealAmount.Sub(c.PaidAmount) }

// Record is the policy's view of the customer.
func (c Customer) Record() Record {
	r := c.Owned.record(ResCustomer)
	r.Collaborators = c.Collaborators
	return r
}

// Parent describes the record a contact or follow-up belongs to: its
// customer (or, for a follow-up, possibly a lead).
type Parent struct {
	CustomerID           int64
	LeadID               int64
	Name                 string
	CustomerOwnerID      int64
	CustomerDepartmentID int64
	Collaborators        []int64
}

func (p Parent) child(o Owned, res Resource) Record {
	r := o.record(res)
	r.CustomerID = p.CustomerID
	r.CustomerOwnerID = p.CustomerOwnerID
	r.CustomerDepartmentID = p.CustomerDepartmentID
	r.Collaborators = p.Collaborators
	return r
}

// Contact is a person at a customer (联系人).
type Contact struct {
	ID        int64
	Name      string
	Title     string
	Phone     string
	Email     string
	Notes     string
	IsPrimary bool
	Parent
	Owned
}

// Record is the policy's view of the contact.
func (c Contact) Record() Record { return c.Parent.child(c.Owned, ResContact) }

// FollowUp is one contact with a lead or customer (跟进记录).
type FollowUp struct {
	ID         int64
	MethodID   int64
	MethodName string
	Content    string
	FollowedAt time.Time
	NextAt     *time.Time
	Parent
	Owned
}

// Record is the policy's view of the follow-up.
func (f FollowUp) Record() Record { return f.Parent.child(f.Owned, ResFollowUp) }

// CanAddUnder reports whether a may create a record of kind child under
// parent (a contact or follow-up under a customer or lead): the role may
// create such records and may update the parent. Collaborators and
// creators who no longer own the parent only read.
func CanAddUnder(a Actor, child Resource, parent Record) bool {
	return CanCreate(a, child) && CanUpdate(a, parent)
}

// ListTab is a scope tab of a list (我负责的 / 本部门 / 公海 / 全部).
type ListTab string

// The scope tabs.
const (
	TabMine ListTab = "mine"
	TabDept ListTab = "dept"
	TabPool ListTab = "pool"
	TabAll  ListTab = "all"
)

// ListTabs returns the tabs a offers on the list of res, the default first.
// The tabs only narrow what CanView already allows.
func ListTabs(a Actor, res Resource) []ListTab {
	var tabs []ListTab
	switch a.Role {
	case RoleSalesRep, RoleSalesManager:
		tabs = []ListTab{TabMine, TabDept}
		if res.Pooled() {
			tabs = append(tabs, TabPool)
		}
		return append(tabs, TabAll)
	case RoleMarketing:
		tabs = []ListTab{TabAll, TabMine}
		if res.Pooled() {
			tabs = append(tabs, TabPool)
		}
		return tabs
	default:
		tabs = []ListTab{TabAll, TabMine, TabDept}
		if res.Pooled() {
			tabs = append(tabs, TabPool)
		}
		return tabs
	}
}

// Change is one field's change in a record's history.
type Change struct {
	Field string `json:"f"`
	Old   string `json:"o"`
	New   string `json:"n"`
}

// Diff returns the changes among field/old/new triples whose values differ.
func Diff(triples ...[3]string) []Change {
	var out []Change
	for _, t := range triples {
		if t[1] != t[2] {
			out = append(out, Change{Field: t[0], Old: t[1], New: t[2]})
		}
	}
	return out
}

// HistoryEntry is one event in a record's history.
type HistoryEntry struct {
	ID        int64
	At        time.Time
	ActorID   int64
	ActorName string
	Action    string // create, update, assign, claim, release, convert, ...
	Changes   []Change
	Imported  bool
}

// textField checks a free-text field's length (required when req).
func textField(v *Invalid, field string, s *string, req bool, max int) {
	*s = CleanText(*s)
	switch {
	case req && *s == "":
		v.Add(field, "error.required")
	case utf8.RuneCountInString(*s) > max:
		v.Add(field, TooLong(max))
	}
}

// CanCreateInPool reports whether a may create records of kind res (leads,
// customers) straight into a department's pool: managers (in scope),
// management and admin; and marketing for leads, which it gathers for the
// sales departments. Creating for another owner is CanAssignTo's question.
func CanCreateInPool(a Actor, res Resource) bool {
	switch a.Role {
	case RoleAdmin, RoleManagement, RoleSalesManager:
		return res.Pooled()
	case RoleMarketing:
		return res == ResLead
	}
	return false
}
