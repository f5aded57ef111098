package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

func (s *Server) handleCustomers(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	f, tabs := customerFilter(r, a)
	customers, total, err := s.db.FindCustomers(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.CustomersProps{Customers: customers, Total: total, Filter: f, Tabs: tabs,
		CanCreate: crm.CanCreate(a, crm.ResCustomer),
		Bulk:      bulkActions(a, customers, func(c crm.Customer) int64 { return c.ID })}
	if p.Choices, err = s.customerChoices(r); err == nil {
		p.Lists, err = s.ownedListChoices(r, f.CampaignID, &p.Bulk)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.CustomersIndex(p))
}

// customerFilter reads the customer list's query string (tab, filters,
// sort, page) for a; the list and its export read it alike.
func customerFilter(r *http.Request, a crm.Actor) (crm.CustomerFilter, []crm.ListTab) {
	tabs := crm.ListTabs(a, crm.ResCustomer)
	var f crm.CustomerFilter
	f.Parse(r.URL.Query(), tabs)
	return f, tabs
}

// customerChoices loads the value lists of the customer filters and form
// (the campaigns are the list's or the form's own).
func (s *Server) customerChoices(r *http.Request) (views.CustomerChoices, error) {
	var c views.CustomerChoices
	opts, err := s.db.AllOptions(r.Context())
	if err != nil {
		return c, err
	}
	c.Levels, c.Industries, c.Sources = opts[crm.OptCustomerLevel], opts[crm.OptIndustry], opts[crm.OptSource]
	return c, nil
}

// filterCampaigns lists the campaigns a lead or customer list filters by:
// those the actor may view (keeping the one filtered by) and every
// campaign in progress, which anyone recording leads and customers picks
// from.
func (s *Server) filterCampaigns(r *http.Request, keep int64) ([]crm.Choice, error) {
	visible, err := s.db.CampaignChoices(r.Context(), webctx.Actor(r.Context()), keep)
	if err != nil {
		return nil, err
	}
	active, err := s.db.ActiveCampaignChoices(r.Context())
	if err != nil {
		return nil, err
	}
	for _, c := range active {
		if !slices.ContainsFunc(visible, func(v crm.Choice) bool { return v.ID == c.ID }) {
			visible = append(visible, c)
		}
	}
	return visible, nil
}

// renderCustomerForm renders the create/edit form with its pickers. The
// campaigns offered are those in progress, whatever the actor may view,
// and for an edit (current) the customer's own, however it ended.
func (s *Server) renderCustomerForm(w http.ResponseWriter, r *http.Request, status int, p views.CustomerFormProps, current *crm.Customer) {
	var err error
	if p.Choices, err = s.customerChoices(r); err != nil {
		s.fail(w, r, err)
		return
	}
	var keep int64
	if current != nil {
		keep = current.CampaignID
	}
	if p.Choices.Campaigns, err = s.db.ActiveCampaignChoices(r.Context(), keep); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.ID == 0 {
		if p.Owners, err = s.ownerChoices(r.Context(), webctx.Actor(r.Context()), crm.ResCustomer); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, views.CustomerForm(p))
}

func (s *Server) handleCustomerNew(w http.ResponseWriter, r *http.Request) {
	if !crm.CanCreate(webctx.Actor(r.Context()), crm.ResCustomer) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	s.renderCustomerForm(w, r, http.StatusOK, views.CustomerFormProps{Input: crm.CustomerInput{
		CampaignID: crm.ValueID(r.URL.Query(), "campaign")}}, nil)
}

// customerFields are a customer's stored values as its form's fields.
func customerFields(c crm.Customer) url.Values {
	return fields("name", c.Name, "level_id", fieldID(c.LevelID), "industry_id", fieldID(c.IndustryID),
		"source_id", fieldID(c.SourceID), "campaign_id", fieldID(c.CampaignID), "phone", c.Phone,
		"address", c.Address, "notes", c.Notes)
}

func customerInput(f *form) (crm.CustomerInput, error) {
	in := crm.CustomerInput{Name: f.text("name"), LevelID: f.id("level_id"), IndustryID: f.id("industry_id"),
		SourceID: f.id("source_id"), CampaignID: f.id("campaign_id"), Phone: f.text("phone"),
		Address: f.text("address"), Notes: f.text("notes")}
	return in, f.err(in.Validate())
}

// handleCustomerCreate adds a customer. When customers with the same name
// or phone exist (among those the user may view), the form comes back
// (409) with the matches and a "save anyway" button first.
func (s *Server) handleCustomerCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanCreate(a, crm.ResCustomer) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	f := newForm(r)
	in, err := customerInput(f)
	owner := f.text("owner")
	if !crm.CanCreateInPool(a, crm.ResCustomer) {
		owner = "" // the picker is not offered: the creator owns it
	}
	p := views.CustomerFormProps{Input: in, Owner: owner}
	if err != nil {
		p.Errors = crm.FieldErrors(err)
		s.renderCustomerForm(w, r, http.StatusUnprocessableEntity, p, nil)
		return
	}
	if !f.bool("confirm_duplicate") {
		dups, err := s.db.DuplicateCustomers(ctx, a, in.Name, in.Phone, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(dups) > 0 {
			p.Duplicates = dups
			s.renderCustomerForm(w, r, http.StatusConflict, p, nil)
			return
		}
	}
	id, err := s.db.CreateCustomer(ctx, a, in, parseOwner(owner))
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			if _, ok := fe["department_id"]; ok { // the pool picked is out of scope
				fe["owner_id"] = fe["department_id"]
			}
			p.Errors = fe
			s.renderCustomerForm(w, r, http.StatusUnprocessableEntity, p, nil)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "flash.created")
	s.redirect(w, r, route.Customer(id))
}

