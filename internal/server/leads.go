package server

import (
	"net/http"
	"net/url"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

func (s *Server) handleLeads(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	f, tabs := leadFilter(r, a)
	leads, total, err := s.db.FindLeads(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.LeadsProps{Leads: leads, Total: total, Filter: f, Tabs: tabs,
		CanCreate: crm.CanCreate(a, crm.ResLead), Bulk: bulkActions(a, leads, func(l crm.Lead) int64 { return l.ID })}
	if p.Sources, err = s.db.Options(ctx, crm.OptSource); err == nil {
		p.Lists, err = s.ownedListChoices(r, f.CampaignID, &p.Bulk)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.LeadsIndex(p))
}

// leadFilter reads the lead list's query string (tab, filters, sort,
// page) for a; the list and its export read it alike.
func leadFilter(r *http.Request, a crm.Actor) (crm.LeadFilter, []crm.ListTab) {
	tabs := crm.ListTabs(a, crm.ResLead)
	var f crm.LeadFilter
	f.Parse(r.URL.Query(), tabs)
	return f, tabs
}

// renderLeadForm renders the create/edit form with its pickers. The
// campaigns offered are those in progress, whatever the actor may view,
// and for an edit the lead's own (p.Kept), however it ended.
func (s *Server) renderLeadForm(w http.ResponseWriter, r *http.Request, status int, p views.LeadFormProps) {
	var err error
	if p.Sources, err = s.db.Options(r.Context(), crm.OptSource); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Campaigns, err = s.db.ActiveCampaignChoices(r.Context(), p.Kept.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.ID == 0 {
		owners, err := s.ownerChoices(r.Context(), webctx.Actor(r.Context()), crm.ResLead)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Owners = owners
	}
	s.render(w, r, status, views.LeadForm(p))
}

func (s *Server) handleLeadNew(w http.ResponseWriter, r *http.Request) {
	if !crm.CanCreate(webctx.Actor(r.Context()), crm.ResLead) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	s.renderLeadForm(w, r, http.StatusOK, views.LeadFormProps{Input: crm.LeadInput{Status: crm.LeadNew,
		CampaignID: crm.ValueID(r.URL.Query(), "campaign")}})
}

// leadFields are a lead's stored values as its form's fields.
func leadFields(l crm.Lead) url.Values {
	return fields("name", l.Name, "company", l.Company, "title", l.Title, "phone", l.Phone, "email", l.Email,
		"source_id", fieldID(l.SourceID), "campaign_id", fieldID(l.CampaignID), "status", string(l.Status),
		"notes", l.Notes, "next_follow_up_at", fieldMoment(l.NextFollowUpAt))
}

func leadInput(f *form) (crm.LeadInput, error) {
	in := crm.LeadInput{Name: f.text("name"), Company: f.text("company"), Title: f.text("title"),
		Phone: f.text("phone"), Email: f.text("email"), SourceID: f.id("source_id"), CampaignID: f.id("campaign_id"),
		Status: crm.LeadStatus(f.text("status")), Notes: f.text("notes"), NextFollowUpAt: f.dateTime("next_follow_up_at")}
	return in, f.err(in.Validate())
}

// handleLeadCreate adds a lead. When leads with the same name or phone
// exist (among those the user may view), the form comes back with the
// matches and a "save anyway" button first.
func (s *Server) handleLeadCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanCreate(a, crm.ResLead) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	f := newForm(r)
	in, err := leadInput(f)
	owner := f.text("owner")
	p := views.LeadFormProps{Input: in, Owner: owner}
	if err != nil {
		p.Errors = crm.FieldErrors(err)
		s.renderLeadForm(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if !f.bool("confirm_duplicate") {
		dups, err := s.db.DuplicateLeads(ctx, a, in.Name, in.Phone, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(dups) > 0 {
			p.Duplicates = dups
			s.renderLeadForm(w, r, http.StatusConflict, p)
			return
		}
	}
	id, err := s.db.CreateLead(ctx, a, in, parseOwner(owner))
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			p.Errors = fe
			s.renderLeadForm(w, r, http.StatusUnprocessableEntity, p)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "flash.created")
	s.redirect(w, r, route.Lead(id))
}

// leadByPath loads the lead of the URL that the actor may view (404 otherwise).
func (s *Server) leadByPath(w http.ResponseWriter, r *http.Request) (crm.Lead, bool) {
	id, err := pathID(r)
	if err == nil {
		var l crm.Lead
		if l, err = s.db.LeadByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return l, true
		}
	}
	s.fail(w, r, err)
	return crm.Lead{}, false
}

func (s *Server) leadShowProps(r *http.Request, l crm.Lead) (views.LeadShowProps, error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	rec := l.Record()
	p := views.LeadShowProps{Lead: l,
		CanEdit: crm.CanUpdate(a, rec), CanDelete: crm.CanDelete(a, rec) && l.Status != crm.LeadConverted,
		CanConvert:  l.Status != crm.LeadConverted && crm.CanUpdate(a, rec) && crm.CanCreate(a, crm.ResCustomer),
		CanFollowUp: crm.CanAddUnder(a, crm.ResFollowUp, rec)}
	var err error
	if p.OwnerActions, err = s.ownerActions(ctx, a, rec); err != nil {
		return p, err
	}
	if p.FollowUps, err = s.db.FollowUpsOf(ctx, a, l.ID, 0); err != nil {
		return p, err
	}
	if p.History, err = s.db.History(ctx, crm.ResLead, l.ID); err != nil {
		return p, err
	}
	if p.CanFollowUp {
		if p.Methods, err = s.db.Options(ctx, crm.OptFollowUpMethod); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (s *Server) handleLead(w http.ResponseWriter, r *http.Request) {
	l, ok := s.leadByPath(w, r)
	if !ok {
		return
	}
	p, err := s.leadShowProps(r, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.LeadShow(p))
}

func (s *Server) handleLeadEdit(w http.ResponseWriter, r *http.Request) {
	l, ok := s.leadByPath(w, r)
	if !ok {
		return
	}
	if !crm.CanUpdate(webctx.Actor(r.Context()), l.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	s.renderLeadForm(w, r, http.StatusOK, views.LeadFormProps{ID: l.ID, Converted: l.Status == crm.LeadConverted,
		Kept: crm.Choice{ID: l.CampaignID, Name: l.CampaignName},
		Input: crm.LeadInput{Name: l.Name, Company: l.Company, Title: l.Title, Phone: l.Phone, Email: l.Email,
			SourceID: l.SourceID, CampaignID: l.CampaignID, Status: l.Status, Notes: l.Notes, NextFollowUpAt: l.NextFollowUpAt}})
}

func (s *Server) handleLeadUpdate(w http.ResponseWriter, r *http.Request) {
	l, ok := s.leadByPath(w, r)
	if !ok {
		return
	}
	a := webctx.Actor(r.Context())
	if !crm.CanUpdate(a, l.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	_ = r.ParseForm()
	f := editForm(r, leadFields(l))
	if l.Status == crm.LeadConverted {
		r.PostForm.Set("status", string(crm.LeadFollowing)) // kept converted by storage
	}
	in, err := leadInput(f)
	if err == nil {
		err = s.db.UpdateLead(r.Context(), a, l.ID, in)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			s.renderLeadForm(w, r, http.StatusUnprocessableEntity, views.LeadFormProps{ID: l.ID, Input: in,
				Converted: l.Status == crm.LeadConverted, Errors: fe, Kept: crm.Choice{ID: l.CampaignID, Name: l.CampaignName}})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "flash.saved")
	s.redirect(w, r, route.Lead(l.ID))
}

func (s *Server) handleLeadDelete(w http.ResponseWriter, r *http.Request) {
	s.recordPost(w, r, s.db.DeleteLead, "flash.deleted", func(int64) string { return route.Leads })
}

// handleLeadAction claims, releases or assigns one lead.
func (s *Server) handleLeadAction(act crm.Action) http.HandlerFunc {
	return s.handleOwnerAction(leadsOwned, act)
}

// actionFailed answers a refused action: 404/403 pages as usual, a lost
// race 409, and a bad choice (an assignee out of scope) 422 with its message.
func (s *Server) actionFailed(w http.ResponseWriter, r *http.Request, err error) {
	if fe := crm.FieldErrors(err); len(fe) > 0 && crm.ErrorCode(err) == crm.EINVALID {
		for _, k := range fe {
			err = crm.Errorf(crm.EINVALID, k)
			break
		}
	}
	s.fail(w, r, err)
}

// handleLeadConvert turns the lead into a customer, once.
func (s *Server) handleLeadConvert(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var customer int64
	if err == nil {
		customer, err = s.db.ConvertLead(r.Context(), webctx.Actor(r.Context()), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "flash.converted")
	s.redirect(w, r, route.Customer(customer))
}

// handleLeadBulk claims, releases or assigns the selected leads.
func (s *Server) handleLeadBulk(w http.ResponseWriter, r *http.Request) {
	s.handleOwnerBulk(leadsOwned)(w, r)
}
