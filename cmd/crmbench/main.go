// Command crmbench is the page benchmark of `make bench`: it signs in as
// the generated personas (internal/gen) on a running CRM, drives each main
// page with one and with sixteen concurrent clients, and reports p50, p99
// and requests per second beside the page's main SQL — the storage calls
// that produce its data, recorded and then run directly through pgx, the
// physical limit of the page — and the server's memory. It prints a
// Markdown table and writes it, with the date and the machine, into
// docs/performance.md between its markers. With -explain it also writes
// EXPLAIN (ANALYZE, COSTS OFF) of each page's queries.
//
// It talks to the loopback only and sends bounded numbers of requests.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/gen"
	"crm/internal/postgres"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "crmbench:", err)
		os.Exit(1)
	}
}

type config struct {
	base     string
	pid      int
	n1, n16  int
	maxTime  time.Duration // per page and concurrency
	users    []string
	only     string
	password string
	doc      string
	explain  []string // persona classes whose plans -explain writes

	loadBefore string
	noExport   bool
}

func run() error {
	c, err := parseFlags()
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer db.Close()
	rec := &recorder{}
	tdb, closeTraced, err := tracedDB(ctx, db, rec)
	if err != nil {
		return err
	}
	defer closeTraced()
	if err := waitHealthy(c.base); err != nil {
		return err
	}

	var customers int64
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM customers`).Scan(&customers); err != nil {
		return err
	}
	if customers == 0 {
		return errors.New("the database holds no customers: generate them first (crm gen --customers 1000000)")
	}
	terms, err := gen.FindTerms(ctx, db)
	if err != nil {
		return err
	}
	c.loadBefore = loadAverage()
	b := &bench{c: c, db: db, tdb: tdb, rec: rec, mem: &memory{pid: c.pid}, customers: customers}
	stopMem := b.mem.sample()
	started := time.Now()
	for _, class := range c.users {
		if err := b.persona(ctx, gen.PersonaByClass(class), terms); err != nil {
			return err
		}
	}
	var exp string
	if !c.noExport {
		if exp, err = exportRun(ctx, db, c); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, exp)
	}
	stopMem()
	table := report(b.results, b.mem, customers, terms, time.Since(started), c) + exp
	fmt.Println(table)
	if c.doc != "" {
		if err := writeSection(c.doc, "bench", table); err != nil {
			return err
		}
		if len(c.explain) > 0 {
			if err := writeSection(c.doc, "explain", b.plans.String()); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "written into %s\n", c.doc)
	}
	return nil
}

// parseFlags reads the command line.
func parseFlags() (config, error) {
	var c config
	var users, explainUsers string
	flag.StringVar(&c.base, "base", "http://127.0.0.1:8099", "the CRM to drive (loopback only)")
	flag.IntVar(&c.pid, "pid", 0, "the server's process id, for its memory (0: not measured)")
	flag.IntVar(&c.n1, "n1", 100, "requests per page with one client")
	flag.IntVar(&c.n16, "n16", 400, "requests per page with sixteen clients")
	flag.BoolVar(&c.noExport, "no-export", false, "skip the export of 10 000 customers")
	flag.DurationVar(&c.maxTime, "max", 15*time.Second, "at most this long per page and concurrency (slow pages get fewer requests)")
	flag.StringVar(&users, "users", "rep_small,rep_big,collaborator,manager_third,management,marketing,finance", "persona classes (gen.Personas)")
	flag.StringVar(&c.only, "pages", "", "only the pages whose name contains this")
	flag.StringVar(&c.password, "password", gen.Password, "password of the generated employees")
	flag.StringVar(&c.doc, "doc", "", "write the results into this Markdown file (docs/performance.md)")
	flag.StringVar(&explainUsers, "explain", "", "also write EXPLAIN ANALYZE of the pages' queries of these persona classes into -doc (the dashboard's excepted)")
	flag.Parse()
	c.users = strings.Split(users, ",")
	if explainUsers != "" {
		c.explain = strings.Split(explainUsers, ",")
	}
	u, err := url.Parse(c.base)
	if err != nil {
		return c, err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return c, fmt.Errorf("-base %s: the benchmark drives the loopback only", c.base)
	}
	return c, nil
}

// tracedDB is db over pools whose statements rec records: the pages'
// queries are recorded as the server would run them. The queries anchored
// on one record run, as in the server, on connections that keep generic
// plans (postgres.DB.Anchored).
func tracedDB(ctx context.Context, db *postgres.DB, rec *recorder) (*postgres.DB, func(), error) {
	cfg := db.Pool.Config()
	cfg.ConnConfig.Tracer = rec
	cfg.MaxConns = 20
	traced, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	acfg := db.Anchored.Config()
	acfg.ConnConfig.Tracer = &recorder{into: rec, anchored: true}
	acfg.MaxConns = 20
	tracedAnchored, err := pgxpool.NewWithConfig(ctx, acfg)
	if err != nil {
		traced.Close()
		return nil, nil, err
	}
	return &postgres.DB{Pool: traced, Anchored: tracedAnchored}, func() { traced.Close(); tracedAnchored.Close() }, nil
}

// bench is one run: its configuration, databases and what it measured.
type bench struct {
	c         config
	db, tdb   *postgres.DB
	rec       *recorder
	mem       *memory
	customers int64
	results   []result
	plans     strings.Builder
}

// persona drives every page of one persona.
func (b *bench) persona(ctx context.Context, p gen.Persona, terms gen.Terms) error {
	a, err := gen.Actor(ctx, b.db, p.Username)
	if err != nil {
		return err
	}
	pages, err := gen.Pages(ctx, b.db, a, terms)
	if err != nil {
		return err
	}
	client, err := login(b.c.base, p.Username, b.c.password)
	if err != nil {
		return err
	}
	views := viewShare(ctx, b.db, p.Username)
	fmt.Fprintf(os.Stderr, "%s (%s): views %s of %d customers\n", p.Class, p.Username, views, b.customers)
	for _, pg := range pages {
		if b.c.only != "" && !strings.Contains(pg.Name, b.c.only) {
			continue
		}
		if err := b.page(ctx, client, p, views, pg); err != nil {
			return fmt.Errorf("%s %s: %w", p.Class, pg.Name, err)
		}
	}
	return nil
}

// page measures one page: through HTTP with one and sixteen clients, and
// its SQL alone.
func (b *bench) page(ctx context.Context, client *http.Client, p gen.Persona, views string, pg gen.Page) error {
	c := b.c
	b.rec.take()
	if err := pg.Load(ctx, b.tdb); err != nil {
		return err
	}
	stmts := b.rec.take()
	r := result{persona: p, views: views, page: pg, statements: len(stmts)}
	// warm up: the page and its queries a few times
	if _, err := drive(client, c.base+pg.Path, 1, 5, c.maxTime); err != nil {
		return err
	}
	if _, err := sqlRun(ctx, b.db, stmts, 1, 5, c.maxTime); err != nil {
		return err
	}
	var err error
	if r.c1, err = drive(client, c.base+pg.Path, 1, c.n1, c.maxTime); err != nil {
		return err
	}
	b.mem.loaded(true)
	if r.c16, err = drive(client, c.base+pg.Path, 16, c.n16, c.maxTime); err != nil {
		return err
	}
	b.mem.loaded(false)
	if r.sql, err = sqlRun(ctx, b.db, stmts, 1, c.n1, c.maxTime); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "  "+r.line())
	b.results = append(b.results, r)
	if slices.Contains(c.explain, p.Class) && !pg.Report {
		return explain(ctx, b.db.Pool, &b.plans, p, pg, stmts)
	}
	return nil
}

// exportRun downloads the customer export (Excel) of the 10 000 newest
// customers as management three times — the list's date filter picks them
// — and counts the rows of the file.
func exportRun(ctx context.Context, db *postgres.DB, c config) (string, error) {
	p := gen.PersonaByClass("management")
	client, err := login(c.base, p.Username, c.password)
	if err != nil {
		return "", err
	}
	var from time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT min(created_at) FROM (SELECT created_at FROM customers ORDER BY created_at DESC LIMIT 10000) x`).Scan(&from); err != nil {
		return "", err
	}
	day := from.In(crm.Zone).AddDate(0, 0, 1).Format("2006-01-02")
	u := c.base + "/customers/export.xlsx?tab=all&from=" + day
	var took []time.Duration
	rows := 0
	for range 3 {
		t := time.Now()
		res, err := client.Get(u)
		if err != nil {
			return "", err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return "", fmt.Errorf("GET %s: %d %v", u, res.StatusCode, err)
		}
		took = append(took, time.Since(t))
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		all, err := f.GetRows(f.GetSheetList()[0])
		f.Close()
		if err != nil {
			return "", err
		}
		rows = len(all) - 1
	}
	slices.Sort(took)
	return fmt.Sprintf("\nExport: `%s` (management, customers created since %s) — %d rows, %s s at the median of three (target ≤ 3 s for 10 000).\n",
		strings.TrimPrefix(u, c.base), day, rows, strconv.FormatFloat(took[1].Seconds(), 'f', 2, 64)), nil
}

