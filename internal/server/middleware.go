package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web"
	"crm/web/views"
)

// requestID gives every request an id (returned in X-Request-Id, logged,
// and shown on error pages) and the webctx.Request the views read.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		req := &webctx.Request{ID: id, Path: r.URL.Path,
			Locale: i18n.Negotiate("", cookieValue(r, localeCookie), r.Header.Get("Accept-Language"))}
		next.ServeHTTP(w, r.WithContext(webctx.With(r.Context(), req)))
	})
}

// refuseBadText answers 400 to a request whose path, query or posted form
// holds text no form of the CRM sends: a control character other than tab
// and line breaks (NUL above all: PostgreSQL refuses it in text), or bytes
// that are not UTF-8. One check here, so no handler, search or filter has
// to think of it. The form is parsed here and kept (the handlers'
// FormValue calls read the same values), at most maxFormBytes of it; only
// the import upload streams its multipart body itself (readUpload, which
// refuses the same text in its fields and never checks the file's bytes).
func (s *Server) refuseBadText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := badText(r.URL.Path)
		if !bad && r.URL.RawQuery != "" {
			// Pairs that do not parse (a ";", a broken escape) are absent
			// for the handlers too (r.URL.Query drops them): not refused.
			q, _ := url.ParseQuery(r.URL.RawQuery)
			bad = badValues(q)
		}
		if !bad && r.Method == http.MethodPost {
			ct := r.Header.Get("Content-Type")
			switch {
			case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
				bad = r.ParseForm() != nil || badValues(r.PostForm)
			case strings.HasPrefix(ct, "multipart/form-data") && !streamsBody(r.URL.Path):
				r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
				if bad = r.ParseMultipartForm(maxFormBytes) != nil; !bad {
					bad = badValues(r.MultipartForm.Value)
					for name := range r.MultipartForm.File {
						bad = bad || badText(name)
					}
				}
			}
		}
		if bad {
			s.answerBadText(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxFormBytes bounds a posted form other than an upload (Go's own bound
// for urlencoded bodies).
const maxFormBytes = 10 << 20

// streamsBody reports whether path is a route whose handler reads its
// body as a stream: the import upload, POST /import/{table}.
func streamsBody(path string) bool {
	rest, ok := strings.CutPrefix(path, route.Import+"/")
	return ok && rest != "" && !strings.Contains(rest, "/")
}

// answerBadText answers the 400 page of refuseBadText.
func (s *Server) answerBadText(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.render(w, r, http.StatusBadRequest, views.ErrorPage(views.ErrorProps{Status: http.StatusBadRequest,
		Title: webctx.T(ctx, "error.bad_request_title"), Message: webctx.T(ctx, "error.bad_text")}))
}

// badValues reports whether any name or value of v is badText.
func badValues(v url.Values) bool {
	for k, vs := range v {
		if badText(k) {
			return true
		}
		for _, x := range vs {
			if badText(x) {
				return true
			}
		}
	}
	return false
}

// badText reports whether s is not UTF-8 or holds a control character
// other than tab, line feed and carriage return (or DEL).
func badText(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return true
		}
	}
	return false
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing
// streamed exports).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one structured line per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if strings.HasPrefix(r.URL.Path, route.StaticPrefix) {
			return
		}
		req := webctx.Get(r.Context())
		s.log.Info("request", "id", req.ID, "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"bytes", sw.bytes, "ms", float64(time.Since(start).Microseconds())/1000, "user", req.Actor.ID)
	})
}

// recoverPanics turns a panic into a logged 500 page.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "id", webctx.Get(r.Context()).ID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows nothing inline: scripts and styles come from
// our own static files only, and no page may be framed.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the security headers on every response.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// staticHandler serves the embedded assets; versioned URLs (web.Asset) are
// cached for a year.
func staticHandler() http.Handler {
	sub, err := fs.Sub(web.Static, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix(route.StaticPrefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		files.ServeHTTP(w, r)
	})
}

// crossOrigin refuses cross-site form posts (CSRF) with Go's
// CrossOriginProtection: browsers say where a request comes from in
// Sec-Fetch-Site (or Origin), and a non-safe request from another origin
// answers 403.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, crm.Errorf(crm.EFORBIDDEN, "error.cross_origin"))
	}))
	return cop.Handler(next)
}

// Session keys.
const (
	sessUser  = "uid"
	sessEpoch = "epoch"
	// sessFlash and sessKind held a translated flash in sessions written
	// before flashes were stored as keys (flash.go); only read now.
	sessFlash = "flash"
	sessKind  = "flash_kind"
)

// authenticate loads the signed-in employee, if any. An employee who was
// deactivated, or whose sessions were ended, is signed out on this very
// request: the session is revoked in the store.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		req := webctx.Get(ctx)
		if uid := s.sessions.GetInt64(ctx, sessUser); uid != 0 {
			u, err := s.db.LoadSessionUser(ctx, uid, s.sessions.GetInt(ctx, sessEpoch))
			switch {
			case crm.ErrorCode(err) == crm.ENOTFOUND:
				if err := s.sessions.Destroy(ctx); err != nil {
					s.fail(w, r, err)
					return
				}
				s.putFlash(ctx, storedFlash{Kind: "info", Key: "login.session_ended"})
			case err != nil:
				s.fail(w, r, err)
				return
			default:
				req.Actor = u.Actor
				req.Areas = crm.VisibleAreas(u.Actor)
				req.MustChangePassword = u.MustChangePassword
				req.Approvals = u.Approvals
				r = r.WithContext(views.WithUnread(postgres.WithReferenceVersion(ctx, u.Reference), u.Unread))
				req.Locale = i18n.Negotiate(u.Locale, cookieValue(r, localeCookie), r.Header.Get("Accept-Language"))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requireLogin sends anonymous visitors to the login page, and those who
// must change their password to their profile.
func (s *Server) requireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := webctx.Get(r.Context())
		if req.Actor.IsZero() {
			target := route.Login
			if r.Method == http.MethodGet {
				target = route.LoginNext(r.URL.RequestURI())
			}
			s.redirect(w, r, target)
			return
		}
		if req.MustChangePassword && r.URL.Path != route.Profile && r.URL.Path != route.ProfilePass {
			s.redirect(w, r, route.Profile)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// require lets through only actors for whom rule holds; others get 403.
func (s *Server) require(rule func(crm.Actor) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !rule(webctx.Actor(r.Context())) {
				s.fail(w, r, crm.ErrForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// signIn renews the session token and stores the employee in the session.
func (s *Server) signIn(ctx context.Context, c postgres.Credentials) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessUser, c.Employee.ID)
	s.sessions.Put(ctx, sessEpoch, c.SessionEpoch)
	return nil
}

func isNotFound(err error) bool {
	return errors.Is(err, crm.ErrNotFound) || crm.ErrorCode(err) == crm.ENOTFOUND
}
