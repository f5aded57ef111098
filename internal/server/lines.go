package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/webctx"
	"crm/web/views"
)

// The line editor of the quote and order forms (SPEC §4: 金额小计 = 单价 ×
// 折扣 × 数量). The rows are posted as parallel arrays — line_product,
// line_price, line_discount, line_quantity, and line_prev_product (the
// product the row showed, to notice a change of product) — one value per
// row; names with a trailing "[]" are read too. A button named op asks for
// an edit of the rows instead of a save: op=add appends a row, op=remove:N
// removes row N. With htmx the whole form goes to POST /lines/preview,
// which answers the editor alone; without it the same buttons post the form
// to its own route, which re-renders the form (200) and saves nothing.

// lineRaw is one posted row before parsing.
type lineRaw struct {
	product, prev, price, discount, quantity string
}

// blankLine is the row 添加一行 appends.
var blankLine = lineRaw{discount: "1", quantity: "1"}

// lineOp reads the editor's op: "" (save), "add", or "remove" with the row.
func lineOp(r *http.Request) (op string, row int) {
	v := r.PostFormValue("op")
	switch {
	case v == "":
		return "", -1
	case v == "add":
		return "add", -1
	case strings.HasPrefix(v, "remove:"):
		n, err := strconv.Atoi(strings.TrimPrefix(v, "remove:"))
		if err != nil || n < 0 {
			return "noop", -1
		}
		return "remove", n
	}
	return "noop", -1 // an unknown button: show the form again, save nothing
}

// postedValues returns the values of a repeated field (name or name[]).
func postedValues(r *http.Request, name string) []string {
	if v := r.PostForm[name]; len(v) > 0 {
		return v
	}
	return r.PostForm[name+"[]"]
}

// rawLines reads the posted rows (at most crm.MaxLines+1, so that one too
// many is still reported) and applies op to them.
func rawLines(r *http.Request, op string, row int) []lineRaw {
	_ = r.ParseForm()
	cols := [][]string{postedValues(r, "line_product"), postedValues(r, "line_prev_product"), postedValues(r, "line_price"),
		postedValues(r, "line_discount"), postedValues(r, "line_quantity")}
	n := 0
	for _, c := range cols {
		n = max(n, len(c))
	}
	n = min(n, crm.MaxLines+1)
	cell := func(c []string, i int) string {
		if i < len(c) {
			return c[i]
		}
		return ""
	}
	rows := make([]lineRaw, 0, n+1)
	for i := range n {
		rows = append(rows, lineRaw{product: cell(cols[0], i), prev: cell(cols[1], i), price: cell(cols[2], i),
			discount: cell(cols[3], i), quantity: cell(cols[4], i)})
	}
	switch op {
	case "add":
		if len(rows) < crm.MaxLines {
			rows = append(rows, blankLine)
		}
	case "remove":
		if row < len(rows) {
			rows = append(rows[:row], rows[row+1:]...)
		}
	}
	return rows
}

// lineEditor reads the line editor of a posted quote or order form: the
// rows with op applied, each parsed into a crm.Line — a row whose product
// changed gets the new product's list price when its price was empty or
// still the old product's list price — and priced. Cells that cannot be
// read are reported into f (line_<field>_<index>); the editor's Errors hold
// them and the problems crm.ValidateLines finds on rows with a product
// (the messages of a preview; a failed save shows them all). op is the
// editor's op ("" for a save).
func (s *Server) lineEditor(r *http.Request, f *form) (ed views.LineEditorProps, lines []crm.Line, op string, err error) {
	op, row := lineOp(r)
	rows := rawLines(r, op, row)
	var keep []int64
	for _, rw := range rows {
		for _, v := range []string{rw.product, rw.prev} {
			if id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && id > 0 {
				keep = append(keep, id)
			}
		}
	}
	if ed.Products, err = s.db.ProductChoices(r.Context(), keep...); err != nil {
		return ed, nil, op, err
	}
	byID := make(map[int64]crm.Product, len(ed.Products))
	for _, p := range ed.Products {
		byID[p.ID] = p
	}
	var parse crm.Invalid
	lines = make([]crm.Line, 0, len(rows))
	ed.Typed = make([]views.LineText, 0, len(rows))
	for i, rw := range rows {
		l, typed := parseLine(rw, i, byID, &parse)
		lines = append(lines, l)
		ed.Typed = append(ed.Typed, typed)
	}
	lines, _ = crm.Priced(lines)
	ed.Lines = lines
	for field, key := range parse.Fields {
		f.v.Add(field, key)
	}
	return withLineErrors(ed, previewErrors(lines, parse.Fields)), lines, op, nil
}

