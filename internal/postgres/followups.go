package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

const followUpFrom = `follow_ups f
	LEFT JOIN employees o ON o.id = f.owner_id
	LEFT JOIN departments d ON d.id = f.department_id
	LEFT JOIN employees cb ON cb.id = f.created_by
	LEFT JOIN options m ON m.id = f.method_id
	LEFT JOIN leads pl ON pl.id = f.lead_id
	LEFT JOIN customers pc ON pc.id = f.customer_id`

const followUpColumns = `f.id, coalesce(f.method_id, 0), coalesce(m.name, ''), f.content, f.followed_at, f.next_at,
	coalesce(f.customer_id, 0), coalesce(f.lead_id, 0), coalesce(pc.name, pl.name || CASE WHEN pl.company <> '' THEN ' · ' || pl.company ELSE '' END, ''),
	coalesce(f.customer_owner_id, 0), coalesce(f.customer_department_id, 0),
	coalesce(f.owner_id, 0), coalesce(o.name, ''), coalesce(f.department_id, 0), coalesce(d.name, ''),
	f.created_by, coalesce(cb.name, ''), f.created_at, f.updated_at, f.is_demo`

func scanFollowUp(r pgx.CollectableRow) (crm.FollowUp, error) {
	var f crm.FollowUp
	err := r.Scan(&f.ID, &f.MethodID, &f.MethodName, &f.Content, &f.FollowedAt, &f.NextAt,
		&f.CustomerID, &f.LeadID, &f.Parent.Name, &f.CustomerOwnerID, &f.CustomerDepartmentID,
		&f.OwnerID, &f.OwnerName, &f.DepartmentID, &f.DepartmentName,
		&f.CreatedBy, &f.CreatedByName, &f.CreatedAt, &f.UpdatedAt, &f.IsDemo)
	return f, err
}

var followUpSorts = map[string]string{
	"followed": "f.followed_at, f.id",
	"next":     "f.next_at, f.id",
}

// followUpList is the follow-up list's page query.
var followUpList = listPage[crm.FollowUp]{name: "FindFollowUps", table: "follow_ups", alias: "f", columns: followUpColumns,
	from: followUpFrom, sorts: followUpSorts, order: "f.followed_at DESC, f.id DESC", scan: scanFollowUp}

// FindFollowUps returns one page of the follow-ups a may view, newest
// first unless f sorts otherwise.
func (db *DB) FindFollowUps(ctx context.Context, a crm.Actor, f crm.FollowUpFilter) ([]crm.FollowUp, crm.Total, error) {
	if f.Sort == "" {
		f.Sort, f.Desc = "followed", true
	}
	return followUpList.find(ctx, db, followUpQuery(a, f), f.ListQuery)
}

// followUpQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func followUpQuery(a crm.Actor, f crm.FollowUpFilter) *query {
	var q query
	q.scope(a, crm.ResFollowUp, "f", f.Tab)
	if f.MethodID != 0 {
		q.and("f.method_id = " + q.arg(f.MethodID))
	}
	if f.OwnerID != 0 {
		q.and("f.owner_id = " + q.arg(f.OwnerID))
	}
	if f.LeadID != 0 {
		q.and("f.lead_id = " + q.arg(f.LeadID))
	}
	if f.CustomerID != 0 {
		q.and("f.customer_id = " + q.arg(f.CustomerID))
	}
	if f.OpportunityID != 0 {
		q.and("f.opportunity_id = " + q.arg(f.OpportunityID))
	}
	if f.From != nil {
		q.and("f.followed_at >= " + q.arg(*f.From))
	}
	if f.To != nil {
		q.and("f.followed_at < " + q.arg(f.To.AddDate(0, 0, 1)))
	}
	if f.Due {
		q.and("f.next_at < now()")
	}
	if f.DepartmentID != 0 {
		q.and("f.department_id = " + q.arg(f.DepartmentID))
	}
	return &q
}

