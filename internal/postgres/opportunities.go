package postgres

import (
	"context"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// Opportunities (销售机会) live under a customer: each row carries the
// customer's id and a copy of its owner and department (customer_owner_id,
// customer_department_id) for rule 7 of the policy, rewritten by the
// customer's claim, release and assign (customerPool's children). The
// opportunity itself is owned by its creator, in the creator's department.
//
// Writers lock the customer row first and the opportunity after it — the
// order of the customer's own workflows (setOwner) — so that changing an
// opportunity and moving its customer never deadlock.

const opportunityFrom = `opportunities op
	JOIN customers cu ON cu.id = op.customer_id
	LEFT JOIN employees o ON o.id = op.owner_id
	LEFT JOIN departments d ON d.id = op.department_id
	LEFT JOIN employees cb ON cb.id = op.created_by`

const opportunityColumns = `op.id, op.name, op.stage, op.expected_amount, op.expected_close, op.notes,
	op.last_follow_up_at, op.stage_changed_at,
	op.customer_id, cu.name, coalesce(op.customer_owner_id, 0), coalesce(op.customer_department_id, 0),
	coalesce(op.owner_id, 0), coalesce(o.name, ''), coalesce(op.department_id, 0), coalesce(d.name, ''),
	op.created_by, coalesce(cb.name, ''), op.created_at, op.updated_at, op.is_demo`

func scanOpportunity(r pgx.CollectableRow) (crm.Opportunity, error) {
	var o crm.Opportunity
	err := r.Scan(&o.ID, &o.Name, &o.Stage, &o.ExpectedAmount, &o.ExpectedClose, &o.Notes,
		&o.LastFollowUpAt, &o.StageChangedAt,
		&o.CustomerID, &o.Parent.Name, &o.CustomerOwnerID, &o.CustomerDepartmentID,
		&o.OwnerID, &o.OwnerName, &o.DepartmentID, &o.DepartmentName,
		&o.CreatedBy, &o.CreatedByName, &o.CreatedAt, &o.UpdatedAt, &o.IsDemo)
	o.ExpectedClose = businessDay(o.ExpectedClose)
	return o, err
}

// opportunitySorts are the list's orders; "stage" is board order
// (stage_rank, a generated column of migration 0014).
var opportunitySorts = map[string]string{
	"created": "op.created_at, op.id",
	"name":    "op.name, op.id",
	"amount":  "op.expected_amount, op.id",
	"close":   "op.expected_close, op.id",
	"stage":   "op.stage_rank, op.id",
}

// opportunityRead reads opportunities with their customer's
// collaborators in Parent (so that Record() answers the policy right).
var opportunityRead = dealRead[crm.Opportunity]{name: "Opportunity", res: crm.ResOpportunity, table: "opportunities",
	alias: "op", columns: opportunityColumns, from: opportunityFrom, scan: scanOpportunity,
	more: func(ctx context.Context, q collabQuerier, o *crm.Opportunity) (err error) {
		o.Collaborators, err = collaboratorIDs(ctx, q, o.CustomerID)
		return err
	}}

// FindOpportunities returns one page of the opportunities a may view that
// match f, and their (capped) total. The permission condition is part of
// the SQL.
func (db *DB) FindOpportunities(ctx context.Context, a crm.Actor, f crm.OpportunityFilter) ([]crm.Opportunity, crm.Total, error) {
	order := orderBy(opportunitySorts, f.Sort, f.Desc, "op.created_at DESC, op.id DESC")
	return opportunityRead.find(ctx, db, "FindOpportunities", opportunityQuery(a, f), order, f.Page)
}

// opportunityQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func opportunityQuery(a crm.Actor, f crm.OpportunityFilter) *query {
	var q query
	q.scope(a, crm.ResOpportunity, "op", f.Tab)
	q.search("op.name", f.Query)
	if f.Stage != "" {
		q.and("op.stage = " + q.arg(string(f.Stage)))
	}
	if f.CustomerID != 0 {
		q.and("op.customer_id = " + q.arg(f.CustomerID))
	}
	if f.OwnerID != 0 {
		q.and("op.owner_id = " + q.arg(f.OwnerID))
	}
	if f.CloseFrom != nil {
		q.and("op.expected_close >= " + q.arg(dateArg(f.CloseFrom)))
	}
	if f.CloseTo != nil {
		q.and("op.expected_close <= " + q.arg(dateArg(f.CloseTo)))
	}
	if f.DepartmentID != 0 {
		q.and("op.department_id = " + q.arg(f.DepartmentID))
	}
	if f.CreatedFrom != nil {
		q.and("op.created_at >= " + q.arg(*f.CreatedFrom))
	}
	if f.CreatedTo != nil {
		q.and("op.created_at < " + q.arg(f.CreatedTo.AddDate(0, 0, 1)))
	}
	return &q
}

