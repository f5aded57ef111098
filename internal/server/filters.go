package server

import (
	"context"
	"strconv"

	"crm/internal/crm"
	"crm/web/views"
)

// filterNames names the employee and the department a list is narrowed to
// by filters that have no control on the list (views.FilterChip): their
// names, or "#id" for one that does not exist. Employees' and departments'
// names are no secret — the pickers of every list offer them — and the
// list itself still holds only what the actor may view.
func (s *Server) filterNames(ctx context.Context, ownerID, departmentID int64) (views.FilterNames, error) {
	var n views.FilterNames
	if ownerID != 0 {
		e, err := s.db.EmployeeByID(ctx, ownerID)
		switch {
		case err == nil:
			n.Owner = e.Name
		case isNotFound(err):
			n.Owner = "#" + strconv.FormatInt(ownerID, 10)
		default:
			return n, err
		}
	}
	if departmentID != 0 {
		d, err := s.db.DepartmentByID(ctx, departmentID)
		switch {
		case err == nil:
			n.Department = d.Name
		case isNotFound(err):
			n.Department = "#" + strconv.FormatInt(departmentID, 10)
		default:
			return n, err
		}
	}
	return n, nil
}

// loadedParents are the records a list is narrowed to, as loaded by
// listParents (nil: not narrowed to one of that kind).
type loadedParents struct {
	customer    *crm.Customer
	opportunity *crm.Opportunity
}

// listParents loads the records a list is narrowed to (?customer=,
// ?opportunity=, ?lead=, ?order=) as a may view them and names them in n
// for the list's chips. A record a may not view is ENOTFOUND: a list
// narrowed to it answers 404, as the record itself does, never an empty
// list that would tell it exists.
func (s *Server) listParents(ctx context.Context, a crm.Actor, p crm.ListParents, n *views.FilterNames) (loadedParents, error) {
	var out loadedParents
	if p.Customer != 0 {
		c, err := s.db.CustomerByID(ctx, a, p.Customer)
		if err != nil {
			return out, err
		}
		out.customer, n.Customer = &c, c.Name
	}
	if p.Opportunity != 0 {
		o, err := s.db.OpportunityByID(ctx, a, p.Opportunity)
		if err != nil {
			return out, err
		}
		out.opportunity, n.Opportunity = &o, o.Name
	}
	if p.Lead != 0 {
		l, err := s.db.LeadByID(ctx, a, p.Lead)
		if err != nil {
			return out, err
		}
		n.Lead = l.Name
	}
	if p.Order != 0 {
		o, err := s.db.OrderForMoney(ctx, a, p.Order)
		if err != nil {
			return out, err
		}
		n.Order = o.Number
	}
	return out, nil
}
