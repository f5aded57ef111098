package gen_test

import (
	"context"
	"testing"

	"crm/internal/gen"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// MustGenerate fills a fresh test database with n generated customers (and
// everything in proportion) and returns it.
func MustGenerate(t *testing.T, n int) *postgres.DB {
	t.Helper()
	db := testdb.New(t)
	hash, err := password.Hash(gen.Password)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gen.Generate(context.Background(), db, gen.Config{Customers: n, Seed: 7, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d customers in %s: %v", n, res.Took, res.Tables)
	return db
}

// TestGenerateIsConsistent checks that the generated figures agree with
// what the write paths keep, that every reference points at a row (the
// load ran without foreign-key checks), and that the proportions hold.
func TestGenerateIsConsistent(t *testing.T) {
	db := MustGenerate(t, 3000)
	ctx := context.Background()
	for _, c := range []struct{ what, sql string }{
		{"customers' deal figures are their approved orders", `SELECT count(*) FROM customers c LEFT JOIN (
			SELECT customer_id, sum(total) s, count(*) n FROM orders WHERE status = 'approved' GROUP BY customer_id) o ON o.customer_id = c.id
			WHERE c.deal_amount <> coalesce(o.s, 0) OR c.deal_count <> coalesce(o.n, 0) OR (c.stage = 'won') <> (o.n IS NOT NULL)`},
		{"customers' paid figures are their confirmed payments", `SELECT count(*) FROM customers c LEFT JOIN (
			SELECT customer_id, sum(amount) s FROM payments WHERE confirmed GROUP BY customer_id) p ON p.customer_id = c.id
			WHERE c.paid_amount <> coalesce(p.s, 0)`},
		{"customers' invoiced figures are their confirmed invoices", `SELECT count(*) FROM customers c LEFT JOIN (
			SELECT customer_id, sum(amount) s FROM invoices WHERE confirmed GROUP BY customer_id) p ON p.customer_id = c.id
			WHERE c.invoiced_amount <> coalesce(p.s, 0)`},
		{"orders' paid and invoiced amounts", `SELECT count(*) FROM orders o WHERE
			o.paid_amount <> coalesce((SELECT sum(amount) FROM payments p WHERE p.order_id = o.id AND confirmed), 0) OR
			o.invoiced_amount <> coalesce((SELECT sum(amount) FROM invoices i WHERE i.order_id = o.id AND confirmed), 0) OR
			coalesce((SELECT sum(amount) FROM payments p WHERE p.order_id = o.id), 0) > o.total`},
		{"order totals are the sums of their lines", `SELECT count(*) FROM orders o WHERE
			o.total <> (SELECT sum(subtotal) FROM order_lines l WHERE l.order_id = o.id)`},
		{"lines are priced as crm.Line", `SELECT count(*) FROM order_lines WHERE subtotal <> round(unit_price * discount * quantity, 2)`},
		{"quote totals are the sums of their lines", `SELECT count(*) FROM quotes q WHERE
			q.total <> (SELECT sum(subtotal) FROM quote_lines l WHERE l.quote_id = q.id)`},
		{"campaign figures", `SELECT count(*) FROM campaigns c WHERE
			c.lead_count <> (SELECT count(*) FROM leads WHERE campaign_id = c.id) OR
			c.customer_count <> (SELECT count(*) FROM customers WHERE campaign_id = c.id) OR
			c.deal_amount <> coalesce((SELECT sum(deal_amount) FROM customers WHERE campaign_id = c.id), 0)`},
		{"converted leads carry their customer's deal figures", `SELECT count(*) FROM leads l JOIN customers c ON c.id = l.customer_id
			WHERE l.deal_amount <> c.deal_amount OR l.deal_count <> c.deal_count OR c.lead_id <> l.id OR l.status <> 'converted'`},
		{"last follow-up times", `SELECT count(*) FROM customers c WHERE c.last_follow_up_at IS DISTINCT FROM
			(SELECT max(followed_at) FROM follow_ups f WHERE f.customer_id = c.id)`},
		{"new leads have no follow-ups", `SELECT count(*) FROM leads l WHERE status = 'new' AND last_follow_up_at IS NOT NULL`},
		{"copies of the customer's owner and department", `SELECT (SELECT count(*) FROM contacts x JOIN customers c ON c.id = x.customer_id
			WHERE x.customer_owner_id IS DISTINCT FROM c.owner_id OR x.customer_department_id IS DISTINCT FROM c.department_id OR x.owner_id IS DISTINCT FROM c.owner_id)
			+ (SELECT count(*) FROM follow_ups x JOIN customers c ON c.id = x.customer_id
			WHERE x.customer_owner_id IS DISTINCT FROM c.owner_id OR x.customer_department_id IS DISTINCT FROM c.department_id)
			+ (SELECT count(*) FROM follow_ups x JOIN leads c ON c.id = x.lead_id
			WHERE x.customer_owner_id IS DISTINCT FROM c.owner_id OR x.customer_department_id IS DISTINCT FROM c.department_id)
			+ (SELECT count(*) FROM orders x JOIN customers c ON c.id = x.customer_id
			WHERE x.customer_owner_id IS DISTINCT FROM c.owner_id OR x.customer_department_id IS DISTINCT FROM c.department_id)
			+ (SELECT count(*) FROM payments x JOIN customers c ON c.id = x.customer_id
			WHERE x.customer_owner_id IS DISTINCT FROM c.owner_id OR x.customer_department_id IS DISTINCT FROM c.department_id)
			+ (SELECT count(*) FROM opportunities x JOIN customers c ON c.id = x.customer_id
			WHERE x.customer_owner_id IS DISTINCT FROM c.owner_id OR x.customer_department_id IS DISTINCT FROM c.department_id)`},
		{"owners sit in their record's department", `SELECT count(*) FROM customers c JOIN employees e ON e.id = c.owner_id
			WHERE c.department_id IS DISTINCT FROM e.department_id`},
		{"dangling references", `SELECT (SELECT count(*) FROM follow_ups f WHERE f.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = f.customer_id))
			+ (SELECT count(*) FROM follow_ups f WHERE f.lead_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM leads c WHERE c.id = f.lead_id))
			+ (SELECT count(*) FROM follow_ups f WHERE f.opportunity_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM opportunities o WHERE o.id = f.opportunity_id AND o.customer_id = f.customer_id))
			+ (SELECT count(*) FROM orders o WHERE o.quote_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM quotes q WHERE q.id = o.quote_id AND q.order_id = o.id AND q.customer_id = o.customer_id))
			+ (SELECT count(*) FROM orders o WHERE o.opportunity_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM opportunities q WHERE q.id = o.opportunity_id AND q.customer_id = o.customer_id))
			+ (SELECT count(*) FROM customers c WHERE c.lead_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = c.lead_id))
			+ (SELECT count(*) FROM order_lines l WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = l.product_id))
			+ (SELECT count(*) FROM customer_collaborators x WHERE NOT EXISTS (SELECT 1 FROM employees e WHERE e.id = x.employee_id))`},
		{"payments and invoices only on approved orders", `SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id
			WHERE o.status <> 'approved' OR p.customer_id <> o.customer_id`},
		{"one primary contact per customer", `SELECT count(*) FROM customers c WHERE (SELECT count(*) FROM contacts x WHERE x.customer_id = c.id AND x.is_primary) <> 1`},
		{"rows flagged as demo", `SELECT (SELECT count(*) FROM customers WHERE is_demo) + (SELECT count(*) FROM employees WHERE is_demo)`},
	} {
		var n int
		if err := db.Pool.QueryRow(ctx, c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows disagree", c.what, n)
		}
	}
	// The figures the triggers keep, which the generator fills itself.
	if board, monthly, err := db.KeptFiguresDrift(ctx); err != nil || board != 0 || monthly != 0 {
		t.Errorf("kept figures differ from the records: %d board stages, %d monthly rows (%v)", board, monthly, err)
	}

	// Proportions (within a few percent) and the numbering counters.
	for _, c := range []struct {
		table string
		want  float64 // per customer
	}{{"leads", 1.5}, {"contacts", 2}, {"follow_ups", 5}, {"opportunities", 0.4}, {"quotes", 0.3}, {"orders", 0.3},
		{"order_lines", 1}, {"payments", 0.5}, {"invoices", 0.25}} {
		var n float64
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+c.table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if r := n / 3000 / c.want; r < 0.85 || r > 1.15 {
			t.Errorf("%s: %.0f rows, want about %.0f", c.table, n, c.want*3000)
		}
	}
	var bad int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM doc_counters d WHERE d.last <> (SELECT count(*) FROM orders
		WHERE number LIKE d.kind || '-' || d.year || '-%') AND d.kind = 'DD'`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("order numbering counters: %d wrong (%v)", bad, err)
	}

	// The triggers work again after the load: a new lead of a campaign counts.
	var before, after int
	if err := db.Pool.QueryRow(ctx, `SELECT lead_count FROM campaigns WHERE id = 1`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO leads (name, campaign_id, created_by) VALUES ('测试', 1, (SELECT min(id) FROM employees))`); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT lead_count FROM campaigns WHERE id = 1`).Scan(&after); err != nil || after != before+1 {
		t.Errorf("campaign trigger after generation: lead_count %d → %d (%v)", before, after, err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestGenerateRefusesData checks that generating twice is refused.
func TestGenerateRefusesData(t *testing.T) {
	db := MustGenerate(t, 200)
	hash, _ := password.Hash(gen.Password)
	if _, err := gen.Generate(context.Background(), db, gen.Config{Customers: 200, PasswordHash: hash}); err == nil {
		t.Fatal("a second generation into a filled database was not refused")
	}
}
