package views

import (
	"context"
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
