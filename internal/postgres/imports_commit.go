package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// Apply writes the staged rows into t in a few set-based statements:
// every new row in one INSERT … SELECT, every update in one UPDATE … FROM
// (records whose values would not change are left alone), with one history
// entry per written record marked imported and naming the job (the hook
// for reverting an import). Then the table's own follow-up writes run (the
// department tree, primary contacts, the parents' follow-up times, the
// last administrator check). It counts what Write wrote before too.
func (s *ImportSession) Apply(ctx context.Context, t ImportTarget, jobID int64) (ImportApplied, error) {
	res := s.written
	if !s.staged {
		if err := s.Stage(ctx, t, nil); err != nil {
			return res, err
		}
	}
	switch t.Table {
	case "orders":
		n, err := s.applyOrders(ctx, jobID)
		return ImportApplied{Inserted: n}, err
	case "payments":
		n, err := s.applyPayments(ctx, jobID)
		return ImportApplied{Inserted: n}, err
	}
	before, err := importBefore(ctx, s.tx, t)
	if err != nil {
		return res, err
	}
	if s.pending {
		n, err := s.insertStaged(ctx, t, jobID, stagingTable)
		if err != nil {
			return res, translate(err)
		}
		res.Inserted += n
		if n, err = s.updateStaged(ctx, t, jobID, stagingTable, s.updates); err != nil {
			return res, translate(err)
		}
		res.Updated += n
	}
	return res, s.importAfter(ctx, t, before, jobID)
}

// importBefore takes the locks a table's import needs before it writes:
// the department tree (as UpdateDepartment does), the administrators (as
// UpdateEmployee does). It returns the number of active admins before.
func importBefore(ctx context.Context, tx pgx.Tx, t ImportTarget) (int, error) {
	switch t.Table {
	case "departments":
		_, err := tx.Exec(ctx, `/* postgres.importBefore departments */ LOCK TABLE departments IN SHARE ROW EXCLUSIVE MODE`)
		return 0, err
	case "employees":
		return lockAdmins(ctx, tx)
	}
	return 0, nil
}

// importAfter does what a table's own write paths do besides the row:
//   - departments: parents named in the file are linked (a parent may be a
//     department of the same file), and a tree that would loop is refused;
//   - employees: at least one active admin remains;
//   - contacts: a customer without a primary contact gets its oldest one;
//   - follow-ups: the lead's or customer's last and next follow-up times
//     move, and a 未跟进 lead becomes 跟进中 — with an entry in the parent's
//     history (imported, naming the job, with the values before and after,
//     so that a revert can put back what nobody has changed since).
//
// The campaigns' and leads' figures follow from the statement triggers of
// leads and customers.
func (s *ImportSession) importAfter(ctx context.Context, t ImportTarget, admins int, jobID int64) error {
	tx := s.tx
	switch t.Table {
	case "departments":
		if _, err := tx.Exec(ctx, `/* postgres.importAfter department parents */
			UPDATE departments d SET parent_id = p.id, updated_at = now()
			FROM `+stagingTable+` s JOIN departments p ON p.name = s.parent_name
			WHERE d.name = s.name AND s.parent_name <> '' AND d.parent_id IS DISTINCT FROM p.id`); err != nil {
			return translate(err)
		}
		var loop string
		if err := tx.QueryRow(ctx, `/* postgres.importAfter department cycle */
			WITH RECURSIVE up AS (
			    SELECT d.id AS start, d.parent_id AS cur, 1 AS depth
			    FROM departments d JOIN `+stagingTable+` s ON s.name = d.name WHERE d.parent_id IS NOT NULL
			    UNION ALL
			    SELECT up.start, d.parent_id, up.depth + 1 FROM up JOIN departments d ON d.id = up.cur
			    WHERE d.parent_id IS NOT NULL AND up.cur <> up.start AND up.depth < 1000)
			SELECT coalesce(min(d.name), '') FROM up JOIN departments d ON d.id = up.start WHERE up.cur = up.start`).Scan(&loop); err != nil {
			return err
		}
		if loop != "" {
			return crm.Errorf(crm.EINVALID, "import.department_cycle", loop)
		}
	case "employees":
		return requireAdmin(ctx, tx, admins, "")
	case "contacts":
		_, err := tx.Exec(ctx, `/* postgres.importAfter primary contacts */
			UPDATE contacts c SET is_primary = true
			FROM (SELECT DISTINCT ON (ct.customer_id) ct.id FROM contacts ct
			      WHERE ct.customer_id IN (SELECT s.customer_id FROM `+stagingTable+` s WHERE s.id IS NULL)
			        AND NOT EXISTS (SELECT 1 FROM contacts p WHERE p.customer_id = ct.customer_id AND p.is_primary)
			      ORDER BY ct.customer_id, ct.created_at, ct.id) first
			WHERE c.id = first.id`)
		return err
	case "follow_ups":
		return s.followUpParents(ctx, jobID)
	}
	return nil
}

