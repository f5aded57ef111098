package server_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"crm/internal/postgres"
)

// TestNotificationRoutes: a lead assigned to a rep rings their bell (and
// the navigation's count); the list shows it, opening it marks it read and
// goes to the lead; nobody else may read it (404); 全部标为已读 clears the
// rest; the notifications area is built for every role; the daily
// reminders list the rep's own due follow-ups.
func TestNotificationRoutes(t *testing.T) {
	w := newAcqWorld(t)
	ctx := context.Background()
	lead := w.lead("mgr1", "通知线索甲", postgres.NewOwner{OwnerID: w.emp["rep1b"]})
	other := w.lead("mgr1", "通知线索乙", postgres.NewOwner{OwnerID: w.emp["rep1b"]})
	// Created for rep1b by their manager: rep1b is told of each, as of an
	// assignment.
	if n := w.count(`SELECT count(*) FROM notifications WHERE recipient_id = $1 AND kind = 'assigned'`, w.emp["rep1b"]); n != 2 {
		t.Fatalf("rep1b was told of %d leads created for them, want 2", n)
	}
	assigned := w.count(`SELECT coalesce(max(id), 0) FROM notifications`)
	for _, id := range []int64{lead, other} {
		if err := w.DB.AssignLead(ctx, w.actor("mgr1"), id, w.emp["rep1"]); err != nil {
			t.Fatal(err)
		}
	}
	w.exec(`UPDATE leads SET next_follow_up_at = now() - interval '3 days' WHERE id = $1`, other)

	rep1 := w.clients["rep1"]
	home := rep1.get("/").wantStatus(200)
	home.wantText(tid("bell-count"), "2").wantText(tid("notifications-count"), "2")
	p := rep1.get("/notifications").wantStatus(200)
	if n := len(p.texts(tid("notification"))); n != 2 {
		t.Fatalf("%d notifications listed", n)
	}
	p.wantText(tid("notification-open"), "通知线索乙")
	if got := p.texts(tid("daily-reminders") + " " + tid("reminder")); len(got) != 1 || got[0] != "通知线索乙" {
		t.Errorf("daily reminders %q", got)
	}
	var first, second int64
	if err := w.DB.Pool.QueryRow(ctx, `SELECT min(id), max(id) FROM notifications WHERE recipient_id = $1`, w.emp["rep1"]).Scan(&first, &second); err != nil {
		t.Fatal(err)
	}
	// Another's notification: not found, and it stays unread.
	w.clients["rep1b"].post("/notifications/"+strconv.FormatInt(first, 10)+"/read", form("open", "1")).wantStatus(http.StatusNotFound)
	w.clients["admin"].post("/notifications/"+strconv.FormatInt(first, 10)+"/read", nil).wantStatus(http.StatusNotFound)
	rep1.post("/notifications/"+strconv.FormatInt(first, 10)+"/read", form("open", "1")).wantRedirect("/leads/" + strconv.FormatInt(lead, 10))
	rep1.get("/").wantText(tid("bell-count"), "1")
	if rep1.get("/notifications?unread=1").wantStatus(200).has(`[data-testid=notification] + [data-testid=notification]`) {
		t.Error("the unread tab lists a read notification")
	}
	rep1.post("/notifications/read-all", nil).wantRedirect("/notifications")
	if rep1.get("/").has(tid("bell-count")) {
		t.Error("the bell still rings after reading everything")
	}
	// rep1b, who owned the leads but did not create them, views them no
	// more once they are rep1's: not told of the transfer.
	if n := w.count(`SELECT count(*) FROM notifications WHERE recipient_id = $1 AND id > $2`, w.emp["rep1b"], assigned); n != 0 {
		t.Errorf("rep1b has %d notifications about leads they no longer view", n)
	}
	for name, c := range w.clients {
		c.get("/notifications").wantStatus(200)
		if name == "rep1" {
			continue
		}
		c.postWith("/notifications/read-all", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}}).wantStatus(http.StatusForbidden)
	}
}

// TestCreateForAnotherRingsTheirBell: a manager creating a customer or a
// lead for a rep through the forms rings that rep's bell once each; the
// manager, and the rep's colleague, are not told; into the pool, nobody.
func TestCreateForAnotherRingsTheirBell(t *testing.T) {
	w := newAcqWorld(t)
	mgr1 := w.clients["mgr1"]
	rep := "e:" + strconv.FormatInt(w.emp["rep1"], 10)
	mgr1.post("/customers", form("name", "经理建的客户", "owner", rep)).wantStatus(http.StatusSeeOther)
	mgr1.post("/leads", form("name", "经理建的线索", "status", "new", "owner", rep)).wantStatus(http.StatusSeeOther)
	mgr1.post("/customers", form("name", "公海里的客户", "owner", "p:"+strconv.FormatInt(w.dept["一部"], 10))).wantStatus(http.StatusSeeOther)
	w.clients["rep1"].get("/").wantText(tid("bell-count"), "2")
	p := w.clients["rep1"].get("/notifications").wantStatus(200)
	got := p.texts(tid("notification-open"))
	if !slices.Equal(got, []string{"测试mgr1 将「经理建的线索」分配给了您", "测试mgr1 将「经理建的客户」分配给了您"}) {
		t.Fatalf("rep1's notifications: %q", got)
	}
	if n := w.count(`SELECT count(*) FROM notifications WHERE recipient_id <> $1`, w.emp["rep1"]); n != 0 {
		t.Fatalf("%d notifications to others than rep1", n)
	}
}
