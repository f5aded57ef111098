package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// The sections of a record's page (crm.Section): the first
// crm.SectionRows records of one kind under a customer, an opportunity, an
// order or a lead that the actor may view, in the section's order, and how
// many there are, counted up to crm.SectionCap. A key account's page reads
// ten rows and counts at most a thousand-and-one index entries per section
// however many it has; each section is one index of migration 0015 (the
// parent's column, the section's order, the permission condition's
// columns included), listed in docs/performance.md.

// sectionSpec is one section's query: the driving table (aliased alias),
// the columns over from (which begins with the table, its lookups after),
// the parent's column and the section's order.
type sectionSpec[T any] struct {
	name         string // the storage function, for the statements' comments
	res          crm.Resource
	table, alias string
	columns      string
	from         string
	parent       string // the column naming the parent: customer_id, opportunity_id …
	order        string
	scan         func(pgx.CollectableRow) (T, error)
}

// read returns the section of parent id as a sees it. The first rows' ids
// are picked over the table alone — the parent's condition and the
// permission condition, in the section's order, index-only where the
// index holds what the condition reads — and only those rows are joined to
// their lookups; the count stops after crm.SectionCap+1 rows. Both go in
// one batch (one round trip) on the anchored pool: their plan is the
// parent's index whatever the actor.
func (s sectionSpec[T]) read(ctx context.Context, db *DB, a crm.Actor, id int64) (crm.Section[T], error) {
	var q query
	q.and(s.alias + "." + s.parent + " = " + q.arg(id))
	q.scope(a, s.res, s.alias, crm.TabAll)
	head := s.table + " " + s.alias
	if !strings.HasPrefix(s.from, head) {
		panic("postgres: " + s.name + ": the FROM clause does not begin with " + head)
	}
	b := &pgx.Batch{}
	b.Queue(`/* postgres.`+s.name+` */ SELECT `+s.columns+` FROM (SELECT `+s.alias+`.id FROM `+head+q.whereSQL()+
		` ORDER BY `+s.order+` LIMIT `+strconv.Itoa(crm.SectionRows)+`) page JOIN `+head+` ON `+s.alias+`.id = page.id`+
		s.from[len(head):]+` ORDER BY `+s.order, q.args.List...)
	b.Queue(`/* postgres.`+s.name+` count */ SELECT count(*) FROM (SELECT 1 FROM `+head+q.whereSQL()+
		` LIMIT `+strconv.Itoa(crm.SectionCap+1)+`) x`, q.args.List...)
	br := db.anchored().SendBatch(ctx, b)
	defer br.Close()
	var sec crm.Section[T]
	rows, err := br.Query()
	if err != nil {
		return sec, err
	}
	if sec.Rows, err = pgx.CollectRows(rows, s.scan); err != nil {
		return sec, err
	}
	var n int
	if err := br.QueryRow().Scan(&n); err != nil {
		return sec, err
	}
	sec.Total = crm.Total{N: min(n, crm.SectionCap), Capped: n > crm.SectionCap}
	return sec, br.Close()
}

// dealSection is the section of d's records whose parent column is id.
func dealSection[T interface{ Record() crm.Record }](ctx context.Context, db *DB, d dealRead[T], name, parent string, a crm.Actor, id int64) (crm.Section[T], error) {
	return sectionSpec[T]{name: name, res: d.res, table: d.table, alias: d.alias, columns: d.columns, from: d.from,
		parent: parent, order: d.alias + ".created_at DESC, " + d.alias + ".id DESC", scan: d.scan}.read(ctx, db, a, id)
}

// moneySection is the section of t's rows whose parent column is id, the
// newest day first (the day the list's sort day also sorts by: paid,
// issued), each row with its customer's collaborators.
func moneySection[D moneyRow](ctx context.Context, db *DB, t *moneyTable[D], name, parent, day string, a crm.Actor, id int64) (crm.Section[D], error) {
	x := t.alias
	sec, err := sectionSpec[D]{name: name, res: t.res, table: t.table, alias: x, columns: t.columns(), from: t.fromSQL(),
		parent: parent, order: x + "." + day + " DESC, " + x + ".id DESC", scan: t.scan}.read(ctx, db, a, id)
	if err != nil {
		return sec, err
	}
	sec.Rows, err = t.withCollaborators(ctx, db.anchored(), sec.Rows)
	return sec, err
}

// followUpSection is the section of follow-ups whose parent column is id,
// the latest first.
func followUpSection(ctx context.Context, db *DB, name, parent string, a crm.Actor, id int64) (crm.Section[crm.FollowUp], error) {
	return sectionSpec[crm.FollowUp]{name: name, res: crm.ResFollowUp, table: "follow_ups", alias: "f",
		columns: followUpColumns, from: followUpFrom, parent: parent, order: "f.followed_at DESC, f.id DESC",
		scan: scanFollowUp}.read(ctx, db, a, id)
}