// FollowUpByID returns a follow-up a may view; ENOTFOUND otherwise.
func (db *DB) FollowUpByID(ctx context.Context, a crm.Actor, id int64) (crm.FollowUp, error) {
	var q query
	q.and("f.id = " + q.arg(id))
	q.scope(a, crm.ResFollowUp, "f", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.FollowUpByID */ SELECT `+followUpColumns+` FROM `+followUpFrom+q.whereSQL(), q.args.List...)
	if err != nil {
		return crm.FollowUp{}, err
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFollowUp)
	return f, translate(err)
}

// CreateFollowUp records a follow-up on a lead or customer a may update
// (EFORBIDDEN otherwise, ENOTFOUND when a may not view the parent). The
// parent's last and next follow-up times move, and a new lead becomes
// 跟进中.
func (db *DB) CreateFollowUp(ctx context.Context, a crm.Actor, in crm.FollowUpInput) (int64, error) {
	p := customerPool
	parentID := in.CustomerID
	if in.LeadID != 0 {
		p, parentID = leadPool, in.LeadID
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		parent, err := lockForAction(ctx, tx, a, p, parentID)
		if err != nil {
			return err
		}
		if !crm.CanAddUnder(a, crm.ResFollowUp, parent) {
			return crm.ErrForbidden
		}
		if err := checkOptions(ctx, tx, map[string]optionRef{"method_id": {crm.OptFollowUpMethod, in.MethodID}}); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `/* postgres.CreateFollowUp */
			INSERT INTO follow_ups (lead_id, customer_id, method_id, content, followed_at, next_at, owner_id, department_id,
			                        created_by, customer_owner_id, customer_department_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9, $10) RETURNING id`,
			nullID(in.LeadID), nullID(in.CustomerID), nullID(in.MethodID), in.Content, in.FollowedAt, in.NextAt,
			a.ID, nullID(a.DepartmentID), nullID(parent.OwnerID), nullID(parent.DepartmentID)).Scan(&id)
		if err != nil {
			return translate(err)
		}
		if err := touchFollowedUp(ctx, tx, []int64{id}); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResFollowUp, id, a.ID, "create", nil)
	})
	return id, err
}

// CreateOpportunityFollowUp records a follow-up on an opportunity: allowed
// when a's role creates follow-ups and a may update the opportunity
// (crm.CanAddUnder), EFORBIDDEN otherwise, ENOTFOUND when a may not view
// it; EINVALID for bad input. The follow-up also carries the opportunity's
// customer (in.LeadID and in.CustomerID are set from it), so it shows on
// the customer's timeline and follows the customer's owner; the
// opportunity's last follow-up time moves, and the customer's last and
// next ones.
func (db *DB) CreateOpportunityFollowUp(ctx context.Context, a crm.Actor, opportunityID int64, in crm.FollowUpInput) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		opp, err := opportunityForAction(ctx, tx, a, opportunityID)
		if err != nil {
			return err
		}
		if !crm.CanAddUnder(a, crm.ResFollowUp, opp.Record()) {
			return crm.ErrForbidden
		}
		in.LeadID, in.CustomerID = 0, opp.CustomerID
		if err := in.Validate(); err != nil {
			return err
		}
		if err := checkOptions(ctx, tx, map[string]optionRef{"method_id": {crm.OptFollowUpMethod, in.MethodID}}); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `/* postgres.CreateOpportunityFollowUp */
			INSERT INTO follow_ups (customer_id, opportunity_id, method_id, content, followed_at, next_at, owner_id,
			                        department_id, created_by, customer_owner_id, customer_department_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9, $10) RETURNING id`,
			opp.CustomerID, opportunityID, nullID(in.MethodID), in.Content, in.FollowedAt, in.NextAt,
			a.ID, nullID(a.DepartmentID), nullID(opp.CustomerOwnerID), nullID(opp.CustomerDepartmentID)).Scan(&id)
		if err != nil {
			return translate(err)
		}
		if err := touchFollowedUp(ctx, tx, []int64{id}); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResFollowUp, id, a.ID, "create", nil)
	})
	return id, err
}

// followUpRecord loads and locks what the policy needs about a follow-up.
func followUpRecord(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64) (crm.Record, crm.FollowUp, error) {
	rows, err := tx.Query(ctx, `/* postgres.followUpRecord */ SELECT `+followUpColumns+` FROM `+followUpFrom+` WHERE f.id = $1 FOR UPDATE OF f`, id)
	if err != nil {
		return crm.Record{}, crm.FollowUp{}, err
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFollowUp)
	if err != nil {
		return crm.Record{}, f, translate(err)
	}
	r := f.Record()
	if f.CustomerID != 0 {
		crows, err := tx.Query(ctx, `SELECT employee_id FROM customer_collaborators WHERE customer_id = $1`, f.CustomerID)
		if err != nil {
			return r, f, err
		}
		if r.Collaborators, err = pgx.CollectRows(crows, pgx.RowTo[int64]); err != nil {
			return r, f, err
		}
	}
	if !crm.CanView(a, r) {
		return r, f, crm.ErrNotFound
	}
	return r, f, nil
}

// UpdateFollowUp changes a follow-up (its author, their manager, management, admin).
func (db *DB) UpdateFollowUp(ctx context.Context, a crm.Actor, id int64, in crm.FollowUpInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, old, err := followUpRecord(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, r) {
			return crm.ErrForbidden
		}
		if err := checkOptions(ctx, tx, map[string]optionRef{"method_id": {crm.OptFollowUpMethod, in.MethodID}}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdateFollowUp */
			UPDATE follow_ups SET method_id = $2, content = $3, followed_at = $4, next_at = $5, updated_at = now() WHERE id = $1`,
			id, nullID(in.MethodID), in.Content, in.FollowedAt, in.NextAt); err != nil {
			return translate(err)
		}
		var method string
		if in.MethodID != 0 {
			if err := tx.QueryRow(ctx, `SELECT name FROM options WHERE id = $1`, in.MethodID).Scan(&method); err != nil {
				return translate(err)
			}
		}
		return recordHistory(ctx, tx, crm.ResFollowUp, id, a.ID, "update", crm.Diff(
			[3]string{"method", old.MethodName, method}, [3]string{"content", old.Content, in.Content},
			[3]string{"followed_at", fmtTime(&old.FollowedAt), fmtTime(&in.FollowedAt)},
			[3]string{"next_at", fmtTime(old.NextAt), fmtTime(in.NextAt)}))
	})
}

// DeleteFollowUp removes a follow-up.
func (db *DB) DeleteFollowUp(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, _, err := followUpRecord(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, r) {
			return crm.ErrForbidden
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteFollowUp */ DELETE FROM follow_ups WHERE id = $1`, id); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResFollowUp, id, a.ID, "delete", nil)
	})
}
