package server_test

// TestHostileInput walks every route of the router (chi.Walk) over the
// demo data, signed in as each of several roles, and sends every query
// parameter and form field the handlers read a battery of hostile values:
// NUL and other control characters, invalid UTF-8, huge, negative and
// overflowing integers, SQL LIKE and template metacharacters, very long
// strings, and hostile values in the URL parameters ({id}, {table}, …). No
// answer may be a 5xx or show a database error; a value with a control
// character or invalid UTF-8 must be refused with 400 on every route.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"crm/internal/crm"
)

// rejectedValues carry a control character or invalid UTF-8: every route
// answers them 400 (refuseBadText; TestHostileBytes checks the whole range
// on one route).
var rejectedValues = []string{"a\x00b", "名\xc3\x28", "\x1b[31m"}

// hostileValues are well-formed text that no form of the CRM sends: the
// handlers must read each as a value, as absent, or refuse it (4xx). The
// light walk of the other roles sends every fourth.
var hostileValues = []string{
	"-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999",
	"2147483648", "1e400", " 7 ", "1.5", "NaN", "' OR '1'='1", "'; DROP TABLE employees; --", "%_%\\",
	"{{.}}<script>x</script>${7*7}", "../../../etc/passwd", "\u202e\u2066😀🇨🇳\u3000\ufeff\u0085", "\t\r\n",
	"2026-02-30", "0001-01-01", "9999-12-31T23:59", "e:9223372036854775807", "p:-1", "remove:9223372036854775807",
	"remove:-1", strings.Repeat("长", 300),
}

// idValues replace the URL parameters besides the real record's id.
var idValues = []string{"999999999", "0", "-1", "9223372036854775807", "99999999999999999999", "abc", "1e3",
	"%E2%80%AE"}

// dbErrorText is what an answer must never show.
var dbErrorText = []string{"SQLSTATE", "pgx", "invalid byte sequence", "pq:", "syntax error at"}

