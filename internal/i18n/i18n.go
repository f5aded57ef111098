// Package i18n is the one message catalog of the CRM (Simplified Chinese by
// default, English on request) and the negotiation of a request's locale.
// It is a leaf.
package i18n

import (
	"fmt"
	"strings"
)

// Locale is a supported language tag.
type Locale string

// The supported locales; ZH is the default.
const (
	ZH Locale = "zh-CN"
	EN Locale = "en"
)

// Locales lists the supported locales in display order.
var Locales = []Locale{ZH, EN}

// Parse returns the supported locale named by s, or "" if none.
func Parse(s string) Locale {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return ""
	case strings.HasPrefix(s, "zh"):
		return ZH
	case strings.HasPrefix(s, "en"):
		return EN
	}
	return ""
}

// Negotiate picks the locale of a request: the user's stored preference,
// then a cookie's, then the first supported language of Accept-Language,
// then Chinese.
func Negotiate(pref, cookie, acceptLanguage string) Locale {
	if l := Parse(pref); l != "" {
		return l
	}
	if l := Parse(cookie); l != "" {
		return l
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l := Parse(tag); l != "" {
			return l
		}
	}
	return ZH
}

// T returns the message for key in locale l, formatted with args. A
// missing key returns the key itself, so that it shows (a test checks
// that every key used in the code exists). A key may carry its arguments
// after a "|" ("error.too_long|200"): a field message is one string that
// still says its numbers; they come before args.
func T(l Locale, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		k, rest, cut := strings.Cut(key, "|")
		if m, ok = messages[k]; !cut || !ok {
			return key
		}
		var inline []any
		for _, a := range strings.Split(rest, "|") {
			inline = append(inline, a)
		}
		args = append(inline, args...)
	}
	s := m[0]
	if l == EN {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether the catalog holds key.
func Has(key string) bool {
	_, ok := messages[key]
	return ok
}

// Keys returns every key of the catalog.
func Keys() []string {
	out := make([]string, 0, len(messages))
	for k := range messages {
		out = append(out, k)
	}
	return out
}

// register adds a part of the catalog (one file per area of the
// application); a key defined twice is a programming error.
func register(part map[string][2]string) {
	for k, v := range part {
		if _, dup := messages[k]; dup {
			panic("i18n: key defined twice: " + k)
		}
		messages[k] = v
	}
}

// The long parts of the catalog are package-level maps, merged here once;
// the short ones register themselves in their file's init.
func init() {
	for _, part := range []map[string][2]string{commonMessages, dashboardMessages, importMessages, orderMessages, paymentMessages} {
		register(part)
	}
}
