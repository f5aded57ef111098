package server

import (
	"errors"
	"net/http"
	"time"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Quotes (报价单, SPEC §4): list, create under a customer (or one of its
// opportunities), detail with lines and history, edit, status, delete, and
// 转订单. Storage answers ENOTFOUND for a quote the actor may not view —
// marketing views none —, so every route below says 404 for it.

// docNarrowing loads the customer or opportunity a quote or order list is
// narrowed to (listParents: ENOTFOUND when a may not view it), naming it
// in n, and says whether a may add documents of kind res from the list:
// under that customer (or the opportunity's), when a may view it and add
// under it.
func (s *Server) docNarrowing(r *http.Request, res crm.Resource, p crm.ListParents, n *views.FilterNames) (bool, error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	parents, err := s.listParents(ctx, a, p, n)
	if err != nil {
		return false, err
	}
	c := parents.customer
	if o := parents.opportunity; o != nil {
		oc, err := s.db.CustomerByID(ctx, a, o.CustomerID)
		switch {
		case isNotFound(err):
			return false, nil
		case err != nil:
			return false, err
		}
		c = &oc
	}
	if c == nil {
		return crm.CanCreate(a, res), nil
	}
	return crm.CanAddUnder(a, res, c.Record()), nil
}

func (s *Server) handleQuotes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanSeeArea(a, crm.AreaQuotes) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	f, tabs := listFilter[crm.QuoteFilter](r, a, crm.ResQuote)
	p := views.QuotesProps{Filter: f, Tabs: tabs}
	var err error
	if p.CanCreate, err = s.docNarrowing(r, crm.ResQuote, f.Parents(), &p.Names); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Quotes, p.Total, err = s.db.FindQuotes(ctx, a, f); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.QuotesIndex(p))
}

// docCustomer loads the customer a new quote or order goes under: 404
// unless the actor may view it, 403 unless they may add documents of kind
// res under it.
func (s *Server) docCustomer(r *http.Request, res crm.Resource, id int64) (crm.Customer, error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if id == 0 {
		return crm.Customer{}, crm.ErrNotFound
	}
	c, err := s.db.CustomerByID(ctx, a, id)
	if err != nil {
		return c, err
	}
	if !crm.CanAddUnder(a, res, c.Record()) {
		return c, crm.ErrForbidden
	}
	return c, nil
}

// newDocTarget reads where a new quote or order goes from the query:
// ?opportunity=ID (its customer) or ?customer=ID. A zero customer means
// the customer picker comes first.
func (s *Server) newDocTarget(r *http.Request) (customerID, opportunityID int64, err error) {
	if id := queryID(r, "opportunity"); id != 0 {
		o, err := s.db.OpportunityByID(r.Context(), webctx.Actor(r.Context()), id)
		if err != nil {
			return 0, 0, err
		}
		return o.CustomerID, o.ID, nil
	}
	return queryID(r, "customer"), 0, nil
}

// renderDocCustomerPick shows the first step of a new document: finding
// its customer among those the actor may view.
func (s *Server) renderDocCustomerPick(w http.ResponseWriter, r *http.Request, title, action string) {
	ctx := r.Context()
	search := r.URL.Query().Get("customer_q")
	list, err := s.db.CustomerChoices(ctx, webctx.Actor(ctx), search)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.DocCustomerPick(views.DocCustomerPickProps{Title: webctx.T(ctx, title),
		Action: action, Query: search, Customers: list}))
}

// businessToday is the current day in the business zone (the default quote date).
func businessToday() *time.Time {
	n := time.Now().In(crm.Zone)
	d := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, crm.Zone)
	return &d
}

func (s *Server) handleQuoteNew(w http.ResponseWriter, r *http.Request) {
	c, opportunityID, ed, ok := s.newDoc(w, r, crm.ResQuote, "quote.new", route.QuoteNew)
	if !ok {
		return
	}
	s.renderQuoteForm(w, r, http.StatusOK, views.QuoteFormProps{CustomerName: c.Name, Editor: ed,
		Input: crm.QuoteInput{CustomerID: c.ID, OpportunityID: opportunityID, QuoteDate: businessToday(), Status: crm.QuoteDraft}})
}

// renderQuoteForm renders the create (p.ID 0) or edit form with the
// opportunities of the quote's customer.
func (s *Server) renderQuoteForm(w http.ResponseWriter, r *http.Request, status int, p views.QuoteFormProps) {
	var err error
	if p.Opportunities, err = s.db.OpportunityChoicesOf(r.Context(), webctx.Actor(r.Context()), p.Input.CustomerID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, views.QuoteForm(p))
}

