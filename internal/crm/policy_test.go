package crm_test

import (
	"fmt"
	"slices"
	"testing"

	"crm/internal/crm"
)

// The organisation of the permission table (SPEC §1):
//
//	HQ (1)
//	├── East (2)       ← every actor under test works here
//	│   └── Shanghai (3)
//	└── West (4)
const (
	deptHQ       int64 = 1
	deptEast     int64 = 2
	deptShanghai int64 = 3
	deptWest     int64 = 4
)

// Other employees the records point at.
const (
	hqRep       int64 = 10 // in HQ, the parent of East
	colleague   int64 = 20 // in East, the actors' own department
	subordinate int64 = 30 // in Shanghai, below East
	westRep     int64 = 40 // in West, a sibling of East
	westRep2    int64 = 41 // in West
	customerID  int64 = 900
)

// One actor per role, all in East. Departments lists East and the department
// below it for everyone, so that only the role decides whether it is a
// manager's scope (SPEC §3 rule 5).
var (
	eastScope = []int64{deptEast, deptShanghai}
	adminA    = crm.Actor{ID: 1, Name: "admin", Role: crm.RoleAdmin, DepartmentID: deptEast, Departments: eastScope}
	mgmtA     = crm.Actor{ID: 2, Name: "management", Role: crm.RoleManagement, DepartmentID: deptEast, Departments: eastScope}
	managerA  = crm.Actor{ID: 3, Name: "sales manager", Role: crm.RoleSalesManager, DepartmentID: deptEast, Departments: eastScope}
	repA      = crm.Actor{ID: 4, Name: "sales rep", Role: crm.RoleSalesRep, DepartmentID: deptEast, Departments: eastScope}
	marketA   = crm.Actor{ID: 5, Name: "marketing", Role: crm.RoleMarketing, DepartmentID: deptEast, Departments: eastScope}
	financeA  = crm.Actor{ID: 6, Name: "finance", Role: crm.RoleFinance, DepartmentID: deptEast, Departments: eastScope}

	// Actors of the explicit rows beyond the cross product.
	repNoDept     = crm.Actor{ID: 50, Name: "rep without department", Role: crm.RoleSalesRep}
	managerNoDept = crm.Actor{ID: 51, Name: "manager without department", Role: crm.RoleSalesManager}
	managerHQ     = crm.Actor{ID: 52, Name: "HQ manager", Role: crm.RoleSalesManager, DepartmentID: deptHQ,
		Departments: []int64{deptHQ, deptEast, deptShanghai, deptWest}}
)

var actorOf = map[crm.Role]crm.Actor{
	crm.RoleAdmin: adminA, crm.RoleManagement: mgmtA, crm.RoleSalesManager: managerA,
	crm.RoleSalesRep: repA, crm.RoleMarketing: marketA, crm.RoleFinance: financeA,
}

// Resource sets, written out from SPEC §3 and §4.
var (
	allRes = []crm.Resource{crm.ResCampaign, crm.ResLead, crm.ResCustomer, crm.ResContact, crm.ResFollowUp,
		crm.ResOpportunity, crm.ResProduct, crm.ResQuote, crm.ResOrder, crm.ResPayment, crm.ResInvoice}
	noRes = []crm.Resource{}
	// ownedRes: every business record with an owner (SPEC §2); not products.
	ownedRes = []crm.Resource{crm.ResCampaign, crm.ResLead, crm.ResCustomer, crm.ResContact, crm.ResFollowUp,
		crm.ResOpportunity, crm.ResQuote, crm.ResOrder, crm.ResPayment, crm.ResInvoice}
	// notFinancial: what marketing views by rule 2 (all but quotes, orders, payments, invoices).
	notFinancial = []crm.Resource{crm.ResCampaign, crm.ResLead, crm.ResCustomer, crm.ResContact, crm.ResFollowUp,
		crm.ResOpportunity, crm.ResProduct}
	// customerAndBelow: a customer and the records under it (SPEC §2 collaborators).
	customerAndBelow = []crm.Resource{crm.ResCustomer, crm.ResContact, crm.ResFollowUp, crm.ResOpportunity,
		crm.ResQuote, crm.ResOrder, crm.ResPayment, crm.ResInvoice}
	underCustomer = []crm.Resource{crm.ResContact, crm.ResFollowUp, crm.ResOpportunity,
		crm.ResQuote, crm.ResOrder, crm.ResPayment, crm.ResInvoice}
	pooled     = []crm.Resource{crm.ResLead, crm.ResCustomer}
	moneyDocs  = []crm.Resource{crm.ResPayment, crm.ResInvoice}
	lockable   = []crm.Resource{crm.ResOrder, crm.ResPayment, crm.ResInvoice}
	marketings = []crm.Resource{crm.ResCampaign, crm.ResLead}
	products   = []crm.Resource{crm.ResProduct}
)

