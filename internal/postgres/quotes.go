package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// Quotes (报价单) and what they share with orders: their lines, their
// numbers and their place under a customer. A quote or order carries its
// customer's id and a copy of the customer's owner and department
// (customer_owner_id, customer_department_id) for rule 7 of the policy,
// rewritten by the customer's claim, release and assign; it is owned by its
// creator. Lines are priced by crm.Priced — every subtotal rounded half-up
// to 0.01 — and stored with their subtotals; the total is the sum of the
// stored subtotals, so a page never recomputes money.
//
// Writers lock the customer row first and the document after it, the order
// in which the customer's own workflows (setOwner) reach the documents, so
// that a document's workflow and its customer's never deadlock.

// docTable describes what differs between quotes and orders for the shared
// line and number code.
type docTable struct {
	res   crm.Resource
	lines string // quote_lines, order_lines
	key   string // the lines' column naming the document
	kind  string // the number prefix (nextNumber)
}

var (
	quoteDoc = docTable{res: crm.ResQuote, lines: "quote_lines", key: "quote_id", kind: "BJ"}
	orderDoc = docTable{res: crm.ResOrder, lines: "order_lines", key: "order_id", kind: "DD"}
)

// docHead is what a new quote or order is inserted with besides its own
// fields: its number, its customer's owner and department, its total.
type docHead struct {
	number string
	parent crm.Parent
	total  decimal.Decimal
}

// createDoc adds a document of d under customerID, which a must view
// (ENOTFOUND) and may add d's records under (crm.CanAddUnder, EFORBIDDEN),
// with an optional opportunity of that customer and lines of existing,
// active products: it takes the next number, prices the lines, inserts
// the document by insert (returning its id), writes its lines and its
// history entry. The caller has checked that a creates d's records and
// validated the input.
func createDoc(ctx context.Context, tx pgx.Tx, a crm.Actor, d docTable, customerID, opportunityID int64, lines []crm.Line,
	insert func(h docHead) (int64, error)) (int64, error) {
	parent, rec, err := customerParent(ctx, tx, a, customerID)
	if err != nil {
		return 0, err
	}
	if !crm.CanAddUnder(a, d.res, rec) {
		return 0, crm.ErrForbidden
	}
	if err := checkDocOpportunity(ctx, tx, opportunityID, customerID); err != nil {
		return 0, err
	}
	if err := checkLineProducts(ctx, tx, lines, nil); err != nil {
		return 0, err
	}
	number, err := nextNumber(ctx, tx, d.kind)
	if err != nil {
		return 0, err
	}
	lines, total := crm.Priced(lines)
	id, err := insert(docHead{number: number, parent: parent, total: total})
	if err != nil {
		return 0, translate(err)
	}
	if err := writeDocLines(ctx, tx, d, id, lines); err != nil {
		return 0, err
	}
	return id, recordHistory(ctx, tx, d.res, id, a.ID, "create",
		[]crm.Change{{Field: "doc_number", New: number}, {Field: "doc_total", New: total.StringFixed(2)}})
}

// checkDocChange checks the opportunity and lines of a changed document
// of customerID that had the lines had, and prices the lines.
func checkDocChange(ctx context.Context, tx pgx.Tx, customerID, opportunityID int64, lines, had []crm.Line) ([]crm.Line, decimal.Decimal, error) {
	if err := checkDocOpportunity(ctx, tx, opportunityID, customerID); err != nil {
		return nil, decimal.Zero, err
	}
	if err := checkLineProducts(ctx, tx, lines, had); err != nil {
		return nil, decimal.Zero, err
	}
	lines, total := crm.Priced(lines)
	return lines, total, nil
}

// recordDocUpdate records a document's update with the changes of its
// fields (triples of crm.Diff); nothing changed: no history entry.
func recordDocUpdate(ctx context.Context, tx pgx.Tx, a crm.Actor, d docTable, id int64, fields ...[3]string) error {
	changes := crm.Diff(fields...)
	if len(changes) == 0 {
		return nil
	}
	return recordHistory(ctx, tx, d.res, id, a.ID, "update", changes)
}

