package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// The references that keep PurgeDemo from running: a real (non-demo)
// record whose column points at a demo row the purge would delete. Each is
// named (kind, name or number, id) with the demo rows it points at, so that
// the admin can delete or reassign those records and purge again; the
// refusal no longer names a table only.

// MaxDemoBlockers bounds the records a refusal lists; the rest are counted.
const MaxDemoBlockers = 10

// DemoInUseError is PurgeDemo's refusal while real records point at demo
// rows: the first MaxDemoBlockers of them and how many there are in all. It
// is an ECONFLICT crm error ("error.demo_in_use_records") to errors.As.
type DemoInUseError struct {
	Blockers []crm.DemoBlocker
	Total    int
}

// Error implements error: the records listed, for the command line.
func (e *DemoInUseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d real records point at demo rows:", e.Total)
	for _, x := range e.Blockers {
		fmt.Fprintf(&b, "\n  %s %d %q:", x.Kind, x.ID, x.Name)
		for _, r := range x.Refs {
			fmt.Fprintf(&b, " %s → %s %d %q;", r.Column, r.DemoKind, r.DemoID, r.DemoName)
		}
	}
	if more := e.Total - len(e.Blockers); more > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", more)
	}
	b.WriteString("\ndelete them or make them point at real data, then purge again; nothing was removed")
	return b.String()
}

// Unwrap makes the refusal an ECONFLICT.
func (e *DemoInUseError) Unwrap() error {
	return crm.Errorf(crm.ECONFLICT, "error.demo_in_use_records", e.Total)
}

// demoKinds names each kind of record a refusal mentions: its table and
// the SQL of its name.
var demoKinds = map[string]struct{ table, name string }{
	"department":  {"departments", "name"},
	"employee":    {"employees", "name || ' (' || username || ')'"},
	"campaign":    {"campaigns", "name"},
	"lead":        {"leads", "name"},
	"customer":    {"customers", "name"},
	"contact":     {"contacts", "name"},
	"follow_up":   {"follow_ups", "left(content, 40)"},
	"opportunity": {"opportunities", "name"},
	"product":     {"products", "sku || ' ' || name"},
	"quote":       {"quotes", "number"},
	"order":       {"orders", "number"},
	"payment":     {"payments", "amount::text || ' · ' || paid_on::text"},
	"invoice":     {"invoices", "CASE WHEN invoice_no <> '' THEN invoice_no ELSE amount::text || ' · ' || issued_on::text END"},
}

// demoRef is one foreign key that a real row may hold on a demo row.
type demoRef struct {
	table, column, to string // the referring table and column, the referred table
	kind              string // SQL: the kind of the record to name (over r)
	id                string // SQL: its id (over r)
	real              string // SQL: r stays after the purge (is not a demo row nor removed with one)
}

// demoToKind maps the tables holding demo rows to their kinds.
var demoToKind = map[string]string{
	"departments": "department", "employees": "employee", "campaigns": "campaign", "leads": "lead",
	"customers": "customer", "opportunities": "opportunity", "products": "product", "quotes": "quote", "orders": "order",
}

// demoRefs lists every foreign key a real row can hold on a demo row that
// the purge does not remove with it (cascades and SET NULL excluded);
// TestDemoRefsCoverForeignKeys checks the list against the catalog.
var demoRefs = func() []demoRef {
	notDemo := "NOT r.is_demo"
	// Contacts and follow-ups of demo customers and leads go with them
	// (PurgeDemo), as follow-ups of demo opportunities do (cascade).
	stays := map[string]string{
		"contacts": notDemo + " AND NOT EXISTS (SELECT 1 FROM customers x WHERE x.id = r.customer_id AND x.is_demo)",
		"follow_ups": notDemo + " AND NOT EXISTS (SELECT 1 FROM customers x WHERE x.id = r.customer_id AND x.is_demo)" +
			" AND NOT EXISTS (SELECT 1 FROM leads x WHERE x.id = r.lead_id AND x.is_demo)" +
			" AND NOT EXISTS (SELECT 1 FROM opportunities x WHERE x.id = r.opportunity_id AND x.is_demo)",
	}
	owned := []struct{ table, kind string }{
		{"campaigns", "campaign"}, {"leads", "lead"}, {"customers", "customer"}, {"contacts", "contact"},
		{"follow_ups", "follow_up"}, {"opportunities", "opportunity"}, {"quotes", "quote"}, {"orders", "order"},
		{"payments", "payment"}, {"invoices", "invoice"},
	}
	var refs []demoRef
	add := func(table, kind, column, to string) {
		real := stays[table]
		if real == "" {
			real = notDemo
		}
		refs = append(refs, demoRef{table: table, column: column, to: to, kind: "'" + kind + "'", id: "r.id", real: real})
	}
	add("departments", "department", "parent_id", "departments")
	add("departments", "department", "head_id", "employees")
	add("employees", "employee", "department_id", "departments")
	add("products", "product", "created_by", "employees")
	for _, o := range owned {
		add(o.table, o.kind, "owner_id", "employees")
		add(o.table, o.kind, "created_by", "employees")
		add(o.table, o.kind, "department_id", "departments")
		if o.kind != "campaign" && o.kind != "lead" && o.kind != "customer" {
			add(o.table, o.kind, "customer_owner_id", "employees")
			add(o.table, o.kind, "customer_department_id", "departments")
		}
	}
	add("leads", "lead", "campaign_id", "campaigns")
	add("leads", "lead", "customer_id", "customers")
	add("customers", "customer", "campaign_id", "campaigns")
	add("customers", "customer", "lead_id", "leads")
	for _, d := range []struct{ table, kind string }{{"opportunities", "opportunity"}, {"quotes", "quote"},
		{"orders", "order"}, {"payments", "payment"}, {"invoices", "invoice"}} {
		add(d.table, d.kind, "customer_id", "customers")
	}
	add("quotes", "quote", "opportunity_id", "opportunities")
	add("orders", "order", "opportunity_id", "opportunities")
	add("orders", "order", "quote_id", "quotes")
	for _, c := range []string{"approver_id", "submitted_by", "decided_by"} {
		add("orders", "order", c, "employees")
	}
	for _, d := range []struct{ table, kind string }{{"payments", "payment"}, {"invoices", "invoice"}} {
		add(d.table, d.kind, "order_id", "orders")
		add(d.table, d.kind, "confirmed_by", "employees")
	}
	// Rows without a demo flag of their own: lines of real documents, the
	// collaborators of real customers. (History and import jobs are
	// demoCleared.)
	refs = append(refs,
		demoRef{table: "quote_lines", column: "product_id", to: "products", kind: "'quote'", id: "r.quote_id",
			real: "NOT EXISTS (SELECT 1 FROM quotes x WHERE x.id = r.quote_id AND x.is_demo)"},
		demoRef{table: "order_lines", column: "product_id", to: "products", kind: "'order'", id: "r.order_id",
			real: "NOT EXISTS (SELECT 1 FROM orders x WHERE x.id = r.order_id AND x.is_demo)"},
		demoRef{table: "customer_collaborators", column: "employee_id", to: "employees", kind: "'customer'", id: "r.customer_id",
			real: "NOT EXISTS (SELECT 1 FROM customers x WHERE x.id = r.customer_id AND x.is_demo)"},
		demoRef{table: "customer_collaborators", column: "added_by", to: "employees", kind: "'customer'", id: "r.customer_id",
			real: "NOT EXISTS (SELECT 1 FROM customers x WHERE x.id = r.customer_id AND x.is_demo)"},
	)
	return refs
}()

