package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// Names internal/xlsx still reads from storage; they are crm's now (delete
// these once xlsx names crm's).
type (
	PaymentFilter = crm.PaymentFilter
	InvoiceFilter = crm.InvoiceFilter
)

// PaymentMethods is crm.PaymentMethods (see above).
var PaymentMethods = crm.PaymentMethods

// PaymentMethodCode is crm.PaymentMethodCode (see above).
func PaymentMethodCode(s string) (string, bool) { return crm.PaymentMethodCode(s) }

// The storage path payments and invoices share: reading them (lists, the
// order's and the customer's, one by id, one in a transaction), deleting
// and confirming them, each written once over a moneyTable. Creating and
// updating differ in their columns and stay with each kind.

// moneyRow is a payment or an invoice.
type moneyRow interface {
	Record() crm.Record
}

// moneyTable is one kind's table as the shared path reads it: D the
// record, its alias in the SQL, its own columns after the shared ones and
// where they scan to, and its list's sorts.
type moneyTable[D moneyRow] struct {
	moneyKind
	one   string // the kind in the statements' names: Payment, Invoice
	alias string // p, i
	own   string // the kind's own columns
	sorts map[string]string
	doc   func(*D) *crm.MoneyDoc
	scans func(*D) []any // where the kind's own columns scan to
	fix   func(*D)       // after the scan (days in the business zone)
}

// fromSQL is the table with the order, customer and people a row names.
func (t *moneyTable[D]) fromSQL() string {
	a := t.alias
	return t.table + ` ` + a + `
	JOIN orders o ON o.id = ` + a + `.order_id
	JOIN customers cu ON cu.id = ` + a + `.customer_id
	LEFT JOIN employees ow ON ow.id = ` + a + `.owner_id
	LEFT JOIN departments d ON d.id = ` + a + `.department_id
	LEFT JOIN employees cb ON cb.id = ` + a + `.created_by
	LEFT JOIN employees cf ON cf.id = ` + a + `.confirmed_by`
}

// columns are the shared columns, then the kind's own.
func (t *moneyTable[D]) columns() string {
	return strings.ReplaceAll(`x.id, x.order_id, o.number, x.amount, x.notes,
	x.confirmed, coalesce(x.confirmed_by, 0), coalesce(cf.name, ''), x.confirmed_at,
	x.customer_id, cu.name, coalesce(x.customer_owner_id, 0), coalesce(x.customer_department_id, 0),
	coalesce(x.owner_id, 0), coalesce(ow.name, ''), coalesce(x.department_id, 0), coalesce(d.name, ''),
	x.created_by, coalesce(cb.name, ''), x.created_at, x.updated_at, x.is_demo, `, "x.", t.alias+".") + t.own
}

func (t *moneyTable[D]) scan(r pgx.CollectableRow) (D, error) {
	var d D
	m := t.doc(&d)
	dest := append([]any{&m.ID, &m.OrderID, &m.OrderNumber, &m.Amount, &m.Notes,
		&m.Confirmed, &m.ConfirmedBy, &m.ConfirmedByName, &m.ConfirmedAt,
		&m.CustomerID, &m.Parent.Name, &m.CustomerOwnerID, &m.CustomerDepartmentID,
		&m.OwnerID, &m.OwnerName, &m.DepartmentID, &m.DepartmentName,
		&m.CreatedBy, &m.CreatedByName, &m.CreatedAt, &m.UpdatedAt, &m.IsDemo}, t.scans(&d)...)
	err := r.Scan(dest...)
	t.fix(&d)
	return d, err
}

// withCollaborators fills each row's customer collaborators.
func (t *moneyTable[D]) withCollaborators(ctx context.Context, q collabQuerier, list []D) ([]D, error) {
	ids := make([]int64, 0, len(list))
	for i := range list {
		ids = append(ids, t.doc(&list[i]).CustomerID)
	}
	collab, err := collaboratorsByCustomer(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		m := t.doc(&list[i])
		m.Collaborators = collab[m.CustomerID]
	}
	return list, nil
}

// find returns one page of the rows matching q (the list's conditions)
// and their (capped) total.
func (t *moneyTable[D]) find(ctx context.Context, db *DB, q *query, l crm.ListQuery) ([]D, crm.Total, error) {
	name := "Find" + t.one + "s"
	total, err := q.count(ctx, db, name, t.table+" "+t.alias)
	if err != nil {
		return nil, total, err
	}
	p := l.Page.Norm()
	rows, err := db.Pool.Query(ctx, `/* postgres.`+name+` */ SELECT `+t.columns()+` FROM `+t.fromSQL()+q.whereSQL()+
		` ORDER BY `+t.orderBy(l)+` LIMIT `+strconv.Itoa(p.PerPage)+` OFFSET `+strconv.Itoa((p.Page-1)*p.PerPage), q.args.List...)
	if err != nil {
		return nil, total, err
	}
	list, err := pgx.CollectRows(rows, t.scan)
	if err != nil {
		return nil, total, err
	}
	list, err = t.withCollaborators(ctx, db.anchored(), list)
	return list, total, err
}

// orderBy is the list's order: the sort asked for, else newest first.
func (t *moneyTable[D]) orderBy(l crm.ListQuery) string {
	return orderBy(t.sorts, l.Sort, l.Desc, t.alias+".created_at DESC, "+t.alias+".id DESC")
}

