package server

import "github.com/go-chi/chi/v5"

// registerInvoiceRoutes adds the routes of this area (see docs/http.md).
func (s *Server) registerInvoiceRoutes(r chi.Router) {}