// rec builds a record of res owned by owner in dept and created by creator.
// A record under a customer sits under customer 900, owned by custOwner in
// custDept; collab are the collaborators of that customer (or of the record
// itself when res is a customer).
func rec(res crm.Resource, owner, dept, creator, custOwner, custDept int64, collab ...int64) crm.Record {
	r := crm.Record{Resource: res, OwnerID: owner, DepartmentID: dept, CreatedBy: creator}
	if res == crm.ResCustomer {
		r.Collaborators = collab
	}
	if slices.Contains(underCustomer, res) {
		r.CustomerID = customerID
		r.CustomerOwnerID = custOwner
		r.CustomerDepartmentID = custDept
		r.Collaborators = collab
	}
	return r
}

func locked(r crm.Record) crm.Record { r.Locked = true; return r }

func approver(r crm.Record, id int64) crm.Record { r.ApproverID = id; return r }

// op is what a case asks of the policy.
type op string

const (
	opView     op = "view"
	opUpdate   op = "update"
	opDelete   op = "delete"
	opCreate   op = "create"    // CanCreate(actor, record.Resource)
	opAssignTo op = "assign_to" // CanAssignTo(actor, record.DepartmentID, …): may make an employee of that department owner
	opOrg      op = "organisation"
	opProducts op = "manage_products"
	opImportB  op = "import_business_table"
	opImportO  op = "import_organisation_table"
	// Any other op is a crm.Action for CanDo.
)

type permCase struct {
	name   string
	actor  crm.Actor
	record crm.Record
	op     op
	want   bool
}

func ask(c permCase) bool {
	switch c.op {
	case opView:
		return crm.CanView(c.actor, c.record)
	case opUpdate:
		return crm.CanUpdate(c.actor, c.record)
	case opDelete:
		return crm.CanDelete(c.actor, c.record)
	case opCreate:
		return crm.CanCreate(c.actor, c.record.Resource)
	case opAssignTo:
		return crm.CanAssignTo(c.actor, c.record.DepartmentID, crm.RoleSalesRep)
	case opOrg:
		return crm.CanManageOrganisation(c.actor)
	case opProducts:
		return crm.CanManageProducts(c.actor)
	case opImportB:
		return crm.CanImport(c.actor, true)
	case opImportO:
		return crm.CanImport(c.actor, false)
	}
	return crm.CanDo(c.actor, crm.Action(c.op), c.record)
}

// byRole maps each of the six roles to the resources (within a situation's
// resources) for which the answer is yes.
type byRole map[crm.Role][]crm.Resource

// situation is one ownership situation of SPEC §2–§3, applied to every role
// (the actor of that role from actorOf) and every resource in res.
type situation struct {
	name   string
	res    []crm.Resource
	record func(me crm.Actor, res crm.Resource) crm.Record
	view   byRole
	update byRole // update and delete
}

// situations: each view/update set is read off SPEC §3 for that situation
// (marketing never views quotes, orders, payments or invoices, whatever its
// relation to them — issue 4: "marketing sees no quote, order, payment or
// invoice anywhere"):
// view rules 1–7; update/delete for admin and management, the owner, a sales
// manager with the record's department in scope, finance for payments and
// invoices only; locked records for nobody (§5); products for admin and
// management (actions table); marketing maintains only its own campaigns and
// leads (§1).
var situations = []situation{
	{
		name: "owner",
		res:  ownedRes,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, me.ID, deptEast, colleague, westRep, deptWest)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: marketings},
	},
	{
		// Seed §3.3: A creates X, X is transferred to B; A still views X, cannot edit it.
		name: "creator transferred to West",
		res:  ownedRes,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, westRep, deptWest, me.ID, westRep, deptWest)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		// SPEC §2: collaborators view the customer and every record under it; read only.
		name: "collaborator of West customer",
		res:  customerAndBelow,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, westRep, deptWest, westRep, westRep, deptWest, westRep2, me.ID)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "same-department colleague's",
		res:  ownedRes,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, colleague, deptEast, colleague, colleague, deptEast)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "subordinate department's",
		res:  ownedRes,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, subordinate, deptShanghai, subordinate, subordinate, deptShanghai)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "sibling department's",
		res:  ownedRes,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, westRep, deptWest, westRep, westRep, deptWest)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "parent department's",
		res:  ownedRes,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, hqRep, deptHQ, hqRep, hqRep, deptHQ)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		// Rule 5 goes by the record's own department, whatever the customer's.
		name: "own department's under West customer",
		res:  underCustomer,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, colleague, deptEast, colleague, westRep, deptWest)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		// Rule 7: under a customer the actor owns; the record itself is West's.
		name: "West record under own customer",
		res:  underCustomer,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, westRep, deptWest, westRep, me.ID, deptEast)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		// Rule 7 (as manager): the customer is in Shanghai, the record is West's.
		name: "West record under subordinate customer",
		res:  underCustomer,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, westRep, deptWest, westRep, subordinate, deptShanghai)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: moneyDocs,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "pool of own department",
		res:  pooled,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, 0, deptEast, colleague, 0, 0)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "pool of subordinate department",
		res:  pooled,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, 0, deptShanghai, subordinate, 0, 0)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "pool of sibling department",
		res:  pooled,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, 0, deptWest, westRep, 0, 0)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "pool of parent department",
		res:  pooled,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, 0, deptHQ, hqRep, 0, 0)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "pool of no department",
		res:  pooled,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, 0, 0, westRep, 0, 0)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		// SPEC §5: approved / in-approval orders and confirmed money are read-only for everyone.
		name: "locked own",
		res:  lockable,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return locked(rec(res, me.ID, deptEast, me.ID, me.ID, deptEast))
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: noRes, crm.RoleManagement: noRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "locked colleague's",
		res:  lockable,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return locked(rec(res, colleague, deptEast, colleague, colleague, deptEast))
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
		update: byRole{crm.RoleAdmin: noRes, crm.RoleManagement: noRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		// Products: everyone views the catalogue; admin and management maintain it.
		name: "product created by actor",
		res:  products,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, 0, 0, me.ID, 0, 0)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
	{
		name: "product created by another",
		res:  products,
		record: func(me crm.Actor, res crm.Resource) crm.Record {
			return rec(res, 0, 0, westRep, 0, 0)
		},
		view: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: allRes,
			crm.RoleSalesManager: allRes, crm.RoleSalesRep: allRes, crm.RoleMarketing: notFinancial},
		update: byRole{crm.RoleAdmin: allRes, crm.RoleManagement: allRes, crm.RoleFinance: noRes,
			crm.RoleSalesManager: noRes, crm.RoleSalesRep: noRes, crm.RoleMarketing: noRes},
	},
}

