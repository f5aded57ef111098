package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// The ownership workflows of SPEC §5 — claim (领取), release (释放) and
// assign (分配/转交) — are the same for leads and customers; pooled
// describes what differs.
type pooled struct {
	table string
	alias string // of the table in its list query
	res   crm.Resource
	// children are the tables whose rows live under a record of this table
	// and carry a copy of its owner and department (customer_owner_id,
	// customer_department_id), keyed by the column naming the parent.
	children [][2]string
	// owned are the child tables whose rows also change owner with the
	// parent: a customer's contacts belong to whoever owns the customer.
	owned [][2]string
}

var (
	leadPool     = pooled{table: "leads", alias: "l", res: crm.ResLead, children: [][2]string{{"follow_ups", "lead_id"}}}
	customerPool = pooled{table: "customers", alias: "c", res: crm.ResCustomer,
		children: [][2]string{{"contacts", "customer_id"}, {"follow_ups", "customer_id"}, {"opportunities", "customer_id"},
			{"quotes", "customer_id"}, {"orders", "customer_id"}, {"payments", "customer_id"}, {"invoices", "customer_id"}},
		owned: [][2]string{{"contacts", "customer_id"}}}
)

// listQuery builds the conditions the lead and customer lists share (the
// list and its export): the permission condition and the tab's first, the
// search over the trigram-indexed expression search, then f's filters.
func (p pooled) listQuery(a crm.Actor, search string, f crm.AcquisitionFilter) *query {
	var q query
	col := func(c string) string { return p.alias + "." + c }
	q.scope(a, p.res, p.alias, f.Tab)
	q.search(search, f.Query)
	for _, c := range []struct {
		column string
		id     int64
	}{{"source_id", f.SourceID}, {"campaign_id", f.CampaignID}, {"owner_id", f.OwnerID}, {"department_id", f.DepartmentID}} {
		if c.id != 0 {
			q.and(col(c.column) + " = " + q.arg(c.id))
		}
	}
	if f.CreatedFrom != nil {
		q.and(col("created_at") + " >= " + q.arg(*f.CreatedFrom))
	}
	if f.CreatedTo != nil {
		q.and(col("created_at") + " < " + q.arg(f.CreatedTo.AddDate(0, 0, 1)))
	}
	if c := DueCondition(p.res, p.alias, f.Due, time.Now(), &q.args); c != "" {
		q.and(c)
	}
	return &q
}

// policyRecord loads what the policy needs about one lead or customer,
// locking the row when lock is set. It does not check visibility.
func policyRecord(ctx context.Context, tx pgx.Tx, p pooled, id int64, lock bool) (crm.Record, error) {
	sql := `/* postgres.policyRecord */ SELECT coalesce(owner_id, 0), coalesce(department_id, 0), created_by FROM ` + p.table + ` WHERE id = $1`
	if lock {
		sql += " FOR UPDATE"
	}
	r := crm.Record{Resource: p.res}
	if err := tx.QueryRow(ctx, sql, id).Scan(&r.OwnerID, &r.DepartmentID, &r.CreatedBy); err != nil {
		return r, translate(err)
	}
	if p.res == crm.ResCustomer {
		rows, err := tx.Query(ctx, `SELECT employee_id FROM customer_collaborators WHERE customer_id = $1`, id)
		if err != nil {
			return r, err
		}
		if r.Collaborators, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return r, err
		}
	}
	return r, nil
}

// lockForAction checks that a may view the record (ENOTFOUND otherwise),
// then locks it and returns its current state. Visibility is checked on
// the record as it was before the lock, so that someone who loses a race
// (the record moved out of their sight meanwhile) gets a clear conflict
// instead of a 404.
func lockForAction(ctx context.Context, tx pgx.Tx, a crm.Actor, p pooled, id int64) (crm.Record, error) {
	before, err := policyRecord(ctx, tx, p, id, false)
	if err != nil {
		return before, err
	}
	if !crm.CanView(a, before) {
		return before, crm.ErrNotFound
	}
	return policyRecord(ctx, tx, p, id, true)
}

