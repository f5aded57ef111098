package i18n

// Excel exports of the lists: the button, the file, the refusals, and the
// headers of the lists that have no import template (their own columns).
func init() {
	register(map[string][2]string{
		"export.button":   {"导出 Excel", "Export to Excel"},
		"export.hint":     {"导出当前筛选条件下的全部记录（所有页）", "Exports every record of the current filter (all pages)"},
		"export.file":     {"%s-%s.xlsx", "%s - %s.xlsx"},
		"export.too_many": {"当前筛选条件下的记录超过 %d 条，超出单次导出的上限。请增加筛选条件（如日期范围、负责人、状态）后分批导出。", "The current filter matches more than %d records, more than one export may hold. Narrow the filter (dates, owner, status, …) and export in parts."},
		"export.busy":     {"系统正在处理其他导出（最多同时 %d 个），请稍后再试。", "The system is busy with other exports (at most %d at a time). Please try again shortly."},

		"export.col.quote_number":  {"报价单编号", "Quote number"},
		"export.col.order_number":  {"订单编号", "Order number"},
		"export.col.quote_status":  {"报价单状态", "Quote status"},
		"export.col.order_status":  {"订单状态", "Order status"},
		"export.col.total":         {"总金额", "Total"},
		"export.col.order_total":   {"订单总金额", "Order total"},
		"export.col.paid_amount":   {"已回款金额", "Paid"},
		"export.col.product_sku":   {"产品SKU", "Product SKU"},
		"export.col.unit_price":    {"单价", "Unit price"},
		"export.col.discount":      {"折扣", "Discount"},
		"export.col.quantity":      {"数量", "Quantity"},
		"export.col.subtotal":      {"金额小计", "Subtotal"},
		"export.col.approver":      {"审批人（用户名）", "Approver (username)"},
		"export.col.recorder":      {"登记人（用户名）", "Recorded by (username)"},
		"export.col.amount":        {"金额", "Amount"},
		"export.col.paid_on":       {"回款日期", "Paid on"},
		"export.col.method":        {"付款方式", "Payment method"},
		"export.col.invoice_no":    {"发票号码", "Invoice number"},
		"export.col.invoice_type":  {"发票类型", "Invoice type"},
		"export.col.issued_on":     {"开票日期", "Issued on"},
		"export.col.confirmed":     {"财务确认", "Confirmed by finance"},
		"export.col.confirmed_by":  {"确认人（用户名）", "Confirmed by (username)"},
		"export.col.confirmed_at":  {"确认时间", "Confirmed at"},
		"export.col.quote_date":    {"报价日期", "Quote date"},
		"export.col.valid_until":   {"有效期至", "Valid until"},
		"export.col.sign_date":     {"签约日期", "Signed on"},
		"export.col.created_at":    {"创建时间", "Created at"},
		"export.col.opportunity":   {"销售机会", "Opportunity"},
		"export.col.customer_name": {"客户名称", "Customer name"},
	})
}
