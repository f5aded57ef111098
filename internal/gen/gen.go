// Package gen generates a realistic CRM data set at scale — 30 departments
// in a tree, 300 employees of every role, 50 campaigns, and leads,
// customers, contacts, follow-ups, opportunities, quotes, orders with
// lines, payments and invoices in proportion to the number of customers
// asked for (1 500 000 leads, 2 000 000 contacts, 5 000 000 follow-ups,
// 400 000 opportunities, 300 000 quotes, 300 000 orders with about
// 1 000 000 lines, 500 000 payments and 250 000 invoices for a million
// customers) — and loads it with COPY, fast enough for a million customers
// in minutes on two cores.
//
// Nothing is flagged as demo data. The figures the write paths keep are
// computed while planning, so that they agree with what the workflows
// would have written: customers' 成交金额/成交次数 from their approved
// orders and 回款/开票 from confirmed payments and invoices, orders' paid
// and invoiced amounts, converted leads' deal figures, campaigns' 线索数,
// 客户数 and 成交金额, last and next follow-up times, and the copies of a
// customer's owner and department on the records under it.
//
// Generate works in two steps. It first plans every record in memory as a
// compact skeleton (times, owners, links, money in cents), in creation
// order so that ids grow with time as they would in production; it then
// streams the rows, names and texts drawn from a generator seeded per row,
// through COPY … FREEZE inside one transaction that truncated the (empty)
// tables and dropped their secondary indexes, with triggers off
// (session_replication_role = replica: neither the figure triggers nor the
// foreign-key checks run; the plan is consistent by construction). Rows
// land frozen and all-visible, so no VACUUM is needed before index-only
// scans work. The indexes are then rebuilt two at a time, and ANALYZE
// runs at the end.
package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// Password is the default password of every generated employee.
const Password = "scale2026"

// Config says how much to generate and how.
type Config struct {
	// Customers is the number of customers; every other business table
	// scales with it (a million for the full data set).
	Customers int
	// Seed makes the data set reproducible (0: 1).
	Seed uint64
	// PasswordHash is the hash of the password every generated employee
	// signs in with (hashing stays out of this package).
	PasswordHash string
	// Now is the end of the five years of history (zero: now).
	Now time.Time
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// TableRows is the number of rows generated into one table.
type TableRows struct {
	Table string
	Rows  int
}

// Result says what Generate did.
type Result struct {
	Tables []TableRows
	Took   time.Duration
}

// loadedTables are the tables Generate fills and therefore truncates; they
// must be empty.
var loadedTables = []string{"products", "campaigns", "leads", "customers", "customer_collaborators", "contacts",
	"follow_ups", "opportunities", "quotes", "quote_lines", "orders", "order_lines", "payments", "invoices", "doc_counters"}

// ErrNotEmpty is returned when the database holds business records already.
var ErrNotEmpty = errors.New("gen: the database holds business records already; generate into a freshly migrated database")

// Generate fills the database with a generated data set of cfg.Customers
// customers. The database must be migrated and hold no business records
// (departments and employees of other names may exist). Everything is
// loaded in one transaction: on error nothing is left behind, except when
// rebuilding an index fails (the error then names the indexes missing).
func Generate(ctx context.Context, db *postgres.DB, cfg Config) (Result, error) {
	start := time.Now()
	if cfg.Customers < 100 {
		return Result{}, errors.New("gen: generate at least 100 customers")
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	if cfg.PasswordHash == "" {
		return Result{}, errors.New("gen: no password hash")
	}
	g := &gen{cfg: cfg, log: cfg.Log}
	if g.log == nil {
		g.log = io.Discard
	}
	for _, t := range loadedTables {
		var any bool
		if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&any); err != nil {
			return Result{}, err
		}
		if any {
			return Result{}, fmt.Errorf("%w (%s has rows)", ErrNotEmpty, t)
		}
	}

	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		g.tx = tx
		return g.run(ctx)
	})
	if err != nil {
		return Result{}, err
	}
	g.step("create indexes")
	if err := g.createIndexes(ctx, db); err != nil {
		return Result{}, err
	}
	g.step("analyze")
	var analyze []string
	for _, t := range append(loadedTables, "departments", "employees") {
		analyze = append(analyze, `ANALYZE `+t)
	}
	if err := g.two(ctx, db, analyze); err != nil {
		return Result{}, err
	}
	g.step("done")
	return Result{Tables: g.counts, Took: time.Since(start)}, nil
}

