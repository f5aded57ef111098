package postgres

import (
	"context"

	"crm/internal/crm"
)

// InboxScope is the condition over orders aliased alias for a's approval
// inbox (流程 → 待我审批): orders waiting for a decision that a is the
// assigned approver of, and — for management and admin, who may decide any
// order — those without an approver.
func InboxScope(a crm.Actor, alias string, args *Args) string {
	me := args.Add(a.ID)
	cond := alias + ".status = 'pending' AND (" + alias + ".approver_id = " + me
	if a.Role == crm.RoleManagement || a.Role == crm.RoleAdmin {
		cond += " OR " + alias + ".approver_id IS NULL"
	}
	return cond + ")"
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
