package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"crm/internal/crm"
)

// query builds a list query: WHERE conditions with numbered arguments.
type query struct {
	args  Args
	where []string
}

func (q *query) arg(v any) string { return q.args.Add(v) }

func (q *query) and(cond string) { q.where = append(q.where, cond) }

func (q *query) whereSQL() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

// scope adds the permission condition of res for a, then the tab's.
//
// On the 我负责的 tab the permission condition is left out when the policy
// lets a view whatever a owns (rule 4: crm.CanView answers yes for a
// record owned by a and nothing else, and it only grows with the record's
// other fields): owner_id = a is then both the tab and the permission, and
// the list one range of the owner index — counted index-only — instead of
// the disjunction of every way a may view a record, which made a rep with
// 20 000 customers count them through the heap.
func (q *query) scope(a crm.Actor, res crm.Resource, alias string, tab crm.ListTab) {
	if tab == crm.TabMine && !a.IsZero() && crm.CanView(a, crm.Record{Resource: res, OwnerID: a.ID}) {
		q.and(alias + ".owner_id = " + q.arg(a.ID))
		return
	}
	q.and(ViewScope(a, res, alias, &q.args))
	switch tab {
	case crm.TabMine:
		q.and(alias + ".owner_id = " + q.arg(a.ID))
	case crm.TabDept:
		depts := a.Departments
		if a.Role != crm.RoleSalesManager {
			depts = []int64{a.DepartmentID}
		}
		q.and(alias + ".department_id = ANY(" + q.arg(depts) + "::bigint[])")
	case crm.TabPool:
		q.and(alias + ".owner_id IS NULL")
	}
}

// search adds a substring search over the trigram-indexed expression expr.
//
// pg_trgm extracts no trigram from a pattern of fewer than three
// characters, so a two-character search — a Chinese given name (李娜), a
// company's 字号 — could only scan. For the expressions in pairIndexed a
// two-character search also asks for the pair with every character doubled
// (李李娜娜) in the doubled expression, which their trigram index of
// migration 0008 finds: every row the ILIKE matches has it, so the rows
// found are the same, but the index finds them.
func (q *query) search(expr, text string) {
	text = crm.CleanText(text)
	if text == "" {
		return
	}
	like := escapeLike(text)
	q.and(expr + " ILIKE " + q.arg("%"+like+"%"))
	if pairIndexed[expr] && utf8.RuneCountInString(text) == 2 && like == text {
		var doubled strings.Builder
		for _, r := range text {
			doubled.WriteRune(r)
			doubled.WriteRune(r)
		}
		q.and("regexp_replace(" + expr + `, '(.)', '\1\1', 'g') ILIKE ` + q.arg("%"+doubled.String()+"%"))
	}
}

// pairIndexed are the search expressions with a trigram index over their
// doubled characters (migration 0008), written exactly as the list queries
// write them.
var pairIndexed = map[string]bool{
	"(c.name || ' ' || c.phone)":                     true, // customers_search_pairs
	"(l.name || ' ' || l.company || ' ' || l.phone)": true, // leads_search_pairs
	"(ct.name || ' ' || ct.phone)":                   true, // contacts_search_pairs
}

// count returns the capped number of rows of from (a FROM clause with joins
// that the conditions need) matching the conditions. Counting stops after
// CountCap+1 rows; and when the planner expects more than estimateAbove
// rows it does not run at all: the list then says "10 000+" without
// reading ten thousand rows first (management's lists, a big
// department's, a big book's). Below that the count is exact up to the
// cap: a list the planner expects to be short or near the cap is counted,
// by the index paths its plan picks (a LIMIT the planner expects to reach
// early would make a sequential scan cheapest). Only a list the planner
// overestimates more than twofold can say "10 000+" with fewer rows.
func (q *query) count(ctx context.Context, db *DB, name, from string) (crm.Total, error) {
	rows := fmt.Sprintf("SELECT 1 FROM %s%s", from, q.whereSQL())
	var plan []byte
	if err := db.Pool.QueryRow(ctx, `/* postgres.`+name+` estimate */ EXPLAIN (FORMAT JSON) `+rows, q.args.List...).Scan(&plan); err != nil {
		return crm.Total{}, err
	}
	var est []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal(plan, &est); err == nil && len(est) == 1 && est[0].Plan.Rows > estimateAbove {
		return crm.Total{N: crm.CountCap, Capped: true}, nil
	}
	var n int
	err := db.Pool.QueryRow(ctx, fmt.Sprintf(`/* postgres.%s count */ SELECT count(*) FROM (%s LIMIT %d) x`,
		name, rows, crm.CountCap+1), q.args.List...).Scan(&n)
	if n > crm.CountCap {
		return crm.Total{N: crm.CountCap, Capped: true}, err
	}
	return crm.Total{N: n}, err
}

// estimateAbove is the planner's estimate of a list's rows above which
// count does not count.
const estimateAbove = 2 * crm.CountCap

// pageSQL is the query of one page of a list: columns of from (whose first
// table is table aliased alias, its lookups following) for the rows of one
// page in order. The page's ids are found first over the table alone — the
// conditions (which must name only the table), the order, LIMIT and OFFSET
// — and only those rows are joined to their lookups: a deep page (OFFSET
// 9 980) skips rows in an index, index-only where the order allows,
// instead of joining each skipped row to its owner, department and
// options first.
func (q *query) pageSQL(name, table, alias, columns, from, order string, p crm.Page) string {
	head := table + " " + alias
	if !strings.HasPrefix(from, head) {
		panic("postgres: " + name + ": the FROM clause does not begin with " + head)
	}
	return `/* postgres.` + name + ` */ SELECT ` + columns + ` FROM (SELECT ` + alias + `.id FROM ` + head + q.whereSQL() +
		` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(p.PerPage) + ` OFFSET ` + strconv.Itoa((p.Page-1)*p.PerPage) +
		`) page JOIN ` + head + ` ON ` + alias + `.id = page.id` + from[len(head):] + ` ORDER BY ` + order
}