// crossCases expands the situations over roles and resources.
func crossCases(t *testing.T) []permCase {
	var cases []permCase
	for _, s := range situations {
		if len(s.view) != len(crm.Roles) || len(s.update) != len(crm.Roles) {
			t.Fatalf("situation %q does not list every role", s.name)
		}
		for _, role := range crm.Roles {
			me, ok := actorOf[role]
			if !ok {
				t.Fatalf("no actor for role %s", role)
			}
			view, ok1 := s.view[role]
			update, ok2 := s.update[role]
			if !ok1 || !ok2 {
				t.Fatalf("situation %q: no expectation for role %s", s.name, role)
			}
			for _, res := range s.res {
				r := s.record(me, res)
				name := fmt.Sprintf("%s/%s/%s", s.name, role, res)
				cases = append(cases,
					permCase{name + "/view", me, r, opView, slices.Contains(view, res)},
					permCase{name + "/update", me, r, opUpdate, slices.Contains(update, res)},
					permCase{name + "/delete", me, r, opDelete, slices.Contains(update, res)},
				)
			}
		}
	}
	return cases
}

// createCases: SPEC §3 actions table. Every role but finance creates leads,
// customers, contacts, follow-ups, opportunities, quotes and orders;
// marketing only campaigns and leads; products are admin's and management's;
// payments and invoices are recorded by the sales side and finance; campaigns
// are marketing's (and management's/admin's, who create all business data).
func createCases() []permCase {
	creates := byRole{
		crm.RoleAdmin:      allRes,
		crm.RoleManagement: allRes,
		crm.RoleSalesManager: {crm.ResLead, crm.ResCustomer, crm.ResContact, crm.ResFollowUp, crm.ResOpportunity,
			crm.ResQuote, crm.ResOrder, crm.ResPayment, crm.ResInvoice},
		crm.RoleSalesRep: {crm.ResLead, crm.ResCustomer, crm.ResContact, crm.ResFollowUp, crm.ResOpportunity,
			crm.ResQuote, crm.ResOrder, crm.ResPayment, crm.ResInvoice},
		crm.RoleMarketing: {crm.ResCampaign, crm.ResLead},
		crm.RoleFinance:   {crm.ResPayment, crm.ResInvoice},
	}
	var cases []permCase
	for _, role := range crm.Roles {
		for _, res := range allRes {
			cases = append(cases, permCase{
				name: fmt.Sprintf("create/%s/%s", role, res), actor: actorOf[role],
				record: crm.Record{Resource: res}, op: opCreate, want: slices.Contains(creates[role], res),
			})
		}
	}
	return cases
}

