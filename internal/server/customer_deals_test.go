package server_test

import (
	"strconv"
	"testing"

	"crm/internal/crm"
)

// TestCustomerPageDealSections: a customer's page lists its opportunities,
// quotes, orders, payments and invoices, each restricted to what the
// viewer may see; marketing gets the opportunities and no money section at
// all (issue 4: marketing sees no quote, order, payment or invoice anywhere).
func TestCustomerPageDealSections(t *testing.T) {
	w := newAcqWorld(t)
	rep1 := w.clients["rep1"]
	loc := rep1.post("/customers", form("name", "成套设备客户", "confirm_duplicate", "1")).wantStatus(303).Location
	cust := loc[len("/customers/"):]
	w.exec(`INSERT INTO products (sku, name, list_price) VALUES ('P-1', '测试产品', 100)`)
	product := strconv.Itoa(w.count(`SELECT id FROM products WHERE sku = 'P-1'`))
	rep1.post("/opportunities", form("name", "扩产项目", "customer_id", cust, "stage", "needs")).wantStatus(303)
	rep1.post("/orders", form("customer_id", cust, "line_product", product, "line_price", "100",
		"line_discount", "1", "line_quantity", "3")).wantStatus(303)

	page := rep1.get(loc).wantStatus(200)
	if n := len(page.texts(tid("opportunity-table") + " " + tid("opportunity-row"))); n != 1 {
		t.Errorf("rep sees %d opportunities on the customer page", n)
	}
	if n := len(page.texts(tid("order-table") + " " + tid("order-row"))); n != 1 {
		t.Errorf("rep sees %d orders on the customer page", n)
	}
	for _, sec := range []string{"quote-table", "tab-payments", "tab-invoices"} {
		if !page.has(tid(sec)) {
			t.Errorf("rep's customer page lacks %s", sec)
		}
	}
	if !page.has(tid("new-orders")) || !page.has(tid("new-quotes")) {
		t.Error("the owner is not offered new quotes/orders from the customer page")
	}

	mkt := w.clients["mkt"].get(loc).wantStatus(200)
	if n := len(mkt.texts(tid("opportunity-table") + " " + tid("opportunity-row"))); n != 1 {
		t.Errorf("marketing sees %d opportunities", n)
	}
	for _, sec := range []string{"quote-table", "order-table", "payment-table", "invoice-table", "tab-orders", "tab-quotes",
		"tab-payments", "tab-invoices", "no-payments"} {
		if mkt.has(tid(sec)) {
			t.Errorf("marketing's customer page shows %s", sec)
		}
	}
	// Another rep of the department views nothing of it: 404.
	w.clients["rep1b"].get(loc).wantStatus(404)
	_ = crm.CountCap
}
