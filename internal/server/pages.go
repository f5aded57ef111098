package server

import (
	"context"
	"net/http"
	"time"

	"crm/internal/crm"
	"crm/internal/webctx"
	"crm/web/views"
)

// handleSoon serves an area that a later issue builds: the page says so.
func (s *Server) handleSoon(area crm.Area) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !crm.CanSeeArea(webctx.Actor(r.Context()), area) {
			s.fail(w, r, crm.ErrForbidden)
			return
		}
		s.render(w, r, http.StatusOK, views.Soon(area))
	}
}

// handleHealth answers 200 when the database answers, 503 otherwise.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.db.Ping(ctx); err != nil {
		s.log.Error("health", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable","database":"down"}`))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ok","database":"up"}`))
}
