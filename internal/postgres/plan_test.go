package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"crm/internal/crm"
	"crm/internal/gen"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// planGuardCustomers is the size of the plan guard's data set: large
// enough that the planner's choices are the ones it makes at a million
// (sequential scans stop being cheap), small enough to generate in about
// twenty seconds.
const planGuardCustomers = 200_000

// guardedTables must never be read by a sequential scan in a main query.
var guardedTables = []string{"customers", "leads", "follow_ups"}

// TestPlanGuard generates a data set, then explains every query of every
// main page (gen.Pages but the dashboard: the customer list and its
// searches, sorts, deep page and pool tab, a customer's page, the lead,
// follow-up, opportunity and order lists, the board, the approval inbox)
// as each user class sees
// it — a rep who views 0.1 % of the customers, a rep with 2 % of them, a
// collaborator-only presales engineer, the manager of a third of the
// company, management, marketing and finance — and fails when a plan
// reads customers, leads or follow-ups by a sequential scan.
//
// The SQL is the storage layer's own: the pages' storage calls run over a
// pool whose tracer records each statement and its arguments, which are
// then explained with those arguments (custom plans, as in production).
func TestPlanGuard(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a data set (skipped with -short)")
	}
	ctx := context.Background()
	db := testdb.New(t)
	hash, err := password.Hash(gen.Password)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gen.Generate(ctx, db, gen.Config{Customers: planGuardCustomers, Seed: 3, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d customers in %s", planGuardCustomers, res.Took.Round(100_000_000))

	rec := &recorder{}
	cfg := db.Pool.Config() // the settings postgres.Open chose (custom plans, time zone)
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	traced := &postgres.DB{Pool: pool}

	terms, err := gen.FindTerms(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var total int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM customers`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	explained := 0
	for _, p := range gen.Personas {
		a, err := gen.Actor(ctx, db, p.Username)
		if err != nil {
			t.Fatal(err)
		}
		pages, err := gen.Pages(ctx, db, a, terms)
		if err != nil {
			t.Fatal(err)
		}
		var sees int
		args := &postgres.Args{}
		cond := postgres.ViewScope(a, crm.ResCustomer, "c", args)
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM customers c WHERE `+cond, args.List...).Scan(&sees); err != nil {
			t.Fatal(err)
		}
		t.Logf("%-13s %-7s views %6d customers (%.2f%%), %d pages", p.Class, p.Username, sees, 100*float64(sees)/float64(total), len(pages))
		for _, pg := range pages {
			if pg.Report {
				continue // the dashboard: reports over periods, not the lists this guards
			}
			rec.reset()
			if err := pg.Load(ctx, traced); err != nil {
				t.Fatalf("%s %s: %v", p.Class, pg.Name, err)
			}
			for _, q := range rec.take() {
				if strings.Contains(q.sql, " EXPLAIN ") || gen.Control(q.sql) { // count's estimate, transaction control
					continue
				}
				explained++
				plan, scans := explain(t, db, q)
				for _, s := range scans {
					t.Errorf("%s (%s) %s: sequential scan of %s\n%s\n%s", p.Class, p.Username, pg.Name, s, q.sql, plan)
				}
			}
		}
	}
	t.Logf("explained %d queries", explained)
}

// TestSortsIndexed checks that every sort of every list is served by an
// index in both directions: a btree index whose leading key columns are the
// sort's columns, each ascending with its NULLs where the sort puts them
// (orderBy), or each exactly reversed — a backward scan gives the other
// direction. Without one the list sorts every visible row before its first
// page (1 000 000 customers for management).
func TestSortsIndexed(t *testing.T) {
	db := testdb.New(t)
	type key struct {
		expr             string
		desc, nullsFirst bool
	}
	indexes := map[string][][]key{} // table → each full, valid btree index's key columns
	rows, err := db.Pool.Query(context.Background(), `SELECT t.relname::text, k.n,
			pg_get_indexdef(i.indexrelid, k.n, true), (i.indoption[k.n - 1] & 1) = 1, (i.indoption[k.n - 1] & 2) = 2
		FROM pg_index i
		JOIN pg_class t ON t.oid = i.indrelid
		JOIN pg_class x ON x.oid = i.indexrelid
		JOIN pg_am am ON am.oid = x.relam AND am.amname = 'btree'
		CROSS JOIN LATERAL generate_series(1, i.indnkeyatts) k(n)
		WHERE i.indpred IS NULL AND i.indisvalid AND t.relnamespace = 'public'::regnamespace
		ORDER BY i.indexrelid, k.n`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, expr string
		var n int
		var k key
		if err := rows.Scan(&table, &n, &expr, &k.desc, &k.nullsFirst); err != nil {
			t.Fatal(err)
		}
		k.expr = expr
		if n == 1 {
			indexes[table] = append(indexes[table], nil)
		}
		last := len(indexes[table]) - 1
		indexes[table][last] = append(indexes[table][last], k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	serves := func(index []key, want []key) bool {
		if len(index) < len(want) {
			return false
		}
		for _, flip := range []bool{false, true} {
			ok := true
			for i, w := range want {
				k := index[i]
				if k.expr != w.expr || k.desc != (w.desc != flip) || k.nullsFirst != (w.nullsFirst != flip) {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	sorts := 0
	for table, list := range postgres.ListSorts {
		for name, sort := range list {
			sorts++
			exprs, nullsFirst := postgres.SortColumns(sort)
			var want []key
			for i, e := range exprs {
				_, col, _ := strings.Cut(e, ".")
				want = append(want, key{expr: col, nullsFirst: nullsFirst[i]})
			}
			found := false
			for _, index := range indexes[table] {
				found = found || serves(index, want)
			}
			if !found {
				t.Errorf("%s sorted by %q (%s): no btree index serves it in both directions", table, name, sort)
			}
		}
	}
	if sorts < 40 {
		t.Errorf("checked %d sorts: the lists' sorts are not all registered", sorts)
	}
}

// statement is one query a storage call sent.
type statement struct {
	sql  string
	args []any
}

// recorder is a pgx tracer that records every statement, batched or not.
type recorder struct {
	mu   sync.Mutex
	list []statement
}

func (r *recorder) add(sql string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, statement{sql, args})
}

func (r *recorder) reset() { r.take() }

func (r *recorder) take() []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.list
	r.list = nil
	return l
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add(d.SQL, d.Args)
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (r *recorder) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	r.add(d.SQL, d.Args)
}

func (r *recorder) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// explain returns the text plan of q and the guarded tables it reads by a
// sequential scan.
func explain(t *testing.T, db *postgres.DB, q statement) (string, []string) {
	t.Helper()
	ctx := context.Background()
	var out []byte
	if err := db.Pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q.sql, q.args...).Scan(&out); err != nil {
		t.Fatalf("explain %s: %v", q.sql, err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("EXPLAIN output %s: %v", out, err)
	}
	var scans []string
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.NodeType == "Seq Scan" {
			for _, g := range guardedTables {
				if n.RelationName == g {
					scans = append(scans, g)
				}
			}
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	if len(scans) == 0 {
		return "", nil
	}
	rows, err := db.Pool.Query(ctx, "EXPLAIN "+q.sql, q.args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("args %v\n%s", q.args, strings.Join(lines, "\n")), scans
}