// gen is one generation run.
type gen struct {
	cfg    Config
	log    io.Writer
	tx     pgx.Tx
	counts []TableRows
	last   time.Time
	phase  string
	began  time.Time

	// organisation
	emps     []empDef
	empID    []int64 // by index into emps
	deptID   []int64 // by index into deptDefs
	deptHead []int64 // head's employee id by department index, 0 none
	headOf   map[int64]int64
	deptOf   map[int64]int64   // employee id → department id
	byDept   map[int64][]int64 // department id → its reps and managers
	mkt      []int64           // marketing employees
	finance  []int64
	ceo      int64
	options  map[string][]int64

	// time span: five years up to now, in Unix seconds
	t0, t1 int64

	// the plan
	products  []product
	campaigns []campaign
	leads     []lead
	customers []customer
	opps      []opportunity
	oppNext   []int32 // next opportunity of the same customer (index+1), 0 none
	quotes    []quote
	orders    []order
	follows   []followUp
	numbers   map[string]int // "BJ-2024" → last number
	indexes   []string       // the dropped indexes' definitions
}

func (g *gen) step(name string) {
	now := time.Now()
	if g.phase != "" {
		fmt.Fprintf(g.log, "  %-28s %6.1fs\n", g.phase, now.Sub(g.last).Seconds())
	} else {
		g.began = now
	}
	g.phase, g.last = name, now
	if name == "done" {
		fmt.Fprintf(g.log, "  %-28s %6.1fs\n", "total", now.Sub(g.began).Seconds())
	}
}

