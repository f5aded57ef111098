package server

import (
	"net/http"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Campaigns (市场活动, SPEC §4): list, create, detail with figures and
// history, edit, delete. The crm policy answers who may do what; storage
// answers ENOTFOUND for a campaign the actor may not view, so every route
// below says 404 for it without asking.

func (s *Server) handleCampaigns(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	f, tabs := campaignFilter(r, a)
	campaigns, total, err := s.db.FindCampaigns(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	types, err := s.db.Options(ctx, crm.OptCampaignType)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.CampaignsIndex(views.CampaignsProps{Campaigns: campaigns, Total: total,
		Filter: f, Tabs: tabs, Types: types, CanCreate: crm.CanCreate(a, crm.ResCampaign)}))
}

// campaignFilter reads the campaign list's query string (tab, filters,
// sort, page) for a; the list and its export read it alike.
func campaignFilter(r *http.Request, a crm.Actor) (crm.CampaignFilter, []crm.ListTab) {
	tabs := crm.ListTabs(a, crm.ResCampaign)
	var f crm.CampaignFilter
	f.Parse(r.URL.Query(), tabs)
	if !postgres.CampaignSortable(f.Sort) {
		f.Sort, f.Desc = "", false
	}
	return f, tabs
}

// campaignByPath loads the campaign of the URL (404 when the actor may not
// view it), answering the request itself on failure.
func (s *Server) campaignByPath(w http.ResponseWriter, r *http.Request) (crm.Campaign, bool) {
	id, err := pathID(r)
	if err == nil {
		var c crm.Campaign
		if c, err = s.db.CampaignByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return c, true
		}
	}
	s.fail(w, r, err)
	return crm.Campaign{}, false
}

func (s *Server) handleCampaign(w http.ResponseWriter, r *http.Request) {
	c, ok := s.campaignByPath(w, r)
	if !ok {
		return
	}
	s.renderCampaignShow(w, r, http.StatusOK, views.CampaignShowProps{Campaign: c})
}

// renderCampaignShow renders a campaign's page with its history; p carries
// the campaign and, after a refused delete, the message.
func (s *Server) renderCampaignShow(w http.ResponseWriter, r *http.Request, status int, p views.CampaignShowProps) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	var err error
	if p.History, err = s.db.History(ctx, crm.ResCampaign, p.Campaign.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Types, err = s.db.Options(ctx, crm.OptCampaignType); err != nil {
		s.fail(w, r, err)
		return
	}
	p.CanEdit = crm.CanUpdate(a, p.Campaign.Record())
	p.CanDelete = crm.CanDelete(a, p.Campaign.Record())
	s.render(w, r, status, views.CampaignShow(p))
}

