package postgres

// Excel exports (SPEC §6: every list exports what it shows). An export is
// the rows of a list — the same permission condition (ViewScope), tab,
// filters and order as the list's page, built by the same function — but
// every page of it, with the values an import reads back: relations by
// their import key (a username, a department's, campaign's or customer's
// name, an order's number, a product's SKU), options by id (the caller
// names them in the user's language), fixed values by their code. The rows
// come from a cursor, a batch at a time, in one read-only transaction, so
// that memory stays flat however many rows there are and every batch sees
// the same snapshot. internal/xlsx turns them into cells.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// ExportBatch is how many rows one FETCH of an export's cursor returns.
const ExportBatch = 1000

// ExportQuery is the rows of one list for an export: its conditions and
// order, and the values each row carries. Build one with the list's
// *Export function (LeadExport, …) and run it with DB.Export.
type ExportQuery struct {
	name   string // the list, for the SQL comment
	fields []string
	sql    string
	args   []any
}

// Fields names the values of each row, in order.
func (q ExportQuery) Fields() []string { return q.fields }

// Has reports whether the rows carry the value field.
func (q ExportQuery) Has(field string) bool { return q.Index(field) >= 0 }

// Index is the position of field in each row (-1 when the rows do not
// carry it).
func (q ExportQuery) Index(field string) int {
	for i, f := range q.fields {
		if f == field {
			return i
		}
	}
	return -1
}

// exportField is one value of an export's rows: its name and its SQL.
type exportField struct{ name, sql string }

// newExport builds the query of an export: fields over from, with the
// list's conditions q and its ORDER BY.
func newExport(name string, fields []exportField, from string, q *query, order string) ExportQuery {
	e := ExportQuery{name: name, args: q.args.List}
	sel := make([]string, len(fields))
	for i, f := range fields {
		e.fields = append(e.fields, f.name)
		sel[i] = f.sql
	}
	e.sql = `/* postgres.` + name + ` */ SELECT ` + strings.Join(sel, ", ") + ` FROM ` + from + q.whereSQL() + ` ORDER BY ` + order
	return e
}