// Orders and payments (imported history, admin only). An order arrives as
// its lines, staged one row each with the order's own columns repeated
// (position 1 carries them for the order); a payment as one row.

// applyOrders writes the staged new orders with their lines and history,
// as CreateOrder would, with the status the file gives (草稿 or 已通过):
//   - the customers of approved orders are locked first (the lock order
//     of the approval workflow), then their 成交金额, 成交次数 and stage
//     move exactly as addDeal moves them, one 'deal' history entry per
//     customer; the triggers carry the change on to campaigns and leads;
//   - an approved order is decided by the importer on its sign date (the
//     day its deal counts on the dashboards), or now without one;
//   - the file's numbers are kept; a number of the CRM's own form
//     (DD-2026-00042) moves the year's DD counter past it, so that the CRM
//     never hands it out again.
//
// It returns the number of lines written.
func (s *ImportSession) applyOrders(ctx context.Context, jobID int64) (int, error) {
	if _, err := s.tx.Exec(ctx, `/* postgres.applyOrders lock customers */
		SELECT 1 FROM customers WHERE id IN (SELECT s.customer_id FROM `+stagingTable+` s
		                                     WHERE s.id IS NULL AND s.position = 1 AND s.status = 'approved')
		ORDER BY id FOR NO KEY UPDATE`); err != nil {
		return 0, err
	}
	var lines int
	var ids []int64
	err := s.tx.QueryRow(ctx, `/* postgres.applyOrders */
		WITH ins AS (
		         INSERT INTO orders (number, customer_id, sign_date, status, total, notes, owner_id, department_id, created_by,
		                             customer_owner_id, customer_department_id, decided_by, decided_at)
		         SELECT s.number, s.customer_id, s.sign_date, s.status, s.total, s.notes, s.owner_id, s.department_id, s.created_by,
		                s.customer_owner_id, s.customer_department_id,
		                CASE WHEN s.status = 'approved' THEN $2::bigint END,
		                CASE WHEN s.status = 'approved' THEN coalesce(s.sign_date::timestamp AT TIME ZONE $4, now()) END
		         FROM `+stagingTable+` s WHERE s.id IS NULL AND s.position = 1 ORDER BY s.row_no
		         RETURNING id, number, status, total),
		     ln AS (
		         INSERT INTO order_lines (order_id, position, product_id, unit_price, discount, quantity, subtotal)
		         SELECT ins.id, s.position, s.product_id, s.unit_price, s.discount, s.quantity, s.subtotal
		         FROM `+stagingTable+` s JOIN ins ON ins.number = s.number WHERE s.id IS NULL
		         RETURNING 1),
		     h AS (
		         INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
		         SELECT $1, ins.id, $2, 'create', jsonb_build_array(
		                    jsonb_build_object('f', 'doc_number', 'o', '', 'n', ins.number),
		                    jsonb_build_object('f', 'doc_total', 'o', '', 'n', ins.total::text),
		                    jsonb_build_object('f', 'order_status', 'o', '', 'n', ins.status)), true, $3
		         FROM ins)
		SELECT (SELECT count(*) FROM ln), coalesce((SELECT array_agg(id) FROM ins WHERE status = 'approved'), '{}')`,
		string(crm.ResOrder), s.actor.ID, jobID, crm.Zone.String()).Scan(&lines, &ids)
	if err != nil {
		return 0, translate(err)
	}
	if err := moveDealFigures(ctx, s.tx, ids, +1, figureHistory{actor: s.actor.ID, action: "deal", job: jobID}); err != nil {
		return 0, err
	}
	_, err = s.tx.Exec(ctx, `/* postgres.applyOrders counters */
		INSERT INTO doc_counters (kind, year, last)
		SELECT $1, m[1]::int, max(m[2]::int)
		FROM (SELECT regexp_match(s.number, '^`+orderDoc.kind+`-([0-9]{4})-([0-9]{1,9})$') AS m
		      FROM `+stagingTable+` s WHERE s.id IS NULL AND s.position = 1) x
		WHERE m IS NOT NULL GROUP BY m[1]
		ON CONFLICT (kind, year) DO UPDATE SET last = greatest(doc_counters.last, excluded.last)`, orderDoc.kind)
	return lines, err
}

