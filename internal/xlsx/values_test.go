package xlsx

import (
	"testing"

	"crm/internal/i18n"
)

// TestXlsxCellValues: the ways people write days, moments, amounts and
// yes/no all read the same.
func TestXlsxCellValues(t *testing.T) {
	for _, s := range []string{"2026-01-15", "2026/1/15", "2026年1月15日", "2026.1.15", "20260115", "46037", "2026-01-15 00:00"} {
		d, ok := parseDate(s, false)
		if !ok || d.Format("2006-01-02") != "2026-01-15" {
			t.Errorf("date %q: %v %v", s, d, ok)
		}
	}
	for _, s := range []string{"明天", "2026-13-01", "2026-02-30", "1/15/2026", ""} {
		if _, ok := parseDate(s, false); ok {
			t.Errorf("date %q read", s)
		}
	}
	for s, want := range map[string]string{
		"2026-01-15 14:30":    "2026-01-15 14:30",
		"2026/1/15 9:05":      "2026-01-15 09:05",
		"2026年1月15日 14:30":    "2026-01-15 14:30",
		"2026-01-15T14:30:00": "2026-01-15 14:30",
		"2026-01-15":          "2026-01-15 00:00",
		"46037.75":            "2026-01-15 18:00",
	} {
		d, ok := parseDateTime(s, false)
		if !ok || d.Format("2006-01-02 15:04") != want || d.Location().String() != "Asia/Shanghai" {
			t.Errorf("time %q: %v %v, want %s", s, d, ok, want)
		}
	}
	if d, _ := parseDate("44576", true); d.Format("2006-01-02") != "2026-01-16" {
		t.Errorf("1904 date system: %v", d)
	}
	for s, want := range map[string]string{"12800": "12800", "12,800.50": "12800.5", "¥1,000": "1000",
		"0.30000000000000004": "0.3", " 7 ": "7"} {
		d, problem := parseMoney(s)
		if problem != "" || d.String() != want {
			t.Errorf("money %q: %s %q, want %s", s, d, problem, want)
		}
	}
	for s, want := range map[string]string{"-1": "error.money_negative", "1.234": "error.money_decimals", "abc": "error.money_format"} {
		if _, problem := parseMoney(s); problem != want {
			t.Errorf("money %q: %q, want %q", s, problem, want)
		}
	}
	for s, want := range map[string]string{"12": "12", "1,234.5": "1234.5", "-3": "-3", "1e3": "1000"} {
		if d, ok := parseNumber(s); !ok || d.String() != want {
			t.Errorf("number %q: %s %v", s, d, ok)
		}
	}
	if _, ok := parseNumber("十二"); ok {
		t.Error("number 十二 read")
	}
	for s, want := range map[string]bool{"是": true, "否": false, "Yes": true, "FALSE": false, "1": true, "停用": false} {
		if v, ok := parseBool(s); !ok || v != want {
			t.Errorf("bool %q: %v %v", s, v, ok)
		}
	}
	if _, ok := parseBool("也许"); ok {
		t.Error("bool 也许 read")
	}
	if normHeader("  负责人（用户名）* ") != "负责人" || normHeader("Owner (username)") != "owner" || normHeader("客户名称＊") != "客户名称" {
		t.Error("normHeader")
	}
}

// TestXlsxHeadersUnique: within a table no two columns read alike, in
// either language (the header is matched without marks and remarks).
func TestXlsxHeadersUnique(t *testing.T) {
	for _, tb := range Tables {
		seen := map[string]string{}
		for _, c := range tb.Columns {
			for _, l := range i18n.Locales {
				n := normHeader(HeaderLabel(&c, l))
				if other, dup := seen[n]; dup && other != c.Field {
					t.Errorf("%s: %s and %s both read as %q", tb.Name, other, c.Field, n)
				}
				seen[n] = c.Field
			}
		}
	}
}