// ContactsOfCustomer returns the contacts section of a customer's page:
// the contacts a may view, the primary one first, then the newest.
func (db *DB) ContactsOfCustomer(ctx context.Context, a crm.Actor, customerID int64) (crm.Section[crm.Contact], error) {
	return sectionSpec[crm.Contact]{name: "ContactsOfCustomer", res: crm.ResContact, table: "contacts", alias: "ct",
		columns: contactColumns, from: contactFrom, parent: "customer_id",
		order: "ct.is_primary DESC, ct.created_at DESC, ct.id DESC", scan: scanContact}.read(ctx, db, a, customerID)
}

// FollowUpsOf returns the follow-ups section of a lead's (leadID) or a
// customer's (customerID) page: the follow-ups a may view, the latest
// first (a customer's include those logged on its opportunities).
func (db *DB) FollowUpsOf(ctx context.Context, a crm.Actor, leadID, customerID int64) (crm.Section[crm.FollowUp], error) {
	if leadID != 0 {
		return followUpSection(ctx, db, "FollowUpsOf", "lead_id", a, leadID)
	}
	return followUpSection(ctx, db, "FollowUpsOf", "customer_id", a, customerID)
}

// OpportunityFollowUps returns the follow-ups section of an opportunity's
// page: those logged on it that a may view, the latest first.
func (db *DB) OpportunityFollowUps(ctx context.Context, a crm.Actor, opportunityID int64) (crm.Section[crm.FollowUp], error) {
	return followUpSection(ctx, db, "OpportunityFollowUps", "opportunity_id", a, opportunityID)
}

// OpportunitiesOf returns the opportunities section of a customer's page:
// the opportunities a may view, the newest first.
func (db *DB) OpportunitiesOf(ctx context.Context, a crm.Actor, customerID int64) (crm.Section[crm.Opportunity], error) {
	return dealSection(ctx, db, opportunityRead, "OpportunitiesOf", "customer_id", a, customerID)
}

// QuotesOf returns the quotes section of a customer's page: the quotes a
// may view, the newest first.
func (db *DB) QuotesOf(ctx context.Context, a crm.Actor, customerID int64) (crm.Section[crm.Quote], error) {
	return dealSection(ctx, db, quoteRead, "QuotesOf", "customer_id", a, customerID)
}

// QuotesOfOpportunity returns the quotes section of an opportunity's page.
func (db *DB) QuotesOfOpportunity(ctx context.Context, a crm.Actor, opportunityID int64) (crm.Section[crm.Quote], error) {
	return dealSection(ctx, db, quoteRead, "QuotesOfOpportunity", "opportunity_id", a, opportunityID)
}

// OrdersOf returns the orders section of a customer's page: the orders a
// may view, the newest first.
func (db *DB) OrdersOf(ctx context.Context, a crm.Actor, customerID int64) (crm.Section[crm.Order], error) {
	return dealSection(ctx, db, orderRead, "OrdersOf", "customer_id", a, customerID)
}

// OrdersOfOpportunity returns the orders section of an opportunity's page.
func (db *DB) OrdersOfOpportunity(ctx context.Context, a crm.Actor, opportunityID int64) (crm.Section[crm.Order], error) {
	return dealSection(ctx, db, orderRead, "OrdersOfOpportunity", "opportunity_id", a, opportunityID)
}

// PaymentsOf returns the payments section of a customer's page: the
// payments a may view, the latest day paid first.
func (db *DB) PaymentsOf(ctx context.Context, a crm.Actor, customerID int64) (crm.Section[crm.Payment], error) {
	return moneySection(ctx, db, paymentTable, "PaymentsOf", "customer_id", "paid_on", a, customerID)
}

// PaymentsOfOrder returns the payments section of an order's page.
func (db *DB) PaymentsOfOrder(ctx context.Context, a crm.Actor, orderID int64) (crm.Section[crm.Payment], error) {
	return moneySection(ctx, db, paymentTable, "PaymentsOfOrder", "order_id", "paid_on", a, orderID)
}

// InvoicesOf returns the invoices section of a customer's page: the
// invoices a may view, the latest day issued first.
func (db *DB) InvoicesOf(ctx context.Context, a crm.Actor, customerID int64) (crm.Section[crm.Invoice], error) {
	return moneySection(ctx, db, invoiceTable, "InvoicesOf", "customer_id", "issued_on", a, customerID)
}

// InvoicesOfOrder returns the invoices section of an order's page.
func (db *DB) InvoicesOfOrder(ctx context.Context, a crm.Actor, orderID int64) (crm.Section[crm.Invoice], error) {
	return moneySection(ctx, db, invoiceTable, "InvoicesOfOrder", "order_id", "issued_on", a, orderID)
}
