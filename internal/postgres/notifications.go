package postgres

import (
	"context"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// Notifications (通知) are written by the workflows, inside their own
// transactions, with notify: a lead or customer assigned to someone or
// taken from them, an order waiting for its approver, an order approved or
// rejected, a payment or invoice on someone's order confirmed. notify
// checks every recipient against the policy with the record as it is after
// the change, so that a notification only ever reaches someone who may view
// what it points to; the actor is never notified of their own doing.

// notice is what notify writes: the kind, the record it points to (as the
// policy sees it after the change) and the words to show.
type notice struct {
	Kind     crm.NotificationKind
	Record   crm.Record
	RecordID int64
	Title    string
	Detail   string
}

// notify writes n for each recipient who may view n.Record, in the
// caller's transaction. Nobody (0), the actor, duplicates and inactive
// employees are left out.
func notify(ctx context.Context, tx pgx.Tx, a crm.Actor, n notice, recipients ...int64) error {
	var ids []int64
	for _, r := range recipients {
		if r != 0 && r != a.ID && !slices.Contains(ids, r) {
			ids = append(ids, r)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	actors, err := recipientActors(ctx, tx, ids)
	if err != nil {
		return err
	}
	for _, r := range actors {
		if !crm.CanView(r, n.Record) {
			continue
		}
		if _, err := tx.Exec(ctx, `/* postgres.notify */
			INSERT INTO notifications (recipient_id, kind, resource, record_id, title, detail, actor_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			r.ID, string(n.Kind), string(n.Record.Resource), n.RecordID, n.Title, n.Detail, nullID(a.ID)); err != nil {
			return err
		}
	}
	return nil
}

// recipientActors loads the active employees among ids as the policy sees
// them (role, department and, for a manager's scope, the departments below).
func recipientActors(ctx context.Context, tx pgx.Tx, ids []int64) ([]crm.Actor, error) {
	rows, err := tx.Query(ctx, `/* postgres.recipientActors */
		SELECT e.id, e.name, e.role, coalesce(e.department_id, 0),
		       coalesce((WITH RECURSIVE sub AS (
		                    SELECT id FROM departments WHERE id = e.department_id
		                    UNION SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id)
		                 SELECT array_agg(id ORDER BY id) FROM sub), '{}')
		FROM employees e WHERE e.id = ANY($1) AND e.active ORDER BY e.id`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.Actor, error) {
		var a crm.Actor
		err := r.Scan(&a.ID, &a.Name, &a.Role, &a.DepartmentID, &a.Departments)
		return a, err
	})
}

// notifyOwnerChange tells the people a lead's or customer's new owner
// concerns (setOwner): the new owner that it is theirs now, the previous
// owner that it went to someone else or back to the pool — each only if
// they may view it as it is now.
func notifyOwnerChange(ctx context.Context, tx pgx.Tx, a crm.Actor, p pooled, id int64, before crm.Record, owner, dept *int64) error {
	after := before
	after.OwnerID, after.DepartmentID = deref(owner), deref(dept)
	if after.OwnerID == before.OwnerID {
		return nil
	}
	var title string
	if err := tx.QueryRow(ctx, `/* postgres.notifyOwnerChange */ SELECT name FROM `+p.table+` WHERE id = $1`, id).Scan(&title); err != nil {
		return translate(err)
	}
	n := notice{Kind: crm.NoteAssigned, Record: after, RecordID: id, Title: title}
	if err := notify(ctx, tx, a, n, after.OwnerID); err != nil {
		return err
	}
	if before.OwnerID == 0 {
		return nil
	}
	n.Kind = crm.NoteReleased
	if after.OwnerID != 0 {
		n.Kind = crm.NoteTransferred
		var err error
		if n.Detail, err = employeeName(ctx, tx, after.OwnerID); err != nil {
			return err
		}
	}
	return notify(ctx, tx, a, n, before.OwnerID)
}

// notifyApprovers tells the approver of a just submitted order — or, when
// it has none, every management user — that it waits for them.
func notifyApprovers(ctx context.Context, tx pgx.Tx, a crm.Actor, o crm.Order, approver int64) error {
	o.ApproverID, o.Status = approver, crm.OrderPending
	recipients := []int64{approver}
	if approver == 0 {
		rows, err := tx.Query(ctx, `/* postgres.notifyApprovers management */ SELECT id FROM employees WHERE role = 'management' AND active`)
		if err != nil {
			return err
		}
		if recipients, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
	}
	return notify(ctx, tx, a, notice{Kind: crm.NoteApprovalRequested, Record: o.Record(), RecordID: o.ID, Title: o.Number,
		Detail: o.Parent.Name}, recipients...)
}

// notifyDecision tells an order's submitter and owner that it was approved
// or rejected (the comment goes along).
func notifyDecision(ctx context.Context, tx pgx.Tx, a crm.Actor, o crm.Order, status crm.OrderStatus, comment string) error {
	kind := crm.NoteOrderApproved
	if status == crm.OrderRejected {
		kind = crm.NoteOrderRejected
	}
	o.Status = status
	return notify(ctx, tx, a, notice{Kind: kind, Record: o.Record(), RecordID: o.ID, Title: o.Number, Detail: comment},
		o.SubmittedBy, o.OwnerID)
}

// notifyConfirmed tells the owner of an order that a payment or invoice on
// it (res, id; rec as the policy sees it) was confirmed, with its amount.
// The notification points at the payment or invoice when the owner may
// view it, else at the order (which they own).
func notifyConfirmed(ctx context.Context, tx pgx.Tx, a crm.Actor, res crm.Resource, id int64, rec crm.Record, orderID int64) error {
	o, err := moneyOrderInTx(ctx, tx, orderID, moneyLockNone)
	if err != nil {
		return err
	}
	var amount string
	if err := tx.QueryRow(ctx, `/* postgres.notifyConfirmed */ SELECT amount::text FROM `+map[crm.Resource]string{
		crm.ResPayment: "payments", crm.ResInvoice: "invoices"}[res]+` WHERE id = $1`, id).Scan(&amount); err != nil {
		return translate(err)
	}
	kind := crm.NotePaymentConfirmed
	if res == crm.ResInvoice {
		kind = crm.NoteInvoiceConfirmed
	}
	rec.Locked = true
	n := notice{Kind: kind, Record: rec, RecordID: id, Title: o.Number, Detail: amount}
	owners, err := recipientActors(ctx, tx, []int64{o.OwnerID})
	if err != nil || len(owners) == 0 || o.OwnerID == a.ID {
		return err
	}
	if !crm.CanView(owners[0], rec) {
		n.Record, n.RecordID = o.Record(), o.ID
	}
	return notify(ctx, tx, a, n, o.OwnerID)
}

// UnreadNotifications counts a's unread notifications, up to crm.MaxUnread+1
// (the bell shows "99+" beyond crm.MaxUnread); cheap on every page (a partial
// index of the unread rows).
func (db *DB) UnreadNotifications(ctx context.Context, a crm.Actor) (int, error) {
	if a.IsZero() {
		return 0, nil
	}
	var n int
	err := db.Pool.QueryRow(ctx, `/* postgres.UnreadNotifications */
		SELECT count(*) FROM (SELECT 1 FROM notifications WHERE recipient_id = $1 AND read_at IS NULL LIMIT `+
		strconv.Itoa(crm.MaxUnread+1)+`) x`, a.ID).Scan(&n)
	return n, err
}

const notificationColumns = `n.id, n.kind, n.resource, n.record_id, n.title, n.detail, coalesce(e.name, ''), n.created_at, n.read_at`

func scanNotification(r pgx.CollectableRow) (crm.Notification, error) {
	var n crm.Notification
	err := r.Scan(&n.ID, &n.Kind, &n.Resource, &n.RecordID, &n.Title, &n.Detail, &n.ActorName, &n.CreatedAt, &n.ReadAt)
	return n, err
}

// FindNotifications returns one page of a's own notifications, newest
// first, and their (capped) total.
func (db *DB) FindNotifications(ctx context.Context, a crm.Actor, f crm.NotificationFilter) ([]crm.Notification, crm.Total, error) {
	var q query
	q.and("n.recipient_id = " + q.arg(a.ID))
	if f.Unread {
		q.and("n.read_at IS NULL")
	}
	total, err := q.count(ctx, db, "FindNotifications", "notifications n")
	if err != nil {
		return nil, total, err
	}
	p := f.Page.Norm()
	rows, err := db.Pool.Query(ctx, `/* postgres.FindNotifications */ SELECT `+notificationColumns+`
		FROM notifications n LEFT JOIN employees e ON e.id = n.actor_id`+q.whereSQL()+
		` ORDER BY n.id DESC LIMIT `+strconv.Itoa(p.PerPage)+` OFFSET `+strconv.Itoa((p.Page-1)*p.PerPage), q.args.List...)
	if err != nil {
		return nil, total, err
	}
	out, err := pgx.CollectRows(rows, scanNotification)
	return out, total, err
}

// ReadNotification marks one of a's notifications read (reading it twice
// changes nothing) and returns it; ENOTFOUND when it is not a's.
func (db *DB) ReadNotification(ctx context.Context, a crm.Actor, id int64) (crm.Notification, error) {
	rows, err := db.Pool.Query(ctx, `/* postgres.ReadNotification */
		WITH u AS (UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND recipient_id = $2
		           RETURNING id, kind, resource, record_id, title, detail, actor_id, created_at, read_at)
		SELECT `+notificationColumns+` FROM u n LEFT JOIN employees e ON e.id = n.actor_id`, id, a.ID)
	if err != nil {
		return crm.Notification{}, err
	}
	n, err := pgx.CollectExactlyOneRow(rows, scanNotification)
	return n, translate(err)
}

// ReadAllNotifications marks every unread notification of a read and
// returns how many there were.
func (db *DB) ReadAllNotifications(ctx context.Context, a crm.Actor) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `/* postgres.ReadAllNotifications */
		UPDATE notifications SET read_at = now() WHERE recipient_id = $1 AND read_at IS NULL`, a.ID)
	return tag.RowsAffected(), err
}
