package server

import "github.com/go-chi/chi/v5"

// registerApprovalRoutes adds the routes of this area (see docs/http.md).
func (s *Server) registerApprovalRoutes(r chi.Router) {}
