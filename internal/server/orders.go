package server

import (
	"errors"
	"net/http"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Orders (合同订单, SPEC §4–§5): list, create under a customer (or one of
// its opportunities, or from a quote: see quotes.go), detail with lines,
// approval panel, money and history, edit and delete while draft or
// rejected, and the approval workflow — submit, withdraw, approve, reject.
// Storage answers ENOTFOUND for an order the actor may not view and checks
// every rule inside its transaction; pending and approved orders are
// locked, so every change route answers 403 for them, to everyone.

func (s *Server) handleOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanSeeArea(a, crm.AreaOrders) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	f, tabs := listFilter[crm.OrderFilter](r, a, crm.ResOrder)
	p := views.OrdersProps{Filter: f, Tabs: tabs}
	var err error
	if p.Names, err = s.filterNames(ctx, f.OwnerID, f.DepartmentID); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.CanCreate, err = s.docNarrowing(r, crm.ResOrder, f.Parents(), &p.Names); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Orders, p.Total, err = s.db.FindOrders(ctx, a, f); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Approvers, err = s.db.ActiveEmployees(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.OrdersIndex(p))
}

func (s *Server) handleOrderNew(w http.ResponseWriter, r *http.Request) {
	c, opportunityID, ed, ok := s.newDoc(w, r, crm.ResOrder, "order.new", route.OrderNew)
	if !ok {
		return
	}
	s.renderOrderForm(w, r, http.StatusOK, views.OrderFormProps{CustomerName: c.Name, Editor: ed,
		Input: crm.OrderInput{CustomerID: c.ID, OpportunityID: opportunityID}})
}

// renderOrderForm renders the create (p.ID 0) or edit form with the
// opportunities of the order's customer.
func (s *Server) renderOrderForm(w http.ResponseWriter, r *http.Request, status int, p views.OrderFormProps) {
	var err error
	if p.Opportunities, err = s.db.OpportunityChoicesOf(r.Context(), webctx.Actor(r.Context()), p.Input.CustomerID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, views.OrderForm(p))
}

// orderForm reads a posted order form: the input (lines included) and the
// line editor's part (lineDocForm).
func (s *Server) orderForm(r *http.Request, f *form) (in crm.OrderInput, d lineDoc, err error) {
	d, err = s.lineDocForm(r, f, func(lines []crm.Line) error {
		in = crm.OrderInput{CustomerID: f.id("customer_id"), OpportunityID: f.id("opportunity_id"),
			SignDate: f.date("sign_date"), Notes: f.text("notes"), Lines: lines}
		return in.Validate()
	})
	return in, d, err
}

// orderFormRender renders the order form p with a posted form's outcome.
func (s *Server) orderFormRender(w http.ResponseWriter, r *http.Request, p views.OrderFormProps) docFormRender {
	return func(status int, errs map[string]string, ed views.LineEditorProps) {
		p.Errors, p.Editor = errs, ed
		s.renderOrderForm(w, r, status, p)
	}
}

// handleOrderCreate adds a draft order, or — for the line editor's buttons
// without JavaScript (op) — shows the form again with the lines changed.
func (s *Server) handleOrderCreate(w http.ResponseWriter, r *http.Request) {
	var in crm.OrderInput
	var d lineDoc
	c, ok := s.docCreate(w, r, crm.ResOrder, func() (id int64, err error) {
		in, d, err = s.orderForm(r, newForm(r))
		return in.CustomerID, err
	})
	if !ok {
		return
	}
	p := views.OrderFormProps{CustomerName: c.Name, Input: in}
	s.finishDoc(w, r, d, s.orderFormRender(w, r, p), func() (int64, error) {
		return s.db.CreateOrder(r.Context(), webctx.Actor(r.Context()), in)
	}, "flash.created", route.Order)
}

// orderByPath loads the order of the URL that the actor may view (404
// otherwise), answering the request itself on failure.
func (s *Server) orderByPath(w http.ResponseWriter, r *http.Request) (crm.Order, bool) {
	id, err := pathID(r)
	if err == nil {
		var o crm.Order
		if o, err = s.db.OrderByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return o, true
		}
	}
	s.fail(w, r, err)
	return crm.Order{}, false
}

func (s *Server) handleOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.orderByPath(w, r)
	if !ok {
		return
	}
	s.renderOrderShow(w, r, http.StatusOK, views.OrderShowProps{Order: o})
}

// renderOrderShow renders an order's page: what the actor may do with it,
// who would approve it if it were submitted now, the money section (built
// by the payments module) and the history. p carries the order and, after
// a refused step, the message.
func (s *Server) renderOrderShow(w http.ResponseWriter, r *http.Request, status int, p views.OrderShowProps) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	o := p.Order
	rec := o.Record()
	p.CanEdit = crm.CanUpdate(a, rec)
	p.CanDelete = crm.CanDelete(a, rec)
	p.CanSubmit = crm.CanDo(a, crm.ActSubmit, rec)
	p.CanWithdraw = o.Status == crm.OrderPending && crm.CanDo(a, crm.ActWithdraw, rec)
	p.CanDecide = o.Status == crm.OrderPending && crm.CanDo(a, crm.ActDecide, rec)
	if o.Status == crm.OrderDraft || o.Status == crm.OrderRejected {
		approver, err := s.db.ApproverFor(ctx, o.CustomerDepartmentID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if approver != 0 {
			e, err := s.db.EmployeeByID(ctx, approver)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			p.NextApprover = e.Name
		}
	}
	switch _, err := s.db.CustomerByID(ctx, a, o.CustomerID); {
	case err == nil:
		p.CustomerVisible = true
	case !isNotFound(err):
		s.fail(w, r, err)
		return
	}
	var err error
	if p.Money, err = s.orderMoneyProps(r, o); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.History, err = s.db.History(ctx, crm.ResOrder, o.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, views.OrderShow(p))
}

