package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryKeyUsedExists scans the code for catalog keys passed as literals
// and fails on any that the catalog lacks, so no page ever shows a raw key.
func TestEveryKeyUsedExists(t *testing.T) {
	// Every first segment of a catalog key is a prefix to look for.
	prefixes := map[string]bool{}
	for _, k := range Keys() {
		prefixes[strings.SplitN(k, ".", 2)[0]] = true
	}
	var alts []string
	for p := range prefixes {
		alts = append(alts, regexp.QuoteMeta(p))
	}
	re := regexp.MustCompile(`"((?:` + strings.Join(alts, "|") + `)\.[a-z_]+(?:\.[a-z_]+)*)"`)
	root := filepath.Join("..", "..")
	seen := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".data" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(p, "_templ.go") || strings.HasSuffix(p, "_test.go") ||
			!(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".templ")) || strings.HasSuffix(p, "messages.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen++
			if !Has(m[1]) {
				t.Errorf("%s: catalog has no key %q", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("found only %d key uses; is the scan broken?", seen)
	}
}

// TestCatalogComplete checks that every message has both languages and that
// the two take the same format verbs.
func TestCatalogComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[a-z]`)
	for k, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("%s: missing a translation", k)
		}
		if strings.Join(verbs.FindAllString(m[0], -1), "") != strings.Join(verbs.FindAllString(m[1], -1), "") {
			t.Errorf("%s: the languages take different arguments", k)
		}
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct {
		pref, cookie, accept string
		want                 Locale
	}{
		{"", "", "", ZH},
		{"", "", "en-US,en;q=0.9", EN},
		{"", "", "fr-FR,zh-CN;q=0.8,en;q=0.5", ZH},
		{"", "en", "zh-CN", EN},
		{"zh-CN", "en", "en", ZH},
		{"en", "", "zh", EN},
		{"xx", "", "de", ZH},
	}
	for _, c := range cases {
		if got := Negotiate(c.pref, c.cookie, c.accept); got != c.want {
			t.Errorf("Negotiate(%q, %q, %q) = %q, want %q", c.pref, c.cookie, c.accept, got, c.want)
		}
	}
	if T(EN, "list.total", 3) != "3 in all" || T(ZH, "list.total", 3) != "共 3 条" {
		t.Error("formatting")
	}
}

// TestInlineArguments: a key may carry its arguments after "|", and a
// length message states its limit in both languages.
func TestInlineArguments(t *testing.T) {
	if got := T(ZH, "error.too_long|200"); got != "内容过长（最多 200 个字符）。" {
		t.Errorf("zh: %q", got)
	}
	if got := T(EN, "error.too_long|40"); got != "Too long (at most 40 characters)." {
		t.Errorf("en: %q", got)
	}
	if got := T(EN, "no.such|1"); got != "no.such|1" {
		t.Errorf("unknown key: %q", got)
	}
}
