package postgres

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// The dashboard (仪表盘) of issue 6. Every figure is a query over exactly
// the records the actor may view (ViewScope, the lists' condition), narrowed
// by the dashboard's filters, so that each equals the total of the list it
// links to. Nothing is summed over a company's whole history on a page
// view: 成交金额, 回款金额 and the ranking over whole months read the
// figures kept per month (monthly_figures, migration 0012; keptSplit) for
// the departments the actor views whole, other figures of a period read
// only the period's rows through indexes made for them (migration 0007),
// balances (待回款金额, receivables by age, follow-ups due) read only the
// open items, and campaign figures are the ones kept on write. All the
// queries go to the database in one batch, in one read-only transaction:
// every figure of a page is of one snapshot.

// HiddenDashboardSections returns the sections the admin hid, per role.
func (db *DB) HiddenDashboardSections(ctx context.Context) (map[crm.Role]map[crm.DashboardSection]bool, error) {
	rows, err := db.Pool.Query(ctx, `/* postgres.HiddenDashboardSections */ SELECT role, section FROM dashboard_hidden_sections`)
	if err != nil {
		return nil, err
	}
	pairs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		Role    crm.Role
		Section crm.DashboardSection
	}])
	out := map[crm.Role]map[crm.DashboardSection]bool{}
	for _, p := range pairs {
		if out[p.Role] == nil {
			out[p.Role] = map[crm.DashboardSection]bool{}
		}
		out[p.Role][p.Section] = true
	}
	return out, err
}

// DashboardSectionsOf returns the sections a's dashboard shows: those open
// to a's role and not hidden from it.
func (db *DB) DashboardSectionsOf(ctx context.Context, a crm.Actor) (map[crm.DashboardSection]bool, error) {
	rows, err := db.Pool.Query(ctx, `/* postgres.DashboardSectionsOf */ SELECT section FROM dashboard_hidden_sections WHERE role = $1`,
		string(a.Role))
	if err != nil {
		return nil, err
	}
	hidden, err := pgx.CollectRows(rows, pgx.RowTo[crm.DashboardSection])
	if err != nil {
		return nil, err
	}
	out := map[crm.DashboardSection]bool{}
	for _, s := range crm.DashboardSections {
		if crm.DashboardSectionOpen(a.Role, s) && !slices.Contains(hidden, s) {
			out[s] = true
		}
	}
	return out, nil
}

