package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

const leadFrom = `leads l
	LEFT JOIN employees o ON o.id = l.owner_id
	LEFT JOIN departments d ON d.id = l.department_id
	LEFT JOIN employees cb ON cb.id = l.created_by
	LEFT JOIN options src ON src.id = l.source_id
	LEFT JOIN campaigns cam ON cam.id = l.campaign_id
	LEFT JOIN customers cu ON cu.id = l.customer_id`

const leadColumns = `l.id, l.name, l.company, l.title, l.phone, l.email, coalesce(l.source_id, 0), coalesce(src.name, ''),
	coalesce(l.campaign_id, 0), coalesce(cam.name, ''), l.status, l.notes, l.next_follow_up_at, l.last_follow_up_at,
	coalesce(l.customer_id, 0), coalesce(cu.name, ''), l.converted_at, l.deal_amount, l.deal_count,
	coalesce(l.owner_id, 0), coalesce(o.name, ''), coalesce(l.department_id, 0), coalesce(d.name, ''),
	l.created_by, coalesce(cb.name, ''), l.created_at, l.updated_at, l.is_demo`

func scanLead(r pgx.CollectableRow) (crm.Lead, error) {
	var l crm.Lead
	err := r.Scan(&l.ID, &l.Name, &l.Company, &l.Title, &l.Phone, &l.Email, &l.SourceID, &l.SourceName,
		&l.CampaignID, &l.CampaignName, &l.Status, &l.Notes, &l.NextFollowUpAt, &l.LastFollowUpAt,
		&l.CustomerID, &l.CustomerName, &l.ConvertedAt, &l.DealAmount, &l.DealCount,
		&l.OwnerID, &l.OwnerName, &l.DepartmentID, &l.DepartmentName,
		&l.CreatedBy, &l.CreatedByName, &l.CreatedAt, &l.UpdatedAt, &l.IsDemo)
	return l, err
}

var leadSorts = map[string]string{
	"created": "l.created_at, l.id",
	"name":    "l.name, l.id",
	"company": "l.company, l.id",
	"status":  "l.status, l.id",
	"next":    "l.next_follow_up_at, l.id",
	"deal":    "l.deal_amount, l.id",
}

// leadList is the lead list's page query.
var leadList = listPage[crm.Lead]{name: "FindLeads", table: "leads", alias: "l",
	columns: leadColumns, from: leadFrom, sorts: leadSorts, order: "l.created_at DESC, l.id DESC", scan: scanLead}

// FindLeads returns one page of the leads a may view that match f, and
// their (capped) total. The permission condition is part of the SQL.
func (db *DB) FindLeads(ctx context.Context, a crm.Actor, f crm.LeadFilter) ([]crm.Lead, crm.Total, error) {
	return leadList.find(ctx, db, leadQuery(a, f), f.ListQuery)
}

// leadQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func leadQuery(a crm.Actor, f crm.LeadFilter) *query {
	q := leadPool.listQuery(a, "(l.name || ' ' || l.company || ' ' || l.phone)", f.AcquisitionFilter)
	if f.Status != "" {
		q.and("l.status = " + q.arg(string(f.Status)))
	}
	return q
}

