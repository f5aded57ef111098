package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"crm/internal/crm"
	"crm/internal/server"
	"crm/internal/testdb"
)

// syncBuffer collects log output written from the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newLoggedApp is newApp with the server's log and net/http's own (where
// "superfluous response.WriteHeader" goes) kept in one buffer.
func newLoggedApp(t *testing.T) (*testApp, *syncBuffer) {
	t.Helper()
	db := testdb.New(t)
	logs := &syncBuffer{}
	s := server.New(server.Config{DB: db, Log: slog.New(slog.NewTextHandler(logs, nil)), LoginDelayStep: time.Millisecond})
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ErrorLog = log.New(logs, "net/http: ", 0)
	ts.Start()
	t.Cleanup(ts.Close)
	return &testApp{t: t, DB: db, URL: ts.URL, Server: s}, logs
}

// wantCleanLog fails if the log holds an error, a 500 or a second status.
func wantCleanLog(t *testing.T, logs *syncBuffer) {
	t.Helper()
	for _, bad := range []string{"level=ERROR", "status=500", "superfluous"} {
		if strings.Contains(logs.String(), bad) {
			t.Fatalf("the log holds %q:\n%s", bad, logs)
		}
	}
}

// customerRows is a customers file of n rows.
func customerRows(t *testing.T, n int) []byte {
	rows := [][]any{{"客户名称*", "电话"}}
	for i := 0; i < n; i++ {
		rows = append(rows, []any{fmt.Sprintf("客户%05d", i), fmt.Sprintf("1390000%04d", i)})
	}
	return workbook(t, rows...)
}

// TestImportInterruptedCommitPage: a commit whose process died leaves the
// job marked as being committed with nobody committing it (its progress
// phase set, no lock held). The job's page says the commit was
// interrupted and nothing was written, in either language, and offers the
// commit again; so does the history. Committing again writes every row
// once; the banner goes.
func TestImportInterruptedCommitPage(t *testing.T) {
	t.Parallel()
	a, logs := newLoggedApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	id := jobID(t, c.upload("/import/customers", "客户.xlsx", customerRows(t, 3)))
	p := c.get(jobURL(id)).wantStatus(http.StatusOK)
	if p.has(tid("import-interrupted")) {
		t.Fatal("a fresh preview says its commit was interrupted")
	}
	// What a crashed commit leaves: its progress, and no lock.
	if err := a.DB.SetImportProgress(context.Background(), id, crm.ProgressCheck, 2, 3); err != nil {
		t.Fatal(err)
	}
	p = c.get(jobURL(id)).wantStatus(http.StatusOK)
	p.wantText(tid("import-interrupted"), "上次提交被中断，未写入任何数据，可以重新提交")
	p.wantText(tid("import-status"), "已中断")
	if !p.has(tid("commit-form")) || !p.has(tid("commit")) {
		t.Fatalf("the interrupted job offers no commit\n%s", abbreviate(p.Body))
	}
	if p.has(tid("import-progress")) {
		t.Error("the dead commit shows as running")
	}
	c.get("/import").wantText(tid("import-job-row"), "已中断")
	c.post("/locale", form("lang", "en", "next", jobURL(id))).wantRedirect(jobURL(id))
	c.get(jobURL(id)).wantText(tid("import-interrupted"), "The last commit was interrupted and nothing was written. You can commit again.")
	c.post("/locale", form("lang", "zh-CN", "next", jobURL(id))).wantRedirect(jobURL(id))

	c.post(jobURL(id)+"/commit", form("on_error", "block", "existing", "skip")).wantRedirect(jobURL(id))
	if n := a.count(`SELECT count(*) FROM customers`); n != 3 {
		t.Fatalf("customers after the commit: %d", n)
	}
	p = c.get(jobURL(id))
	p.wantText(tid("flash"), "导入完成：新增 3 条")
	p.wantText(tid("import-committed"), "已于")
	if p.has(tid("import-interrupted")) || p.has(tid("commit-form")) {
		t.Fatal("the committed job still says interrupted or offers the commit")
	}
	c.post(jobURL(id)+"/commit", form("on_error", "block")).wantStatus(http.StatusConflict)
	if n := a.count(`SELECT count(*) FROM customers`); n != 3 {
		t.Fatalf("customers after a second commit: %d", n)
	}
	wantCleanLog(t, logs)
}

