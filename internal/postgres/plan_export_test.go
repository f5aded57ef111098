package postgres

// ListSorts and SortColumns expose the lists' sorts to TestSortsIndexed.
var ListSorts = listSorts

// SortColumns splits a sort into its columns: the expression and whether
// NULLs come first ascending.
func SortColumns(sort string) (exprs []string, nullsFirst []bool) {
	for _, c := range sortColumns(sort) {
		exprs = append(exprs, c.expr)
		nullsFirst = append(nullsFirst, c.nullsFirst)
	}
	return exprs, nullsFirst
}
