package server

import (
	"net/http"
	"strconv"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

func (s *Server) handleContacts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	f, tabs := contactFilter(r, a)
	contacts, total, err := s.db.FindContacts(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.ContactsProps{Contacts: contacts, Total: total, Filter: f, Tabs: tabs,
		CanCreate: crm.CanCreate(a, crm.ResContact)}
	parents, err := s.listParents(ctx, a, f.Parents(), &p.Names)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if parents.customer != nil {
		p.CanCreate = crm.CanAddUnder(a, crm.ResContact, parents.customer.Record())
	}
	s.render(w, r, http.StatusOK, views.ContactsIndex(p))
}

// contactFilter reads the contact list's query string (tab, filters,
// sort, page) for a; the list and its export read it alike.
func contactFilter(r *http.Request, a crm.Actor) (crm.ContactFilter, []crm.ListTab) {
	tabs := crm.ListTabs(a, crm.ResContact)
	var f crm.ContactFilter
	f.Parse(r.URL.Query(), tabs)
	return f, tabs
}

// contactFormFor fills the customer part of a new contact's form: the
// customer chosen (which a must view: 404 otherwise, and may add contacts
// under: 403 otherwise), or the picker of customers matching the search.
func (s *Server) contactFormFor(r *http.Request, p *views.ContactFormProps, search string) error {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if p.Input.CustomerID != 0 {
		c, err := s.db.CustomerByID(ctx, a, p.Input.CustomerID)
		if err != nil {
			return err
		}
		if !crm.CanAddUnder(a, crm.ResContact, c.Record()) {
			return crm.ErrForbidden
		}
		p.CustomerName = c.Name
		return nil
	}
	var err error
	p.CustomerQuery = search
	p.Customers, err = s.db.CustomerChoices(ctx, a, search)
	return err
}

func (s *Server) handleContactNew(w http.ResponseWriter, r *http.Request) {
	if !crm.CanCreate(webctx.Actor(r.Context()), crm.ResContact) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	p := views.ContactFormProps{Input: crm.ContactInput{CustomerID: crm.ValueID(r.URL.Query(), "customer")}}
	if err := s.contactFormFor(r, &p, r.URL.Query().Get("customer_q")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.ContactForm(p))
}

func contactInput(f *form) (crm.ContactInput, error) {
	in := crm.ContactInput{CustomerID: f.id("customer_id"), Name: f.text("name"), Title: f.text("title"),
		Phone: f.text("phone"), Email: f.text("email"), Notes: f.text("notes"), IsPrimary: f.bool("is_primary")}
	return in, f.err(in.Validate())
}

// handleContactCreate adds a contact under a customer and goes back to the
// customer's page.
func (s *Server) handleContactCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanCreate(a, crm.ResContact) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	in, err := contactInput(newForm(r))
	if err == nil {
		_, err = s.db.CreateContact(ctx, a, in)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			p := views.ContactFormProps{Input: in, Errors: fe}
			if ferr := s.contactFormFor(r, &p, ""); ferr != nil {
				s.fail(w, r, ferr)
				return
			}
			s.render(w, r, http.StatusUnprocessableEntity, views.ContactForm(p))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "flash.created")
	s.redirect(w, r, route.Section(route.Customer(in.CustomerID), "contacts"))
}

// contactByPath loads the contact of the URL that the actor may view (404
// otherwise).
func (s *Server) contactByPath(w http.ResponseWriter, r *http.Request) (crm.Contact, bool) {
	id, err := pathID(r)
	if err == nil {
		var c crm.Contact
		if c, err = s.db.ContactByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return c, true
		}
	}
	s.fail(w, r, err)
	return crm.Contact{}, false
}

func (s *Server) handleContact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	c, ok := s.contactByPath(w, r)
	if !ok {
		return
	}
	rec := c.Record()
	p := views.ContactShowProps{Contact: c, CanEdit: crm.CanUpdate(a, rec), CanDelete: crm.CanDelete(a, rec)}
	p.CanMakePrimary = p.CanEdit && !c.IsPrimary
	// Someone may view a contact (they created it) without viewing its
	// customer; the page then names the customer without linking it.
	switch _, err := s.db.CustomerByID(ctx, a, c.CustomerID); {
	case err == nil:
		p.CustomerVisible = true
	case !isNotFound(err):
		s.fail(w, r, err)
		return
	}
	var err error
	if p.History, err = s.db.History(ctx, crm.ResContact, c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.ContactShow(p))
}

func (s *Server) handleContactEdit(w http.ResponseWriter, r *http.Request) {
	c, ok := s.contactByPath(w, r)
	if !ok {
		return
	}
	if !crm.CanUpdate(webctx.Actor(r.Context()), c.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	s.render(w, r, http.StatusOK, views.ContactForm(views.ContactFormProps{ID: c.ID, CustomerName: c.Parent.Name,
		Input: crm.ContactInput{CustomerID: c.CustomerID, Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email,
			Notes: c.Notes, IsPrimary: c.IsPrimary}}))
}

func (s *Server) handleContactUpdate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.contactByPath(w, r)
	if !ok {
		return
	}
	a := webctx.Actor(r.Context())
	if !crm.CanUpdate(a, c.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	_ = r.ParseForm()
	r.PostForm.Set("customer_id", strconv.FormatInt(c.CustomerID, 10)) // a contact stays with its customer
	in, err := contactInput(editForm(r, fields("name", c.Name, "title", c.Title, "phone", c.Phone, "email", c.Email,
		"notes", c.Notes)))
	if err == nil {
		err = s.db.UpdateContact(r.Context(), a, c.ID, in)
	}
	if err != nil {
		if fe := crm.FieldErrors(err); fe != nil {
			s.render(w, r, http.StatusUnprocessableEntity, views.ContactForm(views.ContactFormProps{ID: c.ID,
				CustomerName: c.Parent.Name, Input: in, Errors: fe}))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "flash.saved")
	s.redirect(w, r, route.Contact(c.ID))
}

// handleContactDelete deletes a contact; when it was the primary one, the
// oldest remaining contact of the customer becomes primary.
func (s *Server) handleContactDelete(w http.ResponseWriter, r *http.Request) {
	s.recordPost(w, r, s.db.DeleteContact, "flash.deleted", func(int64) string { return backOr(r, route.Contacts) })
}

// handleContactPrimary makes the contact its customer's primary one.
func (s *Server) handleContactPrimary(w http.ResponseWriter, r *http.Request) {
	s.recordPost(w, r, s.db.MakePrimary, "contact.made_primary", func(id int64) string { return backOr(r, route.Contact(id)) })
}
