package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"crm/internal/crm"
	"crm/internal/i18n"
)

func TestLoginRedirectsAndShowsUser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployeeWith(t, a.DB, crm.EmployeeInput{Username: "zhao", Name: "赵敏", Role: crm.RoleAdmin}, testPassword)
	c := a.client()

	// Anonymous: a protected page sends to the login page, remembering it.
	c.get("/admin/employees?role=admin").wantRedirect("/login?next=" + url.QueryEscape("/admin/employees?role=admin"))
	c.get("/").wantRedirect("/login")
	lp := c.get("/login?next=/admin/employees").wantStatus(http.StatusOK)
	if v, _ := lp.Doc.Find(`form[data-testid=login-form] input[name=next]`).Attr("value"); v != "/admin/employees" {
		t.Fatalf("login form next = %q", v)
	}

	for _, tc := range []struct{ next, want string }{
		{"", "/"},
		{"/admin/employees?role=admin", "/admin/employees?role=admin"},
		{"//evil.com", "/"},
		{"https://evil", "/"},
		{`/\evil.com`, "/"},
	} {
		p := c.post("/login", form("username", "ZHAO ", "password", testPassword, "next", tc.next))
		p.wantRedirect(tc.want)
	}
	c.get("/").wantStatus(http.StatusOK).wantText(tid("whoami"), "赵敏")
	// Signed in, the login page sends on.
	c.get("/login?next=/profile").wantRedirect("/profile")
}

func TestLoginFailureMessagesAreIdentical(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0) // storage keeps one active admin
	mustEmployee(t, a.DB, "qian", crm.RoleSalesRep, 0)
	off := mustEmployee(t, a.DB, "sun", crm.RoleSalesRep, 0)
	if err := a.DB.SetEmployeeActive(context.Background(), off, false); err != nil {
		t.Fatal(err)
	}
	c := a.client()
	var msgs []string
	for _, cred := range [][2]string{{"nobody", testPassword}, {"qian", "wrong-password"}, {"sun", testPassword}} {
		p := c.post("/login", form("username", cred[0], "password", cred[1])).wantStatus(http.StatusUnauthorized)
		msgs = append(msgs, p.text(tid("login-error")))
		if p.has(tid("whoami")) {
			t.Fatalf("%s: failed login shows a user", cred[0])
		}
		// The form keeps the username but never the password.
		if v, _ := p.Doc.Find(`input[name=username]`).Attr("value"); v != cred[0] {
			t.Errorf("%s: username field = %q", cred[0], v)
		}
		if v, _ := p.Doc.Find(`input[name=password]`).Attr("value"); v != "" {
			t.Errorf("%s: password echoed back", cred[0])
		}
	}
	if msgs[0] == "" || msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Fatalf("failure messages differ: unknown %q, wrong password %q, deactivated %q", msgs[0], msgs[1], msgs[2])
	}
	if msgs[0] != i18n.T(i18n.ZH, "login.failed") {
		t.Fatalf("message %q", msgs[0])
	}
	if c.session(a) != "" {
		t.Fatal("a failed login set a session cookie")
	}
}

// TestUnknownUsernameCostsAsMuchAsWrongPassword checks that a failed login
// for a username that does not exist still spends a password verification
// (~40 ms of argon2id), so that timing does not reveal which usernames
// exist. The bound is loose (a quarter) to stay steady on a busy machine:
// skipping the verification makes it some twenty times faster.
func TestUnknownUsernameCostsAsMuchAsWrongPassword(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "known", crm.RoleSalesRep, 0)
	c := a.client()
	var unknown, wrong []time.Duration
	for range 3 {
		for _, u := range []string{"unknown", "known"} {
			start := time.Now()
			c.post("/login", form("username", u, "password", "not-the-password")).wantStatus(http.StatusUnauthorized)
			d := time.Since(start)
			if u == "known" {
				wrong = append(wrong, d)
			} else {
				unknown = append(unknown, d)
			}
		}
	}
	slices.Sort(unknown)
	slices.Sort(wrong)
	if unknown[1] < wrong[1]/4 {
		t.Fatalf("unknown username answers in %v, wrong password in %v (medians)", unknown[1], wrong[1])
	}
}

