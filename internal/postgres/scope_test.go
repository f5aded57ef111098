package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// scopeSchema is a stand-in for the real tables, following the conventions
// stated on postgres.ViewScope: one table holds records of every resource.
const scopeSchema = `
CREATE SCHEMA scopetest;
CREATE TABLE scopetest.customer_collaborators (
	customer_id bigint NOT NULL,
	employee_id bigint NOT NULL,
	PRIMARY KEY (customer_id, employee_id)
);
CREATE INDEX ON scopetest.customer_collaborators (employee_id);
CREATE TABLE scopetest.records (
	id                     bigint PRIMARY KEY,
	resource               text   NOT NULL,
	owner_id               bigint NULL,
	department_id          bigint NULL,
	created_by             bigint NOT NULL,
	customer_id            bigint NULL,
	customer_owner_id      bigint NULL,
	customer_department_id bigint NULL,
	approver_id bigint NULL
);`

// scopeConn returns a connection of a fresh test database holding the
// scopetest schema, with search_path pointing at it so that the unqualified
// tables ViewScope names resolve there.
func scopeConn(t *testing.T) *pgxpool.Conn {
	t.Helper()
	ctx := context.Background()
	db := testdb.New(t)
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	if _, err := conn.Exec(ctx, scopeSchema); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SET search_path = scopetest"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// nullable maps the policy's "0: none" onto SQL NULL.
func nullable(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

type scopeRow struct {
	id  int64
	rec crm.Record
}

func TestScopeAgreesWithCanView(t *testing.T) {
	ctx := context.Background()
	conn := scopeConn(t)
	rng := rand.New(rand.NewPCG(2024, 11))

	// Departments, nested three levels:
	//	1 ── 3 ── 5
	//	 └── 4
	//	2 ── 6
	parent := map[int64]int64{1: 0, 2: 0, 3: 1, 4: 1, 5: 3, 6: 2}
	subtree := func(d int64) []int64 {
		var out []int64
		for x := range int64(7) {
			for y := x; y != 0; y = parent[y] {
				if y == d {
					out = append(out, x)
					break
				}
			}
		}
		return out
	}
	randDept := func() int64 { return rng.Int64N(7) } // 0: none

	// Actors: every role, spread over departments, some with none.
	var actors []crm.Actor
	deptOf := map[int64]int64{}
	for i := range 30 {
		id := int64(i + 1)
		d := 1 + rng.Int64N(6)
		if i%7 == 3 || i == 2 || i == 3 { // a manager and a rep among those without department
			d = 0
		}
		a := crm.Actor{ID: id, Name: fmt.Sprintf("e%d", id), Role: crm.Roles[i%len(crm.Roles)], DepartmentID: d}
		if d != 0 {
			a.Departments = subtree(d)
		}
		actors = append(actors, a)
		deptOf[id] = d
	}
	// Records also point at two employees who are not among the actors.
	people := int64(32)
	randPerson := func() int64 { return 1 + rng.Int64N(people) }

	var rows []scopeRow
	var collabRows [][]any
	nextID := int64(0)
	add := func(r crm.Record) {
		nextID++
		rows = append(rows, scopeRow{nextID, r})
	}

	// Customers first: owned or in a pool, with collaborators.
	type customer struct {
		id, owner, dept int64
		collab          []int64
	}
	var customers []customer
	for range 500 {
		cu := customer{}
		if rng.IntN(5) > 0 {
			cu.owner = randPerson()
			cu.dept = deptOf[cu.owner]
			if rng.IntN(10) == 0 {
				cu.dept = randDept()
			}
		} else {
			cu.dept = randDept()
		}
		for range rng.IntN(4) {
			if p := randPerson(); !slices.Contains(cu.collab, p) {
				cu.collab = append(cu.collab, p)
			}
		}
		add(crm.Record{Resource: crm.ResCustomer, OwnerID: cu.owner, DepartmentID: cu.dept,
			CreatedBy: randPerson(), Collaborators: cu.collab})
		cu.id = nextID
		for _, p := range cu.collab {
			collabRows = append(collabRows, []any{cu.id, p})
		}
		customers = append(customers, cu)
	}
	// Records under customers, with their own owner, department and creator.
	for _, res := range []crm.Resource{crm.ResContact, crm.ResFollowUp, crm.ResOpportunity,
		crm.ResQuote, crm.ResOrder, crm.ResPayment, crm.ResInvoice} {
		for range 220 {
			cu := customers[rng.IntN(len(customers))]
			r := crm.Record{Resource: res, CreatedBy: randPerson(), CustomerID: cu.id,
				CustomerOwnerID: cu.owner, CustomerDepartmentID: cu.dept, Collaborators: cu.collab}
			if rng.IntN(10) > 0 {
				r.OwnerID = randPerson()
				r.DepartmentID = deptOf[r.OwnerID]
			}
			if rng.IntN(8) == 0 {
				r.DepartmentID = randDept()
			}
			if res == crm.ResOrder && rng.IntN(3) == 0 {
				r.ApproverID = randPerson()
			}
			add(r)
		}
	}
	// Leads (a quarter in pools), campaigns and products.
	for range 400 {
		r := crm.Record{Resource: crm.ResLead, CreatedBy: randPerson()}
		if rng.IntN(4) > 0 {
			r.OwnerID = randPerson()
			r.DepartmentID = deptOf[r.OwnerID]
		} else {
			r.DepartmentID = randDept()
		}
		add(r)
	}
	for range 100 {
		owner := randPerson()
		add(crm.Record{Resource: crm.ResCampaign, OwnerID: owner, DepartmentID: deptOf[owner], CreatedBy: randPerson()})
	}
	for range 40 {
		add(crm.Record{Resource: crm.ResProduct, CreatedBy: randPerson()})
	}

	var copyRows [][]any
	for _, row := range rows {
		r := row.rec
		copyRows = append(copyRows, []any{row.id, string(r.Resource), nullable(r.OwnerID), nullable(r.DepartmentID),
			r.CreatedBy, nullable(r.CustomerID), nullable(r.CustomerOwnerID), nullable(r.CustomerDepartmentID), nullable(r.ApproverID)})
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"scopetest", "records"},
		[]string{"id", "resource", "owner_id", "department_id", "created_by", "customer_id", "customer_owner_id", "customer_department_id", "approver_id"},
		pgx.CopyFromRows(copyRows)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"scopetest", "customer_collaborators"},
		[]string{"customer_id", "employee_id"}, pgx.CopyFromRows(collabRows)); err != nil {
		t.Fatal(err)
	}

	byID := map[int64]crm.Record{}
	for _, row := range rows {
		byID[row.id] = row.rec
	}
	pairs, visible := 0, 0
	var bad []string
	for _, a := range actors {
		for _, res := range crm.Resources {
			args := &postgres.Args{List: []any{string(res)}}
			cond := postgres.ViewScope(a, res, "r", args)
			q := "SELECT r.id FROM records r WHERE r.resource = $1 AND " + cond
			got, err := pgx.CollectRows(must(conn.Query(ctx, q, args.List...)), pgx.RowTo[int64])
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			inSQL := map[int64]bool{}
			for _, id := range got {
				inSQL[id] = true
			}
			for _, row := range rows {
				if row.rec.Resource != res {
					continue
				}
				pairs++
				inGo := crm.CanView(a, row.rec)
				if inGo {
					visible++
				}
				if inGo != inSQL[row.id] {
					bad = append(bad, fmt.Sprintf("actor %d (%s, dept %d, scope %v) record %d %+v: CanView %v, SQL %v\n\t%s",
						a.ID, a.Role, a.DepartmentID, a.Departments, row.id, row.rec, inGo, inSQL[row.id], cond))
				}
				delete(inSQL, row.id)
			}
			for id := range inSQL {
				bad = append(bad, fmt.Sprintf("actor %d (%s): SQL returned record %d of another resource %+v", a.ID, a.Role, id, byID[id]))
			}
			// DepartmentBranch and OutsideScope partition what a views.
			if depts, _ := postgres.DepartmentBranch(a, res); len(depts) > 0 {
				args := &postgres.Args{List: []any{string(res)}}
				out := postgres.OutsideScope(a, res, "r", depts, args)
				got, err := pgx.CollectRows(must(conn.Query(ctx, "SELECT r.id FROM records r WHERE r.resource = $1 AND "+out, args.List...)), pgx.RowTo[int64])
				if err != nil {
					t.Fatal(err)
				}
				inOut := map[int64]bool{}
				for _, id := range got {
					inOut[id] = true
				}
				for _, row := range rows {
					if row.rec.Resource != res {
						continue
					}
					inBranch := slices.Contains(depts, row.rec.DepartmentID) || res.UnderCustomer() && slices.Contains(depts, row.rec.CustomerDepartmentID)
					if want := crm.CanView(a, row.rec) && !inBranch; want != inOut[row.id] {
						bad = append(bad, fmt.Sprintf("OutsideScope: actor %d (%s) record %d %+v: want %v, SQL %v", a.ID, a.Role, row.id, row.rec, want, inOut[row.id]))
					}
				}
			}
			// DepartmentBranch: every record of those departments is viewable.
			if depts, all := postgres.DepartmentBranch(a, res); all || len(depts) > 0 {
				for _, row := range rows {
					if row.rec.Resource == res && (all || slices.Contains(depts, row.rec.DepartmentID) ||
						res.UnderCustomer() && slices.Contains(depts, row.rec.CustomerDepartmentID)) {
						for _, owner := range []int64{0, row.rec.OwnerID, a.ID + 1000} {
							r := row.rec
							r.OwnerID, r.CreatedBy = owner, owner+1
							if !crm.CanView(a, r) {
								bad = append(bad, fmt.Sprintf("DepartmentBranch: actor %d (%s) does not view %+v", a.ID, a.Role, r))
							}
						}
					}
				}
			}
			if !res.Owned() {
				continue
			}
			// OwnScope: what a may view and owns.
			args = &postgres.Args{List: []any{string(res)}}
			own := postgres.OwnScope(a, res, "r", args)
			got, err = pgx.CollectRows(must(conn.Query(ctx, "SELECT r.id FROM records r WHERE r.resource = $1 AND "+own, args.List...)), pgx.RowTo[int64])
			if err != nil {
				t.Fatal(err)
			}
			inOwn := map[int64]bool{}
			for _, id := range got {
				inOwn[id] = true
			}
			for _, row := range rows {
				if row.rec.Resource != res {
					continue
				}
				if want := crm.CanView(a, row.rec) && row.rec.OwnerID == a.ID; want != inOwn[row.id] {
					bad = append(bad, fmt.Sprintf("OwnScope: actor %d (%s) record %d %+v: want %v, SQL %v", a.ID, a.Role, row.id, row.rec, want, inOwn[row.id]))
				}
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("ViewScope and CanView disagree on %d of %d pairs; the first ones:\n%s",
			len(bad), pairs, strings.Join(bad[:min(len(bad), 8)], "\n"))
	}
	t.Logf("scope: %d (actor, record) pairs checked over %d actors and %d records; %d visible", pairs, len(actors), len(rows), visible)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestScopeRepPlanUsesIndexes checks that a rep's customer list is served by
// the indexes (a BitmapOr), not a scan of the whole table.
func TestScopeRepPlanUsesIndexes(t *testing.T) {
	ctx := context.Background()
	rep := crm.Actor{ID: 7, Role: crm.RoleSalesRep, DepartmentID: 8, Departments: []int64{8}}
	args := &postgres.Args{List: []any{string(crm.ResCustomer)}}
	cond := postgres.ViewScope(rep, crm.ResCustomer, "r", args)
	if strings.Contains(strings.ToUpper(cond), "EXISTS") {
		t.Errorf("the rep's customer scope has an EXISTS: %s", cond)
	}

	conn := scopeConn(t)
	// 50 000 customers of 300 employees in 20 departments (employee e in
	// department 1 + e%20); every 50th in a pool (of a department or none).
	for _, q := range []string{
		`INSERT INTO records (id, resource, owner_id, department_id, created_by)
		 SELECT g, 'customer', o, CASE WHEN o IS NULL THEN NULLIF(g % 21, 0) ELSE 1 + o % 20 END, 1 + (g * 104729) % 300
		 FROM (SELECT g, CASE WHEN g % 50 = 0 THEN NULL ELSE 1 + (g * 7919) % 300 END AS o
		       FROM generate_series(1::bigint, 50000) g) s`,
		`INSERT INTO customer_collaborators (customer_id, employee_id)
		 SELECT DISTINCT 1 + (g * 15485863) % 50000, 1 + (g * 31) % 300 FROM generate_series(1::bigint, 3000) g`,
		`CREATE INDEX ON records (owner_id)`,
		`CREATE INDEX ON records (created_by)`,
		`CREATE INDEX ON records (department_id)`,
		`CREATE INDEX ON records (department_id) WHERE owner_id IS NULL`,
		`ANALYZE records`,
		`ANALYZE customer_collaborators`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	q := "SELECT r.id FROM records r WHERE r.resource = $1 AND " + cond
	var out []byte
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q, args.List...).Scan(&out); err != nil {
		t.Fatal(err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("EXPLAIN output %s: %v", out, err)
	}
	var seq, bitmapOr bool
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.NodeType == "Seq Scan" && n.RelationName == "records" {
			seq = true
		}
		if n.NodeType == "BitmapOr" {
			bitmapOr = true
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	if seq || !bitmapOr {
		t.Errorf("rep's customer list: want a BitmapOr of index scans and no Seq Scan on records; plan:\n%s", out)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM ("+q+") s", args.List...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	t.Logf("scope plan: rep sees %d of 50000 customers; BitmapOr %v, Seq Scan on records %v", n, bitmapOr, seq)
}

type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	Plans        []planNode `json:"Plans"`
}
