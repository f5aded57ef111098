package server

import (
	"context"
	"strconv"
	"strings"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/webctx"
	"crm/web/views"
)

// Owner pickers and list tabs, shared by the lead and customer pages.

// ownerChoices is the owner picker of a new lead or customer: myself, the
// employees a may assign to, and the pools of the departments a may fill.
// It is empty for those who may only create for themselves.
func (s *Server) ownerChoices(ctx context.Context, a crm.Actor, res crm.Resource) ([]views.OwnerChoice, error) {
	if !crm.CanCreateInPool(a, res) {
		return nil, nil
	}
	emps, err := s.db.Assignees(ctx, a)
	if err != nil {
		return nil, err
	}
	depts, err := s.db.Departments(ctx)
	if err != nil {
		return nil, err
	}
	out := []views.OwnerChoice{{Value: "", Label: webctx.T(ctx, "owner.me")}}
	for _, e := range emps {
		if e.ID == a.ID {
			continue
		}
		label := e.Name
		if e.DepartmentName != "" {
			label += " · " + e.DepartmentName
		}
		out = append(out, views.OwnerChoice{Value: "e:" + strconv.FormatInt(e.ID, 10), Label: label})
	}
	for _, d := range depts {
		if a.Role == crm.RoleSalesManager && !a.InScope(d.ID) {
			continue
		}
		out = append(out, views.OwnerChoice{Value: "p:" + strconv.FormatInt(d.ID, 10),
			Label: webctx.T(ctx, "owner.pool_dept") + d.Name})
	}
	return out, nil
}

// parseOwner reads the owner picker ("" myself, "e:ID", "p:ID").
func parseOwner(v string) postgres.NewOwner {
	kind, rest, _ := strings.Cut(v, ":")
	id, _ := strconv.ParseInt(rest, 10, 64)
	switch kind {
	case "e":
		return postgres.NewOwner{OwnerID: id}
	case "p":
		return postgres.NewOwner{Pool: true, PoolDepartmentID: id}
	}
	return postgres.NewOwner{}
}
