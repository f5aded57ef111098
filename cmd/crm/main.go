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
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"crm/internal/crm"
	"crm/internal/gen"
	"crm/internal/i18n"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/server"
	"crm/internal/xlsx"
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
  crm gen --customers N [--seed S] [--password P] [--if-empty]
                                           generate a realistic data set of N customers (leads, contacts,
                                           follow-ups, deals… in proportion; 1000000 for the scale benchmark,
                                           10000 for a quick set) into a migrated database without business data
  crm import --table T --file F.xlsx --as USERNAME [--dry-run] [--on-error block|skip] [--existing skip|update] [--lang zh-CN|en]
                                           import an Excel file as that user (the checks, writes and report
                                           of the import page; tables: departments, employees, products,
                                           campaigns, leads, customers, contacts, follow-ups, opportunities,
                                           orders, payments)
  crm import --revert JOB --as USERNAME    undo a committed import (its importer or an admin)
  crm COMMAND --help, crm help COMMAND     a command's flags
  crm --help                               this text

Exit status: 0 done (or help shown), 1 the command failed, 2 the command line is wrong.

Environment:
  DATABASE_URL       PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/crm?sslmode=disable (required)
  CRM_ADDR           listen address of serve (default :8080; --addr overrides)
  CRM_COOKIE_SECURE  "true" when served over HTTPS: Secure cookies with the __Host- prefix, HSTS
  CRM_PPROF_ADDR     when set (e.g. 127.0.0.1:6060), serve also runtime profiles (net/http/pprof) there; keep it on loopback
  CRM_IMPORT_MAX_MB  largest Excel upload in MiB (default 20); CRM_IMPORT_MAX_ROWS rows per file (default 200000)
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command and returns its exit status: 0 when it did
// its work or showed the help asked for (on stdout), 1 when the work
// failed, 2 when the command line is wrong (the message and the usage go
// to stderr).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	err := dispatch(ctx, args, stdout, log)
	var help *helpShown
	var bad *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		fmt.Fprint(stdout, help.text)
		return 0
	case errors.As(err, &bad):
		fmt.Fprintf(stderr, "crm: %s\n\n%s", bad.msg, bad.usage)
		return 2
	default:
		fmt.Fprintln(stderr, "crm:", describe(err))
		return 1
	}
}

