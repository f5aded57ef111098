package i18n

// Customers, their collaborators and contacts.
var _ = register(map[string][2]string{
	"customer.new":             {"新建客户", "New customer"},
	"customer.edit":            {"编辑客户", "Edit customer"},
	"customer.name":            {"客户名称", "Customer name"},
	"customer.search_hint":     {"客户名称或电话", "Name or phone"},
	"customer.none":            {"（无）", "(none)"},
	"customer.stage.potential": {"潜在客户", "Potential"},
	"customer.stage.won":       {"已成交客户", "Won"},
	"customer.related":         {"相关记录", "Related records"},
	"customer.deals":           {"销售单据", "Deals"},
	"customer.add_contact":     {"新建联系人", "Add contact"},
	"customer.no_contacts":     {"还没有联系人。", "No contacts yet."},

	"customer.collaborators_hint": {"协作人可以查看该客户及其下的全部记录（联系人、跟进记录、订单等），但不能修改。", "Collaborators view this customer and every record under it (contacts, follow-ups, orders, …), read only."},
	"customer.no_collaborators":   {"还没有协作人。", "No collaborators yet."},
	"customer.added_at":           {"添加时间", "Added"},
	"customer.add_collaborator":   {"添加协作人", "Add collaborator"},
	"customer.collaborator_added": {"已添加协作人 %s。", "%s is now a collaborator."},
	"customer.collaborator_gone":  {"已移除协作人 %s。", "%s is no longer a collaborator."},
	"customer.inactive":           {"（已停用）", "(deactivated)"},

	"contact.new":            {"新建联系人", "New contact"},
	"contact.edit":           {"编辑联系人", "Edit contact"},
	"contact.search_hint":    {"姓名或电话", "Name or phone"},
	"contact.primary_hint":   {"每个客户只有一位主联系人；勾选后将替换当前的主联系人。", "A customer has one primary contact; ticking this replaces the current one."},
	"contact.made_primary":   {"已设为主联系人。", "This is now the primary contact."},
	"contact.find_customer":  {"查找客户", "Find customer"},
	"contact.choices_capped": {"最多列出 50 个客户；请先按名称或电话查找。", "At most 50 customers are listed; search by name or phone first."},
})
