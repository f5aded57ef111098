package postgres

// The targets of the importable tables: for each, the SQL table its rows
// are written into, the staged columns with their SQL types, which of them
// inserts and updates write, how their history reads, and the keys that
// match existing records. internal/xlsx reads, checks and decides the
// values of a file's rows in terms of these staged columns; this file is
// where they meet the schema.

import (
	"strings"

	"crm/internal/crm"
)

// ImportColumn is one column of the staging table of an import and how it
// is written.
type ImportColumn struct {
	Name   string // the target table's column (or a staging-only helper)
	Type   string // its SQL type in the staging table: text, bigint, numeric, date, timestamptz, boolean
	Insert bool   // written when a row is new
	Update bool   // written when a row updates an existing record
	// Set is the value an update writes when it is not the staged one
	// (SQL over t, the record, and s, the staged row).
	Set string
	// History is the field key of the column in the record's history ("":
	// not shown); Display turns the column's value into the history's text
	// (SQL with %s for the value; "" for text as it is).
	History string
	Display string
}

// ImportTarget says how the rows of one importable table are written.
type ImportTarget struct {
	Table    string       // the SQL table
	Resource crm.Resource // its history's resource ("": no history, organisation tables)
	Owned    bool         // the table has owner_id, department_id and created_by (SPEC §2)
	Keys     []string     // the columns matching existing records (none: every row is new)
	Columns  []ImportColumn
	// ExtraSet is added to the SET of updates (the opportunities' stage
	// clock); Restore names the columns it writes, so that a revert puts
	// them back too.
	ExtraSet string
	Restore  []string
	// Name is the SQL naming a record of the table (over the alias x), for
	// the reasons a revert gives.
	Name string
	// Owns lists the tables whose rows are part of a record (an order's
	// lines): they go with it on a revert and do not hold it back.
	Owns []string
	// Dup lists the staged columns that make two rows of a file the same
	// row (nil: Keys; empty: no two rows are the same).
	Dup []string
}

// Revertible reports whether an import into t can be reverted: its writes
// are in the records' history (the business tables). Organisation tables
// keep no history of their own — what changed since an import could not
// be told — and imported employees may have signed in with their initial
// passwords.
func (t ImportTarget) Revertible() bool { return t.Resource != "" }

func (t ImportTarget) column(name string) (ImportColumn, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ImportColumn{}, false
}

// chunkWise reports whether the rows of t are written chunk by chunk as
// they are checked (Write), rather than all at the end: every table but
// those whose writes need the whole file at once — the department tree,
// the last-admin check, orders and payments with their figures.
func (t ImportTarget) chunkWise() bool {
	switch t.Table {
	case "departments", "employees", "orders", "payments":
		return false
	}
	return true
}

// wantsAll reports whether t's follow-up writes (importAfter) read every
// staged row at the end.
func (t ImportTarget) wantsAll() bool { return t.Table == "contacts" || t.Table == "follow_ups" }

// restoredColumns are the columns an update of t writes and a revert puts
// back.
func restoredColumns(t ImportTarget) []string {
	var out []string
	for _, c := range t.Columns {
		if c.Update {
			out = append(out, c.Name)
		}
	}
	return append(out, t.Restore...)
}

// rawValues is a jsonb object of the restored columns of the row alias.
func rawValues(t ImportTarget, alias string) string {
	var parts []string
	for _, c := range restoredColumns(t) {
		parts = append(parts, "'"+c+"', "+alias+"."+c)
	}
	return "jsonb_build_object(" + strings.Join(parts, ", ") + ")"
}