// LeadByID returns a lead a may view; ENOTFOUND if it does not exist or a
// may not view it.
func (db *DB) LeadByID(ctx context.Context, a crm.Actor, id int64) (crm.Lead, error) {
	var q query
	q.and("l.id = " + q.arg(id))
	q.scope(a, crm.ResLead, "l", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.LeadByID */ SELECT `+leadColumns+` FROM `+leadFrom+q.whereSQL(), q.args.List...)
	if err != nil {
		return crm.Lead{}, err
	}
	l, err := pgx.CollectExactlyOneRow(rows, scanLead)
	return l, translate(err)
}

// DuplicateLeads returns up to 10 leads a may view with the same phone or
// the same name (for the warning before saving); except is left out.
func (db *DB) DuplicateLeads(ctx context.Context, a crm.Actor, name, phone string, except int64) ([]crm.Lead, error) {
	var q query
	q.scope(a, crm.ResLead, "l", crm.TabAll)
	cond := "l.name = " + q.arg(crm.CleanText(name))
	if p := crm.CleanText(phone); p != "" {
		cond = "(" + cond + " OR l.phone = " + q.arg(p) + ")"
	}
	q.and(cond)
	q.and("l.id <> " + q.arg(except))
	rows, err := db.Pool.Query(ctx, `/* postgres.DuplicateLeads */ SELECT `+leadColumns+` FROM `+leadFrom+q.whereSQL()+
		` ORDER BY l.id DESC LIMIT 10`, q.args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanLead)
}

// NewOwner says who owns a new lead or customer: OwnerID (0: the creator),
// or the pool of PoolDepartmentID (0: the creator's department).
type NewOwner struct {
	OwnerID          int64
	Pool             bool
	PoolDepartmentID int64
}

// CreateLead adds a lead and its history entry; an owner other than a is
// notified, as by an assignment.
func (db *DB) CreateLead(ctx context.Context, a crm.Actor, in crm.LeadInput, who NewOwner) (int64, error) {
	if !crm.CanCreate(a, crm.ResLead) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		owner, dept, err := ownerFor(ctx, tx, a, crm.ResLead, who.OwnerID, who.Pool, who.PoolDepartmentID)
		if err != nil {
			return err
		}
		if err := checkOptions(ctx, tx, map[string]optionRef{"source_id": {crm.OptSource, in.SourceID}}); err != nil {
			return err
		}
		if err := checkCampaign(ctx, tx, in.CampaignID, 0); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `/* postgres.CreateLead */
			INSERT INTO leads (name, company, title, phone, email, source_id, campaign_id, status, notes,
			                   next_follow_up_at, owner_id, department_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			in.Name, in.Company, in.Title, in.Phone, in.Email, nullID(in.SourceID), nullID(in.CampaignID),
			string(in.Status), in.Notes, in.NextFollowUpAt, owner, dept, a.ID).Scan(&id)
		if err != nil {
			return translate(err)
		}
		if err := notifyCreatedFor(ctx, tx, a, leadPool, id, owner, dept); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResLead, id, a.ID, "create", nil)
	})
	return id, err
}

// UpdateLead changes a lead; EFORBIDDEN unless a may update it. A converted
// lead keeps its status.
func (db *DB) UpdateLead(ctx context.Context, a crm.Actor, id int64, in crm.LeadInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, a, leadPool, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, r) {
			return crm.ErrForbidden
		}
		old, err := leadInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Status == crm.LeadConverted {
			in.Status = crm.LeadConverted
		}
		if err := checkOptions(ctx, tx, map[string]optionRef{"source_id": {crm.OptSource, in.SourceID}}); err != nil {
			return err
		}
		// The lead's campaign may stay, however it ended; a new one must be in progress.
		if err := checkCampaign(ctx, tx, in.CampaignID, old.CampaignID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdateLead */
			UPDATE leads SET name = $2, company = $3, title = $4, phone = $5, email = $6, source_id = $7,
			       campaign_id = $8, status = $9, notes = $10, next_follow_up_at = $11, updated_at = now()
			WHERE id = $1`, id, in.Name, in.Company, in.Title, in.Phone, in.Email, nullID(in.SourceID),
			nullID(in.CampaignID), string(in.Status), in.Notes, in.NextFollowUpAt); err != nil {
			return translate(err)
		}
		now, err := leadInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResLead, id, a.ID, "update", crm.Diff(
			[3]string{"name", old.Name, now.Name}, [3]string{"company", old.Company, now.Company},
			[3]string{"title", old.Title, now.Title}, [3]string{"phone", old.Phone, now.Phone},
			[3]string{"email", old.Email, now.Email}, [3]string{"source", old.SourceName, now.SourceName},
			[3]string{"campaign", old.CampaignName, now.CampaignName}, [3]string{"status", string(old.Status), string(now.Status)},
			[3]string{"notes", old.Notes, now.Notes}, [3]string{"next_follow_up_at", fmtTime(old.NextFollowUpAt), fmtTime(now.NextFollowUpAt)},
		))
	})
}

func leadInTx(ctx context.Context, tx pgx.Tx, id int64) (crm.Lead, error) {
	rows, err := tx.Query(ctx, `/* postgres.leadInTx */ SELECT `+leadColumns+` FROM `+leadFrom+` WHERE l.id = $1`, id)
	if err != nil {
		return crm.Lead{}, err
	}
	l, err := pgx.CollectExactlyOneRow(rows, scanLead)
	return l, translate(err)
}

// DeleteLead removes a lead with its follow-ups; a converted lead is kept
// (its customer refers to it).
func (db *DB) DeleteLead(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, a, leadPool, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, r) {
			return crm.ErrForbidden
		}
		var converted bool
		if err := tx.QueryRow(ctx, `SELECT customer_id IS NOT NULL OR EXISTS (SELECT 1 FROM customers WHERE lead_id = $1) FROM leads WHERE id = $1`, id).Scan(&converted); err != nil {
			return err
		}
		if converted {
			return crm.Errorf(crm.ECONFLICT, "error.lead_converted_delete")
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteLead */ DELETE FROM leads WHERE id = $1`, id); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResLead, id, a.ID, "delete", nil)
	})
}

