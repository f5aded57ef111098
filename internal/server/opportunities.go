package server

import "github.com/go-chi/chi/v5"

// registerOpportunityRoutes adds the routes of this area (see docs/http.md).
func (s *Server) registerOpportunityRoutes(r chi.Router) {}
