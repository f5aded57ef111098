package crm

import (
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestSubtotalExact: values that break float arithmetic come out exact,
// rounded half-up at each line, and totals are sums of rounded subtotals.
func TestSubtotalExact(t *testing.T) {
	cases := []struct{ price, discount, qty, want string }{
		{"0.1", "1", "3", "0.30"},        // float: 0.30000000000000004
		{"19.99", "0.85", "7", "118.94"}, // 118.9405
		{"0.01", "0.5", "1", "0.01"},     // 0.005 rounds half up
		{"1.15", "1", "1", "1.15"},       // float: 1.1499999…
		{"2.675", "1", "1", "2.68"},      // float rounds 2.675 down
		{"99999999999.99", "1", "1", "99999999999.99"},
		{"99999999999.99", "0.99", "1", "98999999999.99"}, // 98999999999.9901
		{"333.33", "0.3333", "3", "333.30"},               // 333.296667
		{"10", "0.95", "0.5", "4.75"},
	}
	for _, c := range cases {
		got := Subtotal(d(c.price), d(c.discount), d(c.qty))
		if got.StringFixed(2) != c.want {
			t.Errorf("%s × %s × %s = %s, want %s", c.price, c.discount, c.qty, got.StringFixed(2), c.want)
		}
	}
	// The total is the sum of rounded subtotals: three lines of 0.005 each
	// round to 0.01 each (0.03), not round(0.015) = 0.02.
	lines, total := Priced([]Line{
		{UnitPrice: d("0.01"), Discount: d("0.5"), Quantity: d("1")},
		{UnitPrice: d("0.01"), Discount: d("0.5"), Quantity: d("1")},
		{UnitPrice: d("0.01"), Discount: d("0.5"), Quantity: d("1")},
	})
	if total.StringFixed(2) != "0.03" || lines[2].Subtotal.StringFixed(2) != "0.01" {
		t.Errorf("total of rounded subtotals = %s", total.StringFixed(2))
	}
	_, big := Priced([]Line{{UnitPrice: d("99999999999.99"), Discount: d("1"), Quantity: d("1")},
		{UnitPrice: d("0.1"), Discount: d("1"), Quantity: d("3")}})
	if big.StringFixed(2) != "100000000000.29" {
		t.Errorf("large total = %s", big.StringFixed(2))
	}
}

func TestValidateLines(t *testing.T) {
	err := ValidateLines([]Line{
		{ProductID: 1, UnitPrice: d("10"), Discount: d("1"), Quantity: d("1")},
		{ProductID: 0, UnitPrice: d("-1"), Discount: d("1.2"), Quantity: d("0")},
	})
	f := FieldErrors(err)
	for _, k := range []string{"line_product_1", "line_price_1", "line_discount_1", "line_quantity_1"} {
		if f[k] == "" {
			t.Errorf("no error for %s: %v", k, f)
		}
	}
	if _, bad := f["line_product_0"]; bad {
		t.Error("a good line was marked")
	}
	if FieldErrors(ValidateLines(nil))["lines"] != "error.lines_required" {
		t.Error("no lines accepted")
	}
}

func TestOrderFigures(t *testing.T) {
	o := Order{Total: d("300"), PaidAmount: d("100")}
	if o.Outstanding().String() != "200" || o.Progress().String() != "33.3" {
		t.Errorf("outstanding %s, progress %s", o.Outstanding(), o.Progress())
	}
	if (Order{}).Progress().String() != "0" {
		t.Error("progress of an empty order")
	}
	for s, locked := range map[OrderStatus]bool{OrderDraft: false, OrderPending: true, OrderApproved: true, OrderRejected: false} {
		if (Order{Status: s}).Record().Locked != locked {
			t.Errorf("order %s locked = %v", s, !locked)
		}
	}
}