// Records used by the action rows.
var (
	poolLeadEast      = rec(crm.ResLead, 0, deptEast, colleague, 0, 0)
	poolCustomerEast  = rec(crm.ResCustomer, 0, deptEast, colleague, 0, 0)
	poolLeadShanghai  = rec(crm.ResLead, 0, deptShanghai, subordinate, 0, 0)
	poolLeadWest      = rec(crm.ResLead, 0, deptWest, westRep, 0, 0)
	poolLeadNoDept    = rec(crm.ResLead, 0, 0, westRep, 0, 0)
	poolWestByRep     = rec(crm.ResLead, 0, deptWest, repA.ID, 0, 0) // repA created it; now in West's pool
	poolWestByManager = rec(crm.ResCustomer, 0, deptWest, managerA.ID, 0, 0)

	repsLead          = rec(crm.ResLead, repA.ID, deptEast, repA.ID, 0, 0)
	repsCustomer      = rec(crm.ResCustomer, repA.ID, deptEast, repA.ID, 0, 0)
	repsOpportunity   = rec(crm.ResOpportunity, repA.ID, deptEast, repA.ID, repA.ID, deptEast)
	colleaguesLead    = rec(crm.ResLead, colleague, deptEast, colleague, 0, 0)
	colleaguesCust    = rec(crm.ResCustomer, colleague, deptEast, colleague, 0, 0)
	subordinatesCust  = rec(crm.ResCustomer, subordinate, deptShanghai, subordinate, 0, 0)
	westLead          = rec(crm.ResLead, westRep, deptWest, westRep, 0, 0)
	westCustomer      = rec(crm.ResCustomer, westRep, deptWest, westRep, 0, 0)
	westCustCollab    = rec(crm.ResCustomer, westRep, deptWest, westRep, 0, 0, repA.ID, managerA.ID)
	transferredCust   = rec(crm.ResCustomer, westRep, deptWest, repA.ID, 0, 0)
	marketingsLead    = rec(crm.ResLead, marketA.ID, deptEast, marketA.ID, 0, 0)
	marketingsCust    = rec(crm.ResCustomer, marketA.ID, deptEast, marketA.ID, 0, 0)
	colleaguesOpp     = rec(crm.ResOpportunity, colleague, deptEast, colleague, colleague, deptEast)
	subordinatesOrder = rec(crm.ResOrder, subordinate, deptShanghai, subordinate, subordinate, deptShanghai)

	repsOrder         = rec(crm.ResOrder, repA.ID, deptEast, repA.ID, repA.ID, deptEast)
	repsLockedOrder   = locked(repsOrder)
	colleaguesOrder   = rec(crm.ResOrder, colleague, deptEast, colleague, colleague, deptEast)
	westOrder         = rec(crm.ResOrder, westRep, deptWest, westRep, westRep, deptWest)
	westOrderCollab   = rec(crm.ResOrder, westRep, deptWest, westRep, westRep, deptWest, repA.ID, marketA.ID)
	transferredOrder  = rec(crm.ResOrder, westRep, deptWest, repA.ID, westRep, deptWest)
	orderOfMarketings = rec(crm.ResOrder, westRep, deptWest, westRep, marketA.ID, deptEast)
	repsQuote         = rec(crm.ResQuote, repA.ID, deptEast, repA.ID, repA.ID, deptEast)

	// An East order awaiting the decision of East's head, the sales manager.
	pendingEast       = approver(locked(colleaguesOrder), managerA.ID)
	pendingNoApprover = locked(colleaguesOrder)
	paymentEast       = approver(rec(crm.ResPayment, colleague, deptEast, colleague, colleague, deptEast), managerA.ID)

	repsPayment     = rec(crm.ResPayment, repA.ID, deptEast, repA.ID, repA.ID, deptEast)
	repsInvoice     = rec(crm.ResInvoice, repA.ID, deptEast, repA.ID, repA.ID, deptEast)
	confirmedPay    = locked(repsPayment)
	confirmedInv    = locked(repsInvoice)
	westPayment     = rec(crm.ResPayment, westRep, deptWest, westRep, westRep, deptWest)
	noDeptContact   = rec(crm.ResContact, repNoDept.ID, 0, repNoDept.ID, repNoDept.ID, 0)
	noDeptOwnedLead = rec(crm.ResLead, repNoDept.ID, 0, repNoDept.ID, 0, 0)
)

func c(name string, a crm.Actor, r crm.Record, o op, want bool) permCase {
	return permCase{name: name, actor: a, record: r, op: o, want: want}
}

const (
	claim   = op(crm.ActClaim)
	release = op(crm.ActRelease)
	assign  = op(crm.ActAssign)
	collabs = op(crm.ActCollaborators)
	submit  = op(crm.ActSubmit)
	decide  = op(crm.ActDecide)
	money   = op(crm.ActRecordMoney)
	confirm = op(crm.ActConfirm)
)

