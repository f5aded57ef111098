// Package postgres is the storage layer: a pgx pool, transactions, one file
// per aggregate, the permission policy turned into SQL (scope.go) and the
// transactional workflows. It translates database errors into crm errors
// once, at its boundary, and never imports the server or the views.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"crm/internal/crm"
)

// DB is the CRM's database.
type DB struct {
	Pool *pgxpool.Pool
	// Anchored serves the queries anchored on one record — a record by
	// its id, the contacts, deals and history under one customer, the
	// session and its employee — and those over small tables (pickers,
	// value lists), whose best plan is the same for every actor and every
	// parameter (the anchor's index, then the permission test on a few
	// rows). Lists over the big tables stay on Pool, planned per actor.
	// Its connections let Postgres keep a generic plan of such a
	// statement (plan_cache_mode = auto) instead of planning it on every
	// execution: on a record's page planning cost ten times the
	// execution (docs/performance.md). Nil: Pool serves them.
	Anchored *pgxpool.Pool
}

// anchored is the pool for queries anchored on one record (see DB).
func (db *DB) anchored() *pgxpool.Pool {
	if db.Anchored != nil {
		return db.Anchored
	}
	return db.Pool
}

// Open connects to the database at url and checks the connection. Custom
// plans are forced so that the planner sees each actor's real permission
// parameters (a rep's few rows and a manager's third of the table want
// different plans; a cached generic plan would serve one of them badly).
//
// Every query is therefore planned on every execution, and planning must be
// cheap: join_collapse_limit = 1 keeps explicit JOINs in the order they are
// written. The queries are written driving table first, then its lookups by
// primary key (owner, department, options, campaign…), which is the plan
// wanted; searching the orders of nine to eleven joined relations cost 5–50
// ms of planning per query, ten to a hundred times the execution of a list
// page at a million customers (docs/performance.md). How each table is read
// (which index, bitmap or walk) is still planned per actor. JIT is off:
// compiling a query costs tens of milliseconds, more than the index-driven
// queries of a page take to run, and the planner's cost estimates of
// large reports (the dashboard's) would otherwise turn it on.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DATABASE_URL: %w", err)
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	cfg.ConnConfig.RuntimeParams["join_collapse_limit"] = "1"
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	cfg.ConnConfig.RuntimeParams["timezone"] = "Asia/Shanghai"
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "crm"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	acfg := cfg.Copy()
	acfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "auto"
	anchored, err := pgxpool.NewWithConfig(ctx, acfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return &DB{Pool: pool, Anchored: anchored}, nil
}

// Close closes the pools.
func (db *DB) Close() {
	db.Pool.Close()
	if db.Anchored != nil {
		db.Anchored.Close()
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.Pool.QueryRow(ctx, `/* postgres.Ping */ SELECT 1`).Scan(&one)
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise (also on panic).
func (db *DB) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.Pool, fn)
}

// translate maps database errors onto crm errors: no rows → ENOTFOUND, a
// unique violation → ECONFLICT naming the field, a foreign-key violation on
// delete → ECONFLICT "in use".
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return crm.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			if f, ok := uniqueFields[pe.ConstraintName]; ok {
				return &crm.Error{Code: crm.ECONFLICT, Message: "error.invalid", Fields: map[string]string{f: "error.taken"}}
			}
			return crm.Errorf(crm.ECONFLICT, "error.conflict")
		case "23503": // foreign_key_violation
			return crm.Errorf(crm.ECONFLICT, "error.in_use")
		}
	}
	return err
}

// uniqueFields names the form field behind each unique constraint.
var uniqueFields = map[string]string{
	"departments_name_key":   "name",
	"employees_username_key": "username",
	"options_kind_name_key":  "name",
}