// quoteForm reads a posted quote form: the input (lines included) and the
// line editor's part (lineDocForm).
func (s *Server) quoteForm(r *http.Request, f *form) (in crm.QuoteInput, d lineDoc, err error) {
	d, err = s.lineDocForm(r, f, func(lines []crm.Line) error {
		in = crm.QuoteInput{CustomerID: f.id("customer_id"), OpportunityID: f.id("opportunity_id"),
			QuoteDate: f.date("quote_date"), ValidUntil: f.date("valid_until"), Status: crm.QuoteStatus(f.text("status")),
			Notes: f.text("notes"), Lines: lines}
		return in.Validate()
	})
	return in, d, err
}

// quoteFormRender renders the quote form p with a posted form's outcome.
func (s *Server) quoteFormRender(w http.ResponseWriter, r *http.Request, p views.QuoteFormProps) docFormRender {
	return func(status int, errs map[string]string, ed views.LineEditorProps) {
		p.Errors, p.Editor = errs, ed
		s.renderQuoteForm(w, r, status, p)
	}
}

// docFormFailed sorts the outcome of a posted quote or order form: field
// problems (of the form or refused by storage) re-render it with 422 and
// the line editor's messages; anything else is an error page.
func docFormFailed(err error, ed views.LineEditorProps) (map[string]string, views.LineEditorProps, bool) {
	fields := crm.FieldErrors(err)
	if fields == nil || (crm.ErrorCode(err) != crm.EINVALID && crm.ErrorCode(err) != crm.ECONFLICT) {
		return nil, ed, false
	}
	return fields, withLineErrors(ed, lineErrors(fields)), true
}

// handleQuoteCreate adds a quote, or — for the line editor's buttons
// without JavaScript (op) — shows the form again with the lines changed.
func (s *Server) handleQuoteCreate(w http.ResponseWriter, r *http.Request) {
	var in crm.QuoteInput
	var d lineDoc
	c, ok := s.docCreate(w, r, crm.ResQuote, func() (id int64, err error) {
		in, d, err = s.quoteForm(r, newForm(r))
		return in.CustomerID, err
	})
	if !ok {
		return
	}
	p := views.QuoteFormProps{CustomerName: c.Name, Input: in}
	s.finishDoc(w, r, d, s.quoteFormRender(w, r, p), func() (int64, error) {
		return s.db.CreateQuote(r.Context(), webctx.Actor(r.Context()), in)
	}, "flash.created", route.Quote)
}

// quoteByPath loads the quote of the URL that the actor may view (404
// otherwise), answering the request itself on failure.
func (s *Server) quoteByPath(w http.ResponseWriter, r *http.Request) (crm.Quote, bool) {
	id, err := pathID(r)
	if err == nil {
		var q crm.Quote
		if q, err = s.db.QuoteByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return q, true
		}
	}
	s.fail(w, r, err)
	return crm.Quote{}, false
}

func (s *Server) handleQuote(w http.ResponseWriter, r *http.Request) {
	q, ok := s.quoteByPath(w, r)
	if !ok {
		return
	}
	s.renderQuoteShow(w, r, http.StatusOK, views.QuoteShowProps{Quote: q})
}

// renderQuoteShow renders a quote's page with what the actor may do and
// its history; p carries the quote and, after a refused action, the
// message.
func (s *Server) renderQuoteShow(w http.ResponseWriter, r *http.Request, status int, p views.QuoteShowProps) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	rec := p.Quote.Record()
	p.CanEdit = crm.CanUpdate(a, rec)
	p.CanDelete = crm.CanDelete(a, rec) && p.Quote.OrderID == 0
	c, err := s.db.CustomerByID(ctx, a, p.Quote.CustomerID)
	switch {
	case err == nil:
		p.CustomerVisible = true
		p.CanOrder = p.Quote.OrderID == 0 && crm.CanAddUnder(a, crm.ResOrder, c.Record())
	case !isNotFound(err):
		s.fail(w, r, err)
		return
	}
	if p.History, err = s.db.History(ctx, crm.ResQuote, p.Quote.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, views.QuoteShow(p))
}

// editableQuote loads the quote of the URL for a change: 404 unless the
// actor may view it, 403 unless they may update it.
func (s *Server) editableQuote(w http.ResponseWriter, r *http.Request) (crm.Quote, bool) {
	q, ok := s.quoteByPath(w, r)
	if ok && !crm.CanUpdate(webctx.Actor(r.Context()), q.Record()) {
		s.fail(w, r, crm.ErrForbidden)
		return q, false
	}
	return q, ok
}