// demoCleared are the references to demo employees that PurgeDemo clears
// itself instead of refusing, since nobody could act on them: the actor of
// history entries on real records (the entry stays, without its actor, as
// a notification's actor is set null), and import jobs run or reverted by
// a demo account (the job is removed, its reverter cleared; the records it
// wrote are real ones created by a demo employee and refuse the purge
// until deleted).
var demoCleared = []struct{ key, sql string }{
	{"history.actor_id→employees", `UPDATE history SET actor_id = NULL WHERE actor_id IN (SELECT id FROM employees WHERE is_demo)`},
	{"import_jobs.created_by→employees", `DELETE FROM import_jobs WHERE created_by IN (SELECT id FROM employees WHERE is_demo)`},
	{"import_jobs.reverted_by→employees", `UPDATE import_jobs SET reverted_by = NULL WHERE reverted_by IN (SELECT id FROM employees WHERE is_demo)`},
}

// demoBlockers finds the real records pointing at demo rows: the first
// MaxDemoBlockers records (in demoRefs order, then by id) with every
// pointer each holds, and the number of records in all. PurgeDemo calls it
// after deleting the history of demo records, inside its transaction.
func demoBlockers(ctx context.Context, tx pgx.Tx) ([]crm.DemoBlocker, int, error) {
	parts := make([]string, len(demoRefs))
	for i, r := range demoRefs {
		parts[i] = fmt.Sprintf(`SELECT %s::text AS kind, %s AS id, '%s'::text AS col, '%s'::text AS demo_kind, t.id AS demo_id, %d AS ord
			FROM %s r JOIN %s t ON t.id = r.%s WHERE t.is_demo AND %s`,
			r.kind, r.id, r.column, demoToKind[r.to], i, r.table, r.to, r.column, r.real)
	}
	rows, err := tx.Query(ctx, `/* postgres.demoBlockers */
		WITH b AS (`+strings.Join(parts, "\n UNION ALL ")+`)
		SELECT kind, id, array_agg(col ORDER BY ord, demo_id), array_agg(demo_kind ORDER BY ord, demo_id),
		       array_agg(demo_id ORDER BY ord, demo_id), count(*) OVER ()
		FROM b GROUP BY kind, id ORDER BY min(ord), id LIMIT `+fmt.Sprint(MaxDemoBlockers))
	if err != nil {
		return nil, 0, err
	}
	var out []crm.DemoBlocker
	total := 0
	for rows.Next() {
		var b crm.DemoBlocker
		var cols, kinds []string
		var ids []int64
		if err := rows.Scan(&b.Kind, &b.ID, &cols, &kinds, &ids, &total); err != nil {
			rows.Close()
			return nil, 0, err
		}
		for i := range cols {
			b.Refs = append(b.Refs, crm.DemoRef{Column: cols[i], DemoKind: kinds[i], DemoID: ids[i]})
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		b := &out[i]
		if b.Name, err = demoName(ctx, tx, b.Kind, b.ID); err != nil {
			return nil, 0, err
		}
		for j := range b.Refs {
			if b.Refs[j].DemoName, err = demoName(ctx, tx, b.Refs[j].DemoKind, b.Refs[j].DemoID); err != nil {
				return nil, 0, err
			}
		}
	}
	return out, total, nil
}

// demoName is the name or number of a record of kind ("" if it has none).
func demoName(ctx context.Context, tx pgx.Tx, kind string, id int64) (string, error) {
	k, ok := demoKinds[kind]
	if !ok {
		return "", nil
	}
	var name string
	err := tx.QueryRow(ctx, `/* postgres.demoName */ SELECT `+k.name+` FROM `+k.table+` WHERE id = $1`, id).Scan(&name)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	return name, err
}
