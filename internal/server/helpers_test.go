package server_test

// Test helpers: every test runs the real router (server.New) over
// httptest, with the real scs session store in its own Postgres database
// (testdb), Go's CrossOriginProtection and goquery on the answers.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/server"
	"crm/internal/testdb"
)

// testPassword is the password of every fixture employee.
const testPassword = "correct-horse-1"

// hashes caches one argon2id hash per password: hashing costs ~40 ms and
// 19 MiB, and fixtures need not differ in salt.
var hashes sync.Map

func hashOf(t testing.TB, pw string) string {
	t.Helper()
	if h, ok := hashes.Load(pw); ok {
		return h.(string)
	}
	h, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	hashes.Store(pw, h)
	return h
}

// mustDepartment creates a (non-demo) department and returns its id.
func mustDepartment(t testing.TB, db *postgres.DB, name string, parent int64) int64 {
	t.Helper()
	id, err := db.CreateDepartment(context.Background(), crm.DepartmentInput{Name: name, ParentID: parent}, false)
	if err != nil {
		t.Fatalf("mustDepartment %s: %v", name, err)
	}
	return id
}

// mustEmployee creates an active employee named "测试<username>" with
// testPassword and returns its id.
func mustEmployee(t testing.TB, db *postgres.DB, username string, role crm.Role, deptID int64) int64 {
	t.Helper()
	return mustEmployeeWith(t, db, crm.EmployeeInput{Username: username, Name: "测试" + username, Role: role,
		DepartmentID: deptID}, testPassword)
}

// mustEmployeeWith creates an employee from in with password pw.
func mustEmployeeWith(t testing.TB, db *postgres.DB, in crm.EmployeeInput, pw string) int64 {
	t.Helper()
	id, err := db.CreateEmployee(context.Background(), in, hashOf(t, pw), false, false)
	if err != nil {
		t.Fatalf("mustEmployee %s: %v", in.Username, err)
	}
	return id
}

// testApp is one server over one test database.
type testApp struct {
	t      *testing.T
	DB     *postgres.DB
	URL    string
	Server *server.Server
}

// newApp gives t a database of its own and a server over it.
func newApp(t *testing.T, opts ...func(*server.Config)) *testApp {
	t.Helper()
	return newAppOn(t, testdb.New(t), opts...)
}

// newAppOn starts a server over db.
func newAppOn(t *testing.T, db *postgres.DB, opts ...func(*server.Config)) *testApp {
	t.Helper()
	cfg := server.Config{DB: db, Log: slog.New(slog.DiscardHandler), LoginDelayStep: time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	s := server.New(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &testApp{t: t, DB: db, URL: ts.URL, Server: s}
}

// exec runs SQL on the test database, failing the test on error.
func (a *testApp) exec(sql string, args ...any) {
	a.t.Helper()
	if _, err := a.DB.Pool.Exec(context.Background(), sql, args...); err != nil {
		a.t.Fatalf("exec %q: %v", sql, err)
	}
}

// count runs a SELECT count(*)-like query returning one integer.
func (a *testApp) count(sql string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		a.t.Fatalf("query %q: %v", sql, err)
	}
	return n
}

// client is a browser: a cookie jar, no automatic redirects, and headers
// sent with every request.
type client struct {
	t      *testing.T
	base   string
	jar    *cookiejar.Jar
	hc     *http.Client
	header http.Header
}

func (a *testApp) client() *client { return newClient(a.t, a.URL) }

func newClient(t *testing.T, base string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, jar: jar, header: http.Header{},
		hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer, with its HTML parsed when it is HTML.
type page struct {
	t        *testing.T
	method   string
	path     string
	Status   int
	Location string
	Header   http.Header
	Cookies  []*http.Cookie
	Body     string
	Doc      *goquery.Document
}

func (c *client) do(method, path string, form url.Values, hdr http.Header) *page {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	p := &page{t: c.t, method: method, path: path, Status: res.StatusCode, Location: res.Header.Get("Location"),
		Header: res.Header, Cookies: res.Cookies(), Body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if p.Doc, err = goquery.NewDocumentFromReader(strings.NewReader(p.Body)); err != nil {
			c.t.Fatal(err)
		}
	}
	return p
}

// get fetches path.
func (c *client) get(path string) *page {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, nil)
}

// post submits a form from one of the site's own pages, as a browser does
// (Sec-Fetch-Site: same-origin, Origin of the site).
func (c *client) post(path string, form url.Values) *page {
	c.t.Helper()
	return c.postWith(path, form, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {c.base}})
}

