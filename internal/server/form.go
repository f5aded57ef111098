package server

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// form reads a posted form into typed values, collecting a message per
// field that cannot be read (a bad number, amount or date) so that the page
// can re-render with every problem at once.
//
// An edit form (editForm) knows the record's stored values: a field the
// post does not carry at all keeps its stored value, while a field posted
// empty is empty — so a client that leaves a field out (an older page, a
// script posting only what it changes) never clears it. Checkboxes are the
// exception (bool): a browser leaves an unticked box out, so absent is
// false there.
type form struct {
	r      *http.Request
	v      crm.Invalid
	stored url.Values // an edit's stored values, by field name (nil: a new record)
}

// newForm reads a form creating a record: an absent field is empty.
func newForm(r *http.Request) *form { return &form{r: r} }

// editForm reads a form changing a record whose current values, as the
// form's fields, are stored: a field absent from the post keeps its value.
func editForm(r *http.Request, stored url.Values) *form { return &form{r: r, stored: stored} }

// value is the posted value of field name, or — absent from the post —
// the stored one.
func (f *form) value(name string) string {
	v := f.r.PostFormValue(name) // parses the form
	if _, posted := f.r.PostForm[name]; posted || f.stored == nil {
		return v
	}
	return f.stored.Get(name)
}

func (f *form) text(name string) string { return f.value(name) }

// bool reads a checkbox: ticked is 1/on/true/yes; absent is false.
func (f *form) bool(name string) bool {
	v := f.r.PostFormValue(name)
	return v == "1" || v == "on" || v == "true" || v == "yes"
}

// id reads an optional record id (empty: 0).
func (f *form) id(name string) int64 { return parseFormID(f.value(name), name, &f.v) }

func (f *form) money(name string) decimal.Decimal {
	d, problem := crm.ParseMoney(f.value(name))
	if problem != "" {
		f.v.Add(name, problem)
	}
	return d
}

// date reads an optional day (2026-01-15, 2026/1/15).
func (f *form) date(name string) *time.Time {
	t, ok := parseDate(f.value(name))
	if !ok {
		f.v.Add(name, "error.date_format")
	}
	return t
}

// dateTime reads an optional moment typed in the business zone
// (2026-01-15T14:30 from a datetime-local input, or 2026-01-15 14:30).
func (f *form) dateTime(name string) *time.Time {
	s := crm.CleanText(f.value(name))
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

// Stored values as an edit form's fields (editForm), written as the forms
// show them so that they read back unchanged.

// fieldID is an id field's value ("" for none).
func fieldID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// fieldDay is a date field's value (2026-01-15, the business zone).
func fieldDay(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(crm.Zone).Format("2006-01-02")
}

// fieldMoment is a datetime-local field's value (the business zone).
func fieldMoment(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(crm.Zone).Format("2006-01-02T15:04")
}

// fields builds url.Values from name/value pairs.
func fields(kv ...string) url.Values {
	v := make(url.Values, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
