package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// Payments (回款单) and invoices (开票单) are money recorded against an
// approved order; the customer follows from the order. Each row carries the
// customer's id and a copy of its owner and department (rule 7), rewritten
// with the customer's by setOwner. Only confirmed records count: finance's
// confirmation adds the amount to orders.paid_amount / invoiced_amount and
// customers.paid_amount / invoiced_amount in the same transaction and locks
// the record for good (crm.Payment.Record().Locked).
//
// Lock order: the customer, then the order, then the payment or invoice —
// the order the customer's own workflows follow (setOwner locks the
// customer, then rewrites the rows under it), so that confirming money and
// reassigning a customer never deadlock (the order documents follow it
// too, see lockDocCustomer). Recording takes the customer FOR SHARE, so
// that the copy of its owner a new row carries cannot go stale under a
// concurrent assign.
//
// This file holds what payments and invoices share (moneyKind, the order
// they go against, confirmation) and the payments; invoices.go the rest.

// moneyKind describes what differs between payments and invoices in the
// shared workflows.
type moneyKind struct {
	table  string // payments, invoices
	res    crm.Resource
	figure string // the column of orders and customers it adds to
	// catalog keys
	amountField string // history field of the amount
	over        string // a new amount above what the order has left
	exceeds     string // a confirmation that would pass the order total
	locked      string // a change to a confirmed record
	already     string // a confirmation that lost the race
}

var (
	paymentMoney = moneyKind{table: "payments", res: crm.ResPayment, figure: "paid_amount",
		amountField: "payment_amount", over: "payment.amount_over", exceeds: "payment.exceeds",
		locked: "payment.locked", already: "payment.already_confirmed"}
	invoiceMoney = moneyKind{table: "invoices", res: crm.ResInvoice, figure: "invoiced_amount",
		amountField: "invoice_amount", over: "invoice.amount_over", exceeds: "invoice.exceeds",
		locked: "invoice.locked", already: "invoice.already_confirmed"}
)

// moneyOrderFrom and moneyOrderColumns read an order as payments and
// invoices need it: figures, status, ownership and its customer.
const moneyOrderFrom = `orders o
	JOIN customers cu ON cu.id = o.customer_id
	LEFT JOIN employees ow ON ow.id = o.owner_id
	LEFT JOIN departments d ON d.id = o.department_id
	LEFT JOIN employees cb ON cb.id = o.created_by`

const moneyOrderColumns = `o.id, o.number, o.status, o.sign_date, o.total, o.paid_amount, o.invoiced_amount,
	coalesce(o.approver_id, 0), o.customer_id, cu.name, coalesce(o.customer_owner_id, 0), coalesce(o.customer_department_id, 0),
	coalesce(o.owner_id, 0), coalesce(ow.name, ''), coalesce(o.department_id, 0), coalesce(d.name, ''),
	o.created_by, coalesce(cb.name, ''), o.created_at, o.updated_at, o.is_demo`

func scanMoneyOrder(r pgx.CollectableRow) (crm.Order, error) {
	var o crm.Order
	err := r.Scan(&o.ID, &o.Number, &o.Status, &o.SignDate, &o.Total, &o.PaidAmount, &o.InvoicedAmount,
		&o.ApproverID, &o.CustomerID, &o.Parent.Name, &o.CustomerOwnerID, &o.CustomerDepartmentID,
		&o.OwnerID, &o.OwnerName, &o.DepartmentID, &o.DepartmentName,
		&o.CreatedBy, &o.CreatedByName, &o.CreatedAt, &o.UpdatedAt, &o.IsDemo)
	o.SignDate = businessDay(o.SignDate)
	return o, err
}

// OrderForMoney returns the order a may view with what the payment and
// invoice pages need — number, status, figures, ownership, its customer
// with the customer's collaborators (so that Record() is right) — without
// its lines; ENOTFOUND if it does not exist or a may not view it.
func (db *DB) OrderForMoney(ctx context.Context, a crm.Actor, id int64) (crm.Order, error) {
	var q query
	q.and("o.id = " + q.arg(id))
	q.scope(a, crm.ResOrder, "o", crm.TabAll)
	rows, err := db.Pool.Query(ctx, `/* postgres.OrderForMoney */ SELECT `+moneyOrderColumns+` FROM `+moneyOrderFrom+q.whereSQL(), q.args.List...)
	if err != nil {
		return crm.Order{}, err
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanMoneyOrder)
	if err != nil {
		return o, translate(err)
	}
	o.Collaborators, err = collaboratorIDs(ctx, db.anchored(), o.CustomerID)
	return o, err
}

