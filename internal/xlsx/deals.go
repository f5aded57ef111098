package xlsx

import (
	"strconv"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// The history of deals (admin only): orders with their lines, and
// payments. Both arrive as facts of the past — an approved order, a
// confirmed payment — and move the figures exactly as the workflows that
// would have made them (postgres.ImportSession.Apply).

// orderColumns are the staged columns of the order itself, the same on
// each of its lines: they come from the order's first line.
var orderColumns = []string{"number", "customer_id", "sign_date", "status", "notes", "total",
	"owner_id", "department_id", "created_by", "customer_owner_id", "customer_department_id"}

// buildOrderLine decides one line: its product (an inactive product is
// fine in history), unit price (the product's list price when empty),
// discount (1 when empty) and quantity; and the order's own values where
// the row has them (the first line must: groupOrders).
func buildOrderLine(b *builder) {
	b.set("number", b.text("number"))
	if cu := b.val("customer"); cu.ok {
		if !b.under("customer", crm.ResCustomer, cu.m, crm.ResOrder) {
			return
		}
		b.set("customer_id", cu.m.ID)
	}
	b.set("sign_date", b.day("sign_date"))
	b.set("status", b.choice("status"))
	b.set("notes", b.text("notes"))
	b.own(crm.ResOrder)
	p := b.val("sku").m
	b.set("product_id", p.ID)
	price := p.Amount
	if v := b.val("unit_price"); v.ok {
		price = v.num
	}
	discount := decimal.NewFromInt(1)
	if v := b.val("discount"); v.ok {
		discount = v.num
	}
	b.set("unit_price", price)
	b.set("discount", discount)
	b.set("quantity", b.val("quantity").num)
}

// groupRow is what the next row may continue: the row's number in the
// sheet and the value of its group ("" when it has none to continue).
type groupRow struct {
	num   int
	group string
}

// carryGroup reads a row that leaves its group's cell blank (an order's
// number) as a further row of the group directly above it — an order's
// further line, as the orders' note allows — and gives it that group's
// value. A blank with no group directly above — the first data row, a row
// below a blank one, a row below one whose own value was blank or
// unreadable — is an error that says where a blank is allowed: such a row
// is never guessed into an order.
func (v *validator) carryGroup(r *row) {
	f := v.t.GroupBy
	if f == "" {
		return
	}
	i := v.t.index[f]
	above := v.above
	v.above = groupRow{num: r.num}
	switch {
	case r.cells[i] != "":
		if !r.hasError(f) {
			v.above.group = r.cells[i]
		}
	case r.hasError(f): // a cell that could not be read says so already
	case above.group == "" || above.num != r.num-1:
		r.fail(f, "import.err.order_number_blank")
	default:
		r.cells[i] = above.group
		r.vals[i] = value{text: above.group, ok: true}
		r.cont = true
		v.above.group = above.group
	}
}

// groupOrders decides the lines of one order together: they must be
// consecutive rows (the order's number not seen before; a further line may
// leave it blank, carryGroup), the order's own columns filled on its first
// line and the same (or empty) on the others,
// at most crm.MaxLines lines, a total the database can hold. A line with
// an error holds the whole order back (an order is never imported with
// part of its lines). Then the lines are numbered and priced (crm.Priced:
// the subtotals and the total the line editor computes) and carry the
// order's values of the first line.
func groupOrders(v *validator, rows []*row) {
	t := v.t
	first := rows[0]
	ni := t.index["number"]
	num := first.cells[ni]
	if num == "" { // a group of its own (sameGroup)
		if !first.hasError("number") {
			first.fail("number", "import.err.required")
		}
		return
	}
	if at, seen := v.groups[num]; seen {
		for _, r := range rows {
			r.fail("number", "import.err.order_apart", num, strconv.Itoa(at))
		}
		return
	}
	v.groups[num] = first.num
	for i := range t.Columns {
		c := &t.Columns[i]
		if !c.Group {
			continue
		}
		if c.Required && first.cells[i] == "" && !first.hasError(c.Field) {
			first.fail(c.Field, "import.err.required")
		}
		for _, r := range rows[1:] {
			if r.cells[i] != "" && !r.hasError(c.Field) && !sameValue(first.vals[i], r.vals[i]) {
				if r.cont { // perhaps another order whose number was forgotten
					r.fail(c.Field, "import.err.order_continuation_differs", num, strconv.Itoa(first.num))
				} else {
					r.fail(c.Field, "import.err.order_differs", strconv.Itoa(first.num))
				}
			}
		}
	}
	for _, r := range rows[min(len(rows), crm.MaxLines):] {
		r.fail("", "import.err.order_too_many_lines", strconv.Itoa(crm.MaxLines))
	}
	holdBack := func() bool {
		bad := 0
		for _, r := range rows {
			if len(r.errs) > 0 {
				bad = r.num
				break
			}
		}
		if bad == 0 {
			return false
		}
		for _, r := range rows {
			if len(r.errs) == 0 {
				r.fail("", "import.err.order_line_error", num, strconv.Itoa(bad))
			}
		}
		return true
	}
	if holdBack() {
		return
	}
	col := func(name string) int { return t.outIdx[name] }
	lines := make([]crm.Line, len(rows))
	for i, r := range rows {
		lines[i] = crm.Line{UnitPrice: r.out[col("unit_price")].(decimal.Decimal),
			Discount: r.out[col("discount")].(decimal.Decimal), Quantity: r.out[col("quantity")].(decimal.Decimal)}
	}
	priced, total := crm.Priced(lines)
	if total.GreaterThan(crm.MaxDocTotal) {
		first.fail("", "import.err.order_total_too_large")
		holdBack()
		return
	}
	first.out[col("total")] = total
	for i, r := range rows {
		for _, c := range orderColumns {
			r.out[col(c)] = first.out[col(c)]
		}
		r.out[col("position")] = i + 1
		r.out[col("subtotal")] = priced[i].Subtotal
	}
}

// sameValue reports whether two cells of a column say the same (a day
// written two ways, a username in another case).
func sameValue(a, b value) bool {
	switch {
	case a.at != nil || b.at != nil:
		return a.at != nil && b.at != nil && a.at.Equal(*b.at)
	case a.str != "" || b.str != "":
		return a.str == b.str
	}
	return a.text == b.text
}

// buildPayment decides a payment: against an approved order the importer
// may record money against (the customer and the copies of its owner
// follow from the order), confirmed or not, owned as SPEC §2 says.
func buildPayment(b *builder) {
	o := b.val("order")
	m := o.m
	rec := crm.Record{Resource: crm.ResOrder, OwnerID: m.OwnerID, DepartmentID: m.DepartmentID, CreatedBy: m.CreatedBy,
		CustomerID: m.CustomerID, CustomerOwnerID: m.CustomerOwnerID, CustomerDepartmentID: m.CustomerDepartmentID}
	switch {
	case !crm.CanDo(b.v.a, crm.ActRecordMoney, rec):
		b.r.fail("order", "import.err.cannot_add_under", o.text)
		return
	case m.Status != string(crm.OrderApproved):
		b.r.fail("order", "import.err.order_not_approved", o.text)
		return
	}
	b.set("order_id", m.ID)
	b.set("customer_id", m.CustomerID)
	b.set("customer_owner_id", nullID(m.CustomerOwnerID))
	b.set("customer_department_id", nullID(m.CustomerDepartmentID))
	b.set("amount", b.money("amount"))
	b.set("paid_on", b.day("paid_on"))
	method := ""
	if v := b.val("method"); v.ok {
		method = v.str
	}
	b.set("method", method)
	b.set("notes", b.text("notes"))
	b.set("confirmed", b.val("confirmed").ok && b.val("confirmed").b)
	b.own(crm.ResPayment)
}

// settlePayments checks the new payments in file order against what their
// order has left: no payment may be more than the order's total less its
// confirmed payments — those already in the CRM and the confirmed ones of
// the file so far (CreatePayment's rule for each, and the confirmation's
// rule for them all).
func settlePayments(v *validator, rows []*row) {
	oi := v.t.index["order"]
	for _, r := range rows {
		if len(r.errs) > 0 || r.exist != nil {
			continue
		}
		m := r.vals[oi].m
		amount := r.out[v.t.outIdx["amount"]].(decimal.Decimal)
		left := m.Amount.Sub(m.Paid).Sub(v.paid[m.ID])
		if amount.GreaterThan(left) {
			r.fail("amount", "import.err.payment_over", r.vals[oi].text, crm.FormatMoney(left))
			continue
		}
		if r.out[v.t.outIdx["confirmed"]].(bool) {
			v.paid[m.ID] = v.paid[m.ID].Add(amount)
		}
	}
}
