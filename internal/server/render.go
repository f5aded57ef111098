package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"crm/internal/crm"
	"crm/internal/webctx"
	"crm/web/views"
)

// render writes a page: flashes are taken from the session first, the
// component is rendered into a buffer, and only a complete page is sent, so
// a failed render never goes out as half a page with 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	ctx := r.Context()
	req := webctx.Get(ctx)
	if s.sessions != nil && r.Header.Get("HX-Request") == "" {
		if msg, kind := s.popFlash(ctx); msg != "" {
			req.Flashes = append(req.Flashes, webctx.Flash{Kind: kind, Message: msg})
		}
	}
	ctx = views.WithAreas(ctx, navAreas(req.Actor))
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		s.log.Error("render", "id", req.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// navAreas are the areas of the navigation a may see.
func navAreas(a crm.Actor) map[crm.Area]bool {
	out := map[crm.Area]bool{}
	for _, area := range views.NavAreas() {
		if crm.CanSeeArea(a, area) {
			out[area] = true
		}
	}
	return out
}

// redirect answers a form post with 303 See Other (htmx: HX-Redirect).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, url string) {
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", url)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// fail answers with the page for err's code: 404 for what the actor may not
// view (or what does not exist), 403 for what they may not do, 409/422 with
// the error's message, 500 for anything unexpected (logged with the
// request id; the page shows only the id). Work that stopped because its
// client went away (the request's context cancelled) is no failure: it is
// logged as abandoned, and nobody is there to answer.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	req := webctx.Get(ctx)
	if errors.Is(ctx.Err(), context.Canceled) && errors.Is(err, context.Canceled) {
		s.log.Info("request abandoned", "id", req.ID, "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	p := views.ErrorProps{SignedIn: !req.Actor.IsZero() && !req.MustChangePassword}
	var e *crm.Error
	errors.As(err, &e)
	switch crm.ErrorCode(err) {
	case crm.ENOTFOUND:
		p.Status, p.Title, p.Message = http.StatusNotFound, webctx.T(ctx, "error.not_found_title"), webctx.T(ctx, "error.not_found")
	case crm.EFORBIDDEN:
		p.Status, p.Title, p.Message = http.StatusForbidden, webctx.T(ctx, "error.forbidden_title"), webctx.T(ctx, e.Message, e.Args...)
	case crm.ECONFLICT:
		p.Status, p.Title, p.Message = http.StatusConflict, webctx.T(ctx, "error.conflict_title"), webctx.T(ctx, e.Message, e.Args...)
	case crm.EINVALID:
		p.Status, p.Title, p.Message = http.StatusUnprocessableEntity, webctx.T(ctx, "error.invalid_title"), webctx.T(ctx, e.Message, e.Args...)
	default:
		s.log.Error("internal error", "id", req.ID, "method", r.Method, "path", r.URL.Path, "err", err)
		p.Status, p.Title, p.Message, p.RequestID = http.StatusInternalServerError,
			webctx.T(ctx, "error.internal_title"), webctx.T(ctx, "error.internal"), req.ID
	}
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(p.Status)
		_, _ = w.Write([]byte(p.Message))
		return
	}
	s.render(w, r, p.Status, views.ErrorPage(p))
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, crm.ErrNotFound)
}

func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, POST")
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

// fieldMessages returns the field errors of err, or nil if it has none.
func fieldMessages(err error) map[string]string { return crm.FieldErrors(err) }