// actionCases: SPEC §3 actions table, row by row.
func actionCases() []permCase {
	return []permCase{
		// claim: sales_rep, sales_manager on pools they can view (rule 6; a manager's scope by rule 5).
		c("claim/rep/pool lead of own department", repA, poolLeadEast, claim, true),
		c("claim/rep/pool customer of own department", repA, poolCustomerEast, claim, true),
		c("claim/rep/pool lead of no department", repA, poolLeadNoDept, claim, true),
		c("claim/rep/pool lead of sibling department", repA, poolLeadWest, claim, false),
		c("claim/rep/pool lead of subordinate department", repA, poolLeadShanghai, claim, false),
		c("claim/rep/sibling pool lead the rep created", repA, poolWestByRep, claim, false),
		c("claim/rep/colleague's owned lead", repA, colleaguesLead, claim, false),
		c("claim/rep/own lead", repA, repsLead, claim, false),
		c("claim/rep/own opportunity", repA, repsOpportunity, claim, false),
		c("claim/manager/pool lead of own department", managerA, poolLeadEast, claim, true),
		c("claim/manager/pool lead of subordinate department", managerA, poolLeadShanghai, claim, true),
		c("claim/manager/pool lead of no department", managerA, poolLeadNoDept, claim, true),
		c("claim/manager/pool lead of sibling department", managerA, poolLeadWest, claim, false),
		c("claim/manager/sibling pool customer the manager created", managerA, poolWestByManager, claim, false),
		c("claim/manager/colleague's owned lead", managerA, colleaguesLead, claim, false),
		c("claim/admin/pool lead of own department", adminA, poolLeadEast, claim, false),
		c("claim/management/pool lead of own department", mgmtA, poolLeadEast, claim, false),
		c("claim/marketing/pool lead of own department", marketA, poolLeadEast, claim, false),
		c("claim/finance/pool customer of own department", financeA, poolCustomerEast, claim, false),
		c("claim/rep without department/pool lead of no department", repNoDept, poolLeadNoDept, claim, true),
		c("claim/rep without department/pool lead of East", repNoDept, poolLeadEast, claim, false),
		c("claim/manager without department/pool lead of no department", managerNoDept, poolLeadNoDept, claim, true),
		c("claim/HQ manager/pool lead of West", managerHQ, poolLeadWest, claim, true),

		// release: the owner; sales_manager in scope; management, admin.
		c("release/rep/own lead", repA, repsLead, release, true),
		c("release/rep/own customer", repA, repsCustomer, release, true),
		c("release/rep/customer collaborated on", repA, westCustCollab, release, false),
		c("release/rep/customer created then transferred", repA, transferredCust, release, false),
		c("release/rep/colleague's lead", repA, colleaguesLead, release, false),
		c("release/rep/own opportunity (not pooled)", repA, repsOpportunity, release, false),
		c("release/rep/pool lead (already released)", repA, poolLeadEast, release, false),
		c("release/manager/colleague's lead", managerA, colleaguesLead, release, true),
		c("release/manager/subordinate's customer", managerA, subordinatesCust, release, true),
		c("release/manager/West customer", managerA, westCustomer, release, false),
		c("release/manager/West customer collaborated on", managerA, westCustCollab, release, false),
		c("release/admin/West customer", adminA, westCustomer, release, true),
		c("release/management/West lead", mgmtA, westLead, release, true),
		c("release/finance/West customer", financeA, westCustomer, release, false),
		c("release/marketing/own lead", marketA, marketingsLead, release, true),
		c("release/marketing/colleague's lead", marketA, colleaguesLead, release, false),

		// assign / transfer: sales_manager within scope; management, admin to anyone.
		c("assign/manager/colleague's lead", managerA, colleaguesLead, assign, true),
		c("assign/manager/subordinate's customer", managerA, subordinatesCust, assign, true),
		c("assign/manager/colleague's opportunity", managerA, colleaguesOpp, assign, true),
		c("assign/manager/subordinate's order", managerA, subordinatesOrder, assign, true),
		c("assign/manager/pool lead of own department", managerA, poolLeadEast, assign, true),
		c("assign/manager/pool lead of subordinate department", managerA, poolLeadShanghai, assign, true),
		c("assign/manager/West customer", managerA, westCustomer, assign, false),
		c("assign/manager/pool lead of West", managerA, poolLeadWest, assign, false),
		c("assign/manager/West customer collaborated on", managerA, westCustCollab, assign, false),
		c("assign/rep/own customer", repA, repsCustomer, assign, false),
		c("assign/rep/own lead", repA, repsLead, assign, false),
		c("assign/rep/pool lead of own department", repA, poolLeadEast, assign, false),
		c("assign/admin/West customer", adminA, westCustomer, assign, true),
		c("assign/admin/pool lead of West", adminA, poolLeadWest, assign, true),
		c("assign/management/West order", mgmtA, westOrder, assign, true),
		c("assign/management/order in approval (read-only)", mgmtA, pendingEast, assign, false),
		c("assign/finance/West customer", financeA, westCustomer, assign, false),
		c("assign/marketing/own lead", marketA, marketingsLead, assign, false),
		c("assign/admin/product", adminA, rec(crm.ResProduct, 0, 0, adminA.ID, 0, 0), assign, false),
		c("assign/HQ manager/West customer", managerHQ, westCustomer, assign, true),
		c("assign/manager without department/contact of no department", managerNoDept, noDeptContact, assign, false),

		// …to an employee in scope (CanAssignTo, by the new owner's department).
		c("assign to/manager/employee of own department", managerA, crm.Record{DepartmentID: deptEast}, opAssignTo, true),
		c("assign to/manager/employee of subordinate department", managerA, crm.Record{DepartmentID: deptShanghai}, opAssignTo, true),
		c("assign to/manager/employee of sibling department", managerA, crm.Record{DepartmentID: deptWest}, opAssignTo, false),
		c("assign to/manager/employee of parent department", managerA, crm.Record{DepartmentID: deptHQ}, opAssignTo, false),
		c("assign to/manager/employee of no department", managerA, crm.Record{DepartmentID: 0}, opAssignTo, false),
		c("assign to/HQ manager/employee of West", managerHQ, crm.Record{DepartmentID: deptWest}, opAssignTo, true),
		c("assign to/admin/employee of West", adminA, crm.Record{DepartmentID: deptWest}, opAssignTo, true),
		c("assign to/management/employee of no department", mgmtA, crm.Record{DepartmentID: 0}, opAssignTo, true),
		c("assign to/rep/employee of own department", repA, crm.Record{DepartmentID: deptEast}, opAssignTo, false),
		c("assign to/marketing/employee of own department", marketA, crm.Record{DepartmentID: deptEast}, opAssignTo, false),
		c("assign to/finance/employee of own department", financeA, crm.Record{DepartmentID: deptEast}, opAssignTo, false),

		// add/remove collaborators: the customer's owner, sales_manager in scope, management, admin.
		c("collaborators/rep/own customer", repA, repsCustomer, collabs, true),
		c("collaborators/rep/customer collaborated on", repA, westCustCollab, collabs, false),
		c("collaborators/rep/customer created then transferred", repA, transferredCust, collabs, false),
		c("collaborators/rep/pool customer of own department", repA, poolCustomerEast, collabs, false),
		c("collaborators/rep/own lead (not a customer)", repA, repsLead, collabs, false),
		c("collaborators/manager/colleague's customer", managerA, colleaguesCust, collabs, true),
		c("collaborators/manager/subordinate's customer", managerA, subordinatesCust, collabs, true),
		c("collaborators/manager/West customer", managerA, westCustomer, collabs, false),
		c("collaborators/manager/West customer collaborated on", managerA, westCustCollab, collabs, false),
		c("collaborators/admin/West customer", adminA, westCustomer, collabs, true),
		c("collaborators/management/West customer", mgmtA, westCustomer, collabs, true),
		c("collaborators/finance/West customer", financeA, westCustomer, collabs, false),
		c("collaborators/marketing/colleague's customer", marketA, colleaguesCust, collabs, false),
		c("collaborators/marketing/own customer", marketA, marketingsCust, collabs, true),

		// submit an order for approval: whoever may update the order.
		c("submit/rep/own draft order", repA, repsOrder, submit, true),
		c("submit/rep/own order in approval", repA, repsLockedOrder, submit, false),
		c("submit/rep/order created then transferred", repA, transferredOrder, submit, false),
		c("submit/rep/order of customer collaborated on", repA, westOrderCollab, submit, false),
		c("submit/rep/colleague's order", repA, colleaguesOrder, submit, false),
		c("submit/rep/own quote (not an order)", repA, repsQuote, submit, false),
		c("submit/manager/colleague's order", managerA, colleaguesOrder, submit, true),
		c("submit/manager/subordinate's order", managerA, subordinatesOrder, submit, true),
		c("submit/manager/West order", managerA, westOrder, submit, false),
		c("submit/admin/West order", adminA, westOrder, submit, true),
		c("submit/management/West order", mgmtA, westOrder, submit, true),
		c("submit/finance/West order", financeA, westOrder, submit, false),
		c("submit/marketing/order of own customer", marketA, orderOfMarketings, submit, false),

		// approve / reject: the order's assigned approver; management, admin; nobody else.
		c("decide/manager/approver of the order", managerA, pendingEast, decide, true),
		c("decide/HQ manager/in scope, not the approver", managerHQ, pendingEast, decide, false),
		c("decide/manager/no approver assigned", managerA, pendingNoApprover, decide, false),
		c("decide/admin/order of another approver", adminA, pendingEast, decide, true),
		c("decide/management/order of another approver", mgmtA, pendingEast, decide, true),
		c("decide/management/no approver assigned", mgmtA, pendingNoApprover, decide, true),
		c("decide/finance/pending order", financeA, pendingEast, decide, false),
		c("decide/marketing/pending order", marketA, pendingEast, decide, false),
		c("decide/rep/own pending order", repA, approver(locked(repsOrder), managerA.ID), decide, false),
		c("decide/rep/colleague's pending order", repA, pendingEast, decide, false),
		c("decide/manager/payment (not an order)", managerA, paymentEast, decide, false),

		// record a payment/invoice: whoever may view the order (sales side) and finance.
		c("record money/rep/own order", repA, repsOrder, money, true),
		c("record money/rep/own approved order", repA, repsLockedOrder, money, true),
		c("record money/rep/order of customer collaborated on", repA, westOrderCollab, money, true),
		c("record money/rep/order created then transferred", repA, transferredOrder, money, true),
		c("record money/rep/colleague's order", repA, colleaguesOrder, money, false),
		c("record money/rep/West order", repA, westOrder, money, false),
		c("record money/manager/colleague's order", managerA, colleaguesOrder, money, true),
		c("record money/manager/West order", managerA, westOrder, money, false),
		c("record money/finance/West order", financeA, westOrder, money, true),
		c("record money/admin/West order", adminA, westOrder, money, true),
		c("record money/management/West order", mgmtA, westOrder, money, true),
		c("record money/marketing/order of customer collaborated on", marketA, westOrderCollab, money, false),
		c("record money/marketing/order of own customer", marketA, orderOfMarketings, money, false),
		c("record money/marketing/West order", marketA, westOrder, money, false),
		c("record money/rep/own quote (not an order)", repA, repsQuote, money, false),

		// confirm a payment/invoice: finance, management only; never once confirmed (locked).
		c("confirm/finance/payment", financeA, repsPayment, confirm, true),
		c("confirm/finance/invoice", financeA, repsInvoice, confirm, true),
		c("confirm/finance/West payment", financeA, westPayment, confirm, true),
		c("confirm/finance/confirmed payment", financeA, confirmedPay, confirm, false),
		c("confirm/finance/confirmed invoice", financeA, confirmedInv, confirm, false),
		c("confirm/finance/order", financeA, repsOrder, confirm, false),
		c("confirm/management/payment", mgmtA, repsPayment, confirm, true),
		c("confirm/management/invoice", mgmtA, repsInvoice, confirm, true),
		c("confirm/management/confirmed invoice", mgmtA, confirmedInv, confirm, false),
		c("confirm/admin/payment", adminA, repsPayment, confirm, false),
		c("confirm/admin/invoice", adminA, repsInvoice, confirm, false),
		c("confirm/manager/payment in scope", managerA, repsPayment, confirm, false),
		c("confirm/rep/own payment", repA, repsPayment, confirm, false),
		c("confirm/rep/own invoice", repA, repsInvoice, confirm, false),
		c("confirm/marketing/payment", marketA, repsPayment, confirm, false),
	}
}

