package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/webctx"
	"crm/web/views"
)

// Payments (回款单) and invoices (开票单), SPEC §4: one feature with two
// kinds. Each has a list with a one-click 财务确认, a record form, a page
// with history, edit, delete and confirm; and the money part of an
// order's page. The crm policy answers who may do what; storage answers
// ENOTFOUND for a record the actor may not view, so every route says 404
// for it without asking, and EFORBIDDEN for a confirmed one, whoever asks.
// Marketing has neither area: the lists and the forms answer 403.
//
// moneyKind holds what differs between the kinds; moneyHandlers are the
// handlers written once over it. The kinds themselves are in payments.go
// and invoices.go.

// moneyDoc is a payment or an invoice.
type moneyDoc interface {
	Money() crm.MoneyDoc
	Record() crm.Record
}

// moneyKind describes one kind of money document for the handlers: D the
// record, F its list filter, I its input, V its form's values as typed.
type moneyKind[D moneyDoc, F any, I any, V any] struct {
	res  crm.Resource
	area crm.Area
	key  string                // catalog prefix of its messages: payment, invoice
	list string                // the list's path
	show func(id int64) string // a record's path

	// Storage.
	find    func(*postgres.DB, context.Context, crm.Actor, F) ([]D, crm.Total, error)
	byID    func(*postgres.DB, context.Context, crm.Actor, int64) (D, error)
	create  func(*postgres.DB, context.Context, crm.Actor, I) (int64, error)
	update  func(*postgres.DB, context.Context, crm.Actor, int64, I) error
	remove  func(*postgres.DB, context.Context, crm.Actor, int64) error
	confirm func(*postgres.DB, context.Context, crm.Actor, int64) (decimal.Decimal, error)

	// Request readers.
	filter   func(r *http.Request, a crm.Actor) (F, []crm.ListTab)
	narrowed func(F) crm.ListParents // the order or customer the list is narrowed to
	input    func(f *form, orderID int64) (I, V, error)
	inOrder  func(I) (orderID int64, amount decimal.Decimal)
	blank    func(orderID string) V // a new record's form values
	values   func(D) V              // an edit form's values
	stored   func(V) url.Values     // the values as the edit form's fields

	// Views.
	index    func(s *Server, r *http.Request, f F, list []D, p views.MoneyListProps) (templ.Component, error)
	formView func(p views.MoneyFormProps, v V) templ.Component
	showView func(d D, p views.MoneyShowProps) templ.Component
}

// moneyHandlers are the handlers of one kind.
type moneyHandlers[D moneyDoc, F any, I any, V any] struct {
	s *Server
	k *moneyKind[D, F, I, V]
}

// today is the default day of the money forms, in the business zone.
func today() string { return time.Now().In(crm.Zone).Format("2006-01-02") }