// Board returns one column per stage (crm.OppStages order) of the
// opportunities a may view that match f.
//
// It picks one of two shapes by the size of what a sees (counted up to
// CountCap, like every list): a board of up to CountCap opportunities — a
// rep's, a small team's — is read whole from the permission branches'
// indexes, grouped by stage for exact counts and sums and numbered per
// stage (a window, whose ids the cards are then fetched by, so that only
// they join their lookups) for the cards; a bigger one is read stage by stage, each
// an index walk (opportunities_stage_idx) that stops after crm.BoardCards cards
// and after CountCap+1 rows for the count and sum. Either way a board costs
// the same with ten thousand or ten million opportunities.
func (db *DB) Board(ctx context.Context, a crm.Actor, f crm.BoardFilter) ([]crm.BoardColumn, error) {
	var q query
	q.scope(a, crm.ResOpportunity, "op", f.Tab)
	if f.OwnerID != 0 {
		q.and("op.owner_id = " + q.arg(f.OwnerID))
	}
	if f.CustomerID != 0 {
		q.and("op.customer_id = " + q.arg(f.CustomerID))
	}
	cols := make([]crm.BoardColumn, len(crm.OppStages))
	index := map[crm.OppStage]int{}
	for i, s := range crm.OppStages {
		cols[i] = crm.BoardColumn{Stage: s, Sum: decimal.Zero}
		index[s] = i
	}
	if !slices.ContainsFunc(q.where, func(c string) bool { return c != "TRUE" }) {
		// Every opportunity: the figures kept on write (migration 0011).
		return cols, db.wholeBoard(ctx, q, cols)
	}
	size, err := q.count(ctx, db, "Board", "opportunities op")
	if err != nil {
		return nil, err
	}
	if size.Capped {
		return cols, db.bigBoard(ctx, q, cols)
	}

	rows, err := db.Pool.Query(ctx, `/* postgres.Board counts */
		SELECT op.stage, count(*), coalesce(sum(op.expected_amount), 0)
		FROM opportunities op`+q.whereSQL()+` GROUP BY op.stage`, q.args.List...)
	if err != nil {
		return nil, err
	}
	stats, err := pgx.CollectRows(rows, pgx.RowToStructByPos[boardStat])
	if err != nil {
		return nil, err
	}
	for _, st := range stats {
		if i, ok := index[crm.OppStage(st.Stage)]; ok {
			cols[i].Count, cols[i].Sum = crm.Total{N: st.N}, st.Sum
		}
	}
	rows, err = db.Pool.Query(ctx, `/* postgres.Board cards */
		SELECT `+opportunityColumns+` FROM `+opportunityFrom+`
		WHERE op.id = ANY(ARRAY(
		    SELECT n.id FROM (SELECT op.id, row_number() OVER (PARTITION BY op.stage ORDER BY op.stage_changed_at DESC, op.id DESC) AS rn
		                      FROM opportunities op`+q.whereSQL()+`) n
		    WHERE n.rn <= `+strconv.Itoa(crm.BoardCards)+`))
		ORDER BY op.stage_changed_at DESC, op.id DESC`, q.args.List...)
	if err != nil {
		return nil, err
	}
	cards, err := pgx.CollectRows(rows, scanOpportunity)
	if err != nil {
		return nil, err
	}
	for _, o := range cards {
		if i, ok := index[o.Stage]; ok {
			cols[i].Cards = append(cols[i].Cards, o)
		}
	}
	return cols, nil
}

// boardStat is one stage's count and sum.
type boardStat struct {
	Stage string
	N     int
	Sum   decimal.Decimal
}

// wholeBoard fills the columns of the board of every opportunity: the
// counts and sums kept per stage by the write path, and the newest cards
// of each stage (bigBoard's walks), in one round trip and one snapshot.
func (db *DB) wholeBoard(ctx context.Context, q query, cols []crm.BoardColumn) error {
	return pgx.BeginTxFunc(ctx, db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `/* postgres.Board figures */ SELECT stage, n, amount FROM opportunity_stage_figures`)
		if err != nil {
			return err
		}
		stats, err := pgx.CollectRows(rows, pgx.RowToStructByPos[boardStat])
		if err != nil {
			return err
		}
		for _, st := range stats {
			for i := range cols {
				if cols[i].Stage == crm.OppStage(st.Stage) {
					cols[i].Count, cols[i].Sum = crm.Total{N: st.N}, st.Sum
				}
			}
		}
		b := &pgx.Batch{}
		for _, c := range cols {
			sq := query{args: Args{List: slices.Clone(q.args.List)}, where: slices.Clone(q.where)}
			sq.and("op.stage = " + sq.arg(string(c.Stage)))
			b.Queue(`/* postgres.Board stage cards */
				SELECT `+opportunityColumns+` FROM `+opportunityFrom+sq.whereSQL()+`
				ORDER BY op.stage_changed_at DESC, op.id DESC LIMIT `+strconv.Itoa(crm.BoardCards), sq.args.List...)
		}
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		for i := range cols {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			if cols[i].Cards, err = pgx.CollectRows(rows, scanOpportunity); err != nil {
				return err
			}
		}
		return br.Close()
	})
}

