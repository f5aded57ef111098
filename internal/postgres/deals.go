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
