package server

import "github.com/go-chi/chi/v5"

// registerProductRoutes adds the routes of this area (see docs/http.md).
func (s *Server) registerProductRoutes(r chi.Router) {}
