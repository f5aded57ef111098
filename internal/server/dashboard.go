package server

import (
	"net/http"
	"slices"
	"time"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// The dashboard (仪表盘, issue 6) is the start page: figures over exactly
// what the signed-in employee may view (crm.Dashboard), for a period,
// a department within their scope and — for managers and above — one
// salesperson; every figure links to the list it counts with the same
// filter. The admin hides sections from roles on /admin/dashboard.

// maxPeriodDays bounds a custom period: the figures of a period read its
// rows, so a period is at most three years long.
const maxPeriodDays = 3*366 + 1

// dashboardPeriod reads the period of the query: this month (default),
// quarter or year, or a custom range of days; a bad custom range falls back
// to this month with a message.
func dashboardPeriod(r *http.Request, now time.Time) (period string, from, to time.Time, problem string) {
	now = now.In(crm.Zone)
	q := r.URL.Query()
	period = q.Get("period")
	y, m := now.Year(), now.Month()
	switch period {
	case "quarter":
		first := time.Month((int(m)-1)/3*3 + 1)
		from = time.Date(y, first, 1, 0, 0, 0, 0, crm.Zone)
		return period, from, from.AddDate(0, 3, -1), ""
	case "year":
		from = time.Date(y, 1, 1, 0, 0, 0, 0, crm.Zone)
		return period, from, from.AddDate(1, 0, -1), ""
	case "custom":
		f, okF := parseDate(q.Get("from"))
		t, okT := parseDate(q.Get("to"))
		switch {
		case !okF || !okT || f == nil || t == nil:
			problem = "dash.period_bad"
		case t.Before(*f):
			problem = "error.end_before_start"
		case t.Sub(*f) > maxPeriodDays*24*time.Hour:
			problem = "dash.period_too_long"
		default:
			return period, *f, *t, ""
		}
	}
	from = time.Date(y, m, 1, 0, 0, 0, 0, crm.Zone)
	return "month", from, from.AddDate(0, 1, -1), problem
}

// dashboardDepartments returns the departments a may narrow the dashboard
// to: a manager's scope; every department for those who view every
// department's records; none for the others (their view is their own).
func (s *Server) dashboardDepartments(r *http.Request, a crm.Actor) ([]crm.Department, error) {
	switch a.Role {
	case crm.RoleSalesRep:
		return nil, nil
	}
	all, err := s.db.Departments(r.Context())
	if err != nil || a.Role != crm.RoleSalesManager {
		return all, err
	}
	var out []crm.Department
	for _, d := range all {
		if a.InScope(d.ID) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	now := time.Now()
	p := views.DashboardProps{Money: crm.DashboardMoney(a), Team: crm.DashboardTeam(a),
		Approvals: crm.CanSeeArea(a, crm.AreaApprovals), Admin: crm.CanManageOrganisation(a)}
	var problem string
	p.Period, p.Filter.From, p.Filter.To, problem = dashboardPeriod(r, now)
	if problem != "" {
		p.FilterError = webctx.T(ctx, problem)
		p.Custom = [2]string{r.URL.Query().Get("from"), r.URL.Query().Get("to")}
	}
	p.Filter.Now = now
	p.Filter.OwnReminders = !p.Team
	var err error
	if p.Departments, err = s.dashboardDepartments(r, a); err != nil {
		s.fail(w, r, err)
		return
	}
	if id := queryID(r, "department"); id != 0 && slices.ContainsFunc(p.Departments, func(d crm.Department) bool { return d.ID == id }) {
		p.Filter.DepartmentID = id
	}
	if p.Team {
		if p.Owners, err = s.db.Assignees(ctx, a); err != nil {
			s.fail(w, r, err)
			return
		}
		if id := queryID(r, "owner"); id != 0 && slices.ContainsFunc(p.Owners, func(e crm.EmployeeOption) bool { return e.ID == id }) {
			p.Filter.OwnerID = id
		}
	}
	if a.DepartmentID != 0 {
		d, err := s.db.DepartmentByID(ctx, a.DepartmentID)
		if err != nil && !isNotFound(err) {
			s.fail(w, r, err)
			return
		}
		p.DepartmentName = d.Name
	}
	if p.Filter.Sections, err = s.db.DashboardSectionsOf(ctx, a); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.D, err = s.db.Dashboard(ctx, a, p.Filter); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.Dashboard(p))
}

func (s *Server) handleDashboardAdmin(w http.ResponseWriter, r *http.Request) {
	hidden, err := s.db.HiddenDashboardSections(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.DashboardAdmin(views.DashboardAdminProps{Hidden: hidden}))
}

// handleDashboardAdminSave stores which sections each role sees: the form
// posts a "show" value role:section for every ticked box; an open section
// left unticked is hidden from the role.
func (s *Server) handleDashboardAdminSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, crm.Errorf(crm.EINVALID, "error.invalid"))
		return
	}
	shown := map[string]bool{}
	for _, v := range r.PostForm["show"] {
		shown[v] = true
	}
	hidden := map[crm.Role][]crm.DashboardSection{}
	for _, role := range crm.Roles {
		for _, sec := range crm.DashboardSections {
			if crm.DashboardSectionOpen(role, sec) && !shown[string(role)+":"+string(sec)] {
				hidden[role] = append(hidden[role], sec)
			}
		}
	}
	if err := s.db.SetHiddenDashboardSections(r.Context(), webctx.Actor(r.Context()), hidden); err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "dash.admin_saved")
	s.redirect(w, r, route.DashboardAdmin)
}
