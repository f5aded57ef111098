package server

import (
	"net/http"

	"crm/internal/webctx"
)

// saveSessions is scs's LoadAndSave — the session loaded before the
// handler, saved as its answer starts — over a writer that a failed save
// can close (answerOnce, sessionFailed).
func (s *Server) saveSessions(next http.Handler) http.Handler {
	h := s.sessions.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&answerOnce{ResponseWriter: w}, r)
	})
}

// answerOnce is the writer under scs's: once the error page of a failed
// session has been written to it, what the handler goes on to write —
// its status, its body — is dropped.
type answerOnce struct {
	http.ResponseWriter
	closed bool
}

func (w *answerOnce) WriteHeader(code int) {
	if !w.closed {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *answerOnce) Write(b []byte) (int, error) {
	if w.closed {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *answerOnce) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sessionFailed answers a session that could not be loaded or saved
// (scs's ErrorFunc). scs calls it before the handler (a load), after a
// handler that wrote nothing, or — a save — from inside the handler's
// first WriteHeader or Write, which then go on to write the handler's own
// status and body: the error page goes out alone, and the rest is dropped
// (answerOnce), so that no answer carries two statuses ("superfluous
// response.WriteHeader") or two bodies. A client that has gone is not
// answered, and its request logs no 500: nothing failed that it will see.
func (s *Server) sessionFailed(w http.ResponseWriter, r *http.Request, err error) {
	once, _ := w.(*answerOnce)
	if once != nil && once.closed {
		return
	}
	if r.Context().Err() != nil {
		s.log.Info("session not saved: the client has gone", "id", webctx.Get(r.Context()).ID, "err", err)
	} else {
		// The handler's redirect, if it was one, is not the error page's.
		w.Header().Del("Location")
		w.Header().Del("HX-Redirect")
		s.fail(w, r, err)
	}
	if once != nil {
		once.closed = true
	}
}
