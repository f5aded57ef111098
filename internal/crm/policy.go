package crm

import "slices"

// Actor is the signed-in employee on whose behalf a request runs. It carries
// what the policy needs so that no rule has to touch the database.
type Actor struct {
	ID           int64
	Name         string
	Username     string
	Role         Role
	DepartmentID int64 // 0: none
	// Departments is the actor's department and every department below it,
	// for a sales manager's scope (rule 5). Empty when DepartmentID is 0.
	Departments []int64
}

// IsZero reports whether no one is signed in.
func (a Actor) IsZero() bool { return a.ID == 0 }

// InScope reports whether department d is the actor's department or below it.
func (a Actor) InScope(d int64) bool {
	return d != 0 && slices.Contains(a.Departments, d)
}

// Resource names a kind of record the permission rules apply to.
type Resource string

// The resources of SPEC §4 (and the two record kinds living under a customer).
const (
	ResCampaign    Resource = "campaign"
	ResLead        Resource = "lead"
	ResCustomer    Resource = "customer"
	ResContact     Resource = "contact"
	ResFollowUp    Resource = "follow_up"
	ResOpportunity Resource = "opportunity"
	ResProduct     Resource = "product"
	ResQuote       Resource = "quote"
	ResOrder       Resource = "order"
	ResPayment     Resource = "payment"
	ResInvoice     Resource = "invoice"
)

// Resources lists every resource.
var Resources = []Resource{ResCampaign, ResLead, ResCustomer, ResContact, ResFollowUp,
	ResOpportunity, ResProduct, ResQuote, ResOrder, ResPayment, ResInvoice}

// Pooled reports whether records of r can sit in a department's public pool.
func (r Resource) Pooled() bool { return r == ResLead || r == ResCustomer }

// UnderCustomer reports whether records of r belong to a customer (rule 7):
// they carry the customer's id, owner and department.
func (r Resource) UnderCustomer() bool {
	switch r {
	case ResContact, ResFollowUp, ResOpportunity, ResQuote, ResOrder, ResPayment, ResInvoice:
		return true
	}
	return false
}

// Financial reports whether r is one of the records marketing may not view.
func (r Resource) Financial() bool {
	switch r {
	case ResQuote, ResOrder, ResPayment, ResInvoice:
		return true
	}
	return false
}

// Owned reports whether records of r follow the ownership rules of SPEC §2.
// Products are company-wide catalogue entries and do not.
func (r Resource) Owned() bool { return r != ResProduct }

// Record is what the policy needs to know about one record: its ownership
// and, for a record under a customer, that customer's. Storage fills it from
// the row; zero ids mean "none".
type Record struct {
	Resource     Resource
	OwnerID      int64 // 0: in the pool (leads, customers) or none
	DepartmentID int64
	CreatedBy    int64
	// Collaborators of the customer itself (Resource customer) or of the
	// customer the record is under.
	Collaborators []int64
	// CustomerOwnerID and CustomerDepartmentID describe the customer the
	// record is under (records where Resource.UnderCustomer()).
	CustomerID           int64
	CustomerOwnerID      int64
	CustomerDepartmentID int64
	// Locked is set for records nobody may change: orders in approval or
	// approved, confirmed payments and invoices (SPEC §5).
	Locked bool
	// ApproverID is an order's assigned approver (0: any management user).
	ApproverID int64
}

// InPool reports whether the record is a lead or customer with no owner.
func (r Record) InPool() bool { return r.Resource.Pooled() && r.OwnerID == 0 }

// CanView reports whether a may view r (SPEC §3 rules 1–7).
func CanView(a Actor, r Record) bool {
	if a.IsZero() {
		return false
	}
	switch a.Role {
	case RoleAdmin, RoleManagement, RoleFinance: // rule 1
		return true
	case RoleMarketing: // rule 2: everything but the money records, which
		// marketing never sees, whoever created or owns them
		return !r.Resource.Financial()
	}
	if !r.Resource.Owned() { // the product catalogue is visible to everyone
		return true
	}
	if r.CreatedBy == a.ID || (r.OwnerID != 0 && r.OwnerID == a.ID) { // rules 3, 4
		return true
	}
	if a.Role == RoleSalesManager && a.InScope(r.DepartmentID) { // rule 5
		return true
	}
	if r.InPool() && (a.Role == RoleSalesRep || a.Role == RoleSalesManager) && // rule 6
		(r.DepartmentID == 0 || r.DepartmentID == a.DepartmentID) {
		return true
	}
	if r.Resource == ResOrder && r.ApproverID != 0 && r.ApproverID == a.ID { // §5: the approver decides it
		return true
	}
	if r.Resource == ResCustomer && slices.Contains(r.Collaborators, a.ID) { // §2 collaborators
		return true
	}
	if r.Resource.UnderCustomer() { // rule 7
		if r.CustomerOwnerID != 0 && r.CustomerOwnerID == a.ID {
			return true
		}
		if slices.Contains(r.Collaborators, a.ID) {
			return true
		}
		if a.Role == RoleSalesManager && a.InScope(r.CustomerDepartmentID) {
			return true
		}
	}
	return false
}

