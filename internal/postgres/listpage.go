package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// listPage describes one list's page query besides its conditions: the
// table and its alias, the columns and FROM clause (lookups joined), the
// sort whitelist and default order, and how a row is scanned.
type listPage[T any] struct {
	name    string // the storage function, for the query's leading comment
	table   string
	alias   string
	columns string
	from    string
	sorts   map[string]string
	order   string // the default ORDER BY
	scan    func(pgx.CollectableRow) (T, error)
	// joined selects the page over the whole FROM clause (LIMIT/OFFSET
	// after the joins) instead of the page's ids first (pageSQL).
	joined bool
}

// find returns the page of l (sort, direction, page) of the rows matching
// q's conditions, and their capped total (query.count).
func (s listPage[T]) find(ctx context.Context, db *DB, q *query, l crm.ListQuery) ([]T, crm.Total, error) {
	total, err := q.count(ctx, db, s.name, s.table+" "+s.alias)
	if err != nil {
		return nil, total, err
	}
	p := l.Page.Norm()
	order := s.orderOf(l)
	sql := q.pageSQL(s.name, s.table, s.alias, s.columns, s.from, order, p)
	if s.joined {
		sql = `/* postgres.` + s.name + ` */ SELECT ` + s.columns + ` FROM ` + s.from + q.whereSQL() +
			` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(p.PerPage) + ` OFFSET ` + strconv.Itoa((p.Page-1)*p.PerPage)
	}
	rows, err := db.Pool.Query(ctx, sql, q.args.List...)
	if err != nil {
		return nil, total, err
	}
	out, err := pgx.CollectRows(rows, s.scan)
	return out, total, err
}

// orderOf is the ORDER BY of l's sort (the list's and its export's).
func (s listPage[T]) orderOf(l crm.ListQuery) string {
	return orderBy(s.sorts, l.Sort, l.Desc, s.order)
}
