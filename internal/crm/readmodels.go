package crm

// Read models: what storage answers for pages beyond the entities
// themselves — pickers, counts, figures. Pure data; storage fills them,
// views show them.

// Choice is a record offered in a picker.
type Choice struct {
	ID   int64
	Name string
}

// EmployeeOption is an employee in a picker.
type EmployeeOption struct {
	ID             int64
	Name           string
	Username       string
	DepartmentName string
}

// SectionRows is how many records a section of a record's page shows (the
// contacts, follow-ups, deals and money records under a customer, an
// opportunity, an order or a lead): the first in the section's order.
const SectionRows = 10

// SectionCap is where a section's count stops: a section with more records
// says "1000+" beside its heading, without counting a key account's
// thousands of follow-ups on every view of its page.
const SectionCap = 1000

// Section is one section of a record's page: the first SectionRows records
// of one kind under the record that the actor may view, in the section's
// order, and how many there are in all — exact up to SectionCap, then
// Capped (N is SectionCap).
type Section[T any] struct {
	Rows  []T
	Total Total
}

// More reports whether the section has records beyond those it shows (its
// page then links to the list of all of them).
func (s Section[T]) More() bool { return s.Total.Capped || s.Total.N > len(s.Rows) }

// ListParents are the records a list is narrowed to — its ?customer=,
// ?opportunity=, ?lead=, ?order= (0: not narrowed to one of that kind) —,
// as each list filter's Parents says. A list narrowed to a record the user
// may not view answers 404, as the record does.
type ListParents struct {
	Customer    int64
	Opportunity int64
	Lead        int64
	Order       int64
}

// Parents is what the contact list is narrowed to.
func (f ContactFilter) Parents() ListParents { return ListParents{Customer: f.CustomerID} }

// Parents is what the follow-up list is narrowed to.
func (f FollowUpFilter) Parents() ListParents {
	return ListParents{Lead: f.LeadID, Customer: f.CustomerID, Opportunity: f.OpportunityID}
}

// Parents is what the opportunity list is narrowed to.
func (f OpportunityFilter) Parents() ListParents { return ListParents{Customer: f.CustomerID} }

// Parents is what the board is narrowed to.
func (f BoardFilter) Parents() ListParents { return ListParents{Customer: f.CustomerID} }

// Parents is what the quote list is narrowed to.
func (f QuoteFilter) Parents() ListParents {
	return ListParents{Customer: f.CustomerID, Opportunity: f.OpportunityID}
}

// Parents is what the order list is narrowed to.
func (f OrderFilter) Parents() ListParents {
	return ListParents{Customer: f.CustomerID, Opportunity: f.OpportunityID}
}

// Parents is what a payment or invoice list is narrowed to.
func (f MoneyFilter) Parents() ListParents {
	return ListParents{Customer: f.CustomerID, Order: f.OrderID}
}