// docLines returns a document's lines in their order, with the names the
// pages show. The caller has checked that the actor may view the document.
func docLines(ctx context.Context, q collabQuerier, d docTable, id int64) ([]crm.Line, error) {
	rows, err := q.Query(ctx, `/* postgres.docLines */
		SELECT l.product_id, p.name, p.sku, p.unit, l.unit_price, l.discount, l.quantity, l.subtotal
		FROM `+d.lines+` l JOIN products p ON p.id = l.product_id
		WHERE l.`+d.key+` = $1 ORDER BY l.position`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.Line, error) {
		var l crm.Line
		err := r.Scan(&l.ProductID, &l.ProductName, &l.SKU, &l.Unit, &l.UnitPrice, &l.Discount, &l.Quantity, &l.Subtotal)
		return l, err
	})
}

// writeDocLines replaces a document's lines by lines (priced by the
// caller) in one statement each way.
func writeDocLines(ctx context.Context, tx pgx.Tx, d docTable, id int64, lines []crm.Line) error {
	if _, err := tx.Exec(ctx, `/* postgres.writeDocLines delete */ DELETE FROM `+d.lines+` WHERE `+d.key+` = $1`, id); err != nil {
		return err
	}
	if len(lines) == 0 {
		return nil
	}
	pos := make([]int32, len(lines))
	products := make([]int64, len(lines))
	prices, discounts, quantities, subtotals := make([]string, len(lines)), make([]string, len(lines)),
		make([]string, len(lines)), make([]string, len(lines))
	for i, l := range lines {
		pos[i], products[i] = int32(i+1), l.ProductID
		prices[i], discounts[i], quantities[i], subtotals[i] = l.UnitPrice.String(), l.Discount.String(),
			l.Quantity.String(), l.Subtotal.String()
	}
	_, err := tx.Exec(ctx, `/* postgres.writeDocLines */
		INSERT INTO `+d.lines+` (`+d.key+`, position, product_id, unit_price, discount, quantity, subtotal)
		SELECT $1, x.pos, x.product, x.price, x.discount, x.quantity, x.subtotal
		FROM unnest($2::int[], $3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[])
		     AS x(pos, product, price, discount, quantity, subtotal)`,
		id, pos, products, prices, discounts, quantities, subtotals)
	return translate(err)
}

// checkLineProducts verifies that every line names an existing product,
// and an active one unless the document already had it (a product taken
// out of the catalogue stays on the documents that use it). Problems are
// field errors on line_product_<index>.
func checkLineProducts(ctx context.Context, tx pgx.Tx, lines, had []crm.Line) error {
	ids := make([]int64, 0, len(lines))
	for _, l := range lines {
		ids = append(ids, l.ProductID)
	}
	rows, err := tx.Query(ctx, `/* postgres.checkLineProducts */ SELECT id, active FROM products WHERE id = ANY($1::bigint[])`, ids)
	if err != nil {
		return err
	}
	active := map[int64]bool{}
	var id int64
	var on bool
	if _, err := pgx.ForEachRow(rows, []any{&id, &on}, func() error { active[id] = on; return nil }); err != nil {
		return err
	}
	kept := map[int64]bool{}
	for _, l := range had {
		kept[l.ProductID] = true
	}
	var v crm.Invalid
	for i, l := range lines {
		on, ok := active[l.ProductID]
		switch {
		case !ok:
			v.Add("line_product_"+strconv.Itoa(i), "error.not_exist")
		case !on && !kept[l.ProductID]:
			v.Add("line_product_"+strconv.Itoa(i), "line.product_inactive")
		}
	}
	return v.Err()
}