func dispatch(ctx context.Context, args []string, out io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return &usageError{msg: "missing command", usage: usage}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "--help", "-help", "-h", "help":
		if cmd == "help" && len(rest) > 0 { // crm help COMMAND
			return dispatch(ctx, append(rest, "--help"), out, log)
		}
		return &helpShown{usage}
	case "serve":
		return serve(ctx, rest, log)
	case "migrate":
		cl := newCmdLine("crm migrate", "apply pending database migrations (serve applies them too, unless --no-migrate)")
		if err := cl.parse(rest); err != nil {
			return err
		}
		return withDB(ctx, func(db *postgres.DB) error { return db.Migrate(ctx, log) })
	case "user":
		sub, err := subcommand(rest, "add", "crm user add")
		if err != nil {
			return err
		}
		return userAdd(ctx, sub, out)
	case "seed-demo":
		cl := newCmdLine("crm seed-demo", "apply pending migrations, then add the demo data (every row flagged as demo; nothing when it is there already) and list the demo logins")
		if err := cl.parse(rest); err != nil {
			return err
		}
		return withDB(ctx, func(db *postgres.DB) error { return seedDemo(ctx, db, out, log) })
	case "import":
		return importFile(ctx, rest, out)
	case "gen":
		return generate(ctx, rest, out)
	case "demo":
		sub, err := subcommand(rest, "purge", "crm demo purge")
		if err != nil {
			return err
		}
		cl := newCmdLine("crm demo purge", "remove exactly the demo rows (those seed-demo added)")
		if err := cl.parse(sub); err != nil {
			return err
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
	if strings.HasPrefix(cmd, "-") {
		return &usageError{msg: "flag provided but not defined: " + cmd, usage: usage}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", cmd), usage: usage}
}

// subcommand reads the word after a command that has only one (user add,
// demo purge) and returns the arguments for that one; a help flag in its
// place is passed on, so that crm user --help is crm user add --help.
func subcommand(args []string, want, synopsis string) ([]string, error) {
	bad := func(msg string) error {
		return &usageError{msg: msg, usage: fmt.Sprintf("Usage: %s ...   (crm %s --help lists its flags)\n", synopsis, strings.TrimPrefix(synopsis, "crm "))}
	}
	switch {
	case len(args) == 0:
		return nil, bad("missing subcommand: " + synopsis)
	case args[0] == want:
		return args[1:], nil
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		return args, nil
	}
	return nil, bad(fmt.Sprintf("unknown subcommand %q", args[0]))
}

// helpShown is the help a command line asked for: run prints it on stdout
// and exits 0.
type helpShown struct{ text string }

func (h *helpShown) Error() string { return "help requested" }

// usageError is a wrong command line: run prints the message and the
// usage on stderr and exits 2.
type usageError struct{ msg, usage string }

func (e *usageError) Error() string { return e.msg }

// cmdLine is one subcommand's flags and its help text. Its FlagSet prints
// nothing itself: parse returns the help or the mistake for run to print.
type cmdLine struct {
	*flag.FlagSet
	synopsis, about string
}

func newCmdLine(synopsis, about string) *cmdLine {
	fs := flag.NewFlagSet(synopsis, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdLine{FlagSet: fs, synopsis: synopsis, about: about}
}

// parse parses the flags; the command takes no other arguments.
func (c *cmdLine) parse(args []string) error {
	err := c.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return &helpShown{c.help()}
	case err != nil:
		return c.usageErr(strings.NewReplacer(": -", ": --", "flag -", "flag --").Replace(err.Error()))
	case c.NArg() > 0:
		return c.usageErr(fmt.Sprintf("unexpected argument %q", c.Arg(0)))
	}
	return nil
}

func (c *cmdLine) usageErr(msg string) error { return &usageError{msg: msg, usage: c.help()} }

// help is the synopsis, what the command does and its flags.
func (c *cmdLine) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n", c.synopsis, c.about)
	first := true
	c.VisitAll(func(f *flag.Flag) {
		if first {
			b.WriteString("\nFlags:\n")
			first = false
		}
		arg, text := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if arg != "" {
			name += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			text += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(&b, "  %-24s %s\n", name, text)
	})
	return b.String()
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
	fs := newCmdLine("crm serve [--addr :8080] [--no-migrate]", "serve the web application (applies pending database migrations first)")
	addr := fs.String("addr", envOr("CRM_ADDR", ":8080"), "listen `address` (CRM_ADDR sets the default)")
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations")
	if err := fs.parse(args); err != nil {
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
		if a := os.Getenv("CRM_PPROF_ADDR"); a != "" {
			go servePprof(a, log)
		}
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

// servePprof serves Go's runtime profiles on their own listener (never on
// the application's): CPU and heap profiles of a server under load.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiles", "addr", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Warn("profiles", "err", err)
	}
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
	fs := newCmdLine("crm user add --username U --password P --name N --role ROLE [--department NAME]", "add an employee who signs in with that username and password")
	username := fs.String("username", "", "login `name` (lower-case letters, digits, . _ -)")
	pw := fs.String("password", "", "`password` (8 characters or more)")
	name := fs.String("name", "", "full `name`")
	role := fs.String("role", "", "`role`: admin, management, sales_manager, sales_rep, marketing or finance")
	dept := fs.String("department", "", "department `name` (optional)")
	if err := fs.parse(args); err != nil {
		return err
	}
	in := crm.EmployeeInput{Username: *username, Password: *pw, Name: *name, Role: crm.Role(*role)}
	if err := in.Validate(true); err != nil {
		var problems []string
		for f, k := range crm.FieldErrors(err) {
			problems = append(problems, "--"+f+": "+i18n.T(i18n.EN, k))
		}
		slices.Sort(problems)
		return fs.usageErr("invalid user: " + strings.Join(problems, " "))
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

// generate fills the database with a generated data set (internal/gen):
// every generated employee signs in with --password; the personas the
// benchmarks use are listed at the end.
func generate(ctx context.Context, args []string, out io.Writer) error {
	fs := newCmdLine("crm gen --customers N [--seed S] [--password P] [--if-empty]",
		"generate a realistic data set into a migrated database without business data (see docs/performance.md)")
	customers := fs.Int("customers", 10000, "number of customers; the other tables scale with it")
	seed := fs.Uint64("seed", 1, "seed of the generator (the same seed gives the same data)")
	pw := fs.String("password", gen.Password, "password of every generated employee")
	ifEmpty := fs.Bool("if-empty", false, "do nothing (and succeed) when the database holds business data already")
	if err := fs.parse(args); err != nil {
		return err
	}
	hash, err := password.Hash(*pw)
	if err != nil {
		return err
	}
	return withDB(ctx, func(db *postgres.DB) error {
		if err := db.Migrate(ctx, nil); err != nil {
			return err
		}
		res, err := gen.Generate(ctx, db, gen.Config{Customers: *customers, Seed: *seed, PasswordHash: hash, Log: out})
		if errors.Is(err, gen.ErrNotEmpty) && *ifEmpty {
			fmt.Fprintln(out, "the database holds data already; nothing generated")
			return nil
		}
		if err != nil {
			return err
		}
		total := 0
		for _, t := range res.Tables {
			fmt.Fprintf(out, "  %-24s %10d rows\n", t.Table, t.Rows)
			total += t.Rows
		}
		fmt.Fprintf(out, "generated %d rows in %s\nlogins (password %s):\n", total, res.Took.Round(time.Second), *pw)
		for _, p := range gen.Personas {
			fmt.Fprintf(out, "  %-8s %s\n", p.Username, p.Label)
		}
		return nil
	})
}

// importFile runs an Excel import from the command line: the same checks,
// writes and report as the import page, as the employee --as. --dry-run
// checks and reports and writes nothing (not even the import job). The
// exit status is non-zero when rows have errors and nothing was written.
// Initial passwords of imported employees go to a file next to the input
// (readable by its owner only), never to the terminal.
func importFile(ctx context.Context, args []string, out io.Writer) error {
	fs := newCmdLine("crm import --table T --file F.xlsx --as USERNAME [--dry-run] [--on-error block|skip] [--existing skip|update] [--lang zh-CN|en]\n       crm import --revert JOB --as USERNAME",
		"import an Excel file as that employee: the checks, writes and report of the import page (--dry-run writes nothing);\nor undo a committed import (as its importer or an admin)")
	table := fs.String("table", "", "the `table` to import into: "+strings.Join(tableNames(), ", "))
	file := fs.String("file", "", "the .xlsx `file`")
	as := fs.String("as", "", "`username` of the importer (an admin; management for business tables)")
	dry := fs.Bool("dry-run", false, "check and report; write nothing")
	onError := fs.String("on-error", "block", "rows with errors: block (write nothing) or skip (write the rest)")
	existing := fs.String("existing", "skip", "rows whose key exists: skip or update")
	lang := fs.String("lang", "", "language of the report: zh-CN or en (default: from LANG)")
	revert := fs.Int64("revert", 0, "undo the committed import `job` with this id")
	if err := fs.parse(args); err != nil {
		return err
	}
	l := i18n.Parse(*lang)
	if l == "" {
		if l = i18n.Parse(os.Getenv("LANG")); l == "" {
			l = i18n.EN
		}
	}
	if *revert != 0 {
		if *as == "" {
			return fs.usageErr("--revert needs --as USERNAME")
		}
		return revertImport(ctx, *revert, *as, l, out)
	}
	t := xlsx.TableByName(*table)
	switch {
	case t == nil:
		return fs.usageErr("--table: one of " + strings.Join(tableNames(), ", "))
	case *file == "" || *as == "":
		return fs.usageErr("--file and --as are required")
	case *onError != "block" && *onError != "skip":
		return fs.usageErr("--on-error: block or skip")
	case *existing != "skip" && *existing != "update":
		return fs.usageErr("--existing: skip or update")
	}
	limits := xlsx.LimitsFromEnv()
	if st, err := os.Stat(*file); err != nil {
		return err
	} else if st.Size() > limits.MaxFileBytes {
		return errors.New(i18n.T(l, "import.file.too_large", limits.MaxFileBytes>>20))
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	opts := xlsx.Options{OnError: *onError, Existing: *existing}
	return withDB(ctx, func(db *postgres.DB) error {
		creds, err := db.CredentialsByUsername(ctx, *as)
		if err != nil {
			return fmt.Errorf("--as %s: no such employee", *as)
		}
		u, err := db.LoadSessionUser(ctx, creds.Employee.ID, creds.SessionEpoch)
		if err != nil {
			return fmt.Errorf("--as %s: the employee is deactivated", *as)
		}
		im := &xlsx.Importer{DB: db, Limits: limits, Progress: printProgress(l)}
		fail := func(err error) error {
			var fe *xlsx.FileError
			if errors.As(err, &fe) {
				return errors.New(fe.Message(l))
			}
			return err
		}
		if *dry {
			rep, err := im.Check(ctx, u.Actor, t, data, opts)
			if err != nil {
				return fail(err)
			}
			if err := rep.WriteText(out, l); err != nil {
				return err
			}
			if rep.Counts.Error > 0 {
				return fmt.Errorf("%d rows have errors", rep.Counts.Error)
			}
			return nil
		}
		id, _, err := im.Preview(ctx, u.Actor, t, filepath.Base(*file), data, opts)
		if err != nil {
			return fail(err)
		}
		rep, err := im.Commit(ctx, u.Actor, id, opts)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "import job %d\n", id)
		if err := rep.WriteText(out, l); err != nil {
			return err
		}
		if rep.Blocked {
			return fmt.Errorf("%d rows have errors; nothing was written", rep.Counts.Error)
		}
		if rep.Passwords > 0 {
			sheet, err := db.TakeImportPasswords(ctx, u.Actor, id)
			if err != nil {
				return err
			}
			name := strings.TrimSuffix(*file, filepath.Ext(*file)) + fmt.Sprintf("-passwords-%d.xlsx", id)
			if err := os.WriteFile(name, sheet, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(out, "initial passwords of %d new employees: %s (they must change them at first sign-in)\n", rep.Passwords, name)
		}
		return nil
	})
}

func tableNames() []string {
	var names []string
	for _, t := range xlsx.Tables {
		names = append(names, t.Name)
	}
	return names
}

// printProgress shows a commit's progress on the terminal (stderr), when
// there is one: one line, rewritten.
func printProgress(l i18n.Locale) func(crm.ImportProgress) {
	if st, err := os.Stderr.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(p crm.ImportProgress) {
		msg := i18n.T(l, "import.progress.check", p.Done, p.Total)
		if p.Phase == crm.ProgressWrite {
			msg = i18n.T(l, "import.progress.write", p.Total)
		}
		fmt.Fprintf(os.Stderr, "\r\033[K%s", msg)
		if p.Phase == crm.ProgressWrite {
			fmt.Fprintln(os.Stderr)
		}
	}
}

// revertImport undoes a committed import as the employee as, and prints
// what it did — or every reason that holds it back.
func revertImport(ctx context.Context, job int64, as string, l i18n.Locale, out io.Writer) error {
	return withDB(ctx, func(db *postgres.DB) error {
		creds, err := db.CredentialsByUsername(ctx, as)
		if err != nil {
			return fmt.Errorf("--as %s: no such employee", as)
		}
		u, err := db.LoadSessionUser(ctx, creds.Employee.ID, creds.SessionEpoch)
		if err != nil {
			return fmt.Errorf("--as %s: the employee is deactivated", as)
		}
		im := &xlsx.Importer{DB: db, Limits: xlsx.LimitsFromEnv()}
		res, blockers, err := im.Revert(ctx, u.Actor, job)
		if len(blockers) > 0 {
			fmt.Fprintln(out, i18n.T(l, "import.revert_blocked"))
			for _, b := range blockers {
				fmt.Fprintln(out, "  "+xlsx.BlockerMessage(b, l))
			}
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(out, i18n.T(l, "import.reverted", res.Deleted, res.Restored))
		return nil
	})
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
