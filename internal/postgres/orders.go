package postgres

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// Orders (合同订单) and their approval (审批, SPEC §5). An order is edited
// while it is a draft or rejected; submitting makes it pending with the
// head of its customer's current department as approver (approverFor: the
// nearest head up the tree; none → any management user decides); the
// approver, management or admin approve or reject it once; the submitter
// may withdraw it while pending. Pending and approved orders are locked
// (crm.Order.Locked): nobody edits or deletes them.
//
// Every step is a conditional UPDATE … WHERE status = … RETURNING inside
// its transaction, so that two steps racing leave exactly one: the other
// finds no row and gets ECONFLICT. Approving moves the customer's 成交金额,
// 成交次数 and stage in the same transaction; the triggers of migration
// 0002 carry the change on to the customer's campaign and origin lead.

const orderFrom = `orders od
	JOIN customers cu ON cu.id = od.customer_id
	LEFT JOIN opportunities op ON op.id = od.opportunity_id
	LEFT JOIN quotes qt ON qt.id = od.quote_id
	LEFT JOIN employees ap ON ap.id = od.approver_id
	LEFT JOIN employees sb ON sb.id = od.submitted_by
	LEFT JOIN employees dc ON dc.id = od.decided_by
	LEFT JOIN employees o ON o.id = od.owner_id
	LEFT JOIN departments d ON d.id = od.department_id
	LEFT JOIN employees cb ON cb.id = od.created_by`

const orderColumns = `od.id, od.number, coalesce(od.opportunity_id, 0), coalesce(op.name, ''), coalesce(od.quote_id, 0),
	coalesce(qt.number, ''), od.sign_date, od.status, od.total, od.paid_amount, od.invoiced_amount, od.notes,
	coalesce(od.approver_id, 0), coalesce(ap.name, ''), coalesce(od.submitted_by, 0), coalesce(sb.name, ''), od.submitted_at,
	coalesce(od.decided_by, 0), coalesce(dc.name, ''), od.decided_at, od.decision_comment,
	od.customer_id, cu.name, coalesce(od.customer_owner_id, 0), coalesce(od.customer_department_id, 0),
	coalesce(od.owner_id, 0), coalesce(o.name, ''), coalesce(od.department_id, 0), coalesce(d.name, ''),
	od.created_by, coalesce(cb.name, ''), od.created_at, od.updated_at, od.is_demo`

func scanOrder(r pgx.CollectableRow) (crm.Order, error) {
	var o crm.Order
	err := r.Scan(&o.ID, &o.Number, &o.OpportunityID, &o.OpportunityName, &o.QuoteID,
		&o.QuoteNumber, &o.SignDate, &o.Status, &o.Total, &o.PaidAmount, &o.InvoicedAmount, &o.Notes,
		&o.ApproverID, &o.ApproverName, &o.SubmittedBy, &o.SubmittedByName, &o.SubmittedAt,
		&o.DecidedBy, &o.DecidedByName, &o.DecidedAt, &o.DecisionComment,
		&o.CustomerID, &o.Parent.Name, &o.CustomerOwnerID, &o.CustomerDepartmentID,
		&o.OwnerID, &o.OwnerName, &o.DepartmentID, &o.DepartmentName,
		&o.CreatedBy, &o.CreatedByName, &o.CreatedAt, &o.UpdatedAt, &o.IsDemo)
	o.SignDate = businessDay(o.SignDate)
	return o, err
}

var orderSorts = map[string]string{
	"created":   "od.created_at, od.id",
	"number":    "od.number, od.id",
	"sign":      "od.sign_date NULLS FIRST, od.id",
	"total":     "od.total, od.id",
	"status":    "od.status, od.id",
	"submitted": "od.submitted_at NULLS FIRST, od.id",
	"decided":   "od.decided_at NULLS FIRST, od.id",
}

// orderRead reads orders with their lines and their customer's
// collaborators (for the policy).
var orderRead = dealRead[crm.Order]{name: "Order", res: crm.ResOrder, table: "orders", alias: "od",
	columns: orderColumns, from: orderFrom, scan: scanOrder,
	more: func(ctx context.Context, q collabQuerier, o *crm.Order) (err error) {
		if o.Collaborators, err = collaboratorIDs(ctx, q, o.CustomerID); err != nil {
			return err
		}
		o.Lines, err = docLines(ctx, q, orderDoc, o.ID)
		return err
	}}