func TestLoginRenewsSessionToken(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "li", crm.RoleSalesRep, 0)
	c := a.client()

	// An anonymous session (here: the goodbye flash of a logout) exists
	// before the login, as one planted by an attacker would.
	c.post("/logout", nil).wantRedirect("/login")
	before := c.session(a)
	if before == "" {
		t.Fatal("no session cookie before login")
	}
	if got := c.get("/login").wantStatus(http.StatusOK).text(tid("flash")); got != i18n.T(i18n.ZH, "login.logged_out") {
		t.Fatalf("flash = %q", got)
	}
	login(t, c, "li", testPassword)
	after := c.session(a)
	if after == "" || after == before {
		t.Fatalf("session token not renewed at login: before %q after %q", before, after)
	}
	c.get("/").wantStatus(http.StatusOK)

	// The pre-login token does not carry the login.
	planted := a.client()
	planted.setCookie(a.Server.SessionCookieName(), before)
	planted.get("/").wantRedirect("/login")

	// Logging in again renews again, and the previous token is dead.
	login(t, c, "li", testPassword)
	again := c.session(a)
	if again == after {
		t.Fatal("second login kept the token")
	}
	old := a.client()
	old.setCookie(a.Server.SessionCookieName(), after)
	old.get("/").wantRedirect("/login")
	c.get("/").wantStatus(http.StatusOK)
}

func TestLogoutRevokesOldCookie(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "zhou", crm.RoleMarketing, 0)
	c := a.loginAs("zhou")
	token := c.session(a)
	signedIn := `SELECT count(*) FROM sessions WHERE NOT revoked AND position(convert_to('uid', 'UTF8') in data) > 0`
	if n := a.count(signedIn); n != 1 {
		t.Fatalf("%d signed-in sessions before logout, want 1", n)
	}

	c.post("/logout", nil).wantRedirect("/login")
	if c.session(a) == token {
		t.Fatal("logout kept the token")
	}
	c.get("/login").wantStatus(http.StatusOK).wantText(tid("flash"), i18n.T(i18n.ZH, "login.logged_out"))
	c.get("/").wantRedirect("/login")

	replay := a.client()
	replay.setCookie(a.Server.SessionCookieName(), token)
	replay.get("/").wantRedirect("/login")
	replay.get("/profile").wantRedirect("/login?next=%2Fprofile")
	if n := a.count(signedIn); n != 0 {
		t.Fatalf("%d signed-in sessions remain after logout", n)
	}
}

func TestDeactivationEndsSessionsAtOnce(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "boss", crm.RoleAdmin, 0)
	rep := mustEmployee(t, a.DB, "rep", crm.RoleSalesRep, 0)
	admin := a.loginAs("boss")
	first := a.loginAs("rep")  // makes a request right after the deactivation
	second := a.loginAs("rep") // makes none until after the reactivation
	first.get("/").wantStatus(http.StatusOK)
	firstToken := first.session(a)

	admin.post(fmtPath("/admin/employees/%d/deactivate", rep), nil).wantRedirect(fmtPath("/admin/employees/%d", rep))
	first.get("/profile").wantRedirect("/login?next=%2Fprofile")
	first.get("/login").wantStatus(http.StatusOK).wantText(tid("flash"), i18n.T(i18n.ZH, "login.session_ended"))
	// Deactivated, the right password does not sign in.
	first.post("/login", form("username", "rep", "password", testPassword)).wantStatus(http.StatusUnauthorized)

	admin.post(fmtPath("/admin/employees/%d/activate", rep), nil).wantRedirect(fmtPath("/admin/employees/%d", rep))
	second.get("/").wantRedirect("/login")
	replay := a.client()
	replay.setCookie(a.Server.SessionCookieName(), firstToken)
	replay.get("/").wantRedirect("/login")
	// A fresh login works again.
	a.loginAs("rep").get("/").wantStatus(http.StatusOK)
}

