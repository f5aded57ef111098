package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"crm/internal/crm"
	"crm/web/views"
)

// registerPaymentRoutes adds the routes of this area (see docs/http.md).
func (s *Server) registerPaymentRoutes(r chi.Router) {}

// orderMoneyProps builds the money part of an order's page. (Stub: the
// payments module fills it in.)
func (s *Server) orderMoneyProps(r *http.Request, o crm.Order) (views.OrderMoneyProps, error) {
	return views.OrderMoneyProps{Order: o}, nil
}
