package server

import (
	"errors"
	"net/http"
	"strconv"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
	"crm/web/views/ui"
)

// Departments and employees: admin only (the route group checks
// crm.CanManageOrganisation).

func (s *Server) handleDepartments(w http.ResponseWriter, r *http.Request) {
	depts, err := s.db.Departments(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.DepartmentsIndex(views.DepartmentsProps{Tree: views.BuildTree(depts), Count: len(depts)}))
}

func (s *Server) departmentForm(r *http.Request, p views.DepartmentFormProps) (views.DepartmentFormProps, error) {
	depts, err := s.db.Departments(r.Context())
	if err != nil {
		return p, err
	}
	emps, err := s.db.ActiveEmployees(r.Context())
	if err != nil {
		return p, err
	}
	p.Departments = depts
	for _, e := range emps {
		label := e.Name + " (" + e.Username + ")"
		if e.DepartmentName != "" {
			label += " · " + e.DepartmentName
		}
		p.Employees = append(p.Employees, ui.Option{Value: strconv.FormatInt(e.ID, 10), Label: label})
	}
	return p, nil
}

func (s *Server) renderDepartmentForm(w http.ResponseWriter, r *http.Request, status int, p views.DepartmentFormProps) {
	p, err := s.departmentForm(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, views.DepartmentForm(p))
}

func (s *Server) handleDepartmentNew(w http.ResponseWriter, r *http.Request) {
	var p views.DepartmentFormProps
	if parent, err := strconv.ParseInt(r.URL.Query().Get("parent"), 10, 64); err == nil {
		p.Input.ParentID = parent
	}
	s.renderDepartmentForm(w, r, http.StatusOK, p)
}

func departmentInput(f *form) (crm.DepartmentInput, error) {
	in := crm.DepartmentInput{Name: f.text("name"), ParentID: f.id("parent_id"), HeadID: f.id("head_id")}
	return in, f.err(in.Validate())
}

// departmentFailure re-renders the form for bad input and a refused delete.
func (s *Server) departmentFailure(w http.ResponseWriter, r *http.Request, p views.DepartmentFormProps, err error) {
	switch crm.ErrorCode(err) {
	case crm.EINVALID:
		p.Errors = crm.FieldErrors(err)
		s.renderDepartmentForm(w, r, http.StatusUnprocessableEntity, p)
	case crm.ECONFLICT:
		// A taken name is a message on the field: 422 like any other
		// field error (SPEC §7); a refused delete is a 409.
		if f := crm.FieldErrors(err); f != nil {
			p.Errors = f
			s.renderDepartmentForm(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		e := err.(*crm.Error)
		p.Error, p.ErrorArgs = e.Message, e.Args
		s.renderDepartmentForm(w, r, http.StatusConflict, p)
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) handleDepartmentCreate(w http.ResponseWriter, r *http.Request) {
	in, err := departmentInput(newForm(r))
	if err == nil {
		_, err = s.db.CreateDepartment(r.Context(), in, false)
	}
	if err != nil {
		s.departmentFailure(w, r, views.DepartmentFormProps{Input: in}, err)
		return
	}
	s.flash(r, "ok", "dept.created", in.Name)
	s.redirect(w, r, route.Departments)
}

func (s *Server) handleDepartmentEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.db.DepartmentByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderDepartmentForm(w, r, http.StatusOK, views.DepartmentFormProps{ID: id,
		Input: crm.DepartmentInput{Name: d.Name, ParentID: d.ParentID, HeadID: d.HeadID}})
}

func (s *Server) handleDepartmentUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.db.DepartmentByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := departmentInput(editForm(r, fields("name", d.Name, "parent_id", fieldID(d.ParentID), "head_id", fieldID(d.HeadID))))
	if err == nil {
		err = s.db.UpdateDepartment(r.Context(), id, in)
	}
	if err != nil {
		s.departmentFailure(w, r, views.DepartmentFormProps{ID: id, Input: in}, err)
		return
	}
	s.flash(r, "ok", "dept.saved", in.Name)
	s.redirect(w, r, route.Departments)
}

func (s *Server) handleDepartmentDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.db.DepartmentByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.db.DeleteDepartment(r.Context(), id); err != nil {
		s.departmentFailure(w, r, views.DepartmentFormProps{ID: id,
			Input: crm.DepartmentInput{Name: d.Name, ParentID: d.ParentID, HeadID: d.HeadID}}, err)
		return
	}
	s.flash(r, "ok", "dept.deleted", d.Name)
	s.redirect(w, r, route.Departments)
}

