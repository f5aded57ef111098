// Command crm is the CRM in one binary: the web server, migrations, user
// administration and demo data. It is the only place that knows every
// package and wires them together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/server"
)

const usage = `crm — a CRM for sales teams (server-rendered, PostgreSQL)

Usage:
  crm serve [--addr :8080] [--no-migrate]   serve the web application (applies pending migrations first)
  crm migrate                              apply pending database migrations
  crm user add --username U --password P --name N --role ROLE [--department NAME]
                                           add an employee (roles: admin, management, sales_manager,
                                           sales_rep, marketing, finance)
  crm seed-demo                            add demo data (every row flagged as demo)
  crm demo purge                           remove exactly the demo rows
  crm --help                               this text

Environment:
  DATABASE_URL       PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/crm?sslmode=disable (required)
  CRM_ADDR           listen address of serve (default :8080; --addr overrides)
  CRM_COOKIE_SECURE  "true" when served over HTTPS: Secure cookies with the __Host- prefix, HSTS
`

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(context.Background(), os.Args[1:], os.Stdout, log); err != nil {
		fmt.Fprintln(os.Stderr, "crm:", describe(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(out, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, log)
	case "migrate":
		return withDB(ctx, func(db *postgres.DB) error { return db.Migrate(ctx, log) })
	case "user":
		if len(rest) == 0 || rest[0] != "add" {
			return errors.New("usage: crm user add --username U --password P --name N --role ROLE [--department NAME]")
		}
		return userAdd(ctx, rest[1:], out)
	case "seed-demo":
		return withDB(ctx, func(db *postgres.DB) error { return seedDemo(ctx, db, out, log) })
	case "demo":
		if len(rest) == 0 || rest[0] != "purge" {
			return errors.New("usage: crm demo purge")
		}
		return withDB(ctx, func(db *postgres.DB) error {
			n, err := db.PurgeDemo(ctx, 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "removed %d demo rows\n", n)
			return nil
		})
	}
	return fmt.Errorf("unknown command %q; see crm --help", cmd)
}

func withDB(ctx context.Context, fn func(*postgres.DB) error) error {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return errors.New("DATABASE_URL is not set (see crm --help; make run sets it for you)")
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

func serve(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("CRM_ADDR", ":8080"), "listen address")
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secure, _ := strconv.ParseBool(os.Getenv("CRM_COOKIE_SECURE"))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return withDB(ctx, func(db *postgres.DB) error {
		if !*noMigrate {
			if err := db.Migrate(ctx, log); err != nil {
				return err
			}
		}
		go sweepSessions(ctx, db, log)
		srv := &http.Server{
			Addr:              *addr,
			Handler:           server.New(server.Config{DB: db, Log: log, CookieSecure: secure}),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       5 * time.Minute, // Excel uploads
			WriteTimeout:      5 * time.Minute, // Excel exports
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
		}
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		log.Info("serving", "addr", *addr, "secure_cookies", secure)
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		log.Info("shutting down: finishing requests in flight")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
}

// sweepSessions deletes expired sessions and tombstones once an hour.
func sweepSessions(ctx context.Context, db *postgres.DB, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := db.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("session sweep", "err", err)
		} else if n > 0 {
			log.Info("session sweep", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func userAdd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	username := fs.String("username", "", "login name")
	pw := fs.String("password", "", "password (8 characters or more)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "role")
	dept := fs.String("department", "", "department name (optional)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := crm.EmployeeInput{Username: *username, Password: *pw, Name: *name, Role: crm.Role(*role)}
	if err := in.Validate(true); err != nil {
		var problems []string
		for f, k := range crm.FieldErrors(err) {
			problems = append(problems, "--"+f+": "+k)
		}
		return fmt.Errorf("invalid user: %s", strings.Join(problems, ", "))
	}
	return withDB(ctx, func(db *postgres.DB) error {
		if *dept != "" {
			id, err := db.DepartmentIDByName(ctx, *dept)
			if err != nil {
				return fmt.Errorf("department %q: %w", *dept, err)
			}
			in.DepartmentID = id
		}
		hash, err := password.Hash(in.Password)
		if err != nil {
			return err
		}
		id, err := db.CreateEmployee(ctx, in, hash, false, false)
		if err != nil {
			if crm.ErrorCode(err) == crm.ECONFLICT {
				return fmt.Errorf("username %q is taken", in.Username)
			}
			return err
		}
		fmt.Fprintf(out, "added %s (%s, id %d)\n", in.Username, in.Role, id)
		return nil
	})
}

func seedDemo(ctx context.Context, db *postgres.DB, out io.Writer, log *slog.Logger) error {
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	hash, err := password.Hash(postgres.DemoPassword)
	if err != nil {
		return err
	}
	switch err := db.SeedDemo(ctx, hash); {
	case errors.Is(err, postgres.ErrDemoPresent):
		fmt.Fprintln(out, "demo data is present already; nothing added")
	case err != nil:
		return err
	default:
		fmt.Fprintln(out, "demo data added")
	}
	fmt.Fprintf(out, "demo logins (password %s):\n", postgres.DemoPassword)
	for _, l := range postgres.DemoLogins {
		fmt.Fprintf(out, "  %-10s %-14s %s\n", l.Username, l.Role, l.Name)
	}
	return nil
}

// describe turns a coded error into its message (English, for the shell).
func describe(err error) string {
	var e *crm.Error
	if errors.As(err, &e) && e.Code != crm.EINTERNAL {
		msg := i18n.T(i18n.EN, e.Message, e.Args...)
		for f, k := range e.Fields {
			msg += " " + f + ": " + i18n.T(i18n.EN, k)
		}
		return msg
	}
	return err.Error()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