// MaxMoneyOrderChoices bounds the order pickers.
const MaxMoneyOrderChoices = 50

// MoneyOrderChoices lists the approved orders a may view and record money
// against whose number or customer name contains text (all when empty),
// newest first, at most MaxMoneyOrderChoices.
func (db *DB) MoneyOrderChoices(ctx context.Context, a crm.Actor, text string) ([]crm.MoneyOrderChoice, error) {
	if !crm.CanCreate(a, crm.ResPayment) && !crm.CanCreate(a, crm.ResInvoice) {
		return nil, nil
	}
	var q query
	q.scope(a, crm.ResOrder, "o", crm.TabAll)
	q.and("o.status = 'approved'")
	q.search("(o.number || ' ' || cu.name)", text)
	rows, err := db.Pool.Query(ctx, `/* postgres.MoneyOrderChoices */
		SELECT o.id, o.number, cu.name, o.total, o.paid_amount, o.invoiced_amount
		FROM orders o JOIN customers cu ON cu.id = o.customer_id`+q.whereSQL()+`
		ORDER BY o.created_at DESC, o.id DESC LIMIT `+strconv.Itoa(MaxMoneyOrderChoices), q.args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[crm.MoneyOrderChoice])
}

// moneyLock says how moneyOrderInTx locks: not at all (reading the
// figures for a check), the customer FOR SHARE (recording: its owner is
// copied), or the customer and then the order FOR NO KEY UPDATE
// (confirming: both figures move; the strength lockDocCustomer uses for
// approvals, so that no lock is ever upgraded).
type moneyLock int

const (
	moneyLockNone moneyLock = iota
	moneyLockRecording
	moneyLockConfirming
)

// moneyOrderInTx reads the order money goes against with its customer's
// collaborators, taking the locks lock says in the lock order above (the
// customer first). It does not check visibility.
func moneyOrderInTx(ctx context.Context, tx pgx.Tx, id int64, lock moneyLock) (crm.Order, error) {
	var customerID int64
	if err := tx.QueryRow(ctx, `/* postgres.moneyOrderInTx customer */ SELECT customer_id FROM orders WHERE id = $1`, id).Scan(&customerID); err != nil {
		return crm.Order{}, translate(err)
	}
	customerLock, forUpdate := "", ""
	switch lock {
	case moneyLockRecording:
		customerLock = " FOR SHARE"
	case moneyLockConfirming:
		customerLock, forUpdate = " FOR NO KEY UPDATE", " FOR NO KEY UPDATE OF o"
	}
	if customerLock != "" {
		if _, err := tx.Exec(ctx, `/* postgres.moneyOrderInTx lock customer */ SELECT 1 FROM customers WHERE id = $1`+customerLock, customerID); err != nil {
			return crm.Order{}, err
		}
	}
	rows, err := tx.Query(ctx, `/* postgres.moneyOrderInTx */ SELECT `+moneyOrderColumns+` FROM `+moneyOrderFrom+` WHERE o.id = $1`+forUpdate, id)
	if err != nil {
		return crm.Order{}, err
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanMoneyOrder)
	if err != nil {
		return o, translate(err)
	}
	o.Collaborators, err = collaboratorIDs(ctx, tx, o.CustomerID)
	return o, err
}

// orderForRecording loads and checks the order a new payment or invoice of
// amount goes against: ENOTFOUND unless a may view it, EFORBIDDEN unless a
// may record money against it (crm.ActRecordMoney: finance, and the sales
// side who may view it), ECONFLICT "money.order_not_approved" unless it is
// approved, and a field error on amount when the amount is more than the
// order has left to pay (or to invoice) — such an amount could never be
// confirmed.
func orderForRecording(ctx context.Context, tx pgx.Tx, a crm.Actor, k moneyKind, id int64, amount decimal.Decimal) (crm.Order, error) {
	o, err := moneyOrderInTx(ctx, tx, id, moneyLockRecording)
	if err != nil {
		return o, err
	}
	if !crm.CanView(a, o.Record()) {
		return o, crm.ErrNotFound
	}
	if !crm.CanDo(a, crm.ActRecordMoney, o.Record()) {
		return o, crm.ErrForbidden
	}
	if o.Status != crm.OrderApproved {
		return o, crm.Errorf(crm.ECONFLICT, "money.order_not_approved")
	}
	if err := checkAmountLeft(k, o, amount); err != nil {
		return o, err
	}
	return o, nil
}