// importTargets are the targets by importable table name (as internal/xlsx
// and the URLs name them).
var importTargets = map[string]ImportTarget{
	"departments": {Table: "departments", Keys: []string{"name"}, Columns: []ImportColumn{
		{Name: "name", Type: "text", Insert: true, Update: true},
		{Name: "parent_id", Type: "bigint", Insert: true, Update: true},
		{Name: "parent_name", Type: "text"}, // linked after the writes: the parent may be a new row
		{Name: "head_id", Type: "bigint", Insert: true, Update: true},
	}},
	"employees": {Table: "employees", Keys: []string{"username"}, Columns: []ImportColumn{
		{Name: "username", Type: "text", Insert: true, Update: true},
		{Name: "name", Type: "text", Insert: true, Update: true},
		{Name: "department_id", Type: "bigint", Insert: true, Update: true},
		{Name: "role", Type: "text", Insert: true, Update: true},
		{Name: "phone", Type: "text", Insert: true, Update: true},
		{Name: "email", Type: "text", Insert: true, Update: true},
		insertOnly("password_hash", "text"),
		insertOnly("must_change_password", "boolean"),
	}},
	"products": {Table: "products", Resource: crm.ResProduct, Keys: []string{"sku"}, Name: "x.sku || ' ' || x.name", Columns: []ImportColumn{
		stageText("sku", "sku_product"),
		stageText("name", "name_product"),
		stageText("category", "category_product"),
		stageText("unit", "unit_product"),
		stageMoney("list_price", "price_product"),
		stageText("description", "description"),
		{Name: "active", Type: "boolean", Insert: true, Update: true, History: "active_product",
			Display: "CASE WHEN %s THEN 'yes' ELSE 'no' END"},
		insertOnly("created_by", "bigint"),
	}},
	"campaigns": {Table: "campaigns", Resource: crm.ResCampaign, Owned: true, Keys: []string{"name"}, Name: "x.name",
		Columns: cols([]ImportColumn{
			stageText("name", "campaign_name"),
			stageOption("type_id", "type"),
			stageText("status", "campaign_status"),
			stageDate("start_date", "start_date"),
			stageDate("end_date", "end_date"),
			stageMoney("budget", "budget"),
			stageMoney("actual_cost", "actual_cost"),
			stageText("description", "description"),
		}, ownedColumns())},
	"leads": {Table: "leads", Resource: crm.ResLead, Owned: true, Keys: []string{"name", "phone"}, Name: "x.name",
		Columns: cols([]ImportColumn{
			stageText("name", "name"),
			stageText("company", "company"),
			stageText("title", "title"),
			stageText("phone", "phone"),
			stageText("email", "email"),
			stageOption("source_id", "source"),
			{Name: "campaign_id", Type: "bigint", Insert: true, Update: true, History: "campaign",
				Display: "(SELECT c.name FROM campaigns c WHERE c.id = %s)"},
			// A converted lead stays converted whatever the file says.
			{Name: "status", Type: "text", Insert: true, Update: true, History: "status",
				Set: "CASE WHEN t.status = 'converted' THEN t.status ELSE s.status END"},
			stageTime("next_follow_up_at", "next_follow_up_at"),
			stageText("notes", "notes"),
		}, ownedColumns())},
	"customers": {Table: "customers", Resource: crm.ResCustomer, Owned: true, Keys: []string{"name"}, Name: "x.name",
		Columns: cols([]ImportColumn{
			stageText("name", "name"),
			stageOption("level_id", "level"),
			stageOption("industry_id", "industry"),
			stageOption("source_id", "source"),
			{Name: "campaign_id", Type: "bigint", Insert: true, Update: true, History: "campaign",
				Display: "(SELECT c.name FROM campaigns c WHERE c.id = %s)"},
			stageText("phone", "phone"),
			stageText("address", "address"),
			stageText("notes", "notes"),
		}, ownedColumns())},
	"contacts": {Table: "contacts", Resource: crm.ResContact, Owned: true, Keys: []string{"customer_id", "name"},
		Name: "(SELECT c.name FROM customers c WHERE c.id = x.customer_id) || ' · ' || x.name",
		Columns: cols([]ImportColumn{
			insertOnly("customer_id", "bigint"),
			stageText("name", "name"),
			stageText("title", "title"),
			stageText("phone", "phone"),
			stageText("email", "email"),
			stageText("notes", "notes"),
		}, ownedColumns(), underCustomer())},
	"follow-ups": {Table: "follow_ups", Resource: crm.ResFollowUp, Owned: true,
		Name: "coalesce((SELECT c.name FROM customers c WHERE c.id = x.customer_id), (SELECT l.name FROM leads l WHERE l.id = x.lead_id), '') || ' · ' || to_char(x.followed_at, 'YYYY-MM-DD HH24:MI')",
		Columns: cols([]ImportColumn{
			insertOnly("lead_id", "bigint"),
			insertOnly("customer_id", "bigint"),
			insertOnly("method_id", "bigint"),
			insertOnly("content", "text"),
			insertOnly("followed_at", "timestamptz"),
			insertOnly("next_at", "timestamptz"),
		}, ownedColumns(), underCustomer()),
		Dup: []string{"lead_id", "customer_id", "followed_at", "content"},
	},
	"opportunities": {Table: "opportunities", Resource: crm.ResOpportunity, Owned: true, Keys: []string{"customer_id", "name"},
		ExtraSet: "stage_changed_at = CASE WHEN t.stage = s.stage THEN t.stage_changed_at ELSE now() END",
		Restore:  []string{"stage_changed_at"},
		Name:     "(SELECT c.name FROM customers c WHERE c.id = x.customer_id) || ' · ' || x.name",
		Columns: cols([]ImportColumn{
			insertOnly("customer_id", "bigint"),
			stageText("name", "name_opportunity"),
			stageText("stage", "stage_opportunity"),
			stageMoney("expected_amount", "amount_opportunity"),
			stageDate("expected_close", "close_opportunity"),
			stageText("notes", "notes"),
		}, ownedColumns(), underCustomer())},
	"orders": {Table: "orders", Resource: crm.ResOrder, Owned: true, Keys: []string{"number"}, Name: "x.number",
		Owns: []string{"order_lines"},
		Columns: cols([]ImportColumn{
			insertOnly("number", "text"),
			insertOnly("customer_id", "bigint"),
			insertOnly("sign_date", "date"),
			insertOnly("status", "text"),
			insertOnly("notes", "text"),
			insertOnly("total", "numeric"),
			// the line
			insertOnly("position", "integer"),
			insertOnly("product_id", "bigint"),
			insertOnly("unit_price", "numeric"),
			insertOnly("discount", "numeric"),
			insertOnly("quantity", "numeric"),
			insertOnly("subtotal", "numeric"),
		}, ownedColumns(), underCustomer()),
		Dup: []string{},
	},
	"payments": {Table: "payments", Resource: crm.ResPayment, Owned: true, Keys: []string{"order_id", "amount", "paid_on"},
		Name: "(SELECT o.number FROM orders o WHERE o.id = x.order_id) || ' · ' || x.amount::text || ' · ' || x.paid_on::text",
		Columns: cols([]ImportColumn{
			insertOnly("order_id", "bigint"),
			insertOnly("customer_id", "bigint"),
			insertOnly("amount", "numeric"),
			insertOnly("paid_on", "date"),
			insertOnly("method", "text"),
			insertOnly("notes", "text"),
			insertOnly("confirmed", "boolean"),
		}, ownedColumns(), underCustomer())},
}

