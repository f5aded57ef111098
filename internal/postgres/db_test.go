package postgres_test

import (
	"context"
	"testing"

	"crm/internal/testdb"
)

func TestMigrateAndPing(t *testing.T) {
	db := testdb.New(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM employees`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("fresh database has %d employees", n)
	}
}
