package crm

import (
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Product is a catalogue entry (产品).
type Product struct {
	ID          int64
	SKU         string
	Name        string
	Category    string
	Unit        string
	ListPrice   decimal.Decimal
	Description string
	Active      bool
	IsDemo      bool
	CreatedAt   time.Time
}

// ProductInput is the editable part of a product.
type ProductInput struct {
	SKU         string
	Name        string
	Category    string
	Unit        string
	ListPrice   decimal.Decimal
	Description string
}

// Validate trims and checks the input.
func (in *ProductInput) Validate() error {
	var v Invalid
	textField(&v, "sku", &in.SKU, true, 64)
	textField(&v, "name", &in.Name, true, 200)
	textField(&v, "category", &in.Category, false, 100)
	textField(&v, "unit", &in.Unit, false, 20)
	textField(&v, "description", &in.Description, false, 5000)
	if in.ListPrice.IsNegative() {
		v.Add("list_price", "error.money_negative")
	}
	return v.Err()
}

// OppStage is an opportunity's stage (销售阶段).
type OppStage string

// The stages, in board order (初步接洽 / 需求确认 / 方案报价 / 谈判审核 / 赢单 / 输单).
const (
	StageInitial     OppStage = "initial"
	StageNeeds       OppStage = "needs"
	StageProposal    OppStage = "proposal"
	StageNegotiation OppStage = "negotiation"
	StageWonDeal     OppStage = "won"
	StageLost        OppStage = "lost"
)

// OppStages lists the stages in board order.
var OppStages = []OppStage{StageInitial, StageNeeds, StageProposal, StageNegotiation, StageWonDeal, StageLost}

// Valid reports whether s is a stage.
func (s OppStage) Valid() bool {
	for _, x := range OppStages {
		if x == s {
			return true
		}
	}
	return false
}

// Opportunity is a sales opportunity (销售机会) of a customer.
type Opportunity struct {
	ID             int64
	Name           string
	Stage          OppStage
	ExpectedAmount decimal.Decimal
	ExpectedClose  *time.Time
	Notes          string
	LastFollowUpAt *time.Time
	StageChangedAt time.Time
	Parent         // the customer
	Owned
}

// DaysFollowed is 已跟进时长: whole days since the opportunity was created.
func (o Opportunity) DaysFollowed(now time.Time) int {
	d := int(now.Sub(o.CreatedAt).Hours() / 24)
	if d < 0 {
		return 0
	}
	return d
}

// Record is the policy's view of the opportunity.
func (o Opportunity) Record() Record { return o.Parent.child(o.Owned, ResOpportunity) }

// OpportunityInput is the editable part of an opportunity.
type OpportunityInput struct {
	Name           string
	CustomerID     int64
	Stage          OppStage
	ExpectedAmount decimal.Decimal
	ExpectedClose  *time.Time
	Notes          string
}

// Validate trims and checks the input.
func (in *OpportunityInput) Validate() error {
	var v Invalid
	textField(&v, "name", &in.Name, true, 200)
	textField(&v, "notes", &in.Notes, false, 5000)
	if in.CustomerID == 0 {
		v.Add("customer_id", "error.required")
	}
	if in.Stage == "" {
		in.Stage = StageInitial
	}
	if !in.Stage.Valid() {
		v.Add("stage", "error.choose")
	}
	if in.ExpectedAmount.IsNegative() {
		v.Add("expected_amount", "error.money_negative")
	}
	return v.Err()
}

// Line is one line of a quote or order: 金额小计 = 单价 × 折扣 × 数量,
// rounded half-up to 0.01.
type Line struct {
	ProductID   int64
	ProductName string
	SKU         string
	Unit        string
	UnitPrice   decimal.Decimal
	Discount    decimal.Decimal // a factor in (0, 1]: 0.9 is 9折
	Quantity    decimal.Decimal
	Subtotal    decimal.Decimal
}

// MaxLines bounds the lines of one document.
const MaxLines = 200

// MaxQuantity bounds one line's quantity (numeric(12,2)).
var MaxQuantity = decimal.RequireFromString("9999999999.99")

// Subtotal is unit price × discount × quantity rounded half-up to 0.01:
// the one place the CRM does line arithmetic.
func Subtotal(unitPrice, discount, quantity decimal.Decimal) decimal.Decimal {
	return RoundMoney(unitPrice.Mul(discount).Mul(quantity))
}

// Priced returns the lines with their subtotals and the document's total,
// the sum of the rounded subtotals.
func Priced(lines []Line) ([]Line, decimal.Decimal) {
	total := decimal.Zero
	out := make([]Line, len(lines))
	for i, l := range lines {
		l.Subtotal = Subtotal(l.UnitPrice, l.Discount, l.Quantity)
		total = total.Add(l.Subtotal)
		out[i] = l
	}
	return out, total
}

// ValidateLines checks lines as typed: a product on every line, a price of
// at least 0, a discount in (0, 1], a quantity above 0, a total the
// database can hold. Field names are line_<field>_<index> so that a form
// can mark the cell.
func ValidateLines(lines []Line) error {
	var v Invalid
	if len(lines) == 0 {
		v.Add("lines", "error.lines_required")
	}
	if len(lines) > MaxLines {
		v.Add("lines", "error.lines_too_many")
	}
	one := decimal.NewFromInt(1)
	for i, l := range lines {
		idx := strconv.Itoa(i)
		if l.ProductID == 0 {
			v.Add("line_product_"+idx, "error.required")
		}
		if l.UnitPrice.IsNegative() {
			v.Add("line_price_"+idx, "error.money_negative")
		}
		if !l.Discount.IsPositive() || l.Discount.GreaterThan(one) {
			v.Add("line_discount_"+idx, "error.discount_range")
		}
		if !l.Quantity.IsPositive() || l.Quantity.GreaterThan(MaxQuantity) {
			v.Add("line_quantity_"+idx, "error.quantity_range")
		}
	}
	if _, total := Priced(lines); total.GreaterThan(MaxDocTotal) {
		v.Add("lines", "error.money_too_large")
	}
	return v.Err()
}

// MaxDocTotal is the largest total of a quote or order.
var MaxDocTotal = decimal.RequireFromString("99999999999999.99")

// QuoteStatus is a quote's state.
type QuoteStatus string

// Quote states (草稿 / 已发送 / 已接受 / 已拒绝 / 已过期).
const (
	QuoteDraft    QuoteStatus = "draft"
	QuoteSent     QuoteStatus = "sent"
	QuoteAccepted QuoteStatus = "accepted"
	QuoteRejected QuoteStatus = "rejected"
	QuoteExpired  QuoteStatus = "expired"
)

// QuoteStatuses lists the states in display order.
var QuoteStatuses = []QuoteStatus{QuoteDraft, QuoteSent, QuoteAccepted, QuoteRejected, QuoteExpired}

// Quote is a price offer to a customer (报价单).
type Quote struct {
	ID              int64
	Number          string // BJ-2026-00001
	OpportunityID   int64
	OpportunityName string
	QuoteDate       time.Time
	ValidUntil      *time.Time
	Status          QuoteStatus
	Total           decimal.Decimal
	Notes           string
	OrderID         int64 // the order made from it, if any
	OrderNumber     string
	Lines           []Line
	Parent          // the customer
	Owned
}

// Record is the policy's view of the quote.
func (q Quote) Record() Record { return q.Parent.child(q.Owned, ResQuote) }

// QuoteInput is the editable part of a quote.
type QuoteInput struct {
	CustomerID    int64
	OpportunityID int64
	QuoteDate     *time.Time
	ValidUntil    *time.Time
	Status        QuoteStatus
	Notes         string
	Lines         []Line
}

// Validate trims and checks the input, lines included.
func (in *QuoteInput) Validate() error {
	var v Invalid
	if in.CustomerID == 0 {
		v.Add("customer_id", "error.required")
	}
	textField(&v, "notes", &in.Notes, false, 5000)
	if in.Status == "" {
		in.Status = QuoteDraft
	}
	ok := false
	for _, s := range QuoteStatuses {
		ok = ok || s == in.Status
	}
	if !ok {
		v.Add("status", "error.choose")
	}
	if in.QuoteDate != nil && in.ValidUntil != nil && in.ValidUntil.Before(*in.QuoteDate) {
		v.Add("valid_until", "error.end_before_start")
	}
	for f, k := range FieldErrors(ValidateLines(in.Lines)) {
		v.Add(f, k)
	}
	return v.Err()
}

// OrderStatus is an order's approval state.
type OrderStatus string

// Order states (草稿 / 审批中 / 已通过 / 已驳回).
const (
	OrderDraft    OrderStatus = "draft"
	OrderPending  OrderStatus = "pending"
	OrderApproved OrderStatus = "approved"
	OrderRejected OrderStatus = "rejected"
)

// OrderStatuses lists the states in display order.
var OrderStatuses = []OrderStatus{OrderDraft, OrderPending, OrderApproved, OrderRejected}

// Order is a contract order (合同订单) with its approval and money figures.
type Order struct {
	ID              int64
	Number          string // DD-2026-00001
	OpportunityID   int64
	OpportunityName string
	QuoteID         int64
	QuoteNumber     string
	SignDate        *time.Time
	Status          OrderStatus
	Total           decimal.Decimal // 订单总金额
	PaidAmount      decimal.Decimal // 已回款金额 (confirmed payments)
	InvoicedAmount  decimal.Decimal // 已开票金额 (confirmed invoices)
	Notes           string
	ApproverID      int64 // 0: any management user decides
	ApproverName    string
	SubmittedBy     int64
	SubmittedByName string
	SubmittedAt     *time.Time
	DecidedBy       int64
	DecidedByName   string
	DecidedAt       *time.Time
	DecisionComment string
	Lines           []Line
	Parent          // the customer
	Owned
}

// Outstanding is 待回款金额 = total − paid.
func (o Order) Outstanding() decimal.Decimal { return o.Total.Sub(o.PaidAmount) }

// Progress is 回款进度 = paid / total as a percentage with one decimal (0
// for an order of total 0).
func (o Order) Progress() decimal.Decimal {
	if o.Total.IsZero() {
		return decimal.Zero
	}
	return o.PaidAmount.Mul(decimal.NewFromInt(100)).DivRound(o.Total, 1)
}

// Locked reports whether nobody may change the order: 审批中 or 已通过.
func (o Order) Locked() bool { return o.Status == OrderPending || o.Status == OrderApproved }

// Record is the policy's view of the order.
func (o Order) Record() Record {
	r := o.Parent.child(o.Owned, ResOrder)
	r.Locked = o.Locked()
	r.ApproverID = o.ApproverID
	return r
}

// OrderInput is the editable part of an order.
type OrderInput struct {
	CustomerID    int64
	OpportunityID int64
	SignDate      *time.Time
	Notes         string
	Lines         []Line
}

// Validate trims and checks the input, lines included.
func (in *OrderInput) Validate() error {
	var v Invalid
	if in.CustomerID == 0 {
		v.Add("customer_id", "error.required")
	}
	textField(&v, "notes", &in.Notes, false, 5000)
	for f, k := range FieldErrors(ValidateLines(in.Lines)) {
		v.Add(f, k)
	}
	return v.Err()
}

// Payment is money received against an order (回款单).
type Payment struct {
	MoneyDoc
	PaidOn time.Time
	Method string
}

// Record is the policy's view of the payment: confirmed payments are locked.
func (p Payment) Record() Record { return p.record(ResPayment) }

// PaymentInput is the editable part of a payment.
type PaymentInput struct {
	OrderID int64
	Amount  decimal.Decimal
	PaidOn  *time.Time
	Method  string
	Notes   string
}

// Validate trims and checks the input.
func (in *PaymentInput) Validate() error {
	var v Invalid
	if in.OrderID == 0 {
		v.Add("order_id", "error.required")
	}
	if !in.Amount.IsPositive() {
		v.Add("amount", "error.amount_positive")
	}
	if in.PaidOn == nil {
		v.Add("paid_on", "error.required")
	}
	textField(&v, "method", &in.Method, false, 50)
	textField(&v, "notes", &in.Notes, false, 2000)
	return v.Err()
}

// InvoiceType is 普通发票 or 专用发票.
type InvoiceType string

// Invoice types.
const (
	InvoiceNormal  InvoiceType = "normal"
	InvoiceSpecial InvoiceType = "special"
)

// Invoice is an invoice issued against an order (开票单).
type Invoice struct {
	MoneyDoc
	InvoiceNo   string
	InvoiceType InvoiceType
	IssuedOn    time.Time
}

// Record is the policy's view of the invoice: confirmed invoices are locked.
func (i Invoice) Record() Record { return i.record(ResInvoice) }

// InvoiceInput is the editable part of an invoice.
type InvoiceInput struct {
	OrderID     int64
	Amount      decimal.Decimal
	InvoiceNo   string
	InvoiceType InvoiceType
	IssuedOn    *time.Time
	Notes       string
}

// Validate trims and checks the input.
func (in *InvoiceInput) Validate() error {
	var v Invalid
	if in.OrderID == 0 {
		v.Add("order_id", "error.required")
	}
	if !in.Amount.IsPositive() {
		v.Add("amount", "error.amount_positive")
	}
	if in.IssuedOn == nil {
		v.Add("issued_on", "error.required")
	}
	textField(&v, "invoice_no", &in.InvoiceNo, false, 50)
	textField(&v, "notes", &in.Notes, false, 2000)
	if in.InvoiceType == "" {
		in.InvoiceType = InvoiceNormal
	}
	if in.InvoiceType != InvoiceNormal && in.InvoiceType != InvoiceSpecial {
		v.Add("invoice_type", "error.choose")
	}
	return v.Err()
}