// ImportTargetOf returns the target of the importable table called name
// (ok false when there is none).
func ImportTargetOf(name string) (ImportTarget, bool) {
	t, ok := importTargets[name]
	return t, ok
}

// Staged column helpers: the SQL type, whether inserts and updates write
// it, and how its history reads.
func stageText(name, history string) ImportColumn {
	return ImportColumn{Name: name, Type: "text", Insert: true, Update: true, History: history}
}

func stageOption(name, history string) ImportColumn {
	return ImportColumn{Name: name, Type: "bigint", Insert: true, Update: true, History: history,
		Display: "(SELECT o.name FROM options o WHERE o.id = %s)"}
}

func stageMoney(name, history string) ImportColumn {
	return ImportColumn{Name: name, Type: "numeric", Insert: true, Update: true, History: history}
}

func stageDate(name, history string) ImportColumn {
	return ImportColumn{Name: name, Type: "date", Insert: true, Update: true, History: history,
		Display: "to_char(%s, 'YYYY-MM-DD')"}
}

func stageTime(name, history string) ImportColumn {
	return ImportColumn{Name: name, Type: "timestamptz", Insert: true, Update: true, History: history,
		Display: "to_char(%s, 'YYYY-MM-DD HH24:MI')"}
}

// insertOnly is a staged column written only when the record is new
// (ownership, creator, parents: an import never moves an existing record).
func insertOnly(name, typ string) ImportColumn {
	return ImportColumn{Name: name, Type: typ, Insert: true}
}

// ownedColumns are the ownership columns of SPEC §2, set on new records.
func ownedColumns() []ImportColumn {
	return []ImportColumn{insertOnly("owner_id", "bigint"), insertOnly("department_id", "bigint"),
		insertOnly("created_by", "bigint")}
}

// underCustomer are the copies of the parent's owner and department that
// records under a customer (or lead) carry for the policy's rule 7.
func underCustomer() []ImportColumn {
	return []ImportColumn{insertOnly("customer_owner_id", "bigint"), insertOnly("customer_department_id", "bigint")}
}

func cols(cs ...[]ImportColumn) []ImportColumn {
	var out []ImportColumn
	for _, c := range cs {
		out = append(out, c...)
	}
	return out
}
