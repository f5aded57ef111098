package i18n

// Leads and follow-ups.
var _ = register(map[string][2]string{
	"lead.new":              {"新建线索", "New lead"},
	"lead.edit":             {"编辑线索", "Edit lead"},
	"lead.search_hint":      {"姓名、公司或电话", "Name, company or phone"},
	"lead.no_campaign":      {"（无）", "(none)"},
	"lead.status.new":       {"未跟进", "New"},
	"lead.status.following": {"跟进中", "Following"},
	"lead.status.converted": {"已转化", "Converted"},
	"lead.status.invalid":   {"无效", "Invalid"},

	"followup.add":      {"记录跟进", "Log follow-up"},
	"followup.none":     {"还没有跟进记录。", "No follow-ups yet."},
	"followup.edit":     {"编辑跟进记录", "Edit follow-up"},
	"followup.author":   {"跟进人", "By"},
	"followup.about":    {"跟进对象", "About"},
	"followup.from":     {"跟进日期从", "From"},
	"followup.due_only": {"只看已到期未跟进的", "Only overdue next follow-ups"},
	"followup.added":    {"跟进记录已保存。", "Follow-up logged."},
})

var _ = register(map[string][2]string{
	"demo.table.follow_ups": {"跟进记录", "Follow-ups"},
	"demo.table.contacts":   {"联系人", "Contacts"},
	"demo.table.customers":  {"客户", "Customers"},
	"demo.table.leads":      {"销售线索", "Leads"},
	"demo.table.campaigns":  {"市场活动", "Campaigns"},
})

var _ = register(map[string][2]string{
	"demo.table.invoices":      {"开票单", "Invoices"},
	"demo.table.payments":      {"回款单", "Payments"},
	"demo.table.orders":        {"合同订单", "Orders"},
	"demo.table.quotes":        {"报价单", "Quotes"},
	"demo.table.opportunities": {"销售机会", "Opportunities"},
	"demo.table.products":      {"产品", "Products"},
})
