package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// Shared pieces of the deal records (opportunities, quotes, orders,
// payments, invoices): document numbers, the approver of an order, and the
// customer a new record goes under.

// nextNumber takes the next document number of kind ("BJ" quotes, "DD"
// orders) for the current year in the business zone: BJ-2026-00001. The
// counter row is locked until the transaction ends, so concurrent documents
// get distinct numbers and a rolled-back one leaves no gap.
func nextNumber(ctx context.Context, tx pgx.Tx, kind string) (string, error) {
	year := time.Now().In(crm.Zone).Year()
	var n int
	err := tx.QueryRow(ctx, `/* postgres.nextNumber */
		INSERT INTO doc_counters (kind, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (kind, year) DO UPDATE SET last = doc_counters.last + 1
		RETURNING last`, kind, year).Scan(&n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%d-%05d", kind, year, n), nil
}

// approverFor returns the approver of an order of a customer in department
// dept (SPEC §5): the head of that department, or of the nearest department
// above it that has an active head; 0 when there is none (then any
// management user decides).
func approverFor(ctx context.Context, tx pgx.Tx, dept int64) (int64, error) {
	if dept == 0 {
		return 0, nil
	}
	var head int64
	err := tx.QueryRow(ctx, `/* postgres.approverFor */
		WITH RECURSIVE up AS (
		    SELECT id, parent_id, head_id, 0 AS depth FROM departments WHERE id = $1
		    UNION ALL
		    SELECT d.id, d.parent_id, d.head_id, up.depth + 1 FROM departments d JOIN up ON d.id = up.parent_id
		    WHERE up.depth < 50)
		SELECT coalesce((SELECT up.head_id FROM up JOIN employees e ON e.id = up.head_id AND e.active
		                 ORDER BY up.depth LIMIT 1), 0)`, dept).Scan(&head)
	return head, err
}

// ApproverFor is approverFor outside a transaction (for showing who would
// decide an order before it is submitted).
func (db *DB) ApproverFor(ctx context.Context, dept int64) (int64, error) {
	var head int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		head, err = approverFor(ctx, tx, dept)
		return err
	})
	return head, err
}

// customerParent locks (FOR SHARE) the customer a new record goes under and
// returns the record's Parent and the customer's policy record. ENOTFOUND
// when a may not view the customer; the caller decides with
// crm.CanAddUnder (or another rule) what a may do under it.
func customerParent(ctx context.Context, tx pgx.Tx, a crm.Actor, customerID int64) (crm.Parent, crm.Record, error) {
	rec := crm.Record{Resource: crm.ResCustomer}
	var p crm.Parent
	err := tx.QueryRow(ctx, `/* postgres.customerParent */
		SELECT id, name, coalesce(owner_id, 0), coalesce(department_id, 0), created_by
		FROM customers WHERE id = $1 FOR SHARE`, customerID).Scan(&p.CustomerID, &p.Name, &rec.OwnerID, &rec.DepartmentID, &rec.CreatedBy)
	if err != nil {
		return p, rec, translate(err)
	}
	rows, err := tx.Query(ctx, `SELECT employee_id FROM customer_collaborators WHERE customer_id = $1`, customerID)
	if err != nil {
		return p, rec, err
	}
	if rec.Collaborators, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return p, rec, err
	}
	if !crm.CanView(a, rec) {
		return p, rec, crm.ErrNotFound
	}
	p.CustomerOwnerID, p.CustomerDepartmentID, p.Collaborators = rec.OwnerID, rec.DepartmentID, rec.Collaborators
	return p, rec, nil
}

// dealRead is how one kind of deal record (opportunity, quote, order) is
// read: its columns over its FROM clause (whose first table is table
// aliased alias), its scan, and more, which loads what the row does not
// hold (its customer's collaborators, a document's lines). The record's
// page, the list of a customer's records, a workflow's read inside its
// transaction and the lists all read through it.
type dealRead[T interface{ Record() crm.Record }] struct {
	name         string // the record in the statements' comments: Order → OrderByID
	res          crm.Resource
	table, alias string
	columns      string
	from         string
	scan         func(pgx.CollectableRow) (T, error)
	more         func(ctx context.Context, q collabQuerier, t *T) error
}

// one reads the single row of sql (with args) and what more adds.
func (d dealRead[T]) one(ctx context.Context, q collabQuerier, sql string, args ...any) (T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		var zero T
		return zero, err
	}
	t, err := pgx.CollectExactlyOneRow(rows, d.scan)
	if err != nil {
		return t, translate(err)
	}
	return t, d.more(ctx, q, &t)
}

// byID returns the record a may view; ENOTFOUND if it does not exist or a
// may not view it.
func (d dealRead[T]) byID(ctx context.Context, db *DB, a crm.Actor, id int64) (T, error) {
	var q query
	q.and(d.alias + ".id = " + q.arg(id))
	q.scope(a, d.res, d.alias, crm.TabAll)
	return d.one(ctx, db.anchored(), `/* postgres.`+d.name+`ByID */ SELECT `+d.columns+` FROM `+d.from+q.whereSQL(), q.args.List...)
}

// inTx reads one record inside tx, locking its row when lock is set. It
// does not check visibility.
func (d dealRead[T]) inTx(ctx context.Context, tx pgx.Tx, id int64, lock bool) (T, error) {
	sql := `/* postgres.` + d.name + `InTx */ SELECT ` + d.columns + ` FROM ` + d.from + ` WHERE ` + d.alias + `.id = $1`
	if lock {
		sql += ` FOR UPDATE OF ` + d.alias
	}
	return d.one(ctx, tx, sql, id)
}

// forAction checks that a may view the record (ENOTFOUND otherwise), then
// locks its customer (with strength, see lockDocCustomer) and the record,
// in that order, and returns the record as it is now.
func (d dealRead[T]) forAction(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64, strength string) (T, error) {
	before, err := d.inTx(ctx, tx, id, false)
	if err != nil {
		return before, err
	}
	rec := before.Record()
	if !crm.CanView(a, rec) {
		return before, crm.ErrNotFound
	}
	if err := lockDocCustomer(ctx, tx, rec.CustomerID, strength); err != nil {
		return before, err
	}
	return d.inTx(ctx, tx, id, true)
}

// of returns the records of a customer that a may view (at most 200,
// newest first): a tab of the customer's page; fn names it in the
// statement's comment. The rows carry no more.
func (d dealRead[T]) of(ctx context.Context, db *DB, fn string, a crm.Actor, customerID int64) ([]T, error) {
	var q query
	q.and(d.alias + ".customer_id = " + q.arg(customerID))
	q.scope(a, d.res, d.alias, crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.`+fn+` */ SELECT `+d.columns+` FROM `+d.from+q.whereSQL()+
		` ORDER BY `+d.alias+`.created_at DESC, `+d.alias+`.id DESC LIMIT 200`, q.args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, d.scan)
}

// find returns one page (in order) of the list of q's conditions and its
// (capped) total; fn names the list in the statements' comments.
func (d dealRead[T]) find(ctx context.Context, db *DB, fn string, q *query, order string, p crm.Page) ([]T, crm.Total, error) {
	total, err := q.count(ctx, db, fn, d.table+" "+d.alias)
	if err != nil {
		return nil, total, err
	}
	rows, err := db.Pool.Query(ctx, q.pageSQL(fn, d.table, d.alias, d.columns, d.from, order, p.Norm()), q.args.List...)
	if err != nil {
		return nil, total, err
	}
	list, err := pgx.CollectRows(rows, d.scan)
	return list, total, err
}
