package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"crm/internal/crm"
)

// Request readers: the path's id, the query string's ids, days and tab,
// the posted ids of a bulk form, the back link and cookies. Forms are read
// by form (form.go); list filters by their own Parse in crm.

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, crm.ErrNotFound
	}
	return id, nil
}

// formID parses an optional id field; bad input is reported on the field.
func formID(r *http.Request, field string, v *crm.Invalid) int64 {
	return parseFormID(r.PostFormValue(field), field, v)
}

// parseFormID parses the value s of an optional id field.
func parseFormID(s, field string, v *crm.Invalid) int64 {
	if s == "" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		v.Add(field, "error.not_exist")
		return 0
	}
	return id
}

// queryID reads an optional id from the query string (bad: 0).
func queryID(r *http.Request, name string) int64 { return crm.ValueID(r.URL.Query(), name) }

// parseDate reads a day in the business zone; "" is (nil, true)
// (crm.ParseDay).
func parseDate(s string) (*time.Time, bool) { return crm.ParseDay(s) }

// bulkIDs reads the selected rows of a list's bulk form (at most 200).
func bulkIDs(r *http.Request) []int64 {
	_ = r.ParseForm()
	var ids []int64
	for _, v := range r.PostForm["ids"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
		if len(ids) == 200 {
			break
		}
	}
	return ids
}

// backOr returns the form's local "back" URL, or def.
func backOr(r *http.Request, def string) string {
	if b := r.PostFormValue("back"); b != "" {
		return safeNext(b)
	}
	return def
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}
