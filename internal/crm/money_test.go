package crm

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"", "0", ""},
		{"1,234.5", "1234.5", ""},
		{"　¥99 999 999 999.99 ", "99999999999.99", ""},
		{"0.1", "0.1", ""},
		{"12.345", "0", "error.money_decimals"},
		{"12.340", "12.34", ""},
		{"-1", "0", "error.money_negative"},
		{"abc", "0", "error.money_format"},
		{"1000000000000", "0", "error.money_too_large"},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		if err != c.err || !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("ParseMoney(%q) = %s, %q; want %s, %q", c.in, got, err, c.want, c.err)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for in, want := range map[string]string{"0": "0.00", "1234567.8": "1,234,567.80", "999": "999.00",
		"-1234.5": "-1,234.50", "99999999999.99": "99,999,999,999.99"} {
		if got := FormatMoney(decimal.RequireFromString(in)); got != want {
			t.Errorf("FormatMoney(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestRoundMoneyHalfUp(t *testing.T) {
	// 0.1 × 3 and 19.99 × 0.85 × 7 break float; decimal does not.
	if got := RoundMoney(decimal.RequireFromString("0.1").Mul(decimal.NewFromInt(3))); got.String() != "0.3" {
		t.Errorf("0.1×3 = %s", got)
	}
	v := decimal.RequireFromString("19.99").Mul(decimal.RequireFromString("0.85")).Mul(decimal.NewFromInt(7))
	if got := RoundMoney(v); got.StringFixed(2) != "118.94" { // 118.9405
		t.Errorf("19.99×0.85×7 = %s", got.StringFixed(2))
	}
	if got := RoundMoney(decimal.RequireFromString("0.125")); got.StringFixed(2) != "0.13" {
		t.Errorf("0.125 rounds to %s", got.StringFixed(2))
	}
}
