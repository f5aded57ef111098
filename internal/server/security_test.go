package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"crm/internal/crm"
	"crm/internal/server"
)

func TestCrossSitePostsRefused(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "boss", crm.RoleAdmin, 0)
	mustEmployee(t, a.DB, "rep", crm.RoleSalesRep, 0)
	admin := a.loginAs("boss")
	sessionsBefore := a.count(`SELECT count(*) FROM sessions`)

	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}}
	evilOrigin := http.Header{"Origin": {"http://evil.example"}} // no Sec-Fetch-Site: an older browser

	anon := a.client()
	for _, h := range []http.Header{crossSite, evilOrigin} {
		p := anon.postWith("/login", form("username", "rep", "password", testPassword), h).wantStatus(http.StatusForbidden)
		if p.has(tid("whoami")) {
			t.Fatal("refused login shows a user")
		}
		// A wrong password is not even counted.
		anon.postWith("/login", form("username", "rep", "password", "wrong-one!"), h).wantStatus(http.StatusForbidden)
		admin.postWith("/admin/departments", form("name", "跨站部门"), h).wantStatus(http.StatusForbidden)
		admin.postWith("/logout", nil, h).wantStatus(http.StatusForbidden)
	}
	if anon.session(a) != "" {
		t.Fatal("a refused login set a session cookie")
	}
	if n := a.count(`SELECT count(*) FROM login_throttle`); n != 0 {
		t.Fatalf("refused logins wrote %d throttle rows", n)
	}
	if n := a.count(`SELECT count(*) FROM departments`); n != 0 {
		t.Fatalf("a cross-site post created %d departments", n)
	}
	if n := a.count(`SELECT count(*) FROM sessions`); n != sessionsBefore {
		t.Fatalf("refused posts changed the sessions: %d → %d", sessionsBefore, n)
	}
	admin.get("/").wantStatus(http.StatusOK) // the cross-site logout did not sign out

	// Same origin works, by Sec-Fetch-Site alone and by Origin alone.
	admin.postWith("/admin/departments", form("name", "同源部门"), http.Header{"Sec-Fetch-Site": {"same-origin"}}).
		wantRedirect("/admin/departments")
	admin.postWith("/admin/departments", form("name", "同源部门二"), http.Header{"Origin": {a.URL}}).
		wantRedirect("/admin/departments")
	if n := a.count(`SELECT count(*) FROM departments`); n != 2 {
		t.Fatalf("same-origin posts created %d departments, want 2", n)
	}
	if loc := login(t, anon, "rep", testPassword); loc != "/" {
		t.Fatalf("same-origin login → %q", loc)
	}
	// GET from another site (a link) is fine.
	anon.do(http.MethodGet, "/", nil, crossSite).wantStatus(http.StatusOK)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "rep", crm.RoleSalesRep, 0)
	anon := a.client()
	rep := a.loginAs("rep")

	for name, p := range map[string]*page{
		"login page":  anon.get("/login").wantStatus(http.StatusOK),
		"home page":   rep.get("/").wantStatus(http.StatusOK),
		"404":         anon.get("/no/such/page").wantStatus(http.StatusNotFound),
		"403":         rep.get("/admin/employees").wantStatus(http.StatusForbidden),
		"static file": anon.get("/static/css/app.css").wantStatus(http.StatusOK),
		"healthz":     anon.get("/healthz").wantStatus(http.StatusOK),
		"redirect":    anon.get("/profile").wantRedirect("/login?next=%2Fprofile"),
	} {
		csp := p.Header.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", name, csp)
		}
		if got := p.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", name, got)
		}
		if got := p.Header.Get("Referrer-Policy"); got == "" || got == "unsafe-url" {
			t.Errorf("%s: Referrer-Policy %q", name, got)
		}
		if p.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", name)
		}
	}
	// Pages carry no inline script or style the CSP would block.
	for _, p := range []*page{anon.get("/login"), rep.get("/"), rep.get("/profile")} {
		if p.Doc.Find("script:not([src]), style, [style]").Length() > 0 {
			t.Errorf("%s has inline script or style", p.path)
		}
		if p.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", p.path, p.Header.Get("Cache-Control"))
		}
	}

	h := anon.get("/healthz")
	var body struct{ Status, Database string }
	if err := json.Unmarshal([]byte(h.Body), &body); err != nil || body.Status != "ok" || body.Database != "up" ||
		!strings.HasPrefix(h.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("healthz: %q (%v)", h.Body, err)
	}
	if len(h.Cookies) != 0 {
		t.Fatal("healthz set a cookie")
	}
	if s := anon.get("/static/css/app.css"); len(s.Cookies) != 0 || !strings.HasPrefix(s.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("static: cookies %v, type %q", s.Cookies, s.Header.Get("Content-Type"))
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		a := newApp(t, func(c *server.Config) { c.CookieSecure = secure })
		mustEmployee(t, a.DB, "rep", crm.RoleSalesRep, 0)
		p := a.client().post("/login", form("username", "rep", "password", testPassword)).wantRedirect("/")
		var sc *http.Cookie
		for _, c := range p.Cookies {
			if c.Name == a.Server.SessionCookieName() {
				sc = c
			}
		}
		if sc == nil {
			t.Fatalf("secure=%v: no session cookie in %v", secure, p.Cookies)
		}
		if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || sc.Domain != "" {
			t.Errorf("secure=%v: cookie %+v", secure, sc)
		}
		if sc.MaxAge != 0 || !sc.Expires.IsZero() {
			t.Errorf("secure=%v: session cookie persists: %+v", secure, sc)
		}
		if secure {
			if !strings.HasPrefix(sc.Name, "__Host-") || !sc.Secure {
				t.Errorf("secure: cookie %+v", sc)
			}
			if p.Header.Get("Strict-Transport-Security") == "" {
				t.Error("secure: no HSTS")
			}
		} else if sc.Secure || strings.HasPrefix(sc.Name, "__Host-") {
			t.Errorf("plain: cookie %+v", sc)
		}
	}
}

func TestNotFoundPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "boss", crm.RoleAdmin, 0)
	admin := a.loginAs("boss")

	p := admin.get("/no/such/page").wantStatus(http.StatusNotFound)
	if !p.has(tid("error-page")) || !p.has(tid("whoami")) || !p.has(tid("nav")) {
		t.Fatal("signed-in 404 is not in the shell")
	}
	anon := a.client().get("/no/such/page").wantStatus(http.StatusNotFound)
	if !anon.has(tid("error-page")) || anon.has(tid("whoami")) {
		t.Fatal("anonymous 404 page wrong")
	}
	for _, path := range []string{
		"/admin/employees/999999", "/admin/employees/abc", "/admin/employees/-1", "/admin/employees/0",
		"/admin/employees/999999/edit", "/admin/departments/999999/edit", "/admin/departments/x/edit",
	} {
		admin.get(path).wantStatus(http.StatusNotFound)
	}
	for _, path := range []string{"/admin/employees/999999/deactivate", "/admin/departments/999999/delete", "/admin/departments/999999"} {
		admin.post(path, form("name", "x")).wantStatus(http.StatusNotFound)
	}
	// A wrong method is refused, not served.
	if p := admin.get("/logout"); p.Status != http.StatusMethodNotAllowed {
		t.Fatalf("GET /logout: %d", p.Status)
	}
	admin.get("/").wantStatus(http.StatusOK)
}