func (s *Server) handleQuoteEdit(w http.ResponseWriter, r *http.Request) {
	q, ok := s.editableQuote(w, r)
	if !ok {
		return
	}
	ed, err := s.editorFor(r.Context(), q.Lines, q.Total)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	qd := q.QuoteDate
	s.renderQuoteForm(w, r, http.StatusOK, views.QuoteFormProps{ID: q.ID, Number: q.Number, CustomerName: q.Parent.Name,
		Editor: ed, Input: crm.QuoteInput{CustomerID: q.CustomerID, OpportunityID: q.OpportunityID, QuoteDate: &qd,
			ValidUntil: q.ValidUntil, Status: q.Status, Notes: q.Notes, Lines: q.Lines}})
}

// handleQuoteUpdate saves a quote, or — for the line editor's buttons
// without JavaScript (op) — shows the form again with the lines changed.
func (s *Server) handleQuoteUpdate(w http.ResponseWriter, r *http.Request) {
	q, ok := s.editableQuote(w, r)
	if !ok {
		return
	}
	in, d, err := s.quoteForm(r, editForm(r, fields("opportunity_id", fieldID(q.OpportunityID),
		"quote_date", fieldDay(&q.QuoteDate), "valid_until", fieldDay(q.ValidUntil), "status", string(q.Status),
		"notes", q.Notes)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in.CustomerID = q.CustomerID
	d.onEdit()
	p := views.QuoteFormProps{ID: q.ID, Number: q.Number, CustomerName: q.Parent.Name, Input: in}
	s.finishDoc(w, r, d, s.quoteFormRender(w, r, p), func() (int64, error) {
		return q.ID, s.db.UpdateQuote(r.Context(), webctx.Actor(r.Context()), q.ID, in)
	}, "flash.saved", route.Quote)
}

// handleQuoteStatus moves a quote to another status.
func (s *Server) handleQuoteStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.db.SetQuoteStatus(r.Context(), webctx.Actor(r.Context()), id, crm.QuoteStatus(r.PostFormValue("status")))
	}
	if err != nil {
		s.actionFailed(w, r, err)
		return
	}
	s.flash(r, "ok", "quote.status_saved")
	s.redirect(w, r, route.Quote(id))
}

// handleQuoteDelete deletes a quote; one an order was made from is refused
// with its page and the reason (409).
func (s *Server) handleQuoteDelete(w http.ResponseWriter, r *http.Request) {
	q, ok := s.quoteByPath(w, r)
	if !ok {
		return
	}
	if err := s.db.DeleteQuote(r.Context(), webctx.Actor(r.Context()), q.ID); err != nil {
		s.quoteRefused(w, r, q, err)
		return
	}
	s.flash(r, "ok", "flash.deleted")
	s.redirect(w, r, route.Quotes)
}

// quoteRefused answers a refused action on q: a conflict shows the quote's
// page (as it is now) with the reason (409), the rest their error page.
func (s *Server) quoteRefused(w http.ResponseWriter, r *http.Request, q crm.Quote, err error) {
	var e *crm.Error
	if crm.ErrorCode(err) != crm.ECONFLICT || !errors.As(err, &e) {
		s.fail(w, r, err)
		return
	}
	if now, ferr := s.db.QuoteByID(r.Context(), webctx.Actor(r.Context()), q.ID); ferr == nil {
		q = now
	}
	s.renderQuoteShow(w, r, http.StatusConflict, views.QuoteShowProps{Quote: q, Error: e.Message, ErrorArgs: e.Args})
}

// handleQuoteToOrder makes a draft order from the quote (转订单), once, and
// opens the order's form; a second time answers the quote's page with a
// link to the order made the first time (409).
func (s *Server) handleQuoteToOrder(w http.ResponseWriter, r *http.Request) {
	q, ok := s.quoteByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	a := webctx.Actor(ctx)
	id, err := s.db.QuoteToOrder(ctx, a, q.ID)
	if err != nil {
		s.quoteRefused(w, r, q, err)
		return
	}
	number := ""
	if o, err := s.db.OrderByID(ctx, a, id); err == nil {
		number = o.Number
	}
	s.flash(r, "ok", "quote.ordered", number)
	s.redirect(w, r, route.OrderEdit(id))
}
