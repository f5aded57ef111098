package postgres

// DemoRefKeys lists demoRefs and demoCleared as table.column→referred table, for
// TestDemoRefsCoverForeignKeys.
func DemoRefKeys() map[string]bool {
	out := map[string]bool{}
	for _, r := range demoRefs {
		out[r.table+"."+r.column+"→"+r.to] = true
	}
	for _, c := range demoCleared {
		out[c.key] = true
	}
	return out
}

// DemoTables lists the tables holding demo rows.
func DemoTables() []string {
	out := make([]string, len(demoTables))
	for i, t := range demoTables {
		out[i] = t.Table
	}
	return out
}

// DemoLabels lists the kinds and columns a refused purge names (catalog
// keys demo.kind.* and demo.ref.*).
func DemoLabels() (kinds, columns []string) {
	for k := range demoKinds {
		kinds = append(kinds, k)
	}
	for _, r := range demoRefs {
		columns = append(columns, r.column)
	}
	return kinds, columns
}