// paramPatterns find the names of the query parameters and form fields
// the handlers read, in the package's source.
var paramPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?:\.Get|PostFormValue|FormValue|queryID|queryDate|queryInt|queryPage|\.text|\.bool|\.id|\.money|\.date|\.dateTime|postedValues|formID)\((?:r, )?"([a-z_]+)"`),
	regexp.MustCompile(`Form\["([a-z_]+)"\]`),
}

// docsParam finds the names docs/http.md gives in its fields column.
var docsParam = regexp.MustCompile("`([a-z][a-z_]*)`")

// paramNames is every query parameter and form field name used anywhere
// in internal/server (and named in docs/http.md): each route gets them
// all, whatever it reads.
func paramNames(t *testing.T) []string {
	t.Helper()
	names := map[string]bool{}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paramPatterns {
			for _, m := range p.FindAllSubmatch(b, -1) {
				names[string(m[1])] = true
			}
		}
	}
	fromCode := len(names)
	doc, err := os.ReadFile("../../docs/http.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| GET") && !strings.HasPrefix(line, "| POST") {
			continue
		}
		if cols := strings.Split(line, "|"); len(cols) > 3 {
			for _, m := range docsParam.FindAllStringSubmatch(outsideParens(cols[3]), -1) {
				names[m[1]] = true
			}
		}
	}
	for _, n := range []string{"q", "page", "sort", "dir", "tab", "owner", "department", "customer", "name", "notes",
		"line_product", "line_price", "ids", "back", "next", "period", "from", "to", "idle", "op", "owner_id"} {
		if !names[n] {
			t.Fatalf("the parameter scan missed %q (found %d names in the code): the patterns need updating", n, fromCode)
		}
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// outsideParens drops the parenthesised parts of s: docs/http.md lists a
// field's values there.
func outsideParens(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// idParams name the parameters and fields that hold a record's id, and the
// table it is of: they also get a real id, so that requests reach the
// code behind a found record.
var idParams = map[string]string{
	"customer": "customers", "customer_id": "customers", "lead": "leads", "lead_id": "leads",
	"opportunity": "opportunities", "opportunity_id": "opportunities", "order": "orders", "order_id": "orders",
	"campaign": "campaigns", "campaign_id": "campaigns", "owner": "employees", "owner_id": "employees",
	"approver": "employees", "employee_id": "employees", "head_id": "employees", "department": "departments",
	"department_id": "departments", "parent": "departments", "parent_id": "departments", "source": "options",
	"source_id": "options", "level": "options", "level_id": "options", "industry": "options",
	"industry_id": "options", "method_id": "options", "type_id": "options", "line_product": "products",
	"line_prev_product": "products", "ids": "leads",
}

// idPrefixes map a route's prefix to the table of its {id}.
var idPrefixes = []struct{ prefix, table string }{
	{"/import/jobs/", "import_jobs"}, {"/admin/departments/", "departments"}, {"/admin/employees/", "employees"},
	{"/admin/options/", "options"}, {"/notifications/", "notifications"}, {"/campaigns/", "campaigns"},
	{"/leads/", "leads"}, {"/customers/", "customers"}, {"/contacts/", "contacts"}, {"/follow-ups/", "follow_ups"},
	{"/opportunities/", "opportunities"}, {"/products/", "products"}, {"/quotes/", "quotes"}, {"/orders/", "orders"},
	{"/payments/", "payments"}, {"/invoices/", "invoices"},
}

// importTables are the {table} values of the import routes.
var importTables = []string{"departments", "employees", "products", "campaigns", "leads", "customers", "contacts",
	"follow-ups", "opportunities", "orders", "payments", "nothing"}

type hostileRoute struct{ method, pattern string }

// hostileRun is one role's walk: its client, its real ids, the count of
// requests and the failures.
type hostileRun struct {
	t        *testing.T
	base     string
	hc       *http.Client
	ids      map[string]string // table → a real id
	names    []string
	light    bool // the short battery
	imports  bool // the role may import leads
	requests *atomic.Int64
	mu       sync.Mutex
	failures map[string]int
}

// send makes one request and fails the test on a 5xx or a database error
// in the answer; want400 also requires 400.
func (h *hostileRun) send(method, path string, q url.Values, body []byte, ctype string, hx, want400 bool) int {
	u := h.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		h.fail(method, path, fmt.Sprintf("bad request: %v", err), "")
		return 0
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method == http.MethodPost {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", h.base)
	}
	if hx {
		req.Header.Set("HX-Request", "true")
	}
	h.requests.Add(1)
	res, err := h.hc.Do(req)
	if err != nil {
		h.fail(method, path, fmt.Sprintf("transport: %v", err), "")
		return 0
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	ct := res.Header.Get("Content-Type")
	switch {
	case res.StatusCode >= 500:
		h.fail(method, path, fmt.Sprintf("status %d", res.StatusCode), describe(q, body))
	case want400 && res.StatusCode != http.StatusBadRequest:
		h.fail(method, path, fmt.Sprintf("status %d, want 400", res.StatusCode), describe(q, body))
	case strings.HasPrefix(ct, "text/"):
		for _, s := range dbErrorText {
			if strings.Contains(string(b), s) {
				h.fail(method, path, fmt.Sprintf("status %d shows %q", res.StatusCode, s), describe(q, body))
			}
		}
	}
	return res.StatusCode
}

func describe(q url.Values, body []byte) string {
	s := q.Encode()
	if body != nil {
		s += " body " + string(body)
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// fail records a failure, reporting the first few of each kind in full.
func (h *hostileRun) fail(method, path, what, detail string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	key := method + " " + path + ": " + what
	h.failures[key]++
	if h.failures[key] <= 2 {
		h.t.Errorf("%s %s: %s\n  %s", method, path, what, detail)
	}
}

// paths are the URLs of a pattern: the real one first, then the variants
// of its URL parameters (each with the others real).
func (h *hostileRun) paths(pattern string) (real string, variants []string) {
	table := ""
	for _, p := range idPrefixes {
		if strings.HasPrefix(pattern, p.prefix) {
			table = p.table
			break
		}
	}
	realParam := map[string]string{"{id}": h.ids[table], "{employeeID}": h.ids["collaborator"], "{table}": "leads",
		"*": "css/app.css"}
	sub := func(override, with string) string {
		out := pattern
		for k, v := range realParam {
			if k == override {
				v = with
			}
			out = strings.ReplaceAll(out, k, v)
		}
		return out
	}
	real = sub("", "")
	for k := range realParam {
		if !strings.Contains(pattern, k) {
			continue
		}
		vals := idValues
		if k == "{table}" {
			vals = append(slicesClone(importTables), "..", "leads.xlsx")
		}
		for _, v := range vals {
			variants = append(variants, sub(k, v))
		}
	}
	return real, variants
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// values sets every name to v; withIDs puts real ids into the id
// parameters instead.
func (h *hostileRun) values(v string, withIDs bool) url.Values {
	q := url.Values{}
	for _, n := range h.names {
		if table, ok := idParams[n]; ok && withIDs {
			id := h.ids[table]
			if n == "owner" && table == "employees" {
				q.Set(n, id)
				q.Add(n, "e:"+id) // the owner picker of the forms
				continue
			}
			q.Set(n, id)
			continue
		}
		q.Set(n, v)
	}
	return q
}

// listBases are the modes a list or the dashboard switches on, each
// combined with hostile values in the other parameters.
var listBases = []url.Values{{}, {"period": {"custom"}}, {"view": {"board"}}, {"tab": {"all"}}, {"tab": {"pool"}},
	{"unread": {"1"}}, {"due": {"today"}}, {"dir": {"desc"}, "sort": {"name"}}, {"tab": {"done"}}}

// battery is the hostile values this run sends: all of them, or every
// fourth on a light run.
func (h *hostileRun) battery() []string {
	if !h.light {
		return hostileValues
	}
	var out []string
	for i := 0; i < len(hostileValues); i += 4 {
		out = append(out, hostileValues[i])
	}
	return out
}

func want400(path string) bool { return strings.Contains(path, "%00") || strings.Contains(path, "%ff") }

func (h *hostileRun) walkGet(r hostileRoute) {
	real, variants := h.paths(r.pattern)
	if h.light && len(variants) > 3 {
		variants = variants[:3]
	}
	variants = append(variants, real+"x", strings.Replace(real, "/", "/%00", 1), strings.Replace(real, "/", "/%ff", 1))
	for _, p := range variants {
		h.send(http.MethodGet, p, nil, nil, "", false, want400(p))
	}
	for i, v := range rejectedValues {
		if h.light && i > 0 {
			break
		}
		q := h.values("1", true)
		q.Set(h.names[i*7%len(h.names)], v)
		h.send(http.MethodGet, real, q, nil, "", i%2 == 1, true)
	}
	for i, v := range h.battery() {
		q := h.values(v, i%2 == 1)
		for k, vs := range listBases[i%len(listBases)] {
			q[k] = vs
		}
		h.send(http.MethodGet, real, q, nil, "", i%3 == 1, false)
	}
	if h.light {
		return
	}
	for _, d := range [][2]string{{"0001-01-01", "9999-12-31"}, {"9999-12-31", "0001-01-01"}} {
		q := url.Values{"period": {"custom"}, "from": {d[0]}, "to": {d[1]}, "created_from": {d[0]}, "created_to": {d[1]},
			"decided_from": {d[0]}, "decided_to": {d[1]}, "page": {"9223372036854775807"}, "tab": {"all"}}
		h.send(http.MethodGet, real, q, nil, "", false, false)
	}
	if !strings.Contains(r.pattern, "{") {
		// 1 MB in a query string is beyond the server's header limit (431);
		// 240 KiB reaches the handler.
		h.send(http.MethodGet, real, url.Values{"q": {strings.Repeat("x", 1<<20)}}, nil, "", false, false)
		h.send(http.MethodGet, real, url.Values{"q": {strings.Repeat("名", 80<<10)}, "page": {"2"}}, nil, "", false, false)
	}
}

// multipartBody encodes q as multipart/form-data, with a file part of
// binary content when file is set.
func multipartBody(q url.Values, fileName string, file []byte) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range q {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", fileName)
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

const formType = "application/x-www-form-urlencoded"

func (h *hostileRun) walkPost(r hostileRoute) {
	real, variants := h.paths(r.pattern)
	if h.light && len(variants) > 3 {
		variants = variants[:3]
	}
	for _, p := range variants {
		h.send(http.MethodPost, p, nil, []byte{}, formType, false, want400(p))
	}
	for i, v := range rejectedValues {
		if h.light && i > 0 {
			break
		}
		one := h.values("x", true)
		one.Set("notes", "ok"+v)
		h.send(http.MethodPost, real, nil, []byte(one.Encode()), formType, i%2 == 1, true)
		h.send(http.MethodPost, real, url.Values{"back": {v}}, nil, "", false, true)
		// The upload streams its body after the login and the import
		// right are checked: only those who may import get to its 400.
		body, ct := multipartBody(h.values(v, true), "a.xlsx", []byte("PK\x03\x04\x00\xff"))
		h.send(http.MethodPost, real, nil, body, ct, false, !isUpload(r.pattern) || h.imports)
	}
	for i, v := range h.battery() {
		h.send(http.MethodPost, real, nil, []byte(h.values(v, i%2 == 1).Encode()), formType, i%3 == 1, false)
	}
	if h.light {
		return
	}
	for _, v := range []string{"x", "9223372036854775807"} {
		body, ct := multipartBody(h.values(v, true), v+".xlsx", []byte("PK\x03\x04\x00\xff\xfe binary"))
		h.send(http.MethodPost, real, nil, body, ct, false, false)
	}
	// A binary file part is not checked: only the form's text fields are.
	body, ct := multipartBody(url.Values{"on_error": {"skip"}}, "名\xff\x00.xlsx", []byte("\x00\xff\xfe\x1b"))
	if st := h.send(http.MethodPost, real, nil, body, ct, false, false); st == http.StatusBadRequest && isUpload(r.pattern) {
		h.fail(http.MethodPost, real, "a binary file part was refused as text (400)", "")
	}
	// 1 MB in the text fields (the form stays under the 10 MB form limit).
	big := h.values("x", true)
	for _, n := range []string{"name", "notes", "content", "comment", "description"} {
		big.Set(n, strings.Repeat("x", 1<<20))
	}
	h.send(http.MethodPost, real, nil, []byte(big.Encode()), formType, false, false)
}

// isUpload reports whether pattern is the import upload, the one route
// that streams its multipart body itself.
func isUpload(pattern string) bool { return pattern == "/import/{table}" }

// postOrder sorts the POST routes: the ones that remove records or end
// the session come last, so that the others still find the seeded rows
// and the signed-in session.
func postOrder(pattern string) int {
	switch {
	case pattern == "/logout":
		return 3 // ends the session: last
	case pattern == "/admin/demo/purge":
		return 2 // refused for a demo admin, but would remove every seeded row
	case strings.HasSuffix(pattern, "/delete") || strings.HasSuffix(pattern, "/deactivate") ||
		strings.HasSuffix(pattern, "/revert") || strings.HasSuffix(pattern, "/convert"):
		return 1
	}
	return 0
}

// hostileIDs finds a real id of every table for the employee uid: one he
// owns where the table has owners and he owns one.
func hostileIDs(t *testing.T, a *testApp, uid int64) map[string]string {
	t.Helper()
	ctx := context.Background()
	ids := map[string]string{}
	for _, table := range []string{"departments", "employees", "options", "campaigns", "leads", "customers", "contacts",
		"follow_ups", "opportunities", "products", "quotes", "orders", "payments", "invoices", "notifications", "import_jobs"} {
		var id int64
		err := a.DB.Pool.QueryRow(ctx, `SELECT id FROM `+table+` WHERE owner_id = $1 ORDER BY id LIMIT 1`, uid).Scan(&id)
		if err != nil {
			if err := a.DB.Pool.QueryRow(ctx, `SELECT coalesce(min(id), 1) FROM `+table).Scan(&id); err != nil {
				t.Fatal(err)
			}
		}
		ids[table] = strconv.FormatInt(id, 10)
	}
	var id int64
	if err := a.DB.Pool.QueryRow(ctx, `SELECT id FROM employees WHERE username = 'rep3'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	ids["employees"] = strconv.FormatInt(id, 10) // no walking client's own account
	if err := a.DB.Pool.QueryRow(ctx, `SELECT employee_id FROM customer_collaborators WHERE customer_id = $1`,
		ids["customers"]).Scan(&id); err == nil {
		ids["collaborator"] = strconv.FormatInt(id, 10)
	} else {
		ids["collaborator"] = ids["employees"]
	}
	return ids
}

