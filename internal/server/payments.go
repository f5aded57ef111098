package server

import (
	"net/http"
	"strconv"
	"time"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Payments (回款单, SPEC §4): list with a one-click 财务确认, record, detail
// with history, edit, delete, confirm; and the money part of an order's
// page. The crm policy answers who may do what; storage answers ENOTFOUND
// for a payment the actor may not view, so every route below says 404 for
// it without asking, and EFORBIDDEN for a confirmed one, whoever asks.
// Marketing has no payments area: the list and the forms answer 403.

// today is the default day of the money forms, in the business zone.
func today() string { return time.Now().In(crm.Zone).Format("2006-01-02") }

// narrowedLabels names the order and customer a money list is narrowed to,
// when the actor may view them (the list itself stays narrowed either way).
func (s *Server) narrowedLabels(r *http.Request, orderID, customerID int64) (order, customer string, err error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if orderID != 0 {
		o, err := s.db.OrderForMoney(ctx, a, orderID)
		if err != nil && !isNotFound(err) {
			return "", "", err
		}
		order = o.Number
		if order == "" {
			order = "#" + strconv.FormatInt(orderID, 10)
		}
	}
	if customerID != 0 {
		c, err := s.db.CustomerByID(ctx, a, customerID)
		if err != nil && !isNotFound(err) {
			return "", "", err
		}
		customer = c.Name
		if customer == "" {
			customer = "#" + strconv.FormatInt(customerID, 10)
		}
	}
	return order, customer, nil
}

func (s *Server) handlePayments(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanSeeArea(a, crm.AreaPayments) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	f, tabs := paymentFilter(r, a)
	payments, total, err := s.db.FindPayments(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.PaymentsProps{Payments: payments, Total: total, Filter: f, Tabs: tabs,
		CanCreate: crm.CanCreate(a, crm.ResPayment), CanConfirm: map[int64]bool{}}
	for _, pm := range payments {
		p.CanConfirm[pm.ID] = crm.CanDo(a, crm.ActConfirm, pm.Record())
	}
	if p.OrderLabel, p.CustomerLabel, err = s.narrowedLabels(r, f.OrderID, f.CustomerID); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Names, err = s.filterNames(ctx, f.OwnerID, f.DepartmentID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.PaymentsIndex(p))
}

// paymentFilter reads the payment list's query string (tab, filters,
// sort, page) for a; the list and its export read it alike.
func paymentFilter(r *http.Request, a crm.Actor) (crm.PaymentFilter, []crm.ListTab) {
	var f crm.PaymentFilter
	tabs := crm.ListTabs(a, crm.ResPayment)
	f.Parse(r.URL.Query(), tabs)
	return f, tabs
}

// moneyOrder loads the order a new payment or invoice goes against: 404
// unless the actor may view it, 403 unless they may record money against
// it, 409 unless it is approved.
func (s *Server) moneyOrder(r *http.Request, id int64) (crm.Order, error) {
	a := webctx.Actor(r.Context())
	o, err := s.db.OrderForMoney(r.Context(), a, id)
	if err != nil {
		return o, err
	}
	if !crm.CanDo(a, crm.ActRecordMoney, o.Record()) {
		return o, crm.ErrForbidden
	}
	if o.Status != crm.OrderApproved {
		return o, crm.Errorf(crm.ECONFLICT, "money.order_not_approved")
	}
	return o, nil
}

// paymentFormFor fills the order part of a new payment's form: the order
// chosen (see moneyOrder), or the picker of approved orders matching the
// search.
func (s *Server) paymentFormFor(r *http.Request, p *views.PaymentFormProps, orderID int64, search string) error {
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

// handlePaymentNew shows the form to record a payment, against ?order=ID
// or an order picked from the approved ones the actor may view.
func (s *Server) handlePaymentNew(w http.ResponseWriter, r *http.Request) {
	a := webctx.Actor(r.Context())
	if !crm.CanSeeArea(a, crm.AreaPayments) || !crm.CanCreate(a, crm.ResPayment) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	p := views.PaymentFormProps{Back: safeBack(r.URL.Query().Get("back")),
		Values: views.PaymentFormValues{PaidOn: today(), Method: crm.PaymentMethods[0]}}
	if err := s.paymentFormFor(r, &p, queryID(r, "order"), r.URL.Query().Get("order_q")); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Values.OrderID = strconv.FormatInt(p.Order.ID, 10)
	s.render(w, r, http.StatusOK, views.PaymentForm(p))
}

// safeBack keeps a "back" address on this site ("" when there is none).
func safeBack(b string) string {
	if b == "" {
		return ""
	}
	return safeNext(b)
}

// paymentInput reads the posted form: the typed input for the domain, the
// values as typed for a re-render, and every problem found on the way. A
// non-zero orderID is the order of an edited payment (its form has none).
func paymentInput(f *form, orderID int64) (crm.PaymentInput, views.PaymentFormValues, error) {
	if orderID == 0 {
		orderID = f.id("order_id")
	}
	in := crm.PaymentInput{OrderID: orderID, Amount: f.money("amount"), PaidOn: f.date("paid_on"),
		Method: f.text("method"), Notes: f.text("notes")}
	v := views.PaymentFormValues{OrderID: f.text("order_id"), Amount: f.text("amount"), PaidOn: f.text("paid_on"),
		Method: f.text("method"), Notes: f.text("notes")}
	return in, v, f.err(in.Validate())
}

// handlePaymentCreate records a payment and goes to its page, or back to
// the order's page it was recorded from. Bad input re-renders the full
// form (422) with the order fixed when one was chosen.
func (s *Server) handlePaymentCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanSeeArea(a, crm.AreaPayments) || !crm.CanCreate(a, crm.ResPayment) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	in, values, err := paymentInput(newForm(r), 0)
	var id int64
	if err == nil {
		id, err = s.db.CreatePayment(ctx, a, in)
	}
	back := safeBack(r.PostFormValue("back"))
	if err != nil {
		fe := crm.FieldErrors(err)
		if fe == nil || crm.ErrorCode(err) != crm.EINVALID {
			s.fail(w, r, err)
			return
		}
		p := views.PaymentFormProps{Back: back, Values: values, Errors: fe}
		if ferr := s.paymentFormFor(r, &p, in.OrderID, ""); ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, views.PaymentForm(p))
		return
	}
	s.flash(r, "ok", "payment.created", crm.FormatMoney(in.Amount))
	if back != "" {
		s.redirect(w, r, back)
		return
	}
	s.redirect(w, r, route.Payment(id))
}

// paymentByPath loads the payment of the URL (404 when the actor may not
// view it), answering the request itself on failure.
func (s *Server) paymentByPath(w http.ResponseWriter, r *http.Request) (crm.Payment, bool) {
	id, err := pathID(r)
	if err == nil {
		var p crm.Payment
		if p, err = s.db.PaymentByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return p, true
		}
	}
	s.fail(w, r, err)
	return crm.Payment{}, false
}