// bigBoard fills the columns of a board of more than CountCap
// opportunities stage by stage, in one round trip: per stage, the capped
// count and sum, and the newest cards. The stage is a parameter of each
// query (not a join), so that the planner plans each walk with its value.
func (db *DB) bigBoard(ctx context.Context, q query, cols []crm.BoardColumn) error {
	b := &pgx.Batch{}
	for _, c := range cols {
		sq := query{args: Args{List: slices.Clone(q.args.List)}, where: slices.Clone(q.where)}
		sq.and("op.stage = " + sq.arg(string(c.Stage)))
		b.Queue(`/* postgres.Board stage count */
			SELECT count(*), coalesce(sum(y.expected_amount), 0)
			FROM (SELECT op.expected_amount FROM opportunities op`+sq.whereSQL()+` LIMIT `+strconv.Itoa(crm.CountCap+1)+`) y`,
			sq.args.List...)
		b.Queue(`/* postgres.Board stage cards */
			SELECT `+opportunityColumns+` FROM `+opportunityFrom+sq.whereSQL()+`
			ORDER BY op.stage_changed_at DESC, op.id DESC LIMIT `+strconv.Itoa(crm.BoardCards), sq.args.List...)
	}
	br := db.Pool.SendBatch(ctx, b)
	defer br.Close()
	for i := range cols {
		var n int
		if err := br.QueryRow().Scan(&n, &cols[i].Sum); err != nil {
			return err
		}
		cols[i].Count = crm.Total{N: n}
		if n > crm.CountCap {
			cols[i].Count = crm.Total{N: crm.CountCap, Capped: true}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		if cols[i].Cards, err = pgx.CollectRows(rows, scanOpportunity); err != nil {
			return err
		}
	}
	return br.Close()
}

// OpportunityByID returns an opportunity a may view, with the
// collaborators of its customer in Parent (so that Record() answers the
// policy right); ENOTFOUND if it does not exist or a may not view it.
func (db *DB) OpportunityByID(ctx context.Context, a crm.Actor, id int64) (crm.Opportunity, error) {
	return opportunityRead.byID(ctx, db, a, id)
}

// OpportunityChoicesOf returns the opportunities of a customer that a may
// view (at most 200), newest first: the opportunity picker of the quote
// and order forms.
func (db *DB) OpportunityChoicesOf(ctx context.Context, a crm.Actor, customerID int64) ([]crm.Opportunity, error) {
	return opportunityRead.of(ctx, db, "OpportunityChoicesOf", a, customerID)
}

// opportunityForAction is opportunityRead.forAction with the customer
// locked FOR NO KEY UPDATE: the lock an update of the customer's follow-up
// times takes, so that such an update later in the transaction needs no
// upgrade.
func opportunityForAction(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64) (crm.Opportunity, error) {
	return opportunityRead.forAction(ctx, tx, a, id, "NO KEY UPDATE")
}

// CreateOpportunity adds an opportunity under a customer and its history
// entry. EFORBIDDEN unless a's role creates opportunities and a may update
// the customer (crm.CanAddUnder); ENOTFOUND when a may not view the
// customer; EINVALID for bad input. The creator owns it, in their
// department; it carries the customer's owner and department.
func (db *DB) CreateOpportunity(ctx context.Context, a crm.Actor, in crm.OpportunityInput) (int64, error) {
	if !crm.CanCreate(a, crm.ResOpportunity) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		_, customer, err := customerParent(ctx, tx, a, in.CustomerID)
		if err != nil {
			return err
		}
		if !crm.CanAddUnder(a, crm.ResOpportunity, customer) {
			return crm.ErrForbidden
		}
		err = tx.QueryRow(ctx, `/* postgres.CreateOpportunity */
			INSERT INTO opportunities (name, customer_id, stage, expected_amount, expected_close, notes,
			                           owner_id, department_id, created_by, customer_owner_id, customer_department_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9, $10) RETURNING id`,
			in.Name, in.CustomerID, string(in.Stage), in.ExpectedAmount, dateArg(in.ExpectedClose), in.Notes,
			a.ID, nullID(a.DepartmentID), nullID(customer.OwnerID), nullID(customer.DepartmentID)).Scan(&id)
		if err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResOpportunity, id, a.ID, "create", nil)
	})
	return id, err
}

