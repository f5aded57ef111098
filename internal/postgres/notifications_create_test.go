package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
)

// TestCreatedForAnotherNotifiesOwner: a lead or customer created with
// another employee as owner tells that owner, once, as an assignment does;
// one made for oneself, into a pool, or edited afterwards tells nobody.
// wantNotes also checks that every recipient may open what they are told
// about and that nobody is told of their own doing.
func TestCreatedForAnotherNotifiesOwner(t *testing.T) {
	t.Parallel()
	f := newOrdFixture(t)
	ctx := context.Background()
	db := f.db
	ref := func(res string, id int64) string { return fmt.Sprintf("%s:%d", res, id) }

	// A manager creates a customer for a rep in their scope: the rep is
	// told once, in words like an assignment's.
	before := lastNote(t, db)
	cust, err := db.CreateCustomer(ctx, f.mgr, crm.CustomerInput{Name: "建给C的客户"}, postgres.NewOwner{OwnerID: f.repC.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantNotesSince(t, db, "manager creates a customer for repC", before, f.repC.Username+" assigned "+ref("customer", cust))
	list, total, err := db.FindNotifications(ctx, f.repC, crm.NotificationFilter{})
	if err != nil || total.N != 1 || len(list) != 1 {
		t.Fatalf("repC has %d notifications (%v), want 1", total.N, err)
	}
	if n := list[0]; n.Kind != crm.NoteAssigned || n.Resource != crm.ResCustomer || n.RecordID != cust ||
		n.Title != "建给C的客户" || n.ActorName != "测试ordmgr" || !n.Unread() {
		t.Fatalf("repC's notification: %+v", n)
	}

	// Management creates a lead for a rep.
	before = lastNote(t, db)
	lead, err := db.CreateLead(ctx, f.boss, crm.LeadInput{Name: "建给A的线索", Status: crm.LeadNew}, postgres.NewOwner{OwnerID: f.repA.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantNotesSince(t, db, "boss creates a lead for repA", before, f.repA.Username+" assigned "+ref("lead", lead))

	// Nobody is told: made for oneself (by default or by choosing oneself),
	// into a pool, or by a rep; and editing never tells.
	wantNotes(t, db, "rep creates a customer", func() error {
		_, err := db.CreateCustomer(ctx, f.repB, crm.CustomerInput{Name: "B自己的客户"}, postgres.NewOwner{})
		return err
	})
	wantNotes(t, db, "manager creates for themself", func() error {
		_, err := db.CreateLead(ctx, f.mgr, crm.LeadInput{Name: "经理自己的线索", Status: crm.LeadNew}, postgres.NewOwner{OwnerID: f.mgr.ID})
		return err
	})
	wantNotes(t, db, "manager creates into a pool", func() error {
		_, err := db.CreateCustomer(ctx, f.mgr, crm.CustomerInput{Name: "公海客户"}, postgres.NewOwner{Pool: true, PoolDepartmentID: f.team1})
		return err
	})
	wantNotes(t, db, "marketing creates into a pool", func() error {
		_, err := db.CreateLead(ctx, f.mkt, crm.LeadInput{Name: "市场线索", Status: crm.LeadNew}, postgres.NewOwner{Pool: true, PoolDepartmentID: f.team2})
		return err
	})
	wantNotes(t, db, "manager edits repC's customer", func() error {
		return db.UpdateCustomer(ctx, f.mgr, cust, crm.CustomerInput{Name: "建给C的客户（改）"})
	})
	// A refused creation (an owner out of the manager's scope) writes nothing.
	wantNotes(t, db, "refused creation", func() error {
		_, err := db.CreateCustomer(ctx, f.lead, crm.CustomerInput{Name: "越权客户"}, postgres.NewOwner{OwnerID: f.repC.ID})
		if err == nil {
			return fmt.Errorf("一组's manager created a customer for 二组's rep")
		}
		return nil
	})
}

// TestDemoPurgeRemovesNotifications: purging the demo data removes the
// notifications that point at demo records, also those written to real
// employees, and keeps those about real records.
func TestDemoPurgeRemovesNotifications(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	dept := mustDept(t, db, "真实销售部", 0)
	admin := custActor(t, db, mustEmp(t, db, "realadmin", crm.RoleAdmin, dept))
	rep := custActor(t, db, mustEmp(t, db, "realrep", crm.RoleSalesRep, dept))
	if err := db.SeedDemo(ctx, testHash(t)); err != nil {
		t.Fatal(err)
	}
	var demoCustomer, demoLead int64
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT min(id) FROM customers WHERE is_demo), (SELECT min(id) FROM leads WHERE is_demo)`).
		Scan(&demoCustomer, &demoLead); err != nil {
		t.Fatal(err)
	}
	// The real rep is told of a demo customer and a demo lead assigned to
	// them, and of a real customer created for them.
	if err := db.AssignCustomer(ctx, admin, demoCustomer, rep.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.AssignLead(ctx, admin, demoLead, rep.ID); err != nil {
		t.Fatal(err)
	}
	real, err := db.CreateCustomer(ctx, admin, crm.CustomerInput{Name: "真实客户"}, postgres.NewOwner{OwnerID: rep.ID})
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, fmt.Sprintf(`SELECT count(*) FROM notifications WHERE recipient_id = %d`, rep.ID)); n != 3 {
		t.Fatalf("the real rep has %d notifications before the purge, want 3", n)
	}
	// A demo employee told about the real customer: goes with the recipient.
	var demoRep int64
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM employees WHERE is_demo AND username = 'rep1'`).Scan(&demoRep); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO notifications (recipient_id, kind, resource, record_id, title)
		VALUES ($1, 'assigned', 'customer', $2, '真实客户')`, demoRep, real); err != nil {
		t.Fatal(err)
	}

	if _, err := db.PurgeDemo(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	list, total, err := db.FindNotifications(ctx, rep, crm.NotificationFilter{})
	if err != nil || total.N != 1 || len(list) != 1 || list[0].Resource != crm.ResCustomer || list[0].RecordID != real {
		t.Fatalf("after the purge the real rep has %+v (%d, %v), want only the real customer's", list, total.N, err)
	}
	// No notification is left pointing at a record that is gone.
	dangling := countRows(t, db, `SELECT count(*) FROM notifications n WHERE NOT EXISTS (
		SELECT 1 FROM leads WHERE n.resource = 'lead' AND id = n.record_id UNION ALL
		SELECT 1 FROM customers WHERE n.resource = 'customer' AND id = n.record_id UNION ALL
		SELECT 1 FROM orders WHERE n.resource = 'order' AND id = n.record_id UNION ALL
		SELECT 1 FROM payments WHERE n.resource = 'payment' AND id = n.record_id UNION ALL
		SELECT 1 FROM invoices WHERE n.resource = 'invoice' AND id = n.record_id)`)
	if dangling != 0 {
		t.Fatalf("%d notifications point at purged records", dangling)
	}
	if n := countRows(t, db, `SELECT count(*) FROM notifications`); n != 1 {
		t.Fatalf("%d notifications left, want 1", n)
	}
}
