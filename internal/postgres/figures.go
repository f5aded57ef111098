package postgres

import (
	"context"

	"crm/internal/crm"

	"github.com/jackc/pgx/v5"
)

// KeptFiguresDrift counts the kept figures that differ from their records:
// the board's per-stage counts and sums (migration 0011) and the
// dashboard's monthly figures (migration 0012). Both are zero whenever the
// triggers did their work; the tests of the write paths and of the
// generator (which fills them itself, triggers off) check that.
func (db *DB) KeptFiguresDrift(ctx context.Context) (board, monthly int, err error) {
	err = db.Pool.QueryRow(ctx, `/* postgres.KeptFiguresDrift */
		SELECT (SELECT count(*) FROM opportunity_stage_figures s
		        LEFT JOIN (SELECT stage, count(*) AS n, sum(expected_amount) AS amount FROM opportunities GROUP BY stage) x
		               ON x.stage = s.stage
		        WHERE s.n <> coalesce(x.n, 0) OR s.amount <> coalesce(x.amount, 0)),
		       (WITH r AS (
		            SELECT date_trunc('month', decided_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(owner_id, 0) AS o,
		                   coalesce(department_id, 0) AS d, coalesce(customer_department_id, 0) AS cd,
		                   total AS da, 1 AS dc, 0 AS pa, 0 AS pc, 0 AS fu
		            FROM orders WHERE status = 'approved'
		            UNION ALL SELECT date_trunc('month', paid_on)::date, coalesce(owner_id, 0), coalesce(department_id, 0),
		                   coalesce(customer_department_id, 0), 0, 0, amount, 1, 0
		            FROM payments WHERE confirmed
		            UNION ALL SELECT date_trunc('month', followed_at AT TIME ZONE 'Asia/Shanghai')::date, coalesce(owner_id, 0),
		                   coalesce(department_id, 0), coalesce(customer_department_id, 0), 0, 0, 0, 0, 1
		            FROM follow_ups),
		        want AS (SELECT month, o, d, cd, sum(da) AS da, sum(dc) AS dc, sum(pa) AS pa, sum(pc) AS pc, sum(fu) AS fu
		                 FROM r GROUP BY 1, 2, 3, 4)
		        SELECT count(*) FROM want FULL JOIN monthly_figures m
		               ON m.month = want.month AND m.owner_id = want.o AND m.department_id = want.d
		              AND m.customer_department_id = want.cd
		        WHERE coalesce(m.deal_amount, 0) <> coalesce(want.da, 0) OR coalesce(m.deal_count, 0) <> coalesce(want.dc, 0)
		           OR coalesce(m.paid_amount, 0) <> coalesce(want.pa, 0) OR coalesce(m.paid_count, 0) <> coalesce(want.pc, 0)
		           OR coalesce(m.follow_ups, 0) <> coalesce(want.fu, 0))`).Scan(&board, &monthly)
	return board, monthly, err
}

// The figures a workflow step moves on the records above the one it
// writes — a customer's 成交金额/成交次数/stage when an order is approved,
// an order's and its customer's 已回款/已开票 when a payment or invoice is
// confirmed, a lead's or customer's last and next follow-up (and a new
// lead's status) when a follow-up is recorded — are moved by the set-based
// functions below, over ids: the single-record workflow calls them with one
// id, an import's commit or revert with every record it writes, the demo
// seed with its own. They stay Go rather than triggers (as the board's and
// the dashboard's kept figures are, migrations 0011/0012) because each is a
// step of a workflow, not a sum: the deal figures write the customer's
// history entry (naming the actor, or the import job), the paid figures are
// checked against the order's total first with their own message, and the
// follow-up times move only when a follow-up is recorded (editing or
// deleting one leaves them, and an import's revert restores them from its
// own history) — none of which a statement trigger knows.

// figureHistory is who a figure's history entry names: the actor, the
// action, and the import job that wrote it (0: none; the entry is then not
// marked imported).
type figureHistory struct {
	actor  int64
	action string
	job    int64
}

// dealChanges is the history of a customer's deal figures moving from o to
// u (crm.Diff of the three: only what changed).
const dealChanges = `(SELECT coalesce(jsonb_agg(c ORDER BY i), '[]') FROM (VALUES
	(1, jsonb_build_object('f', 'deal_amount', 'o', o.deal_amount::text, 'n', u.deal_amount::text)),
	(2, jsonb_build_object('f', 'deal_count', 'o', o.deal_count::text, 'n', u.deal_count::text)),
	(3, jsonb_build_object('f', 'stage', 'o', o.stage, 'n', u.stage))) v(i, c) WHERE c->>'o' <> c->>'n')`

