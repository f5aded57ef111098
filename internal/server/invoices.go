package server

import (
	"net/http"
	"strconv"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Invoices (开票单, SPEC §4): the same pages and rules as payments (see
// payments.go), with the invoice's number, type and issue date.

func (s *Server) handleInvoices(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanSeeArea(a, crm.AreaInvoices) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	f, tabs := invoiceFilter(r, a)
	invoices, total, err := s.db.FindInvoices(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.InvoicesProps{Invoices: invoices, Total: total, Filter: f, Tabs: tabs,
		CanCreate: crm.CanCreate(a, crm.ResInvoice), CanConfirm: map[int64]bool{}}
	for _, v := range invoices {
		p.CanConfirm[v.ID] = crm.CanDo(a, crm.ActConfirm, v.Record())
	}
	if p.OrderLabel, p.CustomerLabel, err = s.narrowedLabels(r, f.OrderID, f.CustomerID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.InvoicesIndex(p))
}

// invoiceFilter reads the invoice list's query string (tab, filters,
// sort, page) for a; the list and its export read it alike.
func invoiceFilter(r *http.Request, a crm.Actor) (crm.InvoiceFilter, []crm.ListTab) {
	var f crm.InvoiceFilter
	tabs := crm.ListTabs(a, crm.ResInvoice)
	f.Parse(r.URL.Query(), tabs)
	return f, tabs
}

// invoiceFormFor fills the order part of a new invoice's form: the order
// chosen (see moneyOrder), or the picker of approved orders matching the
// search.
func (s *Server) invoiceFormFor(r *http.Request, p *views.InvoiceFormProps, orderID int64, search string) error {
	if orderID != 0 {
		o, err := s.moneyOrder(r, orderID)
		p.Order = o
		return err
	}
	var err error
	p.OrderQuery = search
	p.Choices, err = s.db.MoneyOrderChoices(r.Context(), webctx.Actor(r.Context()), search)
	return err
}

// handleInvoiceNew shows the form to record an invoice, against ?order=ID
// or an order picked from the approved ones the actor may view.
func (s *Server) handleInvoiceNew(w http.ResponseWriter, r *http.Request) {
	a := webctx.Actor(r.Context())
	if !crm.CanSeeArea(a, crm.AreaInvoices) || !crm.CanCreate(a, crm.ResInvoice) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	p := views.InvoiceFormProps{Back: safeBack(r.URL.Query().Get("back")),
		Values: views.InvoiceFormValues{IssuedOn: today(), InvoiceType: string(crm.InvoiceNormal)}}
	if err := s.invoiceFormFor(r, &p, queryID(r, "order"), r.URL.Query().Get("order_q")); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Values.OrderID = strconv.FormatInt(p.Order.ID, 10)
	s.render(w, r, http.StatusOK, views.InvoiceForm(p))
}

// invoiceInput reads the posted form (see paymentInput).
func invoiceInput(f *form, orderID int64) (crm.InvoiceInput, views.InvoiceFormValues, error) {
	if orderID == 0 {
		orderID = f.id("order_id")
	}
	in := crm.InvoiceInput{OrderID: orderID, Amount: f.money("amount"), InvoiceNo: f.text("invoice_no"),
		InvoiceType: crm.InvoiceType(f.text("invoice_type")), IssuedOn: f.date("issued_on"), Notes: f.text("notes")}
	v := views.InvoiceFormValues{OrderID: f.text("order_id"), Amount: f.text("amount"), InvoiceNo: f.text("invoice_no"),
		InvoiceType: f.text("invoice_type"), IssuedOn: f.text("issued_on"), Notes: f.text("notes")}
	return in, v, f.err(in.Validate())
}

// handleInvoiceCreate records an invoice and goes to its page, or back to
// the order's page it was recorded from; bad input re-renders the full
// form (422).
func (s *Server) handleInvoiceCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanSeeArea(a, crm.AreaInvoices) || !crm.CanCreate(a, crm.ResInvoice) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	in, values, err := invoiceInput(newForm(r), 0)
	var id int64
	if err == nil {
		id, err = s.db.CreateInvoice(ctx, a, in)
	}
	back := safeBack(r.PostFormValue("back"))
	if err != nil {
		fe := crm.FieldErrors(err)
		if fe == nil || crm.ErrorCode(err) != crm.EINVALID {
			s.fail(w, r, err)
			return
		}
		p := views.InvoiceFormProps{Back: back, Values: values, Errors: fe}
		if ferr := s.invoiceFormFor(r, &p, in.OrderID, ""); ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, views.InvoiceForm(p))
		return
	}
	s.flash(r, "ok", "invoice.created", crm.FormatMoney(in.Amount))
	if back != "" {
		s.redirect(w, r, back)
		return
	}
	s.redirect(w, r, route.Invoice(id))
}

// invoiceByPath loads the invoice of the URL (404 when the actor may not
// view it), answering the request itself on failure.
func (s *Server) invoiceByPath(w http.ResponseWriter, r *http.Request) (crm.Invoice, bool) {
	id, err := pathID(r)
	if err == nil {
		var v crm.Invoice
		if v, err = s.db.InvoiceByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return v, true
		}
	}
	s.fail(w, r, err)
	return crm.Invoice{}, false
}

