package server_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// oppProduct creates a product as admin (through storage).
func oppProduct(w *acqWorld, sku, name, price string) int64 {
	w.t.Helper()
	id, err := w.DB.CreateProduct(context.Background(), w.actor("admin"), crm.ProductInput{SKU: sku, Name: name,
		Category: "软件", Unit: "套", ListPrice: decimal.RequireFromString(price)})
	if err != nil {
		w.t.Fatalf("product %s: %v", sku, err)
	}
	return id
}

// TestProductRoutesEveryRole: everyone signed in browses the catalogue;
// only admin and management add, edit, deactivate and activate (403 for
// the others, and nothing changes); a product that does not exist is 404
// on every route.
func TestProductRoutesEveryRole(t *testing.T) {
	t.Parallel()
	w := newAcqWorld(t)
	id := oppProduct(w, "P-1", "标准版", "100")
	managers := map[string]bool{"admin": true, "boss": true}
	type route struct {
		method string
		path   string // %d is the product
		form   url.Values
		ok     int // for managers; everyone else 403, except "all"
		all    bool
	}
	routes := []route{
		{"GET", "/products", nil, 200, true},
		{"GET", "/products?q=P-1&category=软件&active=yes&sort=price&dir=desc&page=2", nil, 200, true},
		{"GET", "/products/%d", nil, 200, true},
		{"GET", "/products/new", nil, 200, false},
		{"GET", "/products/%d/edit", nil, 200, false},
		{"POST", "/products/%d", form("sku", "P-1", "name", "标准版", "list_price", "120"), 303, false},
		{"POST", "/products/%d/deactivate", nil, 303, false},
		{"POST", "/products/%d/activate", nil, 303, false},
	}
	history := func() int {
		return w.count(`SELECT count(*) FROM history WHERE resource = 'product' AND record_id = $1`, id)
	}
	cases := 0
	for _, rt := range routes {
		for _, u := range acqUsers {
			want := 403
			if rt.all || managers[u.name] {
				want = rt.ok
			}
			path := strings.Replace(rt.path, "%d", strconv.FormatInt(id, 10), 1)
			before := history()
			c := w.clients[u.name]
			var p *page
			if rt.method == "GET" {
				p = c.get(path)
			} else {
				p = c.post(path, rt.form)
			}
			cases++
			if p.Status != want {
				t.Errorf("%s %s as %s: %d, want %d\n%s", rt.method, path, u.name, p.Status, want, abbreviate(p.Body))
			}
			if p.Status == 403 && history() != before {
				t.Errorf("%s %s as %s: refused but history changed", rt.method, path, u.name)
			}
			// A missing product: 404 for everyone on the routes with an id.
			if strings.Contains(rt.path, "%d") {
				missing := strings.Replace(rt.path, "%d", "987654", 1)
				var m *page
				if rt.method == "GET" {
					m = c.get(missing)
				} else {
					m = c.post(missing, rt.form)
				}
				cases++
				if m.Status != 404 {
					t.Errorf("%s %s as %s: %d, want 404", rt.method, missing, u.name, m.Status)
				}
			}
		}
	}
	for _, u := range acqUsers {
		want := 403
		if managers[u.name] {
			want = 303
		}
		cases++
		if p := w.clients[u.name].post("/products", form("sku", "NEW-"+u.name, "name", "新品"+u.name)); p.Status != want {
			t.Errorf("create as %s: %d, want %d", u.name, p.Status, want)
		}
		// The list shows the management controls to managers only.
		cases++
		if p := w.clients[u.name].get("/products"); p.has(tid("new-product")) != managers[u.name] {
			t.Errorf("list as %s: new button %v", u.name, p.has(tid("new-product")))
		}
	}
	if n := w.count(`SELECT count(*) FROM products`); n != 3 {
		t.Errorf("%d products, want 3", n)
	}
	t.Logf("product routes: %d role×route cases", cases)
}

