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
		c = strings.TrimSpace(c)
		_, name, _ := strings.Cut(c, ".")
		if desc && notNullSorts[name] {
			parts = append(parts, c+" DESC")
			continue
		}
		parts = append(parts, c+dir)
	}
	return strings.Join(parts, ", ")
}

// notNullSorts are the sort columns that are NOT NULL in every table that
// has them (TestSortColumnsNotNull checks the schema). Descending, they
// sort without NULLS LAST, which changes nothing for them but lets the
// ORDER BY match their indexes ((deal_amount DESC, id DESC) is DESC NULLS
// FIRST): with it the planner would sort every visible row — all five
// million follow-ups for management — instead of walking the index and
// stopping after a page. Ascending needs nothing: ASC NULLS LAST is ASC.
var notNullSorts = map[string]bool{
	"id": true, "created_at": true, "name": true, "deal_amount": true, "followed_at": true, "total": true,
	"number": true, "status": true, "amount": true, "paid_on": true, "issued_on": true, "quote_date": true,
	"company": true, "expected_amount": true, "sku": true, "category": true, "list_price": true,
	"budget": true, "actual_cost": true, "lead_count": true, "customer_count": true,
}
