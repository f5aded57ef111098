package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// Invoices (开票单): the same life as payments (see payments.go for what
// they share, the locks and the confirmation), with an invoice number and
// type, and orders.invoiced_amount / customers.invoiced_amount as figures.

const invoiceFrom = `invoices i
	JOIN orders o ON o.id = i.order_id
	JOIN customers cu ON cu.id = i.customer_id
	LEFT JOIN employees ow ON ow.id = i.owner_id
	LEFT JOIN departments d ON d.id = i.department_id
	LEFT JOIN employees cb ON cb.id = i.created_by
	LEFT JOIN employees cf ON cf.id = i.confirmed_by`

const invoiceColumns = `i.id, i.order_id, o.number, i.amount, i.invoice_no, i.invoice_type, i.issued_on, i.notes,
	i.confirmed, coalesce(i.confirmed_by, 0), coalesce(cf.name, ''), i.confirmed_at,
	i.customer_id, cu.name, coalesce(i.customer_owner_id, 0), coalesce(i.customer_department_id, 0),
	coalesce(i.owner_id, 0), coalesce(ow.name, ''), coalesce(i.department_id, 0), coalesce(d.name, ''),
	i.created_by, coalesce(cb.name, ''), i.created_at, i.updated_at, i.is_demo`

func scanInvoice(r pgx.CollectableRow) (crm.Invoice, error) {
	var v crm.Invoice
	err := r.Scan(&v.ID, &v.OrderID, &v.OrderNumber, &v.Amount, &v.InvoiceNo, &v.InvoiceType, &v.IssuedOn, &v.Notes,
		&v.Confirmed, &v.ConfirmedBy, &v.ConfirmedByName, &v.ConfirmedAt,
		&v.CustomerID, &v.Parent.Name, &v.CustomerOwnerID, &v.CustomerDepartmentID,
		&v.OwnerID, &v.OwnerName, &v.DepartmentID, &v.DepartmentName,
		&v.CreatedBy, &v.CreatedByName, &v.CreatedAt, &v.UpdatedAt, &v.IsDemo)
	v.IssuedOn = businessDate(v.IssuedOn)
	return v, err
}

// withInvoiceCollaborators fills each invoice's customer collaborators.
func withInvoiceCollaborators(ctx context.Context, q collabQuerier, list []crm.Invoice) ([]crm.Invoice, error) {
	ids := make([]int64, 0, len(list))
	for _, v := range list {
		ids = append(ids, v.CustomerID)
	}
	collab, err := collaboratorsByCustomer(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Collaborators = collab[list[i].CustomerID]
	}
	return list, nil
}

var invoiceSorts = map[string]string{
	"issued":    "i.issued_on, i.id",
	"amount":    "i.amount, i.id",
	"created":   "i.created_at, i.id",
	"confirmed": "i.confirmed_at, i.id",
}

// FindInvoices returns one page of the invoices a may view that match f,
// and their (capped) total. The permission condition is part of the SQL;
// marketing gets none.
func (db *DB) FindInvoices(ctx context.Context, a crm.Actor, f crm.InvoiceFilter) ([]crm.Invoice, crm.Total, error) {
	q := invoiceQuery(a, f)
	total, err := q.count(ctx, db, "FindInvoices", "invoices i")
	if err != nil {
		return nil, total, err
	}
	p := f.Page.Norm()
	order := orderBy(invoiceSorts, f.Sort, f.Desc, "i.created_at DESC, i.id DESC")
	rows, err := db.Pool.Query(ctx, `/* postgres.FindInvoices */ SELECT `+invoiceColumns+` FROM `+invoiceFrom+q.whereSQL()+
		` ORDER BY `+order+` LIMIT `+strconv.Itoa(p.PerPage)+` OFFSET `+strconv.Itoa((p.Page-1)*p.PerPage), q.args.List...)
	if err != nil {
		return nil, total, err
	}
	list, err := pgx.CollectRows(rows, scanInvoice)
	if err != nil {
		return nil, total, err
	}
	list, err = withInvoiceCollaborators(ctx, db.anchored(), list)
	return list, total, err
}

// invoiceQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func invoiceQuery(a crm.Actor, f crm.InvoiceFilter) *query {
	var q query
	q.scope(a, crm.ResInvoice, "i", f.Tab)
	q.moneySearch("i", f.Query, "i.invoice_no")
	q.moneyFilters("i", "issued_on", f.Confirmed, f.OrderID, f.CustomerID, f.From, f.To)
	if f.Type != "" {
		q.and("i.invoice_type = " + q.arg(string(f.Type)))
	}
	return &q
}