func (g *gen) run(ctx context.Context) error {
	n := g.cfg.Customers
	g.t1 = g.cfg.Now.Unix()
	g.t0 = g.cfg.Now.AddDate(-5, 0, 0).Unix()
	fmt.Fprintf(g.log, "generating %d customers (seed %d)\n", n, g.cfg.Seed)
	g.step("organisation")
	for _, s := range []string{
		`SET LOCAL session_replication_role = replica`, // no figure triggers, no FK checks: the plan is consistent
		`SET LOCAL maintenance_work_mem = '1GB'`,
		`SET LOCAL synchronous_commit = off`,
		// The triggers are off: move the reference lists' number by hand, so
		// that a running server reads the new organisation and value lists.
		`UPDATE reference_version SET n = n + 1`,
	} {
		if _, err := g.tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("gen: %s: %w (generate needs a superuser)", s, err)
		}
	}
	if err := g.organisation(ctx); err != nil {
		return err
	}
	g.step("plan")
	g.plan()

	g.step("truncate, drop indexes")
	indexes, err := g.dropIndexes(ctx)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		name  string
		write func(context.Context) error
	}{
		{"products", g.writeProducts}, {"campaigns", g.writeCampaigns}, {"leads", g.writeLeads},
		{"customers", g.writeCustomers}, {"customer_collaborators", g.writeCollaborators}, {"contacts", g.writeContacts},
		{"opportunities", g.writeOpportunities}, {"follow_ups", g.writeFollowUps}, {"quotes", g.writeQuotes},
		{"quote_lines", g.writeQuoteLines}, {"orders", g.writeOrders}, {"order_lines", g.writeOrderLines},
		{"payments, invoices", g.writeMoney}, {"doc_counters", g.writeCounters},
	} {
		g.step("copy " + t.name)
		if err := t.write(ctx); err != nil {
			return fmt.Errorf("gen: %s: %w", t.name, err)
		}
	}
	for _, t := range []string{"products", "campaigns", "leads", "customers", "opportunities", "follow_ups", "quotes", "orders"} {
		if _, err := g.tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), greatest((SELECT max(id) FROM `+t+`), 1))`); err != nil {
			return err
		}
	}
	// The figures the triggers keep (off while generating): the board's.
	if _, err := g.tx.Exec(ctx, `UPDATE opportunity_stage_figures f SET n = coalesce(x.n, 0), amount = coalesce(x.amount, 0)
		FROM opportunity_stage_figures s LEFT JOIN (SELECT stage, count(*) AS n, sum(expected_amount) AS amount
		                                           FROM opportunities GROUP BY stage) x ON x.stage = s.stage
		WHERE f.stage = s.stage`); err != nil {
		return err
	}
	// And the dashboard's, per month, owner, department and the customer's
	// department (migration 0012).
	for _, q := range []string{
		`DELETE FROM monthly_figures`,
		`INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, deal_amount, deal_count)
		 SELECT date_trunc('month', decided_at AT TIME ZONE 'Asia/Shanghai')::date, coalesce(owner_id, 0), coalesce(department_id, 0),
		        coalesce(customer_department_id, 0), sum(total), count(*)
		 FROM orders WHERE status = 'approved' AND decided_at IS NOT NULL GROUP BY 1, 2, 3, 4`,
		`INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, paid_amount, paid_count)
		 SELECT date_trunc('month', paid_on)::date, coalesce(owner_id, 0), coalesce(department_id, 0), coalesce(customer_department_id, 0),
		        sum(amount), count(*)
		 FROM payments WHERE confirmed GROUP BY 1, 2, 3, 4
		 ON CONFLICT (month, owner_id, department_id, customer_department_id)
		 DO UPDATE SET paid_amount = EXCLUDED.paid_amount, paid_count = EXCLUDED.paid_count`,
		`INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, follow_ups)
		 SELECT date_trunc('month', followed_at AT TIME ZONE 'Asia/Shanghai')::date, coalesce(owner_id, 0), coalesce(department_id, 0),
		        coalesce(customer_department_id, 0), count(*)
		 FROM follow_ups GROUP BY 1, 2, 3, 4
		 ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET follow_ups = EXCLUDED.follow_ups`,
	} {
		if _, err := g.tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	g.indexes = indexes
	g.step("commit")
	return nil
}

// createIndexes rebuilds the dropped indexes on two connections at once
// (the trigram indexes first, the largest tables first, so that the two
// finish together): a GIN build uses one core, and rebuilding outside the
// loading transaction lets two run side by side. Should one fail, the
// error names every index still missing.
func (g *gen) createIndexes(ctx context.Context, db *postgres.DB) error {
	size := map[string]int{}
	for _, t := range g.counts {
		size[t.Table] = t.Rows
	}
	table := func(ix string) string {
		_, rest, _ := strings.Cut(ix, " ON public.")
		t, _, _ := strings.Cut(rest, " ")
		return t
	}
	slices.SortStableFunc(g.indexes, func(a, b string) int {
		ga, gb := strings.Contains(a, "USING gin"), strings.Contains(b, "USING gin")
		if ga != gb {
			if ga {
				return -1
			}
			return 1
		}
		return size[table(b)] - size[table(a)]
	})
	if err := g.two(ctx, db, g.indexes); err != nil {
		return fmt.Errorf("gen: the data is loaded, but not all indexes are: %w", err)
	}
	return nil
}

// two runs the statements on two connections at once, in their order,
// logging those that take more than two seconds. Should one fail, the
// error names it and every statement not run.
func (g *gen) two(ctx context.Context, db *postgres.DB, stmts []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan string, len(stmts))
	for _, s := range stmts {
		todo <- s
	}
	close(todo)
	var mu sync.Mutex
	var failed []string
	var first error
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
				if _, err := c.Exec(ctx, `SET maintenance_work_mem = '512MB'`); err != nil {
					return err
				}
				defer c.Exec(context.Background(), `RESET maintenance_work_mem`) //nolint:errcheck
				for s := range todo {
					t := time.Now()
					if _, err := c.Exec(ctx, s); err != nil {
						mu.Lock()
						failed = append(failed, s)
						mu.Unlock()
						return fmt.Errorf("%s: %w", s, err)
					}
					if d := time.Since(t); d > 2*time.Second {
						name := strings.TrimPrefix(s, "CREATE INDEX ")
						name, _, _ = strings.Cut(name, " ON ")
						mu.Lock()
						fmt.Fprintf(g.log, "    %-34s %6.1fs\n", name, d.Seconds())
						mu.Unlock()
					}
				}
				return nil
			})
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		for s := range todo {
			failed = append(failed, s)
		}
		return fmt.Errorf("%w; not done:\n%s", first, strings.Join(failed, ";\n"))
	}
	return nil
}

// organisation inserts departments and employees and reads the options.
func (g *gen) organisation(ctx context.Context) error {
	g.deptID = make([]int64, len(deptDefs))
	g.deptHead = make([]int64, len(deptDefs))
	for i, d := range deptDefs {
		var parent *int64
		if d.parent != "" {
			for j := range i {
				if deptDefs[j].name == d.parent {
					parent = &g.deptID[j]
				}
			}
		}
		if err := g.tx.QueryRow(ctx, `/* gen department */ INSERT INTO departments (name, parent_id, created_at) VALUES ($1, $2, $3) RETURNING id`,
			d.name, parent, time.Unix(g.t0, 0).AddDate(0, -1, 0)).Scan(&g.deptID[i]); err != nil {
			return fmt.Errorf("gen: department %s: %w (generate into a database without these departments)", d.name, err)
		}
	}
	g.emps = organisation(g.cfg.Seed)
	g.empID = make([]int64, len(g.emps))
	g.deptOf, g.byDept, g.headOf = map[int64]int64{}, map[int64][]int64{}, map[int64]int64{}
	for i, e := range g.emps {
		d := g.deptID[e.dept]
		phone := fmt.Sprintf("139%08d", 10000000+i*7919%90000000)
		if err := g.tx.QueryRow(ctx, `/* gen employee */
			INSERT INTO employees (username, name, email, phone, department_id, role, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			e.username, e.name, e.username+"@corp.example.cn", phone, d, string(e.role), g.cfg.PasswordHash,
			time.Unix(g.t0, 0).AddDate(0, -1, 0)).Scan(&g.empID[i]); err != nil {
			return fmt.Errorf("gen: employee %s: %w (generate into a database without these employees)", e.username, err)
		}
		id := g.empID[i]
		g.deptOf[id] = d
		switch e.role {
		case crm.RoleSalesRep, crm.RoleSalesManager:
			if deptDefs[e.dept].name != "售前技术支持部" {
				g.byDept[d] = append(g.byDept[d], id)
			}
		case crm.RoleMarketing:
			g.mkt = append(g.mkt, id)
		case crm.RoleFinance:
			g.finance = append(g.finance, id)
		}
		if e.username == "ceo" {
			g.ceo = id
		}
		if e.head {
			g.deptHead[e.dept] = id
			g.headOf[d] = id
			if _, err := g.tx.Exec(ctx, `UPDATE departments SET head_id = $2 WHERE id = $1`, d, id); err != nil {
				return err
			}
		}
	}
	g.options = map[string][]int64{}
	rows, err := g.tx.Query(ctx, `SELECT kind, id FROM options ORDER BY kind, position, id`)
	if err != nil {
		return err
	}
	var k string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&k, &id}, func() error {
		g.options[k] = append(g.options[k], id)
		return nil
	}); err != nil {
		return err
	}
	for _, kind := range []string{"source", "industry", "customer_level", "campaign_type", "follow_up_method"} {
		if len(g.options[kind]) == 0 {
			return fmt.Errorf("gen: no %s options", kind)
		}
	}
	g.counts = append(g.counts, TableRows{"departments", len(deptDefs)}, TableRows{"employees", len(g.emps)})
	return nil
}

