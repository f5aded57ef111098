// Package testdb gives each test a fresh database cloned from a template
// that holds every migration, so that tests never see each other's rows.
// The server comes from TEST_DATABASE_URL (make test sets it); without it,
// the local server on 127.0.0.1:5432 is tried. Tests that need Postgres are
// skipped under -short.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/user"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/postgres"
	"crm/migrations"
)

// AdminURL returns the URL of the server's maintenance database.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	name := "postgres"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return "postgres://" + name + "@127.0.0.1:5432/postgres?sslmode=disable"
}

// New returns a migrated, empty database of its own for t, dropped when t ends.
func New(t testing.TB) *postgres.DB {
	t.Helper()
	db, _ := NewWithURL(t)
	return db
}

// NewWithURL is New that also returns the database's URL (for a second
// process or pool on the same database).
func NewWithURL(t testing.TB) (*postgres.DB, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL (skipped with -short)")
	}
	ctx := context.Background()
	admin := AdminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testdb: cannot reach PostgreSQL at %s (set TEST_DATABASE_URL, or run make test): %v", redact(admin), err)
	}
	defer conn.Close(ctx)
	tmpl, err := ensureTemplate(ctx, conn, admin)
	if err != nil {
		t.Fatalf("testdb: template: %v", err)
	}
	name := "crm_t_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		t.Fatalf("testdb: clone: %v", err)
	}
	dbURL := withDatabase(admin, name)
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return db, dbURL
}

// ensureTemplate builds, once per set of migrations, a database holding all
// of them. An advisory lock keeps parallel test packages from building it twice.
func ensureTemplate(ctx context.Context, conn *pgx.Conn, admin string) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	tmpl := "crm_tmpl_" + sum
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7321002)"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(7321002)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return tmpl, nil
	}
	// Templates of other migration sets are left alone: another checkout
	// (another branch, CI beside a developer) may be cloning them right now.
	// A half-built template of this set, from a run that died, goes.
	build := "crm_build_" + sum
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+build+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+build); err != nil {
		return "", err
	}
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	db, err := postgres.Open(mctx, withDatabase(admin, build))
	if err != nil {
		return "", err
	}
	err = db.Migrate(mctx, nil)
	db.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+build+" RENAME TO "+tmpl); err != nil {
		return "", err
	}
	return tmpl, nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	var names []string
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%s\x00", n, b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
