package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// Invoices (开票单): the same life as payments (see payments.go for what
// they share, the locks and the confirmation), with an invoice number and
// type, and orders.invoiced_amount / customers.invoiced_amount as figures.

// invoiceTable is the invoices' table for the shared path (moneydocs.go).
var invoiceTable = &moneyTable[crm.Invoice]{moneyKind: invoiceMoney, one: "Invoice", alias: "i",
	own: "i.invoice_no, i.invoice_type, i.issued_on", sorts: invoiceSorts,
	doc:   func(v *crm.Invoice) *crm.MoneyDoc { return &v.MoneyDoc },
	scans: func(v *crm.Invoice) []any { return []any{&v.InvoiceNo, &v.InvoiceType, &v.IssuedOn} },
	fix:   func(v *crm.Invoice) { v.IssuedOn = businessDate(v.IssuedOn) }}

var invoiceSorts = map[string]string{
	"issued":    "i.issued_on, i.id",
	"amount":    "i.amount, i.id",
	"created":   "i.created_at, i.id",
	"confirmed": "i.confirmed_at NULLS FIRST, i.id",
}

// FindInvoices returns one page of the invoices a may view that match f,
// and their (capped) total. The permission condition is part of the SQL;
// marketing gets none.
func (db *DB) FindInvoices(ctx context.Context, a crm.Actor, f crm.InvoiceFilter) ([]crm.Invoice, crm.Total, error) {
	return invoiceTable.find(ctx, db, invoiceQuery(a, f), f.ListQuery)
}

// invoiceQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func invoiceQuery(a crm.Actor, f crm.InvoiceFilter) *query {
	q := invoiceTable.query(a, f.ListQuery, f.MoneyFilter, "issued_on", "i.invoice_no")
	if f.Type != "" {
		q.and("i.invoice_type = " + q.arg(string(f.Type)))
	}
	return q
}

// InvoiceByID returns an invoice a may view, with its customer's
// collaborators (so that Record() is right); ENOTFOUND if it does not exist
// or a may not view it.
func (db *DB) InvoiceByID(ctx context.Context, a crm.Actor, id int64) (crm.Invoice, error) {
	return invoiceTable.byID(ctx, db, a, id)
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
		old, err := invoiceTable.forChange(ctx, tx, a, id)
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
		now, err := invoiceTable.inTx(ctx, tx, id, false)
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
	return invoiceTable.remove(ctx, db, a, id)
}

// ConfirmInvoice is finance's confirmation of an invoice (财务确认); the
// errors are ConfirmPayment's, with the invoice keys, and the order's
// confirmed invoices may not pass its total. It returns the amount.
func (db *DB) ConfirmInvoice(ctx context.Context, a crm.Actor, id int64) (decimal.Decimal, error) {
	return invoiceTable.confirm(ctx, db, a, id)
}
