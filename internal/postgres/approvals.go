package postgres

import (
	"context"
	"strings"

	"crm/internal/crm"
)

// InboxScope is the condition over orders aliased alias for a's approval
// inbox (流程 → 待我审批): orders waiting for a decision that a is the
// assigned approver of, and — for management and admin, who may decide any
// order — those without an approver.
func InboxScope(a crm.Actor, alias string, args *Args) string {
	me := args.Add(a.ID)
	cond := alias + ".status = 'pending' AND (" + alias + ".approver_id = " + me
	if inboxTakesUnassigned(a.Role) {
		cond += " OR " + alias + ".approver_id IS NULL"
	}
	return cond + ")"
}

// inboxTakesUnassigned: orders without an approver wait for those the
// policy lets decide any order (management and the admin).
func inboxTakesUnassigned(r crm.Role) bool {
	return crm.CanDo(crm.Actor{ID: -1, Role: r}, crm.ActDecide, crm.Record{Resource: crm.ResOrder})
}

// inboxCountSQL counts InboxScope for an actor known only inside the
// query (its id and role are the SQL expressions id and role): the
// navigation badge read with the session. Two counts, each one probe of
// orders_inbox_idx; the unassigned orders are counted only for those who
// take them. TestSessionBadges checks it against InboxScope.
func inboxCountSQL(id, role string) string {
	var takers []string
	for _, r := range crm.Roles {
		if inboxTakesUnassigned(r) {
			takers = append(takers, "'"+string(r)+"'")
		}
	}
	return "(SELECT count(*) FROM orders o WHERE o.status = 'pending' AND o.approver_id = " + id + ") + " +
		"CASE WHEN " + role + " IN (" + strings.Join(takers, ", ") + ") THEN " +
		"(SELECT count(*) FROM orders o WHERE o.status = 'pending' AND o.approver_id IS NULL) ELSE 0 END"
}

// PendingApprovals counts a's approval inbox (for the navigation badge; the
// pending orders are few and indexed, so this is cheap on every page).
func (db *DB) PendingApprovals(ctx context.Context, a crm.Actor) (int, error) {
	if !crm.CanSeeArea(a, crm.AreaApprovals) {
		return 0, nil
	}
	var args Args
	cond := InboxScope(a, "o", &args)
	var n int
	err := db.Pool.QueryRow(ctx, `/* postgres.PendingApprovals */ SELECT count(*) FROM orders o WHERE `+cond, args.List...).Scan(&n)
	return n, err
}
