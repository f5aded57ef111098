package i18n

// The 所属活动 pickers of the lead and customer forms.
var _ = register(map[string][2]string{
	"campaign.not_active": {"请选择进行中的市场活动。", "Choose a campaign in progress."},
})

// The demo purge's refusal naming the real records that point at demo rows.
var _ = register(map[string][2]string{
	"error.demo_in_use_records": {"有 %d 条正式数据引用了演示数据，无法清除；未删除任何数据。", "%d real records point at demo data; nothing was removed."},
	"demo.in_use_hint": {"请处理下列记录：删除它们，或改为指向正式数据（转交给正式员工、调到正式部门、改用正式客户或活动、移除演示员工协作人等），然后再次清除演示数据。由演示员工创建的正式记录只能删除。",
		"Deal with the records below: delete them, or make them point at real data (transfer them to a real employee, move them to a real department, choose a real customer or campaign, remove a demo collaborator, …), then remove the demo data again. Real records created by a demo employee can only be deleted."},
	"demo.in_use_more": {"另有 %d 条未列出：处理上面的记录后再清除一次即可看到。", "%d more not listed: deal with the ones above and try again to see them."},
	"demo.col.record":  {"正式记录", "Real record"},
	"demo.col.points":  {"引用的演示数据", "Points at demo data"},

	"demo.kind.department":  {"部门", "Department"},
	"demo.kind.employee":    {"员工", "Employee"},
	"demo.kind.campaign":    {"市场活动", "Campaign"},
	"demo.kind.lead":        {"销售线索", "Lead"},
	"demo.kind.customer":    {"客户", "Customer"},
	"demo.kind.contact":     {"联系人", "Contact"},
	"demo.kind.follow_up":   {"跟进记录", "Follow-up"},
	"demo.kind.opportunity": {"销售机会", "Opportunity"},
	"demo.kind.product":     {"产品", "Product"},
	"demo.kind.quote":       {"报价单", "Quote"},
	"demo.kind.order":       {"合同订单", "Order"},
	"demo.kind.payment":     {"回款单", "Payment"},
	"demo.kind.invoice":     {"开票单", "Invoice"},

	"demo.ref.parent_id":              {"上级部门", "Parent department"},
	"demo.ref.head_id":                {"部门负责人", "Head"},
	"demo.ref.department_id":          {"所属部门", "Department"},
	"demo.ref.customer_department_id": {"客户所属部门", "Customer's department"},
	"demo.ref.owner_id":               {"负责人", "Owner"},
	"demo.ref.created_by":             {"创建人", "Created by"},
	"demo.ref.customer_owner_id":      {"客户负责人", "Customer's owner"},
	"demo.ref.campaign_id":            {"所属活动", "Campaign"},
	"demo.ref.lead_id":                {"来源线索", "Origin lead"},
	"demo.ref.customer_id":            {"客户", "Customer"},
	"demo.ref.opportunity_id":         {"销售机会", "Opportunity"},
	"demo.ref.quote_id":               {"来源报价单", "Quote"},
	"demo.ref.order_id":               {"订单", "Order"},
	"demo.ref.approver_id":            {"审批人", "Approver"},
	"demo.ref.submitted_by":           {"提交人", "Submitted by"},
	"demo.ref.decided_by":             {"审批决定人", "Decided by"},
	"demo.ref.confirmed_by":           {"财务确认人", "Confirmed by"},
	"demo.ref.product_id":             {"明细行的产品", "Product on a line"},
	"demo.ref.employee_id":            {"协作人", "Collaborator"},
	"demo.ref.added_by":               {"协作人的添加者", "Collaborator added by"},
})