func (s *Server) handleEmployees(w http.ResponseWriter, r *http.Request) {
	f := employeeFilter(r)
	emps, total, err := s.db.FindEmployees(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	depts, err := s.db.Departments(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.EmployeesIndex(views.EmployeesProps{Employees: emps, Total: total,
		Page: f.Page, PerPage: f.PerPage, Query: f.Query, Department: f.DepartmentID, Role: string(f.Role),
		Active: f.Active, Sort: f.Sort, Desc: f.Desc, Departments: depts}))
}

// employeeFilter reads the employee list's query string (filters, sort,
// page); the list and its export read it alike.
func employeeFilter(r *http.Request) postgres.EmployeeFilter {
	q := r.URL.Query()
	f := postgres.EmployeeFilter{Query: q.Get("q"), Role: crm.Role(q.Get("role")), Active: q.Get("active"),
		Sort: q.Get("sort"), Desc: q.Get("dir") == "desc", PerPage: 50}
	f.DepartmentID, _ = strconv.ParseInt(q.Get("department"), 10, 64)
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if !f.Role.Valid() {
		f.Role = ""
	}
	if f.Active != "yes" && f.Active != "no" {
		f.Active = ""
	}
	if f.Page < 1 {
		f.Page = 1
	}
	return f
}

func (s *Server) renderEmployeeForm(w http.ResponseWriter, r *http.Request, status int, p views.EmployeeFormProps) {
	depts, err := s.db.Departments(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Departments = depts
	s.render(w, r, status, views.EmployeeForm(p))
}

func (s *Server) handleEmployeeNew(w http.ResponseWriter, r *http.Request) {
	var p views.EmployeeFormProps
	p.MustChange = true
	p.Input.DepartmentID, _ = strconv.ParseInt(r.URL.Query().Get("department"), 10, 64)
	s.renderEmployeeForm(w, r, http.StatusOK, p)
}

func employeeInput(f *form, creating bool) (crm.EmployeeInput, error) {
	in := crm.EmployeeInput{Username: f.text("username"), Name: f.text("name"),
		Email: f.text("email"), Phone: f.text("phone"), Role: crm.Role(f.text("role")),
		DepartmentID: f.id("department_id"), Password: f.r.PostFormValue("password")}
	return in, f.err(in.Validate(creating))
}

func (s *Server) handleEmployeeCreate(w http.ResponseWriter, r *http.Request) {
	in, err := employeeInput(newForm(r), true)
	mustChange := r.PostFormValue("must_change") != ""
	var id int64
	if err == nil {
		var hash string
		if hash, err = password.Hash(in.Password); err == nil {
			id, err = s.db.CreateEmployee(r.Context(), in, hash, mustChange, false)
		}
	}
	if err != nil {
		if f := crm.FieldErrors(err); f != nil {
			in.Password = ""
			s.renderEmployeeForm(w, r, http.StatusUnprocessableEntity, views.EmployeeFormProps{Input: in, MustChange: mustChange, Errors: f})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "employee.created", in.Name)
	s.redirect(w, r, route.Employee(id))
}

func (s *Server) employeeByPath(w http.ResponseWriter, r *http.Request) (crm.Employee, bool) {
	id, err := pathID(r)
	if err == nil {
		var e crm.Employee
		if e, err = s.db.EmployeeByID(r.Context(), id); err == nil {
			return e, true
		}
	}
	s.fail(w, r, err)
	return crm.Employee{}, false
}

func (s *Server) handleEmployee(w http.ResponseWriter, r *http.Request) {
	e, ok := s.employeeByPath(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, views.EmployeeShow(views.EmployeeShowProps{Employee: e, IsSelf: e.ID == webctx.Actor(r.Context()).ID}))
}

func (s *Server) handleEmployeeEdit(w http.ResponseWriter, r *http.Request) {
	e, ok := s.employeeByPath(w, r)
	if !ok {
		return
	}
	s.renderEmployeeForm(w, r, http.StatusOK, views.EmployeeFormProps{ID: e.ID, Input: crm.EmployeeInput{
		Username: e.Username, Name: e.Name, Email: e.Email, Phone: e.Phone, DepartmentID: e.DepartmentID, Role: e.Role}})
}

func (s *Server) handleEmployeeUpdate(w http.ResponseWriter, r *http.Request) {
	e, ok := s.employeeByPath(w, r)
	if !ok {
		return
	}
	in, err := employeeInput(editForm(r, fields("username", e.Username, "name", e.Name, "email", e.Email,
		"phone", e.Phone, "role", string(e.Role), "department_id", fieldID(e.DepartmentID))), false)
	if err == nil {
		err = s.db.UpdateEmployee(r.Context(), e.ID, in)
	}
	if err != nil {
		if f := crm.FieldErrors(err); f != nil {
			s.renderEmployeeForm(w, r, http.StatusUnprocessableEntity, views.EmployeeFormProps{ID: e.ID, Input: in, Errors: f})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "employee.saved", in.Name)
	s.redirect(w, r, route.Employee(e.ID))
}

// handleEmployeeActive activates or deactivates an employee; deactivation
// signs them out everywhere at once. Admins cannot deactivate themselves.
func (s *Server) handleEmployeeActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, ok := s.employeeByPath(w, r)
		if !ok {
			return
		}
		if !active && e.ID == webctx.Actor(r.Context()).ID {
			s.fail(w, r, crm.Errorf(crm.ECONFLICT, "error.deactivate_self"))
			return
		}
		if err := s.db.SetEmployeeActive(r.Context(), e.ID, active); err != nil {
			s.fail(w, r, err)
			return
		}
		if active {
			s.flash(r, "ok", "employee.activated", e.Name)
		} else {
			s.flash(r, "ok", "employee.deactivated", e.Name)
		}
		s.redirect(w, r, route.Employee(e.ID))
	}
}

// handleEmployeePassword resets an employee's password: the one typed, or a
// generated one shown once on the answering page. The employee must change
// it at the next login, and their sessions end.
func (s *Server) handleEmployeePassword(w http.ResponseWriter, r *http.Request) {
	e, ok := s.employeeByPath(w, r)
	if !ok {
		return
	}
	p := views.EmployeeShowProps{Employee: e, IsSelf: e.ID == webctx.Actor(r.Context()).ID}
	pw := r.PostFormValue("password")
	generated := pw == ""
	if generated {
		pw = password.Random(12)
	} else if msg := crm.PasswordProblem(pw); msg != "" {
		p.PasswordError = msg
		s.render(w, r, http.StatusUnprocessableEntity, views.EmployeeShow(p))
		return
	}
	hash, err := password.Hash(pw)
	if err == nil {
		_, err = s.db.SetPassword(r.Context(), e.ID, hash, true, true)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if generated {
		p.NewPassword = pw
		webctx.Get(r.Context()).Flashes = append(webctx.Get(r.Context()).Flashes,
			webctx.Flash{Kind: "ok", Message: webctx.T(r.Context(), "employee.password_reset", e.Name)})
		s.render(w, r, http.StatusOK, views.EmployeeShow(p))
		return
	}
	s.flash(r, "ok", "employee.password_reset", e.Name)
	s.redirect(w, r, route.Employee(e.ID))
}

func (s *Server) handleDemo(w http.ResponseWriter, r *http.Request) {
	s.renderDemo(w, r, http.StatusOK, nil)
}

// renderDemo renders the demo-data page; inUse, when set, is a refused
// purge's list of the real records that point at demo rows.
func (s *Server) renderDemo(w http.ResponseWriter, r *http.Request, status int, inUse *postgres.DemoInUseError) {
	counts, err := s.db.DemoCounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var p views.DemoProps
	for _, c := range counts {
		p.Counts = append(p.Counts, views.DemoCount{Table: c.Label, Rows: c.Rows})
	}
	if inUse != nil {
		p.InUse, p.InUseTotal = inUse.Blockers, inUse.Total
	}
	s.render(w, r, status, views.Demo(p))
}

// handleDemoPurge removes every demo row (and only those). While real
// records point at demo rows it removes nothing and shows the page (409)
// listing them, with what to do.
func (s *Server) handleDemoPurge(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "yes" {
		s.flash(r, "error", "demo.confirm_needed")
		s.redirect(w, r, route.Demo)
		return
	}
	n, err := s.db.PurgeDemo(r.Context(), webctx.Actor(r.Context()).ID)
	if err != nil {
		var inUse *postgres.DemoInUseError
		if errors.As(err, &inUse) { // the page lists what to fix (409)
			s.renderDemo(w, r, http.StatusConflict, inUse)
			return
		}
		if crm.ErrorCode(err) == crm.ECONFLICT {
			e := err.(*crm.Error)
			s.flash(r, "error", e.Message, e.Args...)
			s.redirect(w, r, route.Demo)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "demo.purged", n)
	s.redirect(w, r, route.Demo)
}
