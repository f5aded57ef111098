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
	if _, err := tx.Exec(ctx, `/* postgres.confirmMoney order */ UPDATE orders SET `+k.figure+` = `+k.figure+` + $2 WHERE id = $1`,
		orderID, amount); err != nil {
		return amount, err
	}
	if _, err := tx.Exec(ctx, `/* postgres.confirmMoney customer */ UPDATE customers SET `+k.figure+` = `+k.figure+` + $2 WHERE id = $1`,
		o.CustomerID, amount); err != nil {
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

const paymentFrom = `payments p
	JOIN orders o ON o.id = p.order_id
	JOIN customers cu ON cu.id = p.customer_id
	LEFT JOIN employees ow ON ow.id = p.owner_id
	LEFT JOIN departments d ON d.id = p.department_id
	LEFT JOIN employees cb ON cb.id = p.created_by
	LEFT JOIN employees cf ON cf.id = p.confirmed_by`

const paymentColumns = `p.id, p.order_id, o.number, p.amount, p.paid_on, p.method, p.notes,
	p.confirmed, coalesce(p.confirmed_by, 0), coalesce(cf.name, ''), p.confirmed_at,
	p.customer_id, cu.name, coalesce(p.customer_owner_id, 0), coalesce(p.customer_department_id, 0),
	coalesce(p.owner_id, 0), coalesce(ow.name, ''), coalesce(p.department_id, 0), coalesce(d.name, ''),
	p.created_by, coalesce(cb.name, ''), p.created_at, p.updated_at, p.is_demo`

func scanPayment(r pgx.CollectableRow) (crm.Payment, error) {
	var p crm.Payment
	err := r.Scan(&p.ID, &p.OrderID, &p.OrderNumber, &p.Amount, &p.PaidOn, &p.Method, &p.Notes,
		&p.Confirmed, &p.ConfirmedBy, &p.ConfirmedByName, &p.ConfirmedAt,
		&p.CustomerID, &p.Parent.Name, &p.CustomerOwnerID, &p.CustomerDepartmentID,
		&p.OwnerID, &p.OwnerName, &p.DepartmentID, &p.DepartmentName,
		&p.CreatedBy, &p.CreatedByName, &p.CreatedAt, &p.UpdatedAt, &p.IsDemo)
	p.PaidOn = businessDate(p.PaidOn)
	return p, err
}

// withPaymentCollaborators fills each payment's customer collaborators.
func withPaymentCollaborators(ctx context.Context, q collabQuerier, list []crm.Payment) ([]crm.Payment, error) {
	ids := make([]int64, 0, len(list))
	for _, p := range list {
		ids = append(ids, p.CustomerID)
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

var paymentSorts = map[string]string{
	"paid":      "p.paid_on, p.id",
	"amount":    "p.amount, p.id",
	"created":   "p.created_at, p.id",
	"confirmed": "p.confirmed_at, p.id",
}

// FindPayments returns one page of the payments a may view that match f,
// and their (capped) total. The permission condition is part of the SQL;
// marketing gets none.
func (db *DB) FindPayments(ctx context.Context, a crm.Actor, f crm.PaymentFilter) ([]crm.Payment, crm.Total, error) {
	q := paymentQuery(a, f)
	total, err := q.count(ctx, db, "FindPayments", "payments p")
	if err != nil {
		return nil, total, err
	}
	p := f.Page.Norm()
	order := orderBy(paymentSorts, f.Sort, f.Desc, "p.created_at DESC, p.id DESC")
	rows, err := db.Pool.Query(ctx, `/* postgres.FindPayments */ SELECT `+paymentColumns+` FROM `+paymentFrom+q.whereSQL()+
		` ORDER BY `+order+` LIMIT `+strconv.Itoa(p.PerPage)+` OFFSET `+strconv.Itoa((p.Page-1)*p.PerPage), q.args.List...)
	if err != nil {
		return nil, total, err
	}
	list, err := pgx.CollectRows(rows, scanPayment)
	if err != nil {
		return nil, total, err
	}
	list, err = withPaymentCollaborators(ctx, db.anchored(), list)
	return list, total, err
}

// paymentQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func paymentQuery(a crm.Actor, f crm.PaymentFilter) *query {
	var q query
	q.scope(a, crm.ResPayment, "p", f.Tab)
	q.moneySearch("p", f.Query)
	q.moneyFilters("p", "paid_on", f.Confirmed, f.OrderID, f.CustomerID, f.From, f.To)
	if f.OwnerID != 0 {
		q.and("p.owner_id = " + q.arg(f.OwnerID))
	}
	if f.DepartmentID != 0 {
		q.and("p.department_id = " + q.arg(f.DepartmentID))
	}
	return &q
}

// PaymentsOfOrder returns the payments of an order that a may view, oldest
// first (at most 200): the order page's money section.
func (db *DB) PaymentsOfOrder(ctx context.Context, a crm.Actor, orderID int64) ([]crm.Payment, error) {
	return db.paymentsWhere(ctx, a, "PaymentsOfOrder", "p.order_id", orderID, "p.paid_on, p.id")
}

// PaymentsOf returns the payments of a customer that a may view, newest
// first (at most 200): the customer page's payments tab.
func (db *DB) PaymentsOf(ctx context.Context, a crm.Actor, customerID int64) ([]crm.Payment, error) {
	return db.paymentsWhere(ctx, a, "PaymentsOf", "p.customer_id", customerID, "p.paid_on DESC, p.id DESC")
}

// paymentsWhere lists the viewable payments whose col is id, in order.
func (db *DB) paymentsWhere(ctx context.Context, a crm.Actor, name, col string, id int64, order string) ([]crm.Payment, error) {
	var q query
	q.and(col + " = " + q.arg(id))
	q.scope(a, crm.ResPayment, "p", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.`+name+` */ SELECT `+paymentColumns+` FROM `+paymentFrom+q.whereSQL()+
		` ORDER BY `+order+` LIMIT 200`, q.args.List...)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scanPayment)
	if err != nil {
		return nil, err
	}
	return withPaymentCollaborators(ctx, db.anchored(), list)
}

// PaymentByID returns a payment a may view, with its customer's
// collaborators (so that Record() is right); ENOTFOUND if it does not exist
// or a may not view it.
func (db *DB) PaymentByID(ctx context.Context, a crm.Actor, id int64) (crm.Payment, error) {
	var q query
	q.and("p.id = " + q.arg(id))
	q.scope(a, crm.ResPayment, "p", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.PaymentByID */ SELECT `+paymentColumns+` FROM `+paymentFrom+q.whereSQL(), q.args.List...)
	if err != nil {
		return crm.Payment{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPayment)
	if err != nil {
		return p, translate(err)
	}
	p.Collaborators, err = collaboratorIDs(ctx, db.anchored(), p.CustomerID)
	return p, err
}

// paymentInTx reads one payment with its customer's collaborators, locking
// its row when lock is set. It does not check visibility.
func paymentInTx(ctx context.Context, tx pgx.Tx, id int64, lock bool) (crm.Payment, error) {
	sql := `/* postgres.paymentInTx */ SELECT ` + paymentColumns + ` FROM ` + paymentFrom + ` WHERE p.id = $1`
	if lock {
		sql += ` FOR UPDATE OF p`
	}
	rows, err := tx.Query(ctx, sql, id)
	if err != nil {
		return crm.Payment{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPayment)
	if err != nil {
		return p, translate(err)
	}
	p.Collaborators, err = collaboratorIDs(ctx, tx, p.CustomerID)
	return p, err
}

// paymentForChange checks that a may view the payment (ENOTFOUND
// otherwise), then locks it and returns it as it is now; a confirmed
// payment is EFORBIDDEN "payment.locked" for everyone.
func paymentForChange(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64) (crm.Payment, error) {
	before, err := paymentInTx(ctx, tx, id, false)
	if err != nil {
		return before, err
	}
	if !crm.CanView(a, before.Record()) {
		return before, crm.ErrNotFound
	}
	p, err := paymentInTx(ctx, tx, id, true)
	if err != nil {
		return p, err
	}
	if p.Confirmed {
		return p, crm.Errorf(crm.EFORBIDDEN, paymentMoney.locked)
	}
	return p, nil
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
		old, err := paymentForChange(ctx, tx, a, id)
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
		now, err := paymentInTx(ctx, tx, id, false)
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
	return db.InTx(ctx, func(tx pgx.Tx) error {
		p, err := paymentForChange(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, p.Record()) {
			return crm.ErrForbidden
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeletePayment */ DELETE FROM payments WHERE id = $1 AND NOT confirmed`, id); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResPayment, id, a.ID, "delete",
			[]crm.Change{{Field: paymentMoney.amountField, Old: p.Amount.StringFixed(2)}})
	})
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
	var amount decimal.Decimal
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		p, err := paymentInTx(ctx, tx, id, false)
		if err != nil {
			return err
		}
		rec := p.Record()
		if !crm.CanView(a, rec) {
			return crm.ErrNotFound
		}
		if p.Confirmed {
			return crm.Errorf(crm.EFORBIDDEN, paymentMoney.locked)
		}
		if !crm.CanDo(a, crm.ActConfirm, rec) {
			return crm.ErrForbidden
		}
		if amount, err = confirmMoney(ctx, tx, a, paymentMoney, id, p.OrderID); err != nil {
			return err
		}
		return notifyConfirmed(ctx, tx, a, crm.ResPayment, id, rec, p.OrderID)
	})
	return amount, err
}
