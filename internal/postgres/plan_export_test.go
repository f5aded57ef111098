package postgres

// NotNullSorts exposes notNullSorts to TestSortColumnsNotNull.
var NotNullSorts = notNullSorts
