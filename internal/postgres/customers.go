package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

const customerFrom = `customers c
	LEFT JOIN employees o ON o.id = c.owner_id
	LEFT JOIN departments d ON d.id = c.department_id
	LEFT JOIN employees cb ON cb.id = c.created_by
	LEFT JOIN options lv ON lv.id = c.level_id
	LEFT JOIN options ind ON ind.id = c.industry_id
	LEFT JOIN options src ON src.id = c.source_id
	LEFT JOIN campaigns cam ON cam.id = c.campaign_id
	LEFT JOIN leads ld ON ld.id = c.lead_id`

const customerColumns = `c.id, c.name, c.stage, coalesce(c.level_id, 0), coalesce(lv.name, ''),
	coalesce(c.industry_id, 0), coalesce(ind.name, ''), coalesce(c.source_id, 0), coalesce(src.name, ''),
	coalesce(c.campaign_id, 0), coalesce(cam.name, ''), coalesce(c.lead_id, 0), coalesce(ld.name, ''),
	c.phone, c.address, c.notes, c.last_follow_up_at, c.next_follow_up_at,
	c.deal_amount, c.deal_count, c.paid_amount, c.invoiced_amount,
	coalesce(c.owner_id, 0), coalesce(o.name, ''), coalesce(c.department_id, 0), coalesce(d.name, ''),
	c.created_by, coalesce(cb.name, ''), c.created_at, c.updated_at, c.is_demo`

func scanCustomer(r pgx.CollectableRow) (crm.Customer, error) {
	var c crm.Customer
	err := r.Scan(&c.ID, &c.Name, &c.Stage, &c.LevelID, &c.LevelName,
		&c.IndustryID, &c.IndustryName, &c.SourceID, &c.SourceName,
		&c.CampaignID, &c.CampaignName, &c.LeadID, &c.LeadName,
		&c.Phone, &c.Address, &c.Notes, &c.LastFollowUpAt, &c.NextFollowUpAt,
		&c.DealAmount, &c.DealCount, &c.PaidAmount, &c.InvoicedAmount,
		&c.OwnerID, &c.OwnerName, &c.DepartmentID, &c.DepartmentName,
		&c.CreatedBy, &c.CreatedByName, &c.CreatedAt, &c.UpdatedAt, &c.IsDemo)
	return c, err
}

var customerSorts = map[string]string{
	"created": "c.created_at, c.id",
	"name":    "c.name, c.id",
	"deal":    "c.deal_amount, c.id",
	"next":    "c.next_follow_up_at, c.id",
	"last":    "c.last_follow_up_at NULLS FIRST, c.id",
}

// customerList is the customer list's page query.
var customerList = listPage[crm.Customer]{name: "FindCustomers", table: "customers", alias: "c",
	columns: customerColumns, from: customerFrom, sorts: customerSorts, order: "c.created_at DESC, c.id DESC", scan: scanCustomer}

// FindCustomers returns one page of the customers a may view that match f,
// and their (capped) total. The permission condition is part of the SQL.
func (db *DB) FindCustomers(ctx context.Context, a crm.Actor, f crm.CustomerFilter) ([]crm.Customer, crm.Total, error) {
	return customerList.find(ctx, db, customerQuery(a, f), f.ListQuery)
}

// customerQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func customerQuery(a crm.Actor, f crm.CustomerFilter) *query {
	q := customerPool.listQuery(a, "(c.name || ' ' || c.phone)", f.AcquisitionFilter)
	if f.Stage != "" {
		q.and("c.stage = " + q.arg(string(f.Stage)))
	}
	if f.LevelID != 0 {
		q.and("c.level_id = " + q.arg(f.LevelID))
	}
	if f.IndustryID != 0 {
		q.and("c.industry_id = " + q.arg(f.IndustryID))
	}
	return q
}

