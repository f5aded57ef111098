package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// Campaigns (市场活动). Their figures — 线索数, 客户数, 成交金额 — are columns
// that the triggers of migration 0002 keep current as leads and customers
// point at a campaign or stop doing so; nothing here counts on read.

const campaignFrom = `campaigns c
	LEFT JOIN options ty ON ty.id = c.type_id
	LEFT JOIN employees o ON o.id = c.owner_id
	LEFT JOIN departments d ON d.id = c.department_id
	LEFT JOIN employees cb ON cb.id = c.created_by`

const campaignColumns = `c.id, c.name, coalesce(c.type_id, 0), coalesce(ty.name, ''), c.status, c.start_date, c.end_date,
	c.budget, c.actual_cost, c.description, c.lead_count, c.customer_count, c.deal_amount,
	coalesce(c.owner_id, 0), coalesce(o.name, ''), coalesce(c.department_id, 0), coalesce(d.name, ''),
	c.created_by, coalesce(cb.name, ''), c.created_at, c.updated_at, c.is_demo`

func scanCampaign(r pgx.CollectableRow) (crm.Campaign, error) {
	var c crm.Campaign
	err := r.Scan(&c.ID, &c.Name, &c.TypeID, &c.TypeName, &c.Status, &c.StartDate, &c.EndDate,
		&c.Budget, &c.ActualCost, &c.Description, &c.LeadCount, &c.CustomerCount, &c.DealAmount,
		&c.OwnerID, &c.OwnerName, &c.DepartmentID, &c.DepartmentName,
		&c.CreatedBy, &c.CreatedByName, &c.CreatedAt, &c.UpdatedAt, &c.IsDemo)
	c.StartDate, c.EndDate = businessDay(c.StartDate), businessDay(c.EndDate)
	return c, err
}

// businessDay puts a date column's day (scanned as midnight UTC) at midnight
// in the business zone, where the forms and pages read and show days.
func businessDay(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, crm.Zone)
	return &d
}

var campaignSorts = map[string]string{
	"created":   "c.created_at, c.id",
	"name":      "c.name, c.id",
	"status":    "c.status, c.id",
	"start":     "c.start_date NULLS FIRST, c.id",
	"end":       "c.end_date NULLS FIRST, c.id",
	"budget":    "c.budget, c.id",
	"cost":      "c.actual_cost, c.id",
	"leads":     "c.lead_count, c.id",
	"customers": "c.customer_count, c.id",
	"deal":      "c.deal_amount, c.id",
}

// CampaignSortable reports whether key is a sort FindCampaigns knows.
func CampaignSortable(key string) bool {
	_, ok := campaignSorts[key]
	return ok
}

// campaignList is the campaign list's page query.
var campaignList = listPage[crm.Campaign]{name: "FindCampaigns", table: "campaigns", alias: "c", columns: campaignColumns,
	from: campaignFrom, sorts: campaignSorts, order: "c.created_at DESC, c.id DESC", scan: scanCampaign, joined: true}

// FindCampaigns returns one page of the campaigns a may view that match f,
// and their (capped) total. The permission condition is part of the SQL.
func (db *DB) FindCampaigns(ctx context.Context, a crm.Actor, f crm.CampaignFilter) ([]crm.Campaign, crm.Total, error) {
	return campaignList.find(ctx, db, campaignQuery(a, f), f.ListQuery)
}

// campaignQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func campaignQuery(a crm.Actor, f crm.CampaignFilter) *query {
	var q query
	q.scope(a, crm.ResCampaign, "c", f.Tab)
	q.search("c.name", f.Query)
	if f.Status != "" {
		q.and("c.status = " + q.arg(string(f.Status)))
	}
	if f.TypeID != 0 {
		q.and("c.type_id = " + q.arg(f.TypeID))
	}
	return &q
}

