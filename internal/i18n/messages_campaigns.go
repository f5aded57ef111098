package i18n

// Campaigns (市场活动) and the value lists of /admin/options (选项设置).
func init() {
	register(map[string][2]string{
		"campaign.new":              {"新建市场活动", "New campaign"},
		"campaign.edit":             {"编辑市场活动", "Edit campaign"},
		"campaign.name":             {"活动名称", "Name"},
		"campaign.search_hint":      {"活动名称", "Campaign name"},
		"campaign.status.planned":   {"计划中", "Planned"},
		"campaign.status.active":    {"进行中", "Active"},
		"campaign.status.finished":  {"已结束", "Finished"},
		"campaign.status.cancelled": {"已取消", "Cancelled"},
		"campaign.no_type":          {"（未设置）", "(none)"},
		"campaign.owner_keep":       {"不变（%s）", "Unchanged (%s)"},
		"campaign.money_hint":       {"元，最多两位小数。", "In yuan, at most two decimals."},
		"campaign.cost_hint":        {"ROI = 成交金额 ÷ 实际成本。", "ROI = deal amount ÷ actual cost."},
		"campaign.details":          {"基本信息", "Details"},
		"campaign.related":          {"相关记录", "Related records"},
		"campaign.view_leads":       {"查看 %d 条线索", "View the leads (%d)"},
		"campaign.view_customers":   {"查看 %d 个客户", "View the customers (%d)"},
		"campaign.figures_hint":     {"线索数与客户数统计所有来自本活动的记录；成交金额为这些客户已审批通过订单的合计；列表中只显示您有权查看的记录。", "The figures count every record from this campaign; the deal amount totals the approved orders of its customers. The lists show only the records you may view."},
		"campaign.created":          {"市场活动「%s」已创建。", "Campaign “%s” created."},
		"campaign.saved":            {"市场活动「%s」已保存。", "Campaign “%s” saved."},
		"campaign.deleted":          {"市场活动「%s」已删除。", "Campaign “%s” deleted."},
		"campaign.in_use":           {"该活动仍被 %d 条线索和 %d 个客户引用，不能删除。请先修改这些记录的所属活动。", "%d leads and %d customers still refer to this campaign; it cannot be deleted. Change their campaign first."},

		// History labels of a campaign's own fields (a campaign's 名称 is
		// not a person's 姓名; its statuses are not a lead's).
		"field.campaign_name":   {"活动名称", "Name"},
		"field.campaign_status": {"活动状态", "Status"},

		"option.sub":                   {"各业务表单的下拉选项。改名后所有记录随之显示新名称；仍被记录使用的值不能删除。", "The values offered by the business forms. Records follow a renamed value; a value still in use cannot be deleted."},
		"option.kind.source":           {"来源", "Source"},
		"option.kind.industry":         {"行业", "Industry"},
		"option.kind.customer_level":   {"客户级别", "Customer level"},
		"option.kind.campaign_type":    {"活动类型", "Campaign type"},
		"option.kind.follow_up_method": {"跟进方式", "Follow-up method"},
		"option.name":                  {"名称", "Name"},
		"option.name_en":               {"英文名称", "English name"},
		"option.new_name":              {"新增选项", "New value"},
		"option.in_use":                {"使用次数", "In use"},
		"option.in_use_hint":           {"仍被记录使用，不能删除", "In use; cannot be deleted"},
		"option.actions":               {"操作", "Actions"},
		"option.move_up":               {"上移", "Move up"},
		"option.move_down":             {"下移", "Move down"},
		"option.add":                   {"添加", "Add"},
		"option.empty":                 {"此列表还没有选项。", "This list has no values yet."},
		"option.added":                 {"已添加「%s」。", "“%s” added."},
		"option.saved":                 {"已保存「%s」。", "“%s” saved."},
		"option.deleted":               {"已删除「%s」。", "“%s” deleted."},
	})
}
