package xlsx

import (
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
)

// Reading one cell's text as the kind of its column. Cells arrive as
// their raw values (excelize's RawCellValue): a date cell is its Excel
// serial number, a number its plain digits, so that nothing depends on the
// cell's display format.

// parseNumber reads a decimal number; thousands separators are allowed.
func parseNumber(s string) (decimal.Decimal, bool) {
	s = strings.NewReplacer(",", "", "，", "", " ", "").Replace(s)
	d, err := decimal.NewFromString(s)
	return d, err == nil
}

// parseMoney reads an amount (crm.ParseMoney). A number cell that Excel
// computed carries binary noise (0.1+0.2 = 0.30000000000000004): a value
// within a millionth of a cent of two decimals is read as those.
func parseMoney(s string) (decimal.Decimal, string) {
	if d, err := decimal.NewFromString(s); err == nil && d.Exponent() < -2 {
		if r := d.Round(2); d.Sub(r).Abs().LessThan(decimal.New(1, -8)) {
			s = r.StringFixed(2)
		}
	}
	return crm.ParseMoney(s)
}

// excelSerial reads an Excel date serial (days since 1899-12-30, or 1904),
// the raw value of a date cell, as a wall-clock time in the business zone.
func excelSerial(s string, date1904 bool) (time.Time, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 2958465 || math.IsNaN(f) {
		return time.Time{}, false
	}
	t, err := excelize.ExcelDateToTime(f, date1904)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, crm.Zone), true
}

// dateText normalises the ways people write a day: 2026-01-15, 2026/1/15,
// 2026.1.15 and 2026年1月15日 all become 2026-1-15.
var dateText = strings.NewReplacer("年", "-", "月", "-", "日", "", "号", "", "/", "-", ".", "-", "T", " ", "：", ":")

// parseDate reads a day in the business zone.
func parseDate(s string, date1904 bool) (*time.Time, bool) {
	if t, ok := excelSerial(s, date1904); ok {
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, crm.Zone)
		return &d, true
	}
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" { // 20260115
		if t, err := time.ParseInLocation("20060102", s, crm.Zone); err == nil {
			return &t, true
		}
	}
	n := strings.Fields(dateText.Replace(s))
	if len(n) == 0 {
		return nil, false
	}
	// A day written with its midnight (2026-01-15 00:00) is that day.
	if len(n) == 2 && strings.Trim(n[1], "0:") != "" {
		return nil, false
	}
	if t, err := time.ParseInLocation("2006-1-2", n[0], crm.Zone); err == nil && len(n) <= 2 {
		return &t, true
	}
	return nil, false
}

// parseDateTime reads a moment in the business zone; a day alone is its
// midnight.
func parseDateTime(s string, date1904 bool) (*time.Time, bool) {
	if t, ok := excelSerial(s, date1904); ok {
		return &t, true
	}
	n := strings.Join(strings.Fields(dateText.Replace(s)), " ")
	for _, layout := range []string{"2006-1-2 15:4", "2006-1-2 15:4:5", "2006-1-2"} {
		if t, err := time.ParseInLocation(layout, n, crm.Zone); err == nil {
			return &t, true
		}
	}
	if d, ok := parseDate(s, date1904); ok {
		return d, true
	}
	return nil, false
}

// parseBool reads 是/否 and their usual spellings (an Excel TRUE/FALSE
// cell is 1/0).
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "是", "y", "yes", "true", "1", "启用", "有效", "√", "✓":
		return true, true
	case "否", "n", "no", "false", "0", "停用", "已停用", "无效", "×", "✗":
		return false, true
	}
	return false, false
}

// validEmail reports whether s is a plain address (as the forms accept).
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 200
}

// validUsername reports whether s is a username the employee form accepts.
func validUsername(s string) bool {
	if len(s) < 2 || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// twoDecimals drops the binary noise of a number Excel computed (a value
// within a millionth of a cent of two decimals is those), and reports
// whether what is left has at most two decimals.
func twoDecimals(d decimal.Decimal) (decimal.Decimal, bool) {
	if d.Exponent() >= -2 {
		return d, true
	}
	if r := d.Round(2); d.Sub(r).Abs().LessThan(decimal.New(1, -8)) {
		return r, true
	}
	return d, false
}

// parseQuantity reads a line's quantity: above 0, at most two decimals,
// at most crm.MaxQuantity.
func parseQuantity(s string) (decimal.Decimal, bool) {
	d, ok := parseNumber(s)
	if !ok {
		return d, false
	}
	d, ok = twoDecimals(d)
	return d, ok && d.IsPositive() && !d.GreaterThan(crm.MaxQuantity)
}

// parseDiscount reads a discount as a factor in (0, 1] with at most four
// decimals, written as the factor (0.9), a percentage (90%) or the
// Chinese way (9折, 9.5折, 85折 = 0.85).
func parseDiscount(s string) (decimal.Decimal, bool) {
	s = strings.ReplaceAll(s, " ", "")
	var d decimal.Decimal
	var ok bool
	switch {
	case strings.HasSuffix(s, "%"), strings.HasSuffix(s, "％"):
		d, ok = parseNumber(strings.TrimRight(s, "%％"))
		d = d.Shift(-2)
	case strings.HasSuffix(s, "折"):
		d, ok = parseNumber(strings.TrimSuffix(s, "折"))
		if d.GreaterThanOrEqual(decimal.NewFromInt(10)) {
			d = d.Shift(-2)
		} else {
			d = d.Shift(-1)
		}
	default:
		d, ok = parseNumber(s)
	}
	if !ok {
		return d, false
	}
	if d.Exponent() < -4 {
		if r := d.Round(4); d.Sub(r).Abs().LessThan(decimal.New(1, -10)) {
			d = r
		} else {
			return d, false
		}
	}
	return d, d.IsPositive() && !d.GreaterThan(decimal.NewFromInt(1))
}

// badText returns the catalog key (and its argument) of what makes a
// cell's text unfit to store — bytes that are not UTF-8, or a control
// character (controlChar) — or "" when it is fine.
func badText(s string) (key, arg string) {
	if !utf8.ValidString(s) {
		return "import.err.invalid_text", ""
	}
	for _, r := range s {
		if controlChar(r) {
			return "import.err.control_char", fmt.Sprintf("U+%04X", r)
		}
	}
	return "", ""
}

// controlChar reports whether r is a character no cell should hold: a C0
// control other than tab and the line breaks (NUL, which PostgreSQL
// refuses; the others, which Excel writes as _x0001_ … _x001F_ and which
// nobody means to store), DEL, and the non-characters U+FFFE and U+FFFF.
func controlChar(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f || r == 0xfffe || r == 0xffff
}

// visible shows a control character as U+FFFD (the preview's copy).
func visible(r rune) rune {
	if controlChar(r) {
		return '\ufffd'
	}
	return r
}

// shorten cuts s to n characters, marking the cut.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// scientific reports whether s is a number in scientific notation
// (1.38E+10): what a phone number turns into when Excel shows a long
// number in a narrow column and the shown text is kept.
func scientific(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToUpper(s), "E")
	if !ok || mant == "" || exp == "" {
		return false
	}
	mant = strings.TrimLeft(mant, "+-")
	exp = strings.TrimLeft(exp, "+-")
	digits := func(x string) bool { return x != "" && strings.Trim(x, "0123456789") == "" }
	whole, frac, dot := strings.Cut(mant, ".")
	return digits(whole) && (!dot || digits(frac)) && digits(exp)
}