// CustomerByID returns a customer a may view, with the ids of its
// collaborators; ENOTFOUND if it does not exist or a may not view it.
func (db *DB) CustomerByID(ctx context.Context, a crm.Actor, id int64) (crm.Customer, error) {
	var q query
	q.and("c.id = " + q.arg(id))
	q.scope(a, crm.ResCustomer, "c", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.CustomerByID */ SELECT `+customerColumns+` FROM `+customerFrom+q.whereSQL(), q.args.List...)
	if err != nil {
		return crm.Customer{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCustomer)
	if err != nil {
		return c, translate(err)
	}
	c.Collaborators, err = collaboratorIDs(ctx, db.anchored(), id)
	return c, err
}

// DuplicateCustomers returns up to 10 customers a may view with the same
// name or the same phone (for the warning before saving); except is left
// out.
func (db *DB) DuplicateCustomers(ctx context.Context, a crm.Actor, name, phone string, except int64) ([]crm.Customer, error) {
	var q query
	q.scope(a, crm.ResCustomer, "c", crm.TabAll)
	cond := "c.name = " + q.arg(crm.CleanText(name))
	if p := crm.CleanText(phone); p != "" {
		cond = "(" + cond + " OR c.phone = " + q.arg(p) + ")"
	}
	q.and(cond)
	q.and("c.id <> " + q.arg(except))
	rows, err := db.Pool.Query(ctx, `/* postgres.DuplicateCustomers */ SELECT `+customerColumns+` FROM `+customerFrom+q.whereSQL()+
		` ORDER BY c.id DESC LIMIT 10`, q.args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanCustomer)
}

// customerOptions lists the option columns of a customer input for
// checkOptions.
func customerOptions(in crm.CustomerInput) map[string]optionRef {
	return map[string]optionRef{
		"level_id":    {crm.OptCustomerLevel, in.LevelID},
		"industry_id": {crm.OptIndustry, in.IndustryID},
		"source_id":   {crm.OptSource, in.SourceID},
	}
}

// CreateCustomer adds a customer and its history entry. who says whether
// it goes to the creator, another employee or a department's pool
// (ownerFor) — another employee is notified, as by an assignment;
// EFORBIDDEN when a may not create customers.
func (db *DB) CreateCustomer(ctx context.Context, a crm.Actor, in crm.CustomerInput, who NewOwner) (int64, error) {
	if !crm.CanCreate(a, crm.ResCustomer) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		owner, dept, err := ownerFor(ctx, tx, a, crm.ResCustomer, who.OwnerID, who.Pool, who.PoolDepartmentID)
		if err != nil {
			return err
		}
		if err := checkOptions(ctx, tx, customerOptions(in)); err != nil {
			return err
		}
		if err := checkCampaign(ctx, tx, in.CampaignID, 0); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `/* postgres.CreateCustomer */
			INSERT INTO customers (name, level_id, industry_id, source_id, campaign_id, phone, address, notes,
			                       owner_id, department_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			in.Name, nullID(in.LevelID), nullID(in.IndustryID), nullID(in.SourceID), nullID(in.CampaignID),
			in.Phone, in.Address, in.Notes, owner, dept, a.ID).Scan(&id)
		if err != nil {
			return translate(err)
		}
		if err := notifyCreatedFor(ctx, tx, a, customerPool, id, owner, dept); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResCustomer, id, a.ID, "create", nil)
	})
	return id, err
}

// UpdateCustomer changes a customer; ENOTFOUND unless a may view it,
// EFORBIDDEN unless a may update it. Its history records every changed
// field, options and campaign by name. A new campaign must be in progress
// (checkCampaign); the current one stays however it ended.
func (db *DB) UpdateCustomer(ctx context.Context, a crm.Actor, id int64, in crm.CustomerInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, a, customerPool, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, r) {
			return crm.ErrForbidden
		}
		old, err := customerInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkOptions(ctx, tx, customerOptions(in)); err != nil {
			return err
		}
		if err := checkCampaign(ctx, tx, in.CampaignID, old.CampaignID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdateCustomer */
			UPDATE customers SET name = $2, level_id = $3, industry_id = $4, source_id = $5, campaign_id = $6,
			       phone = $7, address = $8, notes = $9, updated_at = now()
			WHERE id = $1`, id, in.Name, nullID(in.LevelID), nullID(in.IndustryID), nullID(in.SourceID),
			nullID(in.CampaignID), in.Phone, in.Address, in.Notes); err != nil {
			return translate(err)
		}
		now, err := customerInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResCustomer, id, a.ID, "update", crm.Diff(
			[3]string{"name", old.Name, now.Name}, [3]string{"level", old.LevelName, now.LevelName},
			[3]string{"industry", old.IndustryName, now.IndustryName}, [3]string{"source", old.SourceName, now.SourceName},
			[3]string{"campaign", old.CampaignName, now.CampaignName}, [3]string{"phone", old.Phone, now.Phone},
			[3]string{"address", old.Address, now.Address}, [3]string{"notes", old.Notes, now.Notes},
		))
	})
}

func customerInTx(ctx context.Context, tx pgx.Tx, id int64) (crm.Customer, error) {
	rows, err := tx.Query(ctx, `/* postgres.customerInTx */ SELECT `+customerColumns+` FROM `+customerFrom+` WHERE c.id = $1`, id)
	if err != nil {
		return crm.Customer{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCustomer)
	return c, translate(err)
}

// DeleteCustomer removes a customer with its contacts, follow-ups and
// collaborators (the foreign keys cascade). A customer that other records
// still refer to — the lead it was converted from, and later its orders —
// is kept: ECONFLICT "error.customer_has_records".
func (db *DB) DeleteCustomer(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, a, customerPool, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, r) {
			return crm.ErrForbidden
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteCustomer */ DELETE FROM customers WHERE id = $1`, id); err != nil {
			if e := translate(err); crm.ErrorCode(e) == crm.ECONFLICT {
				return crm.Errorf(crm.ECONFLICT, "error.customer_has_records")
			}
			return err
		}
		return recordHistory(ctx, tx, crm.ResCustomer, id, a.ID, "delete", nil)
	})
}