func (h moneyHandlers[D, F, I, V]) handleList(w http.ResponseWriter, r *http.Request) {
	s, k := h.s, h.k
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanSeeArea(a, k.area) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	f, tabs := k.filter(r, a)
	var names views.FilterNames
	if _, err := s.listParents(ctx, a, k.narrowed(f), &names); err != nil {
		s.fail(w, r, err)
		return
	}
	list, total, err := k.find(s.db, ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.MoneyListProps{Total: total, Tabs: tabs, CanCreate: crm.CanCreate(a, k.res), CanConfirm: confirmable(a, list),
		Names: names}
	c, err := k.index(s, r, f, list, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, c)
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

// moneyFormFor fills the order part of a new record's form: the order
// chosen (see moneyOrder), or the picker of approved orders matching the
// search.
func (s *Server) moneyFormFor(r *http.Request, p *views.MoneyFormProps, orderID int64, search string) error {
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

// mayRecord answers 403 unless the actor sees the kind's area and may
// record one.
func (h moneyHandlers[D, F, I, V]) mayRecord(w http.ResponseWriter, r *http.Request) bool {
	a := webctx.Actor(r.Context())
	if !crm.CanSeeArea(a, h.k.area) || !crm.CanCreate(a, h.k.res) {
		h.s.fail(w, r, crm.ErrForbidden)
		return false
	}
	return true
}

// handleNew shows the form to record one, against ?order=ID or an order
// picked from the approved ones the actor may view.
func (h moneyHandlers[D, F, I, V]) handleNew(w http.ResponseWriter, r *http.Request) {
	if !h.mayRecord(w, r) {
		return
	}
	p := views.MoneyFormProps{Back: safeBack(r.URL.Query().Get("back"))}
	if err := h.s.moneyFormFor(r, &p, queryID(r, "order"), r.URL.Query().Get("order_q")); err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.s.render(w, r, http.StatusOK, h.k.formView(p, h.k.blank(strconv.FormatInt(p.Order.ID, 10))))
}

// safeBack keeps a "back" address on this site ("" when there is none).
func safeBack(b string) string {
	if b == "" {
		return ""
	}
	return safeNext(b)
}

// invalid reports whether err is a field problem the form shows again
// (else the request fails with it).
func invalid(err error) map[string]string {
	if fe := crm.FieldErrors(err); fe != nil && crm.ErrorCode(err) == crm.EINVALID {
		return fe
	}
	return nil
}

// handleCreate records one and goes to its page, or back to the order's
// page it was recorded from. Bad input re-renders the full form (422)
// with the order fixed when one was chosen.
func (h moneyHandlers[D, F, I, V]) handleCreate(w http.ResponseWriter, r *http.Request) {
	s, k := h.s, h.k
	if !h.mayRecord(w, r) {
		return
	}
	ctx := r.Context()
	in, values, err := k.input(newForm(r), 0)
	var id int64
	if err == nil {
		id, err = k.create(s.db, ctx, webctx.Actor(ctx), in)
	}
	back := safeBack(r.PostFormValue("back"))
	orderID, amount := k.inOrder(in)
	if err != nil {
		fe := invalid(err)
		if fe == nil {
			s.fail(w, r, err)
			return
		}
		p := views.MoneyFormProps{Back: back, Errors: fe}
		if ferr := s.moneyFormFor(r, &p, orderID, ""); ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, k.formView(p, values))
		return
	}
	s.flash(r, "ok", k.key+".created", crm.FormatMoney(amount))
	if back != "" {
		s.redirect(w, r, back)
		return
	}
	s.redirect(w, r, k.show(id))
}

// byPath loads the record of the URL (404 when the actor may not view
// it), answering the request itself on failure.
func (h moneyHandlers[D, F, I, V]) byPath(w http.ResponseWriter, r *http.Request) (D, bool) {
	id, err := pathID(r)
	if err == nil {
		var d D
		if d, err = h.k.byID(h.s.db, r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return d, true
		}
	}
	h.s.fail(w, r, err)
	var zero D
	return zero, false
}

func (h moneyHandlers[D, F, I, V]) handleShow(w http.ResponseWriter, r *http.Request) {
	d, ok := h.byPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	a := webctx.Actor(ctx)
	rec := d.Record()
	p := views.MoneyShowProps{CanEdit: crm.CanUpdate(a, rec), CanDelete: crm.CanDelete(a, rec),
		CanConfirm: crm.CanDo(a, crm.ActConfirm, rec)}
	var err error
	if p.History, err = h.s.db.History(ctx, h.k.res, d.Money().ID); err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.s.render(w, r, http.StatusOK, h.k.showView(d, p))
}

// editable loads the record of the URL for a change: 404 unless the actor
// may view it, 403 when it is confirmed (for everyone) or the actor may
// not update it.
func (h moneyHandlers[D, F, I, V]) editable(w http.ResponseWriter, r *http.Request) (D, bool) {
	d, ok := h.byPath(w, r)
	if !ok {
		return d, false
	}
	if d.Money().Confirmed {
		h.s.fail(w, r, crm.Errorf(crm.EFORBIDDEN, h.k.key+".locked"))
		return d, false
	}
	if !crm.CanUpdate(webctx.Actor(r.Context()), d.Record()) {
		h.s.fail(w, r, crm.ErrForbidden)
		return d, false
	}
	return d, true
}

// editProps are the edit form's props for d, with its order.
func (s *Server) moneyEditProps(r *http.Request, d crm.MoneyDoc) (views.MoneyFormProps, error) {
	o, err := s.db.OrderForMoney(r.Context(), webctx.Actor(r.Context()), d.OrderID)
	if isNotFound(err) { // the record is viewable, its order not: name it from the record
		o, err = crm.Order{ID: d.OrderID, Number: d.OrderNumber, Parent: crm.Parent{Name: d.Parent.Name}}, nil
	}
	return views.MoneyFormProps{ID: d.ID, Order: o}, err
}

func (h moneyHandlers[D, F, I, V]) handleEdit(w http.ResponseWriter, r *http.Request) {
	d, ok := h.editable(w, r)
	if !ok {
		return
	}
	p, err := h.s.moneyEditProps(r, d.Money())
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.s.render(w, r, http.StatusOK, h.k.formView(p, h.k.values(d)))
}

func (h moneyHandlers[D, F, I, V]) handleUpdate(w http.ResponseWriter, r *http.Request) {
	s, k := h.s, h.k
	d, ok := h.editable(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	md := d.Money()
	in, values, err := k.input(editForm(r, k.stored(k.values(d))), md.OrderID)
	if err == nil {
		err = k.update(s.db, ctx, webctx.Actor(ctx), md.ID, in)
	}
	if err != nil {
		fe := invalid(err)
		if fe == nil {
			s.fail(w, r, err)
			return
		}
		p, perr := s.moneyEditProps(r, md)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		p.Errors = fe
		s.render(w, r, http.StatusUnprocessableEntity, k.formView(p, values))
		return
	}
	s.flash(r, "ok", k.key+".saved")
	s.redirect(w, r, k.show(md.ID))
}

// handleDelete deletes an unconfirmed record and goes to the list.
func (h moneyHandlers[D, F, I, V]) handleDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = h.k.remove(h.s.db, r.Context(), webctx.Actor(r.Context()), id)
	}
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.s.flash(r, "ok", h.k.key+".deleted")
	h.s.redirect(w, r, backOr(r, h.k.list))
}

// handleConfirm is the one-click 财务确认 of the list, the record's page
// and the order's page; it comes back to `back`. A lost race or an amount
// the order cannot take answers 409 with the reason.
func (h moneyHandlers[D, F, I, V]) handleConfirm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	amount, err := h.k.confirm(h.s.db, r.Context(), webctx.Actor(r.Context()), id)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.s.flash(r, "ok", h.k.key+".confirmed", crm.FormatMoney(amount))
	h.s.redirect(w, r, backOr(r, h.k.show(id)))
}

