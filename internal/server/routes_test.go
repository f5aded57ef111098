package server_test

import (
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestRoutesDocumented checks that docs/http.md lists exactly the routes
// of the router: every route the router serves has its row (method and
// path as registered), and every row names a route the router serves.
func TestRoutesDocumented(t *testing.T) {
	a := newApp(t)
	served := map[string]bool{}
	if err := chi.Walk(a.Server.Routes(), func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served[method+" "+pattern] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/http.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \\| `([^`]+)` \\|")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]+" "+m[2]] = true
	}
	var missing, stale []string
	for r := range served {
		// A handler for every method (the static files: r.Handle) has its
		// GET row.
		method, pattern, _ := strings.Cut(r, " ")
		if method != http.MethodGet && served["CONNECT "+pattern] && documented["GET "+pattern] {
			continue
		}
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			stale = append(stale, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("routes the router serves that docs/http.md does not list:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("rows of docs/http.md the router does not serve:\n  %s", strings.Join(stale, "\n  "))
	}
	if len(served) < 100 {
		t.Errorf("the walk found %d routes; the route table has more than 100", len(served))
	}
}