// setOwner writes a new owner and department on the record and on the
// copies its children keep, and records the change in history.
func setOwner(ctx context.Context, tx pgx.Tx, a crm.Actor, p pooled, id int64, before crm.Record, owner, dept *int64, action string) error {
	if _, err := tx.Exec(ctx, `/* postgres.setOwner */ UPDATE `+p.table+
		` SET owner_id = $2, department_id = $3, updated_at = now() WHERE id = $1`, id, owner, dept); err != nil {
		return err
	}
	for _, c := range p.children {
		if _, err := tx.Exec(ctx, `/* postgres.setOwner children */ UPDATE `+c[0]+
			` SET customer_owner_id = $2, customer_department_id = $3 WHERE `+c[1]+` = $1`, id, owner, dept); err != nil {
			return err
		}
	}
	for _, c := range p.owned {
		if _, err := tx.Exec(ctx, `/* postgres.setOwner owned children */ UPDATE `+c[0]+
			` SET owner_id = $2, department_id = $3 WHERE `+c[1]+` = $1`, id, owner, dept); err != nil {
			return err
		}
	}
	oldOwner, err := employeeName(ctx, tx, before.OwnerID)
	if err != nil {
		return err
	}
	newOwner, err := employeeName(ctx, tx, deref(owner))
	if err != nil {
		return err
	}
	oldDept, err := departmentName(ctx, tx, before.DepartmentID)
	if err != nil {
		return err
	}
	newDept, err := departmentName(ctx, tx, deref(dept))
	if err != nil {
		return err
	}
	if err := notifyOwnerChange(ctx, tx, a, p, id, before, owner, dept); err != nil {
		return err
	}
	return recordHistory(ctx, tx, p.res, id, a.ID, action,
		crm.Diff([3]string{"owner", oldOwner, newOwner}, [3]string{"department", oldDept, newDept}))
}

// claim makes a the owner of a pool record. Two claims racing: the row lock
// orders them, and the second finds an owner and gets ECONFLICT.
func (db *DB) claim(ctx context.Context, a crm.Actor, p pooled, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, a, p, id)
		if crm.ErrorCode(err) == crm.ENOTFOUND && justClaimed(ctx, tx, a, p, id) {
			return crm.Errorf(crm.ECONFLICT, "error.already_claimed")
		}
		if err != nil {
			return err
		}
		if r.OwnerID != 0 {
			// Taken: a lost race for those who could have claimed it from
			// its pool; a matter of permission for everyone else.
			if !crm.CanDo(a, crm.ActClaim, crm.Record{Resource: p.res, DepartmentID: r.DepartmentID}) {
				return crm.ErrForbidden
			}
			return crm.Errorf(crm.ECONFLICT, "error.already_claimed")
		}
		if !crm.CanDo(a, crm.ActClaim, r) {
			return crm.ErrForbidden
		}
		return setOwner(ctx, tx, a, p, id, r, &a.ID, nullID(a.DepartmentID), "claim")
	})
}

// justClaimed reports whether a record that a can no longer view was
// claimed from a pool a could claim from within the last two minutes: a
// lost race, which deserves "someone was faster" rather than a 404 for a
// record that sat in a's pool a moment ago.
func justClaimed(ctx context.Context, tx pgx.Tx, a crm.Actor, p pooled, id int64) bool {
	var dept int64
	var recent bool
	err := tx.QueryRow(ctx, `/* postgres.justClaimed */
		SELECT coalesce(t.department_id, 0), EXISTS (SELECT 1 FROM history h WHERE h.resource = $2 AND h.record_id = t.id
		       AND h.action = 'claim' AND h.at > now() - interval '2 minutes')
		FROM `+p.table+` t WHERE t.id = $1`, id, string(p.res)).Scan(&dept, &recent)
	if err != nil || !recent {
		return false
	}
	// Could a have claimed it from that pool? (The policy's pool rule.)
	return crm.CanDo(a, crm.ActClaim, crm.Record{Resource: p.res, DepartmentID: dept})
}

