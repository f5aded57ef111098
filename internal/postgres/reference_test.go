package postgres_test

import (
	"context"
	"slices"
	"testing"

	"crm/internal/crm"
	"crm/internal/postgres"
)

// TestReferenceListsFollowEveryChange: two processes (two pools, two
// caches) on one database; what one changes in departments, employees or
// value lists, the other shows on its next request, because the session
// query hands it the new reference number. A change that does not move the
// number (written with the triggers off) stays unseen: the lists are kept,
// not read on every page.
func TestReferenceListsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	a := newOrdFixture(t)
	b, err := postgres.Open(ctx, a.db.Pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)

	// request reads the session of repA on db and returns the context a
	// page handler gets.
	request := func(db *postgres.DB) context.Context {
		t.Helper()
		u, err := db.LoadSessionUser(ctx, a.repA.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		return postgres.WithReferenceVersion(ctx, u.Reference)
	}
	deptName := func(c context.Context, db *postgres.DB, id int64) string {
		t.Helper()
		ds, err := db.Departments(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.ID == id {
				return d.Name
			}
		}
		return ""
	}
	active := func(c context.Context, db *postgres.DB, id int64) bool {
		t.Helper()
		es, err := db.ActiveEmployees(c)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(es, func(e crm.EmployeeOption) bool { return e.ID == id })
	}

	if got := deptName(request(a.db), a.db, a.team2); got != "ord二组" {
		t.Fatalf("department %q", got)
	}
	// b renames it: a's next request sees the new name.
	if err := b.UpdateDepartment(ctx, a.team2, crm.DepartmentInput{Name: "ord三组", ParentID: a.sales}); err != nil {
		t.Fatal(err)
	}
	if got := deptName(request(a.db), a.db, a.team2); got != "ord三组" {
		t.Fatalf("after the rename on the other instance: %q", got)
	}
	// Deactivating an employee on b drops them from a's pickers.
	if !active(request(a.db), a.db, a.repB.ID) {
		t.Fatal("repB not active")
	}
	if err := b.SetEmployeeActive(ctx, a.repB.ID, false); err != nil {
		t.Fatal(err)
	}
	if active(request(a.db), a.db, a.repB.ID) {
		t.Fatal("a deactivated employee is still offered")
	}
	// A new value list entry.
	a.exec(t, `INSERT INTO options (kind, name, name_en, position) VALUES ('industry', '测试行业', 'Test industry', 99)`)
	opts, err := b.AllOptions(request(b))
	if err != nil || !slices.ContainsFunc(opts[crm.OptIndustry], func(o crm.Option) bool { return o.Name == "测试行业" }) {
		t.Fatalf("the new option is missing: %v", err)
	}
	// A language switch is no change of the lists: the number stays.
	u0, _ := a.db.LoadSessionUser(ctx, a.repA.ID, 0)
	a.exec(t, `UPDATE employees SET locale = 'en' WHERE id = $1`, a.repA.ID)
	u1, _ := a.db.LoadSessionUser(ctx, a.repA.ID, 0)
	if u1.Reference != u0.Reference {
		t.Fatalf("a language switch moved the number: %d → %d", u0.Reference, u1.Reference)
	}
	// The lists are kept: a change made with the triggers off (so the
	// number does not move) is not read.
	if got := deptName(request(a.db), a.db, a.team2); got != "ord三组" {
		t.Fatalf("department %q", got)
	}
	conn, err := a.db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE departments SET name = 'ord隐形' WHERE id = $1`, a.team2); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `RESET session_replication_role`); err != nil {
		t.Fatal(err)
	}
	conn.Release()
	u2, _ := a.db.LoadSessionUser(ctx, a.repA.ID, 0)
	if u2.Reference != u1.Reference {
		t.Fatalf("the number moved without a trigger: %d → %d", u1.Reference, u2.Reference)
	}
	if got := deptName(postgres.WithReferenceVersion(ctx, u2.Reference), a.db, a.team2); got != "ord三组" {
		t.Fatalf("the kept list was not used: %q", got)
	}
	// Without a number (commands, tests) the lists are read.
	if got := deptName(ctx, a.db, a.team2); got != "ord隐形" {
		t.Fatalf("a read without a number: %q", got)
	}
}

// TestSessionBadges: the badges read with the session equal the approval
// inbox's and the notifications' own counts, for every role.
func TestSessionBadges(t *testing.T) {
	ctx := context.Background()
	f := newOrdFixture(t)
	// One order with an approver (the head of ord一组), one without (no
	// head in ord二组's chain above it is cleared below).
	d1 := f.order(t, f.repA, f.custA)
	if err := f.db.SubmitOrder(ctx, f.repA, d1); err != nil {
		t.Fatal(err)
	}
	f.exec(t, `UPDATE departments SET head_id = NULL WHERE id = $1`, f.sales)
	d2 := f.order(t, f.repC, f.custC)
	if err := f.db.SubmitOrder(ctx, f.repC, d2); err != nil {
		t.Fatal(err)
	}
	f.exec(t, `INSERT INTO notifications (recipient_id, kind, resource, record_id, title)
		SELECT $1, 'order_approved', 'order', $2, 'x' FROM generate_series(1, 3)`, f.repB.ID, d1)
	seen := map[int]bool{}
	for _, a := range []crm.Actor{f.mgr, f.lead, f.repA, f.repB, f.repC, f.boss, f.admin, f.fin, f.mkt} {
		u, err := f.db.LoadSessionUser(ctx, a.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := f.db.PendingApprovals(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		unread, err := f.db.UnreadNotifications(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if u.Approvals != want || u.Unread != unread {
			t.Errorf("%s (%s): session badges %d/%d, counts %d/%d", a.Username, a.Role, u.Approvals, u.Unread, want, unread)
		}
		seen[want] = true
	}
	if !seen[0] || !seen[1] {
		t.Fatalf("the fixture has no inbox with and without orders: %v", seen)
	}
}
