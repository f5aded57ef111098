package postgres_test

import (
	"context"
	"testing"

	"crm/internal/crm"
	"crm/internal/postgres"
)

func (f *custFixture) contact(t *testing.T, a crm.Actor, customer int64, name string, primary bool) int64 {
	t.Helper()
	id, err := f.db.CreateContact(context.Background(), a, crm.ContactInput{CustomerID: customer, Name: name, IsPrimary: primary})
	if err != nil {
		t.Fatalf("contact %s: %v", name, err)
	}
	return id
}

// primaries returns the names of a customer's contacts, primary first, and
// fails unless exactly one is primary (when there are any).
func primaries(t *testing.T, f *custFixture, customer int64) []string {
	t.Helper()
	sec, err := f.db.ContactsOfCustomer(context.Background(), f.admin, customer)
	if err != nil {
		t.Fatal(err)
	}
	cs := sec.Rows
	var names []string
	n := 0
	for _, c := range cs {
		names = append(names, c.Name)
		if c.IsPrimary {
			n++
		}
	}
	if len(cs) > 0 && (n != 1 || !cs[0].IsPrimary) {
		t.Fatalf("%d primary contacts among %v", n, names)
	}
	return names
}

func TestContactPrimaryRules(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	x := f.customer(t, f.repA, "主联系人公司", postgres.NewOwner{})

	first := f.contact(t, f.repA, x, "一号", false)
	second := f.contact(t, f.repA, x, "二号", false)
	if got := primaries(t, f, x); got[0] != "一号" {
		t.Fatalf("first contact is not primary: %v", got)
	}
	third := f.contact(t, f.repA, x, "三号", true)
	if got := primaries(t, f, x); got[0] != "三号" {
		t.Fatalf("IsPrimary did not move the flag: %v", got)
	}
	if err := f.db.MakePrimary(ctx, f.repA, second); err != nil {
		t.Fatal(err)
	}
	if got := primaries(t, f, x); got[0] != "二号" {
		t.Fatalf("MakePrimary: %v", got)
	}
	// Clearing the flag on update keeps it; setting it on another moves it.
	if err := f.db.UpdateContact(ctx, f.repA, second, crm.ContactInput{Name: "二号", IsPrimary: false}); err != nil {
		t.Fatal(err)
	}
	if got := primaries(t, f, x); got[0] != "二号" {
		t.Fatalf("update cleared the primary: %v", got)
	}
	if err := f.db.UpdateContact(ctx, f.repA, third, crm.ContactInput{Name: "三号", IsPrimary: true}); err != nil {
		t.Fatal(err)
	}
	if got := primaries(t, f, x); got[0] != "三号" {
		t.Fatalf("update did not move the primary: %v", got)
	}
	// Deleting the primary promotes the oldest remaining contact.
	if err := f.db.DeleteContact(ctx, f.repA, third); err != nil {
		t.Fatal(err)
	}
	if got := primaries(t, f, x); got[0] != "一号" || len(got) != 2 {
		t.Fatalf("after deleting the primary: %v", got)
	}
	h, _ := f.db.History(ctx, crm.ResContact, first)
	if len(h) == 0 || h[0].Action != "primary" {
		t.Fatalf("promotion not in history: %+v", h)
	}
}

func TestContactPermissions(t *testing.T) {
	t.Parallel()
	f := newCustFixture(t)
	ctx := context.Background()
	x := f.customer(t, f.repA, "权限公司", postgres.NewOwner{})
	c := f.contact(t, f.repA, x, "王五", false)

	got, err := f.db.ContactByID(ctx, f.repA, c)
	if err != nil {
		t.Fatal(err)
	}
	if got.OwnerID != f.repA.ID || got.DepartmentID != f.team || got.CustomerOwnerID != f.repA.ID ||
		got.CustomerDepartmentID != f.team || got.Parent.Name != "权限公司" || !got.IsPrimary {
		t.Fatalf("contact %+v", got)
	}

	// Another department: not found, everywhere.
	_, err = f.db.ContactByID(ctx, f.repOther, c)
	wantCode(t, err, crm.ENOTFOUND, "")
	wantCode(t, f.db.UpdateContact(ctx, f.repOther, c, crm.ContactInput{Name: "?"}), crm.ENOTFOUND, "")
	wantCode(t, f.db.DeleteContact(ctx, f.repOther, c), crm.ENOTFOUND, "")
	wantCode(t, f.db.MakePrimary(ctx, f.repOther, c), crm.ENOTFOUND, "")
	_, err = f.db.CreateContact(ctx, f.repOther, crm.ContactInput{CustomerID: x, Name: "?"})
	wantCode(t, err, crm.ENOTFOUND, "")

	// A collaborator views the contacts, adds and edits none.
	if err := f.db.AddCollaborator(ctx, f.repA, x, f.repOther.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ContactByID(ctx, f.repOther, c); err != nil {
		t.Fatalf("collaborator: %v", err)
	}
	list, total, err := f.db.FindContacts(ctx, f.repOther, crm.ContactFilter{})
	if err != nil || total.N != 1 || len(list) != 1 {
		t.Fatalf("collaborator list %v %v", total, err)
	}
	wantCode(t, f.db.UpdateContact(ctx, f.repOther, c, crm.ContactInput{Name: "?"}), crm.EFORBIDDEN, "")
	_, err = f.db.CreateContact(ctx, f.repOther, crm.ContactInput{CustomerID: x, Name: "?"})
	wantCode(t, err, crm.EFORBIDDEN, "")
	// Marketing views but adds no contacts.
	_, err = f.db.CreateContact(ctx, f.mkt, crm.ContactInput{CustomerID: x, Name: "?"})
	wantCode(t, err, crm.EFORBIDDEN, "")

	// The copies of the customer's owner follow assign, release and claim.
	check := func(step string, owner int64, dept int64) {
		t.Helper()
		var o, d int64
		if err := f.db.Pool.QueryRow(ctx, `SELECT coalesce(customer_owner_id, 0), coalesce(customer_department_id, 0) FROM contacts WHERE id = $1`, c).Scan(&o, &d); err != nil {
			t.Fatal(err)
		}
		if o != owner || d != dept {
			t.Fatalf("%s: contact carries owner %d dept %d, want %d %d", step, o, d, owner, dept)
		}
	}
	if err := f.db.AssignCustomer(ctx, f.admin, x, f.repOther.ID); err != nil {
		t.Fatal(err)
	}
	check("assign", f.repOther.ID, f.other)
	if err := f.db.ReleaseCustomer(ctx, f.repOther, x); err != nil {
		t.Fatal(err)
	}
	check("release", 0, f.other)
	if err := f.db.ClaimCustomer(ctx, f.mgrOth, x); err != nil {
		t.Fatal(err)
	}
	check("claim", f.mgrOth.ID, f.other)
	// The other department's manager now views the contact (rule 7).
	if _, err := f.db.ContactByID(ctx, f.mgrOth, c); err != nil {
		t.Fatal(err)
	}
}