func (s *Server) handleInvoice(w http.ResponseWriter, r *http.Request) {
	v, ok := s.invoiceByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	a := webctx.Actor(ctx)
	rec := v.Record()
	p := views.InvoiceShowProps{Invoice: v, CanEdit: crm.CanUpdate(a, rec), CanDelete: crm.CanDelete(a, rec),
		CanConfirm: crm.CanDo(a, crm.ActConfirm, rec)}
	var err error
	if p.History, err = s.db.History(ctx, crm.ResInvoice, v.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.InvoiceShow(p))
}

// editableInvoice loads the invoice of the URL for a change: 404 unless
// the actor may view it, 403 when it is confirmed (for everyone) or the
// actor may not update it.
func (s *Server) editableInvoice(w http.ResponseWriter, r *http.Request) (crm.Invoice, bool) {
	v, ok := s.invoiceByPath(w, r)
	if !ok {
		return v, false
	}
	if v.Confirmed {
		s.fail(w, r, crm.Errorf(crm.EFORBIDDEN, "invoice.locked"))
		return v, false
	}
	if !crm.CanUpdate(webctx.Actor(r.Context()), v.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return v, false
	}
	return v, true
}

// invoiceEditProps are the edit form's props for v, with its order.
func (s *Server) invoiceEditProps(r *http.Request, v crm.Invoice, values views.InvoiceFormValues) (views.InvoiceFormProps, error) {
	o, err := s.db.OrderForMoney(r.Context(), webctx.Actor(r.Context()), v.OrderID)
	if isNotFound(err) { // the invoice is viewable, its order not: name it from the invoice
		o, err = crm.Order{ID: v.OrderID, Number: v.OrderNumber, Parent: crm.Parent{Name: v.Parent.Name}}, nil
	}
	return views.InvoiceFormProps{ID: v.ID, Order: o, Values: values}, err
}

func (s *Server) handleInvoiceEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := s.editableInvoice(w, r)
	if !ok {
		return
	}
	p, err := s.invoiceEditProps(r, v, views.InvoiceValues(v))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.InvoiceForm(p))
}

func (s *Server) handleInvoiceUpdate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.editableInvoice(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	iv := views.InvoiceValues(v)
	in, values, err := invoiceInput(editForm(r, fields("order_id", iv.OrderID, "amount", iv.Amount,
		"invoice_no", iv.InvoiceNo, "invoice_type", iv.InvoiceType, "issued_on", iv.IssuedOn, "notes", iv.Notes)), v.OrderID)
	if err == nil {
		err = s.db.UpdateInvoice(ctx, webctx.Actor(ctx), v.ID, in)
	}
	if err != nil {
		fe := crm.FieldErrors(err)
		if fe == nil || crm.ErrorCode(err) != crm.EINVALID {
			s.fail(w, r, err)
			return
		}
		p, perr := s.invoiceEditProps(r, v, values)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		p.Errors = fe
		s.render(w, r, http.StatusUnprocessableEntity, views.InvoiceForm(p))
		return
	}
	s.flash(r, "ok", "invoice.saved")
	s.redirect(w, r, route.Invoice(v.ID))
}

// handleInvoiceDelete deletes an unconfirmed invoice and goes to the list.
func (s *Server) handleInvoiceDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.db.DeleteInvoice(r.Context(), webctx.Actor(r.Context()), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "invoice.deleted")
	s.redirect(w, r, backOr(r, route.Invoices))
}

// handleInvoiceConfirm is the one-click 财务确认 of an invoice; it comes
// back to `back`. A lost race or an amount the order cannot take answers
// 409 with the reason.
func (s *Server) handleInvoiceConfirm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	amount, err := s.db.ConfirmInvoice(r.Context(), webctx.Actor(r.Context()), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "invoice.confirmed", crm.FormatMoney(amount))
	s.redirect(w, r, backOr(r, route.Invoice(id)))
}
