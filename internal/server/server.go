// Package server is the HTTP face of the CRM: the route table, middleware,
// sessions, error pages and one file of handlers per resource. Handlers ask
// the crm policy and the postgres storage; they never decide a permission
// themselves.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"crm/internal/postgres"
)

// Config is what the server needs from its environment.
type Config struct {
	DB *postgres.DB
	// Log receives request logs and unexpected errors.
	Log *slog.Logger
	// CookieSecure marks cookies Secure and names the session cookie with
	// the __Host- prefix; set it when the CRM is served over HTTPS.
	CookieSecure bool
	// LoginDelayStep is the delay added per failed attempt beyond
	// postgres.ThrottleSlowAfter (default 500 ms; tests shorten it).
	LoginDelayStep time.Duration
}

// Server serves the CRM.
type Server struct {
	db       *postgres.DB
	log      *slog.Logger
	sessions *scs.SessionManager
	secure   bool
	delay    time.Duration
	handler  http.Handler
}

// SessionLifetime is how long a sign-in lasts. There is deliberately no idle
// timeout: scs would rewrite the session row on every request to extend it.
const SessionLifetime = 12 * time.Hour

// New builds the server and its route table.
func New(cfg Config) *Server {
	s := &Server{db: cfg.DB, log: cfg.Log, secure: cfg.CookieSecure, delay: cfg.LoginDelayStep}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.delay == 0 {
		s.delay = 500 * time.Millisecond
	}
	sm := scs.New()
	sm.Store = postgres.NewSessionStore(cfg.DB)
	sm.Lifetime = SessionLifetime
	sm.HashTokenInStore = true
	sm.Cookie.Name = "crm_session"
	if cfg.CookieSecure {
		sm.Cookie.Name = "__Host-crm_session"
	}
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.CookieSecure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false
	sm.ErrorFunc = s.sessionFailed
	s.sessions = sm
	s.handler = s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// SessionCookieName is the name of the session cookie.
func (s *Server) SessionCookieName() string { return s.sessions.Cookie.Name }
