package server_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestApprovalsTabs: 待我审批 lists the orders waiting for the approver
// (oldest first) and approves in one click or rejects with a comment; 我发起的
// lists the submitter's orders with the outcome; 已处理 the approver's
// decisions; each tab shows its count and the navigation badge the inbox's.
func TestApprovalsTabs(t *testing.T) {
	w := newOrdWorld(t)
	c1 := w.customer("rep1", "ord流程客户一")
	c2 := w.customer("rep2", "ord流程客户二")
	o1 := w.submitted("rep1", c1)
	o2 := w.submitted("rep1", c1)
	o3 := w.submitted("rep2", c2)
	w.order("rep1", c1) // a draft is in nobody's approvals

	ids := func(p *page) string {
		var out []string
		for _, s := range p.texts(tid("order-number")) {
			out = append(out, s[len(s)-5:])
		}
		return strings.Join(out, ",")
	}
	num := func(id int64) string {
		return fmt.Sprintf("%05d", w.count(`SELECT substring(number from '\d+$')::int FROM orders WHERE id = $1`, id))
	}
	mgr1 := w.clients["mgr1"]
	inbox := mgr1.get("/approvals").wantStatus(200)
	inbox.wantText(tid("count-inbox"), "2").wantText(tid("count-mine"), "0").wantText(tid("count-done"), "0")
	inbox.wantText(tid("approvals-count"), "2")
	if got := ids(inbox); got != num(o1)+","+num(o2) {
		t.Errorf("mgr1 inbox %s", got)
	}
	if len(inbox.texts(tid("row-approve"))) != 2 {
		t.Error("the inbox rows offer no one-click approval")
	}
	if got := ids(w.clients["mgr"].get("/approvals")); got != num(o3) {
		t.Errorf("mgr inbox %s (二部 has no head: its orders go up to mgr)", got)
	}
	w.clients["boss"].get("/approvals").wantStatus(200).wantText(tid("count-inbox"), "0")

	// One click from the inbox, back to the inbox.
	mgr1.post(ordPath(o1, "/approve"), form("back", "/approvals")).wantRedirect("/approvals")
	mgr1.post(ordPath(o2, "/reject"), form("back", "/approvals", "comment", "")).wantStatus(422)
	mgr1.post(ordPath(o2, "/reject"), form("back", "/approvals", "comment", "价格需复核")).wantRedirect("/approvals")
	after := mgr1.get("/approvals").wantStatus(200)
	after.wantText(tid("count-inbox"), "0").wantText(tid("count-done"), "2")
	if after.has(tid("approvals-count")) {
		t.Error("the badge still counts decided orders")
	}
	done := mgr1.get("/approvals?tab=done").wantStatus(200)
	if got := ids(done); !strings.Contains(got, num(o1)) || !strings.Contains(got, num(o2)) {
		t.Errorf("mgr1 done %s", got)
	}
	done.wantText(tid("approvals-table"), "价格需复核")

	mine := w.clients["rep1"].get("/approvals?tab=mine").wantStatus(200)
	mine.wantText(tid("count-mine"), "2")
	mine.wantText(tid("approvals-table"), "已通过").wantText(tid("approvals-table"), "已驳回")
	if mine.has(tid("row-approve")) {
		t.Error("我发起的 offers decisions")
	}
	w.clients["rep1"].get("/approvals").wantStatus(200).wantText(tid("count-inbox"), "0")

	w.clients["fin"].get("/approvals").wantStatus(403)
	w.clients["mkt"].get("/approvals").wantStatus(403)
}
