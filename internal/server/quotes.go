package server

import "github.com/go-chi/chi/v5"

// registerQuoteRoutes adds the routes of this area (see docs/http.md).
func (s *Server) registerQuoteRoutes(r chi.Router) {}
