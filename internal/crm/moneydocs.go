package crm

import (
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Money documents — payments (回款单) and invoices (开票单) — as their lists
// ask for them and their forms offer: the list filters (parsed from and
// written back to the query string here), the payment methods and the
// order choices of the forms.

// MoneyDoc is what a payment and an invoice share: the order it goes
// against, its customer (the order's) with the customer's ownership copy,
// its owner, the amount and notes, and finance's confirmation (财务确认),
// which locks it for good.
type MoneyDoc struct {
	ID              int64
	OrderID         int64
	OrderNumber     string
	Amount          decimal.Decimal
	Notes           string
	Confirmed       bool
	ConfirmedBy     int64
	ConfirmedByName string
	ConfirmedAt     *time.Time
	Parent          // the order's customer
	Owned
}

// Money is the shared part itself (for code written once for both kinds).
func (d MoneyDoc) Money() MoneyDoc { return d }

// record is the policy's view of a money document of resource res: a
// confirmed one is locked.
func (d MoneyDoc) record(res Resource) Record {
	r := d.Parent.child(d.Owned, res)
	r.Locked = d.Confirmed
	return r
}

// MoneyFilter is what the payment and invoice lists share besides
// ListQuery: the 财务确认 filter, the order or customer the list is
// narrowed to, and a range of days (the payment's or invoice's day).
type MoneyFilter struct {
	Confirmed  string // "": all, "yes": confirmed, "no": awaiting confirmation
	OrderID    int64
	CustomerID int64
	From       *time.Time // on or after this day
	To         *time.Time // on or before this day
}

func (f *MoneyFilter) parse(v url.Values) {
	f.Confirmed = v.Get("confirmed")
	if f.Confirmed != "yes" && f.Confirmed != "no" {
		f.Confirmed = ""
	}
	f.OrderID, f.CustomerID = ValueID(v, "order"), ValueID(v, "customer")
	f.From, f.To = ValueDay(v, "from"), ValueDay(v, "to")
}

func (f MoneyFilter) set(q url.Values) {
	SetValue(q, "confirmed", f.Confirmed)
	SetID(q, "order", f.OrderID)
	SetID(q, "customer", f.CustomerID)
	SetDay(q, "from", f.From)
	SetDay(q, "to", f.To)
}

// sortAmong drops a sort that is none of keys (and its direction), so
// that the list's links carry no sort the list does not know.
func sortAmong(l *ListQuery, keys ...string) {
	for _, k := range keys {
		if l.Sort == k {
			return
		}
	}
	l.Sort, l.Desc = "", false
}

// PaymentSorts are the sort keys of the payment list.
var PaymentSorts = []string{"paid", "amount", "created", "confirmed"}

// InvoiceSorts are the sort keys of the invoice list.
var InvoiceSorts = []string{"issued", "amount", "created", "confirmed"}

// PaymentFilter selects payments for a list. Query is the order number,
// or the customer's name or phone.
type PaymentFilter struct {
	ListQuery
	MoneyFilter
	// OwnerID and DepartmentID are the dashboard's filters (its 回款金额
	// links here): the payment's owner (负责人) and department.
	OwnerID      int64
	DepartmentID int64
}

// Parse reads the payment list's query string.
func (f *PaymentFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	sortAmong(&f.ListQuery, PaymentSorts...)
	f.MoneyFilter.parse(v)
	f.OwnerID, f.DepartmentID = ValueID(v, "owner"), ValueID(v, "department")
}

// Values is the payment list's query string.
func (f PaymentFilter) Values() url.Values {
	q := f.ListQuery.Values()
	f.MoneyFilter.set(q)
	SetID(q, "owner", f.OwnerID)
	SetID(q, "department", f.DepartmentID)
	return q
}

// InvoiceFilter selects invoices for a list. Query is the order number,
// the customer's name or phone, or the invoice number.
type InvoiceFilter struct {
	ListQuery
	MoneyFilter
	Type InvoiceType
}

// Parse reads the invoice list's query string.
func (f *InvoiceFilter) Parse(v url.Values, tabs []ListTab) {
	f.ListQuery.Parse(v, tabs)
	sortAmong(&f.ListQuery, InvoiceSorts...)
	f.MoneyFilter.parse(v)
	f.Type = InvoiceType(v.Get("type"))
	if f.Type != InvoiceNormal && f.Type != InvoiceSpecial {
		f.Type = ""
	}
}

// Values is the invoice list's query string.
func (f InvoiceFilter) Values() url.Values {
	q := f.ListQuery.Values()
	f.MoneyFilter.set(q)
	SetValue(q, "type", string(f.Type))
	return q
}

// MoneyOrderChoice is an order offered by the pickers of the payment and
// invoice forms.
type MoneyOrderChoice struct {
	ID             int64
	Number         string
	CustomerName   string
	Total          decimal.Decimal
	PaidAmount     decimal.Decimal
	InvoicedAmount decimal.Decimal
}

// PaymentMethods are the payment methods (付款方式) the forms offer, in
// their order; a payment stores the code.
var PaymentMethods = []string{"bank_transfer", "cash", "cheque", "alipay", "wechat", "acceptance_bill", "other"}

// paymentMethodNames maps the names people type (imports, the demo data)
// to the codes.
var paymentMethodNames = map[string]string{
	"银行转账": "bank_transfer", "转账": "bank_transfer", "电汇": "bank_transfer", "bank transfer": "bank_transfer",
	"现金": "cash", "支票": "cheque", "支付宝": "alipay", "微信": "wechat", "微信支付": "wechat", "wechat pay": "wechat",
	"承兑汇票": "acceptance_bill", "承兑": "acceptance_bill", "银行承兑汇票": "acceptance_bill", "其他": "other",
}

// PaymentMethodCode returns the code of a payment method given as a code or
// by a common name (银行转账, Bank transfer), and whether it is one. ""
// (no method) is ("", true).
func PaymentMethodCode(s string) (string, bool) {
	s = CleanText(s)
	if s == "" {
		return "", true
	}
	for _, m := range PaymentMethods {
		if s == m {
			return m, true
		}
	}
	code, ok := paymentMethodNames[strings.ToLower(s)]
	return code, ok
}