// dropIndexes truncates the loaded tables (and any empty table pointing at
// them) and drops their secondary indexes, returning the statements that
// recreate them. COPY … FREEZE needs the truncation in this transaction.
func (g *gen) dropIndexes(ctx context.Context) ([]string, error) {
	tables := slices.Clone(loadedTables)
	rows, err := g.tx.Query(ctx, `SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c
		WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY($1) AND NOT (c.conrelid::regclass::text = ANY($1))`, tables)
	if err != nil {
		return nil, err
	}
	referring, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	for _, t := range referring {
		var any bool
		if err := g.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&any); err != nil {
			return nil, err
		}
		if any {
			return nil, fmt.Errorf("%w (%s has rows)", ErrNotEmpty, t)
		}
		tables = append(tables, t)
	}
	if _, err := g.tx.Exec(ctx, `TRUNCATE `+strings.Join(tables, ", ")+` RESTART IDENTITY`); err != nil {
		return nil, err
	}
	rows, err = g.tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
		WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
		ORDER BY t.relname, 1`, loadedTables)
	if err != nil {
		return nil, err
	}
	type ix struct{ Name, Def string }
	ixs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ix])
	if err != nil {
		return nil, err
	}
	var create []string
	for _, x := range ixs {
		if _, err := g.tx.Exec(ctx, `DROP INDEX `+x.Name); err != nil {
			return nil, err
		}
		create = append(create, x.Def)
	}
	return create, nil
}

// rnd returns a generator for row i of a table (salt), the same on every
// call: text is drawn per row, so that two tables can agree on it (a
// converted lead and its customer share a company name and phone).
func (g *gen) rnd(salt, i uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.cfg.Seed*0x9e3779b97f4a7c15^salt, i))
}

// Salts of the per-row generators.
const (
	saltCustomer = iota + 1
	saltLead
	saltContact
	saltFollowUp
	saltOpp
	saltQuote
	saltOrder
	saltMoney
	saltCollab
	saltCampaign
	saltProduct
)

// geometric draws a count with the given mean (≥ 0).
func geometric(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	p := 1 / (1 + mean)
	return int(math.Log(1-r.Float64()) / math.Log(1-p))
}

// between returns a time uniformly in [a, b].
func between(r *rand.Rand, a, b int64) int64 {
	if b <= a {
		return a
	}
	return a + r.Int64N(b-a+1)
}

const day = 24 * 3600