func TestAdminPasswordResetEndsSessions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "boss", crm.RoleAdmin, 0)
	rep := mustEmployee(t, a.DB, "rep", crm.RoleSalesRep, 0)
	admin := a.loginAs("boss")
	target := a.loginAs("rep")

	admin.post(fmtPath("/admin/employees/%d/password", rep), form("password", "short")).
		wantStatus(http.StatusUnprocessableEntity).wantText(tid("error-password"), "8")
	target.get("/").wantStatus(http.StatusOK)

	admin.post(fmtPath("/admin/employees/%d/password", rep), form("password", "reset-pass-9")).
		wantRedirect(fmtPath("/admin/employees/%d", rep))
	target.get("/").wantRedirect("/login")

	c := a.client()
	c.post("/login", form("username", "rep", "password", testPassword)).wantStatus(http.StatusUnauthorized)
	if loc := login(t, c, "rep", "reset-pass-9"); loc != "/profile" {
		t.Fatalf("login after reset → %q, want /profile", loc)
	}
	c.get("/").wantRedirect("/profile")
	c.get("/admin/employees").wantRedirect("/profile")
	pp := c.get("/profile").wantStatus(http.StatusOK)
	if !pp.has(tid("must-change")) || pp.has(tid("nav")) {
		t.Fatal("profile does not ask for a new password, or shows the navigation")
	}
	c.post("/profile/password", form("current", "reset-pass-9", "new", "mine-now-77", "confirm", "mine-now-77")).
		wantRedirect("/profile")
	c.get("/").wantStatus(http.StatusOK)

	// A generated password is shown once on the answering page.
	gp := admin.post(fmtPath("/admin/employees/%d/password", rep), nil).wantStatus(http.StatusOK)
	pw := strings.TrimSpace(gp.Doc.Find(tid("new-password") + " strong").Text())
	if len(pw) != 12 {
		t.Fatalf("generated password %q", pw)
	}
	c.get("/").wantRedirect("/login")
	if loc := login(t, a.client(), "rep", pw); loc != "/profile" {
		t.Fatalf("login with generated password → %q", loc)
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "victim", crm.RoleSalesRep, 0)
	mustEmployee(t, a.DB, "other", crm.RoleSalesRep, 0)
	c := a.client()
	locked := i18n.T(i18n.ZH, "login.locked", 15)

	// Every test request comes from 127.0.0.1, so each failure counts both
	// for the key user:victim and for addr:127.0.0.1: after ten, both are
	// locked.
	for i := 0; i < 10; i++ {
		c.post("/login", form("username", "victim", "password", "wrong-guess")).wantStatus(http.StatusUnauthorized)
	}
	c.post("/login", form("username", "victim", "password", testPassword)).
		wantStatus(http.StatusTooManyRequests).wantText(tid("login-error"), locked)
	if c.session(a) != "" {
		t.Fatal("a locked login set a session")
	}
	// The address is locked as well: another username from it is refused.
	c.post("/login", form("username", "other", "password", testPassword)).wantStatus(http.StatusTooManyRequests)

	// The username key alone locks: forget the address, still refused.
	a.exec(`DELETE FROM login_throttle WHERE key LIKE 'addr:%'`)
	c.post("/login", form("username", "victim", "password", testPassword)).wantStatus(http.StatusTooManyRequests)
	if loc := login(t, a.client(), "other", testPassword); loc != "/" {
		t.Fatalf("other user → %q", loc)
	}
	if n := a.count(`SELECT count(*) FROM login_throttle WHERE key = 'user:victim' AND locked_until > now()`); n != 1 {
		t.Fatalf("user:victim lock rows = %d", n)
	}

	// The lock expires (simulated by clearing the rows): the right password works.
	a.exec(`DELETE FROM login_throttle`)
	if loc := login(t, c, "victim", testPassword); loc != "/" {
		t.Fatalf("after lock → %q", loc)
	}
	c.get("/").wantStatus(http.StatusOK).wantText(tid("whoami"), "测试victim")
	if n := a.count(`SELECT count(*) FROM login_throttle WHERE key = 'user:victim'`); n != 0 {
		t.Fatalf("a good login left %d failure rows for the user", n)
	}
}