// ClaimLead makes a the owner of a pool lead (ECONFLICT if someone was faster).
func (db *DB) ClaimLead(ctx context.Context, a crm.Actor, id int64) error {
	return db.claim(ctx, a, leadPool, id)
}

// ReleaseLead puts a lead back into its department's pool.
func (db *DB) ReleaseLead(ctx context.Context, a crm.Actor, id int64) error {
	return db.release(ctx, a, leadPool, id)
}

// AssignLead makes employee the owner of a lead.
func (db *DB) AssignLead(ctx context.Context, a crm.Actor, id, employee int64) error {
	return db.assign(ctx, a, leadPool, id, employee)
}

// ConvertLead turns a lead into a customer (SPEC §4, 线索转客户): the
// customer carries the company (or the contact's name), campaign, source and
// owner; the lead's person becomes its primary contact; the lead is marked
// converted and linked — once: a second conversion (another tab) finds the
// lead converted and gets ECONFLICT. Returns the customer's id.
func (db *DB) ConvertLead(ctx context.Context, a crm.Actor, id int64) (int64, error) {
	var customerID int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, a, leadPool, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, r) || !crm.CanCreate(a, crm.ResCustomer) {
			return crm.ErrForbidden
		}
		l, err := leadInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if l.Status == crm.LeadConverted {
			return crm.Errorf(crm.ECONFLICT, "error.lead_already_converted")
		}
		name := l.Company
		if name == "" {
			name = l.Name
		}
		owner, dept := nullID(l.OwnerID), nullID(l.DepartmentID)
		if owner == nil { // a pool lead converted by a manager: the customer stays in that pool
			owner, dept = nil, nullID(l.DepartmentID)
		}
		err = tx.QueryRow(ctx, `/* postgres.ConvertLead customer */
			INSERT INTO customers (name, source_id, campaign_id, lead_id, phone, notes, owner_id, department_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			name, nullID(l.SourceID), nullID(l.CampaignID), id, l.Phone, l.Notes, owner, dept, a.ID).Scan(&customerID)
		if err != nil {
			return translate(err)
		}
		if _, err := tx.Exec(ctx, `/* postgres.ConvertLead contact */
			INSERT INTO contacts (customer_id, name, title, phone, email, is_primary, owner_id, department_id, created_by,
			                      customer_owner_id, customer_department_id)
			VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $6, $7)`,
			customerID, l.Name, l.Title, l.Phone, l.Email, owner, dept, a.ID); err != nil {
			return translate(err)
		}
		if _, err := tx.Exec(ctx, `/* postgres.ConvertLead lead */
			UPDATE leads SET status = 'converted', customer_id = $2, converted_at = now(), updated_at = now() WHERE id = $1`,
			id, customerID); err != nil {
			return err
		}
		if err := recordHistory(ctx, tx, crm.ResCustomer, customerID, a.ID, "convert",
			[]crm.Change{{Field: "lead", New: l.Name}}); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResLead, id, a.ID, "convert", crm.Diff(
			[3]string{"status", string(l.Status), string(crm.LeadConverted)}, [3]string{"customer", "", name}))
	})
	return customerID, err
}

type optionRef struct {
	kind crm.OptionKind
	id   int64
}

// checkOptions verifies that each chosen option exists in its list.
func checkOptions(ctx context.Context, tx pgx.Tx, refs map[string]optionRef) error {
	var v crm.Invalid
	for field, ref := range refs {
		if ref.id == 0 {
			continue
		}
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM options WHERE id = $1 AND kind = $2)`, ref.id, string(ref.kind)).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			v.Add(field, "error.not_exist")
		}
	}
	return v.Err()
}

// checkCampaign verifies that a chosen campaign exists and is in progress
// (进行中) — whoever records the lead or customer, whether or not they may
// view campaigns — or is current, the one the record has already (an edit
// keeps its campaign however it ended). EINVALID on campaign_id otherwise.
func checkCampaign(ctx context.Context, tx pgx.Tx, id, current int64) error {
	if id == 0 || id == current {
		return nil
	}
	var ok bool
	if err := tx.QueryRow(ctx, `/* postgres.checkCampaign */ SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = $1 AND status = 'active')`,
		id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{"campaign_id": "campaign.not_active"}}
	}
	return nil
}

// fmtTime renders a time for history.
func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02 15:04")
}