// TestImportCommitClientGone: the browser goes away while the commit runs
// (the tab closed). The commit runs to its end and writes every row; the
// request logs no error, no 500 and no second status; the outcome waits
// in the session for the importer's next page.
func TestImportCommitClientGone(t *testing.T) {
	t.Parallel()
	a, logs := newLoggedApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	const rows = 4000
	id := jobID(t, c.upload("/import/customers", "big.xlsx", customerRows(t, rows)))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+jobURL(id)+"/commit",
		strings.NewReader(form("on_error", "block", "existing", "skip").Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.base)
	done := make(chan error, 1)
	go func() {
		res, err := c.hc.Do(req)
		if err == nil {
			res.Body.Close()
			err = fmt.Errorf("answered %d before the client went", res.StatusCode)
		}
		done <- err
	}()
	// Leave once the commit runs (it holds the job and has written its
	// progress) and has rows left to check.
	running := false
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !running; time.Sleep(2 * time.Millisecond) {
		var phase string
		var checked int
		if err := a.DB.Pool.QueryRow(context.Background(), `SELECT progress_phase, progress_done FROM import_jobs WHERE id = $1`, id).
			Scan(&phase, &checked); err != nil {
			t.Fatal(err)
		}
		running = phase == crm.ProgressCheck && checked < rows
	}
	if !running {
		t.Fatal("the commit never ran")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client: %v", err)
	}
	// The commit goes on; its request ends when it has.
	line := ""
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && line == ""; time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "msg=request") && strings.Contains(l, "path="+jobURL(id)+"/commit") {
				line = l
			}
		}
	}
	if line == "" {
		t.Fatalf("the commit's request never ended:\n%s", logs)
	}
	if !strings.Contains(line, "status=303") {
		t.Fatalf("the commit's request: %s", line)
	}
	wantCleanLog(t, logs)
	if n := a.count(`SELECT count(*) FROM customers`); n != rows {
		t.Fatalf("customers after the commit: %d of %d", n, rows)
	}
	p := c.get(jobURL(id)).wantStatus(http.StatusOK)
	p.wantText(tid("import-committed"), "已于")
	p.wantText(tid("flash"), fmt.Sprintf("导入完成：新增 %d 条", rows))
}

// TestSessionSaveFailsOnce: when the session cannot be saved as a
// handler's answer starts (here its redirect after a commit), the answer
// is the error page alone — one status, logged once as a 500, with no
// trace of the redirect — never an error page followed by the handler's
// own status ("superfluous response.WriteHeader").
func TestSessionSaveFailsOnce(t *testing.T) {
	t.Parallel()
	a, logs := newLoggedApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	id := jobID(t, c.upload("/import/customers", "客户.xlsx", customerRows(t, 2)))
	c.get(jobURL(id)).wantStatus(http.StatusOK)
	a.exec(`CREATE FUNCTION test_refuse_session() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'the session store refuses writes'; END $$`)
	a.exec(`CREATE TRIGGER test_refuse_session BEFORE INSERT OR UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION test_refuse_session()`)
	p := c.post(jobURL(id)+"/commit", form("on_error", "block")).wantStatus(http.StatusInternalServerError)
	if p.Location != "" || p.Doc == nil || !strings.Contains(p.text(".hint"), p.Header.Get("X-Request-Id")) {
		t.Fatalf("the answer: Location %q\n%s", p.Location, abbreviate(p.Body))
	}
	if strings.Count(p.Body, "<html") != 1 {
		t.Fatalf("the answer holds %d pages", strings.Count(p.Body, "<html"))
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d errors logged, want 1:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), "superfluous") {
		t.Fatalf("a second status:\n%s", logs)
	}
}

// TestImportPreviewClientGone: the browser goes away while its upload is
// being checked. The check stops with it; the request logs that it was
// abandoned — no error, no 500 — and no job is recorded.
func TestImportPreviewClientGone(t *testing.T) {
	t.Parallel()
	a, logs := newLoggedApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	data := customerRows(t, 8000)
	req, err := http.NewRequest(http.MethodPost, c.base+"/import/customers", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := multipartFile(t, "big.xlsx", data)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req = req.WithContext(ctx)
	req.Body, req.ContentLength = io.NopCloser(body), int64(body.Len())
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.base)
	done := make(chan error, 1)
	go func() {
		res, err := c.hc.Do(req)
		if err == nil {
			res.Body.Close()
			err = fmt.Errorf("answered %d before the client went", res.StatusCode)
		}
		done <- err
	}()
	// Leave while the check looks the rows up (its read-only transaction).
	checking := false
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !checking; time.Sleep(time.Millisecond) {
		n := a.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
			AND query LIKE '%postgres.ImportSession.%'`)
		checking = n > 0
	}
	if !checking {
		t.Fatal("the check never ran")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client: %v", err)
	}
	line := ""
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && line == ""; time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "msg=request ") && strings.Contains(l, "path=/import/customers") {
				line = l
			}
		}
	}
	if line == "" {
		t.Fatalf("the upload's request never ended:\n%s", logs)
	}
	wantCleanLog(t, logs)
	if !strings.Contains(logs.String(), "msg=\"request abandoned\"") {
		t.Fatalf("the upload's request does not say it was abandoned:\n%s", logs)
	}
	if n := a.count(`SELECT count(*) FROM import_jobs`); n != 0 {
		t.Fatalf("%d jobs recorded", n)
	}
}

// multipartFile is the import page's upload form holding one file.
func multipartFile(t *testing.T, name string, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, mw.FormDataContentType()
}