// SetHiddenDashboardSections replaces the hidden sections of every role
// (admin only: the caller checks), in one transaction. Sections a role
// cannot see anyway and unknown names are ignored.
func (db *DB) SetHiddenDashboardSections(ctx context.Context, a crm.Actor, hidden map[crm.Role][]crm.DashboardSection) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `/* postgres.SetHiddenDashboardSections clear */ DELETE FROM dashboard_hidden_sections`); err != nil {
			return err
		}
		for _, role := range crm.Roles {
			for _, s := range hidden[role] {
				if !knownSection(s) || !crm.DashboardSectionOpen(role, s) {
					continue
				}
				if _, err := tx.Exec(ctx, `/* postgres.SetHiddenDashboardSections */
					INSERT INTO dashboard_hidden_sections (role, section, hidden_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
					string(role), string(s), nullID(a.ID)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func knownSection(s crm.DashboardSection) bool { return slices.Contains(crm.DashboardSections, s) }

// collaboratorArray matches ViewScope's collaborator branch, "x = ANY(ARRAY(
// SELECT … collaborations of the actor))", written so that a BitmapOr can
// use the branch's index for a list's first page.
var collaboratorArray = regexp.MustCompile(`= ANY\(ARRAY\((SELECT cc\.customer_id FROM customer_collaborators cc WHERE cc\.employee_id = \$\d+)\)\)`)

// filterScope is ViewScope for the dashboard's plans, which read a range of
// a covering index and test each row: there the collaborator branch is
// better an uncorrelated IN (SELECT …), which Postgres answers from a hash
// of the collaborations, than an array searched element by element (four
// times faster for a rep with 200 collaborations). The rows are the same;
// TestDashboardFiguresEqualDirectComputation checks them against
// crm.CanView.
func filterScope(a crm.Actor, res crm.Resource, alias string, args *Args) string {
	return collaboratorArray.ReplaceAllString(ViewScope(a, res, alias, args), "IN ($1)")
}

// scoped is the condition over alias of the records of kind res that a may
// view, narrowed by f's department and owner.
// Narrowed to a's own records (the salesperson filter set to a, or own
// reminders), it is OwnScope: the same rows, read from an owner index.
func scoped(f crm.DashboardFilter, a crm.Actor, res crm.Resource, alias string, args *Args) string {
	return scopedOwn(f, a, res, alias, args, false)
}

func scopedOwn(f crm.DashboardFilter, a crm.Actor, res crm.Resource, alias string, args *Args, own bool) string {
	var c string
	if own || f.OwnerID == a.ID {
		c = OwnScope(a, res, alias, args)
	} else {
		c = filterScope(a, res, alias, args)
	}
	if f.DepartmentID != 0 {
		c += " AND " + alias + ".department_id = " + args.Add(f.DepartmentID)
	}
	if f.OwnerID != 0 && f.OwnerID != a.ID {
		c += " AND " + alias + ".owner_id = " + args.Add(f.OwnerID)
	}
	return c
}

// DueCondition is the condition over leads or customers (res, alias) whose
// next follow-up is due: due "today" (some time today, not yet followed up)
// or "overdue" (on an earlier day and not followed up since); leads only
// while new or being followed. It is the one definition the dashboard's
// reminders and the lists' due filter share. "" for any other due.
func DueCondition(res crm.Resource, alias, due string, today time.Time, args *Args) string {
	c := alias + ".next_follow_up_at IS NOT NULL AND (" + alias + ".last_follow_up_at IS NULL OR " +
		alias + ".last_follow_up_at < " + alias + ".next_follow_up_at)"
	if res == crm.ResLead {
		c += " AND " + alias + ".status IN ('new', 'following')"
	}
	today = crm.DayStart(today)
	switch due {
	case "today":
		return c + " AND " + alias + ".next_follow_up_at >= " + args.Add(today) + " AND " + alias +
			".next_follow_up_at < " + args.Add(today.AddDate(0, 0, 1))
	case "overdue":
		return c + " AND " + alias + ".next_follow_up_at < " + args.Add(today)
	}
	return ""
}

// OrderDecidedCondition is the condition over orders (alias) decided on
// or after the day from and on or before the day to (either may be nil),
// shared by the dashboard and the order list's decided filter.
func OrderDecidedCondition(alias string, from, to *time.Time, args *Args) string {
	c := "TRUE"
	if from != nil {
		c += " AND " + alias + ".decided_at >= " + args.Add(crm.DayStart(*from))
	}
	if to != nil {
		c += " AND " + alias + ".decided_at < " + args.Add(crm.DayStart(*to).AddDate(0, 0, 1))
	}
	return c
}

// UnpaidCondition is the condition over orders (alias) that are approved
// and not paid in full: the receivables.
func UnpaidCondition(alias string) string {
	return alias + ".status = 'approved' AND " + alias + ".paid_amount < " + alias + ".total"
}

// keptSplit says how a's money and follow-up figures over whole months
// are read (migration 0012): for the departments a views whole
// (DepartmentBranch; all: every record) from monthly_figures, and for what
// a views outside them (OutsideScope: a manager's own, created, approved,
// customers' and collaborations' records of other departments) summed from
// the records. The two parts partition what a views, so the sum is the
// figure over exactly a's records. ok is false when a has no department
// branch (a rep): everything is summed from the records.
type keptSplit struct {
	ok    bool
	all   bool
	depts []int64
}

func figuresSplit(a crm.Actor) keptSplit {
	var k keptSplit
	for i, res := range []crm.Resource{crm.ResOrder, crm.ResPayment, crm.ResFollowUp} {
		depts, all := DepartmentBranch(a, res)
		if !all && len(depts) == 0 || i > 0 && (all != k.all || !slices.Equal(depts, k.depts)) {
			return keptSplit{}
		}
		k = keptSplit{ok: true, all: all, depts: depts}
	}
	return k
}

// wholeMonths: from is the first day of a month and to the last day of one.
func wholeMonths(from, to time.Time) bool {
	from, to = from.In(crm.Zone), to.In(crm.Zone)
	return from.Day() == 1 && to.AddDate(0, 0, 1).Day() == 1
}

// monthlyCond is the condition over monthly_figures (m) of k's departments
// in the months from the one of from to the one of to, narrowed by f's
// department and owner.
func monthlyCond(f crm.DashboardFilter, k keptSplit, from, to time.Time, args *Args) string {
	first := func(t time.Time) time.Time {
		t = t.In(crm.Zone)
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	c := "m.month >= " + args.Add(first(from)) + "::date AND m.month <= " + args.Add(first(to)) + "::date"
	if !k.all { // the three tables are under a customer: DepartmentBranch covers both departments
		d := args.Add(k.depts)
		c += " AND (m.department_id = ANY(" + d + "::bigint[]) OR m.customer_department_id = ANY(" + d + "::bigint[]))"
	}
	if f.DepartmentID != 0 {
		c += " AND m.department_id = " + args.Add(f.DepartmentID)
	}
	if f.OwnerID != 0 {
		c += " AND m.owner_id = " + args.Add(f.OwnerID)
	}
	return c
}

// outside is the condition over alias of the records of kind res that a
// views outside k's departments, narrowed by f's department and owner; ""
// when k covers everything.
func outside(f crm.DashboardFilter, a crm.Actor, k keptSplit, res crm.Resource, alias string, args *Args) string {
	if k.all {
		return ""
	}
	c := OutsideScope(a, res, alias, k.depts, args)
	if f.DepartmentID != 0 {
		c += " AND " + alias + ".department_id = " + args.Add(f.DepartmentID)
	}
	if f.OwnerID != 0 {
		c += " AND " + alias + ".owner_id = " + args.Add(f.OwnerID)
	}
	return c
}

// Dashboard computes the sections of f.Sections for a, in one round trip.
// Sections with money are left out for an actor who may not see money
// (crm.DashboardMoney), the ranking for one who does not lead a team.
func (db *DB) Dashboard(ctx context.Context, a crm.Actor, f crm.DashboardFilter) (crm.Dashboard, error) {
	var d crm.Dashboard
	on := func(s crm.DashboardSection) bool { return f.Sections[s] && crm.DashboardSectionOpen(a.Role, s) }
	money := crm.DashboardMoney(a)
	q := newDashQueue(a, f, &d)
	if on(crm.SectionKPI) && money {
		q.dealAndPaid()
	}
	if (on(crm.SectionKPI) || on(crm.SectionReceivables)) && money {
		q.receivables()
	}
	if on(crm.SectionKPI) || on(crm.SectionSources) {
		q.sources()
	}
	if on(crm.SectionKPI) || on(crm.SectionLevels) {
		q.levels()
	}
	if on(crm.SectionKPI) {
		q.weekAndApprovals()
	}
	if on(crm.SectionTrend) && money {
		q.trend()
	}
	if on(crm.SectionFunnel) {
		q.funnel()
	}
	if on(crm.SectionCampaigns) {
		db.queueCampaigns(q.b, a, f, &d)
	}
	if on(crm.SectionRanking) && money && crm.DashboardTeam(a) {
		q.ranking()
	}
	if on(crm.SectionFollowUps) {
		queueReminders(q.b, a, f, "today", &d.DueToday)
		queueReminders(q.b, a, f, "overdue", &d.Overdue)
	}
	if q.b.Len() == 0 {
		return d, nil
	}
	if err := db.readBatch(ctx, q.b); err != nil {
		return d, err
	}
	d.Outstanding.Amount = decimal.Zero
	for _, r := range d.Receivables {
		d.Outstanding.Amount = d.Outstanding.Amount.Add(r.Amount)
		d.Outstanding.Count += r.Count
	}
	return d, nil
}

// dashQueue is one dashboard's batch as it is queued: the actor and the
// filter, the period's bounds, how kept figures are read, and the figures
// the queries fill when the batch is read.
type dashQueue struct {
	b              *pgx.Batch
	a              crm.Actor
	f              crm.DashboardFilter
	d              *crm.Dashboard
	from, to       time.Time // [from, to): the period's moments
	fromDay, toDay any       // the period's first and last day, as date arguments
	split          keptSplit
	kept           bool // the period is whole months and split.ok: read monthly_figures
}

func newDashQueue(a crm.Actor, f crm.DashboardFilter, d *crm.Dashboard) *dashQueue {
	split := figuresSplit(a)
	return &dashQueue{b: &pgx.Batch{}, a: a, f: f, d: d,
		from: crm.DayStart(f.From), to: crm.DayStart(f.To).AddDate(0, 0, 1),
		fromDay: dateArg(&f.From), toDay: dateArg(&f.To),
		split: split, kept: split.ok && wholeMonths(f.From, f.To)}
}

// dealAndPaid queues 成交金额 and 回款金额 of the period.
func (q *dashQueue) dealAndPaid() {
	b, a, f, d, split := q.b, q.a, q.f, q.d, q.split
	from, to, fromDay, toDay := q.from, q.to, q.fromDay, q.toDay
	if q.kept {

		var args Args
		sql := `/* postgres.Dashboard deal and paid kept */
		SELECT coalesce(sum(x.da), 0), coalesce(sum(x.dc), 0), coalesce(sum(x.pa), 0), coalesce(sum(x.pc), 0) FROM (
		    SELECT m.deal_amount AS da, m.deal_count AS dc, m.paid_amount AS pa, m.paid_count AS pc
		    FROM monthly_figures m WHERE ` + monthlyCond(f, split, f.From, f.To, &args)
		if c := outside(f, a, split, crm.ResOrder, "od", &args); c != "" {
			sql += ` UNION ALL SELECT od.total, 1, 0, 0 FROM orders od WHERE od.status = 'approved' AND od.decided_at >= ` +
				args.Add(from) + ` AND od.decided_at < ` + args.Add(to) + ` AND ` + c
		}
		if c := outside(f, a, split, crm.ResPayment, "p", &args); c != "" {
			sql += ` UNION ALL SELECT 0, 0, p.amount, 1 FROM payments p WHERE p.confirmed AND p.paid_on >= ` +
				args.Add(fromDay) + `::date AND p.paid_on <= ` + args.Add(toDay) + `::date AND ` + c
		}
		b.Queue(sql+`) x`, args.List...).QueryRow(func(r pgx.Row) error {
			return r.Scan(&d.Deal.Amount, &d.Deal.Count, &d.Paid.Amount, &d.Paid.Count)
		})
		return
	}

	var args Args
	b.Queue(`/* postgres.Dashboard deal */
		SELECT coalesce(sum(od.total), 0), count(*) FROM orders od
		WHERE od.status = 'approved' AND od.decided_at >= `+args.Add(from)+` AND od.decided_at < `+args.Add(to)+
		` AND `+scoped(f, a, crm.ResOrder, "od", &args), args.List...).QueryRow(func(r pgx.Row) error {
		return r.Scan(&d.Deal.Amount, &d.Deal.Count)
	})
	args = Args{}
	b.Queue(`/* postgres.Dashboard paid */
		SELECT coalesce(sum(p.amount), 0), count(*) FROM payments p
		WHERE p.confirmed AND p.paid_on >= `+args.Add(fromDay)+`::date AND p.paid_on <= `+args.Add(toDay)+`::date`+
		` AND `+scoped(f, a, crm.ResPayment, "p", &args), args.List...).QueryRow(func(r pgx.Row) error {
		return r.Scan(&d.Paid.Amount, &d.Paid.Count)
	})
}

// receivables queues the open receivables by age.
func (q *dashQueue) receivables() {
	b, a, f, d := q.b, q.a, q.f, q.d

	today := f.Today()
	for _, ab := range crm.AgeBuckets {
		bk := crm.AgeBucket{Key: ab.Key, Figure: crm.Figure{Amount: decimal.Zero}}
		if ab.Max != 0 {
			t := today.AddDate(0, 0, -ab.Max)
			bk.From = &t
		}
		if ab.Min != 0 {
			t := today.AddDate(0, 0, -ab.Min)
			bk.To = &t
		}
		d.Receivables = append(d.Receivables, bk)
	}
	var args Args
	d30, d90 := args.Add(today.AddDate(0, 0, -30)), args.Add(today.AddDate(0, 0, -90))
	b.Queue(`/* postgres.Dashboard receivables */
		SELECT CASE WHEN od.decided_at >= `+d30+` THEN 0 WHEN od.decided_at >= `+d90+` THEN 1 ELSE 2 END,
		       count(*), coalesce(sum(od.total - od.paid_amount), 0)
		FROM orders od WHERE `+UnpaidCondition("od")+` AND `+scoped(f, a, crm.ResOrder, "od", &args)+` GROUP BY 1`,
		args.List...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var i int
			var fig crm.Figure
			if err := rows.Scan(&i, &fig.Count, &fig.Amount); err != nil {
				return err
			}
			d.Receivables[i].Figure = fig
		}
		return rows.Err()
	})
}

// sources queues the period's new leads by source.
func (q *dashQueue) sources() {
	b, a, f, d, from, to := q.b, q.a, q.f, q.d, q.from, q.to

	var args Args
	b.Queue(`/* postgres.Dashboard leads */
		SELECT x.id, coalesce(o.name, ''), coalesce(o.name_en, ''), x.n
		FROM (SELECT coalesce(l.source_id, 0) AS id, count(*) AS n FROM leads l
		      WHERE l.created_at >= `+args.Add(from)+` AND l.created_at < `+args.Add(to)+` AND `+
		scoped(f, a, crm.ResLead, "l", &args)+` GROUP BY 1) x
		LEFT JOIN options o ON o.id = x.id
		ORDER BY x.n DESC, o.position NULLS LAST, x.id`, args.List...).Query(func(rows pgx.Rows) error {
		var err error
		d.Sources, err = pgx.CollectRows(rows, pgx.RowToStructByPos[crm.OptionCount])
		for _, s := range d.Sources {
			d.NewLeads += s.Count
		}
		return err
	})
}

// levels queues the period's new customers by level.
func (q *dashQueue) levels() {
	b, a, f, d, from, to := q.b, q.a, q.f, q.d, q.from, q.to

	var args Args
	b.Queue(`/* postgres.Dashboard customers */
		SELECT x.id, coalesce(o.name, ''), coalesce(o.name_en, ''), x.n
		FROM (SELECT coalesce(c.level_id, 0) AS id, count(*) AS n FROM customers c
		      WHERE c.created_at >= `+args.Add(from)+` AND c.created_at < `+args.Add(to)+` AND `+
		scoped(f, a, crm.ResCustomer, "c", &args)+` GROUP BY 1) x
		LEFT JOIN options o ON o.id = x.id
		ORDER BY o.position NULLS LAST, x.id`, args.List...).Query(func(rows pgx.Rows) error {
		var err error
		d.Levels, err = pgx.CollectRows(rows, pgx.RowToStructByPos[crm.OptionCount])
		for _, s := range d.Levels {
			d.NewCustomers += s.Count
		}
		return err
	})
}

// weekAndApprovals queues this week's follow-ups and the orders waiting
// for a's decision.
func (q *dashQueue) weekAndApprovals() {
	b, a, f, d := q.b, q.a, q.f, q.d

	var args Args
	mon, sun := f.Week()
	b.Queue(`/* postgres.Dashboard week follow-ups */
		SELECT count(*) FROM follow_ups f WHERE f.followed_at >= `+args.Add(mon)+` AND f.followed_at < `+
		args.Add(sun.AddDate(0, 0, 1))+` AND `+scoped(f, a, crm.ResFollowUp, "f", &args), args.List...).QueryRow(func(r pgx.Row) error {
		return r.Scan(&d.WeekFollowUps)
	})
	if crm.CanSeeArea(a, crm.AreaApprovals) {
		args = Args{}
		b.Queue(`/* postgres.Dashboard approvals */ SELECT count(*) FROM orders o WHERE `+InboxScope(a, "o", &args),
			args.List...).QueryRow(func(r pgx.Row) error { return r.Scan(&d.Approvals) })
	}
}

// trend queues the twelve months of the trend chart.
func (q *dashQueue) trend() {
	b, a, f, d, split := q.b, q.a, q.f, q.d, q.split

	months := f.TrendMonths()
	index := map[string]int{}
	for i, m := range months {
		d.Trend = append(d.Trend, crm.MonthFigures{Month: m, Deal: crm.Figure{Amount: decimal.Zero}, Paid: crm.Figure{Amount: decimal.Zero}})
		index[m.Format("2006-01")] = i
	}
	start, end := months[0], months[11].AddDate(0, 1, 0)
	read := func(paid bool) func(pgx.Rows) error {
		return func(rows pgx.Rows) error {
			for rows.Next() {
				var m time.Time
				var fig crm.Figure
				if err := rows.Scan(&m, &fig.Amount, &fig.Count); err != nil {
					return err
				}
				month := m.Format("2006-01")
				if i, ok := index[month]; ok && paid {
					d.Trend[i].Paid = fig
				} else if ok {
					d.Trend[i].Deal = fig
				}
			}
			return rows.Err()
		}
	}
	if split.ok { // the twelve months are whole months
		var args Args
		sql := `/* postgres.Dashboard trend kept */
			SELECT x.month, coalesce(sum(x.da), 0), coalesce(sum(x.dc), 0), coalesce(sum(x.pa), 0), coalesce(sum(x.pc), 0) FROM (
			    SELECT m.month, m.deal_amount AS da, m.deal_count AS dc, m.paid_amount AS pa, m.paid_count AS pc
			    FROM monthly_figures m WHERE ` + monthlyCond(f, split, start, end.AddDate(0, 0, -1), &args)
		if c := outside(f, a, split, crm.ResOrder, "od", &args); c != "" {
			sql += ` UNION ALL SELECT date_trunc('month', od.decided_at AT TIME ZONE ` + args.Add(crm.Zone.String()) + `)::date,
			    od.total, 1, 0, 0 FROM orders od WHERE od.status = 'approved' AND od.decided_at >= ` + args.Add(start) +
				` AND od.decided_at < ` + args.Add(end) + ` AND ` + c
		}
		if c := outside(f, a, split, crm.ResPayment, "p", &args); c != "" {
			sql += ` UNION ALL SELECT date_trunc('month', p.paid_on)::date, 0, 0, p.amount, 1 FROM payments p
			    WHERE p.confirmed AND p.paid_on >= ` + args.Add(dateArg(&start)) + `::date AND p.paid_on < ` +
				args.Add(dateArg(&end)) + `::date AND ` + c
		}
		b.Queue(sql+`) x GROUP BY x.month`, args.List...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var m time.Time
				var deal, paid crm.Figure
				if err := rows.Scan(&m, &deal.Amount, &deal.Count, &paid.Amount, &paid.Count); err != nil {
					return err
				}
				if i, ok := index[m.Format("2006-01")]; ok {
					d.Trend[i].Deal, d.Trend[i].Paid = deal, paid
				}
			}
			return rows.Err()
		})
		return
	}

	var args Args
	b.Queue(`/* postgres.Dashboard trend deal */
		SELECT date_trunc('month', od.decided_at AT TIME ZONE `+args.Add(crm.Zone.String())+`), sum(od.total), count(*)
		FROM orders od WHERE od.status = 'approved' AND od.decided_at >= `+args.Add(start)+` AND od.decided_at < `+args.Add(end)+
		` AND `+scoped(f, a, crm.ResOrder, "od", &args)+` GROUP BY 1`, args.List...).Query(read(false))
	args = Args{}
	b.Queue(`/* postgres.Dashboard trend paid */
		SELECT date_trunc('month', p.paid_on::timestamp), sum(p.amount), count(*)
		FROM payments p WHERE p.confirmed AND p.paid_on >= `+args.Add(dateArg(&start))+`::date AND p.paid_on < `+
		args.Add(dateArg(&end))+`::date AND `+scoped(f, a, crm.ResPayment, "p", &args)+` GROUP BY 1`, args.List...).Query(read(true))
}

// funnel queues the period's opportunities by stage.
func (q *dashQueue) funnel() {
	b, a, f, d, from, to := q.b, q.a, q.f, q.d, q.from, q.to

	for _, s := range crm.OppStages {
		d.Funnel = append(d.Funnel, crm.StageFigures{Stage: s, Amount: decimal.Zero})
	}
	var args Args
	b.Queue(`/* postgres.Dashboard funnel */
		SELECT op.stage, count(*), coalesce(sum(op.expected_amount), 0) FROM opportunities op
		WHERE op.created_at >= `+args.Add(from)+` AND op.created_at < `+args.Add(to)+` AND `+
		scoped(f, a, crm.ResOpportunity, "op", &args)+` GROUP BY 1`, args.List...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var st crm.StageFigures
			if err := rows.Scan(&st.Stage, &st.Count, &st.Amount); err != nil {
				return err
			}
			for i := range d.Funnel {
				if d.Funnel[i].Stage == st.Stage {
					d.Funnel[i] = st
				}
			}
		}
		return rows.Err()
	})
}

// ranking queues the salespeople's figures of the period.
func (q *dashQueue) ranking() {
	if q.kept {
		q.rankingKept()
	} else {
		q.rankingSummed()
	}
}

// scanRank reads the ranking's rows into d.
func scanRank(d *crm.Dashboard) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		var err error
		d.Ranking, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.RankRow, error) {
			var x crm.RankRow
			err := r.Scan(&x.EmployeeID, &x.Name, &x.Deal.Amount, &x.Deal.Count, &x.Paid.Amount, &x.Paid.Count, &x.FollowUps)
			return x, err
		})
		return err
	}
}

// rankingKept is the ranking over whole months, from monthly_figures.
func (q *dashQueue) rankingKept() {
	b, a, f, split := q.b, q.a, q.f, q.split
	from, to, fromDay, toDay := q.from, q.to, q.fromDay, q.toDay

	var args Args
	sql := `/* postgres.Dashboard ranking kept */
		SELECT e.id, e.name, x.da, x.dc, x.pa, x.pc, x.fu
		FROM (SELECT y.o, sum(y.da) AS da, sum(y.dc) AS dc, sum(y.pa) AS pa, sum(y.pc) AS pc, sum(y.fu) AS fu FROM (
		          SELECT m.owner_id AS o, m.deal_amount AS da, m.deal_count AS dc, m.paid_amount AS pa, m.paid_count AS pc,
		                 m.follow_ups AS fu
		          FROM monthly_figures m WHERE ` + monthlyCond(f, split, f.From, f.To, &args) + ` AND m.owner_id <> 0`
	if c := outside(f, a, split, crm.ResOrder, "od", &args); c != "" {
		sql += ` UNION ALL SELECT od.owner_id, od.total, 1, 0, 0, 0 FROM orders od WHERE od.status = 'approved'
		    AND od.decided_at >= ` + args.Add(from) + ` AND od.decided_at < ` + args.Add(to) + ` AND od.owner_id IS NOT NULL AND ` + c
	}
	if c := outside(f, a, split, crm.ResPayment, "p", &args); c != "" {
		sql += ` UNION ALL SELECT p.owner_id, 0, 0, p.amount, 1, 0 FROM payments p WHERE p.confirmed
		    AND p.paid_on >= ` + args.Add(fromDay) + `::date AND p.paid_on <= ` + args.Add(toDay) + `::date AND p.owner_id IS NOT NULL AND ` + c
	}
	if c := outside(f, a, split, crm.ResFollowUp, "f", &args); c != "" {
		sql += ` UNION ALL SELECT f.owner_id, 0, 0, 0, 0, 1 FROM follow_ups f
		    WHERE f.followed_at >= ` + args.Add(from) + ` AND f.followed_at < ` + args.Add(to) + ` AND f.owner_id IS NOT NULL AND ` + c
	}
	b.Queue(sql+`) y GROUP BY y.o HAVING sum(y.dc) <> 0 OR sum(y.pc) <> 0 OR sum(y.fu) <> 0) x
		JOIN employees e ON e.id = x.o
		ORDER BY 3 DESC, 5 DESC, 7 DESC, e.name, e.id LIMIT `+strconv.Itoa(crm.RankRows), args.List...).Query(scanRank(q.d))
}

// rankingSummed is the ranking summed from the period's records.
func (q *dashQueue) rankingSummed() {
	b, a, f := q.b, q.a, q.f
	from, to, fromDay, toDay := q.from, q.to, q.fromDay, q.toDay

	var args Args
	fr, t := args.Add(from), args.Add(to)
	b.Queue(`/* postgres.Dashboard ranking */
		WITH d AS (SELECT od.owner_id AS id, sum(od.total) AS amount, count(*) AS n FROM orders od
		           WHERE od.status = 'approved' AND od.decided_at >= `+fr+` AND od.decided_at < `+t+` AND od.owner_id IS NOT NULL
		           AND `+scoped(f, a, crm.ResOrder, "od", &args)+` GROUP BY 1),
		     p AS (SELECT p.owner_id AS id, sum(p.amount) AS amount, count(*) AS n FROM payments p
		           WHERE p.confirmed AND p.paid_on >= `+args.Add(fromDay)+`::date AND p.paid_on <= `+args.Add(toDay)+`::date
		           AND p.owner_id IS NOT NULL AND `+scoped(f, a, crm.ResPayment, "p", &args)+` GROUP BY 1),
		     fu AS (SELECT f.owner_id AS id, count(*) AS n FROM follow_ups f
		           WHERE f.followed_at >= `+fr+` AND f.followed_at < `+t+` AND f.owner_id IS NOT NULL
		           AND `+scoped(f, a, crm.ResFollowUp, "f", &args)+` GROUP BY 1)
		SELECT e.id, e.name, coalesce(d.amount, 0), coalesce(d.n, 0), coalesce(p.amount, 0), coalesce(p.n, 0), coalesce(fu.n, 0)
		FROM (SELECT id FROM d UNION SELECT id FROM p UNION SELECT id FROM fu) x
		JOIN employees e ON e.id = x.id
		LEFT JOIN d ON d.id = x.id LEFT JOIN p ON p.id = x.id LEFT JOIN fu ON fu.id = x.id
		ORDER BY 3 DESC, 5 DESC, 7 DESC, e.name, e.id LIMIT `+strconv.Itoa(crm.RankRows), args.List...).Query(scanRank(q.d))
}

// readBatch sends the queued queries of a page in one read-only
// transaction, so that every figure is taken from the same snapshot.
// These are short aggregates over index ranges: JIT compilation, which
// the planner would start for their cost estimates, takes longer than
// running them.
func (db *DB) readBatch(ctx context.Context, b *pgx.Batch) error {
	return pgx.BeginTxFunc(ctx, db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// queueCampaigns adds the campaign table: the campaigns a may view that
// run during the period (no dates: always), with 线索数, 客户数 and 成交金额
// over the leads and customers a may view (narrowed by f's department and
// owner), the best 成交金额 first. For those who view every lead and
// customer, unfiltered, these are the figures kept on write.
func (db *DB) queueCampaigns(b *pgx.Batch, a crm.Actor, f crm.DashboardFilter, d *crm.Dashboard) {
	var args Args
	cond := ViewScope(a, crm.ResCampaign, "c", &args) +
		" AND (c.start_date IS NULL OR c.start_date <= " + args.Add(dateArg(&f.To)) + "::date)" +
		" AND (c.end_date IS NULL OR c.end_date >= " + args.Add(dateArg(&f.From)) + "::date)"
	seesAll := ViewScope(a, crm.ResLead, "x", &Args{}) == "TRUE" && ViewScope(a, crm.ResCustomer, "x", &Args{}) == "TRUE" &&
		f.DepartmentID == 0 && f.OwnerID == 0
	var sql string
	if seesAll {
		sql = `/* postgres.Dashboard campaigns kept */
			SELECT c.id, c.name, c.actual_cost, c.lead_count, c.customer_count, c.deal_amount, count(*) OVER ()
			FROM campaigns c WHERE ` + cond + `
			ORDER BY c.deal_amount DESC, c.lead_count DESC, c.id DESC LIMIT ` + strconv.Itoa(crm.CampaignRows)
	} else {
		sql = `/* postgres.Dashboard campaigns */
			WITH c AS (SELECT c.id, c.name, c.actual_cost FROM campaigns c WHERE ` + cond + `),
			     l AS (SELECT l.campaign_id AS id, count(*) AS n FROM leads l
			           WHERE l.campaign_id = ANY(ARRAY(SELECT id FROM c)) AND ` + scoped(f, a, crm.ResLead, "l", &args) + ` GROUP BY 1),
			     cu AS (SELECT cu.campaign_id AS id, count(*) AS n, sum(cu.deal_amount) AS amount FROM customers cu
			           WHERE cu.campaign_id = ANY(ARRAY(SELECT id FROM c)) AND ` + scoped(f, a, crm.ResCustomer, "cu", &args) + ` GROUP BY 1)
			SELECT c.id, c.name, c.actual_cost, coalesce(l.n, 0), coalesce(cu.n, 0), coalesce(cu.amount, 0), count(*) OVER ()
			FROM c LEFT JOIN l ON l.id = c.id LEFT JOIN cu ON cu.id = c.id
			ORDER BY 6 DESC, 4 DESC, c.id DESC LIMIT ` + strconv.Itoa(crm.CampaignRows)
	}
	b.Queue(sql, args.List...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var c crm.Campaign
			if err := rows.Scan(&c.ID, &c.Name, &c.ActualCost, &c.LeadCount, &c.CustomerCount, &c.DealAmount, &d.CampaignTotal); err != nil {
				return err
			}
			d.Campaigns = append(d.Campaigns, c)
		}
		return rows.Err()
	})
}

// queueReminders adds the leads and customers whose follow-up is due (due:
// "today" or "overdue"): the counts, capped like list totals, and the
// first ReminderItems of both, today's earliest first, the overdue most
// recent first.
func queueReminders(b *pgx.Batch, a crm.Actor, f crm.DashboardFilter, due string, out *crm.Reminders) {
	conds := func(res crm.Resource, alias string, args *Args) string {
		return DueCondition(res, alias, due, f.Now, args) + " AND " + scopedOwn(f, a, res, alias, args, f.OwnReminders)
	}
	for _, k := range []struct {
		res   crm.Resource
		table string
		out   *crm.Total
	}{{crm.ResLead, "leads", &out.Leads}, {crm.ResCustomer, "customers", &out.Customers}} {
		var args Args
		b.Queue(`/* postgres.Dashboard reminders count */
			SELECT count(*) FROM (SELECT 1 FROM `+k.table+` x WHERE `+conds(k.res, "x", &args)+` LIMIT `+strconv.Itoa(crm.CountCap+1)+`) y`,
			args.List...).QueryRow(func(r pgx.Row) error {
			var n int
			if err := r.Scan(&n); err != nil {
				return err
			}
			*k.out = crm.Total{N: n}
			if n > crm.CountCap {
				*k.out = crm.Total{N: crm.CountCap, Capped: true}
			}
			return nil
		})
	}
	dir := "ASC"
	if due == "overdue" {
		dir = "DESC"
	}
	var args Args
	lim := strconv.Itoa(crm.ReminderItems)
	b.Queue(`/* postgres.Dashboard reminders */
		SELECT * FROM (
		  (SELECT 'lead', x.id, x.name, coalesce(e.name, ''), x.next_follow_up_at FROM leads x
		   LEFT JOIN employees e ON e.id = x.owner_id WHERE `+conds(crm.ResLead, "x", &args)+`
		   ORDER BY x.next_follow_up_at `+dir+`, x.id LIMIT `+lim+`)
		  UNION ALL
		  (SELECT 'customer', x.id, x.name, coalesce(e.name, ''), x.next_follow_up_at FROM customers x
		   LEFT JOIN employees e ON e.id = x.owner_id WHERE `+conds(crm.ResCustomer, "x", &args)+`
		   ORDER BY x.next_follow_up_at `+dir+`, x.id LIMIT `+lim+`)) r
		ORDER BY 5 `+dir+`, 2 LIMIT `+lim, args.List...).Query(func(rows pgx.Rows) error {
		var err error
		out.Items, err = pgx.CollectRows(rows, pgx.RowToStructByPos[crm.Reminder])
		return err
	})
}

// MyReminders returns a's own leads and customers whose follow-up is due
// today and overdue (the daily reminder list of /notifications).
func (db *DB) MyReminders(ctx context.Context, a crm.Actor, now time.Time) (today, overdue crm.Reminders, err error) {
	b := &pgx.Batch{}
	f := crm.DashboardFilter{Now: now, OwnReminders: true}
	queueReminders(b, a, f, "today", &today)
	queueReminders(b, a, f, "overdue", &overdue)
	err = db.readBatch(ctx, b)
	return today, overdue, err
}
