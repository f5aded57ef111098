package server

import (
	"net/http"
	"time"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Notifications (通知, issue 6): the workflows write them (postgres.notify,
// to people who may view the record); here the recipient lists them with
// the day's follow-up reminders, opens one (which marks it read) and marks
// them read. Everyone signed in has notifications; nobody sees another's.

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	var p views.NotificationsProps
	p.Filter.Parse(r.URL.Query())
	var err error
	if p.Items, p.Total, err = s.db.FindNotifications(ctx, a, p.Filter); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Today, p.Overdue, err = s.db.MyReminders(ctx, a, time.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.NotificationsIndex(p))
}

// handleNotificationRead marks one of the actor's notifications read; with
// open=1 it goes on to the record the notification points to (which may
// since have left the actor's sight: then that page says 404), otherwise
// back to the list. Another's notification is 404.
func (s *Server) handleNotificationRead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var n crm.Notification
	if err == nil {
		n, err = s.db.ReadNotification(r.Context(), webctx.Actor(r.Context()), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.PostFormValue("open") == "1" {
		s.redirect(w, r, route.Record(string(n.Resource), n.RecordID))
		return
	}
	s.redirect(w, r, backOr(r, route.Notifications))
}

func (s *Server) handleNotificationsReadAll(w http.ResponseWriter, r *http.Request) {
	n, err := s.db.ReadAllNotifications(r.Context(), webctx.Actor(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "notif.read_all_done", n)
	s.redirect(w, r, route.Notifications)
}
