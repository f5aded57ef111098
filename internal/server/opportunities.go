package server

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Opportunities (销售机会, SPEC §4): the list, the kanban board
// (?view=board) whose cards move between stages by drag and drop
// (web/static/js/board.js) or by a small form on each card, and each
// opportunity's page with its follow-ups, quotes and orders. Storage
// answers ENOTFOUND for an opportunity the actor may not view, so every
// route below says 404 for it; marketing and finance view (rules 1, 2) and
// change nothing (403).

// listFilter reads the filter F of a list of res from the query string,
// with the tabs a has on it; a list and its export read it alike.
func listFilter[F any, P interface {
	*F
	Parse(url.Values, []crm.ListTab)
}](r *http.Request, a crm.Actor, res crm.Resource) (F, []crm.ListTab) {
	tabs := crm.ListTabs(a, res)
	var f F
	P(&f).Parse(r.URL.Query(), tabs)
	return f, tabs
}

func (s *Server) handleOpportunities(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("view") == "board" {
		s.handleOpportunityBoard(w, r)
		return
	}
	ctx := r.Context()
	a := webctx.Actor(ctx)
	f, tabs := listFilter[crm.OpportunityFilter](r, a, crm.ResOpportunity)
	names, err := s.filterNames(ctx, 0, f.DepartmentID)
	if err == nil {
		_, err = s.listParents(ctx, a, f.Parents(), &names)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, total, err := s.db.FindOpportunities(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.OpportunitiesProps{Opportunities: list, Total: total, Filter: f, Tabs: tabs,
		CanCreate: crm.CanCreate(a, crm.ResOpportunity), Names: names}
	if p.Owners, err = s.db.ActiveEmployees(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.OpportunitiesIndex(p))
}

// handleOpportunityBoard serves the kanban board: the page, or for htmx
// and board.js (HX-Request) the board alone, which they swap in after a
// card was moved so that counts and sums are current.
func (s *Server) handleOpportunityBoard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	f, tabs := listFilter[crm.BoardFilter](r, a, crm.ResOpportunity)
	var names views.FilterNames
	if _, err := s.listParents(ctx, a, f.Parents(), &names); err != nil {
		s.fail(w, r, err)
		return
	}
	cols, err := s.db.Board(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.BoardProps{Columns: cols, Filter: f, Tabs: tabs, CanCreate: crm.CanCreate(a, crm.ResOpportunity),
		Movable: map[int64]bool{}, Names: names}
	for _, c := range cols {
		for _, o := range c.Cards {
			// Collaborators are not loaded for cards: they only ever read,
			// so the answer does not depend on them.
			p.Movable[o.ID] = crm.CanUpdate(a, o.Record())
		}
	}
	if r.Header.Get("HX-Request") != "" {
		s.render(w, r, http.StatusOK, views.OpportunityBoard(p))
		return
	}
	if p.Owners, err = s.db.ActiveEmployees(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.OpportunityBoardPage(p))
}

// opportunityFormFor fills the customer part of a new opportunity's form:
// the customer chosen (which a must view: 404 otherwise, and may add
// opportunities under: 403 otherwise), or the picker of customers matching
// the search.
func (s *Server) opportunityFormFor(r *http.Request, p *views.OpportunityFormProps, customerID int64, search string) error {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if customerID != 0 {
		c, err := s.db.CustomerByID(ctx, a, customerID)
		if err != nil {
			return err
		}
		if !crm.CanAddUnder(a, crm.ResOpportunity, c.Record()) {
			return crm.ErrForbidden
		}
		p.CustomerName = c.Name
		p.Values.CustomerID = strconv.FormatInt(c.ID, 10)
		return nil
	}
	var err error
	p.CustomerQuery = search
	p.Customers, err = s.db.CustomerChoices(ctx, a, search)
	return err
}

func (s *Server) handleOpportunityNew(w http.ResponseWriter, r *http.Request) {
	if !crm.CanCreate(webctx.Actor(r.Context()), crm.ResOpportunity) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	p := views.OpportunityFormProps{Values: views.OpportunityFormValues{Stage: string(crm.StageInitial)}}
	if err := s.opportunityFormFor(r, &p, queryID(r, "customer"), r.URL.Query().Get("customer_q")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.OpportunityForm(p))
}

// opportunityInput reads the posted form: the typed input for the domain,
// the values as typed for a re-render, and every problem found on the way.
// customerID, when not 0, is the opportunity's customer (an edit: the form
// does not carry it, and it never changes).
func opportunityInput(f *form, customerID int64) (crm.OpportunityInput, views.OpportunityFormValues, error) {
	in := crm.OpportunityInput{Name: f.text("name"), CustomerID: customerID, Stage: crm.OppStage(f.text("stage")),
		ExpectedAmount: f.money("expected_amount"), ExpectedClose: f.date("expected_close"), Notes: f.text("notes")}
	if customerID == 0 {
		in.CustomerID = f.id("customer_id")
	}
	v := views.OpportunityFormValues{Name: f.text("name"), CustomerID: strconv.FormatInt(in.CustomerID, 10),
		Stage: f.text("stage"), ExpectedAmount: f.text("expected_amount"), ExpectedClose: f.text("expected_close"),
		Notes: f.text("notes")}
	if in.CustomerID == 0 {
		v.CustomerID = ""
	}
	return in, v, f.err(in.Validate())
}

// handleOpportunityCreate adds an opportunity under a customer the actor
// may update and goes to its page. Bad input re-renders the form (422); a
// customer the actor may not view answers 404, one they may not add under
// 403.
func (s *Server) handleOpportunityCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanCreate(a, crm.ResOpportunity) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	in, values, err := opportunityInput(newForm(r), 0)
	var id int64
	if err == nil {
		id, err = s.db.CreateOpportunity(ctx, a, in)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			p := views.OpportunityFormProps{Values: values, Errors: fe}
			if ferr := s.opportunityFormFor(r, &p, in.CustomerID, ""); ferr != nil {
				s.fail(w, r, ferr)
				return
			}
			s.render(w, r, http.StatusUnprocessableEntity, views.OpportunityForm(p))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "opportunity.created", in.Name)
	s.redirect(w, r, route.Opportunity(id))
}

// opportunityByPath loads the opportunity of the URL that the actor may
// view (404 otherwise), answering the request itself on failure.
func (s *Server) opportunityByPath(w http.ResponseWriter, r *http.Request) (crm.Opportunity, bool) {
	id, err := pathID(r)
	if err == nil {
		var o crm.Opportunity
		if o, err = s.db.OpportunityByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return o, true
		}
	}
	s.fail(w, r, err)
	return crm.Opportunity{}, false
}