// query starts the conditions of a list for a: the permission condition
// first, then the tab's and the filters both kinds share (extra is the
// kind's own searched column).
func (t *moneyTable[D]) query(a crm.Actor, l crm.ListQuery, f crm.MoneyFilter, dateCol string, extra ...string) *query {
	var q query
	q.scope(a, t.res, t.alias, l.Tab)
	q.moneySearch(t.alias, l.Query, extra...)
	q.moneyFilters(t.alias, dateCol, f.Confirmed, f.OrderID, f.CustomerID, f.From, f.To)
	return &q
}

// byID returns a row a may view, with its customer's collaborators;
// ENOTFOUND if it does not exist or a may not view it.
func (t *moneyTable[D]) byID(ctx context.Context, db *DB, a crm.Actor, id int64) (D, error) {
	var q query
	q.and(t.alias + ".id = " + q.arg(id))
	q.scope(a, t.res, t.alias, crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.`+t.one+`ByID */ SELECT `+t.columns()+` FROM `+t.fromSQL()+q.whereSQL(), q.args.List...)
	if err != nil {
		var zero D
		return zero, err
	}
	d, err := pgx.CollectExactlyOneRow(rows, t.scan)
	if err != nil {
		return d, translate(err)
	}
	m := t.doc(&d)
	m.Collaborators, err = collaboratorIDs(ctx, db.anchored(), m.CustomerID)
	return d, err
}

// inTx reads one row with its customer's collaborators, locking it when
// lock is set. It does not check visibility.
func (t *moneyTable[D]) inTx(ctx context.Context, tx pgx.Tx, id int64, lock bool) (D, error) {
	name := strings.ToLower(t.one[:1]) + t.one[1:] + "InTx"
	sql := `/* postgres.` + name + ` */ SELECT ` + t.columns() + ` FROM ` + t.fromSQL() + ` WHERE ` + t.alias + `.id = $1`
	if lock {
		sql += ` FOR UPDATE OF ` + t.alias
	}
	rows, err := tx.Query(ctx, sql, id)
	if err != nil {
		var zero D
		return zero, err
	}
	d, err := pgx.CollectExactlyOneRow(rows, t.scan)
	if err != nil {
		return d, translate(err)
	}
	m := t.doc(&d)
	m.Collaborators, err = collaboratorIDs(ctx, tx, m.CustomerID)
	return d, err
}

// forChange checks that a may view the row (ENOTFOUND otherwise), then
// locks it and returns it as it is now; a confirmed one is EFORBIDDEN
// k.locked for everyone.
func (t *moneyTable[D]) forChange(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64) (D, error) {
	before, err := t.inTx(ctx, tx, id, false)
	if err != nil {
		return before, err
	}
	if !crm.CanView(a, before.Record()) {
		return before, crm.ErrNotFound
	}
	d, err := t.inTx(ctx, tx, id, true)
	if err != nil {
		return d, err
	}
	if t.doc(&d).Confirmed {
		return d, crm.Errorf(crm.EFORBIDDEN, t.locked)
	}
	return d, nil
}

// remove deletes an unconfirmed row: ENOTFOUND unless a may view it,
// EFORBIDDEN for a confirmed one (k.locked) or unless a may delete it. It
// never counted in any figure, so none moves.
func (t *moneyTable[D]) remove(ctx context.Context, db *DB, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		d, err := t.forChange(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, d.Record()) {
			return crm.ErrForbidden
		}
		if _, err := tx.Exec(ctx, `/* postgres.Delete`+t.one+` */ DELETE FROM `+t.table+` WHERE id = $1 AND NOT confirmed`, id); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, t.res, id, a.ID, "delete",
			[]crm.Change{{Field: t.amountField, Old: t.doc(&d).Amount.StringFixed(2)}})
	})
}

// confirm is finance's confirmation (财务确认), in one transaction
// (confirmMoney): ENOTFOUND unless a may view the row; EFORBIDDEN k.locked
// when it was confirmed already, and EFORBIDDEN unless a may confirm
// (crm.ActConfirm: finance and management); ECONFLICT k.already when
// another confirmation won the race; ECONFLICT k.exceeds (with the amount
// left) when the order's confirmed figure would pass its total — then
// nothing changes. It returns the amount confirmed.
func (t *moneyTable[D]) confirm(ctx context.Context, db *DB, a crm.Actor, id int64) (decimal.Decimal, error) {
	var amount decimal.Decimal
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		d, err := t.inTx(ctx, tx, id, false)
		if err != nil {
			return err
		}
		rec, m := d.Record(), t.doc(&d)
		if !crm.CanView(a, rec) {
			return crm.ErrNotFound
		}
		if m.Confirmed {
			return crm.Errorf(crm.EFORBIDDEN, t.locked)
		}
		if !crm.CanDo(a, crm.ActConfirm, rec) {
			return crm.ErrForbidden
		}
		if amount, err = confirmMoney(ctx, tx, a, t.moneyKind, id, m.OrderID); err != nil {
			return err
		}
		return notifyConfirmed(ctx, tx, a, t.res, id, rec, m.OrderID)
	})
	return amount, err
}
