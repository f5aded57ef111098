package i18n

// Filter chips: the active filters of a list that its form has no control
// for (the dashboard links to lists with them), each with a link removing it.
var _ = register(map[string][2]string{
	"chip.active":       {"当前筛选条件", "Active filters"},
	"chip.remove":       {"移除此筛选条件", "Remove this filter"},
	"chip.remove_named": {"移除筛选条件：%s", "Remove the filter: %s"},
	"chip.owner":        {"负责人：%s", "Owner: %s"},
	"chip.department":   {"部门：%s", "Department: %s"},
	"chip.range":        {"%s 至 %s", "%s to %s"},
	"chip.range_from":   {"%s 起", "from %s"},
	"chip.range_to":     {"截至 %s", "up to %s"},
	"chip.decided":      {"审批日期 %s", "Decided %s"},
	"chip.created":      {"创建日期 %s", "Created %s"},
	"chip.unpaid":       {"待回款", "Not fully paid"},
	"chip.due.today":    {"今日待跟进", "Follow-up due today"},
	"chip.due.overdue":  {"逾期未跟进", "Follow-up overdue"},
	"chip.customer":     {"客户：%s", "Customer: %s"},
	"chip.opportunity":  {"销售机会：%s", "Opportunity: %s"},
	"chip.lead":         {"线索：%s", "Lead: %s"},
	"chip.order":        {"订单：%s", "Order: %s"},

	"section.view_all": {"查看全部 %s 条", "View all %s"},
})
