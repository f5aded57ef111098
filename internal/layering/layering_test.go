// Package layering holds the test of HOUSE.md's import direction: the
// domain imports nothing of ours, the views see no storage and no
// handlers, and decide no permission.
package layering

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// allowed are the packages of ours each package may depend on, directly
// or not.
var allowed = map[string][]string{
	"crm/internal/crm": {},
	"crm/web/views": {"crm/internal/crm", "crm/internal/route", "crm/internal/webctx", "crm/internal/i18n",
		"crm/web/views/ui", "crm/web"},
	"crm/web/views/ui":   {"crm/internal/crm", "crm/internal/route", "crm/internal/webctx", "crm/internal/i18n", "crm/web"},
	"crm/internal/route": {},
}

// TestImportDirection runs go list -deps over each guarded package and
// fails on any package of ours it reaches that it may not.
func TestImportDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		var bad []string
		for _, dep := range strings.Fields(string(out)) {
			if dep == pkg || (dep != "crm" && !strings.HasPrefix(dep, "crm/")) {
				continue
			}
			found := false
			for _, a := range ok {
				found = found || dep == a
			}
			if !found {
				bad = append(bad, dep)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s depends on %s; it may depend only on %v (HOUSE.md, import direction)", pkg, strings.Join(bad, ", "), ok)
		}
	}
}

// TestViewsDecideNoPermission fails when a view calls the policy
// (crm.Can…): the handler decides and passes a boolean in the props.
func TestViewsDecideNoPermission(t *testing.T) {
	can := regexp.MustCompile(`\bcrm\.Can[A-Z]\w*\(`)
	var files []string
	for _, glob := range []string{"../../web/views/*.templ", "../../web/views/*.go", "../../web/views/ui/*.templ"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("found %d view files; the views are elsewhere?", len(files))
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_templ.go") {
			continue // generated from the .templ beside it
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if can.MatchString(line) {
				t.Errorf("%s:%d calls the policy: %s", filepath.Base(f), i+1, strings.TrimSpace(line))
			}
		}
	}
}