func (s *Server) handlePayment(w http.ResponseWriter, r *http.Request) {
	pm, ok := s.paymentByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	a := webctx.Actor(ctx)
	rec := pm.Record()
	p := views.PaymentShowProps{Payment: pm, CanEdit: crm.CanUpdate(a, rec), CanDelete: crm.CanDelete(a, rec),
		CanConfirm: crm.CanDo(a, crm.ActConfirm, rec)}
	var err error
	if p.History, err = s.db.History(ctx, crm.ResPayment, pm.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.PaymentShow(p))
}

// editablePayment loads the payment of the URL for a change: 404 unless the
// actor may view it, 403 when it is confirmed (for everyone) or the actor
// may not update it.
func (s *Server) editablePayment(w http.ResponseWriter, r *http.Request) (crm.Payment, bool) {
	pm, ok := s.paymentByPath(w, r)
	if !ok {
		return pm, false
	}
	if pm.Confirmed {
		s.fail(w, r, crm.Errorf(crm.EFORBIDDEN, "payment.locked"))
		return pm, false
	}
	if !crm.CanUpdate(webctx.Actor(r.Context()), pm.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return pm, false
	}
	return pm, true
}

// paymentEditProps are the edit form's props for pm, with its order.
func (s *Server) paymentEditProps(r *http.Request, pm crm.Payment, values views.PaymentFormValues) (views.PaymentFormProps, error) {
	o, err := s.db.OrderForMoney(r.Context(), webctx.Actor(r.Context()), pm.OrderID)
	if isNotFound(err) { // the payment is viewable, its order not: name it from the payment
		o, err = crm.Order{ID: pm.OrderID, Number: pm.OrderNumber, Parent: crm.Parent{Name: pm.Parent.Name}}, nil
	}
	return views.PaymentFormProps{ID: pm.ID, Order: o, Values: values}, err
}

