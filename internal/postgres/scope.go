package postgres

import (
	"fmt"
	"strings"

	"crm/internal/crm"
)

// ViewScope turns crm.CanView into a SQL condition over the table aliased
// alias, for the records of kind res the actor may view. It is the one place
// the permission rules become SQL; a test checks that it agrees with
// crm.CanView for every pair of generated records and actors.
//
// Tables of owned records follow one convention: owner_id, department_id and
// created_by; customers have their collaborators in customer_collaborators
// (customer_id, employee_id); records under a customer carry customer_id and
// a copy of that customer's owner and department (customer_owner_id,
// customer_department_id), kept current by the write paths that change a
// customer's owner or department.
//
// The condition is a disjunction of simple column tests, each served by its
// own index (owner_id, created_by, department_id, the pool's partial index,
// customer_owner_id, customer_department_id, the primary key or customer_id
// for collaborations). The collaborator branch is an uncorrelated
// ARRAY(SELECT …) — an InitPlan computed once — instead of EXISTS, so that
// the planner can still combine every branch in a BitmapOr for a rep who sees
// a few rows, while for a manager who sees a third of the table it can walk
// the index of the sort column and filter. Both plans are open to it because
// the pool forces custom plans (see Open).
func ViewScope(a crm.Actor, res crm.Resource, alias string, args *Args) string {
	return viewScope(a, res, alias, args, false)
}

// OutsideScope is the part of ViewScope outside DepartmentBranch: the
// records of kind res that a views whose department — and, under a
// customer, whose customer's department — is not one of depts
// (DepartmentBranch's). ViewScope's other branches, without the department
// ones (which would only be filtered out again, after reading a third of
// the table), and the department tests negated. With DepartmentBranch it
// partitions what a views; TestScopeAgreesWithCanView checks it.
func OutsideScope(a crm.Actor, res crm.Resource, alias string, depts []int64, args *Args) string {
	d := args.Add(depts)
	c := "(" + viewScope(a, res, alias, args, true) + ") AND NOT coalesce(" + alias + ".department_id = ANY(" + d + "::bigint[]), false)"
	if res.UnderCustomer() {
		c += " AND NOT coalesce(" + alias + ".customer_department_id = ANY(" + d + "::bigint[]), false)"
	}
	return c
}

func viewScope(a crm.Actor, res crm.Resource, alias string, args *Args, noDeptBranch bool) string {
	if a.IsZero() {
		return "FALSE"
	}
	switch a.Role {
	case crm.RoleAdmin, crm.RoleManagement, crm.RoleFinance:
		return "TRUE"
	case crm.RoleMarketing:
		if res.Financial() {
			return "FALSE"
		}
		return "TRUE"
	}
	if !res.Owned() {
		return "TRUE"
	}
	col := func(c string) string { return alias + "." + c }
	me := args.Add(a.ID)
	var or []string
	or = append(or, col("created_by")+" = "+me, col("owner_id")+" = "+me)
	var depts string
	manager := a.Role == crm.RoleSalesManager && len(a.Departments) > 0
	if manager && !noDeptBranch {
		depts = args.Add(a.Departments)
		or = append(or, col("department_id")+" = ANY("+depts+"::bigint[])")
	}
	if res.Pooled() && (a.Role == crm.RoleSalesRep || a.Role == crm.RoleSalesManager) {
		if a.DepartmentID != 0 {
			// Two branches rather than (owner_id IS NULL AND (department_id = $d
			// OR department_id IS NULL)): each is then one probe of the pool's
			// partial index, instead of a read of every pool record.
			or = append(or, fmt.Sprintf("(%s IS NULL AND %s = %s)", col("owner_id"), col("department_id"), args.Add(a.DepartmentID)),
				fmt.Sprintf("(%s IS NULL AND %s IS NULL)", col("owner_id"), col("department_id")))
		} else {
			or = append(or, fmt.Sprintf("(%s IS NULL AND %s IS NULL)", col("owner_id"), col("department_id")))
		}
	}
	collab := "ARRAY(SELECT cc.customer_id FROM customer_collaborators cc WHERE cc.employee_id = " + me + ")"
	if res == crm.ResCustomer {
		or = append(or, col("id")+" = ANY("+collab+")")
	}
	if res == crm.ResOrder {
		or = append(or, col("approver_id")+" = "+me)
	}
	if res.UnderCustomer() {
		or = append(or, col("customer_owner_id")+" = "+me, col("customer_id")+" = ANY("+collab+")")
		if manager && !noDeptBranch {
			or = append(or, col("customer_department_id")+" = ANY("+depts+"::bigint[])")
		}
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// OwnScope is ViewScope narrowed to the records of kind res that a owns
// (owner_id = a). Owning a record is a branch of every rule that lets a
// view anything of res (crm.CanView), so the narrowed condition is the
// owner test alone — one range of an owner index instead of a BitmapOr of
// every branch — unless a may view nothing of res. TestScopeAgreesWithCanView
// checks it against crm.CanView.
func OwnScope(a crm.Actor, res crm.Resource, alias string, args *Args) string {
	if ViewScope(a, res, alias, &Args{}) == "FALSE" {
		return "FALSE"
	}
	return alias + ".owner_id = " + args.Add(a.ID)
}

// DepartmentBranch returns the departments whose records of kind res a
// views whole — every record whose department_id, or (for records under a
// customer) whose customer's department, is one of them, whoever owns it:
// ViewScope's department branches (a sales manager's departments) — or nil
// when a has no such branch. all is true when a views every record of res.
// Figures kept per department (monthly_figures) answer the part of a's view
// that the branch covers, OutsideScope the rest; TestScopeAgreesWithCanView
// checks both against crm.CanView.
func DepartmentBranch(a crm.Actor, res crm.Resource) (depts []int64, all bool) {
	switch ViewScope(a, res, "x", &Args{}) {
	case "TRUE":
		return nil, true
	case "FALSE":
		return nil, false
	}
	if a.Role == crm.RoleSalesManager && res.Owned() && len(a.Departments) > 0 {
		return a.Departments, false
	}
	return nil, false
}

// AssigneeScope turns crm.CanAssignTo into a SQL condition over employees
// aliased alias: whom a may make the owner of a record.
func AssigneeScope(a crm.Actor, alias string, args *Args) string {
	switch a.Role {
	case crm.RoleAdmin, crm.RoleManagement:
		return "TRUE"
	case crm.RoleSalesManager:
		if len(a.Departments) > 0 {
			return alias + ".department_id = ANY(" + args.Add(a.Departments) + "::bigint[])"
		}
	}
	return "FALSE"
}