// applyPayments writes the staged new payments with their history, as
// CreatePayment would, confirmed or not as the file says. Confirmed ones
// are confirmed by the importer on their payment day and move their
// order's 已回款金额 and their customer's 回款金额 as confirmMoney does,
// under the same locks (the customers, then the orders); the confirmed
// payments of an order may not pass its total — ECONFLICT
// "import.payments_exceed" naming the order (the file was checked, but the
// order may have been paid meanwhile) — and go only against approved
// orders. It returns the number of payments written.
func (s *ImportSession) applyPayments(ctx context.Context, jobID int64) (int, error) {
	const confirmed = `SELECT s.order_id, s.customer_id, s.amount FROM ` + stagingTable + ` s WHERE s.id IS NULL AND s.confirmed`
	if _, err := s.tx.Exec(ctx, `/* postgres.applyPayments lock customers */
		SELECT 1 FROM customers WHERE id IN (SELECT customer_id FROM (`+confirmed+`) c) ORDER BY id FOR NO KEY UPDATE`); err != nil {
		return 0, err
	}
	if _, err := s.tx.Exec(ctx, `/* postgres.applyPayments lock orders */
		SELECT 1 FROM orders WHERE id IN (SELECT s.order_id FROM `+stagingTable+` s WHERE s.id IS NULL) ORDER BY id FOR NO KEY UPDATE`); err != nil {
		return 0, err
	}
	var number string
	var left decimal.Decimal
	err := s.tx.QueryRow(ctx, `/* postgres.applyPayments check */
		SELECT o.number, o.total - o.paid_amount FROM orders o
		JOIN (SELECT order_id, sum(amount) AS amount FROM (`+confirmed+`) c GROUP BY order_id) d ON d.order_id = o.id
		WHERE o.paid_amount + d.amount > o.total
		UNION ALL
		SELECT o.number, 0 FROM orders o WHERE o.id IN (SELECT s.order_id FROM `+stagingTable+` s WHERE s.id IS NULL)
		  AND o.status <> 'approved'
		LIMIT 1`).Scan(&number, &left)
	switch {
	case err == nil:
		return 0, crm.Errorf(crm.ECONFLICT, "import.payments_exceed", number, crm.FormatMoney(left))
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, err
	}
	var n int
	var ids []int64
	err = s.tx.QueryRow(ctx, `/* postgres.applyPayments */
		WITH ins AS (
		         INSERT INTO payments (order_id, customer_id, amount, paid_on, method, notes, confirmed, confirmed_by, confirmed_at,
		                               owner_id, department_id, created_by, customer_owner_id, customer_department_id)
		         SELECT s.order_id, s.customer_id, s.amount, s.paid_on, s.method, s.notes, s.confirmed,
		                CASE WHEN s.confirmed THEN $2::bigint END,
		                CASE WHEN s.confirmed THEN s.paid_on::timestamp AT TIME ZONE $4 END,
		                s.owner_id, s.department_id, s.created_by, s.customer_owner_id, s.customer_department_id
		         FROM `+stagingTable+` s WHERE s.id IS NULL ORDER BY s.row_no
		         RETURNING id, amount, confirmed),
		     h AS (
		         INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
		         SELECT $1, ins.id, $2, a.action, jsonb_build_array(jsonb_build_object('f', 'payment_amount',
		                'o', '', 'n', ins.amount::text)), true, $3
		         FROM ins CROSS JOIN LATERAL (VALUES ('create', true), ('confirm', ins.confirmed)) a(action, keep) WHERE a.keep)
		SELECT count(*), coalesce(array_agg(id) FILTER (WHERE confirmed), '{}') FROM ins`,
		string(crm.ResPayment), s.actor.ID, jobID, crm.Zone.String()).Scan(&n, &ids)
	if err != nil {
		return 0, translate(err)
	}
	if err := moveMoneyFigures(ctx, s.tx, "payments", "paid_amount", ids, +1); err != nil {
		return 0, importCheckError(err)
	}
	return n, nil
}