func TestHostileInput(t *testing.T) {
	start := time.Now()
	a := demoApp(t)
	names := paramNames(t)

	// An import job and a notification, so that their routes have a real id.
	admin := a.demoLogin("admin")
	tpl := admin.get("/import/leads/template.xlsx").wantStatus(http.StatusOK)
	header := readSheet(t, tpl)[0]
	row := make([]any, len(header))
	row[0] = "敌意测试线索"
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	jobID(t, admin.upload("/import/leads", "敌意.xlsx", workbook(t, head, row)))
	var rep1, lead int64
	if err := a.DB.Pool.QueryRow(context.Background(), `SELECT id FROM employees WHERE username = 'rep1'`).Scan(&rep1); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Pool.QueryRow(context.Background(), `SELECT min(id) FROM leads WHERE owner_id IS DISTINCT FROM $1`, rep1).Scan(&lead); err != nil {
		t.Fatal(err)
	}
	admin.post(fmtPath("/leads/%d/assign", lead), form("owner_id", strconv.FormatInt(rep1, 10)))
	if a.count(`SELECT count(*) FROM notifications`) == 0 {
		t.Fatal("the assignment wrote no notification")
	}

	var routes []hostileRoute
	if err := chi.Walk(a.Server.Routes(), func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, hostileRoute{method, pattern})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	routes = append(routes, hostileRoute{http.MethodGet, "/no-such-page"}, hostileRoute{http.MethodPost, "/no-such-form"})
	sort.SliceStable(routes, func(i, j int) bool {
		if routes[i].method != routes[j].method {
			return routes[i].method < routes[j].method
		}
		return postOrder(routes[i].pattern) < postOrder(routes[j].pattern)
	})

	// Every client signs in first: the hostile login posts count as failed
	// attempts and would soon slow and refuse further sign-ins.
	var requests atomic.Int64
	var runs []*hostileRun
	for _, user := range []string{"rep1", "admin", "manager1", "boss", "marketing", "finance"} {
		c := a.demoLogin(user)
		var uid int64
		if err := a.DB.Pool.QueryRow(context.Background(), `SELECT id FROM employees WHERE username = $1`, user).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, &hostileRun{base: a.URL, hc: c.hc, ids: hostileIDs(t, a, uid), names: names,
			light: user != "rep1" && user != "admin", imports: user == "admin" || user == "boss",
			requests: &requests, failures: map[string]int{}})
	}
	anon := a.client()
	runs = append(runs, &hostileRun{base: a.URL, hc: anon.hc, ids: runs[1].ids, names: names, light: true,
		requests: &requests, failures: map[string]int{}})
	users := []string{"rep1", "admin", "manager1", "boss", "marketing", "finance", "anonymous"}

	var gets, posts int
	for _, r := range routes {
		if r.method == http.MethodGet {
			gets++
		} else {
			posts++
		}
	}
	t.Run("get", func(t *testing.T) {
		for i, run := range runs {
			t.Run(users[i], func(t *testing.T) {
				t.Parallel()
				run.t = t
				for _, r := range routes {
					if r.method == http.MethodGet {
						run.walkGet(r)
					}
				}
			})
		}
	})
	t.Run("post", func(t *testing.T) {
		// One role after the other: the admin's removals come last.
		for _, i := range []int{0, 2, 3, 4, 5, 6, 1} {
			run := runs[i]
			t.Run(users[i], func(t *testing.T) {
				run.t = t
				for _, r := range routes {
					if r.method == http.MethodPost {
						run.walkPost(r)
					}
				}
			})
		}
	})
	t.Logf("%d GET and %d POST routes, %d parameter and field names, %d roles: %d requests in %s",
		gets, posts, len(names), len(runs), requests.Load(), time.Since(start).Round(time.Millisecond))
}