// orderMoneyProps builds the money part of an order's page: the order's
// figures, the payments and invoices of it the actor may view, which of
// them the actor may confirm, and whether the record forms show (the order
// is approved and the actor may record money against it).
func (s *Server) orderMoneyProps(r *http.Request, o crm.Order) (views.OrderMoneyProps, error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	p := views.OrderMoneyProps{Order: o, Today: today()}
	rec := o.Record()
	p.CanRecord = o.Status == crm.OrderApproved && crm.CanDo(a, crm.ActRecordMoney, rec) &&
		(crm.CanCreate(a, crm.ResPayment) || crm.CanCreate(a, crm.ResInvoice))
	var err error
	if p.Payments, err = s.db.PaymentsOfOrder(ctx, a, o.ID); err != nil {
		return p, err
	}
	p.ConfirmPayment = confirmable(a, p.Payments.Rows)
	if p.Invoices, err = s.db.InvoicesOfOrder(ctx, a, o.ID); err != nil {
		return p, err
	}
	p.ConfirmInvoice = confirmable(a, p.Invoices.Rows)
	return p, nil
}

// confirmable says, per id, which of list a may confirm.
func confirmable[D moneyDoc](a crm.Actor, list []D) map[int64]bool {
	out := map[int64]bool{}
	for _, d := range list {
		out[d.Money().ID] = crm.CanDo(a, crm.ActConfirm, d.Record())
	}
	return out
}