// InvoicesOfOrder returns the invoices of an order that a may view, oldest
// first (at most 200): the order page's money section.
func (db *DB) InvoicesOfOrder(ctx context.Context, a crm.Actor, orderID int64) ([]crm.Invoice, error) {
	return db.invoicesWhere(ctx, a, "InvoicesOfOrder", "i.order_id", orderID, "i.issued_on, i.id")
}

// InvoicesOf returns the invoices of a customer that a may view, newest
// first (at most 200): the customer page's invoices tab.
func (db *DB) InvoicesOf(ctx context.Context, a crm.Actor, customerID int64) ([]crm.Invoice, error) {
	return db.invoicesWhere(ctx, a, "InvoicesOf", "i.customer_id", customerID, "i.issued_on DESC, i.id DESC")
}

// invoicesWhere lists the viewable invoices whose col is id, in order.
func (db *DB) invoicesWhere(ctx context.Context, a crm.Actor, name, col string, id int64, order string) ([]crm.Invoice, error) {
	var q query
	q.and(col + " = " + q.arg(id))
	q.scope(a, crm.ResInvoice, "i", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.`+name+` */ SELECT `+invoiceColumns+` FROM `+invoiceFrom+q.whereSQL()+
		` ORDER BY `+order+` LIMIT 200`, q.args.List...)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scanInvoice)
	if err != nil {
		return nil, err
	}
	return withInvoiceCollaborators(ctx, db.anchored(), list)
}

// InvoiceByID returns an invoice a may view, with its customer's
// collaborators (so that Record() is right); ENOTFOUND if it does not exist
// or a may not view it.
func (db *DB) InvoiceByID(ctx context.Context, a crm.Actor, id int64) (crm.Invoice, error) {
	var q query
	q.and("i.id = " + q.arg(id))
	q.scope(a, crm.ResInvoice, "i", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.InvoiceByID */ SELECT `+invoiceColumns+` FROM `+invoiceFrom+q.whereSQL(), q.args.List...)
	if err != nil {
		return crm.Invoice{}, err
	}
	v, err := pgx.CollectExactlyOneRow(rows, scanInvoice)
	if err != nil {
		return v, translate(err)
	}
	v.Collaborators, err = collaboratorIDs(ctx, db.anchored(), v.CustomerID)
	return v, err
}

// invoiceInTx reads one invoice with its customer's collaborators, locking
// its row when lock is set. It does not check visibility.
func invoiceInTx(ctx context.Context, tx pgx.Tx, id int64, lock bool) (crm.Invoice, error) {
	sql := `/* postgres.invoiceInTx */ SELECT ` + invoiceColumns + ` FROM ` + invoiceFrom + ` WHERE i.id = $1`
	if lock {
		sql += ` FOR UPDATE OF i`
	}
	rows, err := tx.Query(ctx, sql, id)
	if err != nil {
		return crm.Invoice{}, err
	}
	v, err := pgx.CollectExactlyOneRow(rows, scanInvoice)
	if err != nil {
		return v, translate(err)
	}
	v.Collaborators, err = collaboratorIDs(ctx, tx, v.CustomerID)
	return v, err
}

// invoiceForChange checks that a may view the invoice (ENOTFOUND
// otherwise), then locks it and returns it as it is now; a confirmed
// invoice is EFORBIDDEN "invoice.locked" for everyone.
func invoiceForChange(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64) (crm.Invoice, error) {
	before, err := invoiceInTx(ctx, tx, id, false)
	if err != nil {
		return before, err
	}
	if !crm.CanView(a, before.Record()) {
		return before, crm.ErrNotFound
	}
	v, err := invoiceInTx(ctx, tx, id, true)
	if err != nil {
		return v, err
	}
	if v.Confirmed {
		return v, crm.Errorf(crm.EFORBIDDEN, invoiceMoney.locked)
	}
	return v, nil
}

