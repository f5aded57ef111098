package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// listTab returns the tab asked for when a may use it, else a's default.
func listTab(r *http.Request, a crm.Actor, res crm.Resource) (crm.ListTab, []crm.ListTab) {
	tabs := crm.ListTabs(a, res)
	want := crm.ListTab(r.URL.Query().Get("tab"))
	for _, t := range tabs {
		if t == want {
			return t, tabs
		}
	}
	return tabs[0], tabs
}

// queryDate reads an optional day from the query string (bad: none).
func queryDate(r *http.Request, name string) *time.Time {
	t, ok := parseDate(r.URL.Query().Get(name))
	if !ok || t == nil {
		return nil
	}
	return t
}

// bulkIDs reads the selected rows of a list's bulk form (at most 200).
func bulkIDs(r *http.Request) []int64 {
	_ = r.ParseForm()
	var ids []int64
	for _, v := range r.PostForm["ids"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
		if len(ids) == 200 {
			break
		}
	}
	return ids
}
