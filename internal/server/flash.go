package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/shopspring/decimal"

	"crm/internal/i18n"
	"crm/internal/webctx"
)

// Flashes (one-time messages for the next page) are kept in the session as
// a catalog key with its arguments, not as text: the next page may be in
// another language (the user switched in between, or the session's locale
// changed), and it translates the message in its own.

// sessFlashMsg is the session key of the pending flash (JSON, storedFlash).
// The older sessFlash/sessKind pair (middleware.go) holds text already
// translated; it is still read.
const sessFlashMsg = "flash_msg"

// storedFlash is a pending flash as the session keeps it.
type storedFlash struct {
	Kind string     `json:"kind"`
	Key  string     `json:"key"`
	Args []flashArg `json:"args,omitempty"`
	// ArgsEN replaces Args in English where they differ (xlsx.FileError:
	// column names).
	ArgsEN []flashArg `json:"args_en,omitempty"`
}

// msgKey is a flash argument that is itself a catalog key (a stage's
// label): it is translated with the message.
type msgKey string

// flashArg is one argument of a stored flash, typed so that it formats as
// it would have before the round trip through JSON (%d stays an integer).
type flashArg struct {
	T string `json:"t"` // "s" text, "i" integer, "u" unsigned, "f" float, "k" catalog key
	V string `json:"v"`
}

func toFlashArgs(args []any) []flashArg {
	if args == nil {
		return nil
	}
	out := make([]flashArg, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case msgKey:
			out[i] = flashArg{"k", string(v)}
		case string:
			out[i] = flashArg{"s", v}
		case int:
			out[i] = flashArg{"i", strconv.FormatInt(int64(v), 10)}
		case int32:
			out[i] = flashArg{"i", strconv.FormatInt(int64(v), 10)}
		case int64:
			out[i] = flashArg{"i", strconv.FormatInt(v, 10)}
		case uint:
			out[i] = flashArg{"u", strconv.FormatUint(uint64(v), 10)}
		case uint64:
			out[i] = flashArg{"u", strconv.FormatUint(v, 10)}
		case float64:
			out[i] = flashArg{"f", strconv.FormatFloat(v, 'g', -1, 64)}
		case decimal.Decimal:
			out[i] = flashArg{"s", v.String()}
		default:
			out[i] = flashArg{"s", fmt.Sprint(v)}
		}
	}
	return out
}

func fromFlashArgs(l i18n.Locale, args []flashArg) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch a.T {
		case "k":
			out[i] = i18n.T(l, a.V)
		case "i":
			n, _ := strconv.ParseInt(a.V, 10, 64)
			out[i] = n
		case "u":
			n, _ := strconv.ParseUint(a.V, 10, 64)
			out[i] = n
		case "f":
			f, _ := strconv.ParseFloat(a.V, 64)
			out[i] = f
		default:
			out[i] = a.V
		}
	}
	return out
}

// message translates the flash in locale l.
func (f storedFlash) message(l i18n.Locale) string {
	args := f.Args
	if l == i18n.EN && f.ArgsEN != nil {
		args = f.ArgsEN
	}
	return i18n.T(l, f.Key, fromFlashArgs(l, args)...)
}

// flash stores a one-time message for the next page: the catalog key and
// its arguments (msgKey for one to translate as well).
func (s *Server) flash(r *http.Request, kind, key string, args ...any) {
	s.putFlash(r.Context(), storedFlash{Kind: kind, Key: key, Args: toFlashArgs(args)})
}

// putFlash stores f as the pending flash.
func (s *Server) putFlash(ctx context.Context, f storedFlash) {
	b, err := json.Marshal(f)
	if err != nil { // plain strings and numbers: cannot happen
		return
	}
	s.sessions.Put(ctx, sessFlashMsg, string(b))
}

// popFlash takes the pending flash out of the session, translated in the
// request's locale; requests that carry no session (scs panics on those)
// have none.
func (s *Server) popFlash(ctx context.Context) (msg, kind string) {
	defer func() {
		if recover() != nil {
			msg, kind = "", ""
		}
	}()
	if s.sessions.Exists(ctx, sessFlashMsg) {
		var f storedFlash
		if err := json.Unmarshal([]byte(s.sessions.PopString(ctx, sessFlashMsg)), &f); err != nil || f.Key == "" {
			return "", ""
		}
		return f.message(webctx.Locale(ctx)), f.Kind
	}
	if !s.sessions.Exists(ctx, sessFlash) {
		return "", ""
	}
	return s.sessions.PopString(ctx, sessFlash), s.sessions.PopString(ctx, sessKind)
}