// roleCases: organisation, products and import, per role.
func roleCases() []permCase {
	var cases []permCase
	org := []crm.Role{crm.RoleAdmin}
	prod := []crm.Role{crm.RoleAdmin, crm.RoleManagement}
	importBusiness := []crm.Role{crm.RoleAdmin, crm.RoleManagement}
	importOrg := []crm.Role{crm.RoleAdmin}
	for _, role := range crm.Roles {
		a := actorOf[role]
		cases = append(cases,
			c(fmt.Sprintf("organisation/%s", role), a, crm.Record{}, opOrg, slices.Contains(org, role)),
			c(fmt.Sprintf("manage products/%s", role), a, crm.Record{}, opProducts, slices.Contains(prod, role)),
			c(fmt.Sprintf("import business table/%s", role), a, crm.Record{}, opImportB, slices.Contains(importBusiness, role)),
			c(fmt.Sprintf("import organisation table/%s", role), a, crm.Record{}, opImportO, slices.Contains(importOrg, role)),
		)
	}
	return cases
}

// edgeCases: actors without a department, a manager of a whole tree, nobody signed in.
func edgeCases() []permCase {
	return []permCase{
		c("no department/rep/pool lead of no department/view", repNoDept, poolLeadNoDept, opView, true),
		c("no department/rep/pool lead of no department/update", repNoDept, poolLeadNoDept, opUpdate, false),
		c("no department/rep/pool lead of East/view", repNoDept, poolLeadEast, opView, false),
		c("no department/rep/own lead/view", repNoDept, noDeptOwnedLead, opView, true),
		c("no department/rep/own lead/update", repNoDept, noDeptOwnedLead, opUpdate, true),
		c("no department/rep/colleague's customer/view", repNoDept, colleaguesCust, opView, false),
		c("no department/manager/pool lead of no department/view", managerNoDept, poolLeadNoDept, opView, true),
		c("no department/manager/pool lead of no department/update", managerNoDept, poolLeadNoDept, opUpdate, false),
		c("no department/manager/contact of no department/view", managerNoDept, noDeptContact, opView, false),
		c("no department/manager/contact of no department/update", managerNoDept, noDeptContact, opUpdate, false),
		c("no department/manager/pool lead of East/view", managerNoDept, poolLeadEast, opView, false),
		c("HQ manager/West customer/view", managerHQ, westCustomer, opView, true),
		c("HQ manager/West customer/update", managerHQ, westCustomer, opUpdate, true),
		c("HQ manager/West order/delete", managerHQ, westOrder, opDelete, true),
		c("HQ manager/pool lead of West/view", managerHQ, poolLeadWest, opView, true),
		c("HQ manager/pool lead of no department/update", managerHQ, poolLeadNoDept, opUpdate, false),
		c("not signed in/product/view", crm.Actor{}, rec(crm.ResProduct, 0, 0, 1, 0, 0), opView, false),
		c("not signed in/pool lead of no department/view", crm.Actor{}, poolLeadNoDept, opView, false),
	}
}