// customerByPath loads the customer of the URL that the actor may view
// (404 otherwise).
func (s *Server) customerByPath(w http.ResponseWriter, r *http.Request) (crm.Customer, bool) {
	id, err := pathID(r)
	if err == nil {
		var c crm.Customer
		if c, err = s.db.CustomerByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return c, true
		}
	}
	s.fail(w, r, err)
	return crm.Customer{}, false
}

// customerShowProps gathers a customer's page: the permissions the page
// shows as actions, contacts, follow-ups, collaborators and history.
func (s *Server) customerShowProps(r *http.Request, c crm.Customer) (views.CustomerShowProps, error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	rec := c.Record()
	p := views.CustomerShowProps{Customer: c,
		CanEdit: crm.CanUpdate(a, rec), CanDelete: crm.CanDelete(a, rec),
		CanCollaborators: crm.CanDo(a, crm.ActCollaborators, rec),
		CanAddContact:    crm.CanAddUnder(a, crm.ResContact, rec), CanFollowUp: crm.CanAddUnder(a, crm.ResFollowUp, rec),
		ShowFinance: crm.CanSeeArea(a, crm.AreaOrders), Primary: map[int64]bool{}}
	var err error
	if p.OwnerActions, err = s.ownerActions(ctx, a, rec); err != nil {
		return p, err
	}
	if p.Contacts, err = s.db.ContactsOfCustomer(ctx, a, c.ID); err != nil {
		return p, err
	}
	for _, ct := range p.Contacts.Rows {
		ct.Collaborators = c.Collaborators
		p.Primary[ct.ID] = !ct.IsPrimary && crm.CanUpdate(a, ct.Record())
	}
	if p.FollowUps, err = s.db.FollowUpsOf(ctx, a, 0, c.ID); err != nil {
		return p, err
	}
	if p.Collaborators, err = s.db.Collaborators(ctx, c.ID); err != nil {
		return p, err
	}
	p.CanAddDeals = crm.CanAddUnder(a, crm.ResOpportunity, rec)
	if p.Opportunities, err = s.db.OpportunitiesOf(ctx, a, c.ID); err != nil {
		return p, err
	}
	if p.ShowFinance {
		if p.Quotes, err = s.db.QuotesOf(ctx, a, c.ID); err != nil {
			return p, err
		}
		if p.Orders, err = s.db.OrdersOf(ctx, a, c.ID); err != nil {
			return p, err
		}
		if p.Payments, err = s.db.PaymentsOf(ctx, a, c.ID); err != nil {
			return p, err
		}
		if p.Invoices, err = s.db.InvoicesOf(ctx, a, c.ID); err != nil {
			return p, err
		}
	}
	if p.History, err = s.db.History(ctx, crm.ResCustomer, c.ID); err != nil {
		return p, err
	}
	if p.CanFollowUp {
		if p.Methods, err = s.db.Options(ctx, crm.OptFollowUpMethod); err != nil {
			return p, err
		}
	}
	if p.CanCollaborators {
		emps, err := s.db.ActiveEmployees(ctx)
		if err != nil {
			return p, err
		}
		for _, e := range emps {
			if e.ID != c.OwnerID && !slices.Contains(c.Collaborators, e.ID) {
				p.Candidates = append(p.Candidates, e)
			}
		}
	}
	return p, nil
}

func (s *Server) handleCustomer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.customerByPath(w, r)
	if !ok {
		return
	}
	p, err := s.customerShowProps(r, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.CustomerShow(p))
}