// checkAmountLeft refuses (on the amount field) an amount above what the
// order has left to pay or to invoice.
func checkAmountLeft(k moneyKind, o crm.Order, amount decimal.Decimal) error {
	done := o.PaidAmount
	if k.res == crm.ResInvoice {
		done = o.InvoicedAmount
	}
	if amount.GreaterThan(o.Total.Sub(done)) {
		return &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{"amount": k.over}}
	}
	return nil
}

// confirmMoney is the confirmation of a payment or invoice (财务确认), in
// the caller's transaction, after the caller has checked that a may
// confirm it: the customer and the order are locked (in that order), the
// record is marked confirmed by a conditional UPDATE — so that of two
// confirmations racing exactly one finds it unconfirmed; the other gets
// ECONFLICT k.already — and the amount is added to the order's and the
// customer's figure, unless that would take the order's past its total:
// ECONFLICT k.exceeds with the amount that remains (and the transaction
// rolls back, the record stays unconfirmed). Returns the amount.
func confirmMoney(ctx context.Context, tx pgx.Tx, a crm.Actor, k moneyKind, id, orderID int64) (decimal.Decimal, error) {
	o, err := moneyOrderInTx(ctx, tx, orderID, moneyLockConfirming)
	if err != nil {
		return decimal.Zero, err
	}
	var amount decimal.Decimal
	err = tx.QueryRow(ctx, `/* postgres.confirmMoney */ UPDATE `+k.table+`
		SET confirmed = true, confirmed_by = $2, confirmed_at = now(), updated_at = now()
		WHERE id = $1 AND NOT confirmed RETURNING amount`, id, a.ID).Scan(&amount)
	if errors.Is(err, pgx.ErrNoRows) {
		var exists bool
		if err := tx.QueryRow(ctx, `/* postgres.confirmMoney exists */ SELECT EXISTS (SELECT 1 FROM `+k.table+` WHERE id = $1)`, id).Scan(&exists); err != nil {
			return amount, err
		}
		if !exists { // deleted meanwhile
			return amount, crm.ErrNotFound
		}
		return amount, crm.Errorf(crm.ECONFLICT, k.already)
	}
	if err != nil {
		return amount, err
	}
	done := o.PaidAmount
	if k.res == crm.ResInvoice {
		done = o.InvoicedAmount
	}
	if done.Add(amount).GreaterThan(o.Total) {
		return amount, crm.Errorf(crm.ECONFLICT, k.exceeds, crm.FormatMoney(o.Total.Sub(done)))
	}
	if err := moveMoneyFigures(ctx, tx, k.table, k.figure, []int64{id}, +1); err != nil {
		return amount, err
	}
	return amount, recordHistory(ctx, tx, k.res, id, a.ID, "confirm",
		[]crm.Change{{Field: k.amountField, New: amount.StringFixed(2)}})
}

// collaboratorsByCustomer returns the collaborators of each of the given
// customers (for the policy view of list rows).
func collaboratorsByCustomer(ctx context.Context, q collabQuerier, customers []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(customers) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `/* postgres.collaboratorsByCustomer */
		SELECT customer_id, employee_id FROM customer_collaborators WHERE customer_id = ANY($1::bigint[])
		ORDER BY customer_id, employee_id`, customers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c, e int64
		if err := rows.Scan(&c, &e); err != nil {
			return nil, err
		}
		out[c] = append(out[c], e)
	}
	return out, rows.Err()
}

