package server

import "github.com/go-chi/chi/v5"

// registerOrderRoutes adds the routes of this area (see docs/http.md).
func (s *Server) registerOrderRoutes(r chi.Router) {}
