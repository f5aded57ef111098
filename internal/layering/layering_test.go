// Package layering guards the import direction HOUSE.md writes down: the
// views see the domain, the route builders, the request values, the
// catalog and their own components, never storage or the server; the
// domain package imports nothing of the project. The tests read what the
// go tool reads (go list -deps), so a forbidden arrow fails here rather
// than in a review.
package layering

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "crm"

// viewImports are the packages of the project web/views may depend on
// (itself and its ui components included).
var viewImports = []string{
	"crm/web/views",
	"crm/web/views/ui",
	"crm/web", // the static assets' paths
	"crm/internal/crm",
	"crm/internal/route",
	"crm/internal/webctx",
	"crm/internal/i18n",
}

// deps runs go list -deps on pkg and returns, for every package of the
// project among its dependencies, the project packages it imports
// directly.
func deps(t *testing.T, pkg string) map[string][]string {
	t.Helper()
	cmd := exec.Command(goTool(), "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr.String())
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !inModule(f[0]) {
			continue
		}
		var own []string
		for _, imp := range f[1:] {
			if inModule(imp) {
				own = append(own, imp)
			}
		}
		m[f[0]] = own
	}
	return m
}

// goTool is the go command: the one on PATH, else the one of the
// toolchain that built the test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func inModule(p string) bool { return p == module || strings.HasPrefix(p, module+"/") }

// forbidden returns one line per project package among the dependencies
// that allowed does not hold, naming who imports it.
func forbidden(m map[string][]string, allowed func(string) bool) []string {
	by := map[string][]string{}
	for from, imps := range m {
		for _, imp := range imps {
			if !allowed(imp) {
				by[imp] = append(by[imp], from)
			}
		}
	}
	var out []string
	for imp, from := range by {
		sort.Strings(from)
		out = append(out, imp+" (imported by "+strings.Join(from, ", ")+")")
	}
	sort.Strings(out)
	return out
}

// TestViewImports: web/views depends on no project package but the ones
// of viewImports — not storage, not the server, not the importer.
func TestViewImports(t *testing.T) {
	if bad := forbidden(deps(t, "crm/web/views"), func(p string) bool { return slices.Contains(viewImports, p) }); len(bad) > 0 {
		t.Errorf("web/views may import only %s; it depends on:\n  %s", strings.Join(viewImports, ", "), strings.Join(bad, "\n  "))
	}
}

// TestDomainImports: internal/crm, the domain, imports no other package of
// the project.
func TestDomainImports(t *testing.T) {
	if bad := forbidden(deps(t, "crm/internal/crm"), func(p string) bool { return p == "crm/internal/crm" }); len(bad) > 0 {
		t.Errorf("internal/crm may import no other package of the project; it depends on:\n  %s", strings.Join(bad, "\n  "))
	}
}

// canCall is a call of a policy function (crm.CanView(…), crm.CanSeeArea(…)).
var canCall = regexp.MustCompile(`\bcrm\.Can[A-Z]\w*\(`)

// TestViewsAskNoPolicy: the views decide no permission — handlers ask the
// policy and pass booleans in the props, so no view source calls crm.Can*.
// Generated *_templ.go files are left out: they restate the .templ files.
func TestViewsAskNoPolicy(t *testing.T) {
	root := filepath.Join("..", "..", "web", "views")
	var bad []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.HasSuffix(name, "_templ.go") || !strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, ".templ") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			if m := canCall.FindString(line); m != "" {
				rel, _ := filepath.Rel(root, path)
				bad = append(bad, rel+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("views call the policy (pass a boolean in the props instead):\n  %s", strings.Join(bad, "\n  "))
	}
}