// CreateInvoice records an invoice against an order (开票单) and its history
// entry, owned by its recorder, under the order's customer. The errors are
// CreatePayment's: EFORBIDDEN for a role that records no invoices, EINVALID
// for bad input or an amount above what the order has left to invoice,
// ENOTFOUND unless a may view the order, EFORBIDDEN unless a may record
// money against it, ECONFLICT unless it is approved.
func (db *DB) CreateInvoice(ctx context.Context, a crm.Actor, in crm.InvoiceInput) (int64, error) {
	if !crm.CanCreate(a, crm.ResInvoice) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		o, err := orderForRecording(ctx, tx, a, invoiceMoney, in.OrderID, in.Amount)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `/* postgres.CreateInvoice */
			INSERT INTO invoices (order_id, customer_id, amount, invoice_no, invoice_type, issued_on, notes, owner_id,
			                      department_id, created_by, customer_owner_id, customer_department_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $10, $11) RETURNING id`,
			o.ID, o.CustomerID, in.Amount, in.InvoiceNo, string(in.InvoiceType), dateArg(in.IssuedOn), in.Notes,
			a.ID, nullID(a.DepartmentID), nullID(o.CustomerOwnerID), nullID(o.CustomerDepartmentID)).Scan(&id)
		if err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResInvoice, id, a.ID, "create",
			[]crm.Change{{Field: invoiceMoney.amountField, New: in.Amount.StringFixed(2)}})
	})
	return id, err
}

// UpdateInvoice changes an invoice's amount, number, type, date and notes
// (its order never changes); the errors are UpdatePayment's, with
// "invoice.locked" for a confirmed invoice.
func (db *DB) UpdateInvoice(ctx context.Context, a crm.Actor, id int64, in crm.InvoiceInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := invoiceForChange(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, old.Record()) {
			return crm.ErrForbidden
		}
		in.OrderID = old.OrderID
		if err := in.Validate(); err != nil {
			return err
		}
		o, err := moneyOrderInTx(ctx, tx, old.OrderID, moneyLockNone)
		if err != nil {
			return err
		}
		if err := checkAmountLeft(invoiceMoney, o, in.Amount); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdateInvoice */
			UPDATE invoices SET amount = $2, invoice_no = $3, invoice_type = $4, issued_on = $5, notes = $6, updated_at = now()
			WHERE id = $1`, id, in.Amount, in.InvoiceNo, string(in.InvoiceType), dateArg(in.IssuedOn), in.Notes); err != nil {
			return translate(err)
		}
		now, err := invoiceInTx(ctx, tx, id, false)
		if err != nil {
			return err
		}
		changes := crm.Diff(
			[3]string{invoiceMoney.amountField, old.Amount.StringFixed(2), now.Amount.StringFixed(2)},
			[3]string{"invoice_no", old.InvoiceNo, now.InvoiceNo},
			[3]string{"invoice_type", string(old.InvoiceType), string(now.InvoiceType)},
			[3]string{"invoice_issued_on", old.IssuedOn.Format("2006-01-02"), now.IssuedOn.Format("2006-01-02")},
			[3]string{"notes", old.Notes, now.Notes})
		if len(changes) == 0 {
			return nil
		}
		return recordHistory(ctx, tx, crm.ResInvoice, id, a.ID, "update", changes)
	})
}

// DeleteInvoice removes an unconfirmed invoice; the errors are
// DeletePayment's.
func (db *DB) DeleteInvoice(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		v, err := invoiceForChange(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, v.Record()) {
			return crm.ErrForbidden
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteInvoice */ DELETE FROM invoices WHERE id = $1 AND NOT confirmed`, id); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResInvoice, id, a.ID, "delete",
			[]crm.Change{{Field: invoiceMoney.amountField, Old: v.Amount.StringFixed(2)}})
	})
}

// ConfirmInvoice is finance's confirmation of an invoice (财务确认); the
// errors are ConfirmPayment's, with the invoice keys, and the order's
// confirmed invoices may not pass its total. It returns the amount.
func (db *DB) ConfirmInvoice(ctx context.Context, a crm.Actor, id int64) (decimal.Decimal, error) {
	var amount decimal.Decimal
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		v, err := invoiceInTx(ctx, tx, id, false)
		if err != nil {
			return err
		}
		rec := v.Record()
		if !crm.CanView(a, rec) {
			return crm.ErrNotFound
		}
		if v.Confirmed {
			return crm.Errorf(crm.EFORBIDDEN, invoiceMoney.locked)
		}
		if !crm.CanDo(a, crm.ActConfirm, rec) {
			return crm.ErrForbidden
		}
		if amount, err = confirmMoney(ctx, tx, a, invoiceMoney, id, v.OrderID); err != nil {
			return err
		}
		return notifyConfirmed(ctx, tx, a, crm.ResInvoice, id, rec, v.OrderID)
	})
	return amount, err
}