// editableOpportunity loads the opportunity of the URL for a change: 404
// unless the actor may view it, 403 unless they may update it.
func (s *Server) editableOpportunity(w http.ResponseWriter, r *http.Request) (crm.Opportunity, bool) {
	o, ok := s.opportunityByPath(w, r)
	if ok && !crm.CanUpdate(webctx.Actor(r.Context()), o.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return o, false
	}
	return o, ok
}

// opportunityShowProps gathers an opportunity's page: the permissions the
// page shows as actions, follow-ups, history.
func (s *Server) opportunityShowProps(r *http.Request, o crm.Opportunity) (views.OpportunityShowProps, error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	rec := o.Record()
	p := views.OpportunityShowProps{Opportunity: o, Now: time.Now(),
		CanEdit: crm.CanUpdate(a, rec), CanDelete: crm.CanDelete(a, rec),
		CanFollowUp: crm.CanAddUnder(a, crm.ResFollowUp, rec),
		ShowDeals:   crm.CanSeeArea(a, crm.AreaQuotes) && crm.CanSeeArea(a, crm.AreaOrders),
		CanQuote:    crm.CanCreate(a, crm.ResQuote)}
	var err error
	if p.FollowUps, err = s.db.OpportunityFollowUps(ctx, a, o.ID); err != nil {
		return p, err
	}
	if p.History, err = s.db.History(ctx, crm.ResOpportunity, o.ID); err != nil {
		return p, err
	}
	if p.CanFollowUp {
		if p.Methods, err = s.db.Options(ctx, crm.OptFollowUpMethod); err != nil {
			return p, err
		}
	}
	if p.ShowDeals {
		if p.Quotes, err = s.db.QuotesOfOpportunity(ctx, a, o.ID); err != nil {
			return p, err
		}
		if p.Orders, err = s.db.OrdersOfOpportunity(ctx, a, o.ID); err != nil {
			return p, err
		}
	}
	return p, nil
}

// renderOpportunityShow renders an opportunity's page; edit sets what a
// refused action or an invalid follow-up adds to it.
func (s *Server) renderOpportunityShow(w http.ResponseWriter, r *http.Request, status int, o crm.Opportunity, edit func(*views.OpportunityShowProps)) {
	p, err := s.opportunityShowProps(r, o)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if edit != nil {
		edit(&p)
	}
	s.render(w, r, status, views.OpportunityShow(p))
}

