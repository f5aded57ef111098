package postgres

import (
	"testing"

	"crm/internal/crm"
)

// TestDealSortKeys checks that the deal lists' sort keys (crm, which
// their filters keep) are exactly the keys storage orders by.
func TestDealSortKeys(t *testing.T) {
	for name, c := range map[string]struct {
		keys  []string
		sorts map[string]string
	}{
		"quotes": {crm.QuoteSorts, quoteSorts}, "orders": {crm.OrderSorts, orderSorts},
		"opportunities": {crm.OpportunitySorts, opportunitySorts}, "products": {crm.ProductSorts, productSorts},
	} {
		if len(c.keys) != len(c.sorts) {
			t.Errorf("%s: crm has %d sort keys, storage %d", name, len(c.keys), len(c.sorts))
		}
		for _, k := range c.keys {
			if _, ok := c.sorts[k]; !ok {
				t.Errorf("%s: sort key %q has no ORDER BY", name, k)
			}
		}
	}
}