// opportunityTriples lists the fields an opportunity's history shows; the
// keys are the opportunity's own (field.name_opportunity, …), its stage
// values are not a customer's.
func opportunityTriples(old, now crm.Opportunity) [][3]string {
	return [][3]string{
		{"name_opportunity", old.Name, now.Name},
		{"stage_opportunity", string(old.Stage), string(now.Stage)},
		{"amount_opportunity", old.ExpectedAmount.StringFixed(2), now.ExpectedAmount.StringFixed(2)},
		{"close_opportunity", fmtDay(old.ExpectedClose), fmtDay(now.ExpectedClose)},
		{"notes", old.Notes, now.Notes},
	}
}

// UpdateOpportunity changes an opportunity: ENOTFOUND unless a may view
// it, EFORBIDDEN unless a may update it, EINVALID for bad input. Its
// customer never changes (in.CustomerID is ignored); a new stage restarts
// the stage clock (stage_changed_at).
func (db *DB) UpdateOpportunity(ctx context.Context, a crm.Actor, id int64, in crm.OpportunityInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := opportunityForAction(ctx, tx, a, id)
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
		if _, err := tx.Exec(ctx, `/* postgres.UpdateOpportunity */
			UPDATE opportunities SET name = $2, stage = $3, expected_amount = $4, expected_close = $5, notes = $6,
			       stage_changed_at = CASE WHEN stage = $3 THEN stage_changed_at ELSE now() END, updated_at = now()
			WHERE id = $1`, id, in.Name, string(in.Stage), in.ExpectedAmount, dateArg(in.ExpectedClose), in.Notes); err != nil {
			return translate(err)
		}
		now, err := opportunityRead.inTx(ctx, tx, id, false)
		if err != nil {
			return err
		}
		changes := crm.Diff(opportunityTriples(old, now)...)
		if len(changes) == 0 {
			return nil // nothing changed: no history entry
		}
		return recordHistory(ctx, tx, crm.ResOpportunity, id, a.ID, "update", changes)
	})
}

// SetStage moves an opportunity to stage (the board's drag and its plain
// form): ENOTFOUND unless a may view it, EFORBIDDEN unless a may update
// it, EINVALID (on stage) for an unknown stage. The stage clock restarts;
// moving to the stage it is in changes nothing.
func (db *DB) SetStage(ctx context.Context, a crm.Actor, id int64, stage crm.OppStage) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := opportunityForAction(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, old.Record()) {
			return crm.ErrForbidden
		}
		if !stage.Valid() {
			return &crm.Error{Code: crm.EINVALID, Message: "error.choose", Fields: map[string]string{"stage": "error.choose"}}
		}
		if old.Stage == stage {
			return nil
		}
		if _, err := tx.Exec(ctx, `/* postgres.SetStage */
			UPDATE opportunities SET stage = $2, stage_changed_at = now(), updated_at = now() WHERE id = $1`,
			id, string(stage)); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResOpportunity, id, a.ID, "update",
			[]crm.Change{{Field: "stage_opportunity", Old: string(old.Stage), New: string(stage)}})
	})
}

// DeleteOpportunity removes an opportunity with its follow-ups (the
// foreign key cascades): ENOTFOUND unless a may view it, EFORBIDDEN unless
// a may delete it, and ECONFLICT ("opportunity.in_use", with the numbers
// of quotes and orders) while quotes or orders refer to it. The row lock
// keeps new quotes and orders from pointing at it between the check and
// the delete (their foreign key waits for it).
func (db *DB) DeleteOpportunity(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := opportunityForAction(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, old.Record()) {
			return crm.ErrForbidden
		}
		var quotes, orders int
		if err := tx.QueryRow(ctx, `/* postgres.DeleteOpportunity uses */
			SELECT (SELECT count(*) FROM quotes WHERE opportunity_id = $1), (SELECT count(*) FROM orders WHERE opportunity_id = $1)`,
			id).Scan(&quotes, &orders); err != nil {
			return err
		}
		if quotes+orders > 0 {
			return crm.Errorf(crm.ECONFLICT, "opportunity.in_use", quotes, orders)
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteOpportunity */ DELETE FROM opportunities WHERE id = $1`, id); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResOpportunity, id, a.ID, "delete", nil)
	})
}