func (s *Server) handleOpportunity(w http.ResponseWriter, r *http.Request) {
	o, ok := s.opportunityByPath(w, r)
	if !ok {
		return
	}
	s.renderOpportunityShow(w, r, http.StatusOK, o, nil)
}

func (s *Server) handleOpportunityEdit(w http.ResponseWriter, r *http.Request) {
	o, ok := s.editableOpportunity(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, views.OpportunityForm(views.OpportunityFormProps{ID: o.ID, Name: o.Name,
		Values: views.OpportunityValues(o), CustomerName: o.Parent.Name}))
}

func (s *Server) handleOpportunityUpdate(w http.ResponseWriter, r *http.Request) {
	o, ok := s.editableOpportunity(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := views.OpportunityValues(o)
	in, values, err := opportunityInput(editForm(r, fields("name", v.Name, "stage", v.Stage,
		"expected_amount", v.ExpectedAmount, "expected_close", v.ExpectedClose, "notes", v.Notes)), o.CustomerID)
	if err == nil {
		err = s.db.UpdateOpportunity(ctx, webctx.Actor(ctx), o.ID, in)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			s.render(w, r, http.StatusUnprocessableEntity, views.OpportunityForm(views.OpportunityFormProps{ID: o.ID,
				Name: o.Name, Values: values, CustomerName: o.Parent.Name, Errors: fe}))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "opportunity.saved", in.Name)
	s.redirect(w, r, route.Opportunity(o.ID))
}

// handleOpportunityDelete deletes an opportunity with its follow-ups; while
// quotes or orders refer to it the page comes back with the reason (409).
func (s *Server) handleOpportunityDelete(w http.ResponseWriter, r *http.Request) {
	o, ok := s.opportunityByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if !crm.CanDelete(webctx.Actor(ctx), o.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	if err := s.db.DeleteOpportunity(ctx, webctx.Actor(ctx), o.ID); err != nil {
		if crm.ErrorCode(err) == crm.ECONFLICT {
			e := err.(*crm.Error)
			s.renderOpportunityShow(w, r, http.StatusConflict, o, func(p *views.OpportunityShowProps) {
				p.Error, p.ErrorArgs = e.Message, e.Args
			})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "opportunity.deleted", o.Name)
	s.redirect(w, r, route.Opportunities)
}

// handleOpportunityStage moves an opportunity to the posted stage: from a
// card's form or the detail page (303 to the form's "back" or the
// detail), or from board.js after a drop (HX-Request: 204, or the error's
// status with its message as text, which board.js shows before putting the
// card back).
func (s *Server) handleOpportunityStage(w http.ResponseWriter, r *http.Request) {
	o, ok := s.opportunityByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	stage := crm.OppStage(r.PostFormValue("stage"))
	if err := s.db.SetStage(ctx, webctx.Actor(ctx), o.ID, stage); err != nil {
		s.actionFailed(w, r, err)
		return
	}
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.flash(r, "ok", "opportunity.stage_changed", o.Name, msgKey("opportunity.stage."+string(stage)))
	s.redirect(w, r, backOr(r, route.Opportunity(o.ID)))
}

// handleOpportunityFollowUpCreate logs a follow-up from an opportunity's
// page (POST /follow-ups with opportunity_id): 404 unless the actor may
// view the opportunity, 403 unless they may update it; bad input
// re-renders the opportunity's page with the messages (422).
func (s *Server) handleOpportunityFollowUpCreate(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	o, err := s.db.OpportunityByID(ctx, a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !crm.CanAddUnder(a, crm.ResFollowUp, o.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	// The parent is the opportunity (and so its customer), whatever else
	// the form says.
	_ = r.ParseForm()
	r.PostForm.Del("lead_id")
	r.PostForm.Set("customer_id", strconv.FormatInt(o.CustomerID, 10))
	in, err := followUpInput(newForm(r))
	if err == nil {
		_, err = s.db.CreateOpportunityFollowUp(ctx, a, o.ID, in)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil && crm.ErrorCode(err) == crm.EINVALID {
			s.renderOpportunityShow(w, r, http.StatusUnprocessableEntity, o, func(p *views.OpportunityShowProps) {
				p.FollowUpErrors, p.FollowUpInput = fe, in
			})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "followup.added")
	s.redirect(w, r, backOr(r, route.Opportunity(o.ID))+"#follow-ups")
}