// release puts a record back into the pool of its department.
func (db *DB) release(ctx context.Context, a crm.Actor, p pooled, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, a, p, id)
		if err != nil {
			return err
		}
		if r.OwnerID == 0 {
			return crm.Errorf(crm.ECONFLICT, "error.already_in_pool")
		}
		if !crm.CanDo(a, crm.ActRelease, r) {
			return crm.ErrForbidden
		}
		return setOwner(ctx, tx, a, p, id, r, nil, nullID(r.DepartmentID), "release")
	})
}

// assign makes employee the owner (分配/转交); the record moves to the new
// owner's department.
func (db *DB) assign(ctx context.Context, a crm.Actor, p pooled, id, employee int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, a, p, id)
		if err != nil {
			return err
		}
		if !crm.CanDo(a, crm.ActAssign, r) {
			return crm.ErrForbidden
		}
		dept, err := assignee(ctx, tx, a, employee, "owner_id")
		if err != nil {
			return err
		}
		if r.OwnerID == employee {
			return nil
		}
		return setOwner(ctx, tx, a, p, id, r, &employee, dept, "assign")
	})
}

func employeeName(ctx context.Context, tx pgx.Tx, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	var n string
	err := tx.QueryRow(ctx, `SELECT name FROM employees WHERE id = $1`, id).Scan(&n)
	return n, translate(err)
}

func departmentName(ctx context.Context, tx pgx.Tx, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	var n string
	err := tx.QueryRow(ctx, `SELECT name FROM departments WHERE id = $1`, id).Scan(&n)
	return n, translate(err)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// notifyCreatedFor tells the owner of a lead or customer that a created for
// them (ownerFor: owner, dept) that it is theirs, as an assignment does
// (notifyOwnerChange, from the pool to them): nobody is told of a record
// made into a pool or for oneself. In the creating transaction.
func notifyCreatedFor(ctx context.Context, tx pgx.Tx, a crm.Actor, p pooled, id int64, owner, dept *int64) error {
	return notifyOwnerChange(ctx, tx, a, p, id, crm.Record{Resource: p.res, CreatedBy: a.ID}, owner, dept)
}

// ownerFor decides the owner and department of a new lead or customer
// (SPEC §2): the creator by default; another employee when the actor may
// assign to them; nobody (the pool of dept, or of the actor's department)
// when pool is set and the actor may assign.
func ownerFor(ctx context.Context, tx pgx.Tx, a crm.Actor, res crm.Resource, ownerID int64, pool bool, poolDept int64) (owner, dept *int64, err error) {
	switch {
	case pool:
		if !crm.CanCreateInPool(a, res) {
			return nil, nil, crm.ErrForbidden
		}
		if poolDept == 0 {
			poolDept = a.DepartmentID
		}
		if poolDept != 0 && a.Role == crm.RoleSalesManager && !a.InScope(poolDept) {
			return nil, nil, &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{"department_id": "error.assignee_out_of_scope"}}
		}
		return nil, nullID(poolDept), nil
	case ownerID == 0 || ownerID == a.ID:
		return &a.ID, nullID(a.DepartmentID), nil
	default:
		d, err := assignee(ctx, tx, a, ownerID, "owner_id")
		if err != nil {
			return nil, nil, err
		}
		return &ownerID, d, nil
	}
}

// ChangeOwner is the one path of the ownership workflows for a lead or a
// customer (res): claim (crm.ActClaim), release (crm.ActRelease) or assign
// to employee (crm.ActAssign), with the errors of ClaimCustomer,
// ReleaseCustomer and AssignCustomer; EINVALID "error.choose" for another
// action or resource.
func (db *DB) ChangeOwner(ctx context.Context, a crm.Actor, res crm.Resource, act crm.Action, id, employee int64) error {
	p := leadPool
	switch res {
	case crm.ResLead:
	case crm.ResCustomer:
		p = customerPool
	default:
		return crm.Errorf(crm.EINVALID, "error.choose")
	}
	switch act {
	case crm.ActClaim:
		return db.claim(ctx, a, p, id)
	case crm.ActRelease:
		return db.release(ctx, a, p, id)
	case crm.ActAssign:
		return db.assign(ctx, a, p, id, employee)
	}
	return crm.Errorf(crm.EINVALID, "error.choose")
}
