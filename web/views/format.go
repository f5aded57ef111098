package views

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/webctx"
	"crm/web/views/ui"
)

// Formatting shared by the pages: money, dates, option and employee choices.

func money(d decimal.Decimal) string { return crm.FormatMoney(d) }

func date(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return t.In(crm.Zone).Format("2006-01-02")
}

func dateTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return t.In(crm.Zone).Format("2006-01-02 15:04")
}

func dateTimeV(t time.Time) string { return dateTime(&t) }

// inputDate is a date as an <input type=date> value.
func inputDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(crm.Zone).Format("2006-01-02")
}

// inputDateTime is a time as an <input type=datetime-local> value.
func inputDateTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(crm.Zone).Format("2006-01-02T15:04")
}

func itoa(n int) string { return strconv.Itoa(n) }

func english(ctx context.Context) bool { return webctx.Locale(ctx) == "en" }

// optionChoices turns a value list into select options in the user's language.
func optionChoices(ctx context.Context, opts []crm.Option) []ui.Option {
	out := make([]ui.Option, 0, len(opts))
	for _, o := range opts {
		out = append(out, ui.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Label(english(ctx))})
	}
	return out
}

// employeeChoices turns employees into select options "name · department".
func employeeChoices(emps []crm.EmployeeOption) []ui.Option {
	out := make([]ui.Option, 0, len(emps))
	for _, e := range emps {
		label := e.Name
		if e.DepartmentName != "" {
			label += " · " + e.DepartmentName
		}
		out = append(out, ui.Option{Value: strconv.FormatInt(e.ID, 10), Label: label})
	}
	return out
}

// ownerName shows an owner, or "(pool)" for none.
func ownerName(ctx context.Context, o crm.Owned) string {
	if o.OwnerID == 0 {
		return t(ctx, "owner.pool")
	}
	return o.OwnerName
}

// total renders a list's count ("共 N 条", or "超过 10000 条" when capped).
func total(ctx context.Context, tot crm.Total) string {
	if tot.Capped {
		return t(ctx, "list.total_capped", tot.N)
	}
	return t(ctx, "list.total", tot.N)
}

// historyValue renders one side of a change.
func historyValue(ctx context.Context, field, v string) string {
	if v == "" {
		return t(ctx, "history.empty_value")
	}
	switch field {
	case "status":
		return t(ctx, "lead.status."+v)
	case "stage":
		return t(ctx, "customer.stage."+v)
	case "campaign_status":
		return t(ctx, "campaign.status."+v)
	case "stage_opportunity":
		return t(ctx, "opportunity.stage."+v)
	case "active_product":
		return t(ctx, "product.active."+v)
	case "quote_status":
		return t(ctx, "quote.status."+v)
	case "order_status":
		return t(ctx, "order.status."+v)
	case "payment_method":
		if k := "payment.method." + v; i18n.Has(k) {
			return t(ctx, k)
		}
	case "invoice_type":
		return t(ctx, "invoice.type."+v)
	}
	return v
}

// day is a day as the lists' date filters take it.
func day(t time.Time) string { return t.In(crm.Zone).Format("2006-01-02") }

func dayPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return day(*t)
}

// yuan is an amount with the currency sign.
func yuan(d decimal.Decimal) string { return "¥" + money(d) }

// compactMoney is an axis label: 1.2万 / 3亿 in Chinese, 12K / 3M in English.
func compactMoney(ctx context.Context, d decimal.Decimal) string {
	f, _ := d.Float64()
	trim := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	round1 := func(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
	if english(ctx) {
		switch {
		case f >= 1e6:
			return trim(round1(f/1e6)) + "M"
		case f >= 1e3:
			return trim(round1(f/1e3)) + "K"
		}
		return trim(round1(f))
	}
	switch {
	case f >= 1e8:
		return trim(round1(f/1e8)) + "亿"
	case f >= 1e4:
		return trim(round1(f/1e4)) + "万"
	}
	return trim(round1(f))
}

// monthLabel is a month: 5月 / May, with its year (2026年1月 / Jan 2026)
// when withYear.
func monthLabel(ctx context.Context, m time.Time, withYear bool) string {
	switch {
	case english(ctx) && withYear:
		return m.Format("Jan 2006")
	case english(ctx):
		return m.Format("Jan")
	case withYear:
		return fmt.Sprintf("%d年%d月", m.Year(), int(m.Month()))
	}
	return fmt.Sprintf("%d月", int(m.Month()))
}

// totalText is a capped count as a figure ("10000+" when capped).
func totalText(tot crm.Total) string {
	if tot.Capped {
		return strconv.Itoa(tot.N) + "+"
	}
	return strconv.Itoa(tot.N)
}

// roleLabel is a role's name in the user's language.
func roleLabel(ctx context.Context, r crm.Role) string { return t(ctx, "role."+string(r)) }