// moveDealFigures moves the customers of the approved orders among
// orderIDs: sign +1 (an approval, an import) adds each order's total to its
// customer's 成交金额 and one to its 成交次数, and the customer is 已成交
// (won); sign -1 (a revert) takes them off again, and a customer with no
// deal left is 潜在客户 (potential) again. One history entry per customer
// (by h; it names no order: marketing views customers and their history,
// but no order, SPEC §3 rule 2). The caller holds the customers' row locks
// (the lock order of the approval workflow: customers first).
func moveDealFigures(ctx context.Context, tx pgx.Tx, orderIDs []int64, sign int, h figureHistory) error {
	_, err := tx.Exec(ctx, `/* postgres.moveDealFigures */
		WITH d AS (SELECT customer_id, sum(total) AS amount, count(*) AS n FROM orders
		           WHERE id = ANY($1::bigint[]) AND status = 'approved' GROUP BY customer_id),
		     o AS (SELECT c.id, c.deal_amount, c.deal_count, c.stage FROM customers c JOIN d ON d.customer_id = c.id),
		     u AS (UPDATE customers c SET deal_amount = c.deal_amount + $2::int * d.amount, deal_count = c.deal_count + $2::int * d.n,
		                  stage = CASE WHEN $2::int > 0 THEN 'won' WHEN c.deal_count - d.n = 0 THEN 'potential' ELSE c.stage END
		           FROM d WHERE c.id = d.customer_id RETURNING c.id, c.deal_amount, c.deal_count, c.stage)
		INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
		SELECT $3, u.id, $4, $5, `+dealChanges+`, $6::bigint IS NOT NULL, $6 FROM u JOIN o ON o.id = u.id`,
		orderIDs, sign, string(crm.ResCustomer), nullID(h.actor), h.action, nullID(h.job))
	return translate(err)
}

// moveMoneyFigures moves the figure (paid_amount, invoiced_amount) of the
// orders and customers of the confirmed records among ids of table
// (payments, invoices) by sign times their amounts: +1 as they are
// confirmed (or imported confirmed), -1 as a revert removes them. The
// caller has locked the customers, then the orders, and checked the orders'
// totals; the orders' check constraint (orders_paid_within_total) still
// refuses a payment past the total.
func moveMoneyFigures(ctx context.Context, tx pgx.Tx, table, figure string, ids []int64, sign int) error {
	for _, fig := range []struct{ table, key string }{{"customers", "customer_id"}, {"orders", "order_id"}} {
		if _, err := tx.Exec(ctx, `/* postgres.moveMoneyFigures `+fig.table+` */
			UPDATE `+fig.table+` x SET `+figure+` = x.`+figure+` + $2::int * d.amount
			FROM (SELECT `+fig.key+` AS id, sum(amount) AS amount FROM `+table+`
			      WHERE id = ANY($1::bigint[]) AND confirmed GROUP BY `+fig.key+`) d
			WHERE x.id = d.id`, ids, sign); err != nil {
			return err
		}
	}
	return nil
}

// touchFollowedUp moves what the follow-ups followUpIDs (just recorded)
// move on their parents: a lead's or customer's last follow-up time is the
// latest of its old one and theirs, its next one that of the latest of them
// (kept when that has none), and a 未跟进 (new) lead becomes 跟进中
// (following); an opportunity's last follow-up time moves likewise.
func touchFollowedUp(ctx context.Context, tx pgx.Tx, followUpIDs []int64) error {
	for _, p := range []struct{ table, col, set string }{
		{"leads", "lead_id", `, next_follow_up_at = coalesce(f.next, x.next_follow_up_at),
		                      status = CASE WHEN x.status = 'new' THEN 'following' ELSE x.status END`},
		{"customers", "customer_id", `, next_follow_up_at = coalesce(f.next, x.next_follow_up_at)`},
		{"opportunities", "opportunity_id", ``},
	} {
		if _, err := tx.Exec(ctx, `/* postgres.touchFollowedUp `+p.table+` */
			WITH f AS (SELECT `+p.col+` AS parent, max(followed_at) AS last,
			                  (array_agg(next_at ORDER BY followed_at DESC, id DESC))[1] AS next
			           FROM follow_ups WHERE id = ANY($1::bigint[]) AND `+p.col+` IS NOT NULL GROUP BY `+p.col+`)
			UPDATE `+p.table+` x SET last_follow_up_at = greatest(x.last_follow_up_at, f.last)`+p.set+`
			FROM f WHERE x.id = f.parent`, followUpIDs); err != nil {
			return err
		}
	}
	return nil
}