// linesSummary renders lines for history: "SKU × quantity @ price × discount", one per line.
func linesSummary(lines []crm.Line) string {
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		s := l.SKU
		if s == "" {
			s = "#" + strconv.FormatInt(l.ProductID, 10)
		}
		s += " × " + l.Quantity.String() + " @ " + l.UnitPrice.StringFixed(2)
		if !l.Discount.Equal(decimal.NewFromInt(1)) {
			s += " × " + l.Discount.String()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// checkDocOpportunity verifies that a document's opportunity (if any) is
// one of its customer's (field error on opportunity_id otherwise). Whoever
// may add a document under the customer views its opportunities (rule 7).
func checkDocOpportunity(ctx context.Context, tx pgx.Tx, opportunityID, customerID int64) error {
	if opportunityID == 0 {
		return nil
	}
	var ok bool
	if err := tx.QueryRow(ctx, `/* postgres.checkDocOpportunity */
		SELECT EXISTS (SELECT 1 FROM opportunities WHERE id = $1 AND customer_id = $2)`, opportunityID, customerID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{"opportunity_id": "error.not_exist"}}
	}
	return nil
}

// lockDocCustomer locks the customer a document is under, before the
// document itself. strength is "SHARE" for changes of the document alone
// and "NO KEY UPDATE" for workflows that also change the customer's
// figures (approving an order), so that no lock is ever upgraded.
func lockDocCustomer(ctx context.Context, tx pgx.Tx, customerID int64, strength string) error {
	_, err := tx.Exec(ctx, `/* postgres.lockDocCustomer */ SELECT 1 FROM customers WHERE id = $1 FOR `+strength, customerID)
	return err
}

const quoteFrom = `quotes q
	JOIN customers cu ON cu.id = q.customer_id
	LEFT JOIN opportunities op ON op.id = q.opportunity_id
	LEFT JOIN orders od ON od.id = q.order_id
	LEFT JOIN employees o ON o.id = q.owner_id
	LEFT JOIN departments d ON d.id = q.department_id
	LEFT JOIN employees cb ON cb.id = q.created_by`

const quoteColumns = `q.id, q.number, coalesce(q.opportunity_id, 0), coalesce(op.name, ''), q.quote_date, q.valid_until,
	q.status, q.total, q.notes, coalesce(q.order_id, 0), coalesce(od.number, ''),
	q.customer_id, cu.name, coalesce(q.customer_owner_id, 0), coalesce(q.customer_department_id, 0),
	coalesce(q.owner_id, 0), coalesce(o.name, ''), coalesce(q.department_id, 0), coalesce(d.name, ''),
	q.created_by, coalesce(cb.name, ''), q.created_at, q.updated_at, q.is_demo`

func scanQuote(r pgx.CollectableRow) (crm.Quote, error) {
	var q crm.Quote
	var day time.Time
	err := r.Scan(&q.ID, &q.Number, &q.OpportunityID, &q.OpportunityName, &day, &q.ValidUntil,
		&q.Status, &q.Total, &q.Notes, &q.OrderID, &q.OrderNumber,
		&q.CustomerID, &q.Parent.Name, &q.CustomerOwnerID, &q.CustomerDepartmentID,
		&q.OwnerID, &q.OwnerName, &q.DepartmentID, &q.DepartmentName,
		&q.CreatedBy, &q.CreatedByName, &q.CreatedAt, &q.UpdatedAt, &q.IsDemo)
	q.QuoteDate = *businessDay(&day)
	q.ValidUntil = businessDay(q.ValidUntil)
	return q, err
}

var quoteSorts = map[string]string{
	"created": "q.created_at, q.id",
	"number":  "q.number, q.id",
	"date":    "q.quote_date, q.id",
	"valid":   "q.valid_until, q.id",
	"total":   "q.total, q.id",
	"status":  "q.status, q.id",
}

// quoteRead reads quotes with their lines and their customer's
// collaborators (for the policy).
var quoteRead = dealRead[crm.Quote]{name: "Quote", res: crm.ResQuote, table: "quotes", alias: "q",
	columns: quoteColumns, from: quoteFrom, scan: scanQuote,
	more: func(ctx context.Context, q collabQuerier, qt *crm.Quote) (err error) {
		if qt.Collaborators, err = collaboratorIDs(ctx, q, qt.CustomerID); err != nil {
			return err
		}
		qt.Lines, err = docLines(ctx, q, quoteDoc, qt.ID)
		return err
	}}

// FindQuotes returns one page of the quotes a may view that match f, and
// their (capped) total. The permission condition is part of the SQL.
func (db *DB) FindQuotes(ctx context.Context, a crm.Actor, f crm.QuoteFilter) ([]crm.Quote, crm.Total, error) {
	order := orderBy(quoteSorts, f.Sort, f.Desc, "q.created_at DESC, q.id DESC")
	return quoteRead.find(ctx, db, "FindQuotes", quoteQuery(a, f), order, f.Page)
}

// quoteQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func quoteQuery(a crm.Actor, f crm.QuoteFilter) *query {
	var q query
	q.scope(a, crm.ResQuote, "q", f.Tab)
	q.search("q.number", f.Query)
	if f.Status != "" {
		q.and("q.status = " + q.arg(string(f.Status)))
	}
	if f.CustomerID != 0 {
		q.and("q.customer_id = " + q.arg(f.CustomerID))
	}
	if f.OpportunityID != 0 {
		q.and("q.opportunity_id = " + q.arg(f.OpportunityID))
	}
	return &q
}