func TestPermissionTable(t *testing.T) {
	var cases []permCase
	cases = append(cases, crossCases(t)...)
	cases = append(cases, createCases()...)
	cases = append(cases, actionCases()...)
	cases = append(cases, roleCases()...)
	cases = append(cases, edgeCases()...)
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			if got := ask(tc); got != tc.want {
				t.Errorf("%s by %s (%s, dept %d) on %+v: got %v, want %v",
					tc.op, tc.actor.Name, tc.actor.Role, tc.actor.DepartmentID, tc.record, got, tc.want)
			}
		})
	}
	t.Logf("permission table: %d cases", len(cases))
}

// TestPolicySeedExample follows SPEC §2 / seed §3.3: A creates customer X
// without choosing an owner, so A owns it; X is transferred to B (by their
// manager: reps do not assign, SPEC §3); B views and updates X, A keeps only
// the view; B adds C as a collaborator, and C views X and what is under it
// but changes nothing.
func TestPolicySeedExample(t *testing.T) {
	a := crm.Actor{ID: 101, Name: "A", Role: crm.RoleSalesRep, DepartmentID: deptEast, Departments: eastScope}
	b := crm.Actor{ID: 102, Name: "B", Role: crm.RoleSalesRep, DepartmentID: deptEast, Departments: eastScope}
	cc := crm.Actor{ID: 103, Name: "C", Role: crm.RoleSalesRep, DepartmentID: deptWest, Departments: []int64{deptWest}}
	m := managerA

	// A creates X with no owner: the owner defaults to A.
	x := rec(crm.ResCustomer, a.ID, deptEast, a.ID, 0, 0)
	check := func(what string, got, want bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("A views own X", crm.CanView(a, x), true)
	check("A updates own X", crm.CanUpdate(a, x), true)
	check("B views X owned by A", crm.CanView(b, x), false)
	check("A (a rep) may not assign X", crm.CanDo(a, crm.ActAssign, x), false)

	// The manager assigns X to B.
	check("manager may assign X", crm.CanDo(m, crm.ActAssign, x), true)
	check("manager may assign to B's department", crm.CanAssignTo(m, b.DepartmentID, b.Role), true)
	x.OwnerID = b.ID
	check("B views X", crm.CanView(b, x), true)
	check("B updates X", crm.CanUpdate(b, x), true)
	check("B deletes X", crm.CanDelete(b, x), true)
	check("A still views X", crm.CanView(a, x), true)
	check("A cannot update X", crm.CanUpdate(a, x), false)
	check("A cannot delete X", crm.CanDelete(a, x), false)
	for _, act := range []crm.Action{crm.ActRelease, crm.ActAssign, crm.ActCollaborators, crm.ActClaim} {
		check("A cannot "+string(act)+" X", crm.CanDo(a, act, x), false)
	}

	// B follows up, orders, and is paid under X.
	under := func(res crm.Resource, owner, creator int64) crm.Record {
		r := rec(res, owner, deptEast, creator, x.OwnerID, x.DepartmentID, x.Collaborators...)
		r.CustomerID = 900
		return r
	}
	check("B adds a follow-up", crm.CanCreate(b, crm.ResFollowUp), true)
	order := under(crm.ResOrder, b.ID, b.ID)
	check("B submits the order", crm.CanDo(b, crm.ActSubmit, order), true)
	check("B records a payment", crm.CanDo(b, crm.ActRecordMoney, order), true)

	// B adds C as a collaborator.
	check("B may manage X's collaborators", crm.CanDo(b, crm.ActCollaborators, x), true)
	check("C views X before", crm.CanView(cc, x), false)
	x.Collaborators = []int64{cc.ID}
	check("C views X", crm.CanView(cc, x), true)
	check("C cannot update X", crm.CanUpdate(cc, x), false)
	check("C cannot delete X", crm.CanDelete(cc, x), false)
	check("C cannot manage X's collaborators", crm.CanDo(cc, crm.ActCollaborators, x), false)
	check("C cannot release X", crm.CanDo(cc, crm.ActRelease, x), false)
	for _, res := range underCustomer {
		r := under(res, b.ID, b.ID)
		check("C views X's "+string(res), crm.CanView(cc, r), true)
		check("C cannot update X's "+string(res), crm.CanUpdate(cc, r), false)
		check("C cannot delete X's "+string(res), crm.CanDelete(cc, r), false)
		check("A views nothing under X: "+string(res), crm.CanView(a, r), false)
		check("B views X's "+string(res), crm.CanView(b, r), true)
		check("B updates X's "+string(res), crm.CanUpdate(b, r), true)
	}
	// Even a record A created under X later: A views it (creator), C views it (collaborator).
	fu := under(crm.ResFollowUp, b.ID, a.ID)
	check("A views the follow-up A created", crm.CanView(a, fu), true)
	check("A cannot update the follow-up A created", crm.CanUpdate(a, fu), false)
	check("C views A's follow-up under X", crm.CanView(cc, fu), true)
	check("C cannot update A's follow-up under X", crm.CanUpdate(cc, fu), false)
}