// CampaignByID returns a campaign a may view; ENOTFOUND if it does not
// exist or a may not view it.
func (db *DB) CampaignByID(ctx context.Context, a crm.Actor, id int64) (crm.Campaign, error) {
	var q query
	q.and("c.id = " + q.arg(id))
	q.scope(a, crm.ResCampaign, "c", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.CampaignByID */ SELECT `+campaignColumns+` FROM `+campaignFrom+q.whereSQL(), q.args.List...)
	if err != nil {
		return crm.Campaign{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCampaign)
	return c, translate(err)
}

// MaxCampaignChoices bounds the campaign pickers.
const MaxCampaignChoices = 500

// CampaignChoices lists the campaigns a may view for the campaign filters
// of the lead and customer lists, newest first: the newest MaxCampaignChoices, plus
// those of keep (the edited record's current campaign, however old) that a
// may view.
func (db *DB) CampaignChoices(ctx context.Context, a crm.Actor, keep ...int64) ([]crm.Choice, error) {
	var q query
	q.scope(a, crm.ResCampaign, "c", crm.TabAll)
	if keep == nil {
		keep = []int64{}
	}
	k := q.arg(keep)
	rows, err := db.anchored().Query(ctx, `/* postgres.CampaignChoices */
		SELECT id, name FROM (
			(SELECT c.id, c.name, c.created_at FROM campaigns c`+q.whereSQL()+`
			 ORDER BY c.created_at DESC, c.id DESC LIMIT `+strconv.Itoa(MaxCampaignChoices)+`)
			UNION
			(SELECT c.id, c.name, c.created_at FROM campaigns c`+q.whereSQL()+` AND c.id = ANY(`+k+`::bigint[]))
		) x ORDER BY created_at DESC, id DESC`, q.args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[crm.Choice])
}

// ActiveCampaignChoices lists the campaigns in progress (进行中), by name
// only, for the 所属活动 pickers of the lead and customer forms: every role
// that records leads or customers picks from them, whether or not it may
// view campaigns (the campaign pages keep their rules). Newest first, the
// newest MaxCampaignChoices, plus those of keep (an edited record's
// current campaign, which it keeps however it ended) whatever their state.
func (db *DB) ActiveCampaignChoices(ctx context.Context, keep ...int64) ([]crm.Choice, error) {
	if keep == nil {
		keep = []int64{}
	}
	rows, err := db.anchored().Query(ctx, `/* postgres.ActiveCampaignChoices */
		SELECT id, name FROM (
			(SELECT c.id, c.name, c.created_at FROM campaigns c WHERE c.status = 'active'
			 ORDER BY c.created_at DESC, c.id DESC LIMIT `+strconv.Itoa(MaxCampaignChoices)+`)
			UNION
			(SELECT c.id, c.name, c.created_at FROM campaigns c WHERE c.id = ANY($1::bigint[]))
		) x ORDER BY created_at DESC, id DESC`, keep)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[crm.Choice])
}

// campaignRecord loads what the policy needs about one campaign, locking
// the row when lock is set. It does not check visibility.
func campaignRecord(ctx context.Context, tx pgx.Tx, id int64, lock bool) (crm.Record, error) {
	sql := `/* postgres.campaignRecord */ SELECT coalesce(owner_id, 0), coalesce(department_id, 0), created_by FROM campaigns WHERE id = $1`
	if lock {
		sql += " FOR UPDATE"
	}
	r := crm.Record{Resource: crm.ResCampaign}
	err := tx.QueryRow(ctx, sql, id).Scan(&r.OwnerID, &r.DepartmentID, &r.CreatedBy)
	return r, translate(err)
}

// lockCampaign is lockForAction for campaigns: ENOTFOUND unless a may view
// the campaign, then the row is locked and its current state returned.
func lockCampaign(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64) (crm.Record, error) {
	before, err := campaignRecord(ctx, tx, id, false)
	if err != nil {
		return before, err
	}
	if !crm.CanView(a, before) {
		return before, crm.ErrNotFound
	}
	return campaignRecord(ctx, tx, id, true)
}

func campaignInTx(ctx context.Context, tx pgx.Tx, id int64) (crm.Campaign, error) {
	rows, err := tx.Query(ctx, `/* postgres.campaignInTx */ SELECT `+campaignColumns+` FROM `+campaignFrom+` WHERE c.id = $1`, id)
	if err != nil {
		return crm.Campaign{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCampaign)
	return c, translate(err)
}

// CreateCampaign adds a campaign and its history entry. The owner is the
// creator unless in.OwnerID names an employee a may assign to (EINVALID on
// owner_id otherwise); the department is the owner's. EFORBIDDEN unless a
// may create campaigns; EINVALID for bad input.
func (db *DB) CreateCampaign(ctx context.Context, a crm.Actor, in crm.CampaignInput) (int64, error) {
	if !crm.CanCreate(a, crm.ResCampaign) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		owner, dept, err := ownerFor(ctx, tx, a, crm.ResCampaign, in.OwnerID, false, 0)
		if err != nil {
			return err
		}
		if err := checkOptions(ctx, tx, map[string]optionRef{"type_id": {crm.OptCampaignType, in.TypeID}}); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `/* postgres.CreateCampaign */
			INSERT INTO campaigns (name, type_id, status, start_date, end_date, budget, actual_cost, description,
			                       owner_id, department_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			in.Name, nullID(in.TypeID), string(in.Status), dateArg(in.StartDate), dateArg(in.EndDate),
			in.Budget, in.ActualCost, in.Description, owner, dept, a.ID).Scan(&id)
		if err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResCampaign, id, a.ID, "create", nil)
	})
	return id, err
}

