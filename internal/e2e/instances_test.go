package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/testdb"
)

// TestTwoInstances starts two `crm serve` processes on one database and
// sends one user's requests to either, as a load balancer without sticky
// sessions would: the session made by one is honoured by the other, a
// flash message set by one shows on the page the other serves, and an
// import previewed on one is committed on the other while the first
// reports its progress and outcome. Nothing lives in one process's
// memory: sessions, flashes and import jobs are rows.
func TestTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the binary (skipped with -short)")
	}
	db, dbURL := testdb.NewWithURL(t)
	ctx := context.Background()
	hash, err := password.Hash("two-instances-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateEmployee(ctx, crm.EmployeeInput{Username: "root", Name: "系统管理员", Role: crm.RoleAdmin}, hash, false, false); err != nil {
		t.Fatal(err)
	}

	bin := t.TempDir() + "/crm"
	if out, err := exec.Command("go", "build", "-o", bin, "crm/cmd/crm").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	a, b := startInstance(t, bin, dbURL), startInstance(t, bin, dbURL)

	jar, _ := cookiejar.New(nil) // cookies are per host, not per port: both instances get them
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// A session made by A is B's too.
	res := send(t, c, http.MethodPost, a+"/login", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"username": {"root"}, "password": {"two-instances-1"}}.Encode()))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on A: %d", res.StatusCode)
	}
	if doc := page(t, c, b+"/profile"); !strings.Contains(doc.Text(), "系统管理员") {
		t.Fatalf("B does not know the session made by A:\n%s", doc.Text())
	}

	// A flash set by A is shown once, by B.
	res = send(t, c, http.MethodPost, a+"/customers", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"name": {"两地客户有限公司"}, "phone": {"021-60000001"}}.Encode()))
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/customers/") {
		t.Fatalf("create a customer on A: %d → %q", res.StatusCode, loc)
	}
	if f := page(t, c, b+loc).Find(`[data-testid=flash]`).Text(); f == "" {
		t.Fatal("B does not show the flash A set")
	}
	if f := page(t, c, a+loc).Find(`[data-testid=flash]`).Text(); f != "" {
		t.Fatalf("the flash is shown twice: %q", f)
	}

	// An import previewed on A, committed on B, followed on A.
	tmpl := send(t, c, http.MethodGet, a+"/import/customers/template.xlsx", "", nil)
	f, err := excelize.OpenReader(tmpl.Body)
	tmpl.Body.Close()
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	sh := f.GetSheetList()[0]
	const rowsIn = 3000
	for i := range rowsIn {
		row := []any{fmt.Sprintf("导入客户%04d有限公司", i), "", "", "", "", fmt.Sprintf("0571-8%07d", i)}
		if err := f.SetSheetRow(sh, "A"+strconv.Itoa(i+4), &row); err != nil {
			t.Fatal(err)
		}
	}
	var file bytes.Buffer
	if err := f.Write(&file); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "两地导入.xlsx")
	fw.Write(file.Bytes())
	mw.Close()
	res = send(t, c, http.MethodPost, a+"/import/customers", mw.FormDataContentType(), &body)
	job := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(job, "/import/jobs/") {
		t.Fatalf("upload on A: %d → %q", res.StatusCode, job)
	}
	if n := page(t, c, b+job).Find(`[data-testid=count-new]`).Text(); n != strconv.Itoa(rowsIn) {
		t.Fatalf("B's preview of A's upload counts %q new rows, want %d", n, rowsIn)
	}

	committed := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, b+job+"/commit", strings.NewReader("on_error=block&existing=skip"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := c.Do(req)
		if err != nil {
			t.Error(err)
			committed <- nil
			return
		}
		res.Body.Close()
		committed <- res
	}()
	var seen []string // what A reported while B committed
	deadline := time.Now().Add(60 * time.Second)
	for {
		doc := page(t, c, a+job+"/progress")
		if doc.Find(`[data-testid=import-progress-done]`).Length() > 0 {
			seen = append(seen, "done")
			break
		}
		if s := strings.TrimSpace(doc.Find(`[data-testid=import-progress-text]`).Text()); s != "" && (len(seen) == 0 || seen[len(seen)-1] != s) {
			seen = append(seen, s)
		}
		if time.Now().After(deadline) {
			t.Fatalf("A never saw the commit on B end; it saw %q", seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res := <-committed; res == nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("commit on B: %v", res)
	}
	t.Logf("A's progress reports while B committed %d rows: %q", rowsIn, seen)
	doc := page(t, c, a+job)
	// (B's flash is shown by whichever page A loads first after the commit:
	// the polling loop above may already have taken it, so it is not
	// asserted here; the flash crossing instances is checked in the
	// session part of this test.)
	if doc.Find(`[data-testid=import-committed]`).Length() == 0 {
		t.Fatalf("A's job page after B's commit lacks the committed state:\n%s", doc.Find("main").Text())
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM customers WHERE name LIKE '导入客户%'`).Scan(&n); err != nil || n != rowsIn {
		t.Fatalf("customers imported: %d (%v), want %d", n, err, rowsIn)
	}
}

// startInstance runs `crm serve` on a free port of the loopback and waits
// until it answers /healthz; it is stopped when the test ends.
func startInstance(t *testing.T, bin, dbURL string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("instance %s:\n%s", addr, logs.String())
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s did not start: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// send makes one request and fails the test on a transport error.
func send(t *testing.T, c *http.Client, method, u, contentType string, body io.Reader) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return res
}

// page GETs u (200 expected) and parses it.
func page(t *testing.T, c *http.Client, u string) *goquery.Document {
	t.Helper()
	res := send(t, c, http.MethodGet, u, "", nil)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d\n%.600s", u, res.StatusCode, b)
	}
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