// importCheckError turns the orders' check of paid amounts into the
// message of a payment import that would pass an order's total.
func importCheckError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.ConstraintName == "orders_paid_within_total" {
		return crm.Errorf(crm.ECONFLICT, "import.payments_exceed_any")
	}
	return err
}

// followUpParents moves the parents of the follow-ups the import created
// as recording them does (touchFollowedUp), with an entry in each changed
// parent's history: imported, naming the job, with the values before and
// after, so that a revert can put back what nobody has changed since.
func (s *ImportSession) followUpParents(ctx context.Context, jobID int64) error {
	var ids []int64
	if err := s.tx.QueryRow(ctx, `/* postgres.followUpParents ids */
		SELECT coalesce(array_agg(record_id), '{}') FROM history
		WHERE import_job_id = $1 AND resource = $2 AND action = 'create'`, jobID, string(crm.ResFollowUp)).Scan(&ids); err != nil {
		return err
	}
	parents := []struct {
		table, col string
		res        crm.Resource
	}{{"leads", "lead_id", crm.ResLead}, {"customers", "customer_id", crm.ResCustomer}}
	for _, p := range parents {
		if _, err := s.tx.Exec(ctx, `/* postgres.followUpParents before */
			CREATE TEMP TABLE import_before_`+p.table+` ON COMMIT DROP AS
			SELECT `+parentValues(p.res)+` FROM `+p.table+` x
			WHERE x.id IN (SELECT f.`+p.col+` FROM follow_ups f WHERE f.id = ANY($1::bigint[]))`, ids); err != nil {
			return err
		}
	}
	if err := touchFollowedUp(ctx, s.tx, ids); err != nil {
		return err
	}
	for _, p := range parents {
		changes := `jsonb_build_array(jsonb_build_object('f', 'next_follow_up_at',
			'o', coalesce(to_char(o.next_follow_up_at, 'YYYY-MM-DD HH24:MI'), ''), 'n', coalesce(to_char(u.next_follow_up_at, 'YYYY-MM-DD HH24:MI'), '')))`
		if p.res == crm.ResLead {
			changes += ` || jsonb_build_array(jsonb_build_object('f', 'status', 'o', o.status, 'n', u.status))`
		}
		if _, err := s.tx.Exec(ctx, `/* postgres.followUpParents history */
			WITH u AS (SELECT `+parentValues(p.res)+` FROM `+p.table+` x JOIN import_before_`+p.table+` b ON b.id = x.id)
			INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id, import_values)
			SELECT $1, u.id, $2, 'update', (SELECT coalesce(jsonb_agg(c), '[]') FROM jsonb_array_elements(`+changes+`) c
			                                WHERE c->>'o' <> c->>'n'),
			       true, $3, jsonb_build_object('old', o.raw, 'new', u.raw)
			FROM u JOIN import_before_`+p.table+` o ON o.id = u.id WHERE u.raw <> o.raw`, string(p.res), s.actor.ID, jobID); err != nil {
			return err
		}
	}
	return nil
}

// parentValues are the columns of a follow-up's parent x (a lead or a
// customer) that recording follow-ups moves and a revert puts back, with
// raw: them as the jsonb of history.import_values.
func parentValues(res crm.Resource) string {
	if res == crm.ResLead {
		return `x.id, x.next_follow_up_at, x.status,
			jsonb_build_object('next_follow_up_at', x.next_follow_up_at, 'status', x.status) AS raw`
	}
	return `x.id, x.next_follow_up_at, jsonb_build_object('next_follow_up_at', x.next_follow_up_at) AS raw`
}