// moneySearch adds the search of the payment and invoice lists: the order
// number, or the customer's name or phone (through the customers' trigram
// index), or — extra, for invoices — another text column of the row.
func (q *query) moneySearch(alias, text string, extra ...string) {
	text = crm.CleanText(text)
	if text == "" {
		return
	}
	pat := q.arg("%" + escapeLike(text) + "%")
	or := []string{
		alias + ".order_id = ANY(ARRAY(SELECT so.id FROM orders so WHERE so.number ILIKE " + pat + "))",
		alias + ".customer_id = ANY(ARRAY(SELECT sc.id FROM customers sc WHERE (sc.name || ' ' || sc.phone) ILIKE " + pat + "))",
	}
	for _, col := range extra {
		or = append(or, col+" ILIKE "+pat)
	}
	q.and("(" + strings.Join(or, " OR ") + ")")
}

// moneyFilters adds the filters the payment and invoice lists share.
func (q *query) moneyFilters(alias, dateCol, confirmed string, orderID, customerID int64, from, to *time.Time) {
	switch confirmed {
	case "yes":
		q.and(alias + ".confirmed")
	case "no":
		q.and("NOT " + alias + ".confirmed")
	}
	if orderID != 0 {
		q.and(alias + ".order_id = " + q.arg(orderID))
	}
	if customerID != 0 {
		q.and(alias + ".customer_id = " + q.arg(customerID))
	}
	if from != nil {
		q.and(alias + "." + dateCol + " >= " + q.arg(dateArg(from)) + "::date")
	}
	if to != nil {
		q.and(alias + "." + dateCol + " <= " + q.arg(dateArg(to)) + "::date")
	}
}

// businessDate is businessDay for a date column that is never null.
func businessDate(t time.Time) time.Time { return *businessDay(&t) }

// Payments.

// paymentTable is the payments' table for the shared path (moneydocs.go).
var paymentTable = &moneyTable[crm.Payment]{moneyKind: paymentMoney, one: "Payment", alias: "p",
	own: "p.paid_on, p.method", sorts: paymentSorts,
	doc:   func(p *crm.Payment) *crm.MoneyDoc { return &p.MoneyDoc },
	scans: func(p *crm.Payment) []any { return []any{&p.PaidOn, &p.Method} },
	fix:   func(p *crm.Payment) { p.PaidOn = businessDate(p.PaidOn) }}

var paymentSorts = map[string]string{
	"paid":      "p.paid_on, p.id",
	"amount":    "p.amount, p.id",
	"created":   "p.created_at, p.id",
	"confirmed": "p.confirmed_at NULLS FIRST, p.id",
}

// FindPayments returns one page of the payments a may view that match f,
// and their (capped) total. The permission condition is part of the SQL;
// marketing gets none.
func (db *DB) FindPayments(ctx context.Context, a crm.Actor, f crm.PaymentFilter) ([]crm.Payment, crm.Total, error) {
	return paymentTable.find(ctx, db, paymentQuery(a, f), f.ListQuery)
}

// paymentQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func paymentQuery(a crm.Actor, f crm.PaymentFilter) *query {
	q := paymentTable.query(a, f.ListQuery, f.MoneyFilter, "paid_on")
	if f.OwnerID != 0 {
		q.and("p.owner_id = " + q.arg(f.OwnerID))
	}
	if f.DepartmentID != 0 {
		q.and("p.department_id = " + q.arg(f.DepartmentID))
	}
	return q
}

// PaymentByID returns a payment a may view, with its customer's
// collaborators (so that Record() is right); ENOTFOUND if it does not exist
// or a may not view it.
func (db *DB) PaymentByID(ctx context.Context, a crm.Actor, id int64) (crm.Payment, error) {
	return paymentTable.byID(ctx, db, a, id)
}

// checkPaymentMethod turns the typed method into its code: a known method,
// or — on an edit — the payment's current text kept unchanged (imported
// data may carry other words).
func checkPaymentMethod(in *crm.PaymentInput, current string) error {
	if in.Method != "" && in.Method == current {
		return nil
	}
	code, ok := crm.PaymentMethodCode(in.Method)
	if !ok {
		return &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{"method": "error.choose"}}
	}
	in.Method = code
	return nil
}