// CanUpdate reports whether a may update (and delete) r: admin and
// management; the owner; a sales manager with the record in scope; finance
// only for payments and invoices. Locked records answer false for everyone.
func CanUpdate(a Actor, r Record) bool {
	if r.Locked || !CanView(a, r) {
		return false
	}
	switch a.Role {
	case RoleAdmin, RoleManagement:
		return true
	case RoleFinance:
		return r.Resource == ResPayment || r.Resource == ResInvoice
	}
	if !r.Resource.Owned() {
		return false // products: admin and management only
	}
	if a.Role == RoleMarketing && r.Resource != ResCampaign && r.Resource != ResLead {
		return false
	}
	if r.OwnerID != 0 && r.OwnerID == a.ID {
		return true
	}
	return a.Role == RoleSalesManager && a.InScope(r.DepartmentID)
}

// CanDelete reports whether a may delete r; the same rule as CanUpdate.
func CanDelete(a Actor, r Record) bool { return CanUpdate(a, r) }

// CanCreate reports whether a may create records of kind res (SPEC §3 actions).
func CanCreate(a Actor, res Resource) bool {
	switch a.Role {
	case RoleAdmin, RoleManagement:
		return true
	case RoleFinance:
		return res == ResPayment || res == ResInvoice
	case RoleMarketing:
		return res == ResCampaign || res == ResLead
	case RoleSalesManager, RoleSalesRep:
		switch res {
		case ResProduct, ResCampaign:
			return false
		}
		return true
	}
	return false
}

// Action is a workflow step on a record, beyond view/update/delete.
type Action string

// The actions of SPEC §3.
const (
	ActClaim         Action = "claim"
	ActRelease       Action = "release"
	ActAssign        Action = "assign"
	ActCollaborators Action = "collaborators"
	ActSubmit        Action = "submit"
	ActWithdraw      Action = "withdraw"
	ActDecide        Action = "decide" // approve or reject
	ActRecordMoney   Action = "record_money"
	ActConfirm       Action = "confirm"
)

// CanDo reports whether a may take action act on r. Every action requires
// that a may view r first (otherwise the record is simply not found).
func CanDo(a Actor, act Action, r Record) bool {
	if !CanView(a, r) {
		return false
	}
	switch act {
	case ActClaim:
		// "on pools they can view": the pool of their own department or of
		// no department (rule 6), or one in a manager's scope (rule 5) — not
		// any pool record they happen to view as its creator or collaborator.
		return r.InPool() && (a.Role == RoleSalesRep || a.Role == RoleSalesManager) &&
			(r.DepartmentID == 0 || r.DepartmentID == a.DepartmentID ||
				(a.Role == RoleSalesManager && a.InScope(r.DepartmentID)))
	case ActRelease:
		if !r.Resource.Pooled() || r.OwnerID == 0 {
			return false
		}
		return a.Role == RoleAdmin || a.Role == RoleManagement || r.OwnerID == a.ID ||
			(a.Role == RoleSalesManager && a.InScope(r.DepartmentID))
	case ActAssign:
		if !r.Resource.Owned() || r.Locked {
			return false
		}
		if a.Role == RoleAdmin || a.Role == RoleManagement {
			return true
		}
		return a.Role == RoleSalesManager && (a.InScope(r.DepartmentID) || (r.InPool() && r.DepartmentID == 0))
	case ActCollaborators:
		if r.Resource != ResCustomer {
			return false
		}
		return a.Role == RoleAdmin || a.Role == RoleManagement || (r.OwnerID != 0 && r.OwnerID == a.ID) ||
			(a.Role == RoleSalesManager && a.InScope(r.DepartmentID))
	case ActSubmit:
		return r.Resource == ResOrder && CanUpdate(a, r)
	case ActWithdraw:
		return r.Resource == ResOrder && (r.CreatedBy == a.ID || r.OwnerID == a.ID || a.Role == RoleAdmin || a.Role == RoleManagement)
	case ActDecide:
		if r.Resource != ResOrder {
			return false
		}
		return a.Role == RoleAdmin || a.Role == RoleManagement || (r.ApproverID != 0 && r.ApproverID == a.ID)
	case ActRecordMoney:
		return r.Resource == ResOrder && a.Role != RoleMarketing
	case ActConfirm:
		if r.Resource != ResPayment && r.Resource != ResInvoice {
			return false
		}
		return !r.Locked && (a.Role == RoleFinance || a.Role == RoleManagement)
	}
	return false
}

// CanAssignTo reports whether a may make employee e (in department dept, with
// role role) the owner of a record: management and admin to anyone active; a
// sales manager only to employees of their scope.
func CanAssignTo(a Actor, dept int64, role Role) bool {
	switch a.Role {
	case RoleAdmin, RoleManagement:
		return true
	case RoleSalesManager:
		return a.InScope(dept)
	}
	return false
}

// CanManageOrganisation reports whether a may manage departments, employees,
// options and demo data.
func CanManageOrganisation(a Actor) bool { return a.Role == RoleAdmin }

// CanManageProducts reports whether a may create and change products.
func CanManageProducts(a Actor) bool { return a.Role == RoleAdmin || a.Role == RoleManagement }

// CanImport reports whether a may import into a table; business tables are
// open to management, organisation tables and history to admin only.
func CanImport(a Actor, businessTable bool) bool {
	return a.Role == RoleAdmin || (businessTable && a.Role == RoleManagement)
}