// Export runs q and calls fn with the values of each row, in the order of
// q.Fields(), at most limit rows (limit ≤ 0: every row). The rows come
// from a cursor, ExportBatch at a time, in a read-only transaction at
// repeatable read. The values are string, int64, bool, decimal.Decimal,
// time.Time (dates at midnight UTC; moments as stored) or nil; fn must not
// keep the slice. An error of fn ends the export and is returned.
func (db *DB) Export(ctx context.Context, q ExportQuery, limit int, fn func(vals []any) error) error {
	sql := q.sql
	if limit > 0 {
		sql += " LIMIT " + strconv.Itoa(limit)
	}
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return pgx.BeginTxFunc(ctx, db.Pool, opts, func(tx pgx.Tx) error {
		// A cursor is planned for its first rows (cursor_tuple_fraction
		// 0.1); an export reads all of them.
		if _, err := tx.Exec(ctx, `/* postgres.Export */ SET LOCAL cursor_tuple_fraction = 1`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.Export `+q.name+` */ DECLARE export_rows NO SCROLL CURSOR FOR `+sql, q.args...); err != nil {
			return err
		}
		fetch := `/* postgres.Export ` + q.name + ` */ FETCH FORWARD ` + strconv.Itoa(ExportBatch) + ` FROM export_rows`
		for {
			rows, err := tx.Query(ctx, fetch)
			if err != nil {
				return err
			}
			n := 0
			for rows.Next() {
				n++
				vals, err := rows.Values()
				if err != nil {
					rows.Close()
					return err
				}
				for i, v := range vals {
					vals[i] = exportValue(v)
				}
				if err := fn(vals); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if n < ExportBatch {
				return nil
			}
		}
	})
}

// exportValue turns what pgx decodes into the few types Export promises.
func exportValue(v any) any {
	switch x := v.(type) {
	case pgtype.Numeric:
		if !x.Valid || x.NaN || x.InfinityModifier != pgtype.Finite || x.Int == nil {
			return nil
		}
		return decimal.NewFromBigInt(x.Int, x.Exp)
	case pgtype.Date:
		if !x.Valid || x.InfinityModifier != pgtype.Finite {
			return nil
		}
		return x.Time
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case time.Time, string, int64, bool, nil:
		return x
	}
	return fmt.Sprint(v)
}

// The exports of the lists. Field names are those of the import's columns
// (internal/xlsx tables.go) where the list has an import, so that an
// export can be edited and imported again as an update; relations are
// text (empty for none), options their id (0 for none).

// poolDepartment is the department of a pool record (empty for an owned
// one: its department follows its owner).
func poolDepartment(alias string) string {
	return `CASE WHEN ` + alias + `.owner_id IS NULL THEN coalesce(d.name, '') ELSE '' END`
}

// LeadExport is the leads of a's list f (every page) for an export.
func LeadExport(a crm.Actor, f crm.LeadFilter) ExportQuery {
	return newExport("LeadExport", []exportField{
		{"name", "l.name"}, {"company", "l.company"}, {"title", "l.title"}, {"phone", "l.phone"},
		{"email", "l.email"}, {"source", "coalesce(l.source_id, 0)"}, {"campaign", "coalesce(cam.name, '')"},
		{"status", "l.status"}, {"next_follow_up_at", "l.next_follow_up_at"}, {"notes", "l.notes"},
		{"owner", "coalesce(o.username, '')"}, {"department", poolDepartment("l")},
		{"deal_amount", "l.deal_amount"}, {"deal_count", "l.deal_count"}, {"created_at", "l.created_at"},
	}, leadFrom, leadQuery(a, f), leadList.orderOf(f.ListQuery))
}

// CustomerExport is the customers of a's list f (every page) for an export.
func CustomerExport(a crm.Actor, f crm.CustomerFilter) ExportQuery {
	return newExport("CustomerExport", []exportField{
		{"name", "c.name"}, {"level", "coalesce(c.level_id, 0)"}, {"industry", "coalesce(c.industry_id, 0)"},
		{"source", "coalesce(c.source_id, 0)"}, {"campaign", "coalesce(cam.name, '')"}, {"phone", "c.phone"},
		{"address", "c.address"}, {"notes", "c.notes"}, {"owner", "coalesce(o.username, '')"},
		{"department", poolDepartment("c")}, {"stage", "c.stage"}, {"deal_amount", "c.deal_amount"},
		{"created_at", "c.created_at"},
	}, customerFrom, customerQuery(a, f), customerList.orderOf(f.ListQuery))
}

// ContactExport is the contacts of a's list f (every page) for an export.
func ContactExport(a crm.Actor, f crm.ContactFilter) ExportQuery {
	return newExport("ContactExport", []exportField{
		{"customer", "cu.name"}, {"name", "ct.name"}, {"title", "ct.title"}, {"phone", "ct.phone"},
		{"email", "ct.email"}, {"notes", "ct.notes"}, {"owner", "coalesce(o.username, '')"},
		{"created_at", "ct.created_at"},
	}, contactFrom, contactQuery(a, f), contactList.orderOf(f.ListQuery))
}

// FollowUpExport is the follow-ups of a's list f (every page) for an
// export; the author is the follow-up's owner.
func FollowUpExport(a crm.Actor, f crm.FollowUpFilter) ExportQuery {
	if f.Sort == "" {
		f.Sort, f.Desc = "followed", true
	}
	return newExport("FollowUpExport", []exportField{
		{"customer", "coalesce(pc.name, '')"}, {"lead", "coalesce(pl.name, '')"}, {"method", "coalesce(f.method_id, 0)"},
		{"content", "f.content"}, {"followed_at", "f.followed_at"}, {"next_at", "f.next_at"},
		{"author", "coalesce(o.username, '')"},
	}, followUpFrom, followUpQuery(a, f), followUpList.orderOf(f.ListQuery))
}

// CampaignExport is the campaigns of a's list f (every page) for an export.
func CampaignExport(a crm.Actor, f crm.CampaignFilter) ExportQuery {
	return newExport("CampaignExport", []exportField{
		{"name", "c.name"}, {"type", "coalesce(c.type_id, 0)"}, {"status", "c.status"},
		{"start_date", "c.start_date"}, {"end_date", "c.end_date"}, {"budget", "c.budget"},
		{"actual_cost", "c.actual_cost"}, {"description", "c.description"}, {"owner", "coalesce(o.username, '')"},
		{"lead_count", "c.lead_count"}, {"customer_count", "c.customer_count"}, {"deal_amount", "c.deal_amount"},
	}, campaignFrom, campaignQuery(a, f), campaignList.orderOf(f.ListQuery))
}

// OpportunityExport is the opportunities of a's list f (every page) for an
// export.
func OpportunityExport(a crm.Actor, f crm.OpportunityFilter) ExportQuery {
	return newExport("OpportunityExport", []exportField{
		{"customer", "cu.name"}, {"name", "op.name"}, {"stage", "op.stage"},
		{"expected_amount", "op.expected_amount"}, {"expected_close", "op.expected_close"}, {"notes", "op.notes"},
		{"owner", "coalesce(o.username, '')"}, {"last_follow_up_at", "op.last_follow_up_at"},
		{"created_at", "op.created_at"},
	}, opportunityFrom, opportunityQuery(a, f), orderBy(opportunitySorts, f.Sort, f.Desc, "op.created_at DESC, op.id DESC"))
}

// ProductExport is the catalogue list f (every page) for an export.
func ProductExport(f crm.ProductFilter) ExportQuery {
	return newExport("ProductExport", []exportField{
		{"sku", "p.sku"}, {"name", "p.name"}, {"category", "p.category"}, {"unit", "p.unit"},
		{"list_price", "p.list_price"}, {"description", "p.description"}, {"active", "p.active"},
		{"created_at", "p.created_at"},
	}, "products p", productQuery(f), orderBy(productSorts, f.Sort, f.Desc, "p.name ASC, p.id ASC"))
}

// EmployeeExport is the employee list f (every page) for an export.
func EmployeeExport(f EmployeeFilter) ExportQuery {
	return newExport("EmployeeExport", []exportField{
		{"username", "e.username"}, {"name", "e.name"}, {"department", "coalesce(d.name, '')"}, {"role", "e.role"},
		{"phone", "e.phone"}, {"email", "e.email"}, {"active", "e.active"}, {"created_at", "e.created_at"},
	}, "employees e LEFT JOIN departments d ON d.id = e.department_id", employeeQuery(f), employeeOrder(f))
}

// QuoteExport is the quotes of a's list f (every page) for an export.
func QuoteExport(a crm.Actor, f crm.QuoteFilter) ExportQuery {
	return newExport("QuoteExport", []exportField{
		{"number", "q.number"}, {"customer", "cu.name"}, {"opportunity", "coalesce(op.name, '')"},
		{"quote_date", "q.quote_date"}, {"valid_until", "q.valid_until"}, {"status", "q.status"},
		{"total", "q.total"}, {"order", "coalesce(od.number, '')"}, {"notes", "q.notes"},
		{"owner", "coalesce(o.username, '')"}, {"created_at", "q.created_at"},
	}, quoteFrom, quoteQuery(a, f), orderBy(quoteSorts, f.Sort, f.Desc, "q.created_at DESC, q.id DESC"))
}

// OrderExport is the orders of a's list f (every page) for an export, one
// row per line (an order without lines is one row with empty line
// values), lines in their order: the layout of the orders import (rows
// grouped by order number, products by SKU).
func OrderExport(a crm.Actor, f crm.OrderFilter) ExportQuery {
	from := orderFrom + `
	LEFT JOIN order_lines ln ON ln.order_id = od.id
	LEFT JOIN products pr ON pr.id = ln.product_id`
	return newExport("OrderExport", []exportField{
		{"number", "od.number"}, {"customer", "cu.name"}, {"opportunity", "coalesce(op.name, '')"},
		{"quote", "coalesce(qt.number, '')"}, {"sign_date", "od.sign_date"}, {"status", "od.status"},
		{"sku", "coalesce(pr.sku, '')"}, {"product_name", "coalesce(pr.name, '')"},
		{"unit_price", "ln.unit_price"}, {"discount", "ln.discount"}, {"quantity", "ln.quantity"},
		{"subtotal", "ln.subtotal"}, {"total", "od.total"}, {"paid_amount", "od.paid_amount"},
		{"approver", "coalesce(ap.username, '')"}, {"notes", "od.notes"}, {"owner", "coalesce(o.username, '')"},
		{"created_at", "od.created_at"},
	}, from, orderQuery(a, f), orderBy(orderSorts, f.Sort, f.Desc, "od.created_at DESC, od.id DESC")+", ln.position")
}

// PaymentExport is the payments of a's list f (every page) for an export.
func PaymentExport(a crm.Actor, f crm.PaymentFilter) ExportQuery {
	return newExport("PaymentExport", []exportField{
		{"order", "o.number"}, {"customer", "cu.name"}, {"amount", "p.amount"}, {"paid_on", "p.paid_on"},
		{"method", "p.method"}, {"notes", "p.notes"}, {"owner", "coalesce(ow.username, '')"},
		{"confirmed", "p.confirmed"}, {"confirmed_by", "coalesce(cf.username, '')"}, {"confirmed_at", "p.confirmed_at"},
		{"created_at", "p.created_at"},
	}, paymentTable.fromSQL(), paymentQuery(a, f), paymentTable.orderBy(f.ListQuery))
}

// InvoiceExport is the invoices of a's list f (every page) for an export.
func InvoiceExport(a crm.Actor, f crm.InvoiceFilter) ExportQuery {
	return newExport("InvoiceExport", []exportField{
		{"order", "o.number"}, {"customer", "cu.name"}, {"amount", "i.amount"}, {"invoice_no", "i.invoice_no"},
		{"invoice_type", "i.invoice_type"}, {"issued_on", "i.issued_on"}, {"notes", "i.notes"},
		{"owner", "coalesce(ow.username, '')"}, {"confirmed", "i.confirmed"},
		{"confirmed_by", "coalesce(cf.username, '')"}, {"confirmed_at", "i.confirmed_at"},
		{"created_at", "i.created_at"},
	}, invoiceTable.fromSQL(), invoiceQuery(a, f), invoiceTable.orderBy(f.ListQuery))
}