// orderQuery builds the conditions of f for a: the permission condition
// first, then the tab's and the filters'.
func orderQuery(a crm.Actor, f crm.OrderFilter) *query {
	var q query
	q.scope(a, crm.ResOrder, "od", f.Tab)
	q.search("od.number", f.Query)
	if f.Status != "" {
		q.and("od.status = " + q.arg(string(f.Status)))
	}
	if f.CustomerID != 0 {
		q.and("od.customer_id = " + q.arg(f.CustomerID))
	}
	if f.OpportunityID != 0 {
		q.and("od.opportunity_id = " + q.arg(f.OpportunityID))
	}
	if f.ApproverID != 0 {
		q.and("od.approver_id = " + q.arg(f.ApproverID))
	}
	if f.Inbox {
		q.and(InboxScope(a, "od", &q.args))
	}
	if f.SubmittedBy != 0 {
		q.and("od.submitted_by = " + q.arg(f.SubmittedBy))
	}
	if f.DecidedBy != 0 {
		q.and("od.decided_by = " + q.arg(f.DecidedBy))
	}
	if f.OwnerID != 0 {
		q.and("od.owner_id = " + q.arg(f.OwnerID))
	}
	if f.DepartmentID != 0 {
		q.and("od.department_id = " + q.arg(f.DepartmentID))
	}
	if f.DecidedFrom != nil || f.DecidedTo != nil {
		q.and(OrderDecidedCondition("od", f.DecidedFrom, f.DecidedTo, &q.args))
	}
	if f.Unpaid {
		q.and(UnpaidCondition("od"))
	}
	return &q
}

// FindOrders returns one page of the orders a may view that match f, and
// their (capped) total. The permission condition is part of the SQL.
func (db *DB) FindOrders(ctx context.Context, a crm.Actor, f crm.OrderFilter) ([]crm.Order, crm.Total, error) {
	order := orderBy(orderSorts, f.Sort, f.Desc, "od.created_at DESC, od.id DESC")
	return orderRead.find(ctx, db, "FindOrders", orderQuery(a, f), order, f.Page)
}

// CountApprovals counts a's approval tabs, each among the orders a may view.
func (db *DB) CountApprovals(ctx context.Context, a crm.Actor) (crm.ApprovalCounts, error) {
	var c crm.ApprovalCounts
	var err error
	all := crm.ListQuery{Tab: crm.TabAll}
	for _, t := range []struct {
		f   crm.OrderFilter
		out *crm.Total
	}{
		{crm.OrderFilter{ListQuery: all, Inbox: true}, &c.Inbox},
		{crm.OrderFilter{ListQuery: all, SubmittedBy: a.ID}, &c.Mine},
		{crm.OrderFilter{ListQuery: all, DecidedBy: a.ID}, &c.Done},
	} {
		if *t.out, err = orderQuery(a, t.f).count(ctx, db, "CountApprovals", "orders od"); err != nil {
			return c, err
		}
	}
	return c, nil
}

// OrderByID returns an order a may view, with its lines, the names of its
// approver, submitter and decider, and its customer's collaborators (for
// the policy); ENOTFOUND if it does not exist or a may not view it.
func (db *DB) OrderByID(ctx context.Context, a crm.Actor, id int64) (crm.Order, error) {
	return orderRead.byID(ctx, db, a, id)
}

// CreateOrder adds a draft order under a customer a may view (ENOTFOUND
// otherwise) and may add records under (crm.CanAddUnder, EFORBIDDEN
// otherwise), with an optional opportunity of that customer. It takes the
// next DD number, prices the lines, and is owned by its creator. Returns
// the order's id.
func (db *DB) CreateOrder(ctx context.Context, a crm.Actor, in crm.OrderInput) (int64, error) {
	if !crm.CanCreate(a, crm.ResOrder) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) (err error) {
		id, err = createDoc(ctx, tx, a, orderDoc, in.CustomerID, in.OpportunityID, in.Lines, func(h docHead) (id int64, err error) {
			err = tx.QueryRow(ctx, `/* postgres.CreateOrder */
				INSERT INTO orders (number, customer_id, opportunity_id, sign_date, status, total, notes,
				                    owner_id, department_id, created_by, customer_owner_id, customer_department_id)
				VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $7, $9, $10) RETURNING id`,
				h.number, in.CustomerID, nullID(in.OpportunityID), dateArg(in.SignDate), h.total, in.Notes, a.ID,
				nullID(a.DepartmentID), nullID(h.parent.CustomerOwnerID), nullID(h.parent.CustomerDepartmentID)).Scan(&id)
			return id, err
		})
		return err
	})
	return id, err
}

