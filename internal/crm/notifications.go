package crm

import (
	"net/url"
	"time"
)

// Notifications (通知) are written by the workflows (postgres.notify) to
// the people who may view what they point to; these are their read models.

// NotificationKind says what happened.
type NotificationKind string

// The kinds of notification.
const (
	NoteAssigned          NotificationKind = "assigned"           // a lead or customer became yours
	NoteTransferred       NotificationKind = "transferred"        // your lead or customer went to someone else
	NoteReleased          NotificationKind = "released"           // your lead or customer went back to the pool
	NoteApprovalRequested NotificationKind = "approval_requested" // an order waits for your decision
	NoteOrderApproved     NotificationKind = "order_approved"
	NoteOrderRejected     NotificationKind = "order_rejected"
	NotePaymentConfirmed  NotificationKind = "payment_confirmed"
	NoteInvoiceConfirmed  NotificationKind = "invoice_confirmed"
)

// Notification is one message to one employee.
type Notification struct {
	ID        int64
	Kind      NotificationKind
	Resource  Resource
	RecordID  int64
	Title     string // the record's name or number when it was written
	Detail    string // an amount, a comment, the new owner's name
	ActorName string
	CreatedAt time.Time
	ReadAt    *time.Time
}

// Unread reports whether the notification has not been read.
func (n Notification) Unread() bool { return n.ReadAt == nil }

// MaxUnread is where the bell stops counting ("99+").
const MaxUnread = 99

// NotificationFilter selects the actor's notifications: all or only the
// unread ones, one page. The list has no tabs, search or sort: of the
// ListQuery only the page is read.
type NotificationFilter struct {
	ListQuery
	Unread bool // only the unread ones (unread=1)
}

// Parse reads the page and unread=1 from v.
func (f *NotificationFilter) Parse(v url.Values) {
	f.ListQuery = ListQuery{}
	f.ListQuery.Parse(url.Values{"page": v["page"]}, nil)
	f.Unread = v.Get("unread") == "1"
}

// Values is the query string of f: unread=1 when set, the page past the
// first.
func (f NotificationFilter) Values() url.Values {
	q := f.ListQuery.Values()
	if f.Unread {
		q.Set("unread", "1")
	}
	return q
}