// QuoteByID returns a quote a may view, with its lines and its customer's
// collaborators (for the policy); ENOTFOUND if it does not exist or a may
// not view it.
func (db *DB) QuoteByID(ctx context.Context, a crm.Actor, id int64) (crm.Quote, error) {
	return quoteRead.byID(ctx, db, a, id)
}

// CreateQuote adds a quote under a customer a may view (ENOTFOUND
// otherwise) and may add records under (crm.CanAddUnder, EFORBIDDEN
// otherwise), with an optional opportunity of that customer. It takes the
// next BJ number, prices the lines, and is owned by its creator. Returns
// the quote's id.
func (db *DB) CreateQuote(ctx context.Context, a crm.Actor, in crm.QuoteInput) (int64, error) {
	if !crm.CanCreate(a, crm.ResQuote) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) (err error) {
		id, err = createDoc(ctx, tx, a, quoteDoc, in.CustomerID, in.OpportunityID, in.Lines, func(h docHead) (id int64, err error) {
			err = tx.QueryRow(ctx, `/* postgres.CreateQuote */
				INSERT INTO quotes (number, customer_id, opportunity_id, quote_date, valid_until, status, total, notes,
				                    owner_id, department_id, created_by, customer_owner_id, customer_department_id)
				VALUES ($1, $2, $3, coalesce($4::date, current_date), $5, $6, $7, $8, $9, $10, $9, $11, $12) RETURNING id`,
				h.number, in.CustomerID, nullID(in.OpportunityID), dateArg(in.QuoteDate), dateArg(in.ValidUntil),
				string(in.Status), h.total, in.Notes, a.ID, nullID(a.DepartmentID),
				nullID(h.parent.CustomerOwnerID), nullID(h.parent.CustomerDepartmentID)).Scan(&id)
			return id, err
		})
		return err
	})
	return id, err
}

// UpdateQuote changes a quote and replaces its lines: ENOTFOUND unless a
// may view it, EFORBIDDEN unless a may update it, EINVALID for bad input.
// The customer does not change.
func (db *DB) UpdateQuote(ctx context.Context, a crm.Actor, id int64, in crm.QuoteInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := quoteRead.forAction(ctx, tx, a, id, "SHARE")
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, old.Record()) {
			return crm.ErrForbidden
		}
		in.CustomerID = old.CustomerID
		if err := in.Validate(); err != nil {
			return err
		}
		lines, total, err := checkDocChange(ctx, tx, old.CustomerID, in.OpportunityID, in.Lines, old.Lines)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdateQuote */
			UPDATE quotes SET opportunity_id = $2, quote_date = coalesce($3::date, quote_date), valid_until = $4, status = $5,
			       total = $6, notes = $7, updated_at = now()
			WHERE id = $1`, id, nullID(in.OpportunityID), dateArg(in.QuoteDate), dateArg(in.ValidUntil),
			string(in.Status), total, in.Notes); err != nil {
			return translate(err)
		}
		if err := writeDocLines(ctx, tx, quoteDoc, id, lines); err != nil {
			return err
		}
		now, err := quoteRead.inTx(ctx, tx, id, false)
		if err != nil {
			return err
		}
		return recordDocUpdate(ctx, tx, a, quoteDoc, id,
			[3]string{"doc_opportunity", old.OpportunityName, now.OpportunityName},
			[3]string{"quote_date", fmtDay(&old.QuoteDate), fmtDay(&now.QuoteDate)},
			[3]string{"valid_until", fmtDay(old.ValidUntil), fmtDay(now.ValidUntil)},
			[3]string{"quote_status", string(old.Status), string(now.Status)},
			[3]string{"doc_lines", linesSummary(old.Lines), linesSummary(now.Lines)},
			[3]string{"doc_total", old.Total.StringFixed(2), now.Total.StringFixed(2)},
			[3]string{"notes", old.Notes, now.Notes})
	})
}

// SetQuoteStatus moves a quote to status (已发送, 已接受, …): ENOTFOUND
// unless a may view it, EFORBIDDEN unless a may update it, EINVALID for an
// unknown status.
func (db *DB) SetQuoteStatus(ctx context.Context, a crm.Actor, id int64, status crm.QuoteStatus) error {
	valid := false
	for _, s := range crm.QuoteStatuses {
		valid = valid || s == status
	}
	if !valid {
		return &crm.Error{Code: crm.EINVALID, Message: "error.choose", Fields: map[string]string{"status": "error.choose"}}
	}
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := quoteRead.forAction(ctx, tx, a, id, "SHARE")
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, old.Record()) {
			return crm.ErrForbidden
		}
		if old.Status == status {
			return nil
		}
		if _, err := tx.Exec(ctx, `/* postgres.SetQuoteStatus */ UPDATE quotes SET status = $2, updated_at = now() WHERE id = $1`,
			id, string(status)); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResQuote, id, a.ID, "status",
			[]crm.Change{{Field: "quote_status", Old: string(old.Status), New: string(status)}})
	})
}

// DeleteQuote removes a quote with its lines: ENOTFOUND unless a may view
// it, EFORBIDDEN unless a may delete it, ECONFLICT "quote.has_order" when an
// order was made from it (the order refers to it).
func (db *DB) DeleteQuote(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := quoteRead.forAction(ctx, tx, a, id, "SHARE")
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, old.Record()) {
			return crm.ErrForbidden
		}
		var ordered bool
		if err := tx.QueryRow(ctx, `/* postgres.DeleteQuote orders */
			SELECT EXISTS (SELECT 1 FROM orders WHERE quote_id = $1)`, id).Scan(&ordered); err != nil {
			return err
		}
		if ordered || old.OrderID != 0 {
			return crm.Errorf(crm.ECONFLICT, "quote.has_order")
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteQuote */ DELETE FROM quotes WHERE id = $1`, id); err != nil {
			if e := translate(err); crm.ErrorCode(e) == crm.ECONFLICT {
				return crm.Errorf(crm.ECONFLICT, "quote.has_order")
			}
			return err
		}
		return recordHistory(ctx, tx, crm.ResQuote, id, a.ID, "delete", nil)
	})
}

