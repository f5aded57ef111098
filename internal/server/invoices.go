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

// Invoices (开票单, SPEC §4): the money kind with a number, a type and an
// issue date (see moneydocs.go for the handlers).

var invoiceKind = &moneyKind[crm.Invoice, crm.InvoiceFilter, crm.InvoiceInput, views.InvoiceFormValues]{
	res: crm.ResInvoice, area: crm.AreaInvoices, key: "invoice", list: route.Invoices, show: route.Invoice[int64],
	find: (*postgres.DB).FindInvoices, byID: (*postgres.DB).InvoiceByID, create: (*postgres.DB).CreateInvoice,
	update: (*postgres.DB).UpdateInvoice, remove: (*postgres.DB).DeleteInvoice, confirm: (*postgres.DB).ConfirmInvoice,
	filter:   invoiceFilter,
	narrowed: crm.InvoiceFilter.Parents,
	input:    invoiceInput,
	inOrder:  func(in crm.InvoiceInput) (int64, decimal.Decimal) { return in.OrderID, in.Amount },
	blank: func(orderID string) views.InvoiceFormValues {
		return views.InvoiceFormValues{OrderID: orderID, IssuedOn: today(), InvoiceType: string(crm.InvoiceNormal)}
	},
	values: views.InvoiceValues,
	stored: func(v views.InvoiceFormValues) url.Values {
		return fields("order_id", v.OrderID, "amount", v.Amount, "invoice_no", v.InvoiceNo, "invoice_type", v.InvoiceType,
			"issued_on", v.IssuedOn, "notes", v.Notes)
	},
	index: func(_ *Server, _ *http.Request, f crm.InvoiceFilter, list []crm.Invoice, m views.MoneyListProps) (templ.Component, error) {
		return views.InvoicesIndex(views.InvoicesProps{Invoices: list, Filter: f, MoneyListProps: m}), nil
	},
	formView: func(p views.MoneyFormProps, v views.InvoiceFormValues) templ.Component {
		return views.InvoiceForm(views.InvoiceFormProps{MoneyFormProps: p, Values: v})
	},
	showView: func(v crm.Invoice, p views.MoneyShowProps) templ.Component {
		return views.InvoiceShow(views.InvoiceShowProps{Invoice: v, MoneyShowProps: p})
	},
}

// invoices are the handlers of invoices (routes.go).
func (s *Server) invoices() moneyHandlers[crm.Invoice, crm.InvoiceFilter, crm.InvoiceInput, views.InvoiceFormValues] {
	return moneyHandlers[crm.Invoice, crm.InvoiceFilter, crm.InvoiceInput, views.InvoiceFormValues]{s, invoiceKind}
}

// invoiceFilter reads the invoice list's query string (tab, filters,
// sort, page) for a; the list and its export read it alike.
func invoiceFilter(r *http.Request, a crm.Actor) (crm.InvoiceFilter, []crm.ListTab) {
	var f crm.InvoiceFilter
	tabs := crm.ListTabs(a, crm.ResInvoice)
	f.Parse(r.URL.Query(), tabs)
	return f, tabs
}

// invoiceInput reads the posted form (see paymentInput).
func invoiceInput(f *form, orderID int64) (crm.InvoiceInput, views.InvoiceFormValues, error) {
	if orderID == 0 {
		orderID = f.id("order_id")
	}
	in := crm.InvoiceInput{OrderID: orderID, Amount: f.money("amount"), InvoiceNo: f.text("invoice_no"),
		InvoiceType: crm.InvoiceType(f.text("invoice_type")), IssuedOn: f.date("issued_on"), Notes: f.text("notes")}
	v := views.InvoiceFormValues{OrderID: f.text("order_id"), Amount: f.text("amount"), InvoiceNo: f.text("invoice_no"),
		InvoiceType: f.text("invoice_type"), IssuedOn: f.text("issued_on"), Notes: f.text("notes")}
	return in, v, f.err(in.Validate())
}