// parseLine reads row i, filling the list price on a change of product, and
// reports unreadable cells into v.
func parseLine(rw lineRaw, i int, products map[int64]crm.Product, v *crm.Invalid) (crm.Line, views.LineText) {
	idx := strconv.Itoa(i)
	typed := views.LineText{Product: strings.TrimSpace(rw.product), Price: crm.CleanText(rw.price),
		Discount: crm.CleanText(rw.discount), Quantity: crm.CleanText(rw.quantity)}
	var l crm.Line
	if typed.Product != "" {
		id, err := strconv.ParseInt(typed.Product, 10, 64)
		p, ok := products[id]
		if err != nil || !ok {
			v.Add("line_product_"+idx, "error.not_exist")
		} else {
			l.ProductID, l.ProductName, l.SKU, l.Unit = p.ID, p.Name, p.SKU, p.Unit
		}
	}
	if l.ProductID != 0 {
		prevID, _ := strconv.ParseInt(strings.TrimSpace(rw.prev), 10, 64)
		if typed.Price == "" || (prevID != l.ProductID && samePrice(typed.Price, products[prevID], prevID)) {
			typed.Price = products[l.ProductID].ListPrice.StringFixed(2)
		}
	}
	price, problem := crm.ParseMoney(typed.Price)
	if problem != "" {
		v.Add("line_price_"+idx, problem)
	}
	l.UnitPrice = price
	l.Discount = decimal.NewFromInt(1)
	if typed.Discount != "" {
		d, ok := parseDiscount(typed.Discount)
		if !ok {
			v.Add("line_discount_"+idx, "line.discount_format")
		}
		l.Discount = d
	} else {
		typed.Discount = "1"
	}
	if typed.Quantity != "" {
		q, ok := parseQuantity(typed.Quantity)
		if !ok {
			v.Add("line_quantity_"+idx, "line.quantity_format")
		}
		l.Quantity = q
	}
	return l, typed
}

// samePrice reports whether price is the list price of the previous product
// (so it was never typed by hand and follows the product).
func samePrice(price string, prev crm.Product, prevID int64) bool {
	if prevID == 0 || prev.ID == 0 {
		return false
	}
	d, problem := crm.ParseMoney(price)
	return problem == "" && d.Equal(prev.ListPrice)
}

// parseDiscount reads a discount factor: 0.85, or 85% for the same;
// at most four decimals (numeric(5,4)). The range is crm.ValidateLines's.
func parseDiscount(s string) (decimal.Decimal, bool) {
	s = strings.ReplaceAll(s, " ", "")
	pct := strings.HasSuffix(s, "%") || strings.HasSuffix(s, "％")
	s = strings.TrimRight(s, "%％")
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, false
	}
	if pct {
		d = d.Div(decimal.NewFromInt(100))
	}
	if !d.Equal(d.Round(4)) {
		return decimal.Zero, false
	}
	return d, true
}

// parseQuantity reads a quantity: thousands separators allowed, at most two
// decimals (numeric(12,2)). The range is crm.ValidateLines's.
func parseQuantity(s string) (decimal.Decimal, bool) {
	s = strings.NewReplacer(",", "", "，", "", " ", "").Replace(s)
	d, err := decimal.NewFromString(s)
	if err != nil || !d.Equal(d.Round(2)) {
		return decimal.Zero, false
	}
	return d, true
}

// previewErrors are the messages a preview shows: the unreadable cells, and
// crm.ValidateLines's problems on rows that have a product (a row just
// added is not yet wrong).
func previewErrors(lines []crm.Line, parse map[string]string) map[string]string {
	out := map[string]string{}
	for f, k := range parse {
		out[f] = k
	}
	for f, k := range crm.FieldErrors(crm.ValidateLines(lines)) {
		i, ok := lineIndex(f)
		if !ok || i >= len(lines) || lines[i].ProductID == 0 {
			continue
		}
		if _, seen := out[f]; !seen {
			out[f] = k
		}
	}
	return out
}

// lineIndex reads the row of a cell's field name (line_price_3 → 3).
func lineIndex(field string) (int, bool) {
	if !strings.HasPrefix(field, "line_") {
		return 0, false
	}
	i, err := strconv.Atoi(field[strings.LastIndexByte(field, '_')+1:])
	return i, err == nil
}

// lineErrors picks the line editor's messages out of a form's.
func lineErrors(fields map[string]string) map[string]string {
	out := map[string]string{}
	for f, k := range fields {
		if f == "lines" || strings.HasPrefix(f, "line_") {
			out[f] = k
		}
	}
	return out
}

// withLineErrors sets the editor's messages and its total: the sum of the
// subtotals of the rows that have a product and no problem, which are the
// rows that show a subtotal.
func withLineErrors(ed views.LineEditorProps, errs map[string]string) views.LineEditorProps {
	ed.Errors = errs
	ed.Total = decimal.Zero
	for i, l := range ed.Lines {
		bad := false
		for _, f := range []string{"product", "price", "discount", "quantity"} {
			bad = bad || errs["line_"+f+"_"+strconv.Itoa(i)] != ""
		}
		if l.ProductID != 0 && !bad {
			ed.Total = ed.Total.Add(l.Subtotal)
		}
	}
	return ed
}