// UpdateCampaign changes a campaign: ENOTFOUND unless a may view it,
// EFORBIDDEN unless a may update it, EINVALID for bad input. A non-zero
// in.OwnerID other than the current owner transfers the campaign (and moves
// it to the new owner's department), which needs crm.ActAssign.
func (db *DB) UpdateCampaign(ctx context.Context, a crm.Actor, id int64, in crm.CampaignInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockCampaign(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, r) {
			return crm.ErrForbidden
		}
		if err := in.Validate(); err != nil {
			return err
		}
		owner, dept := nullID(r.OwnerID), nullID(r.DepartmentID)
		if in.OwnerID != 0 && in.OwnerID != r.OwnerID {
			if !crm.CanDo(a, crm.ActAssign, r) {
				return crm.ErrForbidden
			}
			if dept, err = assignee(ctx, tx, a, in.OwnerID, "owner_id"); err != nil {
				return err
			}
			owner = &in.OwnerID
		}
		if err := checkOptions(ctx, tx, map[string]optionRef{"type_id": {crm.OptCampaignType, in.TypeID}}); err != nil {
			return err
		}
		old, err := campaignInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdateCampaign */
			UPDATE campaigns SET name = $2, type_id = $3, status = $4, start_date = $5, end_date = $6, budget = $7,
			       actual_cost = $8, description = $9, owner_id = $10, department_id = $11, updated_at = now()
			WHERE id = $1`, id, in.Name, nullID(in.TypeID), string(in.Status), dateArg(in.StartDate), dateArg(in.EndDate),
			in.Budget, in.ActualCost, in.Description, owner, dept); err != nil {
			return translate(err)
		}
		now, err := campaignInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		changes := crm.Diff(campaignTriples(old, now)...)
		if len(changes) == 0 {
			return nil // nothing changed: no history entry
		}
		return recordHistory(ctx, tx, crm.ResCampaign, id, a.ID, "update", changes)
	})
}

// campaignTriples lists the fields a campaign's history shows. The name and
// status use their own field keys (a campaign's 名称 is not a person's 姓名;
// its status values are not a lead's).
func campaignTriples(old, now crm.Campaign) [][3]string {
	return [][3]string{
		{"campaign_name", old.Name, now.Name},
		{"type", old.TypeName, now.TypeName},
		{"campaign_status", string(old.Status), string(now.Status)},
		{"start_date", fmtDay(old.StartDate), fmtDay(now.StartDate)},
		{"end_date", fmtDay(old.EndDate), fmtDay(now.EndDate)},
		{"budget", old.Budget.StringFixed(2), now.Budget.StringFixed(2)},
		{"actual_cost", old.ActualCost.StringFixed(2), now.ActualCost.StringFixed(2)},
		{"description", old.Description, now.Description},
		{"owner", old.OwnerName, now.OwnerName},
		{"department", old.DepartmentName, now.DepartmentName},
	}
}

// DeleteCampaign removes a campaign: ENOTFOUND unless a may view it,
// EFORBIDDEN unless a may delete it, and ECONFLICT ("campaign.in_use", with
// the numbers of leads and customers) while leads or customers refer to it.
// The row lock keeps new leads and customers from pointing at the campaign
// between the check and the delete (their foreign key waits for it).
func (db *DB) DeleteCampaign(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := lockCampaign(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, r) {
			return crm.ErrForbidden
		}
		// The EXISTS tests decide (index look-ups); the message quotes the
		// figures the triggers keep.
		var used bool
		var leads, customers int
		if err := tx.QueryRow(ctx, `/* postgres.DeleteCampaign uses */
			SELECT EXISTS (SELECT 1 FROM leads WHERE campaign_id = $1) OR EXISTS (SELECT 1 FROM customers WHERE campaign_id = $1),
			       lead_count, customer_count
			FROM campaigns WHERE id = $1`, id).Scan(&used, &leads, &customers); err != nil {
			return translate(err)
		}
		if used {
			return crm.Errorf(crm.ECONFLICT, "campaign.in_use", leads, customers)
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteCampaign */ DELETE FROM campaigns WHERE id = $1`, id); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResCampaign, id, a.ID, "delete", nil)
	})
}

// dateArg passes a day to a date column as its calendar date in the
// business zone (whatever zone the time value carries).
func dateArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.In(crm.Zone).Format("2006-01-02")
}

// fmtDay renders a day for history.
func fmtDay(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02")
}