// renderCustomerFollowUpErrors re-renders a customer's page with the
// quick follow-up form showing the input and its problems (422), for the
// follow-up handler when a follow-up logged from a customer's page is
// invalid.
func (s *Server) renderCustomerFollowUpErrors(w http.ResponseWriter, r *http.Request, customerID int64, in crm.FollowUpInput, errs map[string]string) {
	c, err := s.db.CustomerByID(r.Context(), webctx.Actor(r.Context()), customerID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.customerShowProps(r, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.FollowUpInput, p.FollowUpErrors = in, errs
	s.render(w, r, http.StatusUnprocessableEntity, views.CustomerShow(p))
}

func (s *Server) handleCustomerEdit(w http.ResponseWriter, r *http.Request) {
	c, ok := s.customerByPath(w, r)
	if !ok {
		return
	}
	if !crm.CanUpdate(webctx.Actor(r.Context()), c.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	s.renderCustomerForm(w, r, http.StatusOK, views.CustomerFormProps{ID: c.ID, Input: crm.CustomerInput{
		Name: c.Name, LevelID: c.LevelID, IndustryID: c.IndustryID, SourceID: c.SourceID, CampaignID: c.CampaignID,
		Phone: c.Phone, Address: c.Address, Notes: c.Notes}}, &c)
}

func (s *Server) handleCustomerUpdate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.customerByPath(w, r)
	if !ok {
		return
	}
	a := webctx.Actor(r.Context())
	if !crm.CanUpdate(a, c.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	in, err := customerInput(editForm(r, customerFields(c)))
	if err == nil {
		err = s.db.UpdateCustomer(r.Context(), a, c.ID, in)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			s.renderCustomerForm(w, r, http.StatusUnprocessableEntity, views.CustomerFormProps{ID: c.ID, Input: in, Errors: fe}, &c)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "flash.saved")
	s.redirect(w, r, route.Customer(c.ID))
}

// handleCustomerDelete deletes a customer with its contacts and
// follow-ups; one that other records refer to is refused (409, saying why).
func (s *Server) handleCustomerDelete(w http.ResponseWriter, r *http.Request) {
	s.recordPost(w, r, s.db.DeleteCustomer, "flash.deleted", func(int64) string { return route.Customers })
}

// handleCustomerAction claims, releases or assigns one customer.
func (s *Server) handleCustomerAction(act crm.Action) http.HandlerFunc {
	return s.handleOwnerAction(customersOwned, act)
}

// handleCustomerBulk claims, releases or assigns the selected customers.
func (s *Server) handleCustomerBulk(w http.ResponseWriter, r *http.Request) {
	s.handleOwnerBulk(customersOwned)(w, r)
}

// handleCollaboratorAdd makes an employee a collaborator of the customer.
// A bad choice (inactive, the owner) re-renders the page with the message
// next to the picker (422).
func (s *Server) handleCollaboratorAdd(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var v crm.Invalid
	employee := formID(r, "employee_id", &v)
	if employee == 0 {
		v.Add("employee_id", "error.required")
	}
	err = v.Err()
	if err == nil {
		err = s.db.AddCollaborator(ctx, a, id, employee)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil && crm.ErrorCode(err) == crm.EINVALID {
			// Only a viewer with the right gets here with a field error;
			// others were answered 404/403 by the checks above.
			c, cerr := s.db.CustomerByID(ctx, a, id)
			if cerr != nil {
				s.fail(w, r, cerr)
				return
			}
			if !crm.CanDo(a, crm.ActCollaborators, c.Record()) {
				s.fail(w, r, crm.ErrForbidden)
				return
			}
			p, perr := s.customerShowProps(r, c)
			if perr != nil {
				s.fail(w, r, perr)
				return
			}
			p.CollaboratorError = fe["employee_id"]
			s.render(w, r, http.StatusUnprocessableEntity, views.CustomerShow(p))
			return
		}
		s.fail(w, r, err)
		return
	}
	e, _ := s.db.EmployeeByID(ctx, employee)
	s.flash(r, "ok", "customer.collaborator_added", e.Name)
	s.redirect(w, r, route.Section(route.Customer(id), "collaborators"))
}

// handleCollaboratorRemove ends an employee's collaboration on the customer.
func (s *Server) handleCollaboratorRemove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	employee, err := strconv.ParseInt(chi.URLParam(r, "employeeID"), 10, 64)
	if err != nil || employee <= 0 {
		s.fail(w, r, crm.ErrNotFound)
		return
	}
	if err := s.db.RemoveCollaborator(ctx, webctx.Actor(ctx), id, employee); err != nil {
		s.fail(w, r, err)
		return
	}
	e, _ := s.db.EmployeeByID(ctx, employee)
	s.flash(r, "ok", "customer.collaborator_gone", e.Name)
	s.redirect(w, r, route.Section(route.Customer(id), "collaborators"))
}
