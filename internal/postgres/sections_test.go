package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// sectionBig is how many records of every kind the big customer has: more
// than crm.SectionCap, so that every count stops at its cap.
const sectionBig = crm.SectionCap + 500

// sectionTables are the tables the sections read.
var sectionTables = []string{"contacts", "follow_ups", "opportunities", "quotes", "orders", "payments", "invoices"}

// analyzedNode is a node of EXPLAIN (ANALYZE, FORMAT JSON).
type analyzedNode struct {
	NodeType      string         `json:"Node Type"`
	RelationName  string         `json:"Relation Name"`
	IndexName     string         `json:"Index Name"`
	ActualRows    float64        `json:"Actual Rows"`
	ActualLoops   float64        `json:"Actual Loops"`
	RemovedFilter float64        `json:"Rows Removed by Filter"`
	RemovedCheck  float64        `json:"Rows Removed by Index Recheck"`
	Plans         []analyzedNode `json:"Plans"`
}

// TestSectionsIndexed runs every section of a big customer's, its
// opportunity's, its order's and a big lead's page (crm.Section: the first
// rows and the capped count) among 150 other customers' records, as the
// customer's owner, the sales manager of its department and management
// see them, and explains (ANALYZE) each statement sent: it fails on a
// sequential scan of a section's table, on a sort of more rows than a
// section shows (its first rows must come in order from an index), and on
// a scan that reads more of a section's table than the count's cap allows
// (a count must stop at crm.SectionCap+1 rows, a page after its rows).
func TestSectionsIndexed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	dept := mustDept(t, db, "大客户部", 0)
	owner := custActor(t, db, mustEmp(t, db, "secowner", crm.RoleSalesRep, dept))
	mgr := custActor(t, db, mustEmp(t, db, "secmgr", crm.RoleSalesManager, dept))
	boss := custActor(t, db, mustEmp(t, db, "secboss", crm.RoleManagement, 0))
	newCustomer := func(name string) int64 {
		id, err := db.CreateCustomer(ctx, owner, crm.CustomerInput{Name: name}, postgres.NewOwner{})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	var others []int64
	for i := range 150 {
		others = append(others, newCustomer(fmt.Sprintf("客户%03d", i)))
	}
	testdb.FillCustomers(t, db, others, 40)
	big := newCustomer("大客户")
	filled := testdb.FillCustomer(t, db, big, sectionBig)
	lead, err := db.CreateLead(ctx, owner, crm.LeadInput{Name: "大线索", Company: "大线索公司", Status: crm.LeadNew}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO follow_ups (lead_id, content, followed_at, owner_id, department_id, created_by)
		SELECT $1, '线索跟进', now() - i * interval '1 minute', $2, $3, $2 FROM generate_series(1, $4::int) i`,
		lead, owner.ID, dept, sectionBig); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE contacts, follow_ups, opportunities, quotes, orders, payments, invoices`); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{}
	cfg := db.Pool.Config()
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	traced := &postgres.DB{Pool: pool}

	sections := []struct {
		name string
		read func(a crm.Actor) (crm.Total, int, error)
	}{
		{"ContactsOfCustomer", sec(func(a crm.Actor) (crm.Section[crm.Contact], error) { return traced.ContactsOfCustomer(ctx, a, big) })},
		{"FollowUpsOf customer", sec(func(a crm.Actor) (crm.Section[crm.FollowUp], error) { return traced.FollowUpsOf(ctx, a, 0, big) })},
		{"FollowUpsOf lead", sec(func(a crm.Actor) (crm.Section[crm.FollowUp], error) { return traced.FollowUpsOf(ctx, a, lead, 0) })},
		{"OpportunityFollowUps", sec(func(a crm.Actor) (crm.Section[crm.FollowUp], error) {
			return traced.OpportunityFollowUps(ctx, a, filled.Opportunity)
		})},
		{"OpportunitiesOf", sec(func(a crm.Actor) (crm.Section[crm.Opportunity], error) { return traced.OpportunitiesOf(ctx, a, big) })},
		{"QuotesOf", sec(func(a crm.Actor) (crm.Section[crm.Quote], error) { return traced.QuotesOf(ctx, a, big) })},
		{"QuotesOfOpportunity", sec(func(a crm.Actor) (crm.Section[crm.Quote], error) {
			return traced.QuotesOfOpportunity(ctx, a, filled.Opportunity)
		})},
		{"OrdersOf", sec(func(a crm.Actor) (crm.Section[crm.Order], error) { return traced.OrdersOf(ctx, a, big) })},
		{"OrdersOfOpportunity", sec(func(a crm.Actor) (crm.Section[crm.Order], error) {
			return traced.OrdersOfOpportunity(ctx, a, filled.Opportunity)
		})},
		{"PaymentsOf", sec(func(a crm.Actor) (crm.Section[crm.Payment], error) { return traced.PaymentsOf(ctx, a, big) })},
		{"PaymentsOfOrder", sec(func(a crm.Actor) (crm.Section[crm.Payment], error) {
			return traced.PaymentsOfOrder(ctx, a, filled.Order)
		})},
		{"InvoicesOf", sec(func(a crm.Actor) (crm.Section[crm.Invoice], error) { return traced.InvoicesOf(ctx, a, big) })},
		{"InvoicesOfOrder", sec(func(a crm.Actor) (crm.Section[crm.Invoice], error) {
			return traced.InvoicesOfOrder(ctx, a, filled.Order)
		})},
	}
	explained := 0
	for _, a := range []crm.Actor{owner, mgr, boss} {
		for _, s := range sections {
			rec.reset()
			total, shown, err := s.read(a)
			if err != nil {
				t.Fatalf("%s %s: %v", a.Username, s.name, err)
			}
			if !total.Capped || total.N != crm.SectionCap || shown != crm.SectionRows {
				t.Errorf("%s %s: %d shown, count %+v; want %d, %d capped", a.Username, s.name, shown, total, crm.SectionRows, crm.SectionCap)
			}
			for _, q := range rec.take() {
				if !strings.Contains(q.sql, "/* postgres.") || strings.Contains(q.sql, "postgres.collaboratorsByCustomer") {
					continue // the rows' collaborators: by customer id, not a section
				}
				explained++
				for _, p := range sectionProblems(t, db, q) {
					t.Errorf("%s %s: %s\n%s", a.Username, s.name, p, q.sql)
				}
			}
		}
	}
	if explained < 2*len(sections)*3 {
		t.Errorf("explained %d statements: the sections' page and count were not all seen", explained)
	}
}