// QuoteToOrder makes a draft order from a quote (转订单), in one
// transaction: the same customer, opportunity, lines and prices, the next
// DD number, owned by a; the quote points at the order and becomes 已接受.
// ENOTFOUND unless a may view the quote; EFORBIDDEN unless a may create
// orders under its customer; once only: a second conversion gets ECONFLICT
// "quote.already_ordered" with the existing order's number (the quote's
// OrderID names it). Returns the order's id.
func (db *DB) QuoteToOrder(ctx context.Context, a crm.Actor, quoteID int64) (int64, error) {
	var orderID int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		q, err := quoteRead.forAction(ctx, tx, a, quoteID, "SHARE")
		if err != nil {
			return err
		}
		if !crm.CanCreate(a, crm.ResOrder) {
			return crm.ErrForbidden
		}
		parent, rec, err := customerParent(ctx, tx, a, q.CustomerID)
		switch {
		case crm.ErrorCode(err) == crm.ENOTFOUND:
			return crm.ErrForbidden // they view the quote (they made it), not its customer
		case err != nil:
			return err
		case !crm.CanAddUnder(a, crm.ResOrder, rec):
			return crm.ErrForbidden
		}
		if q.OrderID != 0 {
			return crm.Errorf(crm.ECONFLICT, "quote.already_ordered", q.OrderNumber)
		}
		number, err := nextNumber(ctx, tx, orderDoc.kind)
		if err != nil {
			return err
		}
		lines, total := crm.Priced(q.Lines)
		err = tx.QueryRow(ctx, `/* postgres.QuoteToOrder */
			INSERT INTO orders (number, customer_id, opportunity_id, quote_id, status, total, notes,
			                    owner_id, department_id, created_by, customer_owner_id, customer_department_id)
			VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $7, $9, $10) RETURNING id`,
			number, q.CustomerID, nullID(q.OpportunityID), q.ID, total, q.Notes, a.ID, nullID(a.DepartmentID),
			nullID(parent.CustomerOwnerID), nullID(parent.CustomerDepartmentID)).Scan(&orderID)
		if err != nil {
			return translate(err)
		}
		if err := writeDocLines(ctx, tx, orderDoc, orderID, lines); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.QuoteToOrder quote */
			UPDATE quotes SET order_id = $2, status = 'accepted', updated_at = now() WHERE id = $1`, q.ID, orderID); err != nil {
			return err
		}
		if err := recordHistory(ctx, tx, crm.ResOrder, orderID, a.ID, "create",
			[]crm.Change{{Field: "doc_number", New: number}, {Field: "doc_quote", New: q.Number},
				{Field: "doc_total", New: total.StringFixed(2)}}); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResQuote, q.ID, a.ID, "to_order", crm.Diff(
			[3]string{"doc_order", "", number}, [3]string{"quote_status", string(q.Status), string(crm.QuoteAccepted)}))
	})
	return orderID, err
}