// waitHealthy waits for the server to answer /healthz.
func waitHealthy(base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not answer /healthz: %v", base, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// login signs username in and returns a client carrying the session.
func login(base, username, password string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 32, MaxConnsPerHost: 32},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/login", url.Values{"username": {username}, "password": {password}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		return nil, fmt.Errorf("login %s: %d → %q (was the data generated with this password?)", username, res.StatusCode, res.Header.Get("Location"))
	}
	return c, nil
}

// viewShare says which share of the customers username views.
func viewShare(ctx context.Context, db *postgres.DB, username string) string {
	a, err := gen.Actor(ctx, db, username)
	if err != nil {
		return "?"
	}
	args := &postgres.Args{}
	cond := postgres.ViewScope(a, "customer", "c", args)
	var n, all float64
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE `+cond+`), count(*) FROM customers c`, args.List...).Scan(&n, &all); err != nil {
		return "?"
	}
	return fmt.Sprintf("%.2f%% (%d)", 100*n/all, int(n))
}

// stats are the latencies of one run.
type stats struct {
	p50, p99 time.Duration
	rps      float64
	n        int
}

// drive requests u n times (or for at most max) from conc clients at
// once; every answer must be 200.
func drive(c *http.Client, u string, conc, n int, max time.Duration) (stats, error) {
	return load(conc, n, max, func() error {
		res, err := c.Get(u)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %d", u, res.StatusCode)
		}
		return err
	})
}

// sqlRun runs the statements of a page n times (or for at most max; each
// time one after the other, as the page does), reading every row, from
// conc connections.
func sqlRun(ctx context.Context, db *postgres.DB, stmts []statement, conc, n int, max time.Duration) (stats, error) {
	return load(conc, n, max, func() error {
		for _, s := range stmts {
			if gen.Control(s.sql) {
				continue // transaction control: the statements alone are the limit
			}
			pool := db.Pool
			if s.anchored {
				pool = db.Anchored
			}
			rows, err := pool.Query(ctx, s.sql, s.args...)
			if err == nil {
				for rows.Next() {
				}
				rows.Close()
				err = rows.Err()
			}
			if err != nil {
				return fmt.Errorf("%s: %w", s.sql, err)
			}
		}
		return nil
	})
}

// load runs do n times (or until max has passed) from conc goroutines and
// returns the latencies; the first error stops it.
func load(conc, n int, max time.Duration, do func() error) (stats, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for next.Add(1) <= int64(n) && time.Since(start) <= max {
				t := time.Now()
				if err := do(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
			}
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		return stats{}, first
	}
	return summarize(lat, time.Since(start)), first
}

func summarize(lat []time.Duration, wall time.Duration) stats {
	s := slices.Clone(lat)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return stats{p50: q(0.50), p99: q(0.99), rps: float64(len(s)) / wall.Seconds(), n: len(s)}
}

// statement is one query a storage call sent.
type statement struct {
	sql      string
	args     []any
	anchored bool // ran on postgres.DB.Anchored
}

// recorder is a pgx tracer that records every statement, batched or not.
type recorder struct {
	mu   sync.Mutex
	list []statement
	// A recorder of the anchored pool records into another one's list.
	into     *recorder
	anchored bool
}

func (r *recorder) add(sql string, args []any) {
	to := r
	if r.into != nil {
		to = r.into
	}
	to.mu.Lock()
	to.list = append(to.list, statement{sql, args, r.anchored})
	to.mu.Unlock()
}

func (r *recorder) take() []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.list
	r.list = nil
	return l
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add(d.SQL, d.Args)
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (r *recorder) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	r.add(d.SQL, d.Args)
}

func (r *recorder) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// memory samples the server's resident memory: the highest seen while
// sixteen clients drive it (steady memory under load) and the kernel's
// high-water mark (peak).
type memory struct {
	pid       int
	load      atomic.Bool
	mu        sync.Mutex
	underLoad int64 // kB
	peak      int64 // kB
}

func (m *memory) loaded(on bool) { m.load.Store(on) }

func (m *memory) sample() (stop func()) {
	if m.pid == 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				rss, hwm := procStatus(m.pid)
				m.mu.Lock()
				if m.load.Load() && rss > m.underLoad {
					m.underLoad = rss
				}
				m.peak = max(m.peak, hwm)
				m.mu.Unlock()
			}
		}
	}()
	return func() { close(done) }
}

// procStatus reads VmRSS and VmHWM (kB) of a process.
func procStatus(pid int) (rss, hwm int64) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm
}

// result is one page for one persona.
type result struct {
	persona    gen.Persona
	views      string
	page       gen.Page
	statements int
	c1, c16    stats
	sql        stats
}

func (r result) line() string {
	return fmt.Sprintf("%-22s c1 p50 %s p99 %s %s/s | c16 p50 %s p99 %s %s/s | SQL p50 %s p99 %s (%d statements)",
		r.page.Name, ms(r.c1.p50), ms(r.c1.p99), rate(r.c1.rps), ms(r.c16.p50), ms(r.c16.p99), rate(r.c16.rps),
		ms(r.sql.p50), ms(r.sql.p99), r.statements)
}

// misses lists the targets of the scale issue the result misses.
func (r result) misses() []string {
	var out []string
	check := func(ok bool, what string) {
		if !ok {
			out = append(out, what)
		}
	}
	ratio := func(a, b time.Duration) float64 { return float64(a) / float64(max(b, time.Microsecond)) }
	switch {
	case r.page.Report:
		check(r.c1.p99 <= 200*time.Millisecond, "≤200ms")
		return out
	case r.page.Detail:
		check(r.c16.rps >= 2000, "≥2000/s")
	default:
		check(r.c1.p50 <= 3*time.Millisecond, "p50≤3ms")
		check(r.c1.p99 <= 10*time.Millisecond, "p99≤10ms")
	}
	check(r.c16.p99 <= 50*time.Millisecond, "c16 p99≤50ms")
	check(ratio(r.c1.p50, r.sql.p50) <= 1.3, "≤1.3×SQL")
	check(ratio(r.c1.p99, r.sql.p99) <= 1.5, "p99≤1.5×SQL")
	return out
}

func ms(d time.Duration) string {
	switch {
	case d >= 100*time.Millisecond:
		return strconv.FormatInt(d.Milliseconds(), 10)
	case d >= 10*time.Millisecond:
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
	}
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64)
}

func rate(r float64) string { return strconv.FormatFloat(r, 'f', 0, 64) }

// report renders the results as Markdown.
func report(results []result, mem *memory, customers int64, terms gen.Terms, took time.Duration, c config) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Measured %s on %s: %d CPUs, %s RAM, %s, load average %s before → %s after (other work on the machine included); %d customers. `make bench` (cmd/crmbench): %d requests per page with one client, %d with sixteen; SQL is the page's main storage calls run directly through pgx (one client). Times in ms; the searches are `%s` (a two-character name) and `%s` (a phone prefix). Took %s.\n\n",
		time.Now().Format("2006-01-02 15:04"), host, runtime.NumCPU(), memTotal(), pgVersion(), c.loadBefore, loadAverage(), customers, c.n1, c.n16,
		terms.Name2, terms.PhonePrefix, took.Round(time.Second))
	b.WriteString("Targets (issue 7): a list page with one client p50 ≤ 3 ms and p99 ≤ 10 ms; every list and detail page p99 ≤ 50 ms with sixteen clients; server ≤ 1.3 × SQL at p50 and ≤ 1.5 × at p99; the customer page ≥ 2 000 requests/s; the dashboard ≤ 200 ms. *Misses* lists the targets a row does not meet.\n\n")
	b.WriteString("| user | page | c=1 p50 | c=1 p99 | c=1 req/s | c=16 p50 | c=16 p99 | c=16 req/s | SQL p50 | SQL p99 | ×SQL p50 | ×SQL p99 | misses |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	last := ""
	for _, r := range results {
		user := ""
		if r.persona.Class != last {
			user = fmt.Sprintf("%s (%s, views %s)", r.persona.Class, r.persona.Username, r.views)
			last = r.persona.Class
		}
		ratio := func(a, b time.Duration) string {
			return strconv.FormatFloat(float64(a)/float64(max(b, time.Microsecond)), 'f', 1, 64)
		}
		m := strings.Join(r.misses(), ", ")
		if m == "" {
			m = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", user, r.page.Name,
			ms(r.c1.p50), ms(r.c1.p99), rate(r.c1.rps), ms(r.c16.p50), ms(r.c16.p99), rate(r.c16.rps),
			ms(r.sql.p50), ms(r.sql.p99), ratio(r.c1.p50, r.sql.p50), ratio(r.c1.p99, r.sql.p99), m)
	}
	if mem.pid != 0 {
		fmt.Fprintf(&b, "\nServer memory: %d MB resident at most while sixteen clients drove it (target ≤ 150 MB), peak (VmHWM) %d MB.\n",
			mem.underLoad/1024, mem.peak/1024)
	}
	return b.String()
}

// loadAverage is the one-minute load average.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

func memTotal() string {
	rss, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(rss), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return fmt.Sprintf("%d GiB", (kb+512*1024)/1024/1024)
		}
	}
	return "?"
}

func pgVersion() string {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return "PostgreSQL ?"
	}
	defer c.Close(ctx)
	var v, sb string
	_ = c.QueryRow(ctx, `SELECT split_part(version(), ' ', 2), current_setting('shared_buffers')`).Scan(&v, &sb)
	return "PostgreSQL " + v + " (shared_buffers " + sb + ")"
}

// explain writes EXPLAIN (ANALYZE, COSTS OFF) of a page's statements.
func explain(ctx context.Context, pool *pgxpool.Pool, w *strings.Builder, p gen.Persona, pg gen.Page, stmts []statement) error {
	fmt.Fprintf(w, "#### %s — %s (`%s`)\n\n", p.Class, pg.Name, pg.Path)
	for _, s := range stmts {
		q := s.sql
		if i := strings.Index(q, " EXPLAIN (FORMAT JSON) "); i >= 0 || gen.Control(q) {
			continue // the count's estimate: a plan, not a query; transaction control
		}
		rows, err := pool.Query(ctx, "EXPLAIN (ANALYZE, COSTS OFF) "+q, s.args...)
		if err != nil {
			return fmt.Errorf("explain %s: %w", q, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		name := q
		if i := strings.Index(q, "*/"); strings.HasPrefix(q, "/*") && i > 0 {
			name = strings.TrimSpace(q[2:i])
		}
		fmt.Fprintf(w, "<details><summary>%s — %s</summary>\n\n```\n%s\n-- args %v\n%s\n```\n</details>\n\n",
			name, lastLine(lines), strings.TrimSpace(q), s.args, strings.Join(lines, "\n"))
	}
	return nil
}

func lastLine(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// writeSection replaces what lies between <!-- crmbench:NAME --> and
// <!-- /crmbench:NAME --> in the file (appending the markers at the end
// when missing), leaving the rest of the document — other sections, other
// authors' — as it is.
func writeSection(path, name, body string) error {
	doc, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	open, end := "<!-- crmbench:"+name+" -->", "<!-- /crmbench:"+name+" -->"
	i, j := bytes.Index(doc, []byte(open)), bytes.Index(doc, []byte(end))
	var out []byte
	if i < 0 || j < i {
		out = append(doc, []byte("\n"+open+"\n"+body+"\n"+end+"\n")...)
	} else {
		out = append(append(append([]byte{}, doc[:i+len(open)]...), []byte("\n"+body+"\n")...), doc[j:]...)
	}
	return os.WriteFile(path, out, 0o644)
}
