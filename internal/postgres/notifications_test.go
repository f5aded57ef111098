package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// notes returns who was notified of what, since id after, as
// "recipient kind resource:id" lines.
func notes(t *testing.T, db *postgres.DB, after int64) []string {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT e.username, n.kind, n.resource, n.record_id FROM notifications n
		JOIN employees e ON e.id = n.recipient_id WHERE n.id > $1 ORDER BY e.username, n.kind`, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var who, kind, res string
		var id int64
		if err := rows.Scan(&who, &kind, &res, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s:%d", who, kind, res, id))
	}
	return out
}

func lastNote(t *testing.T, db *postgres.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Pool.QueryRow(context.Background(), `SELECT coalesce(max(id), 0) FROM notifications`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// wantNotes runs step and checks that exactly want were notified.
func wantNotes(t *testing.T, db *postgres.DB, what string, step func() error, want ...string) {
	t.Helper()
	before := lastNote(t, db)
	if err := step(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	wantNotesSince(t, db, what, before, want...)
}

// wantNotesSince checks that exactly want were notified since the
// notification before (what names the step in messages).
func wantNotesSince(t *testing.T, db *postgres.DB, what string, before int64, want ...string) {
	t.Helper()
	got := notes(t, db, before)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s notified %q, want %q", what, got, want)
	}
	// Each recipient may open what they were told about, and nobody was
	// told of their own doing.
	rows, err := db.Pool.Query(context.Background(), `SELECT recipient_id, resource, record_id, coalesce(actor_id, 0)
		FROM notifications WHERE id > $1`, before)
	if err != nil {
		t.Fatal(err)
	}
	type note struct {
		who, id, actor int64
		res            crm.Resource
	}
	var all []note
	for rows.Next() {
		var n note
		if err := rows.Scan(&n.who, &n.res, &n.id, &n.actor); err != nil {
			t.Fatal(err)
		}
		all = append(all, n)
	}
	rows.Close()
	ctx := context.Background()
	for _, n := range all {
		if n.who == n.actor {
			t.Errorf("%s: employee %d told of their own doing", what, n.who)
		}
		a := custActor(t, db, n.who)
		var err error
		switch n.res {
		case crm.ResCustomer:
			_, err = db.CustomerByID(ctx, a, n.id)
		case crm.ResLead:
			_, err = db.LeadByID(ctx, a, n.id)
		case crm.ResOrder:
			_, err = db.OrderByID(ctx, a, n.id)
		case crm.ResPayment:
			_, err = db.PaymentByID(ctx, a, n.id)
		case crm.ResInvoice:
			_, err = db.InvoiceByID(ctx, a, n.id)
		default:
			err = fmt.Errorf("a notification about %s", n.res)
		}
		if err != nil {
			t.Errorf("%s: employee %d cannot open %s %d: %v", what, n.who, n.res, n.id, err)
		}
	}
}

// TestNotificationsGoToViewersOnly walks every workflow that notifies —
// assign, release, submit (to the approver, or every management user),
// approve, reject, confirm a payment and an invoice — and checks who is
// told: the people concerned who may view the record, never the actor;
// each recipient can open, at that moment, what they are told about.
func TestNotificationsGoToViewersOnly(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	db := f.db
	name := func(a crm.Actor) string { return a.Username }
	ref := func(res string, id int64) string { return fmt.Sprintf("%s:%d", res, id) }

	// Assign: the new owner is told; the old one too, while they still
	// view it (repA created custA).
	wantNotes(t, db, "assign custA", func() error { return db.AssignCustomer(ctx, f.boss, f.custA, f.repB.ID) },
		name(f.repB)+" assigned "+ref("customer", f.custA), name(f.repA)+" transferred "+ref("customer", f.custA))
	// The manager assigns a customer created for repC to repA: repC, who
	// neither created it nor is in 一组, may no longer view it — not told.
	custX, err := db.CreateCustomer(ctx, f.mgr, crm.CustomerInput{Name: "通知客户X"}, postgres.NewOwner{OwnerID: f.repC.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantNotes(t, db, "assign custX", func() error { return db.AssignCustomer(ctx, f.mgr, custX, f.repA.ID) },
		name(f.repA)+" assigned "+ref("customer", custX))
	// The manager takes it: repA, who did not create it and as a rep sees
	// no department's records, may no longer view it — nobody is told.
	wantNotes(t, db, "take custX", func() error { return db.AssignCustomer(ctx, f.mgr, custX, f.mgr.ID) })
	// Release: the owner whose record went to the pool of their department.
	wantNotes(t, db, "release custA", func() error { return db.ReleaseCustomer(ctx, f.lead, f.custA) },
		name(f.repB)+" released "+ref("customer", f.custA))
	// Released into a pool of another department: the old owner cannot
	// view it there — not told.
	lead, err := db.CreateLead(ctx, f.boss, crm.LeadInput{Name: "通知线索", Status: crm.LeadNew}, postgres.NewOwner{OwnerID: f.repC.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.exec(t, `UPDATE leads SET department_id = $2 WHERE id = $1`, lead, f.team1)
	wantNotes(t, db, "release the lead", func() error { return db.ReleaseLead(ctx, f.boss, lead) })
	// Claiming tells nobody (the claimer did it).
	wantNotes(t, db, "claim custA", func() error { return db.ClaimCustomer(ctx, f.repA, f.custA) })

	// Submit: the approver (二组 has no head: 销售部's).
	order := f.order(t, f.repC, f.custC)
	wantNotes(t, db, "submit", func() error { return db.SubmitOrder(ctx, f.repC, order) },
		name(f.mgr)+" approval_requested "+ref("order", order))
	wantNotes(t, db, "reject", func() error { return db.RejectOrder(ctx, f.mgr, order, "价格不对") },
		name(f.repC)+" order_rejected "+ref("order", order))
	wantNotes(t, db, "resubmit", func() error { return db.SubmitOrder(ctx, f.repC, order) },
		name(f.mgr)+" approval_requested "+ref("order", order))
	// Management approves instead: the submitter (also the owner) is told once.
	wantNotes(t, db, "approve", func() error { return db.ApproveOrder(ctx, f.boss, order, "同意") },
		name(f.repC)+" order_approved "+ref("order", order))
	// A customer in a department without any head: every management user
	// is asked (not admin, not finance).
	top := mustDept(t, db, "通知无负责人部", 0)
	repN := custActor(t, db, mustEmp(t, db, "notrepn", crm.RoleSalesRep, top))
	boss2 := custActor(t, db, mustEmp(t, db, "notboss2", crm.RoleManagement, 0))
	custN, err := db.CreateCustomer(ctx, repN, crm.CustomerInput{Name: "通知客户N"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	orderN := f.order(t, repN, custN)
	wantNotes(t, db, "submit without head", func() error { return db.SubmitOrder(ctx, repN, orderN) },
		name(f.boss)+" approval_requested "+ref("order", orderN), name(boss2)+" approval_requested "+ref("order", orderN))

	// Money: finance records and confirms; the order's owner is told, at
	// the payment, which they view.
	pay, err := db.CreatePayment(ctx, f.fin, crm.PaymentInput{OrderID: order, Amount: payDec("40"), PaidOn: payDay("2026-03-01")})
	if err != nil {
		t.Fatal(err)
	}
	wantNotes(t, db, "confirm payment", func() error { _, err := db.ConfirmPayment(ctx, f.fin, pay); return err },
		name(f.repC)+" payment_confirmed "+ref("payment", pay))
	inv, err := db.CreateInvoice(ctx, f.fin, crm.InvoiceInput{OrderID: order, Amount: payDec("30"), IssuedOn: payDay("2026-03-02")})
	if err != nil {
		t.Fatal(err)
	}
	// The customer moves to repA: repC still owns the order but no longer
	// views the invoice — told at the order.
	if err := db.AssignCustomer(ctx, f.boss, f.custC, f.repA.ID); err != nil {
		t.Fatal(err)
	}
	wantNotes(t, db, "confirm invoice", func() error { _, err := db.ConfirmInvoice(ctx, f.boss, inv); return err },
		name(f.repC)+" invoice_confirmed "+ref("order", order))

	if n := lastNote(t, db); n < 10 {
		t.Fatalf("only %d notifications", n)
	}
}

// TestNotificationListReadAndCount: the recipient lists, counts and reads
// their own notifications; another's is not found.
func TestNotificationListReadAndCount(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	db := f.db
	for range 3 {
		if err := db.AssignCustomer(ctx, f.boss, f.custA, f.repB.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.AssignCustomer(ctx, f.boss, f.custA, f.repA.ID); err != nil {
			t.Fatal(err)
		}
	}
	// repA created the customer: told of both moves each time (3 ×
	// transferred, 3 × assigned); repB only that it became theirs.
	n, err := db.UnreadNotifications(ctx, f.repA)
	if err != nil || n != 6 {
		t.Fatalf("repA has %d unread (%v), want 6", n, err)
	}
	if n, _ := db.UnreadNotifications(ctx, f.repB); n != 3 {
		t.Fatalf("repB has %d unread, want 3", n)
	}
	list, total, err := db.FindNotifications(ctx, f.repA, crm.NotificationFilter{})
	if err != nil || total.N != 6 || len(list) != 6 || list[0].ID < list[5].ID {
		t.Fatalf("list: %d of %d (%v)", len(list), total.N, err)
	}
	if list[0].Title != "ord客户A" || list[0].ActorName == "" || !list[0].Unread() {
		t.Fatalf("newest: %+v", list[0])
	}
	if _, err := db.ReadNotification(ctx, f.repB, list[0].ID); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Fatalf("reading another's notification: %v", err)
	}
	read, err := db.ReadNotification(ctx, f.repA, list[0].ID)
	if err != nil || read.Unread() || read.RecordID != f.custA || read.Resource != crm.ResCustomer {
		t.Fatalf("read: %+v %v", read, err)
	}
	if _, err := db.ReadNotification(ctx, f.repA, list[0].ID); err != nil {
		t.Fatalf("reading twice: %v", err)
	}
	unread, total, err := db.FindNotifications(ctx, f.repA, crm.NotificationFilter{Unread: true})
	if err != nil || total.N != 5 || len(unread) != 5 {
		t.Fatalf("unread: %d (%v)", total.N, err)
	}
	if n, err := db.ReadAllNotifications(ctx, f.repA); err != nil || n != 5 {
		t.Fatalf("read all: %d %v", n, err)
	}
	if n, _ := db.UnreadNotifications(ctx, f.repA); n != 0 {
		t.Fatalf("%d unread after reading all", n)
	}
	if n, _ := db.UnreadNotifications(ctx, f.repB); n != 3 {
		t.Fatalf("repB's notifications changed: %d unread", n)
	}
}