// UpdateOrder changes a draft or rejected order and replaces its lines:
// ENOTFOUND unless a may view it, EFORBIDDEN unless a may update it — which
// nobody may while it is pending or approved —, EINVALID for bad input.
// The customer does not change.
func (db *DB) UpdateOrder(ctx context.Context, a crm.Actor, id int64, in crm.OrderInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := orderRead.forAction(ctx, tx, a, id, "SHARE")
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, old.Record()) {
			return crm.ErrForbidden
		}
		in.CustomerID = old.CustomerID
		if err := in.Validate(); err != nil {
			return err
		}
		lines, total, err := checkDocChange(ctx, tx, old.CustomerID, in.OpportunityID, in.Lines, old.Lines)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `/* postgres.UpdateOrder */
			UPDATE orders SET opportunity_id = $2, sign_date = $3, total = $4, notes = $5, updated_at = now()
			WHERE id = $1 AND status IN ('draft', 'rejected')`,
			id, nullID(in.OpportunityID), dateArg(in.SignDate), total, in.Notes)
		if err != nil {
			return translate(err)
		}
		if tag.RowsAffected() == 0 {
			return crm.ErrForbidden // locked meanwhile (cannot happen under the row lock; kept as the rule)
		}
		if err := writeDocLines(ctx, tx, orderDoc, id, lines); err != nil {
			return err
		}
		now, err := orderRead.inTx(ctx, tx, id, false)
		if err != nil {
			return err
		}
		return recordDocUpdate(ctx, tx, a, orderDoc, id,
			[3]string{"doc_opportunity", old.OpportunityName, now.OpportunityName},
			[3]string{"sign_date", fmtDay(old.SignDate), fmtDay(now.SignDate)},
			[3]string{"doc_lines", linesSummary(old.Lines), linesSummary(now.Lines)},
			[3]string{"doc_total", old.Total.StringFixed(2), now.Total.StringFixed(2)},
			[3]string{"notes", old.Notes, now.Notes})
	})
}