// editorFor is the line editor of a stored document (its lines priced as
// stored), or of a new one (one blank row).
func (s *Server) editorFor(ctx context.Context, lines []crm.Line, total decimal.Decimal) (views.LineEditorProps, error) {
	ed := views.LineEditorProps{Lines: lines, Total: total}
	keep := make([]int64, 0, len(lines))
	for _, l := range lines {
		keep = append(keep, l.ProductID)
	}
	if len(lines) == 0 {
		ed.Lines = []crm.Line{{Discount: decimal.NewFromInt(1), Quantity: decimal.NewFromInt(1)}}
	}
	var err error
	ed.Products, err = s.db.ProductChoices(ctx, keep...)
	return ed, err
}

// mayEditLines reports whether a may use the line editor at all: those who
// create quotes or orders.
func mayEditLines(a crm.Actor) bool {
	return crm.CanCreate(a, crm.ResQuote) || crm.CanCreate(a, crm.ResOrder)
}

// handleLinePreview re-prices a posted quote or order form's lines and
// answers the line editor alone (htmx swaps it in place), with op applied.
// It saves nothing; a cell that cannot be read comes back with its message.
func (s *Server) handleLinePreview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !mayEditLines(webctx.Actor(ctx)) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	ed, _, _, err := s.lineEditor(r, newForm(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.LineEditor(ed))
}

// lineDoc is what the quote and order handlers share about a posted
// document form: the line editor as posted, its op ("" for a save), and
// the form's problems (field errors, or nil).
type lineDoc struct {
	ed  views.LineEditorProps
	op  string
	err error
}

// lineDocForm reads a posted quote or order form: the line editor, then
// the rest of the form by input, which builds the document's input with
// the lines and validates it. The error is one that is not the form's
// (the products could not be read): the caller's error page.
func (s *Server) lineDocForm(r *http.Request, f *form, input func(lines []crm.Line) error) (lineDoc, error) {
	ed, lines, op, err := s.lineEditor(r, f)
	if err != nil {
		return lineDoc{ed: ed, op: op}, err
	}
	return lineDoc{ed: ed, op: op, err: f.err(input(lines))}, nil
}

// onEdit drops the problem of the customer, which the edit form does not
// post: a document's customer never changes.
func (d *lineDoc) onEdit() {
	if fe := crm.FieldErrors(d.err); fe != nil {
		delete(fe, "customer_id")
		if len(fe) == 0 {
			d.err = nil
		}
	}
}

// docFormRender renders a quote or order form with the given status, the
// form's problems and the line editor.
type docFormRender func(status int, errs map[string]string, ed views.LineEditorProps)

// finishDoc ends a posted quote or order form: for the line editor's
// buttons without JavaScript (op) the form again with the lines changed
// (200, nothing saved); else, when the form had no problem, save, then a
// redirect to the document (to its id) with flash; problems of the form
// or refused by storage show the form again (422, docFormFailed); any
// other error its page.
func (s *Server) finishDoc(w http.ResponseWriter, r *http.Request, d lineDoc, render docFormRender,
	save func() (int64, error), flash string, to func(int64) string) {
	if d.op != "" {
		render(http.StatusOK, nil, d.ed)
		return
	}
	err := d.err
	var id int64
	if err == nil {
		id, err = save()
	}
	if err != nil {
		if errs, ed, ok := docFormFailed(err, d.ed); ok {
			render(http.StatusUnprocessableEntity, errs, ed)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", flash)
	s.redirect(w, r, to(id))
}

// newDoc starts the form of a new quote or order (of kind res): the
// customer picker first (titled title, posting to action) when the query
// names no customer or opportunity, else the customer — which the actor
// must view (404) and may add res under (403) —, the opportunity named and
// the line editor with one blank row. ok is false when it answered the
// request itself.
func (s *Server) newDoc(w http.ResponseWriter, r *http.Request, res crm.Resource, title, action string) (c crm.Customer, opportunityID int64, ed views.LineEditorProps, ok bool) {
	if !crm.CanCreate(webctx.Actor(r.Context()), res) {
		s.fail(w, r, crm.ErrForbidden)
		return c, 0, ed, false
	}
	customerID, opportunityID, err := s.newDocTarget(r)
	if err == nil && customerID == 0 {
		s.renderDocCustomerPick(w, r, title, action)
		return c, 0, ed, false
	}
	if err == nil {
		c, err = s.docCustomer(r, res, customerID)
	}
	if err == nil {
		ed, err = s.editorFor(r.Context(), nil, decimal.Zero)
	}
	if err != nil {
		s.fail(w, r, err)
		return c, 0, ed, false
	}
	return c, opportunityID, ed, true
}

// docCreate is the shared head of creating a quote or order (of kind
// res): the actor must create res (403), the posted form must be readable
// and its customer one the actor views (404) and may add res under (403).
// It returns the customer; ok is false when it answered the request
// itself.
func (s *Server) docCreate(w http.ResponseWriter, r *http.Request, res crm.Resource, read func() (int64, error)) (crm.Customer, bool) {
	if !crm.CanCreate(webctx.Actor(r.Context()), res) {
		s.fail(w, r, crm.ErrForbidden)
		return crm.Customer{}, false
	}
	customerID, err := read()
	var c crm.Customer
	if err == nil {
		c, err = s.docCustomer(r, res, customerID)
	}
	if err != nil {
		s.fail(w, r, err)
		return c, false
	}
	return c, true
}