// CreatePayment records a payment against an order (回款单) and its history
// entry. The payment is owned by its recorder, in the recorder's
// department, and goes under the order's customer. EFORBIDDEN unless a's
// role records payments; EINVALID for bad input; then the order's checks
// (orderForRecording): ENOTFOUND unless a may view the order, EFORBIDDEN
// unless a may record money against it, ECONFLICT unless it is approved,
// EINVALID when the amount is more than the order's outstanding amount.
func (db *DB) CreatePayment(ctx context.Context, a crm.Actor, in crm.PaymentInput) (int64, error) {
	if !crm.CanCreate(a, crm.ResPayment) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	if err := checkPaymentMethod(&in, ""); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		o, err := orderForRecording(ctx, tx, a, paymentMoney, in.OrderID, in.Amount)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `/* postgres.CreatePayment */
			INSERT INTO payments (order_id, customer_id, amount, paid_on, method, notes, owner_id, department_id,
			                      created_by, customer_owner_id, customer_department_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9, $10) RETURNING id`,
			o.ID, o.CustomerID, in.Amount, dateArg(in.PaidOn), in.Method, in.Notes, a.ID, nullID(a.DepartmentID),
			nullID(o.CustomerOwnerID), nullID(o.CustomerDepartmentID)).Scan(&id)
		if err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResPayment, id, a.ID, "create",
			[]crm.Change{{Field: paymentMoney.amountField, New: in.Amount.StringFixed(2)}})
	})
	return id, err
}

// UpdatePayment changes a payment's amount, date, method and notes (its
// order never changes): ENOTFOUND unless a may view it, EFORBIDDEN for a
// confirmed payment ("payment.locked", whoever asks) or unless a may update
// it (its recorder, a manager in scope, finance, management, admin),
// EINVALID for bad input or an amount above the order's outstanding
// amount. Its history records every changed field.
func (db *DB) UpdatePayment(ctx context.Context, a crm.Actor, id int64, in crm.PaymentInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := paymentTable.forChange(ctx, tx, a, id)
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
		if err := checkPaymentMethod(&in, old.Method); err != nil {
			return err
		}
		// No lock on the order: the payment's row is held, and the check is
		// a courtesy (the confirmation is the gate).
		o, err := moneyOrderInTx(ctx, tx, old.OrderID, moneyLockNone)
		if err != nil {
			return err
		}
		if err := checkAmountLeft(paymentMoney, o, in.Amount); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdatePayment */
			UPDATE payments SET amount = $2, paid_on = $3, method = $4, notes = $5, updated_at = now() WHERE id = $1`,
			id, in.Amount, dateArg(in.PaidOn), in.Method, in.Notes); err != nil {
			return translate(err)
		}
		now, err := paymentTable.inTx(ctx, tx, id, false)
		if err != nil {
			return err
		}
		changes := crm.Diff(
			[3]string{paymentMoney.amountField, old.Amount.StringFixed(2), now.Amount.StringFixed(2)},
			[3]string{"payment_paid_on", old.PaidOn.Format("2006-01-02"), now.PaidOn.Format("2006-01-02")},
			[3]string{"payment_method", old.Method, now.Method},
			[3]string{"notes", old.Notes, now.Notes})
		if len(changes) == 0 {
			return nil // nothing changed: no history entry
		}
		return recordHistory(ctx, tx, crm.ResPayment, id, a.ID, "update", changes)
	})
}

// DeletePayment removes an unconfirmed payment: ENOTFOUND unless a may view
// it, EFORBIDDEN for a confirmed one ("payment.locked") or unless a may
// delete it. It never counted in any figure, so none moves.
func (db *DB) DeletePayment(ctx context.Context, a crm.Actor, id int64) error {
	return paymentTable.remove(ctx, db, a, id)
}

// ConfirmPayment is finance's confirmation of a payment (财务确认), in one
// transaction (confirmMoney): ENOTFOUND unless a may view it; EFORBIDDEN
// "payment.locked" when it was confirmed already, and EFORBIDDEN unless a
// may confirm (crm.ActConfirm: finance and management); ECONFLICT
// "payment.already_confirmed" when another confirmation won the race;
// ECONFLICT "payment.exceeds" (with the amount left) when the order's
// confirmed payments would pass its total — then nothing changes. It
// returns the amount confirmed.
func (db *DB) ConfirmPayment(ctx context.Context, a crm.Actor, id int64) (decimal.Decimal, error) {
	return paymentTable.confirm(ctx, db, a, id)
}