// DeleteOrder removes a draft or rejected order with its lines: ENOTFOUND
// unless a may view it, EFORBIDDEN unless a may delete it (nobody may while
// it is pending or approved), ECONFLICT "order.has_money" while payments or
// invoices refer to it. A quote it was made from may be converted again.
func (db *DB) DeleteOrder(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := orderRead.forAction(ctx, tx, a, id, "SHARE")
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, old.Record()) {
			return crm.ErrForbidden
		}
		var money bool
		if err := tx.QueryRow(ctx, `/* postgres.DeleteOrder money */
			SELECT EXISTS (SELECT 1 FROM payments WHERE order_id = $1) OR EXISTS (SELECT 1 FROM invoices WHERE order_id = $1)`,
			id).Scan(&money); err != nil {
			return err
		}
		if money {
			return crm.Errorf(crm.ECONFLICT, "order.has_money")
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteOrder */ DELETE FROM orders WHERE id = $1 AND status IN ('draft', 'rejected')`,
			id); err != nil {
			if e := translate(err); crm.ErrorCode(e) == crm.ECONFLICT {
				return crm.Errorf(crm.ECONFLICT, "order.has_money")
			}
			return err
		}
		if old.QuoteID != 0 {
			if err := recordHistory(ctx, tx, crm.ResQuote, old.QuoteID, a.ID, "update",
				[]crm.Change{{Field: "doc_order", Old: old.Number}}); err != nil {
				return err
			}
		}
		return recordHistory(ctx, tx, crm.ResOrder, id, a.ID, "delete", nil)
	})
}

// SubmitOrder sends a draft or rejected order for approval (提交审批 /
// 重新提交): it becomes pending, its approver the head of its customer's
// current department (approverFor; NULL when there is none: any management
// user decides), a earns 我发起的, and an earlier decision is cleared (the
// history keeps it). ENOTFOUND unless a may view it; EFORBIDDEN unless a may
// update it (crm.ActSubmit); ECONFLICT "order.already_submitted" when it was
// submitted meanwhile by someone else.
func (db *DB) SubmitOrder(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		o, err := orderRead.forAction(ctx, tx, a, id, "SHARE")
		if err != nil {
			return err
		}
		if !crm.CanDo(a, crm.ActSubmit, o.Record()) {
			return lockedOr(a, crm.ActSubmit, o, "order.already_submitted")
		}
		var dept int64
		if err := tx.QueryRow(ctx, `/* postgres.SubmitOrder department */ SELECT coalesce(department_id, 0) FROM customers WHERE id = $1`,
			o.CustomerID).Scan(&dept); err != nil {
			return err
		}
		approver, err := approverFor(ctx, tx, dept)
		if err != nil {
			return err
		}
		var approverName string
		err = tx.QueryRow(ctx, `/* postgres.SubmitOrder */
			UPDATE orders SET status = 'pending', approver_id = $2, submitted_by = $3, submitted_at = now(),
			       decided_by = NULL, decided_at = NULL, decision_comment = '', updated_at = now()
			WHERE id = $1 AND status IN ('draft', 'rejected')
			RETURNING coalesce((SELECT name FROM employees WHERE id = $2), '')`, id, nullID(approver), a.ID).Scan(&approverName)
		if errors.Is(err, pgx.ErrNoRows) {
			return crm.Errorf(crm.ECONFLICT, "order.already_submitted")
		}
		if err != nil {
			return err
		}
		if err := notifyApprovers(ctx, tx, a, o, approver); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResOrder, id, a.ID, "submit", crm.Diff(
			[3]string{"order_status", string(o.Status), string(crm.OrderPending)},
			[3]string{"approver", o.ApproverName, approverName}))
	})
}

// lockedOr answers an action the policy refuses on o: when o is only
// refused because it is locked now and a could have taken the action
// before (someone else was faster), ECONFLICT with key; else EFORBIDDEN.
func lockedOr(a crm.Actor, act crm.Action, o crm.Order, key string) error {
	r := o.Record()
	if r.Locked {
		r.Locked = false
		if crm.CanDo(a, act, r) {
			return crm.Errorf(crm.ECONFLICT, key)
		}
	}
	return crm.ErrForbidden
}

// WithdrawOrder takes a pending order back to draft (撤回): ENOTFOUND unless
// a may view it, EFORBIDDEN unless a may withdraw it (crm.ActWithdraw: its
// creator, its owner, management, admin), ECONFLICT "order.not_pending"
// when it is not pending (decided or withdrawn meanwhile).
func (db *DB) WithdrawOrder(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		o, err := orderRead.forAction(ctx, tx, a, id, "SHARE")
		if err != nil {
			return err
		}
		if !crm.CanDo(a, crm.ActWithdraw, o.Record()) {
			return crm.ErrForbidden
		}
		tag, err := tx.Exec(ctx, `/* postgres.WithdrawOrder */
			UPDATE orders SET status = 'draft', approver_id = NULL, submitted_by = NULL, submitted_at = NULL, updated_at = now()
			WHERE id = $1 AND status = 'pending'`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return crm.Errorf(crm.ECONFLICT, "order.not_pending")
		}
		return recordHistory(ctx, tx, crm.ResOrder, id, a.ID, "withdraw", crm.Diff(
			[3]string{"order_status", string(o.Status), string(crm.OrderDraft)},
			[3]string{"approver", o.ApproverName, ""}))
	})
}

// MaxCommentLength bounds an approval comment (in characters).
const MaxCommentLength = 2000

// ApproveOrder approves a pending order (审批通过) with an optional comment
// and, in the same transaction, adds its total to the customer's 成交金额,
// one to its 成交次数 and makes it 已成交客户 (the triggers move the
// campaign's and lead's figures), and moves the order's opportunity, if
// any, to 赢单 (winOpportunities). ENOTFOUND unless a may view the order,
// EFORBIDDEN unless a may decide it (crm.ActDecide: the assigned approver,
// management, admin), ECONFLICT "order.already_decided" when it was decided
// meanwhile — of two decisions racing exactly one is made.
func (db *DB) ApproveOrder(ctx context.Context, a crm.Actor, id int64, comment string) error {
	return db.decideOrder(ctx, a, id, crm.OrderApproved, comment)
}

// RejectOrder rejects a pending order (驳回) with a comment, which is
// required (EINVALID on "comment"); otherwise as ApproveOrder, without the
// figures. The owner may then edit and resubmit it.
func (db *DB) RejectOrder(ctx context.Context, a crm.Actor, id int64, comment string) error {
	return db.decideOrder(ctx, a, id, crm.OrderRejected, comment)
}

func (db *DB) decideOrder(ctx context.Context, a crm.Actor, id int64, status crm.OrderStatus, comment string) error {
	comment = crm.CleanText(comment)
	var v crm.Invalid
	switch {
	case status == crm.OrderRejected && comment == "":
		v.Add("comment", "order.comment_required")
	case utf8.RuneCountInString(comment) > MaxCommentLength:
		v.Add("comment", crm.TooLong(MaxCommentLength))
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx pgx.Tx) error {
		// The customer is locked for update first: approving changes its
		// figures, and a shared lock taken first would have to be upgraded.
		o, err := orderRead.forAction(ctx, tx, a, id, "NO KEY UPDATE")
		if err != nil {
			return err
		}
		if !crm.CanDo(a, crm.ActDecide, o.Record()) {
			return crm.ErrForbidden
		}
		var total decimal.Decimal
		err = tx.QueryRow(ctx, `/* postgres.decideOrder */
			UPDATE orders SET status = $2, decided_by = $3, decided_at = now(), decision_comment = $4, updated_at = now()
			WHERE id = $1 AND status = 'pending' RETURNING total`, id, string(status), a.ID, comment).Scan(&total)
		if errors.Is(err, pgx.ErrNoRows) {
			if o.Status == crm.OrderDraft {
				return crm.Errorf(crm.ECONFLICT, "order.not_pending")
			}
			return crm.Errorf(crm.ECONFLICT, "order.already_decided")
		}
		if err != nil {
			return err
		}
		action := "reject"
		if status == crm.OrderApproved {
			action = "approve"
			if err := addDeal(ctx, tx, a, o); err != nil {
				return err
			}
			if err := winOpportunities(ctx, tx, a.ID, []int64{id}); err != nil {
				return err
			}
		}
		if err := notifyDecision(ctx, tx, a, o, status, comment); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResOrder, id, a.ID, action, crm.Diff(
			[3]string{"order_status", string(o.Status), string(status)},
			[3]string{"decision_comment", "", comment}))
	})
}

// winOpportunities moves the opportunities of the approved orders among
// orderIDs to 赢单 (won) — from any other stage, 输单 (lost) included: a
// signed and approved order is the deal the opportunity was about, whatever
// was concluded about it before — restarting their stage clock, with one
// history entry each ("deal", stage from → to, by actor). Opportunities
// already won are left alone. It is set-based, for the approval of one
// order and for any import writing approved orders with opportunities; the
// board's kept per-stage figures (migration 0011) follow by their
// triggers. The caller holds the orders' customers' row locks, which every
// stage change takes first (opportunityForAction), so the stage read here
// is the one being replaced.
func winOpportunities(ctx context.Context, tx pgx.Tx, actor int64, orderIDs []int64) error {
	_, err := tx.Exec(ctx, `/* postgres.winOpportunities */
		WITH old AS (
		         SELECT op.id, op.stage FROM opportunities op
		         WHERE op.id IN (SELECT od.opportunity_id FROM orders od
		                         WHERE od.id = ANY($1::bigint[]) AND od.status = 'approved' AND od.opportunity_id IS NOT NULL)
		           AND op.stage <> 'won'
		         ORDER BY op.id FOR NO KEY UPDATE),
		     won AS (
		         UPDATE opportunities op SET stage = 'won', stage_changed_at = now(), updated_at = now()
		         FROM old WHERE op.id = old.id
		         RETURNING op.id, old.stage AS was)
		INSERT INTO history (resource, record_id, actor_id, action, changes)
		SELECT $2, won.id, $3, 'deal', jsonb_build_array(jsonb_build_object('f', 'stage_opportunity', 'o', won.was, 'n', 'won'))
		FROM won`, orderIDs, string(crm.ResOpportunity), nullID(actor))
	return err
}

// addDeal moves an approved order's customer: 成交金额 += total, 成交次数
// += 1, stage 已成交客户; the customer's history records it ("deal"). The
// caller holds the customer's row lock.
func addDeal(ctx context.Context, tx pgx.Tx, a crm.Actor, o crm.Order) error {
	return moveDealFigures(ctx, tx, []int64{o.ID}, +1, figureHistory{actor: a.ID, action: "deal"})
}