func (s *Server) handlePaymentEdit(w http.ResponseWriter, r *http.Request) {
	pm, ok := s.editablePayment(w, r)
	if !ok {
		return
	}
	p, err := s.paymentEditProps(r, pm, views.PaymentValues(pm))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.PaymentForm(p))
}

func (s *Server) handlePaymentUpdate(w http.ResponseWriter, r *http.Request) {
	pm, ok := s.editablePayment(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := views.PaymentValues(pm)
	in, values, err := paymentInput(editForm(r, fields("order_id", v.OrderID, "amount", v.Amount, "paid_on", v.PaidOn,
		"method", v.Method, "notes", v.Notes)), pm.OrderID)
	if err == nil {
		err = s.db.UpdatePayment(ctx, webctx.Actor(ctx), pm.ID, in)
	}
	if err != nil {
		fe := crm.FieldErrors(err)
		if fe == nil || crm.ErrorCode(err) != crm.EINVALID {
			s.fail(w, r, err)
			return
		}
		p, perr := s.paymentEditProps(r, pm, values)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		p.Errors = fe
		s.render(w, r, http.StatusUnprocessableEntity, views.PaymentForm(p))
		return
	}
	s.flash(r, "ok", "payment.saved")
	s.redirect(w, r, route.Payment(pm.ID))
}

// handlePaymentDelete deletes an unconfirmed payment and goes to the list.
func (s *Server) handlePaymentDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.db.DeletePayment(r.Context(), webctx.Actor(r.Context()), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "payment.deleted")
	s.redirect(w, r, backOr(r, route.Payments))
}

// handlePaymentConfirm is the one-click 财务确认 of the list, the payment's
// page and the order's page; it comes back to `back`. A lost race or an
// amount the order cannot take answers 409 with the reason.
func (s *Server) handlePaymentConfirm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	amount, err := s.db.ConfirmPayment(r.Context(), webctx.Actor(r.Context()), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "payment.confirmed", crm.FormatMoney(amount))
	s.redirect(w, r, backOr(r, route.Payment(id)))
}

// orderMoneyProps builds the money part of an order's page: the order's
// figures, the payments and invoices of it the actor may view, which of
// them the actor may confirm, and whether the record forms show (the order
// is approved and the actor may record money against it).
func (s *Server) orderMoneyProps(r *http.Request, o crm.Order) (views.OrderMoneyProps, error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	p := views.OrderMoneyProps{Order: o, Today: today(),
		ConfirmPayment: map[int64]bool{}, ConfirmInvoice: map[int64]bool{}}
	rec := o.Record()
	p.CanRecord = o.Status == crm.OrderApproved && crm.CanDo(a, crm.ActRecordMoney, rec) &&
		(crm.CanCreate(a, crm.ResPayment) || crm.CanCreate(a, crm.ResInvoice))
	var err error
	if p.Payments, err = s.db.PaymentsOfOrder(ctx, a, o.ID); err != nil {
		return p, err
	}
	for _, pm := range p.Payments {
		p.ConfirmPayment[pm.ID] = crm.CanDo(a, crm.ActConfirm, pm.Record())
	}
	if p.Invoices, err = s.db.InvoicesOfOrder(ctx, a, o.ID); err != nil {
		return p, err
	}
	for _, v := range p.Invoices {
		p.ConfirmInvoice[v.ID] = crm.CanDo(a, crm.ActConfirm, v.Record())
	}
	return p, nil
}
