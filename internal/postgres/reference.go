package postgres

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// The reference lists — departments, active employees and the value lists
// (options) — appear on nearly every page (filters, pickers, names) and
// change a few times a day. Reading them on every page cost more than a list
// page's own query at a million customers, so each process keeps the last
// lists it read together with reference_version.n, the number every change
// to those tables moves in its own transaction (migration 0010). A request
// learns the current number with its session (LoadSessionUser) and passes it
// in its context (WithReferenceVersion); Departments, ActiveEmployees and
// AllOptions answer from the kept lists only when they were read at that
// very number, and otherwise read them again. So a list is never older than
// the request's own view of the database, on any instance, and nothing here
// depends on who is asking: the permission rules still run in SQL and
// crm.Can* on every request.
type referenceCache struct {
	mu        sync.Mutex
	version   int64
	loaded    bool
	depts     []crm.Department
	employees []crm.EmployeeOption
	options   map[crm.OptionKind][]crm.Option
}

// caches maps a pool to its reference lists (DB is a plain struct some
// callers build themselves, so the cache hangs off the pool).
var caches sync.Map // *pgxpool.Pool → *referenceCache

func (db *DB) refCache() *referenceCache {
	if c, ok := caches.Load(db.Pool); ok {
		return c.(*referenceCache)
	}
	c, _ := caches.LoadOrStore(db.Pool, &referenceCache{})
	return c.(*referenceCache)
}

type referenceKey struct{}

// WithReferenceVersion returns ctx carrying the reference number read with
// the request's session.
func WithReferenceVersion(ctx context.Context, n int64) context.Context {
	return context.WithValue(ctx, referenceKey{}, n)
}

func referenceVersion(ctx context.Context) (int64, bool) {
	n, ok := ctx.Value(referenceKey{}).(int64)
	return n, ok
}

// referenceLists are the three lists read in one snapshot with the number
// they belong to.
type referenceLists struct {
	version   int64
	depts     []crm.Department
	employees []crm.EmployeeOption
	options   map[crm.OptionKind][]crm.Option
}

// reference returns the lists as of ctx's reference number: the kept ones
// when they were read at that number, else freshly read (and kept when they
// are at least as new as the ones kept). Without a number in ctx (commands,
// tests, background work) it reads them.
func (db *DB) reference(ctx context.Context) (referenceLists, error) {
	want, ok := referenceVersion(ctx)
	c := db.refCache()
	if ok {
		c.mu.Lock()
		if c.loaded && c.version == want {
			l := referenceLists{version: c.version, depts: c.depts, employees: c.employees, options: c.options}
			c.mu.Unlock()
			return l, nil
		}
		c.mu.Unlock()
	}
	l, err := db.readReference(ctx)
	if err != nil {
		return l, err
	}
	c.mu.Lock()
	if !c.loaded || l.version >= c.version {
		c.loaded, c.version, c.depts, c.employees, c.options = true, l.version, l.depts, l.employees, l.options
	}
	c.mu.Unlock()
	return l, nil
}

// readReference reads the number and the three lists in one snapshot.
func (db *DB) readReference(ctx context.Context) (referenceLists, error) {
	var l referenceLists
	err := pgx.BeginTxFunc(ctx, db.anchored(), pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `/* postgres.reference version */ SELECT n FROM reference_version`).Scan(&l.version); err != nil {
			return err
		}
		var err error
		if l.depts, err = departments(ctx, tx); err != nil {
			return err
		}
		if l.employees, err = activeEmployees(ctx, tx); err != nil {
			return err
		}
		l.options, err = allOptions(ctx, tx)
		return err
	})
	return l, err
}

// Departments returns every department ordered by name, with its head and
// active headcount.
func (db *DB) Departments(ctx context.Context) ([]crm.Department, error) {
	l, err := db.reference(ctx)
	return slices.Clone(l.depts), err
}

// ActiveEmployees returns every active employee (for owner pickers and
// filters), by name.
func (db *DB) ActiveEmployees(ctx context.Context) ([]crm.EmployeeOption, error) {
	l, err := db.reference(ctx)
	return slices.Clone(l.employees), err
}

// AllOptions returns every value list, by kind, in display order.
func (db *DB) AllOptions(ctx context.Context) (map[crm.OptionKind][]crm.Option, error) {
	l, err := db.reference(ctx)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(l.options)
	for k, v := range out {
		out[k] = slices.Clone(v)
	}
	return out, nil
}
