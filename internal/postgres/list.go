package postgres

import (
	"context"
	"fmt"
	"strings"

	"crm/internal/crm"
)

// CountCap is where list totals stop counting: above it a list says
// "10 000+" instead of counting millions of rows on every page view.
const CountCap = 10000

// Page is a request for one page of a list.
type Page struct {
	Page    int // 1-based
	PerPage int
}

// Norm fills defaults and bounds: 20 a page by default, 100 at most, and
// no deeper than the counted rows (offset pages stay cheap).
func (p Page) Norm() Page {
	if p.PerPage <= 0 {
		p.PerPage = 20
	}
	if p.PerPage > 100 {
		p.PerPage = 100
	}
	if p.Page < 1 {
		p.Page = 1
	}
	if max := CountCap/p.PerPage + 1; p.Page > max {
		p.Page = max
	}
	return p
}

// Total is a list's count, capped.
type Total struct {
	N      int
	Capped bool // more than CountCap
}

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
func (q *query) scope(a crm.Actor, res crm.Resource, alias string, tab crm.ListTab) {
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
func (q *query) search(expr, text string) {
	text = crm.CleanText(text)
	if text == "" {
		return
	}
	q.and(expr + " ILIKE " + q.arg("%"+escapeLike(text)+"%"))
}

// count returns the capped number of rows of from (a FROM clause with joins
// that the conditions need) matching the conditions.
func (q *query) count(ctx context.Context, db *DB, name, from string) (Total, error) {
	var n int
	err := db.Pool.QueryRow(ctx, fmt.Sprintf(`/* postgres.%s count */ SELECT count(*) FROM (SELECT 1 FROM %s%s LIMIT %d) x`,
		name, from, q.whereSQL(), CountCap+1), q.args.List...).Scan(&n)
	if n > CountCap {
		return Total{N: CountCap, Capped: true}, err
	}
	return Total{N: n}, err
}

// orderBy picks an ORDER BY from a whitelist, falling back to def.
func orderBy(sorts map[string]string, key string, desc bool, def string) string {
	col, ok := sorts[key]
	if !ok {
		return def
	}
	dir := " ASC NULLS LAST"
	if desc {
		dir = " DESC NULLS LAST"
	}
	// Every sort ends on the id so that pages never overlap.
	var parts []string
	for _, c := range strings.Split(col, ",") {
		parts = append(parts, strings.TrimSpace(c)+dir)
	}
	return strings.Join(parts, ", ")
}
