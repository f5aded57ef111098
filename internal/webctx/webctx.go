// Package webctx carries typed request values from middleware to views:
// the signed-in actor, the locale, flash messages, the request path and the
// figures the navigation shows. Views read it; only middleware writes it.
package webctx

import (
	"context"

	"crm/internal/crm"
	"crm/internal/i18n"
)

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind    string // "ok", "error", "info"
	Message string // already translated
}

// Request is everything a page needs to know about the request it answers.
type Request struct {
	ID      string
	Actor   crm.Actor
	Locale  i18n.Locale
	Path    string
	Flashes []Flash
	// MustChangePassword hides the navigation until the password is changed.
	MustChangePassword bool
	// Approvals is the number of orders waiting for the actor's decision
	// (the badge of 流程 in the navigation).
	Approvals int
	// Areas are the areas the actor may see (crm.VisibleAreas): the
	// navigation's items.
	Areas map[crm.Area]bool
}

type ctxKey struct{}

// With returns ctx carrying req.
func With(ctx context.Context, req *Request) context.Context {
	return context.WithValue(ctx, ctxKey{}, req)
}

// Get returns the request values of ctx (never nil).
func Get(ctx context.Context) *Request {
	if r, ok := ctx.Value(ctxKey{}).(*Request); ok {
		return r
	}
	return &Request{Locale: i18n.ZH}
}

// Actor returns the signed-in actor (zero when anonymous).
func Actor(ctx context.Context) crm.Actor { return Get(ctx).Actor }

// Locale returns the request's locale.
func Locale(ctx context.Context) i18n.Locale { return Get(ctx).Locale }

// T translates key in the request's locale.
func T(ctx context.Context, key string, args ...any) string {
	return i18n.T(Get(ctx).Locale, key, args...)
}