// editableOrder loads the order of the URL for a change: 404 unless the
// actor may view it, 403 unless they may update it — nobody may while it is
// pending or approved.
func (s *Server) editableOrder(w http.ResponseWriter, r *http.Request) (crm.Order, bool) {
	o, ok := s.orderByPath(w, r)
	if ok && !crm.CanUpdate(webctx.Actor(r.Context()), o.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return o, false
	}
	return o, ok
}

func (s *Server) handleOrderEdit(w http.ResponseWriter, r *http.Request) {
	o, ok := s.editableOrder(w, r)
	if !ok {
		return
	}
	ed, err := s.editorFor(r.Context(), o.Lines, o.Total)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderOrderForm(w, r, http.StatusOK, views.OrderFormProps{ID: o.ID, Number: o.Number, Status: o.Status,
		Comment: o.DecisionComment, CustomerName: o.Parent.Name, Editor: ed,
		Input: crm.OrderInput{CustomerID: o.CustomerID, OpportunityID: o.OpportunityID, SignDate: o.SignDate,
			Notes: o.Notes, Lines: o.Lines}})
}

// handleOrderUpdate saves a draft or rejected order, or — for the line
// editor's buttons without JavaScript (op) — shows the form again with the
// lines changed.
func (s *Server) handleOrderUpdate(w http.ResponseWriter, r *http.Request) {
	o, ok := s.editableOrder(w, r)
	if !ok {
		return
	}
	in, d, err := s.orderForm(r, editForm(r, fields("opportunity_id", fieldID(o.OpportunityID),
		"sign_date", fieldDay(o.SignDate), "notes", o.Notes)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in.CustomerID = o.CustomerID
	d.onEdit()
	p := views.OrderFormProps{ID: o.ID, Number: o.Number, Status: o.Status, Comment: o.DecisionComment,
		CustomerName: o.Parent.Name, Input: in}
	s.finishDoc(w, r, d, s.orderFormRender(w, r, p), func() (int64, error) {
		return o.ID, s.db.UpdateOrder(r.Context(), webctx.Actor(r.Context()), o.ID, in)
	}, "flash.saved", route.Order)
}

// handleOrderDelete deletes a draft or rejected order; one with payments or
// invoices is refused with its page and the reason (409).
func (s *Server) handleOrderDelete(w http.ResponseWriter, r *http.Request) {
	o, ok := s.orderByPath(w, r)
	if !ok {
		return
	}
	if err := s.db.DeleteOrder(r.Context(), webctx.Actor(r.Context()), o.ID); err != nil {
		s.orderRefused(w, r, o, err, nil)
		return
	}
	s.flash(r, "ok", "flash.deleted")
	s.redirect(w, r, route.Orders)
}

// orderRefused answers a refused step on o: a conflict shows the order's
// page (as it is now) with the reason (409), a missing comment the page
// with the decision form marked (422), the rest their error page.
func (s *Server) orderRefused(w http.ResponseWriter, r *http.Request, o crm.Order, err error, retry *views.OrderShowProps) {
	var e *crm.Error
	code := crm.ErrorCode(err)
	if (code != crm.ECONFLICT && code != crm.EINVALID) || !errors.As(err, &e) {
		s.fail(w, r, err)
		return
	}
	if now, ferr := s.db.OrderByID(r.Context(), webctx.Actor(r.Context()), o.ID); ferr == nil {
		o = now
	}
	p := views.OrderShowProps{Order: o}
	if retry != nil {
		p.Comment = retry.Comment
	}
	status := http.StatusConflict
	if code == crm.EINVALID {
		status = http.StatusUnprocessableEntity
		p.CommentError = e.Fields["comment"]
		if p.CommentError == "" {
			p.Error = e.Message
		}
	} else {
		p.Error, p.ErrorArgs = e.Message, e.Args
	}
	s.renderOrderShow(w, r, status, p)
}

// handleOrderStep submits (提交审批, also after a rejection) or withdraws
// (撤回) an order. Storage settles races: a step that lost answers 409.
func (s *Server) handleOrderStep(act crm.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, ok := s.orderByPath(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		a := webctx.Actor(ctx)
		var err error
		flash := "order.flash_submitted"
		if act == crm.ActSubmit {
			err = s.db.SubmitOrder(ctx, a, o.ID)
		} else {
			err, flash = s.db.WithdrawOrder(ctx, a, o.ID), "order.flash_withdrawn"
		}
		if err != nil {
			s.orderRefused(w, r, o, err, nil)
			return
		}
		s.flash(r, "ok", flash)
		s.redirect(w, r, backOr(r, route.Order(o.ID)))
	}
}

// handleOrderDecide approves or rejects a pending order with the posted
// comment (required to reject). Of two decisions racing, one is made and
// the other answers 409 with the order's page.
func (s *Server) handleOrderDecide(status crm.OrderStatus) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, ok := s.orderByPath(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		a := webctx.Actor(ctx)
		comment := r.PostFormValue("comment")
		var err error
		flash := "order.flash_approved"
		if status == crm.OrderApproved {
			err = s.db.ApproveOrder(ctx, a, o.ID, comment)
		} else {
			err, flash = s.db.RejectOrder(ctx, a, o.ID, comment), "order.flash_rejected"
		}
		if err != nil {
			s.orderRefused(w, r, o, err, &views.OrderShowProps{Comment: comment})
			return
		}
		s.flash(r, "ok", flash, o.Number)
		s.redirect(w, r, backOr(r, route.Order(o.ID)))
	}
}