// TestHostileBytes sends every control character and a set of broken UTF-8
// sequences, in the search box of a list and in a posted form: each is a
// 400 page in the user's language that writes nothing, and text that is
// well-formed (tab, line breaks, CJK, emoji) is not refused. (TestHostileInput
// sends them on every route, multipart forms included.)
func TestHostileBytes(t *testing.T) {
	a := newApp(t)
	mustEmployee(t, a.DB, "bytes_admin", crm.RoleAdmin, 0)
	c := a.loginAs("bytes_admin")
	var bad []string
	for b := 0; b < 0x20; b++ {
		if b != '\t' && b != '\n' && b != '\r' {
			bad = append(bad, "a"+string(rune(b))+"b")
		}
	}
	bad = append(bad, "a\x7fb", "\xff", "名\xc3\x28", "\xe5\x90", "\xed\xa0\x80", "\xc0\xaf")
	for _, v := range bad {
		p := c.get("/customers?q=" + url.QueryEscape(v))
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "控制字符") {
			t.Errorf("GET /customers?q=%q: status %d, want the 400 page", v, p.Status)
		}
		if p := c.post("/customers", form("name", v)); p.Status != http.StatusBadRequest {
			t.Errorf("POST /customers name=%q: status %d, want 400", v, p.Status)
		}
	}
	for _, v := range []string{"a\tb", "a\r\nb", "客户 名称", "😀", "\u0085"} {
		if p := c.get("/customers?q=" + url.QueryEscape(v)); p.Status != http.StatusOK {
			t.Errorf("GET /customers?q=%q: status %d, want 200", v, p.Status)
		}
	}
	if a.count(`SELECT count(*) FROM customers`) != 0 {
		t.Error("a refused form wrote a customer")
	}
	// The page speaks the user's language.
	req, _ := http.NewRequest(http.MethodGet, a.URL+"/customers?q=%00", nil)
	req.Header.Set("Accept-Language", "en")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "not valid UTF-8") {
		t.Errorf("English 400 page: status %d\n%s", res.StatusCode, body)
	}
}
