package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// SQL helpers shared by the storage files: placeholders, nullable ids,
// LIKE escaping and ORDER BY from a whitelist. The list query builder
// (query) is in list.go, the policy's conditions in scope.go.

// Args collects the positional arguments of a query being built, so that
// conditions from several places number their placeholders consistently.
type Args struct {
	List []any
}

// Add appends v and returns its placeholder ($n).
func (a *Args) Add(v any) string {
	a.List = append(a.List, v)
	return fmt.Sprintf("$%d", len(a.List))
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// nullID is id as a nullable column value (0: NULL).
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// escapeLike escapes the LIKE wildcards in s.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// orderBy picks an ORDER BY from a whitelist, falling back to def.
//
// A sort is its columns ascending, the id last so that pages never
// overlap; descending is exactly the reverse, NULLs included, so that one
// btree index over the columns serves both directions (a backward scan).
// A nullable column sorts its NULLs last ascending (the btree default) and
// so first descending — unless the sort writes "NULLS FIRST" after it: the
// columns whose natural order is newest first (the last follow-up, the
// decision, the confirmation) put their NULLs first ascending and last
// descending, and their index is built NULLS FIRST. TestSortsIndexed checks
// that every sort of every list has such an index.
func orderBy(sorts map[string]string, key string, desc bool, def string) string {
	col, ok := sorts[key]
	if !ok {
		return def
	}
	var parts []string
	for _, c := range sortColumns(col) {
		switch {
		case c.nullsFirst && desc:
			parts = append(parts, c.expr+" DESC NULLS LAST")
		case c.nullsFirst:
			parts = append(parts, c.expr+" ASC NULLS FIRST")
		case desc:
			parts = append(parts, c.expr+" DESC")
		default:
			parts = append(parts, c.expr+" ASC")
		}
	}
	return strings.Join(parts, ", ")
}

// sortColumn is one column of a sort, ascending.
type sortColumn struct {
	expr       string // alias.column
	nullsFirst bool
}

// sortColumns splits a sort ("c.last_follow_up_at NULLS FIRST, c.id").
func sortColumns(sort string) []sortColumn {
	var out []sortColumn
	for _, c := range strings.Split(sort, ",") {
		c = strings.TrimSpace(c)
		expr, nf := strings.CutSuffix(c, " NULLS FIRST")
		out = append(out, sortColumn{expr: expr, nullsFirst: nf})
	}
	return out
}

// listSorts are the sorts of every list by its table (TestSortsIndexed).
var listSorts = map[string]map[string]string{
	"campaigns": campaignSorts, "contacts": contactSorts, "customers": customerSorts, "follow_ups": followUpSorts,
	"leads": leadSorts, "opportunities": opportunitySorts, "orders": orderSorts, "quotes": quoteSorts,
	"products": productSorts, "payments": paymentSorts, "invoices": invoiceSorts,
}
