// Package crm is the domain at the centre of the CRM: entities, roles, the
// Actor, coded errors, money rules and the permission policy of SPEC §2–§3.
// It is a leaf: it imports only the standard library and shopspring/decimal.
package crm

import (
	"errors"
	"fmt"
	"strconv"
)

// Error codes shared by every layer. Storage translates database errors into
// them once; the server maps them to HTTP statuses once.
const (
	ENOTFOUND  = "not_found" // missing, or not viewable by the actor (never reveal which)
	EFORBIDDEN = "forbidden" // viewable, but the actor may not do this
	EINVALID   = "invalid"   // bad input; Fields says which
	ECONFLICT  = "conflict"  // a uniqueness or state conflict
	EINTERNAL  = "internal"  // anything unexpected
)

// Error is a coded error. Message is a message-catalog key (translated by the
// server), Fields maps a form field to a message-catalog key.
type Error struct {
	Code    string
	Message string
	Args    []any
	Fields  map[string]string
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("crm %s: %s %v", e.Code, e.Message, e.Fields)
	}
	return fmt.Sprintf("crm %s: %s", e.Code, e.Message)
}

// Errorf returns a coded error whose message is a catalog key with arguments.
func Errorf(code, key string, args ...any) *Error {
	return &Error{Code: code, Message: key, Args: args}
}

// ErrorCode returns the code of err, EINTERNAL for an uncoded error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrNotFound and ErrForbidden are the plain forms of the two permission errors.
var (
	ErrNotFound  = &Error{Code: ENOTFOUND, Message: "error.not_found"}
	ErrForbidden = &Error{Code: EFORBIDDEN, Message: "error.forbidden"}
)

// Invalid collects field errors while validating a form; Err returns nil when
// nothing was added.
type Invalid struct {
	Fields map[string]string
}

// Add records the first message for field.
func (v *Invalid) Add(field, key string) {
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	if _, ok := v.Fields[field]; !ok {
		v.Fields[field] = key
	}
}

// TooLong is the field message of a text longer than max characters: the
// catalog key error.too_long with the limit as its argument, after a "|"
// (i18n.T formats such a key with what follows it), so every length
// message states the field's own limit.
func TooLong(max int) string { return "error.too_long|" + strconv.Itoa(max) }

// Err returns an EINVALID error carrying the fields, or nil.
func (v *Invalid) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "error.invalid", Fields: v.Fields}
}

// FieldErrors returns the field messages of an EINVALID or ECONFLICT error.
func FieldErrors(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
