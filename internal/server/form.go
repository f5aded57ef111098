package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// form reads a posted form into typed values, collecting a message per
// field that cannot be read (a bad number, amount or date) so that the page
// can re-render with every problem at once.
type form struct {
	r *http.Request
	v crm.Invalid
}

func newForm(r *http.Request) *form { return &form{r: r} }

func (f *form) text(name string) string { return f.r.PostFormValue(name) }

func (f *form) bool(name string) bool {
	v := f.r.PostFormValue(name)
	return v == "1" || v == "on" || v == "true" || v == "yes"
}

// id reads an optional record id (empty: 0).
func (f *form) id(name string) int64 { return formID(f.r, name, &f.v) }

func (f *form) money(name string) decimal.Decimal {
	d, problem := crm.ParseMoney(f.r.PostFormValue(name))
	if problem != "" {
		f.v.Add(name, problem)
	}
	return d
}

// date reads an optional day (2026-01-15, 2026/1/15).
func (f *form) date(name string) *time.Time {
	t, ok := parseDate(f.r.PostFormValue(name))
	if !ok {
		f.v.Add(name, "error.date_format")
	}
	return t
}

// dateTime reads an optional moment typed in the business zone
// (2026-01-15T14:30 from a datetime-local input, or 2026-01-15 14:30).
func (f *form) dateTime(name string) *time.Time {
	s := crm.CleanText(f.r.PostFormValue(name))
	if s == "" {
		return nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, crm.Zone); err == nil {
			return &t
		}
	}
	f.v.Add(name, "error.time_format")
	return nil
}

// err merges the form's problems with a validation error.
func (f *form) err(validation error) error {
	for field, key := range crm.FieldErrors(validation) {
		f.v.Add(field, key)
	}
	return f.v.Err()
}

// parseDate reads a day in the business zone; "" is (nil, true).
func parseDate(s string) (*time.Time, bool) {
	s = crm.CleanText(s)
	if s == "" {
		return nil, true
	}
	s = strings.ReplaceAll(s, "/", "-")
	for _, layout := range []string{"2006-01-02", "2006-1-2"} {
		if t, err := time.ParseInLocation(layout, s, crm.Zone); err == nil {
			return &t, true
		}
	}
	return nil, false
}

// queryID reads an optional id from the query string (bad: 0).
func queryID(r *http.Request, name string) int64 {
	id, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}