// handleCampaignHistory serves a campaign's history alone: the panel for
// htmx, a page otherwise.
func (s *Server) handleCampaignHistory(w http.ResponseWriter, r *http.Request) {
	c, ok := s.campaignByPath(w, r)
	if !ok {
		return
	}
	hist, err := s.db.History(r.Context(), crm.ResCampaign, c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.Header.Get("HX-Request") != "" {
		s.render(w, r, http.StatusOK, views.History(hist))
		return
	}
	s.render(w, r, http.StatusOK, views.CampaignHistory(c, hist))
}

// renderCampaignForm renders the create (p.ID 0) or edit form with its
// choices: campaign types and, when p.CanAssign, the employees the actor may
// make owner (crm.CanAssignTo in SQL); the picker shows only if there are
// any — for a new campaign that is the whole test, as marketing assigns to
// nobody.
func (s *Server) renderCampaignForm(w http.ResponseWriter, r *http.Request, status int, p views.CampaignFormProps) {
	ctx := r.Context()
	var err error
	if p.Types, err = s.db.Options(ctx, crm.OptCampaignType); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.CanAssign {
		if p.Owners, err = s.db.Assignees(ctx, webctx.Actor(ctx)); err != nil {
			s.fail(w, r, err)
			return
		}
		p.CanAssign = len(p.Owners) > 0
	}
	s.render(w, r, status, views.CampaignForm(p))
}

func (s *Server) handleCampaignNew(w http.ResponseWriter, r *http.Request) {
	a := webctx.Actor(r.Context())
	if !crm.CanCreate(a, crm.ResCampaign) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	s.renderCampaignForm(w, r, http.StatusOK, views.CampaignFormProps{
		Values:    views.CampaignFormValues{Status: string(crm.CampaignPlanned)},
		CanAssign: true})
}

// campaignInput reads the posted form: the typed input for the domain, the
// values as typed for a re-render, and every problem found on the way.
func campaignInput(f *form) (crm.CampaignInput, views.CampaignFormValues, error) {
	in := crm.CampaignInput{Name: f.text("name"), TypeID: f.id("type_id"), Status: crm.CampaignStatus(f.text("status")),
		StartDate: f.date("start_date"), EndDate: f.date("end_date"), Budget: f.money("budget"),
		ActualCost: f.money("actual_cost"), Description: f.text("description"), OwnerID: f.id("owner_id")}
	v := views.CampaignFormValues{Name: f.text("name"), TypeID: f.text("type_id"), Status: f.text("status"),
		StartDate: f.text("start_date"), EndDate: f.text("end_date"), Budget: f.text("budget"),
		ActualCost: f.text("actual_cost"), Description: f.text("description"), OwnerID: f.text("owner_id")}
	return in, v, f.err(in.Validate())
}

// campaignFailure re-renders the form (422) for field errors — bad input,
// or a storage refusal naming a field — and answers the rest with its page.
func (s *Server) campaignFailure(w http.ResponseWriter, r *http.Request, p views.CampaignFormProps, err error) {
	if f := crm.FieldErrors(err); f != nil {
		p.Errors = f
		s.renderCampaignForm(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	s.fail(w, r, err)
}

func (s *Server) handleCampaignCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanCreate(a, crm.ResCampaign) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	in, values, err := campaignInput(newForm(r))
	var id int64
	if err == nil {
		id, err = s.db.CreateCampaign(ctx, a, in)
	}
	if err != nil {
		s.campaignFailure(w, r, views.CampaignFormProps{Values: values, CanAssign: true}, err)
		return
	}
	s.flash(r, "ok", "campaign.created", in.Name)
	s.redirect(w, r, route.Campaign(id))
}

// editableCampaign loads the campaign of the URL for a change: 404 unless
// the actor may view it, 403 unless they may update it.
func (s *Server) editableCampaign(w http.ResponseWriter, r *http.Request) (crm.Campaign, bool) {
	c, ok := s.campaignByPath(w, r)
	if ok && !crm.CanUpdate(webctx.Actor(r.Context()), c.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return c, false
	}
	return c, ok
}

// editProps are the edit form's props for c.
func editProps(a crm.Actor, c crm.Campaign, values views.CampaignFormValues) views.CampaignFormProps {
	return views.CampaignFormProps{ID: c.ID, Name: c.Name, Values: values,
		CanAssign: crm.CanDo(a, crm.ActAssign, c.Record()), OwnerName: c.OwnerName}
}

func (s *Server) handleCampaignEdit(w http.ResponseWriter, r *http.Request) {
	c, ok := s.editableCampaign(w, r)
	if !ok {
		return
	}
	s.renderCampaignForm(w, r, http.StatusOK, editProps(webctx.Actor(r.Context()), c, views.CampaignValues(c)))
}

func (s *Server) handleCampaignUpdate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.editableCampaign(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	a := webctx.Actor(ctx)
	v := views.CampaignValues(c)
	in, values, err := campaignInput(editForm(r, fields("name", v.Name, "type_id", v.TypeID, "status", v.Status,
		"start_date", v.StartDate, "end_date", v.EndDate, "budget", v.Budget, "actual_cost", v.ActualCost,
		"description", v.Description, "owner_id", fieldID(c.OwnerID))))
	if err == nil {
		err = s.db.UpdateCampaign(ctx, a, c.ID, in)
	}
	if err != nil {
		s.campaignFailure(w, r, editProps(a, c, values), err)
		return
	}
	s.flash(r, "ok", "campaign.saved", in.Name)
	s.redirect(w, r, route.Campaign(c.ID))
}

// handleCampaignDelete deletes a campaign no lead or customer refers to; a
// refusal shows the campaign's page with the reason (409).
func (s *Server) handleCampaignDelete(w http.ResponseWriter, r *http.Request) {
	c, ok := s.campaignByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if !crm.CanDelete(webctx.Actor(ctx), c.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	if err := s.db.DeleteCampaign(ctx, webctx.Actor(ctx), c.ID); err != nil {
		if crm.ErrorCode(err) == crm.ECONFLICT {
			e := err.(*crm.Error)
			s.renderCampaignShow(w, r, http.StatusConflict, views.CampaignShowProps{Campaign: c, Error: e.Message, ErrorArgs: e.Args})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "campaign.deleted", c.Name)
	s.redirect(w, r, route.Campaigns)
}
