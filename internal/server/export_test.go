package server

import "github.com/go-chi/chi/v5"

// Routes is the route table, for tests that walk every route (chi.Walk).
func (s *Server) Routes() chi.Routes { return s.handler.(chi.Routes) }
