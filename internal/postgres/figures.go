package postgres

import "context"

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