// sec adapts a section read to TestSectionsIndexed's table.
func sec[T any](read func(crm.Actor) (crm.Section[T], error)) func(crm.Actor) (crm.Total, int, error) {
	return func(a crm.Actor) (crm.Total, int, error) {
		s, err := read(a)
		return s.Total, len(s.Rows), err
	}
}

// sectionProblems explains (ANALYZE) q and says what is wrong with its
// plan: a sequential scan of a section's table, a sort of more than a
// section's rows, or a scan reading more rows of a section's table than
// the count's cap.
func sectionProblems(t *testing.T, db *postgres.DB, q statement) []string {
	t.Helper()
	var out []byte
	if err := db.Pool.QueryRow(context.Background(), "EXPLAIN (ANALYZE, FORMAT JSON) "+q.sql, q.args...).Scan(&out); err != nil {
		t.Fatalf("explain %s: %v", q.sql, err)
	}
	var plans []struct{ Plan analyzedNode }
	if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("EXPLAIN output %s: %v", out, err)
	}
	var problems []string
	var walk func(n analyzedNode)
	walk = func(n analyzedNode) {
		section := false
		for _, tb := range sectionTables {
			section = section || n.RelationName == tb
		}
		read := (n.ActualRows + n.RemovedFilter + n.RemovedCheck) * max(n.ActualLoops, 1)
		switch {
		case section && n.NodeType == "Seq Scan":
			problems = append(problems, "sequential scan of "+n.RelationName)
		case section && read > crm.SectionCap+1:
			problems = append(problems, fmt.Sprintf("%s of %s (%s) reads %.0f rows", n.NodeType, n.RelationName, n.IndexName, read))
		case strings.HasSuffix(n.NodeType, "Sort") && len(n.Plans) == 1 && n.Plans[0].ActualRows > crm.SectionRows:
			problems = append(problems, fmt.Sprintf("%s of %.0f rows", n.NodeType, n.Plans[0].ActualRows))
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	return problems
}