// postWith submits a form with exactly the given extra headers.
func (c *client) postWith(path string, form url.Values, hdr http.Header) *page {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return c.do(http.MethodPost, path, form, hdr)
}

// cookie returns the value of the named cookie the jar holds ("" if none).
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, k := range c.jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// setCookie puts a cookie into the jar (replaying an old session token).
func (c *client) setCookie(name, value string) {
	u, _ := url.Parse(c.base)
	c.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// session returns the session cookie's value.
func (c *client) session(a *testApp) string { return c.cookie(a.Server.SessionCookieName()) }

// wantStatus fails unless the answer has status code.
func (p *page) wantStatus(code int) *page {
	p.t.Helper()
	if p.Status != code {
		p.t.Fatalf("%s %s: status %d, want %d\n%s", p.method, p.path, p.Status, code, abbreviate(p.Body))
	}
	return p
}

// wantRedirect fails unless the answer is 303 See Other to loc.
func (p *page) wantRedirect(loc string) *page {
	p.t.Helper()
	if p.Status != http.StatusSeeOther || p.Location != loc {
		p.t.Fatalf("%s %s: %d → %q, want 303 → %q\n%s", p.method, p.path, p.Status, p.Location, loc, abbreviate(p.Body))
	}
	return p
}

// text returns the trimmed text of the elements matching sel.
func (p *page) text(sel string) string {
	p.t.Helper()
	if p.Doc == nil {
		p.t.Fatalf("%s %s: not an HTML answer", p.method, p.path)
	}
	return strings.TrimSpace(p.Doc.Find(sel).Text())
}

// texts returns the trimmed text of each element matching sel.
func (p *page) texts(sel string) []string {
	p.t.Helper()
	if p.Doc == nil {
		p.t.Fatalf("%s %s: not an HTML answer", p.method, p.path)
	}
	var out []string
	p.Doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// has reports whether sel matches anything.
func (p *page) has(sel string) bool { return p.Doc != nil && p.Doc.Find(sel).Length() > 0 }

// wantText fails unless the text of sel contains want.
func (p *page) wantText(sel, want string) *page {
	p.t.Helper()
	if got := p.text(sel); !strings.Contains(got, want) {
		p.t.Fatalf("%s %s: %s = %q, want it to contain %q", p.method, p.path, sel, got, want)
	}
	return p
}

func abbreviate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// tid is a selector for a data-testid.
func tid(id string) string { return `[data-testid="` + id + `"]` }

// login signs username in and returns the 303 target.
func login(t *testing.T, c *client, username, pw string) string {
	t.Helper()
	p := c.post("/login", url.Values{"username": {username}, "password": {pw}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("login %s: status %d, want 303\n%s", username, p.Status, abbreviate(p.Body))
	}
	return p.Location
}

// loginAs creates a client signed in as username (password testPassword).
func (a *testApp) loginAs(username string) *client {
	a.t.Helper()
	c := a.client()
	if loc := login(a.t, c, username, testPassword); loc != "/" {
		a.t.Fatalf("login %s → %q, want /", username, loc)
	}
	return c
}

// form builds url.Values from pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// fmtPath is fmt.Sprintf, for paths with ids.
func fmtPath(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// testdbNewWithURL is testdb.NewWithURL (a database and its URL).
func testdbNewWithURL(t *testing.T) (*postgres.DB, string) {
	t.Helper()
	return testdb.NewWithURL(t)
}

// openPool opens a second, separate pool on the database at dsn.
func openPool(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}
