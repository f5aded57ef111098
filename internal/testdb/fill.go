package testdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"crm/internal/postgres"
)

// Filled names the records FillCustomer adds under a customer.
type Filled struct {
	Opportunity int64 // the newest opportunity: the quotes, orders and follow-ups are under it
	Order       int64 // the newest order: the payments and invoices are against it
}

// FillCustomer adds n records of every kind under an existing customer —
// contacts (the oldest primary), follow-ups, opportunities, quotes,
// orders (approved), payments and invoices — owned like the customer (its
// owner, or its creator for a pool customer), the n-th newest created n
// minutes ago, named with a four-digit number from 0001 (the newest) on:
// 联系人0001, 跟进0001, 机会0001, BJ-<customer>-0001, DD-<customer>-0001,
// 回款0001 (a payment's notes), FP-<customer>-0001. Every quote, order and
// follow-up is under the newest opportunity, every payment and invoice
// against the newest order. It writes with SQL, not through the workflows
// (no history, no figures on the order), so that a big customer takes a
// moment: the section pages and their plans are what it is for.
func FillCustomer(t testing.TB, db *postgres.DB, customerID int64, n int) Filled {
	t.Helper()
	return FillCustomers(t, db, []int64{customerID}, n)[0]
}

// FillCustomers is FillCustomer for each of customers, in one transaction
// (and one VACUUM ANALYZE, so that the rows are all-visible, as old rows
// are once autovacuum has passed: index-only scans read no heap).
func FillCustomers(t testing.TB, db *postgres.DB, customers []int64, n int) []Filled {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	out := make([]Filled, len(customers))
	for i, id := range customers {
		if out[i], err = fill(ctx, tx, id, n); err != nil {
			t.Fatalf("testdb.FillCustomers: %v", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE contacts, follow_ups, opportunities, quotes, orders, payments, invoices`); err != nil {
		t.Fatal(err)
	}
	return out
}

// fill adds FillCustomer's records under one customer inside tx.
func fill(ctx context.Context, tx pgx.Tx, customerID int64, n int) (Filled, error) {
	var err error
	const who = `WITH c AS (SELECT id, coalesce(owner_id, created_by) AS owner, department_id AS dept, owner_id, created_by
		FROM customers WHERE id = $1), g AS (SELECT i, lpad(i::text, 4, '0') AS k, now() - i * interval '1 minute' AS at
		FROM generate_series(1, $2::int) i) `
	const owned = `c.owner, c.dept, c.created_by, c.owner_id, c.dept, g.at, g.at FROM c, g`
	var f Filled
	base := func() []any { return []any{customerID, n} }
	underOpp := func() []any { return []any{customerID, n, f.Opportunity} }
	underOrder := func() []any { return []any{customerID, n, f.Order} }
	steps := []struct {
		sql  string
		args func() []any
		out  *int64 // a SELECT of one id (its only argument the customer)
	}{
		{who + `INSERT INTO contacts (customer_id, name, phone, is_primary, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id, created_at, updated_at)
			SELECT c.id, '联系人' || g.k, '139' || lpad(g.i::text, 8, '0'), g.i = $2, ` + owned, base, nil},
		{who + `INSERT INTO opportunities (name, customer_id, expected_amount, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id, created_at, updated_at)
			SELECT '机会' || g.k, c.id, 1000, ` + owned, base, nil},
		{`SELECT id FROM opportunities WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, nil, &f.Opportunity},
		{who + `INSERT INTO follow_ups (customer_id, opportunity_id, content, followed_at, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id, created_at, updated_at)
			SELECT c.id, $3, '跟进' || g.k, g.at, ` + owned, underOpp, nil},
		{who + `INSERT INTO quotes (number, customer_id, opportunity_id, total, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id, created_at, updated_at)
			SELECT 'BJ-' || c.id || '-' || g.k, c.id, $3, 100, ` + owned, underOpp, nil},
		{who + `INSERT INTO orders (number, customer_id, opportunity_id, status, total, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id, created_at, updated_at)
			SELECT 'DD-' || c.id || '-' || g.k, c.id, $3, 'approved', 100000, ` + owned, underOpp, nil},
		{`SELECT id FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, nil, &f.Order},
		{who + `INSERT INTO payments (order_id, customer_id, amount, paid_on, notes, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id, created_at, updated_at)
			SELECT $3, c.id, 1, (g.at AT TIME ZONE 'Asia/Shanghai')::date, '回款' || g.k, ` + owned, underOrder, nil},
		{who + `INSERT INTO invoices (order_id, customer_id, amount, invoice_no, issued_on, owner_id, department_id, created_by,
			customer_owner_id, customer_department_id, created_at, updated_at)
			SELECT $3, c.id, 1, 'FP-' || c.id || '-' || g.k, (g.at AT TIME ZONE 'Asia/Shanghai')::date, ` + owned, underOrder, nil},
	}
	for _, s := range steps {
		if s.out != nil {
			err = tx.QueryRow(ctx, s.sql, customerID).Scan(s.out)
		} else {
			_, err = tx.Exec(ctx, s.sql, s.args()...)
		}
		if err != nil {
			return f, fmt.Errorf("%w\n%s", err, s.sql)
		}
	}
	return f, nil
}