// ClaimCustomer makes a the owner of a pool customer; the copies its
// contacts and follow-ups keep follow. ECONFLICT "error.already_claimed"
// when someone was faster (db.claim settles the race); EFORBIDDEN when the
// customer has an owner and a could not have claimed it from its pool
// anyway (marketing, finance, admin, another department's rep): for them
// it is a matter of permission, not of timing.
func (db *DB) ClaimCustomer(ctx context.Context, a crm.Actor, id int64) error {
	return db.claim(ctx, a, customerPool, id)
}

// ReleaseCustomer puts a customer back into its department's pool.
func (db *DB) ReleaseCustomer(ctx context.Context, a crm.Actor, id int64) error {
	return db.release(ctx, a, customerPool, id)
}

// AssignCustomer makes employee the owner of a customer (分配/转交).
func (db *DB) AssignCustomer(ctx context.Context, a crm.Actor, id, employee int64) error {
	return db.assign(ctx, a, customerPool, id, employee)
}

// Collaborators lists a customer's collaborators by name. The caller has
// checked that the actor may view the customer.
func (db *DB) Collaborators(ctx context.Context, customerID int64) ([]crm.Collaborator, error) {
	rows, err := db.anchored().Query(ctx, `/* postgres.Collaborators */
		SELECT e.id, e.name, coalesce(d.name, ''), e.active, cc.added_at
		FROM customer_collaborators cc JOIN employees e ON e.id = cc.employee_id
		LEFT JOIN departments d ON d.id = e.department_id
		WHERE cc.customer_id = $1 ORDER BY e.name, e.id`, customerID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[crm.Collaborator])
}

// AddCollaborator makes employee a collaborator of a customer. ENOTFOUND
// unless a may view the customer, EFORBIDDEN unless a may manage its
// collaborators (crm.ActCollaborators); the employee must be active and
// not the owner (field errors on employee_id). Adding one twice is a no-op.
func (db *DB) AddCollaborator(ctx context.Context, a crm.Actor, customerID, employee int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockCollaborators(ctx, tx, a, customerID)
		if err != nil {
			return err
		}
		var name string
		err = tx.QueryRow(ctx, `/* postgres.AddCollaborator employee */ SELECT name FROM employees WHERE id = $1 AND active`, employee).Scan(&name)
		if err != nil {
			if crm.ErrorCode(translate(err)) == crm.ENOTFOUND {
				return collaboratorError("error.not_exist")
			}
			return err
		}
		if employee == r.OwnerID {
			return collaboratorError("error.collaborator_owner")
		}
		tag, err := tx.Exec(ctx, `/* postgres.AddCollaborator */
			INSERT INTO customer_collaborators (customer_id, employee_id, added_by) VALUES ($1, $2, $3)
			ON CONFLICT (customer_id, employee_id) DO NOTHING`, customerID, employee, a.ID)
		if err != nil {
			return translate(err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		return recordHistory(ctx, tx, crm.ResCustomer, customerID, a.ID, "collaborator_add",
			[]crm.Change{{Field: "collaborators", New: name}})
	})
}

// RemoveCollaborator ends employee's collaboration on a customer; the
// same rules as AddCollaborator. Removing one who is not there is a no-op.
func (db *DB) RemoveCollaborator(ctx context.Context, a crm.Actor, customerID, employee int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockCollaborators(ctx, tx, a, customerID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `/* postgres.RemoveCollaborator */
			DELETE FROM customer_collaborators WHERE customer_id = $1 AND employee_id = $2`, customerID, employee)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		name, err := employeeName(ctx, tx, employee)
		if err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResCustomer, customerID, a.ID, "collaborator_remove",
			[]crm.Change{{Field: "collaborators", Old: name}})
	})
}

// CustomerChoices lists up to 50 customers a may view whose name contains
// q (all of them when q is empty), by name: the customer pickers.
func (db *DB) CustomerChoices(ctx context.Context, a crm.Actor, q string) ([]crm.Choice, error) {
	var qb query
	qb.scope(a, crm.ResCustomer, "c", crm.TabAll)
	qb.search("(c.name || ' ' || c.phone)", q)
	rows, err := db.Pool.Query(ctx, `/* postgres.CustomerChoices */ SELECT c.id, c.name FROM customers c`+qb.whereSQL()+
		` ORDER BY c.name, c.id LIMIT 50`, qb.args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[crm.Choice])
}

// lockCollaborators locks a customer whose collaborators a changes:
// ENOTFOUND unless a may view it, EFORBIDDEN unless a may manage them.
func lockCollaborators(ctx context.Context, tx pgx.Tx, a crm.Actor, customerID int64) (crm.Record, error) {
	r, err := lockForAction(ctx, tx, a, customerPool, customerID)
	if err == nil && !crm.CanDo(a, crm.ActCollaborators, r) {
		err = crm.ErrForbidden
	}
	return r, err
}

// collaboratorError is an EINVALID error on the employee picker of the
// collaborators form.
func collaboratorError(key string) error {
	return &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{"employee_id": key}}
}