func TestSessionsCostNoWritePerPageView(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "wu", crm.RoleFinance, mustDepartment(t, a.DB, "财务部", 0))
	c := a.loginAs("wu")
	c.get("/").wantStatus(http.StatusOK)

	row := func() (xmin, data string) {
		t.Helper()
		if err := a.DB.Pool.QueryRow(context.Background(),
			`SELECT xmin::text, encode(data, 'hex') FROM sessions WHERE NOT revoked`).Scan(&xmin, &data); err != nil {
			t.Fatal(err)
		}
		return
	}
	x0, d0 := row()
	for i := 0; i < 5; i++ {
		c.get("/").wantStatus(http.StatusOK)
		c.get("/profile").wantStatus(http.StatusOK)
	}
	if x1, d1 := row(); x1 != x0 || d1 != d0 {
		t.Fatalf("page views rewrote the session row: xmin %s → %s", x0, x1)
	}
}

func TestTwoServersShareSessions(t *testing.T) {
	t.Parallel()
	dbA, dsn := testdbNewWithURL(t)
	dbB := openPool(t, dsn)
	appA, appB := newAppOn(t, dbA), newAppOn(t, dbB)
	mustEmployee(t, dbA, "ma", crm.RoleManagement, 0)

	ca := appA.loginAs("ma")
	cb := newClient(t, appB.URL)
	cb.setCookie(appB.Server.SessionCookieName(), ca.session(appA))
	cb.get("/").wantStatus(http.StatusOK).wantText(tid("whoami"), "测试ma")

	// A flash set on A shows on B.
	ca.post("/profile", form("name", "马总", "email", "ma@example.com", "locale", "")).wantRedirect("/profile")
	p := cb.get("/profile").wantStatus(http.StatusOK)
	p.wantText(tid("flash"), i18n.T(i18n.ZH, "profile.saved"))
	p.wantText(tid("whoami"), "马总")
	// …once.
	if ca.get("/profile").has(tid("flash")) {
		t.Fatal("the flash showed twice")
	}
	// Logging out on B ends the session on A.
	cb.post("/logout", nil).wantRedirect("/login")
	ca.get("/").wantRedirect("/login")
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "lang", crm.RoleSalesRep, 0)
	zhUser := mustEmployee(t, a.DB, "zhpref", crm.RoleSalesRep, 0)
	if err := a.DB.SetLocale(context.Background(), zhUser, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	en := i18n.T(i18n.EN, "login.submit")

	// Anonymous, Chinese by default.
	anon := a.client()
	p := anon.get("/login").wantStatus(http.StatusOK)
	if lang, _ := p.Doc.Find("html").Attr("lang"); lang != "zh-CN" {
		t.Fatalf("default lang %q", lang)
	}
	// The switch on the login page: a cookie.
	anon.post("/locale", form("lang", "en", "next", "/login")).wantRedirect("/login")
	p = anon.get("/login")
	if lang, _ := p.Doc.Find("html").Attr("lang"); lang != "en" || p.text("button[type=submit].primary") != en {
		t.Fatalf("after switch: lang %q, button %q", lang, p.text("button[type=submit].primary"))
	}

	// Accept-Language on an anonymous page.
	al := a.client()
	al.header.Set("Accept-Language", "en-US,en;q=0.9,zh;q=0.5")
	p = al.get("/login")
	if lang, _ := p.Doc.Find("html").Attr("lang"); lang != "en" {
		t.Fatalf("Accept-Language en: lang %q", lang)
	}
	// The stored preference wins over Accept-Language.
	login(t, al, "zhpref", testPassword)
	p = al.get("/").wantStatus(http.StatusOK)
	if lang, _ := p.Doc.Find("html").Attr("lang"); lang != "zh-CN" {
		t.Fatalf("stored zh-CN vs Accept-Language en: lang %q", lang)
	}

	// Signed in, the switch stores the preference.
	c := a.loginAs("lang")
	c.post("/locale", form("lang", "en", "next", "/")).wantRedirect("/")
	p = c.get("/").wantStatus(http.StatusOK)
	if lang, _ := p.Doc.Find("html").Attr("lang"); lang != "en" || !strings.Contains(p.text(tid("nav")), i18n.T(i18n.EN, "nav.dashboard")) {
		t.Fatalf("after switch signed in: lang %q", lang)
	}
	if n := a.count(`SELECT count(*) FROM employees WHERE username = 'lang' AND locale = 'en'`); n != 1 {
		t.Fatal("preference not stored")
	}
	// …and it follows the user to another browser that asks for Chinese.
	other := a.client()
	other.header.Set("Accept-Language", "zh-CN")
	login(t, other, "lang", testPassword)
	if lang, _ := other.get("/").Doc.Find("html").Attr("lang"); lang != "en" {
		t.Fatalf("stored en in a zh browser: lang %q", lang)
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "pat", crm.RoleSalesManager, mustDepartment(t, a.DB, "销售部", 0))
	c := a.loginAs("pat")
	elsewhere := a.loginAs("pat")

	// Details and language.
	c.post("/profile", form("name", "", "email", "bad")).wantStatus(http.StatusUnprocessableEntity)
	c.post("/profile", form("name", "帕特", "email", "pat@example.com", "phone", "13800000000", "locale", "en")).
		wantRedirect("/profile")
	p := c.get("/profile").wantStatus(http.StatusOK)
	p.wantText(tid("flash"), i18n.T(i18n.EN, "profile.saved"))
	p.wantText(tid("whoami"), "帕特")
	if lang, _ := p.Doc.Find("html").Attr("lang"); lang != "en" {
		t.Fatalf("lang after saving en: %q", lang)
	}
	if n := a.count(`SELECT count(*) FROM employees WHERE username = 'pat' AND name = '帕特' AND locale = 'en' AND email = 'pat@example.com'`); n != 1 {
		t.Fatal("profile not saved")
	}

	// Password: wrong current, mismatch, then success.
	p = c.post("/profile/password", form("current", "not-it-at-all", "new", "brand-new-pw", "confirm", "brand-new-pw")).
		wantStatus(http.StatusUnprocessableEntity)
	p.wantText(tid("error-current"), i18n.T(i18n.EN, "error.wrong_password"))
	p = c.post("/profile/password", form("current", testPassword, "new", "brand-new-pw", "confirm", "brand-new-px")).
		wantStatus(http.StatusUnprocessableEntity)
	p.wantText(tid("error-confirm"), i18n.T(i18n.EN, "error.password_mismatch"))
	if p.has(tid("error-current")) {
		t.Fatal("right current password reported wrong")
	}
	before := c.session(a)
	c.post("/profile/password", form("current", testPassword, "new", "brand-new-pw", "confirm", "brand-new-pw")).
		wantRedirect("/profile")
	if c.session(a) == before {
		t.Fatal("password change kept the session token")
	}
	c.get("/profile").wantStatus(http.StatusOK).wantText(tid("flash"), i18n.T(i18n.EN, "profile.password_changed"))
	elsewhere.get("/").wantRedirect("/login")

	n := a.client()
	n.post("/login", form("username", "pat", "password", testPassword)).wantStatus(http.StatusUnauthorized)
	if loc := login(t, n, "pat", "brand-new-pw"); loc != "/" {
		t.Fatalf("new password → %q", loc)
	}
	c.get("/").wantStatus(http.StatusOK)
}
