package xlsx

import (
	"strings"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
)

// Kind is what a column holds, and so how its cells are read and checked.
type Kind int

// The kinds of columns.
const (
	KindText     Kind = iota // free text, trimmed (full-width spaces too)
	KindNumber               // a decimal number
	KindMoney                // an amount: ≥ 0, two decimals at most (crm.ParseMoney)
	KindDate                 // a day: Excel date, 2026-01-15, 2026/1/15, 2026年1月15日
	KindDateTime             // a moment in the business zone (a day alone is midnight)
	KindOption               // a value of an editable list (crm.OptionKind), by its name
	KindChoice               // one of fixed values (a status, a stage), by its label
	KindRole                 // a role, by its label
	KindBool                 // 是 / 否
	KindRelation             // another record, by its name, username or SKU
)

// Choice is one of the fixed values of a KindChoice column.
type Choice struct {
	Value string // stored value
	Label string // catalog key of its label
}

// Column is one column of an importable table.
type Column struct {
	Field    string // stable name (owner, name, …)
	Label    string // catalog key of the header (zh-CN and en)
	Kind     Kind
	Required bool
	Max      int    // KindText: most characters
	Format   string // KindText: "email", "username" or "phone"; KindNumber: "discount" or "quantity"; KindMoney: "positive"
	Option   crm.OptionKind
	Choices  []Choice
	// Alias reads other names of a choice (转账 for 银行转账).
	Alias   func(string) (string, bool)
	Default string                  // KindChoice, KindBool: the value of an empty cell
	Rel     postgres.ImportRelation // KindRelation
	// SelfRef lets a relation name a row of the same file (a department's
	// parent listed further down).
	SelfRef bool
	// ActiveOnly refuses an employee who is deactivated.
	ActiveOnly bool
	// Group marks a column of the group a row belongs to (an order's own
	// columns, on each of its lines): filled on the group's first row,
	// empty or the same on the others; Required then applies to the first
	// row only.
	Group   bool
	Note    string    // catalog key of a remark for the 说明 sheet
	Example [2]string // the template's two example rows (text, numbers, dates, relations)
}

// Table is the one description of an importable table: it drives the
// template, the validation, the preview, the commit and the error report.
type Table struct {
	Name     string // in URLs: /import/{name}/template.xlsx
	Label    string // catalog key
	Business bool   // a business table: management imports it too (crm.CanImport)
	// Resource is the kind of record a row becomes ("" for the
	// organisation tables).
	Resource crm.Resource
	Columns  []Column
	Note     string // catalog key: how rows match existing records, what the owner becomes
	// Target says how rows are staged and written
	// (postgres.ImportTargetOf the table's name); its Keys match existing
	// records (none: every row is new).
	Target postgres.ImportTarget
	// Dup lists the staged columns that make two rows of the file the same
	// row (Target.Dup, default Target.Keys).
	Dup []string
	// build decides the staged values from the row's checked cells:
	// ownership (SPEC §2), parents' copies, cross-field rules.
	build func(b *builder)
	// prepare runs on the rows about to be staged by a commit (the
	// employees' initial passwords).
	prepare func(v *validator, rows []*row) error
	// GroupBy is the field whose value groups consecutive rows into one
	// record (an order's lines by its number): the rows of a group are
	// checked in one chunk, and groups decides them together after build.
	// A row that leaves it blank continues the group directly above it
	// (carryGroup).
	GroupBy string
	groups  func(v *validator, rows []*row)
	// settle runs on a chunk once existing records are known, before the
	// rows are counted and staged (the payments' running totals).
	settle func(v *validator, rows []*row)
	// NoUpdate: existing records are never changed by an import (orders and
	// payments are locked money records); rows matching one are skipped,
	// whatever the importer chose.
	NoUpdate bool

	index  map[string]int // field → column
	outIdx map[string]int // staged column → position in row.out
}

// Col returns the column of field (nil when the table has none).
func (t *Table) Col(field string) *Column {
	if i, ok := t.index[field]; ok {
		return &t.Columns[i]
	}
	return nil
}

// AllowedTo reports whether a may import into t: admins every table,
// management the business tables (crm.CanImport), and only records they
// may create (products: those who manage the catalogue).
func (t *Table) AllowedTo(a crm.Actor) bool {
	if !crm.CanImport(a, t.Business) {
		return false
	}
	switch t.Resource {
	case "":
		return crm.CanManageOrganisation(a)
	case crm.ResProduct:
		return crm.CanManageProducts(a)
	}
	return crm.CanCreate(a, t.Resource)
}

