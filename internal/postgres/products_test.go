package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// TestProductCatalogue: admin and management manage products, nobody else;
// SKUs are unique (a field message, also on a concurrent-looking update);
// deactivated products leave the pickers but keep their place on documents
// that hold them; every change is in history.
func TestProductCatalogue(t *testing.T) {
	t.Parallel()
	f := newOppFixture(t)
	ctx := context.Background()
	in := func(sku, name, price string) crm.ProductInput {
		return crm.ProductInput{SKU: sku, Name: name, Category: "软件", Unit: "套", ListPrice: decimal.RequireFromString(price)}
	}
	for _, a := range []crm.Actor{f.mgr, f.repA, f.mkt, f.fin} {
		_, err := f.db.CreateProduct(ctx, a, in("P-1", "不许", "1"))
		wantCode(t, err, crm.EFORBIDDEN, "")
	}
	erp, err := f.db.CreateProduct(ctx, f.admin, in(" P-100 ", "ERP 标准版", "19800"))
	oppMust(t, err)
	crmID, err := f.db.CreateProduct(ctx, f.boss, in("P-200", "CRM 专业版", "9800.5"))
	oppMust(t, err)
	_, err = f.db.CreateProduct(ctx, f.boss, in("P-100", "重复", "1"))
	wantCode(t, err, crm.ECONFLICT, "")
	if fe := crm.FieldErrors(err); fe["sku"] != "error.taken" {
		t.Fatalf("duplicate SKU: %v", err)
	}
	err = f.db.UpdateProduct(ctx, f.admin, crmID, in("P-100", "CRM 专业版", "9800.5"))
	if fe := crm.FieldErrors(err); fe["sku"] != "error.taken" {
		t.Fatalf("update to a taken SKU: %v", err)
	}
	_, err = f.db.CreateProduct(ctx, f.admin, in("", " ", "-1"))
	if fe := crm.FieldErrors(err); fe["sku"] != "error.required" || fe["name"] != "error.required" || fe["list_price"] != "error.money_negative" {
		t.Fatalf("invalid input: %v", err)
	}
	p, err := f.db.ProductByID(ctx, erp)
	oppMust(t, err)
	if p.SKU != "P-100" || !p.Active || !p.ListPrice.Equal(decimal.NewFromInt(19800)) {
		t.Fatalf("product = %+v", p)
	}
	wantCode(t, f.db.UpdateProduct(ctx, f.repA, erp, in("P-100", "改", "1")), crm.EFORBIDDEN, "")
	wantCode(t, f.db.UpdateProduct(ctx, f.admin, 987654, in("P-9", "无", "1")), crm.ENOTFOUND, "")
	oppMust(t, f.db.UpdateProduct(ctx, f.admin, erp, in("P-100", "ERP 旗舰版", "29800")))

	// Deactivation: gone from the pickers unless kept; twice is a no-op.
	wantCode(t, f.db.SetProductActive(ctx, f.mgr, erp, false), crm.EFORBIDDEN, "")
	oppMust(t, f.db.SetProductActive(ctx, f.boss, erp, false))
	oppMust(t, f.db.SetProductActive(ctx, f.boss, erp, false))
	choices, err := f.db.ProductChoices(ctx)
	oppMust(t, err)
	if len(choices) != 1 || choices[0].ID != crmID || choices[0].Unit != "套" {
		t.Fatalf("choices = %+v", choices)
	}
	if choices, _ = f.db.ProductChoices(ctx, erp); len(choices) != 2 || choices[0].ID != crmID || choices[1].ID != erp {
		t.Fatalf("choices keeping P-100 = %+v", choices)
	}

	// The list: search by SKU or name, filters, sorts, total.
	list := func(pf crm.ProductFilter) []string {
		t.Helper()
		ps, total, err := f.db.FindProducts(ctx, pf)
		oppMust(t, err)
		if total.N != len(ps) {
			t.Fatalf("total %d for %d rows", total.N, len(ps))
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.SKU)
		}
		return out
	}
	for _, c := range []struct {
		f    crm.ProductFilter
		want string
	}{
		{crm.ProductFilter{}, "P-200,P-100"}, // by name: CRM before ERP
		{crm.ProductFilter{ListQuery: crm.ListQuery{Query: "p-1"}}, "P-100"},
		{crm.ProductFilter{ListQuery: crm.ListQuery{Query: "专业"}}, "P-200"},
		{crm.ProductFilter{Active: "no"}, "P-100"},
		{crm.ProductFilter{Active: "yes"}, "P-200"},
		{crm.ProductFilter{Category: "硬件"}, ""},
		{crm.ProductFilter{ListQuery: crm.ListQuery{Sort: "price", Desc: true}}, "P-100,P-200"},
	} {
		got := list(c.f)
		if s := strings.Join(got, ","); s != c.want {
			t.Errorf("%+v: %q, want %q", c.f, s, c.want)
		}
	}
	cats, err := f.db.ProductCategories(ctx)
	oppMust(t, err)
	if len(cats) != 1 || cats[0] != "软件" {
		t.Errorf("categories = %v", cats)
	}
	h, err := f.db.History(ctx, crm.ResProduct, erp)
	oppMust(t, err)
	if len(h) != 3 || h[0].Changes[0] != (crm.Change{Field: "active_product", Old: "yes", New: "no"}) ||
		h[1].Changes[0].Field != "name_product" || h[2].Action != "create" {
		t.Fatalf("history = %+v", h)
	}
}
