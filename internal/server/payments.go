package server

import (
	"net/http"
	"net/url"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/route"
	"crm/web/views"
)

// Payments (回款单, SPEC §4): the money kind with a paid-on day and a
// method (see moneydocs.go for the handlers).

var paymentKind = &moneyKind[crm.Payment, crm.PaymentFilter, crm.PaymentInput, views.PaymentFormValues]{
	res: crm.ResPayment, area: crm.AreaPayments, key: "payment", list: route.Payments, show: route.Payment[int64],
	find: (*postgres.DB).FindPayments, byID: (*postgres.DB).PaymentByID, create: (*postgres.DB).CreatePayment,
	update: (*postgres.DB).UpdatePayment, remove: (*postgres.DB).DeletePayment, confirm: (*postgres.DB).ConfirmPayment,
	filter:   paymentFilter,
	narrowed: crm.PaymentFilter.Parents,
	input:    paymentInput,
	inOrder:  func(in crm.PaymentInput) (int64, decimal.Decimal) { return in.OrderID, in.Amount },
	blank: func(orderID string) views.PaymentFormValues {
		return views.PaymentFormValues{OrderID: orderID, PaidOn: today(), Method: crm.PaymentMethods[0]}
	},
	values: views.PaymentValues,
	stored: func(v views.PaymentFormValues) url.Values {
		return fields("order_id", v.OrderID, "amount", v.Amount, "paid_on", v.PaidOn, "method", v.Method, "notes", v.Notes)
	},
	index: paymentsIndex,
	formView: func(p views.MoneyFormProps, v views.PaymentFormValues) templ.Component {
		return views.PaymentForm(views.PaymentFormProps{MoneyFormProps: p, Values: v})
	},
	showView: func(pm crm.Payment, p views.MoneyShowProps) templ.Component {
		return views.PaymentShow(views.PaymentShowProps{Payment: pm, MoneyShowProps: p})
	},
}

// payments are the handlers of payments (routes.go).
func (s *Server) payments() moneyHandlers[crm.Payment, crm.PaymentFilter, crm.PaymentInput, views.PaymentFormValues] {
	return moneyHandlers[crm.Payment, crm.PaymentFilter, crm.PaymentInput, views.PaymentFormValues]{s, paymentKind}
}

// paymentFilter reads the payment list's query string (tab, filters,
// sort, page) for a; the list and its export read it alike.
func paymentFilter(r *http.Request, a crm.Actor) (crm.PaymentFilter, []crm.ListTab) {
	var f crm.PaymentFilter
	tabs := crm.ListTabs(a, crm.ResPayment)
	f.Parse(r.URL.Query(), tabs)
	return f, tabs
}

// paymentsIndex is the payment list, with the names of the dashboard's
// owner and department filters.
func paymentsIndex(s *Server, r *http.Request, f crm.PaymentFilter, list []crm.Payment, m views.MoneyListProps) (templ.Component, error) {
	p := views.PaymentsProps{Payments: list, Filter: f, MoneyListProps: m}
	names, err := s.filterNames(r.Context(), f.OwnerID, f.DepartmentID)
	p.Names.Owner, p.Names.Department = names.Owner, names.Department
	return views.PaymentsIndex(p), err
}

// paymentInput reads the posted form: the typed input for the domain, the
// values as typed for a re-render, and every problem found on the way. A
// non-zero orderID is the order of an edited payment (its form has none).
func paymentInput(f *form, orderID int64) (crm.PaymentInput, views.PaymentFormValues, error) {
	if orderID == 0 {
		orderID = f.id("order_id")
	}
	in := crm.PaymentInput{OrderID: orderID, Amount: f.money("amount"), PaidOn: f.date("paid_on"),
		Method: f.text("method"), Notes: f.text("notes")}
	v := views.PaymentFormValues{OrderID: f.text("order_id"), Amount: f.text("amount"), PaidOn: f.text("paid_on"),
		Method: f.text("method"), Notes: f.text("notes")}
	return in, v, f.err(in.Validate())
}
