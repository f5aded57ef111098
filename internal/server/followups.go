package server

import (
	"net/http"
	"strconv"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

func (s *Server) handleFollowUps(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	f, tabs := followUpFilter(r, a)
	list, total, err := s.db.FindFollowUps(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.FollowUpsProps{FollowUps: list, Total: total, Filter: f, Tabs: tabs, Editable: map[int64]bool{}}
	for _, fu := range list {
		p.Editable[fu.ID] = crm.CanUpdate(a, fu.Record())
	}
	if p.Methods, err = s.db.Options(ctx, crm.OptFollowUpMethod); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Owners, err = s.db.ActiveEmployees(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Names, err = s.filterNames(ctx, 0, f.DepartmentID); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err = s.listParents(ctx, a, f.Parents(), &p.Names); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.FollowUpsIndex(p))
}

// followUpFilter reads the follow-up list's query string (tab, filters,
// sort, page) for a; the list and its export read it alike.
func followUpFilter(r *http.Request, a crm.Actor) (crm.FollowUpFilter, []crm.ListTab) {
	tabs := crm.ListTabs(a, crm.ResFollowUp)
	var f crm.FollowUpFilter
	f.Parse(r.URL.Query(), tabs)
	return f, tabs
}

func followUpInput(f *form) (crm.FollowUpInput, error) {
	in := crm.FollowUpInput{LeadID: f.id("lead_id"), CustomerID: f.id("customer_id"), MethodID: f.id("method_id"),
		Content: f.text("content"), NextAt: f.dateTime("next_at")}
	if t := f.dateTime("followed_at"); t != nil {
		in.FollowedAt = *t
	}
	return in, f.err(in.Validate())
}

// handleFollowUpCreate logs a follow-up from a lead's, customer's or
// opportunity's page. Bad input re-renders that page with the messages
// (422).
func (s *Server) handleFollowUpCreate(w http.ResponseWriter, r *http.Request) {
	if id := formID(r, "opportunity_id", &crm.Invalid{}); id != 0 {
		s.handleOpportunityFollowUpCreate(w, r, id)
		return
	}
	ctx := r.Context()
	a := webctx.Actor(ctx)
	f := newForm(r)
	in, err := followUpInput(f)
	if err == nil {
		_, err = s.db.CreateFollowUp(ctx, a, in)
	}
	back := route.FollowUps
	if in.LeadID != 0 {
		back = route.Lead(in.LeadID)
	} else if in.CustomerID != 0 {
		back = route.Customer(in.CustomerID)
	}
	if err != nil {
		fe := crm.FieldErrors(err)
		if fe == nil || (in.LeadID == 0 && in.CustomerID == 0) {
			s.actionFailed(w, r, err)
			return
		}
		if in.CustomerID != 0 {
			s.renderCustomerFollowUpErrors(w, r, in.CustomerID, in, fe)
			return
		}
		l, lerr := s.db.LeadByID(ctx, a, in.LeadID)
		if lerr != nil {
			s.fail(w, r, lerr)
			return
		}
		p, perr := s.leadShowProps(r, l)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		p.FollowUpErrors, p.FollowUpInput = fe, in
		s.render(w, r, http.StatusUnprocessableEntity, views.LeadShow(p))
		return
	}
	if r.Header.Get("HX-Request") != "" {
		// htmx posted the quick form: it follows the redirect to the
		// record's page and swaps in the page's content (status, figures,
		// timeline with the new entry on top) without reloading the shell.
		http.Redirect(w, r, backOr(r, back), http.StatusSeeOther)
		return
	}
	s.flash(r, "ok", "followup.added")
	s.redirect(w, r, route.Section(backOr(r, back), "follow-ups"))
}

func (s *Server) followUpByPath(w http.ResponseWriter, r *http.Request) (crm.FollowUp, bool) {
	id, err := pathID(r)
	if err == nil {
		var f crm.FollowUp
		if f, err = s.db.FollowUpByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return f, true
		}
	}
	s.fail(w, r, err)
	return crm.FollowUp{}, false
}

func (s *Server) renderFollowUpForm(w http.ResponseWriter, r *http.Request, status int, fu crm.FollowUp, in crm.FollowUpInput, errs map[string]string) {
	methods, err := s.db.Options(r.Context(), crm.OptFollowUpMethod)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	parentURL := route.Customer(fu.CustomerID)
	if fu.LeadID != 0 {
		parentURL = route.Lead(fu.LeadID)
	}
	s.render(w, r, status, views.FollowUpForm(views.FollowUpFormProps{ID: fu.ID, Parent: fu.Parent.Name, ParentURL: parentURL,
		LeadID: fu.LeadID, CustomerID: fu.CustomerID, Input: in, Methods: methods, Errors: errs,
		CanDelete: crm.CanDelete(webctx.Actor(r.Context()), fu.Record())}))
}

func (s *Server) handleFollowUpEdit(w http.ResponseWriter, r *http.Request) {
	fu, ok := s.followUpByPath(w, r)
	if !ok {
		return
	}
	if !crm.CanUpdate(webctx.Actor(r.Context()), fu.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	s.renderFollowUpForm(w, r, http.StatusOK, fu, crm.FollowUpInput{LeadID: fu.LeadID, CustomerID: fu.CustomerID,
		MethodID: fu.MethodID, Content: fu.Content, FollowedAt: fu.FollowedAt, NextAt: fu.NextAt}, nil)
}

func (s *Server) handleFollowUpUpdate(w http.ResponseWriter, r *http.Request) {
	fu, ok := s.followUpByPath(w, r)
	if !ok {
		return
	}
	a := webctx.Actor(r.Context())
	if !crm.CanUpdate(a, fu.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	// The parent never changes: take it from the record, not the form.
	_ = r.ParseForm()
	r.PostForm.Del("lead_id")
	r.PostForm.Del("customer_id")
	if fu.LeadID != 0 {
		r.PostForm.Set("lead_id", strconv.FormatInt(fu.LeadID, 10))
	} else {
		r.PostForm.Set("customer_id", strconv.FormatInt(fu.CustomerID, 10))
	}
	in, err := followUpInput(editForm(r, fields("method_id", fieldID(fu.MethodID), "content", fu.Content,
		"followed_at", fieldMoment(&fu.FollowedAt), "next_at", fieldMoment(fu.NextAt))))
	if err == nil {
		err = s.db.UpdateFollowUp(r.Context(), a, fu.ID, in)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			s.renderFollowUpForm(w, r, http.StatusUnprocessableEntity, fu, in, fe)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "flash.saved")
	if fu.LeadID != 0 {
		s.redirect(w, r, route.Section(route.Lead(fu.LeadID), "follow-ups"))
		return
	}
	s.redirect(w, r, route.Section(route.Customer(fu.CustomerID), "follow-ups"))
}

func (s *Server) handleFollowUpDelete(w http.ResponseWriter, r *http.Request) {
	s.recordPost(w, r, s.db.DeleteFollowUp, "flash.deleted", func(int64) string { return route.FollowUps })
}