// TestProductFormsAndSKU: the form's messages (a taken SKU among them),
// values kept as typed, the list's search and filters, deactivation and
// its history, and the detail page for a rep.
func TestProductFormsAndSKU(t *testing.T) {
	t.Parallel()
	w := newAcqWorld(t)
	boss := w.clients["boss"]
	loc := boss.post("/products", form("sku", "ERP-100", "name", "ERP 标准版", "category", "软件", "unit", "套",
		"list_price", "19,800", "description", "含一年维护")).wantStatus(303).Location
	if !strings.HasPrefix(loc, "/products/") {
		t.Fatalf("created → %q", loc)
	}
	boss.get(loc).wantStatus(200).wantText(tid("product-price"), "19,800.00").wantText(tid("product-status"), "启用")

	dup := boss.post("/products", form("sku", "ERP-100", "name", "另一个", "list_price", "1.5")).wantStatus(422)
	dup.wantText(tid("error-sku"), "已被占用")
	if v, _ := dup.Doc.Find("#f-name").Attr("value"); v != "另一个" {
		t.Errorf("name as typed = %q", v)
	}
	boss.post("/products", form("sku", "", "name", "", "list_price", "-3")).wantStatus(422).
		wantText(tid("error-sku"), "必填。").wantText(tid("error-name"), "必填。").wantText(tid("error-list_price"), "负数")
	boss.post("/products", form("sku", "X", "name", "X", "list_price", "abc")).wantStatus(422).wantText(tid("error-list_price"), "格式")
	other := boss.post("/products", form("sku", "CRM-200", "name", "CRM 专业版", "category", "软件", "list_price", "9800")).wantStatus(303).Location
	// Renaming onto a taken SKU: 422 on the edit form.
	boss.post(other, form("sku", "ERP-100", "name", "CRM 专业版", "list_price", "9800")).wantStatus(422).wantText(tid("error-sku"), "已被占用")
	if n := w.count(`SELECT count(*) FROM products`); n != 2 {
		t.Fatalf("%d products", n)
	}
	edit := boss.get(other + "/edit").wantStatus(200)
	if v, _ := edit.Doc.Find("#f-list_price").Attr("value"); v != "9800.00" {
		t.Errorf("edit price = %q", v)
	}
	if opts := edit.texts("#product-categories option"); len(opts) != 1 {
		t.Errorf("category suggestions = %d", len(opts))
	}

	// Deactivate: gone from active, shown as 已停用, history in words.
	w.clients["admin"].post(loc+"/deactivate", form()).wantRedirect(loc)
	detail := w.clients["rep1"].get(loc).wantStatus(200)
	detail.wantText(tid("product-status"), "已停用")
	if detail.has(tid("edit-product")) || detail.has(tid("activate-product")) {
		t.Error("a rep is offered product management")
	}
	h := detail.text(tid("history"))
	if !strings.Contains(h, "状态") || !strings.Contains(h, "启用 → 已停用") {
		t.Errorf("history: %s", h)
	}
	skus := func(p *page) string { return strings.Join(p.texts(tid("product-sku")), ",") }
	rep := w.clients["rep1"]
	for q, want := range map[string]string{
		"":                         "CRM-200,ERP-100",
		"?active=yes":              "CRM-200",
		"?active=no":               "ERP-100",
		"?q=erp":                   "ERP-100",
		"?q=专业":                    "CRM-200",
		"?category=软件&sort=price":  "CRM-200,ERP-100",
		"?sort=price&dir=desc":     "ERP-100,CRM-200",
		"?category=硬件":             "",
		"?sort=bogus;drop&dir=asc": "CRM-200,ERP-100",
	} {
		if got := skus(rep.get("/products" + q).wantStatus(200)); got != want {
			t.Errorf("/products%s = %q, want %q", q, got, want)
		}
	}
	if got := rep.get("/products?active=no").text(tid("product-active")); got != "已停用" {
		t.Errorf("badge = %q", got)
	}
	w.clients["admin"].post(loc+"/activate", form("back", "/products")).wantRedirect("/products")
	if got := skus(rep.get("/products?active=yes")); got != "CRM-200,ERP-100" {
		t.Errorf("after activate: %q", got)
	}
}