// HeaderLabel is the header of column c in l, without the required mark.
func HeaderLabel(c *Column, l i18n.Locale) string { return i18n.T(l, c.Label) }

// Tables lists the importable tables in the order of the import page:
// organisation first, then the business tables in the order they depend
// on each other.
var Tables []*Table

// TableByName returns the table called name (nil when there is none).
func TableByName(name string) *Table {
	for _, t := range Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func init() {
	Tables = []*Table{departmentsTable, employeesTable, productsTable, campaignsTable, leadsTable,
		customersTable, contactsTable, followUpsTable, opportunitiesTable, ordersTable, paymentsTable}
	for _, t := range Tables {
		var ok bool
		if t.Target, ok = postgres.ImportTargetOf(t.Name); !ok {
			panic("xlsx: no import target for " + t.Name)
		}
		t.index = map[string]int{}
		for i, c := range t.Columns {
			t.index[c.Field] = i
		}
		t.outIdx = map[string]int{}
		for i, c := range t.Target.Columns {
			t.outIdx[c.Name] = i
		}
		if t.Dup = t.Target.Dup; t.Dup == nil {
			t.Dup = t.Target.Keys
		}
	}
}

func choices(prefix string, values ...string) []Choice {
	out := make([]Choice, len(values))
	for i, v := range values {
		out[i] = Choice{Value: v, Label: prefix + v}
	}
	return out
}

var ownerColumn = Column{Field: "owner", Label: "import.col.owner", Kind: KindRelation, Rel: postgres.RelEmployee,
	ActiveOnly: true, Note: "import.note.owner", Example: [2]string{"zhangsan", ""}}

var poolColumn = Column{Field: "department", Label: "import.col.pool_department", Kind: KindRelation,
	Rel: postgres.RelDepartment, Note: "import.note.pool_department", Example: [2]string{"", "华东销售部"}}

var departmentsTable = &Table{
	Name: "departments", Label: "import.table.departments", Note: "import.note.departments",
	Columns: []Column{
		{Field: "name", Label: "import.col.department_name", Kind: KindText, Required: true, Max: 100, Example: [2]string{"华东销售部", "上海销售组"}},
		{Field: "parent", Label: "import.col.parent_department", Kind: KindRelation, Rel: postgres.RelDepartment, SelfRef: true,
			Note: "import.note.parent", Example: [2]string{"销售中心", "华东销售部"}},
		{Field: "head", Label: "import.col.head", Kind: KindRelation, Rel: postgres.RelEmployee, ActiveOnly: true,
			Note: "import.note.head", Example: [2]string{"zhangsan", ""}},
	},
	build: buildDepartment,
}

var employeesTable = &Table{
	Name: "employees", Label: "import.table.employees", Note: "import.note.employees",
	Columns: []Column{
		{Field: "username", Label: "import.col.username", Kind: KindText, Required: true, Max: 40, Format: "username", Example: [2]string{"zhangsan", "lisi"}},
		{Field: "name", Label: "import.col.person_name", Kind: KindText, Required: true, Max: 100, Example: [2]string{"张三", "李四"}},
		{Field: "department", Label: "import.col.department", Kind: KindRelation, Rel: postgres.RelDepartment, Example: [2]string{"华东销售部", "华东销售部"}},
		{Field: "role", Label: "import.col.role", Kind: KindRole, Required: true},
		{Field: "phone", Label: "import.col.phone", Kind: KindText, Max: 40, Format: "phone", Example: [2]string{"13800000001", ""}},
		{Field: "email", Label: "import.col.email", Kind: KindText, Max: 200, Format: "email", Example: [2]string{"zhangsan@example.com", ""}},
	},
	build:   buildEmployee,
	prepare: prepareEmployees,
}

var productsTable = &Table{
	Name: "products", Label: "import.table.products", Business: true, Resource: crm.ResProduct, Note: "import.note.products",
	Columns: []Column{
		{Field: "sku", Label: "import.col.sku", Kind: KindText, Required: true, Max: 64, Example: [2]string{"CRM-STD", "SVC-IMPL"}},
		{Field: "name", Label: "import.col.product_name", Kind: KindText, Required: true, Max: 200, Example: [2]string{"CRM 标准版（年）", "实施服务"}},
		{Field: "category", Label: "import.col.category", Kind: KindText, Max: 100, Example: [2]string{"软件", "服务"}},
		{Field: "unit", Label: "import.col.unit", Kind: KindText, Max: 20, Example: [2]string{"套", "人天"}},
		{Field: "list_price", Label: "import.col.list_price", Kind: KindMoney, Example: [2]string{"12800", "1500.00"}},
		{Field: "description", Label: "import.col.description", Kind: KindText, Max: 5000},
		{Field: "active", Label: "import.col.active", Kind: KindBool, Default: "yes"},
	},
	build: buildProduct,
}

var campaignsTable = &Table{
	Name: "campaigns", Label: "import.table.campaigns", Business: true, Resource: crm.ResCampaign, Note: "import.note.campaigns",
	Columns: []Column{
		{Field: "name", Label: "import.col.campaign_name", Kind: KindText, Required: true, Max: 200, Example: [2]string{"2026 春季展会", "线上研讨会"}},
		{Field: "type", Label: "import.col.campaign_type", Kind: KindOption, Option: crm.OptCampaignType},
		{Field: "status", Label: "import.col.status", Kind: KindChoice, Default: string(crm.CampaignPlanned),
			Choices: choices("campaign.status.", "planned", "active", "finished", "cancelled")},
		{Field: "start_date", Label: "import.col.start_date", Kind: KindDate, Example: [2]string{"2026-03-01", "2026/4/15"}},
		{Field: "end_date", Label: "import.col.end_date", Kind: KindDate, Example: [2]string{"2026-03-03", "2026年4月15日"}},
		{Field: "budget", Label: "import.col.budget", Kind: KindMoney, Example: [2]string{"50000", "8,000.00"}},
		{Field: "actual_cost", Label: "import.col.actual_cost", Kind: KindMoney, Example: [2]string{"42000", ""}},
		{Field: "description", Label: "import.col.description", Kind: KindText, Max: 5000},
		ownerColumn,
	},
	build: buildCampaign,
}

var leadsTable = &Table{
	Name: "leads", Label: "import.table.leads", Business: true, Resource: crm.ResLead, Note: "import.note.leads",
	Columns: []Column{
		{Field: "name", Label: "import.col.person_name", Kind: KindText, Required: true, Max: 100, Example: [2]string{"王芳", "赵磊"}},
		{Field: "company", Label: "import.col.company", Kind: KindText, Max: 200, Example: [2]string{"上海某某科技有限公司", ""}},
		{Field: "title", Label: "import.col.title", Kind: KindText, Max: 100, Example: [2]string{"采购经理", ""}},
		{Field: "phone", Label: "import.col.phone", Kind: KindText, Max: 40, Format: "phone", Example: [2]string{"13900000001", "13900000002"}},
		{Field: "email", Label: "import.col.email", Kind: KindText, Max: 200, Format: "email"},
		{Field: "source", Label: "import.col.source", Kind: KindOption, Option: crm.OptSource},
		{Field: "campaign", Label: "import.col.campaign", Kind: KindRelation, Rel: postgres.RelCampaign, Example: [2]string{"2026 春季展会", ""}},
		{Field: "status", Label: "import.col.lead_status", Kind: KindChoice, Default: string(crm.LeadNew),
			Choices: choices("lead.status.", "new", "following", "invalid")},
		{Field: "next_follow_up_at", Label: "import.col.next_follow_up_at", Kind: KindDateTime, Example: [2]string{"2026-02-01 10:00", ""}},
		{Field: "notes", Label: "import.col.notes", Kind: KindText, Max: 5000},
		ownerColumn, poolColumn,
	},
	build: buildLead,
}

var customersTable = &Table{
	Name: "customers", Label: "import.table.customers", Business: true, Resource: crm.ResCustomer, Note: "import.note.customers",
	Columns: []Column{
		{Field: "name", Label: "import.col.customer_name", Kind: KindText, Required: true, Max: 200, Example: [2]string{"上海某某科技有限公司", "北京某某贸易有限公司"}},
		{Field: "level", Label: "import.col.level", Kind: KindOption, Option: crm.OptCustomerLevel},
		{Field: "industry", Label: "import.col.industry", Kind: KindOption, Option: crm.OptIndustry},
		{Field: "source", Label: "import.col.source", Kind: KindOption, Option: crm.OptSource},
		{Field: "campaign", Label: "import.col.campaign", Kind: KindRelation, Rel: postgres.RelCampaign, Example: [2]string{"2026 春季展会", ""}},
		{Field: "phone", Label: "import.col.company_phone", Kind: KindText, Max: 40, Format: "phone", Example: [2]string{"021-60000001", ""}},
		{Field: "address", Label: "import.col.address", Kind: KindText, Max: 500, Example: [2]string{"上海市浦东新区某某路 1 号", ""}},
		{Field: "notes", Label: "import.col.notes", Kind: KindText, Max: 5000},
		ownerColumn, poolColumn,
	},
	build: buildCustomer,
}

var contactsTable = &Table{
	Name: "contacts", Label: "import.table.contacts", Business: true, Resource: crm.ResContact, Note: "import.note.contacts",
	Columns: []Column{
		{Field: "customer", Label: "import.col.customer_name", Kind: KindRelation, Rel: postgres.RelCustomer, Required: true,
			Example: [2]string{"上海某某科技有限公司", "上海某某科技有限公司"}},
		{Field: "name", Label: "import.col.person_name", Kind: KindText, Required: true, Max: 100, Example: [2]string{"王芳", "刘强"}},
		{Field: "title", Label: "import.col.title", Kind: KindText, Max: 100, Example: [2]string{"采购经理", "技术总监"}},
		{Field: "phone", Label: "import.col.phone", Kind: KindText, Max: 40, Format: "phone", Example: [2]string{"13900000001", ""}},
		{Field: "email", Label: "import.col.email", Kind: KindText, Max: 200, Format: "email", Example: [2]string{"", "liuqiang@example.com"}},
		{Field: "notes", Label: "import.col.notes", Kind: KindText, Max: 5000},
	},
	build: buildContact,
}

var followUpsTable = &Table{
	Name: "follow-ups", Label: "import.table.follow_ups", Business: true, Resource: crm.ResFollowUp, Note: "import.note.follow_ups",
	Columns: []Column{
		{Field: "customer", Label: "import.col.customer_name", Kind: KindRelation, Rel: postgres.RelCustomer,
			Note: "import.note.follow_up_parent", Example: [2]string{"上海某某科技有限公司", ""}},
		{Field: "lead", Label: "import.col.lead_name", Kind: KindRelation, Rel: postgres.RelLead,
			Note: "import.note.follow_up_parent", Example: [2]string{"", "赵磊"}},
		{Field: "method", Label: "import.col.method", Kind: KindOption, Option: crm.OptFollowUpMethod},
		{Field: "content", Label: "import.col.content", Kind: KindText, Required: true, Max: 5000, Example: [2]string{"电话沟通需求，约定下周演示", "发送产品资料"}},
		{Field: "followed_at", Label: "import.col.followed_at", Kind: KindDateTime, Note: "import.note.followed_at", Example: [2]string{"2026-01-15 14:30", "2026/1/16"}},
		{Field: "next_at", Label: "import.col.next_at", Kind: KindDateTime, Example: [2]string{"2026-01-22 10:00", ""}},
		{Field: "author", Label: "import.col.author", Kind: KindRelation, Rel: postgres.RelEmployee, Note: "import.note.author", Example: [2]string{"zhangsan", ""}},
	},
	build: buildFollowUp,
}

var opportunitiesTable = &Table{
	Name: "opportunities", Label: "import.table.opportunities", Business: true, Resource: crm.ResOpportunity, Note: "import.note.opportunities",
	Columns: []Column{
		{Field: "customer", Label: "import.col.customer_name", Kind: KindRelation, Rel: postgres.RelCustomer, Required: true,
			Example: [2]string{"上海某某科技有限公司", "北京某某贸易有限公司"}},
		{Field: "name", Label: "import.col.opportunity_name", Kind: KindText, Required: true, Max: 200, Example: [2]string{"CRM 采购项目", "年度续约"}},
		{Field: "stage", Label: "import.col.stage", Kind: KindChoice, Default: string(crm.StageInitial),
			Choices: choices("opportunity.stage.", "initial", "needs", "proposal", "negotiation", "won", "lost")},
		{Field: "expected_amount", Label: "import.col.expected_amount", Kind: KindMoney, Example: [2]string{"128000", "36,000.00"}},
		{Field: "expected_close", Label: "import.col.expected_close", Kind: KindDate, Example: [2]string{"2026-06-30", ""}},
		{Field: "notes", Label: "import.col.notes", Kind: KindText, Max: 5000},
		ownerColumn,
	},
	build: buildOpportunity,
}

// orderColumn is a column of the order itself, on each of its lines.
func orderColumn(c Column) Column {
	c.Group = true
	return c
}

// ordersTable imports orders as history (admin only): one row per line,
// the lines of an order on consecutive rows under its number; the order's
// own columns are filled on its first line (the others may repeat them or
// leave them empty — the number too, carryGroup). The file's numbers are kept; an order whose number
// exists is skipped (an import never changes an order). Status is 草稿 or
// 已通过: an approved order moves its customer's 成交金额, 成交次数 and
// stage as an approval does, decided by the importer on its sign date.
var ordersTable = &Table{
	Name: "orders", Label: "import.table.orders", Resource: crm.ResOrder, Note: "import.note.orders", NoUpdate: true,
	GroupBy: "number",
	Columns: []Column{
		orderColumn(Column{Field: "number", Label: "import.col.order_number", Kind: KindText, Required: true, Max: 64,
			Note: "import.note.order_number", Example: [2]string{"HT-2025-0001", "HT-2025-0001"}}),
		orderColumn(Column{Field: "customer", Label: "import.col.customer_name", Kind: KindRelation, Rel: postgres.RelCustomer, Required: true,
			Example: [2]string{"上海某某科技有限公司", ""}}),
		orderColumn(Column{Field: "sign_date", Label: "import.col.sign_date", Kind: KindDate, Example: [2]string{"2025-06-30", ""}}),
		orderColumn(Column{Field: "status", Label: "import.col.order_status", Kind: KindChoice, Default: string(crm.OrderDraft),
			Choices: choices("order.status.", "draft", "approved"), Note: "import.note.order_status"}),
		orderColumn(ownerColumn),
		orderColumn(Column{Field: "notes", Label: "import.col.order_notes", Kind: KindText, Max: 5000}),
		{Field: "sku", Label: "import.col.product_sku", Kind: KindRelation, Rel: postgres.RelProduct, Required: true,
			Example: [2]string{"CRM-STD", "SVC-IMPL"}},
		{Field: "unit_price", Label: "import.col.unit_price", Kind: KindMoney, Note: "import.note.unit_price", Example: [2]string{"12800", "1500"}},
		{Field: "discount", Label: "import.col.discount", Kind: KindNumber, Format: "discount", Note: "import.note.discount",
			Example: [2]string{"0.9", ""}},
		{Field: "quantity", Label: "import.col.quantity", Kind: KindNumber, Format: "quantity", Required: true, Example: [2]string{"2", "10"}},
	},
	build:  buildOrderLine,
	groups: groupOrders,
}

// paymentsTable imports payments (回款单) as history (admin only), one row
// each, against approved orders by number; confirmed ones (财务确认 是)
// move the order's 已回款金额 and the customer's 回款金额 as a
// confirmation does, and may not pass the order's total. A row matches an
// existing payment by order, amount and day (then it is skipped: an import
// never changes a payment).
var paymentsTable = &Table{
	Name: "payments", Label: "import.table.payments", Resource: crm.ResPayment, Note: "import.note.payments", NoUpdate: true,
	Columns: []Column{
		{Field: "order", Label: "import.col.order_number", Kind: KindRelation, Rel: postgres.RelOrder, Required: true,
			Example: [2]string{"HT-2025-0001", "HT-2025-0001"}},
		{Field: "amount", Label: "import.col.payment_amount", Kind: KindMoney, Format: "positive", Required: true, Example: [2]string{"10000", "5,000.00"}},
		{Field: "paid_on", Label: "import.col.paid_on", Kind: KindDate, Required: true, Example: [2]string{"2025-07-15", "2025/8/15"}},
		{Field: "method", Label: "import.col.payment_method", Kind: KindChoice, Choices: choices("payment.method.", postgres.PaymentMethods...),
			Alias: postgres.PaymentMethodCode},
		{Field: "confirmed", Label: "import.col.confirmed", Kind: KindBool, Default: "no", Note: "import.note.confirmed"},
		ownerColumn,
		{Field: "notes", Label: "import.col.notes", Kind: KindText, Max: 2000},
	},
	build:  buildPayment,
	settle: settlePayments,
}

// normHeader reduces a header to what is compared: no required mark, no
// spaces, no remark in brackets, lower case.
func normHeader(s string) string {
	s = crm.CleanText(s)
	for _, cut := range []string{"（", "("} {
		if i := strings.Index(s, cut); i > 0 {
			s = s[:i]
		}
	}
	s = strings.NewReplacer("*", "", "＊", "", " ", "", "\u3000", "").Replace(s)
	return strings.ToLower(s)
}

// headerFor returns the column a header names (its label in either
// language, or its field), or nil.
func (t *Table) headerFor(h string) *Column {
	n := normHeader(h)
	if n == "" {
		return nil
	}
	for i := range t.Columns {
		c := &t.Columns[i]
		if n == normHeader(i18n.T(i18n.ZH, c.Label)) || n == normHeader(i18n.T(i18n.EN, c.Label)) || n == strings.ToLower(c.Field) {
			return c
		}
	}
	return nil
}
