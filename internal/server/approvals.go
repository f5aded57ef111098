package server

import (
	"net/http"
	"slices"
	"strconv"

	"crm/internal/crm"
	"crm/internal/webctx"
	"crm/web/views"
)

// Approvals (流程, SPEC §5): the orders waiting for the actor's decision
// (待我审批: postgres.InboxScope — the orders they are the approver of, and
// for management and admin those without one), the orders they submitted
// (我发起的) and those they decided (已处理), each tab with its count and
// every list among the orders they may view. The decisions themselves are
// the order routes (orders.go), which the inbox rows post to.

func (s *Server) handleApprovals(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanSeeArea(a, crm.AreaApprovals) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	tab := views.ApprovalTab(r.URL.Query().Get("tab"))
	if !slices.Contains(views.ApprovalTabs, tab) {
		tab = views.ApprovalInbox
	}
	f := crm.OrderFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}
	switch tab {
	case views.ApprovalInbox:
		f.Inbox, f.Sort = true, "submitted" // oldest first: first come, first decided
	case views.ApprovalMine:
		f.SubmittedBy, f.Sort, f.Desc = a.ID, "submitted", true
	case views.ApprovalDone:
		f.DecidedBy, f.Sort, f.Desc = a.ID, "decided", true
	}
	f.Page.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	f.Page = f.Page.Norm()
	orders, total, err := s.db.FindOrders(ctx, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := views.ApprovalsProps{Tab: tab, Orders: orders, Total: total, Page: f.Page, CanDecide: map[int64]bool{}}
	if p.Counts, err = s.db.CountApprovals(ctx, a); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, o := range orders {
		p.CanDecide[o.ID] = o.Status == crm.OrderPending && crm.CanDo(a, crm.ActDecide, o.Record())
	}
	s.render(w, r, http.StatusOK, views.ApprovalsIndex(p))
}
