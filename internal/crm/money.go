package crm

import (
	"strings"

	"github.com/shopspring/decimal"
)

// MaxMoney is the largest amount the CRM stores (numeric(14,2) in Postgres).
var MaxMoney = decimal.RequireFromString("999999999999.99")

// RoundMoney rounds half away from zero to 0.01 — the rounding of every
// line subtotal (SPEC §4).
func RoundMoney(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// ParseMoney reads an amount typed by a person: thousands separators,
// a currency sign and surrounding (full-width) spaces are allowed; more
// than two decimals, negatives and amounts beyond MaxMoney are not. It
// returns the catalog key of the problem, or "".
func ParseMoney(s string) (decimal.Decimal, string) {
	s = CleanText(s)
	s = strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", " ", "").Replace(s)
	if s == "" {
		return decimal.Zero, ""
	}
	d, err := decimal.NewFromString(s)
	switch {
	case err != nil:
		return decimal.Zero, "error.money_format"
	case d.IsNegative():
		return decimal.Zero, "error.money_negative"
	case d.Exponent() < -2 && !d.Equal(d.Round(2)):
		return decimal.Zero, "error.money_decimals"
	case d.GreaterThan(MaxMoney):
		return decimal.Zero, "error.money_too_large"
	}
	return d.Round(2), ""
}

// FormatMoney writes an amount with thousands separators and two decimals
// (the same in zh-CN and en: 1,234,567.80).
func FormatMoney(d decimal.Decimal) string {
	s := d.StringFixed(2)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}
