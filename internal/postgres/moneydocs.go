package postgres

import "crm/internal/crm"

// Names internal/xlsx still reads from storage; they are crm's now (delete
// these once xlsx names crm's).
type (
	PaymentFilter = crm.PaymentFilter
	InvoiceFilter = crm.InvoiceFilter
)

// PaymentMethods is crm.PaymentMethods (see above).
var PaymentMethods = crm.PaymentMethods

// PaymentMethodCode is crm.PaymentMethodCode (see above).
func PaymentMethodCode(s string) (string, bool) { return crm.PaymentMethodCode(s) }
